"""Bytes before feedparser: charset repair, the XML entity pre-screen, HTML-page detection."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from xml.etree.ElementTree import ParseError as XMLSyntaxError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from bot.errors import ParseError

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
_PLAIN_UTF8_DECL = re.compile(rb'<\?xml version="1\.0" encoding=("utf-8")', re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def to_utf8(body: bytes, content_type: str | None) -> bytes:
    """Decode with the best-supported charset and re-encode as UTF-8 with a matching declaration.

    Order: a BOM; UTF-16/UTF-32 sniffed from how "<?" is spelt; valid UTF-8 (wins over a wrong
    declaration: Latin-1 text is almost never valid UTF-8, while Vietnamese UTF-8 mislabelled as
    ISO-8859-1 is common); UTF-8 with a few stray bytes, each replaced by U+FFFD (a truncated
    description must not turn the whole feed into mojibake); the HTTP charset; the XML
    declaration; when neither is given, the charset charset-normalizer detects (Shift_JIS, GB2312,
    KOI8-R... served without a label); windows-1252 as the last resort, which decodes any byte
    string.
    """
    plain = _PLAIN_UTF8_DECL.match(body)
    if plain is not None and _is_utf8(body):
        # what `reencode` gives for the declaration most feeds start with, without decoding and
        # re-encoding the whole body
        if plain.group(1) == b'"utf-8"':
            return body
        return body[: plain.start(1)] + b'"utf-8"' + body[plain.end(1) :]
    return reencode(body, content_type)


def reencode(body: bytes, content_type: str | None) -> bytes:
    """`to_utf8` for any body: decoded, the declaration rewritten, encoded again."""
    text = _decode(body, content_type).lstrip("\ufeff")
    return _XML_DECL_ENCODING.sub(r'\1"utf-8"', text, count=1).encode("utf-8")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode(body: bytes, content_type: str | None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    sniffed = _sniff_wide(body)
    if sniffed:
        return body.decode(sniffed, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(body):
        return body.decode("utf-8", "replace")
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
    if not any(candidates):
        detected = _detect(body)
        if detected is not None:
            return detected
    return body.decode("windows-1252", "replace")


# How "<?" starts a document in each encoding that has no ASCII bytes (XML 1.0 appendix F). The
# UTF-32 patterns come first: "<\x00\x00\x00" also starts like UTF-16-LE.
_WIDE_STARTS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


def _sniff_wide(body: bytes) -> str | None:
    for start, encoding in _WIDE_STARTS:
        if body.startswith(start):
            return encoding
    return None


#: valid multi-byte UTF-8 characters per bad byte above which a body is UTF-8 with stray bytes.
#: Legacy charsets form valid sequences only by accident: the worst file of feedparser's corpus
#: (EUC-JP) has 0.4 per bad byte; an English edition of a Vietnamese outlet with one truncated
#: character has a handful (tests/test_parse_fidelity.py holds both sides).
UTF8_PER_BAD_BYTE = 2


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few broken sequences: at least UTF8_PER_BAD_BYTE valid multi-byte characters
    for each bad byte. Text in a legacy 8-bit or double-byte charset almost never forms valid UTF-8
    sequences, so it stays far below that (and goes on to its declared or detected charset)."""
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd") - body.count("\ufffd".encode())
    wide = len(text) - len(text.encode("ascii", "ignore")) - bad
    return wide >= UTF8_PER_BAD_BYTE * bad


def _detect(body: bytes) -> str | None:
    """The text in the charset charset-normalizer finds most plausible, if it finds one."""
    # imported here: most feeds never need it, and parse workers start faster without it
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return None if best is None else str(best)


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


def html_page_error(data: bytes, *, url: str) -> ParseError:
    # imported here: a parse worker process should not pay for httpx and bs4 at start-up
    from bot.fetch.discover import advertised_feeds

    feeds = advertised_feeds(data.decode("utf-8", "replace"), url)
    if feeds:
        hint = f"; it advertises a feed: {feeds[0][0]}"
    else:
        hint = "; try `newsbot feeds discover URL`"
    return ParseError(f"parse: {url} is an HTML page, not a feed{hint}", url=url)
