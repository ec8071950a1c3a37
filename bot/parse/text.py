"""Titles as plain text: one definition for both parsers (`bot.parse.fast` and feedparser's path).

A title is either plain text, whose "<" and "&" are characters like any other ("History of the <blink>
tag"), or HTML, reduced here to the text a browser would show: no tags, no comments, nothing of a
script or style element. Which one a title is follows feedparser: an Atom ``type`` attribute, else for
RSS feedparser's own guess (`looks_like_html`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from feedparser.mixin import _FeedParserMixin

#: the guess feedparser applies to RSS text elements (a close tag or an entity, all of them HTML);
#: feedparser 6.0.x before 6.0.11 spells it `lookslikehtml`
looks_like_html: Callable[[str], bool] = (
    getattr(_FeedParserMixin, "looks_like_html", None) or _FeedParserMixin.lookslikehtml
)

# What a browser does not show, removed left to right. Unclosed ones run to the end, as in a browser:
# "safe<!--" shows "safe", and an unclosed <script> hides everything after it. A "<" that cannot
# open a tag ("1 < 2") is text; a ">" inside a quoted attribute value does not close one.
_INVISIBLE = re.compile(
    r"<(script|style|template|noscript)\b.*?(?:</\1\s*>|\Z)"
    r"|<!--.*?(?:--!?>|\Z)"
    r"|<[A-Za-z/!?](?:=\s*\"[^\"]*\"|=\s*'[^']*'|[^>])*(?:>|\Z)",
    re.IGNORECASE | re.DOTALL,
)


def plain_title(value: str) -> str:
    """A plain-text title with its whitespace collapsed."""
    return " ".join(value.split())


def html_text(fragment: str) -> str:
    """The text an HTML fragment shows, entities decoded, whitespace collapsed; every tag separates
    words ("日越<b>半導体</b>" -> "日越 半導体")."""
    if "<" not in fragment and "&" not in fragment:
        return plain_title(fragment)
    if "<" in fragment:
        fragment = _INVISIBLE.sub(" ", fragment)
    return plain_title(html.unescape(fragment))


def title_text(value: str, *, is_html: bool) -> str:
    return html_text(value) if is_html else plain_title(value)
