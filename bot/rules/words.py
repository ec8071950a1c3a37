"""Words for `rules suggest`: Vietnamese and Japanese are not written with a space between words.

Vietnamese puts a space between syllables, and most words have two or three of them ("Nhật Bản",
"hợp tác", "chuyển đổi số"): a phrase cut at any space may end in the middle of a word ("Bản hợp").
Japanese puts no space at all. With the optional extra (``pip install 'newsbot[words]'``) each
text is segmented by a real tokenizer: pyvi for Vietnamese, fugashi (MeCab) with the UniDic Lite
dictionary for Japanese. Without it, only units whose edges are certain are offered: runs of
capitalised Vietnamese syllables (a name, "Bắc Giang") and whole katakana or kanji runs.

Each segmenter returns runs of words (for Vietnamese, clauses; for Japanese, compound nouns, which
are written without anything between their words); a candidate phrase is made of whole adjacent
words of one run, so no candidate crosses a word boundary.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass

Words = list[list[str]]  # clauses, each a list of words
Segment = Callable[[str], Words]

_CLAUSE = re.compile(r"[.,;:!?()\[\]\"“”«»、。，；：！？「」『』（）\n]+")
_SYLLABLE = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_KANA_OR_KANJI = re.compile(r"[ァ-ヺー・]{3,}|[一-鿿]{2,}")
#: UniDic parts of speech that build Japanese key phrases (nouns, and prefixes/suffixes to them)
_JA_PARTS = {"名詞", "接頭辞", "接尾辞"}


@dataclass(frozen=True, slots=True)
class Segmenters:
    """The word segmenter for each language that needs one, and whether it is the real one."""

    vi: Segment
    ja: Segment
    real: frozenset[str]  # languages segmented by a real tokenizer

    @classmethod
    def load(cls) -> Segmenters:
        """The tokenizers that are installed, else the fallbacks."""
        real: set[str] = set()
        vi: Segment = _vi_fallback
        ja: Segment = _ja_fallback
        if importlib.util.find_spec("pyvi") is not None:
            vi = _pyvi()
            real.add("vi")
        tagger = _fugashi()
        if tagger is not None:
            ja = tagger
            real.add("ja")
        return cls(vi, ja, frozenset(real))


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()]


# ------------------------------------------------------------------------------ Vietnamese


def _pyvi() -> Segment:
    from pyvi import ViTokenizer

    def segment(text: str) -> Words:
        # pyvi joins the syllables of a word with "_": "Nhật_Bản hợp_tác"
        return [
            [w.replace("_", " ") for w in ViTokenizer.tokenize(clause).split()]
            for clause in clauses(text)
        ]

    return segment


#: function words: a name followed by one of these (or by the clause's end) has ended there
_VI_AFTER_NAME = frozenset({
    "và", "của", "các", "những", "là", "có", "được", "cho", "với", "trong", "tại", "ở", "đã",
    "sẽ", "này", "đó", "khi", "theo", "về", "từ", "để", "ra", "vào", "lên", "hơn", "không",
    "do", "đến", "sau", "trước", "cùng", "nhằm",
})  # fmt: skip


def _vi_fallback(text: str) -> Words:
    """Names only: a run of two or more capitalised syllables ("Bắc Giang", "Nhật Bản") where the
    clause ends or a function word follows, so its last syllable is not the first of a longer
    word ("Bộ Thông tin": "Thông" begins "Thông tin")."""
    out: Words = []
    for clause in clauses(text):
        syllables = _SYLLABLE.findall(clause)
        names: list[str] = []
        run: list[str] = []
        for syllable in [*syllables, ""]:
            if syllable[:1].isupper():
                run.append(syllable)
                continue
            if len(run) >= 2 and (not syllable or syllable.casefold() in _VI_AFTER_NAME):
                names.append(" ".join(run))
            run = []
        if names:
            out.append(names)
    return out


# ------------------------------------------------------------------------------ Japanese


def _fugashi() -> Segment | None:
    if importlib.util.find_spec("fugashi") is None:
        return None
    import fugashi

    try:
        tagger = fugashi.Tagger()
    except RuntimeError:  # fugashi without a dictionary (unidic-lite not installed)
        return None

    def segment(text: str) -> Words:
        """Each run of nouns and their affixes (ワイヤーハーネス|大手, 新|工場), as its words."""
        out: Words = []
        for clause in clauses(text):
            compound: list[str] = []
            for node in tagger(clause):
                if node.feature.pos1 in _JA_PARTS:
                    compound.append(node.surface)
                    continue
                if compound:
                    out.append(compound)
                compound = []
            if compound:
                out.append(compound)
        return out

    return segment


def _ja_fallback(text: str) -> Words:
    """Whole katakana runs and whole kanji runs, each a run of one word: their edges are script
    changes ("ベトナム・チャビン": the middle dot separates two words)."""
    runs = (m.group(0) for clause in clauses(text) for m in _KANA_OR_KANJI.finditer(clause))
    return [[w] for run in runs for w in run.split("・") if len(w) >= 2]
