"""Feed bytes -> `ParsedFeed`: charset repair, an XML pre-screen, then feedparser on bytes.

`parse_feed` is a pure function of its arguments (no I/O, no shared state), so the pipeline may run it
in a process pool; everything it returns pickles.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import feedparser
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from bot.errors import ParseError
from bot.fetch.discover import advertised_feeds
from bot.models import Item, ParsedFeed

# ---------------------------------------------------------------------------- identity

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "spm",
        "__twitter_impression",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name.startswith(("utm_", "hsa_", "pk_")) or name in _TRACKING_PARAMS


def canonical_link(url: str) -> str:
    """Drop the fragment and tracking parameters, lowercase scheme and host, drop default ports."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        return url
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k)
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def item_key(guid: str | None, link: str | None, title: str, published: datetime | None) -> str:
    """Stable identity: the guid/id, else the canonical link, else a hash of title and date."""
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    if link and link.strip():
        return f"link:{canonical_link(link)}"
    stamp = published.astimezone(UTC).isoformat() if published else ""
    digest = hashlib.sha1(f"{title.strip()}|{stamp}".encode()).hexdigest()
    return f"sha1:{digest}"


# ---------------------------------------------------------------------------- charset

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", re.I)
_XML_DECL_BYTES = re.compile(
    rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def to_utf8(body: bytes, content_type: str | None) -> bytes:
    """Decode with the best-supported charset and re-encode as UTF-8 with a matching declaration.

    Order: BOM; valid UTF-8 (wins over a wrong declaration: Latin-1 text is almost never valid UTF-8,
    while Vietnamese UTF-8 mislabelled as ISO-8859-1 is common); the HTTP charset; the XML
    declaration; windows-1252 as the last resort, which decodes any byte string.
    """
    text = _decode(body, content_type).lstrip("\ufeff")
    return _XML_DECL_ENCODING.sub(r'\1"utf-8"', text, count=1).encode("utf-8")


def _decode(body: bytes, content_type: str | None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    sniffed = _sniff_utf16(body)
    if sniffed:
        return body.decode(sniffed, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    header = _HEADER_CHARSET.search(content_type or "")
    declared = _XML_DECL_BYTES.search(body[:512])
    candidates = [
        header.group(1) if header else None,
        declared.group(1).decode("ascii") if declared else None,
    ]
    for encoding in filter(None, candidates):
        text = _try_decode(body, encoding)
        if text is not None:
            return text
    return body.decode("windows-1252", "replace")


def _sniff_utf16(body: bytes) -> str | None:
    if body.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if body.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    return None


def _try_decode(body: bytes, encoding: str) -> str | None:
    try:
        codecs.lookup(encoding)
        return body.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------------------- screening


class _RootReached(Exception):
    pass


class _StopAtRoot:
    """A parser target that stops expat at the first element: entity declarations can only live in
    the prolog, so the pre-screen costs the prolog, not the document."""

    def start(self, tag: str, attrs: Mapping[str, str]) -> None:
        raise _RootReached

    def close(self) -> None:
        return None


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_FIRST_ELEMENT = re.compile(rb"<\w")


def prescreen(data: bytes, *, url: str) -> None:
    """Refuse entity declarations and external references before feedparser sees the bytes.

    A feed declaring one 'harmless' entity and referencing it thousands of times expands to
    gigabytes in feedparser's loose parser; real feeds never need to declare entities.
    """
    parser = DefusedXMLParser(
        target=_StopAtRoot(), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        parser.close()
    except _RootReached:
        return
    except (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden) as exc:
        raise ParseError(
            f"parse: {url}: refusing XML entity declarations ({exc})", url=url
        ) from None
    except XMLSyntaxError:
        # malformed prolog: feedparser's loose parser will still try, and it honours the
        # declarations it finds before the first element, so look for them by hand
        first = _FIRST_ELEMENT.search(data)
        head = data[: first.start()] if first else data
        if _ENTITY_DECL.search(head):
            raise ParseError(f"parse: {url}: refusing XML entity declarations", url=url) from None


_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)


def is_html_page(data: bytes, content_type: str | None) -> bool:
    head = data[:4096]
    if _HTML_START.match(head):
        return True
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml") and not re.search(
        rb"<(?:[\w-]+:)?(rss|feed|RDF)[\s>]", head
    )


def _html_error(data: bytes, *, url: str) -> ParseError:
    feeds = advertised_feeds(data.decode("utf-8", "replace"), url)
    if feeds:
        hint = f"; it advertises a feed: {feeds[0][0]}"
    else:
        hint = "; try `newsbot feeds discover URL`"
    return ParseError(f"parse: {url} is an HTML page, not a feed{hint}", url=url)


# ---------------------------------------------------------------------------- parsing


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str] | None = None, lang: str | None = None
) -> ParsedFeed:
    """Parse fetched feed bytes. Raises `ParseError` for unsafe XML, HTML pages and non-feeds; a
    malformed feed that still yields entries is returned with `ParsedFeed.error` set."""
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = hdrs.get("content-type")
    data = to_utf8(body, content_type)
    if is_html_page(data, content_type):
        raise _html_error(data, url=url)
    prescreen(data, url=url)
    base = urljoin(url, hdrs["content-location"]) if hdrs.get("content-location") else url
    # a stream, not bytes: feedparser tries open() on bytes first, so a body that happens to be a
    # file path would be read from the local disk
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": base,
        },
    )
    error = _bozo_message(parsed)
    if not parsed.entries and not parsed.get("version"):
        raise ParseError(
            f"parse: {url} is not an RSS/Atom feed ({error or 'no feed element'})", url=url
        )
    feed_lang = lang or _primary_language(
        parsed.feed.get("language") or hdrs.get("content-language")
    )
    items: dict[str, Item] = {}
    for entry in parsed.entries:
        item = _item(entry, feed_url=url, base=base, lang=feed_lang)
        items.setdefault(item.key, item)  # duplicate guids: the first occurrence wins
    return ParsedFeed(
        url=url,
        title=_text(parsed.feed.get("title", "")),
        link=_absolute(parsed.feed.get("link"), base),
        items=tuple(items.values()),
        error=error,
    )


def _item(entry: Any, *, feed_url: str, base: str, lang: str | None) -> Item:
    title = _text(entry.get("title", ""))
    link = _absolute(entry.get("link"), base)
    summary = entry.get("summary", "") or ""
    content = _content(entry)
    published = _datetime(entry.get("published_parsed") or entry.get("updated_parsed"))
    guid = entry.get("id") or None
    fallback = title or _text(summary)[:200]
    return Item(
        key=item_key(guid, link, fallback, published),
        feed_url=feed_url,
        title=title,
        link=link,
        summary=summary,
        content=content if content != summary else "",
        guid=guid,
        published=published,
        lang=lang,
        author=entry.get("author") or None,
    )


def _content(entry: Any) -> str:
    parts = entry.get("content") or []
    html_parts = [p.get("value", "") for p in parts if "html" in (p.get("type") or "")]
    return (html_parts or [p.get("value", "") for p in parts] or [""])[0] or ""


def _absolute(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    return urljoin(base, link.strip())


_TAG = re.compile(r"<[^>]*>")


def _text(value: str) -> str:
    """Titles may carry markup (``<b>``, ``&amp;``): reduce them to plain text."""
    return " ".join(html.unescape(_TAG.sub(" ", value or "")).split())


def _datetime(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


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
