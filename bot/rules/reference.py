"""The rule language, defined plainly: what a condition means and what a match scores.

This is the written definition the fast path is held to. `RuleSet.match` and `evaluate`
(bot/rules/engine.py) reach the same answers through compiled key sets, anchor indexes and hits
shared between rules; the tests (tests/test_rules_compile.py) compare them with these functions,
which walk the rule's tree node by node and ask each operator (bot/rules/ops.py) what it means.
Nothing in the bot calls them on its own path: they are slow on purpose, being obvious.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import TermHit
from bot.rules.model import FIELD_WEIGHT, FIELDS, Near, Node, Rule, Term, TermRef
from bot.rules.ops import NEAR, operator
from bot.rules.scan import FieldText


def holds(node: Node, fields: dict[str, FieldText], terms: Sequence[Term]) -> bool:
    """A term holds when it is found in one of its fields; `near:` when its elements are found
    close together in one field; a group as its operator says over its children's outcomes."""
    if isinstance(node, TermRef):
        return any(f in fields and node.term in fields[f].hits for f in node.fields)
    if isinstance(node, Near):
        return NEAR.holds(node, terms, fields)
    return operator(node.op).holds([holds(c, fields, terms) for c in node.children])


def scored(
    rule: Rule, fields: dict[str, FieldText], terms: Sequence[Term]
) -> tuple[float, tuple[TermHit, ...]]:
    """Each positive term found scores its best weight x field weight, once; every occurrence of
    a positive term is a hit, ordered by field, start and term."""
    best: dict[int, float] = {}
    hits: dict[tuple[str, str, int], TermHit] = {}
    for ref in sorted(rule.positive, key=lambda r: r.term):
        for f in ref.fields:
            spans = fields[f].hits.get(ref.term, ()) if f in fields else ()
            if spans:
                best[ref.term] = max(best.get(ref.term, 0.0), ref.weight * FIELD_WEIGHT[f])
            for s, e in spans:
                text = terms[ref.term].text
                hits[(f, text, s)] = TermHit(text, f, s, e, fields[f].text.display[s:e])
    ordered = sorted(hits.values(), key=lambda h: (FIELDS.index(h.field), h.start, h.term))
    return round(sum(best.values()), 3), tuple(ordered)


def matches(
    rule: Rule, fields: dict[str, FieldText], terms: Sequence[Term], lang: str | None
) -> bool:
    """A rule matches an item in its languages whose condition holds and whose score reaches the
    rule's `min_score`."""
    if not rule.wants_lang(lang):
        return False
    return holds(rule.condition, fields, terms) and scored(rule, fields, terms)[0] >= rule.min_score
