"""What makes two near-identical headlines one story or two.

Wire services and state media publish one headline template per topic ("Vietnam, Japan agree to …
(update 3)"), so word overlap alone merges different stories. Two titles are one story only if,
besides overlapping, they carry the same *marks*: numbers and dates (``#`` prefixed) and names
(capitalised words inside a sentence-case title, acronyms, katakana runs, Latin words in CJK text).
Version markers ("(update 3)", "UPDATE 2-", "(corrected)") and an aggregator's " - Outlet" suffix are
not part of the story and are removed first.
"""

from __future__ import annotations

import re
import unicodedata

from bot.rules.text import has_cjk

# " - Outlet", " | Outlet", " — Outlet" at the end of a title (aggregators append the source)
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{1,40}$")
_VERSION_WORDS = r"update[sd]?|updating|corrected|correction|refiled?|recasts?|adds?|writethru|ld|lead|更新|続報|訂正|cập nhật"
# "(update 3)", "[UPDATED]", "(2nd LD)", "【更新】" anywhere; "UPDATE 3-" / "REFILE-" at the start
_VERSION_BRACKETED = re.compile(
    rf"[\(\[【]\s*(?:\d+(?:st|nd|rd|th)\s+)?(?:{_VERSION_WORDS})\b[^\)\]】]{{0,20}}[\)\]】]",
    re.IGNORECASE,
)
_VERSION_PREFIX = re.compile(r"^\s*(?:update\s*\d*|refile|corrected)\s*[-:]\s*", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MONTH = re.compile(
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|oct(ober)?"
    r"|nov(ember)?|dec(ember)?"
)
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")
# capitalised only because they open the sentence: not names
_OPENER_WORDS = (
    "the a an new how why what when who this these more most top breaking exclusive analysis "
    "explainer watch live photos video opinion editorial here after as at in on for with "
    "from by to its two both ông bà các những một người khi sau tại vì bagaimana mengapa ini "
    "para "
)
_OPENERS = frozenset(_OPENER_WORDS.split())


def story_title(title: str) -> str:
    """The title without version markers and an aggregator's outlet suffix."""
    base = _VERSION_PREFIX.sub("", unicodedata.normalize("NFKC", title))
    base = _VERSION_BRACKETED.sub(" ", base)
    return _OUTLET_SUFFIX.sub("", base).strip()


def story_marks(title: str) -> frozenset[str]:
    """Numbers and dates (``#5``, ``#nov``) and names (casefolded) that identify the story."""
    text = story_title(title)
    marks = {f"#{n.replace(',', '')}" for n in _NUMBER.findall(text)}
    words = _LATIN_WORD.findall(text)
    marks.update(f"#{w.casefold()}" for w in words if _MONTH.fullmatch(w.casefold()))
    if has_cjk(text):  # the rules' definition of scripts written without spaces
        marks.update(k for k in _KATAKANA.findall(text))
        marks.update(w.casefold() for w in words if w.isascii() and len(w) > 1)
        return frozenset(marks)
    # Title Case ("Japan To Fund Metro Line"): no longer word is lower case, capitals say nothing
    long_words = [w for w in words if len(w) > 3]
    title_case = len(long_words) >= 3 and all(w[0].isupper() for w in long_words)
    for i, word in enumerate(words):
        acronym = len(word) > 1 and word.isupper()
        name = word[0].isupper() and not title_case and (i > 0 or word.casefold() not in _OPENERS)
        if (acronym or name) and not _MONTH.fullmatch(word.casefold()):
            marks.add(_possessive(word).casefold())
    return frozenset(marks)


def _possessive(word: str) -> str:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def numbers(marks: frozenset[str]) -> frozenset[str]:
    """The numbers and dates among a title's marks (two titles must agree on them exactly)."""
    return frozenset(m for m in marks if m[0] == "#")
