"""Plain-text helpers for the digest: HTML stripping, sanitising, snippets and highlight spans.

Everything a feed wrote is untrusted. The digest model only ever holds *plain* text with no control
characters and no line breaks of any kind, so no renderer can be tricked into a new header line, a
terminal escape sequence or a fake paragraph; each renderer still escapes for its own markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from typing import Protocol

Span = tuple[int, int]


class Highlighter(Protocol):
    """(plain text, rule names) -> spans of the rules' terms, e.g. ``bot.rules.RuleSet.highlight``;
    `topic_only`: leave out the pairing terms every rule shares."""

    def __call__(
        self, text: str, rules: Sequence[str], /, *, topic_only: bool = False
    ) -> list[tuple[int, int]]: ...


SNIPPET_CHARS = 260
#: how much of an article the highlighter looks at when choosing the snippet window
SCAN_CHARS = 4000

# Every Unicode line/paragraph separator, tab and control character: one space each.
_BREAKING = re.compile(r"[\s\u0085\u2028\u2029\u200b\u2060\ufeff]+")


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, skipping script/style and breaking at block tags."""

    _SKIP = frozenset({"script", "style", "template", "noscript", "head"})
    _BLOCK = frozenset(
        {"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"}
        | {"blockquote", "section", "article", "figcaption", "pre", "hr", "table"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    return "<" in text or "&" in text


def strip_html(fragment: str) -> str:
    """The visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    if not looks_like_html(fragment):
        return clean_line(fragment)
    parser = _TextCollector()
    parser.feed(fragment)
    parser.close()
    return clean_line("".join(parser.parts))


# C0/C1 controls (ESC, NEL, ...) and the invisible format characters (bidi overrides, soft hyphen,
# word joiners, BOM, tag characters) that can make a title read differently from what it is.
# ZWNJ/ZWJ (U+200C/D) stay: Indic and emoji text needs them.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]"
)


def clean_line(text: str) -> str:
    """One line of display text: NFC, all line breaks/whitespace runs -> one space, controls dropped."""
    text = _BREAKING.sub(" ", unicodedata.normalize("NFC", text))
    return _CONTROL.sub("", text).strip()


def find_terms(text: str, terms: Iterable[str]) -> list[Span]:
    """Case-insensitive spans of `terms` in `text`: the fallback when no rules highlighter is given."""
    folded = text.casefold()
    if len(folded) != len(text):  # casefold changed lengths (e.g. ß): spans would drift
        folded = text.lower() if len(text.lower()) == len(text) else text
    spans: list[Span] = []
    for term in {t.strip() for t in terms if t and t.strip()}:
        needle = term.casefold()
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    return merge_spans(spans)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping, non-empty spans."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0] >= 0):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def snippet_window(
    text: str, spans: Sequence[Span], *, size: int = SNIPPET_CHARS
) -> tuple[str, int]:
    """Choose a window of about `size` chars that shows the first highlight; returns (snippet, offset).

    The window is widened to word boundaries where the script has them, and marked with "…" when
    text was cut, so a reader never mistakes a snippet for the whole story.
    """
    if len(text) <= size:
        return text, 0
    start = 0
    if spans and spans[0][1] > size - 20:
        # a little context before the first match reads better than starting on it
        start = max(0, spans[0][0] - size // 4)
        space = text.rfind(" ", max(0, start - 20), start)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start + size // 2, end)
        end = space if space != -1 else end
    body = text[start:end].rstrip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return f"{prefix}{body}{suffix}", start - len(prefix)


def shift_spans(spans: Sequence[Span], offset: int, length: int) -> tuple[Span, ...]:
    """Spans of the full text moved into a snippet that starts at `offset` and is `length` long."""
    out: list[Span] = []
    for start, end in spans:
        s, e = max(0, start - offset), min(length, end - offset)
        if e > s:
            out.append((s, e))
    return tuple(out)


def segments(text: str, spans: Sequence[Span]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_highlighted) runs, for renderers."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in merge_spans(spans):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def clip(text: str, limit: int) -> str:
    """At most `limit` chars, cut with "…" (used for *display* fields such as a very long title)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


# East Asian wide/fullwidth runs break between any two characters; other text only at spaces.
_WIDE = "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
_WRAP_TOKEN = re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+|\\s+")
# closing punctuation that must not start a line (Japanese kinsoku shori)
_NO_LINE_START = frozenset("、。，．）」』】〕・ー！？ぁぃぅぇぉっゃゅょァィゥェォッャュョ")


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_display(text: str, width: int = 72) -> list[str]:
    """Greedy line wrapping by display width, breaking CJK anywhere but before closing marks."""
    lines: list[str] = []
    line, used = "", 0
    for token in _WRAP_TOKEN.findall(text):
        if token.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        w = display_width(token)
        if used + w > width and line.strip() and token[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines
