"""The rule language's operators, one class each, and the walks of a condition tree that ask them.

An operator is everything the engine knows about it: what it means over its children's outcomes
(`holds`: the definition, which bot/rules/reference.py and `rules explain` apply), what it
compiles into (`compile`: the parts of bot/rules/compile.py), the terms a rule cannot match
without (`anchor`: how `RuleSet.match` picks candidate rules) and whether the terms under it count
for a match (`negates`: `positive_refs`, `carrying_refs`).

The group operators (`all:`, `any:`, `none:`) are named by `Op` (bot/rules/model.py) and found by
`operator`, whose `match` ends in `assert_never`: a new group operator is a new class here, a new
name in `Op` and a new case below, and mypy names whatever was forgotten. `near:` is not a group
(its children are alternatives of terms, not conditions): it is the `Near` node, and `NEAR` its
operator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, assert_never

from bot.rules.compile import (
    Part,
    Test,
    conjunction,
    disjunction,
    lower,
    near_part,
    negation,
    term_part,
)
from bot.rules.model import Group, Near, Node, Op, Term, TermRef
from bot.rules.near import NearIndex
from bot.rules.scan import FieldText

#: the term ids a condition cannot hold without one of; None when it can hold with no hit at all
Anchor = frozenset[int] | None
#: how many rules share an anchor's terms: the least shared anchor makes the fewest candidates
Cost = Callable[[frozenset[int]], int]


class GroupOperator(ABC):
    """`all:`, `any:` or `none:` over a list of conditions."""

    name: ClassVar[Op]
    negates: ClassVar[bool] = False  # the terms under it rescue from a match, never carry one

    @abstractmethod
    def holds(self, outcomes: Iterable[bool]) -> bool: ...

    @abstractmethod
    def compile(self, parts: list[Part]) -> Part: ...

    @abstractmethod
    def anchor(self, anchors: list[Anchor], cost: Cost) -> Anchor: ...


class AllOf(GroupOperator):
    name = "all"

    def holds(self, outcomes: Iterable[bool]) -> bool:
        return all(outcomes)

    def compile(self, parts: list[Part]) -> Part:
        return conjunction(parts)

    def anchor(self, anchors: list[Anchor], cost: Cost) -> Anchor:
        # any one child is necessary: the one whose terms are least shared
        found = [a for a in anchors if a is not None]
        return min(found, key=cost) if found else None


class AnyOf(GroupOperator):
    name = "any"

    def holds(self, outcomes: Iterable[bool]) -> bool:
        return any(outcomes)

    def compile(self, parts: list[Part]) -> Part:
        return disjunction(parts)

    def anchor(self, anchors: list[Anchor], cost: Cost) -> Anchor:
        # one of the children is necessary: all their terms together
        if any(a is None for a in anchors):
            return None
        return frozenset().union(*(a for a in anchors if a is not None))


class NoneOf(GroupOperator):
    name = "none"
    negates = True

    def holds(self, outcomes: Iterable[bool]) -> bool:
        return not any(outcomes)

    def compile(self, parts: list[Part]) -> Part:
        return negation(disjunction(parts))

    def anchor(self, anchors: list[Anchor], cost: Cost) -> Anchor:
        return None  # holds without any hit


ALL, ANY, NONE = AllOf(), AnyOf(), NoneOf()


def operator(op: Op) -> GroupOperator:
    """The operator a group's `op` names (the one registry of group operators)."""
    match op:
        case "all":
            return ALL
        case "any":
            return ANY
        case "none":
            return NONE
        case _:
            assert_never(op)


class NearOperator:
    """`near:`: every element (a set of alternative terms) in one field, close together."""

    def holds(self, node: Near, terms: Sequence[Term], fields: dict[str, FieldText]) -> bool:
        return NearIndex.of(node, terms).holds(fields)

    def compile(self, node: Near, terms: Sequence[Term]) -> Part:
        return near_part(node, terms)

    def anchor(self, node: Near, cost: Cost) -> Anchor:
        # every element is necessary: the one whose alternatives are least shared
        return min((frozenset(r.term for r in alts) for alts in node.elements), key=cost)

    def refs(self, node: Near) -> list[TermRef]:
        return [r for alts in node.elements for r in alts]


NEAR = NearOperator()


# -------------------------------------------------------------------- the walks


def compile_condition(node: Node, terms: Sequence[Term]) -> Test:
    """`node` as one test of an item's found keys and fields (see `bot.rules.compile`)."""
    return lower(_part(node, terms))


def _part(node: Node, terms: Sequence[Term]) -> Part:
    if isinstance(node, TermRef):
        return term_part(node)
    if isinstance(node, Near):
        return NEAR.compile(node, terms)
    return operator(node.op).compile([_part(c, terms) for c in node.children])


def anchor(node: Node, cost: Cost) -> Anchor:
    """The terms of one condition `node` cannot hold without: the least shared such condition."""
    if isinstance(node, TermRef):
        return frozenset((node.term,))
    if isinstance(node, Near):
        return NEAR.anchor(node, cost)
    return operator(node.op).anchor([anchor(c, cost) for c in node.children], cost)


def positive_refs(node: Node, *, negated: bool = False) -> list[TermRef]:
    """Term uses that count for a match (not under an odd number of `none:`)."""
    if isinstance(node, TermRef):
        return [] if negated else [node]
    if isinstance(node, Near):
        return [] if negated else NEAR.refs(node)
    inner = negated != operator(node.op).negates
    return [r for child in node.children for r in positive_refs(child, negated=inner)]


def carrying_refs(node: Node) -> list[TermRef]:
    """Term uses that can carry a match: not under any `none:`. A term inside an exception to an
    exclusion (``none: [{all: [$CRIME, {none: [$COOPERATION]}]}]``) counts, but only rescues an
    item from the exclusion; it is not why the item matched, so digests do not highlight it."""
    if isinstance(node, TermRef):
        return [node]
    if isinstance(node, Near):
        return NEAR.refs(node)
    if operator(node.op).negates:
        return []
    return [r for child in node.children for r in carrying_refs(child)]


def conjuncts(node: Node) -> list[Node]:
    """The conditions a rule and-s together: its `all:` members, nested `all:` groups flattened
    (an alias, a labelled group, stays one condition)."""
    if isinstance(node, Group) and operator(node.op) is ALL and not node.label:
        return [c for child in node.children for c in conjuncts(child)]
    return [node]
