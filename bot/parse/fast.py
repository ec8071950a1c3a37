"""The fast path: well-formed RSS 2.0 and Atom 1.0 read with lxml, giving what feedparser would give.

feedparser spends ~5 ms on a 30-item feed because its SAX handlers run in Python for every element;
lxml builds the tree in C, and newsbot keeps seven fields per item. Most feeds on the web are the plain
shape this module reads. Wherever feedparser does something subtle it *declines* (raises
`Unsupported`) and the caller hands the bytes to feedparser: markup or comments inside a text element,
xml:base, a field given twice (feedparser keeps the first title but the last link), XHTML, base64 or
out-of-line content, C1 control characters (feedparser remaps them from windows-1252), and any element
whose feedparser handler could change a field newsbot keeps (`dc:title`, `media:title`, an `atom:link`
inside an RSS item, Atom 0.3 dates, ...). Unknown elements are declined, not ignored, so a feed shape
nobody has checked takes the slow path rather than a different one. tests/test_parse_fast.py holds
both paths to the same `RawFeed` on generated and hand-written feeds.
"""

from __future__ import annotations

import re

from lxml import etree

from bot.parse.raw import RawEntry, RawFeed, feed_date
from bot.parse.text import html_text, looks_like_html, plain_title

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# elements feedparser reads into fields newsbot never looks at
_RSS_CHANNEL_IGNORED = frozenset(
    [
        "description",
        "copyright",
        "managingEditor",
        "webMaster",
        "pubDate",
        "lastBuildDate",
        "category",
        "generator",
        "docs",
        "cloud",
        "ttl",
        "rating",
        "skipHours",
        "skipDays",
        "image",
    ]
)
_RSS_ITEM_IGNORED = frozenset(
    [
        "category",
        "comments",
        "enclosure",
        "source",
        MEDIA + "thumbnail",
        MEDIA + "content",
        "{http://wellformedweb.org/CommentAPI/}commentRss",
        "{http://purl.org/rss/1.0/modules/slash/}comments",
    ]
)
_SYNDICATION = "{http://purl.org/rss/1.0/modules/syndication/}"
_ATOM_FEED_IGNORED = frozenset(
    ATOM + t
    for t in ["updated", "subtitle", "rights", "generator", "icon", "logo", "category", "author"]
)
_ATOM_ENTRY_IGNORED = frozenset(ATOM + t for t in ("category", "rights", "contributor"))
_TEXT_TYPES = frozenset({"text", "html", "text/plain", "text/html"})
_C1 = re.compile("[\x80-\x9f]")
_LATIN1_HIGH = re.compile("[\x80-\xff]")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")
_URI_FIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")


class Unsupported(Exception):
    """This document needs feedparser; not an error, the caller falls back."""


def parse_fast(data: bytes) -> RawFeed:
    """Read `data` (UTF-8, screened by `prescreen`) or raise `Unsupported`."""
    if b"xml:base" in data:
        raise Unsupported("xml:base")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"not well-formed: {exc}") from None
    if root.tag == "rss" and root.get("version") == "2.0":
        return _rss(root)
    if root.tag == ATOM + "feed":
        return _atom(root)
    raise Unsupported(f"root element {root.tag!r}")


# ---------------------------------------------------------------------------- RSS 2.0


def _rss(root: etree._Element) -> RawFeed:
    channels = _elements(root)
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
        raise Unsupported("rss without exactly one plain channel")
    title: str | None = None
    link: str | None = None
    language = _root_language(root)
    entries: list[RawEntry] = []
    seen: set[str] = set()
    for el in _elements(channels[0]):
        tag = el.tag
        if tag == "item":
            entries.append(_rss_item(el))
            continue
        _once(tag, seen)
        if tag == "title":
            title = _title(el, rss=True)
        elif tag == "link":
            link = _ENTITY_LIKE.sub(r"&\g<1>", _uri(_text(el, None)))
        elif tag == "language":
            language = _text(el, None)
        elif tag == ATOM + "link":
            if _attr(el, "rel", "alternate") == "alternate" or el.get("href") is None:
                raise Unsupported("atom:link that feedparser would take as the feed link")
        elif tag not in _RSS_CHANNEL_IGNORED and not tag.startswith(_SYNDICATION):
            raise Unsupported(f"channel element {tag!r}")
    return RawFeed(title or "", link, language, tuple(entries))


def _rss_item(item: etree._Element) -> RawEntry:
    _plain_container(item)
    fields: dict[str, str] = {}
    permalink = False
    for el in item.iterchildren(etree.Element):
        tag = el.tag
        key = _RSS_ITEM_FIELDS.get(tag)
        if key is None:
            if tag not in _RSS_ITEM_IGNORED:
                raise Unsupported(f"item element {tag!r}")
            if tag.startswith(MEDIA) and len(el):
                raise Unsupported("media element with children")  # media:title, media:description
            continue
        if key in fields:
            raise Unsupported(f"two {key} fields in one item")
        if key == "link":
            if el.keys():
                raise Unsupported("attributes on an RSS link")  # feedparser would read href=
            href = _uri(_text(el, None))
            if "&" in href:
                href = _ENTITY_LIKE.sub(r"&\g<1>", href.replace("&amp;", "&"))
            fields[key] = href
        elif key == "id":
            permalink = not el.keys() or _attr(el, "ispermalink", "true", lower=False) == "true"
            fields[key] = _uri(_text(el, None)) if permalink else _text(el, None)
        elif key == "title":
            fields[key] = _title(el, rss=True)
        else:
            fields[key] = _text(el, _RSS_DEFAULT_TYPE.get(key))
    link = fields.get("link")
    if link is None and permalink:
        link = fields["id"]  # a permalink guid stands in for a missing <link>
    return _entry(fields, link)


_RSS_ITEM_FIELDS = {
    "title": "title",
    "link": "link",
    "description": "summary",
    CONTENT + "encoded": "content",
    "guid": "id",
    "pubDate": "published",
    DC + "date": "updated",
    "author": "author",
    DC + "creator": "author",
}
_RSS_DEFAULT_TYPE = {"title": "text/plain", "summary": "text/html", "content": "text/html"}


# ---------------------------------------------------------------------------- Atom 1.0


def _atom(root: etree._Element) -> RawFeed:
    title: str | None = None
    link: str | None = None
    feed_id: str | None = None
    entries: list[RawEntry] = []
    seen: set[str] = set()
    for el in _elements(root):
        tag = el.tag
        if tag == ATOM + "entry":
            entries.append(_atom_entry(el))
        elif tag == ATOM + "title":
            _once(tag, seen)
            title = _title(el, rss=False)
        elif tag == ATOM + "link":
            link = _pick(_atom_link(el), link)
        elif tag == ATOM + "id":
            _once(tag, seen)
            feed_id = _uri(_text(el, None))
        elif tag not in _ATOM_FEED_IGNORED:
            raise Unsupported(f"feed element {tag!r}")
    # feedparser reads an Atom id as a permalink: it is the link when no alternate link is given
    return RawFeed(title or "", _pick(link, feed_id), _root_language(root), tuple(entries))


def _atom_entry(entry: etree._Element) -> RawEntry:
    _plain_container(entry)
    fields: dict[str, str] = {}
    link: str | None = None
    for el in _elements(entry):
        tag = el.tag
        if tag == ATOM + "link":
            link = _pick(_atom_link(el), link)
            continue
        if tag in _ATOM_ENTRY_IGNORED:
            continue
        key = _ATOM_ENTRY_FIELDS.get(tag)
        if key is None:
            raise Unsupported(f"entry element {tag!r}")
        if key in fields:
            raise Unsupported(f"two {key} fields in one entry")
        if key == "author":
            fields[key] = _atom_author(el)
        elif key == "id":
            fields[key] = _uri(_text(el, None))  # an Atom id counts as a permalink
        elif key == "title":
            fields[key] = _title(el, rss=False)
        elif key in ("summary", "content"):
            if key == "content" and el.get("src") is not None:
                raise Unsupported("out-of-line content")
            fields[key] = _text(el, "text/plain")
        else:
            fields[key] = _text(el, None)
    if link is None and "id" in fields:
        link = fields["id"]
    return _entry(fields, link)


_ATOM_ENTRY_FIELDS = {
    ATOM + t: t for t in ("title", "summary", "content", "id", "published", "updated", "author")
}


def _atom_link(el: etree._Element) -> str | None:
    """The href of a link feedparser takes as the page link, else None."""
    if el.get("href") is None or el.get("url") is not None or el.get("uri") is not None:
        raise Unsupported("atom link without a plain href")
    rel = _attr(el, "rel", "alternate")
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    kind = _attr(el, "type", default_type)
    if rel == "alternate" and kind in ("text/html", "application/xhtml+xml", "html", "xhtml"):
        return _uri(el.get("href", ""))
    return None


def _pick(value: str | None, otherwise: str | None) -> str | None:
    return otherwise if value is None else value


def _atom_author(el: etree._Element) -> str:
    children = _elements(el)
    parts = {child.tag: (child.text or "").strip() for child in children}
    if (
        any(len(child) for child in children)
        or len(parts) < len(children)
        or set(parts) - {ATOM + "name", ATOM + "email", ATOM + "uri"}
        or (el.text or "").strip()
    ):
        raise Unsupported("unusual atom author")
    name, email = parts.get(ATOM + "name"), parts.get(ATOM + "email")
    if name and email:
        return f"{name} ({email})"
    return name or email or ""


# ---------------------------------------------------------------------------- shared


def _entry(fields: dict[str, str], link: str | None) -> RawEntry:
    content = fields.get("content")
    summary = fields.get("summary")
    return RawEntry(
        title=fields.get("title", ""),
        link=link,
        # feedparser copies the content into a missing summary
        summary=summary if summary is not None else (content or ""),
        content=content or "",
        id=fields.get("id") or None,
        published=feed_date(fields.get("published"), fields.get("updated")),
        author=fields.get("author") or None,
    )


def _plain_container(el: etree._Element) -> None:
    """Items and entries may carry xml:lang; other attributes (CDF lastmod/href, rdf:about) set
    fields in feedparser."""
    if el.keys() and set(el.keys()) - {XML_LANG}:
        raise Unsupported(f"attributes on <{el.tag}>")


def _elements(parent: etree._Element) -> list[etree._Element]:
    """Child elements; comments and processing instructions between them do not count."""
    return list(parent.iterchildren(etree.Element))


def _once(tag: str, seen: set[str]) -> None:
    if tag in seen:
        raise Unsupported(f"{tag!r} given twice")
    seen.add(tag)


def _attr(el: etree._Element, name: str, default: str, *, lower: bool = True) -> str:
    """An attribute looked up case-insensitively, as feedparser does (rel and type values too)."""
    for key, value in el.items():
        if str(key).lower() == name:
            text = str(value)
            return text.lower() if lower else text
    return default


def _text(el: etree._Element, default_type: str | None) -> str:
    """A text element's value as feedparser's `pop` leaves it."""
    if len(el):
        raise Unsupported(f"markup inside <{el.tag}>")
    if el.keys():
        if el.get("mode") is not None:
            raise Unsupported("content mode attribute")
        kind = el.get("type")
        if kind is not None and (default_type is None or kind.lower() not in _TEXT_TYPES):
            raise Unsupported(f"content type {kind!r}")
    value = el.text
    if value is None:
        return ""
    value = value.strip()
    # feedparser undoes UTF-8 read as Latin-1; so must we, to give the same text. Only text with
    # characters in U+0080..U+00FF and none beyond can be that (ASCII, most text, skips it at once).
    if value.isascii() or _LATIN1_HIGH.search(value) is None:
        return value
    if _C1.search(value):
        raise Unsupported("C1 control characters")
    if _BEYOND_LATIN1.search(value):
        return value
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except UnicodeDecodeError:
        return value


def _title(el: etree._Element, *, rss: bool) -> str:
    """A title as text (`bot.parse.text`): HTML when its type says so, or for RSS when it looks
    like HTML to feedparser, which guesses for RSS only."""
    value = _text(el, "text/plain")
    kind = el.get("type")
    if kind is not None and kind.lower() in ("html", "text/html"):
        return html_text(value)
    # feedparser's guess needs a close tag or an entity: most titles have neither, and skip it
    if rss and ("</" in value or "&" in value) and looks_like_html(value):
        return html_text(value)
    return plain_title(value)


def _uri(value: str) -> str:
    # the fixer only ever removes slashes after "scheme://"
    return _URI_FIXER.sub(r"\1\3", value) if ":///" in value else value


def _root_language(root: etree._Element) -> str | None:
    lang = root.get(XML_LANG, root.get("lang"))
    return lang.replace("_", "-") if lang else None
