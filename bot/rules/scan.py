"""Finding every term of a rule set in one text: one Aho-Corasick pass per form of the text.

Terms matched as written run over the normalised text, diacritic-folded terms over the folded
text. A raw automaton hit is a candidate: Latin-script edges need a word boundary, a wildcard
extends to the end of the word, and `except:` terms cancel the hits they overlap.

Most items match no rule, and what they need is only WHICH terms occur; news text repeats its
words, so an automaton reports several times as many hits as there are terms found. The pass
therefore collects the distinct keys it saw in C (no Python per hit), a term is confirmed by
its first acceptable occurrence (`str.find`), and the spans of every hit are worked out only
when asked for (`FieldText.hits`: `near:`, the hits of a matching rule, `explain`, highlights).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

import ahocorasick

from bot.rules.model import Term
from bot.rules.text import WORD_CHARS, NormalizedText

#: hits kept per term and field: enough to explain and highlight, bounded for huge pages
MAX_HITS_PER_TERM = 20
Span = tuple[int, int]
Hits = dict[int, list[Span]]
#: a term an automaton key stands for: term id, the term, whether it has `except:` terms
_Entry = tuple[int, Term, bool]
#: an automaton value's meaning: key, its terms, whether every raw hit is accepted, entries
_Key = tuple[str, tuple[int, ...], bool, tuple[_Entry, ...]]
_second = itemgetter(1)


def overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping, non-empty spans: touching or overlapping ones joined.

    The one definition: highlights (`RuleSet.highlight`), digest snippets (bot/digest/text.py)
    and `rules explain` output merge spans with it.
    """
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0] >= 0):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def accepts(term: Term, text: str, start: int) -> bool:
    """Does the occurrence of `term.key` at `text[start:]` have the word edges the term needs?

    A Latin-script edge needs a word boundary ("Japan" is not in "Japanese"); a wildcard term
    ("mitra*") accepts any continuation of the word. The one edge test of the scanner: `field`
    (which terms occur) and `_spans` (where) both ask it.
    """
    word = WORD_CHARS
    if term.check_start and start and word[text[start - 1]]:
        return False
    if term.wildcard or not term.check_end:
        return True
    end = start + len(term.key)
    return end >= len(text) or not word[text[end]]


class FieldText:
    """One field of one document, prepared: display text, the terms found in it and where.

    `terms` is known at once. Unless `hits` (term id -> display spans) is given, each term's
    spans are computed on first use by `where`: a matching rule needs those of its own terms
    only. Either way they agree: `terms` holds exactly the keys of `hits`, in the same order.
    """

    __slots__ = ("_hits", "_spans", "_where", "_word_prefix", "terms", "text")

    def __init__(
        self,
        text: NormalizedText,
        hits: Hits | None = None,
        *,
        terms: Collection[int] = (),
        where: Callable[[int], list[Span]] | None = None,
    ) -> None:
        if hits is None and where is None:
            raise ValueError("rules: a field's hits, or a way to them, are needed")
        self.text = text
        self._hits = hits
        self._where = where
        self._spans: dict[int, list[Span]] = {}
        self.terms: Collection[int] = terms if hits is None else hits
        self._word_prefix: list[int] | None = None

    def spans(self, term: int) -> list[Span]:
        """Display spans of the hits of one term found in the field."""
        if self._hits is not None or self._where is None:
            return self.hits[term]
        found = self._spans.get(term)
        if found is None:
            found = self._spans[term] = self._where(term)
        return found

    @property
    def hits(self) -> Hits:
        if self._hits is None:
            self._hits = {t: self.spans(t) for t in self.terms}
        return self._hits

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


def is_free(term: Term) -> bool:
    """Every raw automaton hit of the term is a hit: no word boundary to check, nothing to cancel."""
    return not term.check_start and (term.wildcard or not term.check_end) and not term.excepts


def _root_order(key: str) -> tuple[bool, str]:
    """Where a key's first character sits among the automaton root's children.

    pyahocorasick finds a child by a linear search in insertion order, and nearly every character
    of a text is looked up at the root: ASCII first (after a space, the commonest character, see
    _SPACE_GUARD) halves the scan of Latin-script text. Speed only: the hits are the same.
    """
    return not key[0].isascii(), key[0]


def _cjk_root_order(key: str) -> tuple[bool, str]:
    """The root order for text with CJK characters, most of which are CJK: those first."""
    return key[0] < "\u2e80", key[0]


#: never a term key (keys are stripped) and with nothing to report: it puts " " at the root's front
_SPACE_GUARD = " \uffff"
#: text without a character from CJK radicals onwards: keys with one cannot occur in it
_LOW = re.compile("[\x00-\u2e7f]*")
#: one pass over a text: automaton, the meaning of its values, whether it reads the folded form
_Pass = tuple[Any, list[_Key], bool]
#: what one pass reported: the meaning of its values, the distinct values in first-report order
_Reported = tuple[list[_Key], dict[int, None]]


def is_one_text(nt: NormalizedText) -> bool:
    """Both forms of the text are the same string, with the same index maps."""
    if nt.norm is nt.fold:
        return True
    return nt.norm == nt.fold and nt.norm_start == nt.fold_start and nt.norm_end == nt.fold_end


class Scanner:
    """The rule set's terms compiled into Aho-Corasick automata, one set per kind of text.

    Normalised-text terms and folded ones need separate passes over different texts, unless both
    forms are the same text (English, Indonesian, Japanese): then one pass over both kinds of
    keys. A kind of text also leaves out the keys it cannot contain, because pyahocorasick finds a
    character among the automaton root's children by a linear search: ASCII text needs only
    the ASCII keys, text without CJK characters (Vietnamese) none of the CJK keys.

    The passes only say which keys occur; which of their terms are hits is then decided term by
    term, on the term's own form of the text.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self._terms = tuple(terms)
        self._excepts = {i: t.excepts for i, t in enumerate(terms) if t.excepts}
        # an except term with excepts of its own makes cancellation depend on the order terms
        # are first seen in: there the passes stay apart (norm, then fold) and every term found
        # is decided from the full hits
        self._chained = any(x in self._excepts for xs in self._excepts.values() for x in xs)
        norm: dict[str, list[int]] = {}
        fold: dict[str, list[int]] = {}
        for i, t in enumerate(terms):
            (fold if t.fold else norm).setdefault(t.key, []).append(i)

        def low(keys: dict[str, list[int]]) -> dict[str, list[int]]:
            return {k: v for k, v in keys.items() if _LOW.fullmatch(k)}

        def ascii_only(keys: dict[str, list[int]]) -> dict[str, list[int]]:
            return {k: v for k, v in keys.items() if k.isascii()}

        merge = not self._chained
        self._any = self._passes(norm, fold, merge=False, order=_cjk_root_order)
        self._low = self._passes(low(norm), low(fold), merge=False)
        self._same = self._passes(norm, fold, merge=merge, order=_cjk_root_order)
        self._same_low = self._passes(low(norm), low(fold), merge=merge)
        self._ascii = self._passes(ascii_only(norm), ascii_only(fold), merge=merge)

    def _passes(
        self,
        norm: dict[str, list[int]],
        fold: dict[str, list[int]],
        *,
        merge: bool,
        order: Callable[[str], tuple[bool, str]] = _root_order,
    ) -> tuple[_Pass, ...]:
        if merge:
            merged = {k: list(v) for k, v in norm.items()}
            for k, ids in fold.items():
                merged.setdefault(k, []).extend(ids)
            kinds = [(merged, False)]
        else:
            kinds = [(norm, False), (fold, True)]
        return tuple((*self._automaton(keys, order), folded) for keys, folded in kinds if keys)

    def _automaton(
        self, keys: dict[str, list[int]], order: Callable[[str], tuple[bool, str]]
    ) -> tuple[Any, list[_Key]]:
        automaton = ahocorasick.Automaton()
        table: list[_Key] = [(_SPACE_GUARD, (), True, ())]
        automaton.add_word(_SPACE_GUARD, 0)
        for key in sorted(keys, key=order):
            ids = keys[key]
            terms = [self._terms[i] for i in ids]
            entries = tuple((i, t, bool(t.excepts)) for i, t in zip(ids, terms, strict=True))
            automaton.add_word(key, len(table))
            table.append((key, tuple(ids), all(map(is_free, terms)), entries))
        automaton.make_automaton()
        return automaton, table

    def _passes_for(self, nt: NormalizedText) -> tuple[_Pass, ...]:
        if nt.norm is nt.fold and nt.norm.isascii():  # the commonest case, without a call
            return self._ascii
        if is_one_text(nt):
            if nt.norm.isascii():
                return self._ascii
            # English with typographic quotes or dashes, say
            return self._same_low if _LOW.fullmatch(nt.norm) else self._same
        # folding a text without CJK characters brings none in (it strips Latin diacritics)
        if _LOW.fullmatch(nt.norm):
            return self._low
        return self._any

    def field(self, nt: NormalizedText) -> FieldText:
        """The field with the terms found in it; their spans are computed on first use."""
        terms: list[int] = []  # in the order `scan` lists them
        for automaton, table, folded in self._passes_for(nt):
            text = nt.fold if folded else nt.norm
            # C-speed: the distinct keys reported, in the order they were first reported
            for ki in dict.fromkeys(map(_second, automaton.iter(text))):
                key, ids, free, entries = table[ki]
                if free:
                    terms.extend(ids)
                    continue
                for tid, term, has_excepts in entries:
                    if has_excepts:
                        if self._chained:
                            return FieldText(nt, self.scan(nt))
                        if self._final_spans(tid, nt):
                            terms.append(tid)
                        continue
                    # a hit where one occurrence has acceptable edges
                    start = text.find(key)
                    while start >= 0:
                        if accepts(term, text, start):
                            terms.append(tid)
                            break
                        start = text.find(key, start + 1)
        if not terms:
            return FieldText(nt, {})
        return FieldText(nt, terms=terms, where=partial(self._term_spans, nt))

    def scan(self, nt: NormalizedText) -> Hits:
        """Term id -> display spans of its accepted hits (at most MAX_HITS_PER_TERM each)."""
        reported = [
            (table, dict.fromkeys(map(_second, automaton.iter(nt.fold if folded else nt.norm))))
            for automaton, table, folded in self._passes_for(nt)
        ]
        return self._hits(nt, reported)

    def _hits(self, nt: NormalizedText, reported: list[_Reported]) -> Hits:
        hits = {
            tid: self._spans(tid, nt)
            for table, kis in reported
            for ki in kis
            for tid in table[ki][1]
        }
        for tid, spans in hits.items():
            # in place, in the order the terms' keys were first reported: with chained excepts
            # (an except term with excepts of its own) the order decides what is cancelled
            excepts = self._excepts.get(tid)
            if excepts and spans:
                blocked = [b for x in excepts for b in hits.get(x, ())]
                if blocked:
                    spans[:] = [s for s in spans if not any(overlap(s, b) for b in blocked)]
        return {k: v for k, v in hits.items() if v}

    def _term_spans(self, nt: NormalizedText, tid: int) -> list[Span]:
        """A term's hits, as `scan` gives them when excepts are not chained."""
        return self._final_spans(tid, nt) if tid in self._excepts else self._spans(tid, nt)

    def _final_spans(self, tid: int, nt: NormalizedText) -> list[Span]:
        """A term's hits after its `except:` terms cancelled theirs (excepts not chained)."""
        spans = self._spans(tid, nt)
        blocked = [b for x in self._excepts[tid] for b in self._spans(x, nt)]
        return [s for s in spans if not any(overlap(s, b) for b in blocked)]

    def _spans(self, tid: int, nt: NormalizedText) -> list[Span]:
        """Display spans of a term's accepted hits in order, at most MAX_HITS_PER_TERM."""
        term = self._terms[tid]
        key = term.key
        if term.fold:
            text, starts, ends = nt.fold, nt.fold_start, nt.fold_end
        else:
            text, starts, ends = nt.norm, nt.norm_start, nt.norm_end
        word, size = WORD_CHARS, len(text)
        found: list[Span] = []
        start = text.find(key)
        while start >= 0 and len(found) < MAX_HITS_PER_TERM:
            if accepts(term, text, start):
                end = start + len(key)
                if term.wildcard:  # the hit runs to the end of the word
                    while end < size and word[text[end]]:
                        end += 1
                found.append((start, end))
            start = text.find(key, start + 1)
        if starts is None or ends is None:
            return found
        return [(starts[s], ends[e - 1]) for s, e in found]
