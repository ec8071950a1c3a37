"""Candidate key phrases from example articles that no rule covers yet (`newsbot rules suggest`).

The way the default rules were derived: recurring multi-word names and n-grams per language
(Latin-script word n-grams for English, Indonesian and Vietnamese; katakana words and kanji
n-grams for Japanese), minus anything a rule term already matches.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.rules.engine import RuleSet
from bot.rules.text import is_cjk, normalize_term, plain_text

_STOP = {
    "en": set(
        [
            "a",
            "an",
            "the",
            "and",
            "or",
            "of",
            "to",
            "in",
            "on",
            "at",
            "by",
            "for",
            "with",
            "from",
            "as",
            "is",
            "are",
            "was",
            "were",
            "be",
            "been",
            "has",
            "have",
            "had",
            "it",
            "its",
            "this",
            "that",
            "these",
            "those",
            "their",
            "his",
            "her",
            "they",
            "he",
            "she",
            "we",
            "our",
            "you",
            "not",
            "but",
            "also",
            "which",
            "who",
            "will",
            "would",
            "can",
            "could",
            "after",
            "before",
            "over",
            "into",
            "about",
            "than",
            "more",
            "most",
            "said",
            "says",
            "new",
            "two",
        ]
    ),
    "id": set(
        [
            "yang",
            "dan",
            "di",
            "ke",
            "dari",
            "untuk",
            "dengan",
            "pada",
            "ini",
            "itu",
            "dalam",
            "akan",
            "telah",
            "sudah",
            "juga",
            "atau",
            "tidak",
            "oleh",
            "sebagai",
            "bagi",
            "para",
            "serta",
            "antara",
            "adalah",
            "bahwa",
            "mereka",
            "kami",
            "kita",
            "ia",
            "tersebut",
            "lebih",
            "secara",
            "tahun",
            "hari",
        ]
    ),
    "vi": set(
        [
            "và",
            "của",
            "các",
            "những",
            "là",
            "có",
            "được",
            "cho",
            "với",
            "trong",
            "tại",
            "đã",
            "sẽ",
            "này",
            "đó",
            "khi",
            "theo",
            "về",
            "từ",
            "một",
            "hai",
            "người",
            "cũng",
            "như",
            "để",
            "ra",
            "vào",
            "lên",
            "nhiều",
            "hơn",
            "không",
            "do",
            "năm",
            "ngày",
        ]
    ),
}
_VI_MARKS = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"“”«»、。，；：！？「」『』（）]+")
_KATAKANA_RUN = re.compile(r"[ァ-ヺー・]{3,}")
_KANJI_RUN = re.compile(r"[一-鿿]{2,}")


@dataclass(frozen=True, slots=True)
class Suggestion:
    phrase: str
    lang: str
    count: int  # occurrences over all files
    files: int  # files it occurs in


def detect_lang(text: str) -> str:
    """A cheap guess between the four languages of this coverage."""
    if any(is_cjk(c) for c in text[:2000]):
        return "ja"
    if len(_VI_MARKS.findall(text)) > max(3, len(text) // 200):
        return "vi"
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    en = sum(w in _STOP["en"] for w in words)
    idn = sum(w in _STOP["id"] for w in words)
    return "id" if idn > en else "en"


def _latin_candidates(text: str, stop: set[str]) -> list[str]:
    out: list[str] = []
    for clause in _CLAUSE.split(text):
        words = _WORD.findall(clause)
        for n in (2, 3, 4, 1):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if gram[0].lower() in stop or gram[-1].lower() in stop:
                    continue
                if n == 1 and (len(gram[0]) < 4 or not gram[0][0].isupper()):
                    continue  # single words only when they look like names
                if any(w.isdigit() for w in gram):
                    continue
                out.append(" ".join(gram))
    return out


def _cjk_candidates(text: str) -> list[str]:
    out = [m.group(0).strip("・") for m in _KATAKANA_RUN.finditer(text)]
    for m in _KANJI_RUN.finditer(text):
        run = m.group(0)
        out.append(run)
        if len(run) > 4:
            out.extend(run[i : i + n] for n in (2, 3, 4) for i in range(len(run) - n + 1))
    return out


def suggest(
    texts: Sequence[str], ruleset: RuleSet, *, top: int = 20, min_count: int = 2
) -> dict[str, list[Suggestion]]:
    """Per language, the `top` uncovered phrases, most widespread first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    files: dict[str, Counter[str]] = defaultdict(Counter)
    display: dict[str, str] = {}
    for raw in texts:
        text = plain_text(raw)
        lang = detect_lang(text)
        found = _cjk_candidates(text) if lang == "ja" else _latin_candidates(text, _STOP[lang])
        seen: set[str] = set()
        for phrase in found:
            key = normalize_term(phrase)
            display.setdefault(key, phrase)
            counts[lang][key] += 1
            if key not in seen:
                files[lang][key] += 1
                seen.add(key)
    out: dict[str, list[Suggestion]] = {}
    for lang, counter in counts.items():
        ranked = sorted(
            (k for k, c in counter.items() if c >= min_count),
            key=lambda k: (-files[lang][k], -counter[k], -len(k.split()), -len(k), k),
        )
        picked: list[Suggestion] = []
        for key in ranked:
            if ruleset.covers(display[key]) or any(key in p.phrase.casefold() for p in picked):
                continue
            picked.append(Suggestion(display[key], lang, counter[key], files[lang][key]))
            if len(picked) >= top:
                break
        out[lang] = picked
    return out
