"""Article pages: decode the bytes, then extract the main text (BeautifulSoup with the lxml parser)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.dammit import UnicodeDammit

#: elements that never hold the article's own prose
_NOISE = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "figure",
)
_NOISE_HINT = re.compile(
    r"(^|[\s_-])(nav|menu|footer|sidebar|share|social|related|comment|cookie|advert|ads|promo)"
    r"([\s_-]|$)",
    re.I,
)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Charset from the Content-Type header, else the page's own declaration / BOM, else a guess."""
    declared = _CHARSET.search(content_type or "")
    known = [declared.group(1)] if declared else []
    dammit = UnicodeDammit(body, known_definite_encodings=known, is_html=True)
    return dammit.unicode_markup or body.decode("utf-8", "replace")


def extract_main_text(html: str) -> str:
    """The readable text of an article page, paragraphs separated by blank lines.

    Prefers ``<article>``, then ``<main>``, then the element holding the most paragraph text.
    """
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_NOISE):
        tag.decompose()
    for tag in soup.find_all(_is_noise_container):
        tag.decompose()
    root = _main_element(soup)
    if root is None:
        return ""
    paragraphs = [_clean(el.get_text(" ")) for el in root.find_all(_BLOCKS) if not _has_block(el)]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        text = _clean(root.get_text(" "))
        return text
    return "\n\n".join(paragraphs)


def _is_noise_container(tag: Tag) -> bool:
    if tag.name in ("html", "body", "article", "main"):
        return False
    attrs = " ".join(
        [_attr(tag, "id"), *tag.get_attribute_list("class"), _attr(tag, "role")]
    ).strip()
    return bool(attrs) and bool(_NOISE_HINT.search(attrs))


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return value if isinstance(value, str) else " ".join(value or ())


def _main_element(soup: BeautifulSoup) -> Tag | None:
    articles = soup.find_all("article")
    if articles:
        return max(articles, key=_text_weight)
    main = soup.find("main") or soup.find(role="main")
    if isinstance(main, Tag):
        return main
    candidates = {p.parent for p in soup.find_all("p") if isinstance(p.parent, Tag)}
    if candidates:
        return max(candidates, key=_text_weight)
    body = soup.body
    return body if isinstance(body, Tag) else None


def _text_weight(tag: Tag) -> int:
    return sum(len(p.get_text()) for p in tag.find_all("p")) or len(tag.get_text())


def _has_block(tag: Tag) -> bool:
    # a <li> holding <p>s would otherwise be emitted twice
    return tag.find(_BLOCKS) is not None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
