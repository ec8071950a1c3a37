"""`near:` conditions, indexed by the terms they hold.

An element of a `near:` is often an alias with hundreds of alternatives (every country's names);
testing it by walking those alternatives for every document costs far more than the few terms a
document contains. Each `near:` is therefore indexed per field by term id, and evaluation starts
from the terms found in the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.rules.model import FIELDS, Near, Term
from bot.rules.scan import FieldText, overlap

#: start, end, element index, whether the term is CJK (proximity in characters, not words)
_Event = tuple[int, int, int, bool]


@dataclass(frozen=True, slots=True)
class NearIndex:
    """One `near:` condition: per field, each element's term ids and each term's elements."""

    node: Near
    elements: dict[str, tuple[frozenset[int], ...]]
    by_term: dict[str, dict[int, tuple[int, ...]]]
    cjk: dict[int, bool]

    @classmethod
    def of(cls, node: Near, terms: Sequence[Term]) -> NearIndex:
        elements: dict[str, tuple[frozenset[int], ...]] = {}
        by_term: dict[str, dict[int, tuple[int, ...]]] = {}
        for f in FIELDS:
            sets = tuple(frozenset(r.term for r in alts if f in r.fields) for alts in node.elements)
            elements[f] = sets
            owners: dict[int, list[int]] = {}
            for k, ids in enumerate(sets):
                for t in ids:
                    owners.setdefault(t, []).append(k)
            by_term[f] = {t: tuple(ks) for t, ks in owners.items()}
        cjk = {t: terms[t].cjk for f in FIELDS for t in by_term[f]}
        return cls(node, elements, by_term, cjk)

    def holds(self, fields: dict[str, FieldText]) -> bool:
        """Every element occurs in one field, as distinct occurrences, close enough together."""
        for f in self.node.fields:
            ft = fields.get(f)
            if ft is not None and self._holds_in(ft, f):
                return True
        return False

    def _holds_in(self, ft: FieldText, fname: str) -> bool:
        for ids in self.elements[fname]:
            if ids.isdisjoint(ft.terms):
                return False
        owners = self.by_term[fname]
        events: list[_Event] = []
        for t in ft.terms:
            ks = owners.get(t)
            if ks is not None:
                cjk, spans = self.cjk[t], ft.spans(t)
                events.extend((s, e, k, cjk) for k in ks for s, e in spans)
        # the same events as listing every alternative of every element, bar exact duplicates
        # (one term twice in an element), which cannot change the outcome below
        events.sort()
        return self._close_enough(events, ft)

    def _close_enough(self, events: list[_Event], ft: FieldText) -> bool:
        node = self.node
        need = len(node.elements)
        for i, (s0, e0, k0, cjk0) in enumerate(events):
            chosen = {k0: (s0, e0, cjk0)}
            for s, e, k, cjk in events[i + 1 :]:
                # distinct occurrences: one "South Korea" is not two countries of a list
                if k not in chosen and not any(overlap((s, e), c[:2]) for c in chosen.values()):
                    chosen[k] = (s, e, cjk)
                if len(chosen) == need:
                    break
            if len(chosen) < need:
                continue
            right = max(chosen.values())
            gap_start, gap_end = min(e0, right[0]), right[0]
            if any(c[2] for c in chosen.values()):
                ok = gap_end - gap_start <= node.chars
            else:
                ok = ft.words_between(gap_start, gap_end) <= node.within
            if ok:
                return True
        return False
