"""Candidate key phrases from example articles that no rule covers yet (`newsbot rules suggest`).

The way the default rules were derived: recurring multi-word names and n-grams per language, minus
anything a rule term already matches. English and Indonesian are cut into words at spaces;
Vietnamese and Japanese are segmented into words first (bot/rules/words.py: pyvi and fugashi with
the `words` extra, a conservative fallback without it), and every candidate is made of whole
words, so none crosses a word boundary ("Bản hợp" from "Nhật Bản hợp tác" is never offered).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.rules.engine import RuleSet
from bot.rules.text import is_cjk, normalize_term, plain_text
from bot.rules.words import Segmenters, Words, clauses

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
#: words of one Japanese compound noun offered together (政府|安全|保障|能力|強化|支援 is six)
_JA_MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


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
    """English and Indonesian: words are what spaces separate."""
    return _ngrams([_WORD.findall(clause) for clause in clauses(text)], stop, syllabic=False)


def _ngrams(words: Words, stop: set[str], *, syllabic: bool) -> list[str]:
    """Runs of 1-4 whole words of one clause, neither starting nor ending with a stop word.

    A single word is offered when it looks like a name (capitalised, 4+ letters) or, in a
    syllabic language (Vietnamese), when it has several syllables ("hợp tác").
    """
    out: list[str] = []
    for clause in words:
        for n in (2, 3, 4, 1):
            for i in range(len(clause) - n + 1):
                gram = clause[i : i + n]
                if gram[0].lower() in stop or gram[-1].lower() in stop:
                    continue
                if n == 1 and not _single_word(gram[0], syllabic=syllabic):
                    continue
                if any(c.isdigit() for w in gram for c in w):
                    continue
                out.append(" ".join(gram))
    return out


def _single_word(word: str, *, syllabic: bool) -> bool:
    if syllabic and " " in word:
        return True
    return len(word) >= 4 and word[0].isupper()


def _candidates(text: str, lang: str, segmenters: Segmenters) -> list[str]:
    if lang == "ja":
        # adjacent words of one compound noun, written together: ワイヤーハーネス, 新工場
        return [
            phrase
            for run in segmenters.ja(text)
            for n in range(1, min(len(run), _JA_MAX_WORDS) + 1)
            for i in range(len(run) - n + 1)
            if _japanese_word(phrase := "".join(run[i : i + n]))
        ]
    if lang == "vi":
        return _ngrams(segmenters.vi(text), _STOP["vi"], syllabic=True)
    return _latin_candidates(text, _STOP[lang])


def _japanese_word(word: str) -> bool:
    return len(word) >= 2 and not any(c.isdigit() for c in word) and any(is_cjk(c) for c in word)


def suggest(
    texts: Sequence[str],
    ruleset: RuleSet,
    *,
    top: int = 20,
    min_count: int = 2,
    segmenters: Segmenters | None = None,
) -> dict[str, list[Suggestion]]:
    """Per language, the `top` uncovered phrases, most widespread first.

    `segmenters` default to the installed tokenizers (`Segmenters.load()`).
    """
    segmenters = segmenters or Segmenters.load()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    files: dict[str, Counter[str]] = defaultdict(Counter)
    display: dict[str, str] = {}
    for raw in texts:
        text = plain_text(raw)
        lang = detect_lang(text)
        found = _candidates(text, lang, segmenters)
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
