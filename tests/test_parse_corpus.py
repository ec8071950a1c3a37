"""`parse_feed` against feedparser over feedparser's own test corpus (its tests/ folder: ~2,100
well-formed and ill-formed RSS, Atom, RDF and CDF files, encodings, xml:base, sanitizer cases).

The corpus lives beside the project in ../shared/peer/feedparser-tests/ and is not part of it; without
it these tests skip. For every file: no entry that feedparser finds is lost, every title is the text
feedparser's (sanitized) title shows, no title carries markup or script text, and wherever the lxml
fast path takes a file it gives exactly what the feedparser fallback gives; links, dates and authors
are feedparser's everywhere. Where newsbot differs
from feedparser on purpose, tests/fixtures/feedparser-corpus-differences.txt names the file, the
kind of difference and why; an entry there that no longer differs fails too, so the list stays true.

    .venv/bin/python -m pytest tests/test_parse_corpus.py   # ~5 s
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import pytest
from bs4 import BeautifulSoup

from bot.errors import ParseError
from bot.parse import item_key, parse_feed
from bot.parse.fast import Unsupported, parse_fast
from bot.parse.feed import parse_with_feedparser
from bot.parse.prepare import to_utf8
from bot.parse.raw import utc_datetime

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "peer" / "feedparser-tests"
DIFFERENCES = ROOT / "tests" / "fixtures" / "feedparser-corpus-differences.txt"
# the kinds of deliberate difference, and what each allows
ENTRY_KINDS = {"entity-refused", "same-identity"}
TITLE_KINDS = {"charset-detected", "stray-bytes-replaced", "html-as-browsers", "nested-in-category"}
# script text a title must never show, whatever the file says
SCRIPT_TEXT = re.compile(r"<script|<!--|-->|alert\(|location\.href|executeMe|javascript:", re.I)
# a "<" that opens a tag in HTML
MARKUP = re.compile(r"<[A-Za-z/!?]")
HEADER = re.compile(r"^Header:\s+([^:]+):(.*)$", re.M)


@dataclass
class Outcome:
    path: str
    refused: str | None = None
    reference_entries: int = 0
    reference_identities: int = 0
    items: int = 0
    # (which, feedparser's title as text, ours), for every title that differs
    title_differences: list[tuple[str, str, str]] = field(default_factory=list)
    # (ours, feedparser's as text), for every title
    titles: list[tuple[str, str]] = field(default_factory=list)
    # (which, field, feedparser's, ours), for every link, date and author that differs
    field_differences: list[tuple[str, str, object, object]] = field(default_factory=list)
    fast: bool = False
    fast_equals_fallback: bool = True


def headers_of(body: bytes) -> dict[str, str]:
    """The HTTP headers a corpus file asks its test server to send ("Header: Content-type: ...")."""
    head = body[:2048].decode("utf-8", "ignore") if b"Header:" in body[:2048] else ""
    return {name.strip().lower(): value.strip() for name, value in HEADER.findall(head)}


def is_html(detail: Mapping[str, Any] | None) -> bool:
    return (detail or {}).get("type", "text/html") in ("text/html", "application/xhtml+xml")


def reference_title(context: Mapping[str, Any]) -> str:
    """feedparser's title, sanitized by feedparser, as the text BeautifulSoup finds in it."""
    title = context.get("title", "")
    if is_html(context.get("title_detail")):
        title = BeautifulSoup(title, "html.parser").get_text(" ")
    return " ".join(title.split())


def reference_date(entry: Mapping[str, Any]) -> datetime | None:
    # dict.get: FeedParserDict.get("updated_parsed") falls back to published_parsed with a warning
    return utc_datetime(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))


def reference_identity(entry: Mapping[str, Any]) -> str:
    title = reference_title(entry)
    return item_key(entry.get("id"), entry.get("link"), title, reference_date(entry))


def compare(path: Path) -> Outcome:
    rel = path.relative_to(CORPUS).as_posix()
    body = path.read_bytes()
    headers = headers_of(body)
    url = f"http://127.0.0.1:8097/{rel}"
    outcome = Outcome(rel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser's own deprecation and bozo warnings
        reference = feedparser.parse(
            io.BytesIO(body), response_headers={"content-location": url, **headers}
        )
    outcome.reference_entries = len(reference.entries)
    outcome.reference_identities = len({reference_identity(e) for e in reference.entries})
    try:
        ours = parse_feed(body, url=url, headers=headers)
    except ParseError as exc:
        outcome.refused = str(exc)
        return outcome
    outcome.items = len(ours.items)
    pairs = [("feed", reference.feed, ours.title)]
    if len(ours.items) == len(reference.entries):
        for n, (entry, item) in enumerate(zip(reference.entries, ours.items, strict=True)):
            pairs.append((f"entry {n}", entry, item.title))
            link = (entry.get("link") or "").strip()
            fields = {
                "link": (urljoin(url, link) if link else None, item.link),
                "date": (reference_date(entry), item.published),
                "author": (entry.get("author") or None, item.author),
            }
            outcome.field_differences += [
                (f"entry {n}", name, theirs, mine)
                for name, (theirs, mine) in fields.items()
                if theirs != mine
            ]
    for which, context, title in pairs:
        expected = reference_title(context)
        outcome.titles.append((title, expected))
        if expected != title:
            outcome.title_differences.append((which, expected, title))
    data = to_utf8(body, headers.get("content-type"))
    try:
        fast = parse_fast(data)
    except Unsupported:
        return outcome
    outcome.fast = True
    outcome.fast_equals_fallback = fast == parse_with_feedparser(data, url=url, base=url)
    return outcome


def read_differences() -> dict[str, tuple[str, str]]:
    """path -> (kind, reason), from the checked-in list."""
    listed: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(DIFFERENCES.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        path, kind, reason = line.split(maxsplit=2)
        assert kind in ENTRY_KINDS | TITLE_KINDS, f"{DIFFERENCES.name}:{number}: kind {kind!r}"
        assert path not in listed, f"{DIFFERENCES.name}:{number}: {path} listed twice"
        listed[path] = (kind, reason)
    return listed


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    if not CORPUS.is_dir():
        pytest.skip(
            f"feedparser's test corpus is not at {CORPUS} (a copy of feedparser's tests/ folder)"
        )
    return [compare(p) for p in sorted(CORPUS.rglob("*.xml"))]


@pytest.fixture(scope="module")
def listed() -> dict[str, tuple[str, str]]:
    return read_differences()


def test_the_whole_corpus_is_read(
    outcomes: list[Outcome], listed: dict[str, tuple[str, str]]
) -> None:
    fast = sum(o.fast for o in outcomes)
    kinds = Counter(kind for kind, _ in listed.values())
    # the figures the project quotes: `pytest -s tests/test_parse_corpus.py` prints them
    print(
        f"\ncorpus: {len(outcomes)} files, fast path {fast} ({fast / len(outcomes):.0%}), "
        f"refused {sum(bool(o.refused) for o in outcomes)}, deliberate differences {dict(kinds)}"
    )
    assert len(outcomes) > 2000
    assert fast > 0.25 * len(outcomes), "the fast path takes too few files to be tested here"


def test_no_entry_feedparser_finds_is_lost(
    outcomes: list[Outcome], listed: dict[str, tuple[str, str]]
) -> None:
    lost = {o.path: o for o in outcomes if o.items < o.reference_entries}
    allowed = {path for path, (kind, _) in listed.items() if kind in ENTRY_KINDS}
    assert set(lost) <= allowed, [lost[p] for p in set(lost) - allowed]


def test_listed_entry_differences_are_current(
    outcomes: list[Outcome], listed: dict[str, tuple[str, str]]
) -> None:
    by_path = {o.path: o for o in outcomes}
    for path, (kind, _) in listed.items():
        outcome = by_path[path]
        if kind == "entity-refused":
            assert outcome.refused and "entity declarations" in outcome.refused, outcome
        elif kind == "same-identity":  # entries feedparser returns twice are one item here
            assert outcome.reference_identities == outcome.items < outcome.reference_entries


def test_refusals_are_entity_declarations_or_not_feeds(
    outcomes: list[Outcome], listed: dict[str, tuple[str, str]]
) -> None:
    for o in outcomes:
        if o.refused and o.path not in listed:
            assert o.reference_entries == 0 and "is not an RSS/Atom feed" in o.refused, o


def test_titles_are_the_text_feedparser_shows(
    outcomes: list[Outcome], listed: dict[str, tuple[str, str]]
) -> None:
    differing = {o.path: o.title_differences for o in outcomes if o.title_differences}
    allowed = {path for path, (kind, _) in listed.items() if kind in TITLE_KINDS}
    assert set(differing) == allowed, {p: differing.get(p) for p in set(differing) ^ allowed}


def test_links_dates_and_authors_are_feedparsers(outcomes: list[Outcome]) -> None:
    """feedparser given the feed's URL (as it is when it fetches): no deliberate difference."""
    assert [(o.path, o.field_differences) for o in outcomes if o.field_differences] == []


def test_no_title_has_markup_or_script_text(outcomes: list[Outcome]) -> None:
    """A title may show a "<b" only where the text feedparser shows has one too (a plain-text
    "History of the <blink> tag"); none shows script text."""
    for o in outcomes:
        for title, expected in o.titles:
            assert not SCRIPT_TEXT.search(title), (o.path, title)
            assert len(MARKUP.findall(title)) <= len(MARKUP.findall(expected)), (o.path, title)


def test_fast_path_equals_the_fallback_wherever_it_is_taken(outcomes: list[Outcome]) -> None:
    assert [o.path for o in outcomes if not o.fast_equals_fallback] == []
