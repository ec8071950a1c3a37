"""Finding every term of a rule set in one text: one Aho-Corasick pass per form of the text.

Terms matched as written run over the normalised text, diacritic-folded terms over the folded
text. A raw automaton hit is a candidate: Latin-script edges need a word boundary, a wildcard
extends to the end of the word, and `except:` terms cancel the hits they overlap. This loop runs
for every candidate of every field of every item, so it reads precomputed tuples and a memoised
word-character table rather than calling helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from bot.rules.model import Term
from bot.rules.text import WORD_CHARS, NormalizedText

#: hits kept per term and field: enough to explain and highlight, bounded for huge pages
MAX_HITS_PER_TERM = 20
Span = tuple[int, int]
#: what accepting an automaton hit needs: term id, key length, check_start, check_end, wildcard
_Entry = tuple[int, int, bool, bool, bool]


def overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(slots=True)
class FieldText:
    """One field of one document, prepared: display text plus where each term occurs in it."""

    text: NormalizedText
    hits: dict[int, list[Span]]
    _word_prefix: list[int] | None = None

    def words_between(self, start: int, end: int) -> int:
        """How many words begin in display[start:end] (for `near:` in Latin-script text)."""
        if self._word_prefix is None:
            prefix = [0]
            prev = False
            for ch in self.text.display:
                cur = WORD_CHARS[ch]
                prefix.append(prefix[-1] + (1 if cur and not prev else 0))
                prev = cur
            self._word_prefix = prefix
        return self._word_prefix[end] - self._word_prefix[start]


def is_one_ascii_text(nt: NormalizedText) -> bool:
    """Both forms of the text are the same ASCII string, with the same index maps."""
    if not nt.norm.isascii() or nt.norm != nt.fold:
        return False
    return nt.norm_start == nt.fold_start and nt.norm_end == nt.fold_end


def _root_order(key: str) -> tuple[bool, str]:
    """Where a key's first character sits among the automaton root's children.

    pyahocorasick finds a child by a linear search in insertion order, and nearly every character
    of a text is looked up at the root: ASCII first (after a space, the commonest character, see
    _SPACE_GUARD) halves the scan of Latin-script text. Speed only: the hits are the same.
    """
    return not key[0].isascii(), key[0]


#: never a term key (keys are stripped) and with nothing to report: it puts " " at the root's front
_SPACE_GUARD = " \uffff"
_Pass = tuple[Any, str, tuple[int, ...] | None, tuple[int, ...] | None]


class Scanner:
    """The rule set's terms compiled into Aho-Corasick automata, one set per kind of text.

    Normalised-text terms and folded ones need separate passes over different texts. An all-ASCII
    text (English, Indonesian) is the same in both forms and cannot contain a non-ASCII key, so it
    gets one pass over the ASCII keys of both kinds - unless an `except:` term has excepts of its
    own, where the order terms are first seen in (norm pass, then fold pass) matters.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self._excepts = {i: t.excepts for i, t in enumerate(terms) if t.excepts}
        norm: dict[str, list[_Entry]] = {}
        fold: dict[str, list[_Entry]] = {}
        for i, t in enumerate(terms):
            entry = (i, len(t.key), t.check_start, t.check_end, t.wildcard)
            (fold if t.fold else norm).setdefault(t.key, []).append(entry)
        self._norm, self._fold = self._automaton(norm), self._automaton(fold)
        ascii_norm = {k: v for k, v in norm.items() if k.isascii()}
        ascii_fold = {k: v for k, v in fold.items() if k.isascii()}
        chained = any(x in self._excepts for xs in self._excepts.values() for x in xs)
        self._ascii: tuple[Any, ...]
        if chained:
            self._ascii = (self._automaton(ascii_norm), self._automaton(ascii_fold))
        else:
            merged = dict(ascii_norm)
            for key, entries in ascii_fold.items():
                merged[key] = [*merged.get(key, ()), *entries]
            self._ascii = (self._automaton(merged),)

    @staticmethod
    def _automaton(keys: dict[str, list[_Entry]]) -> Any:
        if not keys:
            return None
        automaton = ahocorasick.Automaton()
        automaton.add_word(_SPACE_GUARD, ())
        for key in sorted(keys, key=_root_order):
            automaton.add_word(key, tuple(keys[key]))
        automaton.make_automaton()
        return automaton

    def _passes(self, nt: NormalizedText) -> list[_Pass]:
        norm, fold = nt.norm, nt.fold
        if is_one_ascii_text(nt):
            return [(a, norm, nt.norm_start, nt.norm_end) for a in self._ascii]
        return [
            (self._norm, norm, nt.norm_start, nt.norm_end),
            (self._fold, fold, nt.fold_start, nt.fold_end),
        ]

    def scan(self, nt: NormalizedText) -> dict[int, list[Span]]:
        """Term id -> display spans of its accepted hits (at most MAX_HITS_PER_TERM each)."""
        hits: dict[int, list[Span]] = {}
        word = WORD_CHARS
        for automaton, text, starts, ends in self._passes(nt):
            if automaton is None:
                continue
            size = len(text)
            for last, entries in automaton.iter(text):
                for tid, length, check_start, check_end, wildcard in entries:
                    found = hits.get(tid)
                    if found is None:
                        # keyed on first sight, accepted or not: `except:` filtering below walks
                        # terms in this order (it matters only when an except term has excepts)
                        found = hits[tid] = []
                    elif len(found) >= MAX_HITS_PER_TERM:
                        continue
                    start, end = last - length + 1, last + 1
                    if check_start and start > 0 and word[text[start - 1]]:
                        continue
                    if wildcard:
                        while end < size and word[text[end]]:
                            end += 1
                    elif check_end and end < size and word[text[end]]:
                        continue
                    if starts is None or ends is None:
                        found.append((start, end))
                    else:
                        found.append((starts[start], ends[end - 1]))
        self._apply_excepts(hits)
        return {k: v for k, v in hits.items() if v}

    def _apply_excepts(self, hits: dict[int, list[Span]]) -> None:
        for tid, spans in hits.items():
            excepts = self._excepts.get(tid)
            if not excepts or not spans:
                continue
            blocked = [b for x in excepts for b in hits.get(x, ())]
            if blocked:
                spans[:] = [s for s in spans if not any(overlap(s, b) for b in blocked)]
