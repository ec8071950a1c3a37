"""Feed bytes -> `ParsedFeed`: charset repair, an XML pre-screen, then lxml (`bot.parse.fast`) for
plain RSS 2.0 / Atom 1.0 and feedparser for everything else.

`parse_feed` is a pure function of its arguments (no I/O, no shared state), so the pipeline may run it
in worker processes (`bot.workers`); everything it returns pickles.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.errors import ParseError
from bot.models import Item, ParsedFeed
from bot.parse.fast import Unsupported, parse_fast
from bot.parse.identity import item_key
from bot.parse.prepare import html_page_error, is_html_page, prescreen, to_utf8
from bot.parse.raw import RawEntry, RawFeed, utc_datetime
from bot.parse.text import html_text, plain_title, title_text


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str] | None = None, lang: str | None = None
) -> ParsedFeed:
    """Parse fetched feed bytes. Raises `ParseError` for unsafe XML, HTML pages and non-feeds; a
    malformed feed that still yields entries is returned with `ParsedFeed.error` set."""
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = hdrs.get("content-type")
    data = to_utf8(body, content_type)
    if is_html_page(data, content_type):
        raise html_page_error(data, url=url)
    prescreen(data, url=url)
    base = urljoin(url, hdrs["content-location"]) if hdrs.get("content-location") else url
    # most feeds are plain RSS 2.0 / Atom 1.0, which lxml reads far faster; the rest go to feedparser
    try:
        raw = parse_fast(data)
    except Unsupported:
        raw = parse_with_feedparser(data, url=url, base=base)
    feed_lang = lang or _primary_language(raw.language or hdrs.get("content-language"))
    items: dict[str, Item] = {}
    for entry in raw.entries:
        item = _item(entry, feed_url=url, base=base, lang=feed_lang)
        items.setdefault(item.key, item)  # duplicate guids: the first occurrence wins
    return ParsedFeed(
        url=url,
        title=raw.title,
        link=_absolute(raw.link, base),
        items=tuple(items.values()),
        error=raw.error,
    )


def parse_with_feedparser(data: bytes, *, url: str, base: str) -> RawFeed:
    """The slow path, for every feed `parse_fast` declines: any RSS/RDF/Atom version, broken XML."""
    # A stream, not bytes: feedparser tries open() on bytes first, so a body that happens to be a
    # file path would be read from the local disk. The base URL only where xml:base is used: given
    # one, feedparser joins it onto every element (a third of its time) and rewrites relative
    # guids, but without one an xml:base stays in force after its element ends, and the next
    # item's relative links resolve against it. Other item links are resolved against `base`
    # below, and links inside summaries are not needed (digests show plain text).
    # No HTML sanitizing (~20% of the parse): feed HTML is never rendered as HTML. Every consumer
    # reduces it to text and drops script/style itself (bot.rules.text, bot.digest.text), and
    # titles are reduced to text (bot.parse.text).
    headers = {"content-type": "application/xml; charset=utf-8"}
    if b"xml:base" in data:
        headers["content-location"] = base
    parsed = feedparser.parse(
        io.BytesIO(_without_nested_elements(data)),
        response_headers=headers,
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    error = _bozo_message(parsed)
    if not parsed.entries and not parsed.get("version"):
        raise ParseError(
            f"parse: {url} is not an RSS/Atom feed ({error or 'no feed element'})", url=url
        )
    return RawFeed(
        title=_title(parsed.feed),
        link=parsed.feed.get("link"),
        language=parsed.feed.get("language"),
        entries=tuple(_raw_entry(e) for e in parsed.entries),
        error=error,
    )


# An element that `bot.parse.fast` ignores holding more than text, as in `<category>News<image>
# <title>..</title><link>..</link></image></category>`: feedparser would read the nested title and
# link as the item's.
_IGNORED_WITH_MARKUP = re.compile(
    rb"(<((?:[\w.-]+:)?(?:category|comments|enclosure))\b[^>]*(?<!/)>)"  # 1: start tag, 2: name
    rb"([^<]*(?:<!\[CDATA\[.*?\]\]>[^<]*)*)"  # 3: its text
    # 4: the nested elements, never across an item's start or end (an unclosed category in a broken
    # feed must not swallow the items after it); 5: the end tag
    rb"(<[A-Za-z_](?:(?!</?(?:[\w.-]+:)?(?:item|entry)\b).)*?)(</\2\s*>)",
    re.DOTALL,
)


def _without_nested_elements(data: bytes) -> bytes:
    """The document without the elements nested in a category, comments or enclosure (newsbot
    keeps none of the three), as `bot.parse.fast` reads it."""
    return _IGNORED_WITH_MARKUP.sub(rb"\1\3\5", data)


def _raw_entry(entry: Any) -> RawEntry:
    # dict.get: FeedParserDict.get("updated_parsed") falls back to published_parsed with a
    # DeprecationWarning
    when = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return RawEntry(
        title=_title(entry),
        link=entry.get("link"),
        summary=entry.get("summary", "") or "",
        content=_content(entry),
        id=entry.get("id") or None,
        published=utc_datetime(when),
        author=entry.get("author") or None,
    )


def _title(context: Any) -> str:
    """A feed's or an entry's title as text: feedparser tells plain text from HTML in
    ``title_detail`` (for RSS by guessing, as `bot.parse.fast` does)."""
    detail = context.get("title_detail") or {}
    is_html = detail.get("type", "text/html") in ("text/html", "application/xhtml+xml")
    return title_text(context.get("title", ""), is_html=is_html)


def _item(entry: RawEntry, *, feed_url: str, base: str, lang: str | None) -> Item:
    title = entry.title
    link = _absolute(entry.link, base)
    summary = entry.summary
    content = entry.content
    fallback = title or html_text(summary)[:200]
    return Item(
        key=item_key(entry.id, link, fallback, entry.published),
        feed_url=feed_url,
        title=title,
        link=link,
        summary=summary,
        content=content if content != summary else "",
        guid=entry.id,
        published=entry.published,
        lang=lang,
        author=entry.author,
    )


def _content(entry: Any) -> str:
    parts = entry.get("content") or []
    html_parts = [p.get("value", "") for p in parts if "html" in (p.get("type") or "")]
    return (html_parts or [p.get("value", "") for p in parts] or [""])[0] or ""


def _absolute(link: str | None, base: str) -> str | None:
    if not link:
        return None
    link = link.strip()
    if not link:
        return None
    if _PLAIN_ABSOLUTE.fullmatch(link):
        return link  # urljoin would split it and put it back together unchanged
    return urljoin(base, link)


# An absolute http(s) link that urlsplit/urlunsplit give back unchanged: lowercase scheme, an ASCII
# host without brackets, no ";params", no empty "?" or "#", nothing urlsplit removes.
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.:@%_~!$&'()*+,=-]+(?:/[^?#;\t\r\n]*)?(?:\?[^#\t\r\n]+)?(?:#[^\t\r\n]+)?"
)


#: words that name the format, not the outlet: "VnExpress - RSS", "RSS: Delta Wire", "Home :: X"
_RSS = r"(?:rss|atom)(?:\s*(?:2\.0|feed))?"
_FORMAT = rf"{_RSS}|(?:news\s*)?feed|home(?:page)?"
_SEP = r"(?:[-|–—:»·]+|::)"
_NOISE_AT_END = re.compile(
    rf"\s*{_SEP}\s*(?:{_FORMAT})$|\s+{_RSS}$|^(?:{_FORMAT})\s*{_SEP}\s*", re.I
)
#: a display name longer than this is cut at a word, with an ellipsis
OUTLET_NAME_MAX = 60


def outlet_name(title: str) -> str | None:
    """A feed's title (`ParsedFeed.title`, already plain text) as the name of its outlet in digests
    and `status`, or None if it has none worth showing: the words naming the format (RSS, Atom,
    feed) trimmed from either end, a long title cut at a word."""
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", plain_title(title)) if ch.isprintable()
    )
    while (trimmed := _NOISE_AT_END.sub("", name).strip()) != name:
        name = trimmed
    if re.fullmatch(_FORMAT, name, re.I):
        return None
    if len(name) > OUTLET_NAME_MAX:
        name = name[:OUTLET_NAME_MAX].rsplit(" ", 1)[0].rstrip(" -|:,") + "…"
    return name or None


def _primary_language(tag: str | None) -> str | None:
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return primary or None


def _bozo_message(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "malformed feed"
    return f"malformed feed: {type(exc).__name__}: {exc}"
