"""Build the channel-neutral `Digest` for one destination from its pending items.

Steps: keep the matches the destination wants -> one candidate entry per item (plain-text snippet,
highlights) -> collapse the same story (same canonical link, or near-identical titles published close
together that name the same numbers, dates and names) -> group by rule (or by tag when the destination
routes on tags) -> rank by score, then recency. A collapsed article is never hidden: it stays on its
story's entry as a `Coverage` (outlet, title, link), which every channel renders as a link.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.config import DestinationConfig
from bot.digest.place import place
from bot.digest.story import numbers, story_marks, story_title
from bot.digest.text import (
    SCAN_CHARS,
    Highlighter,
    clean_line,
    find_terms,
    shift_spans,
    snippet_window,
    strip_html,
)
from bot.feedback.links import with_feedback
from bot.i18n import LocalText
from bot.models import (
    Coverage,
    Digest,
    DigestEntry,
    DigestGroup,
    FeedHealth,
    PendingItem,
    RuleMatch,
)
from bot.rules.scan import merge_spans
from bot.rules.text import has_cjk

#: two items with near-identical titles are one story only if published this close together
SAME_STORY_WINDOW = timedelta(hours=72)
#: Jaccard similarity of title tokens at or above which two titles are "near-duplicates"
TITLE_SIMILARITY = 0.75
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(slots=True)
class _Candidate:
    item: PendingItem
    matches: tuple[RuleMatch, ...]  # only the ones this destination wants, best first
    entry: DigestEntry
    when: datetime
    tokens: frozenset[str]
    marks: frozenset[str]  # numbers, dates and names in the title (see bot.digest.story)
    merged: list[_Candidate] = field(default_factory=list)


def build_digest(
    *,
    destination: DestinationConfig,
    items: Sequence[PendingItem],
    key: str,
    period_start: datetime | None,
    period_end: datetime,
    health: Sequence[FeedHealth] = (),
    highlight: Highlighter | None = None,
    titles: Mapping[str, LocalText] | None = None,
) -> Digest:
    """The digest `destination` should receive for `items` (may be empty: check ``is_empty``)."""
    candidates = [
        c for c in (_candidate(destination, item, highlight) for item in items) if c is not None
    ]
    stories = collapse_same_story(candidates)
    # each rule's heading in the reader's language (else English, else the rule's name)
    names = {r: t.get(destination.locale) for r, t in (titles or {}).items()}
    groups = _group(stories, tags=destination.tags, titles=names, highlight=highlight)
    fired = Counter(rule for c in stories for rule in c.entry.rules)
    start = shown_start(items, period_start)
    digest = Digest(
        key=key,
        destination=destination.name,
        title=clean_line(destination.title),
        period_start=start if period_start is not None else None,
        period_end=period_end,
        timezone=destination.timezone,
        groups=groups,
        rules_fired=tuple(
            rule for rule, _ in sorted(fired.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        source_health=tuple(sorted(health, key=lambda h: (not h.is_failing, h.name.casefold()))),
        rule_titles=tuple((r, clean_line(names[r])) for r in fired if names.get(r)),
        since=start if period_start is None else None,
    )
    return with_feedback(digest, destination.feedback) if destination.feedback else digest


def shown_start(items: Sequence[PendingItem], period_start: datetime | None) -> datetime | None:
    """Where the period the reader sees begins: at the last digest (`period_start`), or earlier, at
    the oldest article this digest brings that was already waiting then, by the time the reader
    sees on it (its publication, else its arrival). None: a first digest with nothing dated.

    Why: readers take the period to describe the articles. Without this a destination's first
    digest said "since <now>" (its articles had just arrived, published an hour before), and a
    digest after an urgent-only one showed "16:40–16:40" over articles published at 16:12 that
    had waited since before it."""
    start = as_utc(period_start) if period_start is not None else None
    times = [start] if start is not None else []
    for item in items:
        if item.fetched_at.year == 1:  # a store that did not record the arrival
            continue
        arrived = as_utc(item.fetched_at)
        if start is None or arrived < start:
            # a publication after the arrival is a feed's clock error: the arrival stands
            published = as_utc(item.published) if item.published is not None else arrived
            times.append(min(arrived, published))
    return min(times, default=None)


def _candidate(
    destination: DestinationConfig, item: PendingItem, highlight: Highlighter | None
) -> _Candidate | None:
    wanted = tuple(
        sorted(
            (m for m in item.matches if destination.wants(m.rule, m.tags, m.score)),
            key=lambda m: (-m.score, m.rule),
        )
    )
    if not wanted:
        return None
    rules = tuple(dict.fromkeys(m.rule for m in wanted))
    # a title is text, not markup: "<" in it is shown (escaped by each channel), never parsed
    title = clean_line(item.title)  # "" shows as "(untitled)", in the reader's language
    entry = DigestEntry(
        item_id=item.item_id,
        title=title,
        link=item.link,
        outlet=clean_line(item.outlet) or clean_line(item.feed_url),
        lang=clean_line(item.lang) if item.lang else None,
        published=item.published,
        snippet="",  # set once the entry is placed: it shows the placing rule's terms
        highlights=(),
        score=wanted[0].score,
        rules=rules,
        tags=tuple(dict.fromkeys(t for m in wanted for t in m.tags)),
    )
    return _Candidate(
        item=item,
        matches=wanted,
        entry=entry,
        when=as_utc(item.published or item.fetched_at),
        tokens=title_tokens(title),
        marks=story_marks(title),
    )


def as_utc(dt: datetime) -> datetime:
    # a naive time from a feed is taken as UTC, so naive and aware times can be compared
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def make_snippet(
    item: PendingItem, matches: Sequence[RuleMatch], highlight: Highlighter | None
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A short plain-text snippet of the item, placed to show a matched term, with its highlights."""
    text = strip_html(item.summary) or strip_html(item.content)
    scan = text[:SCAN_CHARS]
    rules = [m.rule for m in matches]
    if highlight is not None:
        spans = merge_spans(highlight(scan, rules))
    else:
        spans = find_terms(scan, (t for m in matches for t in m.terms))
    snippet, offset = snippet_window(text, spans)
    return snippet, shift_spans(spans, offset, len(snippet))


def title_tokens(title: str) -> frozenset[str]:
    """Tokens for near-duplicate detection: words, or character bigrams for scripts without spaces."""
    folded = unicodedata.normalize("NFKC", story_title(title)).casefold()
    tokens: set[str] = set()
    for word in _WORD.findall(folded):
        if len(word) > 3 and has_cjk(word):
            tokens.update(word[i : i + 2] for i in range(len(word) - 1))
        else:
            tokens.add(word)
    return frozenset(tokens)


def is_same_story(a: _Candidate, b: _Candidate) -> bool:
    link_a = a.item.canonical_link or a.item.link
    if link_a and link_a == (b.item.canonical_link or b.item.link):
        return True
    return has_similar_title(a, b)


def has_similar_title(a: _Candidate, b: _Candidate) -> bool:
    """Jaccard similarity of title tokens >= TITLE_SIMILARITY, published within the window, and no
    conflicting numbers, dates or names ("agree 5 projects" is not "agree 6 projects")."""
    la, lb = len(a.tokens), len(b.tokens)
    if la < 3 or lb < 3 or min(la, lb) < TITLE_SIMILARITY * max(la, lb):
        return False
    if abs(a.when - b.when) > SAME_STORY_WINDOW:
        return False
    if marks_conflict(a.marks, b.marks):
        return False
    if a.entry.outlet == b.entry.outlet:
        # one desk's versions of a story keep its words ("(update 2)" adds some); a swapped word
        # from the same desk is its next templated story ("… energy cooperation" / "… healthcare")
        return a.tokens <= b.tokens or b.tokens <= a.tokens
    return similarity(a, b) >= TITLE_SIMILARITY


def similarity(a: _Candidate, b: _Candidate) -> float:
    overlap = len(a.tokens & b.tokens)
    return overlap / (len(a.tokens) + len(b.tokens) - overlap)


def collapse_same_story(candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """One candidate per story: the best-scored, most recent one, naming the other outlets.

    Near-identical titles are found with prefix filtering: with every title's tokens ordered
    rarest first, two titles of Jaccard similarity >= t must share one of their first
    ``len - ceil(t * len) + 1`` tokens. Indexing only those keeps this near-linear even when
    most titles share common words ("Vietnam", "Japan").
    """
    ordered = sorted(candidates, key=_rank)
    df = Counter(tok for c in ordered for tok in c.tokens)
    leaders: list[_Candidate] = []
    by_prefix: dict[str, list[int]] = {}
    by_link: dict[str, int] = {}
    by_title: list[tuple[_Candidate, list[str], int]] = []  # folded for a similar title
    for cand in ordered:
        link = cand.item.canonical_link or cand.item.link
        home = by_link.get(link) if link else None
        prefix = _prefix(cand, df)
        if home is not None:
            leaders[home].merged.append(cand)
            continue
        home = _similar_leader(cand, prefix, leaders, by_prefix)
        if home is not None:
            by_title.append((cand, prefix, home))
            continue
        leaders.append(cand)
        idx = len(leaders) - 1
        if link:
            by_link[link] = idx
        for token in prefix:
            by_prefix.setdefault(token, []).append(idx)
    # a story's own leader may come later in rank order than a rewording of it: with every leader
    # known, each folded title joins the leader it is most similar to
    for cand, prefix, home in by_title:
        best = _similar_leader(cand, prefix, leaders, by_prefix)
        leaders[home if best is None else best].merged.append(cand)
    return [_with_coverage(c) for c in leaders]


def _prefix(cand: _Candidate, df: Counter[str]) -> list[str]:
    """The index keys of `cand`: its rarest title tokens, each under its numbers and dates (two
    titles of different numbers are never one story, so a templated burst of "… 5 projects",
    "… 6 projects" compares nothing across numbers and stays near-linear)."""
    ranked = sorted(cand.tokens, key=lambda t: (df[t], t))
    dated = " ".join(sorted(numbers(cand.marks)))
    keep = len(ranked) - math.ceil(TITLE_SIMILARITY * len(ranked)) + 1
    return [f"{dated}\x00{token}" for token in ranked[:keep]]


def _similar_leader(
    cand: _Candidate,
    prefix: Sequence[str],
    leaders: Sequence[_Candidate],
    by_prefix: dict[str, list[int]],
) -> int | None:
    """The most similar leader `cand` is the same story as (the first such, on a tie)."""
    seen: set[int] = set()
    best: tuple[float, int] | None = None
    for token in prefix:
        for idx in by_prefix.get(token, ()):
            if idx not in seen:
                seen.add(idx)
                if has_similar_title(leaders[idx], cand):
                    sim = similarity(leaders[idx], cand)
                    if best is None or (sim, -idx) > (best[0], -best[1]):
                        best = (sim, idx)
    return best[1] if best is not None else None


def marks_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two near-identical titles are different stories when their numbers or dates differ at
    all, or when each names something the other does not (a substitution: Osaka vs Danang).
    A name only one of them adds ("PM Kishida" vs "Kishida") is elaboration, not a conflict."""
    if numbers(a) != numbers(b):
        return True
    return bool(a - b) and bool(b - a)


def _with_coverage(cand: _Candidate) -> _Candidate:
    if not cand.merged:
        return cand
    rules = tuple(
        dict.fromkeys((*cand.entry.rules, *(r for m in cand.merged for r in m.entry.rules)))
    )
    # other outlets first (the same story elsewhere), then this outlet's own re-runs; best first
    merged = sorted(cand.merged, key=lambda m: (m.entry.outlet == cand.entry.outlet, _rank(m)))
    also = tuple(
        Coverage(
            item_id=m.item.item_id, outlet=m.entry.outlet, title=m.entry.title, link=m.entry.link
        )
        for m in merged
    )
    cand.entry = replace(cand.entry, also=also, rules=rules)
    return cand


def _rank(c: _Candidate) -> tuple[float, float, int]:
    return (-c.entry.score, -c.when.timestamp(), c.item.item_id)


def _group(
    stories: Sequence[_Candidate],
    *,
    tags: Sequence[str],
    titles: Mapping[str, str],
    highlight: Highlighter | None,
) -> tuple[DigestGroup, ...]:
    """Each story goes in exactly one group: the rule whose topic it is most about (see
    bot.digest.place), or, for a destination that routes on tags, the first of its tags the
    destination asked for. Its snippet then highlights what filed it there: that rule's terms
    (or the terms of its rules with that tag), not every term of every rule it matched.
    """
    reach = Counter(rule for cand in stories for rule in cand.entry.rules)
    buckets: dict[str, list[_Candidate]] = {}
    for cand in stories:
        routed = [t for t in cand.entry.tags if t in tags]
        if routed:
            name = routed[0]
            reasons = [m for m in cand.matches if name in m.tags] or list(cand.matches)
        else:
            name = place(cand.item, cand.matches, reach=reach.__getitem__, highlight=highlight)
            reasons = [m for m in cand.matches if m.rule == name]
        snippet, spans = make_snippet(cand.item, reasons, highlight)
        cand.entry = replace(cand.entry, snippet=snippet, highlights=spans)
        buckets.setdefault(name, []).append(cand)
    groups = [
        DigestGroup(
            name=name,
            entries=tuple(c.entry for c in sorted(members, key=_rank)),
            title=clean_line(titles.get(name, "")),
        )
        for name, members in buckets.items()
    ]
    groups.sort(key=lambda g: (-g.entries[0].score, -len(g.entries), g.name))
    return tuple(groups)
