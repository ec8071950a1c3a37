"""The compiled rule set: one Aho-Corasick pass per text finds every term of every rule at once.

Per item the cost is: strip + normalise each field, two automaton scans (plain and diacritic-folded
text), then evaluate only the rules one of whose positive terms was found. Adding rules grows the
automaton, not the number of passes, so matching cost grows far less than linearly with rule count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.models import Document, RuleResult, TermHit
from bot.rules.model import FIELD_WEIGHT, FIELDS, Group, Near, Node, Rule, Term, TermRef
from bot.rules.near import NearIndex
from bot.rules.scan import MAX_HITS_PER_TERM, FieldText, Scanner
from bot.rules.text import NormalizedText, plain_text

__all__ = ["MAX_HITS_PER_TERM", "FieldText", "Prepared", "RuleSet", "Trace"]


@dataclass(frozen=True, slots=True)
class Prepared:
    fields: dict[str, FieldText]
    lang: str | None

    def has(self, ref: TermRef) -> bool:
        return any(f in self.fields and ref.term in self.fields[f].hits for f in ref.fields)


@dataclass(frozen=True, slots=True)
class Trace:
    """Why a condition did or did not hold: for `rules explain` and failing examples."""

    label: str
    matched: bool
    children: tuple[Trace, ...] = ()
    hits: tuple[TermHit, ...] = ()


class RuleSet:
    """Rules loaded from files, compiled once; immutable after construction."""

    def __init__(self, rules: Sequence[Rule], terms: Sequence[Term], files: Sequence[Path]) -> None:
        self._rules = tuple(rules)
        self._by_name = {r.name: r for r in self._rules}
        self._terms = tuple(terms)
        self._files = tuple(files)
        by_term: dict[int, set[int]] = defaultdict(set)
        for i, rule in enumerate(self._rules):
            for ref in rule.positive:
                by_term[ref.term].add(i)
        self._rules_by_term = {t: tuple(sorted(rs)) for t, rs in by_term.items()}
        # per rule, its positive term uses by term: scoring visits the terms found, not all terms
        self._refs: dict[str, dict[int, list[TermRef]]] = {}
        for rule in self._rules:
            refs: dict[int, list[TermRef]] = defaultdict(list)
            for ref in rule.positive:
                refs[ref.term].append(ref)
            self._refs[rule.name] = dict(refs)
        # "any" groups of plain terms (an alias) are tested as one set intersection per field set
        self._term_sets: dict[int, tuple[tuple[tuple[str, ...], frozenset[int]], ...]] = {}
        self._near: dict[int, NearIndex] = {}
        for rule in self._rules:
            self._index_term_sets(rule.condition)
        self._anchored, self._always = self._index_anchors(by_term)
        self._scanner = Scanner(self._terms)

    def __reduce__(self) -> tuple[type[RuleSet], tuple[Any, ...]]:
        # The indexes above are keyed by object identity (id(node)), which does not survive
        # pickling: a worker process rebuilds them from the rules instead of receiving stale ones.
        return (RuleSet, (self._rules, self._terms, self._files))

    def _index_term_sets(self, node: Node) -> None:
        if isinstance(node, Near):
            self._near[id(node)] = NearIndex.of(node, self._terms)
        if not isinstance(node, Group):
            return
        if node.op != "all" and all(isinstance(c, TermRef) for c in node.children):
            by_fields: dict[tuple[str, ...], set[int]] = defaultdict(set)
            for c in node.children:
                assert isinstance(c, TermRef)
                by_fields[c.fields].add(c.term)
            self._term_sets[id(node)] = tuple((f, frozenset(t)) for f, t in by_fields.items())
        for c in node.children:
            self._index_term_sets(c)

    def _index_anchors(
        self, by_term: dict[int, set[int]]
    ) -> tuple[dict[int, tuple[int, ...]], tuple[int, ...]]:
        """Index each rule by the terms of one condition it cannot match without (its anchor).

        A term shared by every rule (a country alias) would make every rule a candidate for every
        item; the anchor is the necessary part whose terms are least shared, so `match` evaluates
        only rules that stand a chance, and the cost stays flat as rules are added.
        """
        anchored: dict[int, set[int]] = defaultdict(set)
        always: list[int] = []

        def cost(terms: frozenset[int]) -> int:
            return sum(len(by_term.get(t, ())) for t in terms)

        def anchor(node: Node) -> frozenset[int] | None:
            if isinstance(node, TermRef):
                return frozenset((node.term,))
            if isinstance(node, Near):
                options = [frozenset(r.term for r in alts) for alts in node.elements]
                return min(options, key=cost)
            if node.op == "none":
                return None  # holds without any hit
            parts = [anchor(c) for c in node.children]
            if node.op == "any":
                if any(p is None for p in parts):
                    return None
                return frozenset().union(*(p for p in parts if p is not None))
            found = [p for p in parts if p is not None]
            return min(found, key=cost) if found else None

        for i, rule in enumerate(self._rules):
            terms = anchor(rule.condition)
            if terms is None:
                always.append(i)
            else:
                for t in terms:
                    anchored[t].add(i)
        return {t: tuple(sorted(rs)) for t, rs in anchored.items()}, tuple(always)

    # ------------------------------------------------------------------ public API

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self._rules)

    @property
    def files(self) -> tuple[Path, ...]:
        return self._files

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def terms(self) -> tuple[Term, ...]:
        return self._terms

    def rule(self, name: str) -> Rule:
        return self._by_name[name]

    def __len__(self) -> int:
        return len(self._rules)

    def evaluate(self, doc: Document) -> list[RuleResult]:
        """One result per rule, in file order, matched or not."""
        prep = self.prepare(doc)
        candidates = self._candidates(prep, self._rules_by_term).union(self._always)
        return [
            self._result(rule, prep) if i in candidates else RuleResult(rule.name, False, 0.0)
            for i, rule in enumerate(self._rules)
        ]

    def match(self, doc: Document) -> list[RuleResult]:
        """Only the rules that match, in file order."""
        prep = self.prepare(doc)
        out = []
        for i in sorted(self._candidates(prep, self._anchored).union(self._always)):
            rule = self._rules[i]
            # most candidates fail their condition: test it before collecting hits and scores
            if not rule.wants_lang(prep.lang) or not self._holds(rule.condition, prep):
                continue
            result = self._result(rule, prep, holds=True)
            if result.matched:
                out.append(result)
        return out

    def highlight(self, text: str, rules: Sequence[str]) -> list[tuple[int, int]]:
        """Spans of `text` (plain, as given) where a positive term of any of `rules` occurs.

        Names no longer in the rule set contribute nothing: a stored match may outlive its rule.
        """
        wanted = {
            ref.term for name in rules if name in self._by_name for ref in self.rule(name).positive
        }
        hits = self._scanner.scan(NormalizedText.of(text))
        spans = sorted(s for tid, found in hits.items() if tid in wanted for s in found)
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged

    def covers(self, text: str) -> bool:
        """Does any term of any rule occur in `text`?"""
        return bool(self._scanner.scan(NormalizedText.of(text)))

    def prepare(self, doc: Document) -> Prepared:
        fields: dict[str, FieldText] = {}
        for name in FIELDS:
            raw: str = getattr(doc, name)
            if not raw:
                continue
            nt = NormalizedText.of(plain_text(raw))
            if nt.display:
                fields[name] = FieldText(nt, self._scanner.scan(nt))
        return Prepared(fields, doc.lang)

    def trace(self, name: str, prep: Prepared) -> Trace:
        rule = self.rule(name)
        return self._trace(rule.condition, prep, label=f"rule {name}")

    def result(self, name: str, prep: Prepared) -> RuleResult:
        return self._result(self.rule(name), prep)

    # ------------------------------------------------------------------ matching

    @staticmethod
    def _candidates(prep: Prepared, index: dict[int, tuple[int, ...]]) -> set[int]:
        found: set[int] = set()
        for ft in prep.fields.values():
            for tid in ft.hits:
                found.update(index.get(tid, ()))
        return found

    def _result(self, rule: Rule, prep: Prepared, *, holds: bool | None = None) -> RuleResult:
        if not rule.wants_lang(prep.lang):
            return RuleResult(rule.name, False, 0.0, tags=rule.tags, urgent=rule.urgent)
        best: dict[int, float] = {}
        hits: dict[tuple[str, str, int], TermHit] = {}
        refs = self._refs[rule.name]
        found = {t for ft in prep.fields.values() for t in ft.hits if t in refs}
        for ref in (r for t in sorted(found) for r in refs[t]):
            for f in ref.fields:
                ft = prep.fields.get(f)
                if ft is None or ref.term not in ft.hits:
                    continue
                best[ref.term] = max(best.get(ref.term, 0.0), ref.weight * FIELD_WEIGHT[f])
                for s, e in ft.hits[ref.term]:
                    text = self._terms[ref.term].text
                    hits[(f, text, s)] = TermHit(text, f, s, e, ft.text.display[s:e])
        score = round(sum(best.values()), 3)
        if holds is None:
            holds = self._holds(rule.condition, prep)
        matched = holds and score >= rule.min_score
        ordered = sorted(hits.values(), key=lambda h: (FIELDS.index(h.field), h.start, h.term))
        return RuleResult(rule.name, matched, score, tuple(ordered), rule.tags, rule.urgent)

    def _holds(self, node: Node, prep: Prepared) -> bool:
        if isinstance(node, TermRef):
            return prep.has(node)
        if isinstance(node, Near):
            return self._near_holds(node, prep)
        if node.op == "all":
            return all(self._holds(c, prep) for c in node.children)
        sets = self._term_sets.get(id(node))
        if sets is not None:
            found = any(
                not terms.isdisjoint(prep.fields[f].hits)
                for fields, terms in sets
                for f in fields
                if f in prep.fields
            )
        else:
            found = any(self._holds(c, prep) for c in node.children)
        return found if node.op == "any" else not found

    def _near_holds(self, node: Near, prep: Prepared) -> bool:
        return self._near[id(node)].holds(prep.fields)

    def _trace(self, node: Node, prep: Prepared, *, label: str) -> Trace:
        if isinstance(node, TermRef):
            hits = tuple(
                TermHit(self._terms[node.term].text, f, s, e, prep.fields[f].text.display[s:e])
                for f in node.fields
                if f in prep.fields
                for s, e in prep.fields[f].hits.get(node.term, ())
            )
            where = "" if node.fields == FIELDS else f" [{', '.join(node.fields)}]"
            return Trace(node.label + where, bool(hits), (), hits)
        if isinstance(node, Near):
            kids = tuple(
                Trace(
                    " | ".join(dict.fromkeys(r.label.split(": ")[0] for r in alts)),
                    any(prep.has(r) for r in alts),
                    tuple(self._trace(r, prep, label="") for r in alts if prep.has(r)),
                )
                for alts in node.elements
            )
            return Trace(
                f"near (within {node.within} words / {node.chars} chars)",
                self._near_holds(node, prep),
                kids,
            )
        kids = tuple(self._trace(c, prep, label="") for c in node.children)
        name = f"{node.op} {node.label}".strip()
        return Trace(label or name, self._holds(node, prep), kids)
