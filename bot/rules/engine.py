"""The compiled rule set: one Aho-Corasick pass per text finds every term of every rule at once.

Per item the cost is: strip + normalise each field, two automaton scans (plain and diacritic-folded
text), then evaluate only the rules one of whose positive terms was found. Adding rules grows the
automaton, not the number of passes, so matching cost grows far less than linearly with rule count.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.models import Document, RuleResult, TermHit
from bot.rules.compile import Test, found_keys, key
from bot.rules.model import FIELD_WEIGHT, FIELDS, Near, Node, Rule, Term, TermRef
from bot.rules.ops import NEAR, anchor, carrying_refs, compile_condition, conjuncts, operator
from bot.rules.scan import MAX_HITS_PER_TERM, FieldText, Hits, Scanner, merge_spans
from bot.rules.text import NormalizedText, plain_text

__all__ = ["MAX_HITS_PER_TERM", "FieldText", "Prepared", "RuleSet", "Trace"]

#: one item's term hits by (term, field), with their sort keys (field number, start, term)
_Made = dict[int, list[tuple[tuple[int, int, str], TermHit]]]


@dataclass(frozen=True, slots=True)
class Prepared:
    fields: dict[str, FieldText]
    lang: str | None
    found: frozenset[int]  # (term, field) keys of every hit, for compiled conditions

    def has(self, ref: TermRef) -> bool:
        return any(f in self.fields and ref.term in self.fields[f].terms for f in ref.fields)


@dataclass(frozen=True, slots=True)
class Trace:
    """Why a condition did or did not hold: for `rules explain` and failing examples."""

    label: str
    matched: bool
    children: tuple[Trace, ...] = ()
    hits: tuple[TermHit, ...] = ()


class RuleSet:
    """Rules loaded from files, compiled once; immutable after construction."""

    def __init__(
        self,
        rules: Sequence[Rule],
        terms: Sequence[Term],
        files: Sequence[Path],
        aliases: Mapping[str, tuple[Path, int]] | None = None,
    ) -> None:
        self._rules = tuple(rules)
        self._aliases = dict(aliases or {})
        self._by_name = {r.name: r for r in self._rules}
        self._index = {r.name: i for i, r in enumerate(self._rules)}
        self._terms = tuple(terms)
        self._files = tuple(files)
        by_term: dict[int, set[int]] = defaultdict(set)
        for i, rule in enumerate(self._rules):
            for ref in rule.positive:
                by_term[ref.term].add(i)
        self._rules_by_term = {t: tuple(sorted(rs)) for t, rs in by_term.items()}
        # per rule, the best weight of each (term, field) key its positive term uses can score
        self._weights: list[dict[int, float]] = []
        for rule in self._rules:
            weights: dict[int, float] = {}
            for ref in rule.positive:
                for f in ref.fields:
                    k = key(ref.term, f)
                    weights[k] = max(weights.get(k, 0.0), ref.weight * FIELD_WEIGHT[f])
            self._weights.append(weights)
        self._scoring = tuple(frozenset(w) for w in self._weights)
        # each condition tree compiled once into closures (bot/rules/compile.py)
        self._tests: tuple[Test, ...] = tuple(
            compile_condition(r.condition, self._terms) for r in self._rules
        )
        self._anchored, self._always = self._index_anchors(by_term)
        self._scanner = Scanner(self._terms)
        # the last text `highlight` scanned: a digest asks for one text's spans rule by rule
        self._last_scan: tuple[str, Hits] | None = None
        # per rule, the terms shown as the reason for a match (bot.rules.ops.carrying_refs), and
        # of those its topic terms: not the pairing every rule requires alike ($VIETNAM, $JAPAN)
        self._shown = {
            r.name: frozenset(ref.term for ref in carrying_refs(r.condition) if ref.highlight)
            for r in self._rules
        }
        pairing = _shared_conditions(self._rules)
        self._topic = {
            r.name: frozenset(
                ref.term
                for child in conjuncts(r.condition)
                if _condition_terms(child) not in pairing
                for ref in carrying_refs(child)
                if ref.highlight
            )
            for r in self._rules
        }

    def __reduce__(self) -> tuple[type[RuleSet], tuple[Any, ...]]:
        # compiled closures do not pickle: a worker process compiles the rules again
        return (RuleSet, (self._rules, self._terms, self._files, self._aliases))

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

        for i, rule in enumerate(self._rules):
            terms = anchor(rule.condition, cost)
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
    def aliases(self) -> Mapping[str, tuple[Path, int]]:
        """Alias name -> the file and line that define it."""
        return self._aliases

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
        found, fields, lang = prep.found, prep.fields, prep.lang
        tests, out = self._tests, []
        made: _Made = {}
        for i in sorted(self._candidates(prep, self._anchored).union(self._always)):
            rule = self._rules[i]
            # most candidates fail their condition: test it before collecting hits and scores
            if not rule.wants_lang(lang) or not tests[i](found, fields):
                continue
            keys, score = self._scored(i, found)
            if score >= rule.min_score:
                hits = self._hits(keys, prep, made)
                out.append(RuleResult(rule.name, True, score, hits, rule.tags, rule.urgent))
        return out

    def highlight(
        self, text: str, rules: Sequence[str], /, *, topic_only: bool = False
    ) -> list[tuple[int, int]]:
        """Spans of `text` (plain, as given) where a term that can carry a match of any of
        `rules` occurs: not terms under `none:` (exceptions to exclusions), not terms marked
        ``highlight: false`` (context words). `topic_only`: only the rule's topic terms, not the
        pairing conditions every rule shares (what `bot.digest.place` compares rules by).

        Names no longer in the rule set contribute nothing: a stored match may outlive its rule.
        """
        shown = self._topic if topic_only else self._shown
        wanted = frozenset().union(*(shown.get(name, frozenset()) for name in rules))
        last = self._last_scan  # one read: another thread may replace it meanwhile
        if last is not None and last[0] == text:
            hits = last[1]
        else:
            hits = self._scanner.scan(NormalizedText.of(text))
            self._last_scan = (text, hits)
        return merge_spans(s for tid, found in hits.items() if tid in wanted for s in found)

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
                fields[name] = self._scanner.field(nt)
        return Prepared(fields, doc.lang, found_keys(fields))

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
            for tid in ft.terms:
                rules = index.get(tid)
                if rules is not None:  # most terms found anchor no rule
                    found.update(rules)
        return found

    def _result(self, rule: Rule, prep: Prepared) -> RuleResult:
        if not rule.wants_lang(prep.lang):
            return RuleResult(rule.name, False, 0.0, tags=rule.tags, urgent=rule.urgent)
        i = self._index[rule.name]
        keys, score = self._scored(i, prep.found)
        matched = self._tests[i](prep.found, prep.fields) and score >= rule.min_score
        hits = self._hits(keys, prep, {})
        return RuleResult(rule.name, matched, score, hits, rule.tags, rule.urgent)

    def _scored(self, i: int, found: frozenset[int]) -> tuple[list[int], float]:
        """Rule `i`'s scoring keys found in an item, and its score: the one scoring path of
        `match` and `evaluate` (defined plainly by `bot.rules.reference.scored`)."""
        keys = sorted(self._scoring[i] & found)
        return keys, _score(keys, self._weights[i])

    def _hits(self, keys: list[int], prep: Prepared, made: _Made) -> tuple[TermHit, ...]:
        """Every occurrence of the (term, field) keys found, by field, start and term.

        `made` keeps one item's hits by key: the rules that match one item share terms.
        """
        spans: dict[tuple[int, int, str], TermHit] = {}
        for k in keys:
            found = made.get(k)
            if found is None:
                term, n = divmod(k, len(FIELDS))
                f, text = FIELDS[n], self._terms[term].text
                ft = prep.fields[f]
                display = ft.text.display
                found = made[k] = [
                    ((n, s, text), TermHit(text, f, s, e, display[s:e])) for s, e in ft.spans(term)
                ]
            # in key order, as the terms were visited before: of two terms written alike, the
            # later one's hit stands
            spans.update(found)
        # the key is unique, so sorting by it alone is the order (field, start, term)
        return tuple(hit for _, hit in sorted(spans.items()))

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
                NEAR.holds(node, self._terms, prep.fields),
                kids,
            )
        kids = tuple(self._trace(c, prep, label="") for c in node.children)
        name = f"{node.op} {node.label}".strip()
        # the plain definition of the operator, over the children's own outcomes
        return Trace(label or name, operator(node.op).holds(k.matched for k in kids), kids)


def _score(keys: list[int], weights: dict[int, float]) -> float:
    """Each term found counts once, at its best weight in the fields it was found in."""
    best: dict[int, float] = {}  # by term id, in order: float addition depends on it
    for k in keys:
        term = k // len(FIELDS)
        best[term] = max(best.get(term, 0.0), weights[k])
    return round(sum(best.values()), 3)


def _condition_terms(node: Node) -> frozenset[int]:
    return frozenset(ref.term for ref in carrying_refs(node))


def _shared_conditions(rules: Sequence[Rule]) -> frozenset[frozenset[int]]:
    """Top-level conditions most rules have alike (the pairing: $VIETNAM, $JAPAN), by their terms.

    Most, not every: a rule built another way (one that reads each press's implicit side, with no
    $JAPAN condition) must not turn the pairing of all the others into topic terms."""
    if len(rules) < 2:
        return frozenset()
    counts = Counter(
        terms for r in rules for terms in {_condition_terms(c) for c in conjuncts(r.condition)}
    )
    return frozenset(terms for terms, n in counts.items() if n >= 2 and 2 * n > len(rules))
