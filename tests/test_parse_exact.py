"""Each fast path of the parse stage gives exactly what its general path gives.

`parse_feed` and `canonical_link` run once per item of every feed, so the common shapes skip the
general code: a UTF-8 body declared UTF-8 is not decoded and re-encoded, an RFC 822 date does not
walk feedparser's chain of date handlers, and a plain absolute link is not split and put back
together by urljoin or by the canonical-link filter. Each test below generates the usual shapes and
their near misses and holds the fast path to the general one, and each checks that the usual shape
really does take the fast path (otherwise it would be dead code that the comparison cannot notice).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import pytest
from feedparser.datetimes import _parse_date
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.parse import canonical_link, to_utf8
from bot.parse.feed import _absolute
from bot.parse.identity import split_canonical_link
from bot.parse.prepare import reencode
from bot.parse.raw import feed_date, utc_datetime

# ---------------------------------------------------------------------------- charset

DECLARED = st.builds(
    lambda bom, decl, quote, value, body, codec: (
        bom + f"{decl} encoding={quote}{value}{quote}?><a>{body}</a>".encode(codec, "replace")
    ),
    st.sampled_from([b"", b"", b"", b"\xef\xbb\xbf", b" "]),
    st.sampled_from(
        [
            '<?xml version="1.0"',
            '<?XML Version="1.0"',
            "<?xml version='1.0'",
            '<?xml  version="1.0"',
            '<?xml version="1.1"',
        ]
    ),
    st.sampled_from(['"', '"', "'"]),
    st.sampled_from(["utf-8", "UTF-8", "Utf-8", "utf8", "iso-8859-1", "utf-8 ", ""]),
    st.sampled_from(["Việt", "é", "日本", "plain", "\x80", "\udc80"]),
    st.sampled_from(["utf-8", "utf-8", "cp1252", "utf-16-le"]),
)


@settings(max_examples=300, deadline=None)
@given(DECLARED, st.sampled_from([None, "text/xml; charset=iso-8859-1"]))
@example('<?xml version="1.0" encoding="utf-8"?><a>é</a>'.encode("cp1252"), None)  # not UTF-8
@example('<?xml version="1.0" encoding="UTF-8"?><a>日本</a>'.encode(), None)
def test_to_utf8_fast_path_is_the_general_one(body: bytes, content_type: str | None) -> None:
    assert to_utf8(body, content_type) == reencode(body, content_type)


def test_utf8_declared_utf8_is_not_reencoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(body: bytes, content_type: str | None) -> bytes:
        raise AssertionError("reencode called")

    monkeypatch.setattr("bot.parse.prepare.reencode", refuse)
    body = '<?xml version="1.0" encoding="UTF-8"?><rss><t>Việt 日本</t></rss>'.encode()
    assert to_utf8(body, "application/rss+xml") == body.replace(b"UTF-8", b"utf-8")


# ---------------------------------------------------------------------------- links


# URLs built from the pieces where splitting, joining and re-encoding can change something
def mostly(usual: str, odd: list[str]) -> st.SearchStrategy[str]:
    """The usual piece three times in four, so that whole URLs of the usual shape are common."""
    return st.sampled_from([usual] * 3 * len(odd) + odd)


URLS = st.builds(
    "".join,
    st.tuples(
        mostly("", [" ", "\t", "\x01"]),
        mostly("https", ["http", "HTTPS", "Http", "ftp", "mailto", ""]),
        mostly("://", [":", "//", ":///", ":/"]),
        mostly(
            "a.example",
            [
                "A.Example",
                "a.example:80",
                "a.example:443",
                "a.example:8443",
                "a.example:",
                "a.example:x",
                "u:p@a.example",
                "u@a.example",
                "[::1]",
                "[::1]:81",
                "[::1",
                "ví.example",
                "a_b.example",
                "",
                "a.example.",
                "℀.example",
            ],
        ),
        st.lists(
            st.sampled_from(
                ["", "a", "b c", "ư", "%7E", "x;p", "x;", "\t", "..", "p.html", "\n", "?", "#"]
            ),
            max_size=3,
        ).map(lambda segs: "".join("/" + seg for seg in segs)),
        st.one_of(
            st.just(""),
            st.lists(
                st.sampled_from(
                    [
                        "utm_source=rss",
                        "UTM_Medium=x",
                        "id=3",
                        "q=",
                        "q",
                        "=v",
                        "a=b+c",
                        "x=%7E",
                        "fbclid=1",
                        "a=1=2",
                        "",
                        "k=ví",
                        "k=a b",
                        "pk_campaign=z",
                        "a~=.-_",
                        "s=a;b",
                        "utm%5Fsource=x",
                        "k%41=1",
                        "K=V",
                    ]
                ),
                max_size=4,
            ).map(lambda ps: "?" + "&".join(ps)),
        ),
        st.sampled_from(["", "#", "#frag", "#a#b", "#\t"]),
        st.sampled_from(["", " ", "\r\n"]),
    ),
)
ANY_URL = st.one_of(URLS, URLS, URLS, st.text(max_size=30))


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", fn())
    except ValueError as exc:
        return ("error", type(exc))


@settings(max_examples=500, deadline=None)
@given(ANY_URL)
@example("https://a.example/p?utm%5Fsource=x&id=1")  # a tracking parameter once unquoted
@example("https://a.example/p?id=%7E1")
@example("https://a.example/p?q=a+b")
@example("https://a.example/p?flag&id=1")
@example("https://a.example/p?=1")
@example("https://a.example/p?a=1;b=2")
def test_canonical_link_is_its_definition(url: str) -> None:
    # the fast path for plain links gives what splitting, filtering and re-joining gives
    assert outcome(lambda: canonical_link(url)) == outcome(lambda: split_canonical_link(url))


@settings(max_examples=500, deadline=None)
@given(
    ANY_URL,
    st.sampled_from(["https://f.example/feeds/1.xml", "http://f.example/", "https://f.example"]),
)
def test_item_links_are_joined_as_urljoin_joins_them(link: str, base: str) -> None:
    expected = (lambda: urljoin(base, link.strip())) if link.strip() else (lambda: None)
    assert outcome(lambda: _absolute(link, base)) == outcome(expected)


def test_plain_links_take_the_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    # the common shape must not reach urlsplit, or the fast paths would be dead code
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("urlsplit called")

    monkeypatch.setattr("bot.parse.identity.urlsplit", refuse)
    monkeypatch.setattr("bot.parse.feed.urljoin", refuse)
    link = "https://news.example/a/7?id=3&utm_source=rss&fbclid=x#top"
    assert canonical_link(link) == "https://news.example/a/7?id=3"
    assert _absolute(f" {link} ", "https://feeds.example/rss") == link


# ---------------------------------------------------------------------------- dates

# RFC 822 dates as feeds write them, and near misses: impossible days and times, years at the ends
# of the calendar, lowercase names, other zones, missing parts
RFC822_DATES = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["Tue, ", "Sat, ", "", "tue, ", "Fri,", "Thu, "]),
        st.sampled_from(["03", "3", "31", "00", "29", "30", "003", "٣"]),
        st.sampled_from([" Feb ", " Oct ", " May ", " feb ", " Sept ", "  Dec "]),
        st.sampled_from(["2026", "1", "0001", "9999", "0000", "26", "1999"]),
        st.sampled_from([" 12:30:00", " 00:00:00", " 23:59:60", " 24:00:00", " 9:30:00", ""]),
        st.sampled_from(
            [
                " +0000",
                " -0530",
                " +0030",
                " +0900",
                " GMT",
                " UT",
                " Z",
                " EST",
                " +09:00",
                " -2400",
                " +9999",
                "",
                " utc",
            ]
        ),
    ),
) | st.text(max_size=12)


def by_feedparser(*values: str | None) -> object:
    parsed = next((p for p in map(_parse_date, values) if p), None)  # feedparser's `or`
    return utc_datetime(parsed)


@settings(max_examples=500, deadline=None)
@given(RFC822_DATES)
@example("Sat, 01 Jan 0001 00:00:00 +0100")  # before year 1 in UTC: feedparser finds year 100
@example("Fri, 31 Dec 9999 23:00:00 -0500")
@example("Mon, 31 Feb 2026 10:00:00 +0000")
@example("Tue, 03 Feb 2026 12:30:00 +0030")
@example("Tue, 03 Feb 2026 12:30:00 -0000")
def test_dates_read_as_feedparser_reads_them(value: str) -> None:
    assert feed_date(value) == by_feedparser(value)


@settings(max_examples=200, deadline=None)
@given(st.none() | RFC822_DATES, st.none() | RFC822_DATES)
@example("0000-01-01", "Tue, 03 Feb 2026 12:30:00 +0900")  # read, but impossible: no date at all
def test_published_else_updated_as_feedparser_picks(
    published: str | None, updated: str | None
) -> None:
    assert feed_date(published, updated) == by_feedparser(published, updated)


def test_common_dates_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: str) -> None:
        raise AssertionError("feedparser's date parser called")

    monkeypatch.setattr("bot.parse.raw._parse_date", refuse)
    assert feed_date("Tue, 03 Feb 2026 12:30:00 +0900") == datetime(2026, 2, 3, 3, 30, tzinfo=UTC)
    assert feed_date("3 Feb 2026 12:30:00 -0530") == datetime(2026, 2, 3, 18, 0, tzinfo=UTC)
