"""Text preparation for matching: HTML -> plain display text -> normalised / diacritic-folded forms.

Matching happens on a *normalised* copy of the text (NFKC, case-folded, dashes unified, whitespace
collapsed) and, for Vietnamese-style terms, on a *folded* copy (Latin diacritics removed, đ -> d).
Both copies keep an index map back into the display text, so hits can be reported and highlighted
at the right place in what the reader sees.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
# tags that separate words: "<p>Vietnam</p><p>Japan</p>" must not read as "VietnamJapan"
_BLOCK_TAG = re.compile(
    r"<(?:/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|blockquote|hr)\b)[^>]*>",
    re.IGNORECASE,
)


def plain_text(value: str) -> str:
    """Strip tags, decode entities, NFC-compose and collapse whitespace: the text a reader sees."""
    if "<" in value:
        value = _BLOCK_TAG.sub(" ", value)
        value = _TAG.sub("", value)
    if "&" in value:
        value = html.unescape(value)
        if "<" in value:
            # entity-encoded markup ("&lt;p&gt;") is still markup once decoded
            value = _TAG.sub(" ", _BLOCK_TAG.sub(" ", value))
    value = unicodedata.normalize("NFC", value).strip()
    if is_collapsed(value):
        return value
    # split() knows the same whitespace as a regex \s (str.isspace), at a fraction of the cost
    return " ".join(value.split())


def is_collapsed(stripped: str) -> bool:
    """No whitespace but single " ": every other whitespace character is unprintable (Cc, Zs,
    Zl, Zp), and two C scans cost less than splitting the text into words and joining them."""
    if "  " in stripped:
        return False
    if stripped.isascii():
        # ASCII's unprintable characters are its control characters: what is left once the
        # printable ones are deleted, a byte table lookup each, where isprintable() asks Unicode
        return not stripped.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return stripped.isprintable()


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def is_cjk(ch: str) -> bool:
    """Scripts written without spaces between words: terms in them match as substrings."""
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF  # hiragana, katakana
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF  # CJK ideographs
        or 0xF900 <= o <= 0xFAFF
        or 0xFF66 <= o <= 0xFF9F  # half-width katakana
        or 0xAC00 <= o <= 0xD7AF  # hangul syllables
        or 0x31F0 <= o <= 0x31FF
        or 0x20000 <= o <= 0x2FA1F
    )


def has_cjk(text: str) -> bool:
    return any(is_cjk(c) for c in text)


class _WordChars(dict[str, bool]):
    """`is_word_char` memoised per character: the scanner asks it at every candidate match edge."""

    def __missing__(self, ch: str) -> bool:
        value = (ch.isalnum() or unicodedata.category(ch) == "Mn") and not is_cjk(ch)
        self[ch] = value
        return value


#: ``WORD_CHARS[ch]`` is ``is_word_char(ch)`` without the call (a pure memo, filled on first sight)
WORD_CHARS = _WordChars()


def is_word_char(ch: str) -> bool:
    """A character that continues a Latin-script word (CJK never does: it has no spaces)."""
    return WORD_CHARS[ch]


def _is_latin(ch: str) -> bool:
    o = ord(ch)
    return o < 0x0250 or 0x1E00 <= o <= 0x1EFF


@lru_cache(maxsize=65536)
def _norm_cluster(cluster: str) -> str:
    out = unicodedata.normalize("NFKC", cluster).casefold()
    if unicodedata.category(cluster[0]) == "Pd":
        return "-"  # en/em dashes and hyphens all read as "-": "Vietnam–Japan" == "Vietnam-Japan"
    if cluster[0].isspace():
        return " "
    return out


@lru_cache(maxsize=65536)
def _fold_cluster(normed: str) -> str:
    """Remove diacritics from Latin letters only: kana dakuten (ガ -> カ) must survive."""
    if not normed or not _is_latin(normed[0]):
        return normed
    decomposed = unicodedata.normalize("NFD", normed)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.replace("đ", "d").replace("ð", "d")


def normalize_term(term: str) -> str:
    """A term's matching key: the same transformation the text gets."""
    return NormalizedText.of(term).norm.strip()


def fold_term(term: str) -> str:
    return NormalizedText.of(term).fold.strip()


def fold(text: str) -> str:
    """Diacritics-free display text (used by tests and the `suggest` command)."""
    return "".join(_fold_cluster(c) if _is_latin(c) else c for c in _clusters_text(text))


def _clusters_text(text: str) -> list[str]:
    return [text[s:e] for s, e in _clusters(text)]


def _clusters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each base character with its combining marks."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        spans.append((i, j))
        i = j
    return spans


class _CharTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character (a pure memo of `_learn`)."""

    def __missing__(self, code: int) -> str:
        _learn(chr(code))
        return self[code]


_NORM_TABLE = _CharTable()
_FOLD_TABLE = _CharTable()
#: characters seen so far that are not a 1:1 mapping in either form: a text made only of 1:1
#: characters skips building index maps (the common case: ASCII, kana, kanji, precomposed Vietnamese)
_IRREGULAR: set[str] = set()
#: 1:1 characters whose normalised form is `str.casefold` (which works per character, so a text
#: made of them normalises with one C call instead of a table lookup per character)
_CASEFOLDS: set[str] = set()
#: ... and whose folded form is the normalised one too (kana, kanji, unaccented letters)
_PLAIN: set[str] = set()


def _learn(ch: str) -> None:
    norm, folded = _forms(ch)
    _NORM_TABLE[ord(ch)] = norm
    _FOLD_TABLE[ord(ch)] = folded
    if len(norm) != 1 or len(folded) != 1 or unicodedata.combining(ch):
        _IRREGULAR.add(ch)
    elif norm == ch.casefold():
        _CASEFOLDS.add(ch)
        if folded == norm:
            _PLAIN.add(ch)


#: CJK ideographs (extension A and the unified block): no compatibility mapping, no case, no
#: diacritic, so each is its own normalised and folded form (test_rules_speedups checks each one)
_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff"
#: where the rules' languages write, besides ideographs: ASCII, Latin with diacritics, general
#: punctuation, CJK punctuation and kana. Candidates only: `_one_pass_forms` keeps those that qualify
_SCRIPTS = ((0x20, 0x7F), (0xA0, 0x250), (0x1E00, 0x1F00), (0x2000, 0x2070), (0x3000, 0x3100))


def _nfd_fold(norm: str) -> str:
    """The folded form of a normalised text whose characters all fold to ASCII (Vietnamese): what
    decomposition leaves beside ASCII are the diacritics. Whole-text C calls instead of a table
    lookup per character, which costs more than all of these together."""
    decomposed = unicodedata.normalize("NFD", norm.replace("đ", "d").replace("ð", "d"))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _forms(ch: str) -> tuple[str, str]:
    """One character's normalised and folded forms, as the cluster walk makes them."""
    norm = _norm_cluster(ch)
    return norm, "".join(_fold_cluster(c) for c in norm)


def _is_casefold_char(ch: str) -> bool:
    """One character that normalises to its `str.casefold`, one character in both forms."""
    norm, folded = _forms(ch)
    return len(norm) == len(folded) == 1 and norm == ch.casefold() and not unicodedata.combining(ch)


def _is_nfd_foldable(ch: str) -> bool:
    """Folded by `_nfd_fold` as the cluster walk folds it, with a decomposition that starts with a
    base character: then decomposing a whole text is decomposing each of its characters. (The
    walk's folded form is one ASCII character, so the ASCII encoding drops nothing else.)"""
    decomposed = unicodedata.normalize("NFD", ch.casefold())
    return not unicodedata.combining(decomposed[0]) and _nfd_fold(ch.casefold()) == _forms(ch)[1]


@cache
def _one_pass_forms() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Texts whose forms come from whole-text C calls, as two `fullmatch` patterns.

    The first: characters whose normalised and folded forms are both their `str.casefold` (ASCII,
    kana, ideographs, most punctuation). The second: characters normalised by `str.casefold` and
    folded to ASCII by `_nfd_fold` (ASCII and Latin letters with diacritics: Vietnamese). Both
    map 1:1, so the index maps are the identity. Built on first use (~1,300 characters, ~10 ms).
    """
    candidates = [chr(o) for lo, hi in _SCRIPTS for o in range(lo, hi)]
    casefolds = [c for c in candidates if _is_casefold_char(c)]
    plain = "".join(c for c in casefolds if _forms(c)[1] == c.casefold())
    latin = "".join(c for c in casefolds if _is_nfd_foldable(c))
    return re.compile(f"[{re.escape(plain)}{_IDEOGRAPHS}]*"), re.compile(f"[{re.escape(latin)}]*")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A display text with its normalised and folded forms and index maps back into it.

    ``norm_start[i]`` is the display offset where normalised character ``i`` comes from and
    ``norm_end[i]`` where that source ends; None means the identity (one character each way).
    """

    display: str
    norm: str
    norm_start: tuple[int, ...] | None
    norm_end: tuple[int, ...] | None
    fold: str
    fold_start: tuple[int, ...] | None
    fold_end: tuple[int, ...] | None

    @classmethod
    def of(cls, display: str) -> NormalizedText:
        if display.isascii():
            # every ASCII character maps 1:1 and has no diacritic to fold (test_rules_speedups)
            norm = display.translate(_NORM_TABLE)
            return cls(display, norm, None, None, norm, None, None)
        plain, latin = _one_pass_forms()
        if plain.fullmatch(display):  # Japanese, Chinese
            norm = display.casefold()
            return cls(display, norm, None, None, norm, None, None)
        if latin.fullmatch(display):  # Vietnamese
            norm = display.casefold()
            return cls(display, norm, None, None, _nfd_fold(norm), None, None)
        # the sets hold only characters seen before: a new one takes the table path and is learnt
        if _PLAIN.issuperset(display):
            norm = display.casefold()
            return cls(display, norm, None, None, norm, None, None)
        if _CASEFOLDS.issuperset(display):
            norm, folded = display.casefold(), display.translate(_FOLD_TABLE)
            return cls(display, norm, None, None, folded, None, None)
        norm = display.translate(_NORM_TABLE)
        folded = display.translate(_FOLD_TABLE)
        if _IRREGULAR.isdisjoint(display):
            return cls(display, norm, None, None, folded, None, None)
        return cls._mapped(display)

    @classmethod
    def _mapped(cls, display: str) -> NormalizedText:
        norm: list[str] = []
        n_start: list[int] = []
        n_end: list[int] = []
        fold_parts: list[str] = []
        f_start: list[int] = []
        f_end: list[int] = []
        for s, e in _clusters(display):
            piece = _norm_cluster(display[s:e])
            norm.append(piece)
            n_start.extend([s] * len(piece))
            n_end.extend([e] * len(piece))
            folded = "".join(_fold_cluster(c) for c in _clusters_text(piece)) if piece else ""
            fold_parts.append(folded)
            f_start.extend([s] * len(folded))
            f_end.extend([e] * len(folded))
        return cls(
            display,
            "".join(norm),
            tuple(n_start),
            tuple(n_end),
            "".join(fold_parts),
            tuple(f_start),
            tuple(f_end),
        )

    def display_span(self, start: int, end: int, *, folded: bool) -> tuple[int, int]:
        starts, ends = (
            (self.fold_start, self.fold_end) if folded else (self.norm_start, self.norm_end)
        )
        if starts is None or ends is None:
            return start, end
        return starts[start], ends[end - 1]
