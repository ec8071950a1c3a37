"""Condition trees compiled into closures, once per rule set: the parts operators compile into.

Walking a rule's tree for every candidate item costs a Python call per node (a rule of the default
file has ~1,500), most of them term uses inside aliases. Here a tree is first simplified: each
term use becomes the keys of the (term, field) pairs that satisfy it, and `any:` groups of term
uses, at any depth, become one key set, tested by one `isdisjoint` against the item's found keys
(see `found_keys`). What remains (`all:`, `none:`, `near:`, mixed groups) becomes nested closures
whose `all:` tests the cheap key sets first and proximity last. The result is the same truth value
as the tree's: every part is a pure test, so only the order of evaluation changes.

This module knows parts, not operators: each operator of bot/rules/ops.py says which of
`term_part`, `disjunction`, `conjunction`, `negation` and `near_part` it compiles into, and
`bot.rules.ops.compile_condition` walks a tree with them and `lower`s the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.rules.model import FIELDS, Near, Term, TermRef
from bot.rules.near import NearIndex
from bot.rules.scan import FieldText

#: found keys, fields -> does the condition hold
Test = Callable[[frozenset[int], dict[str, FieldText]], bool]
_FIELD_NO = {f: i for i, f in enumerate(FIELDS)}


def key(term: int, field: str) -> int:
    """One int per (term, field) pair: sets of them intersect at C speed."""
    return term * len(FIELDS) + _FIELD_NO[field]


def found_keys(fields: Mapping[str, FieldText]) -> frozenset[int]:
    """The (term, field) keys of every term found in an item: what compiled conditions test."""
    width = len(FIELDS)
    keys: list[int] = []
    for name, ft in fields.items():
        n = _FIELD_NO[name]
        keys.extend([t * width + n for t in ft.terms])
    return frozenset(keys)


# -------------------------------------------------------------------- simplified form


@dataclass(frozen=True, slots=True)
class _Any:
    """Holds when one of `keys` was found or one of `tests` holds."""

    keys: frozenset[int]
    tests: tuple[Part, ...] = ()


@dataclass(frozen=True, slots=True)
class _All:
    need: tuple[frozenset[int], ...]  # each must meet the found keys
    avoid: frozenset[int]  # none of these may be found
    tests: tuple[Part, ...]  # then these, cheapest first


@dataclass(frozen=True, slots=True)
class _Not:
    part: Part


@dataclass(frozen=True, slots=True)
class _Near:
    index: NearIndex


Part = _Any | _All | _Not | _Near


def _cost(part: Part) -> int:
    """Rough order of cost: key sets, then composites, then proximity (walks spans)."""
    if isinstance(part, _Near):
        return 3
    if isinstance(part, _Any) and not part.tests:
        return 0
    return 2 if isinstance(part, _All) and part.tests else 1


def term_part(ref: TermRef) -> Part:
    """A term use: one of its (term, field) keys found."""
    return _Any(frozenset(key(ref.term, f) for f in ref.fields))


def near_part(node: Near, terms: Sequence[Term]) -> Part:
    """A `near:`: every element found in one of the near's fields (a key test), then the walk."""
    index = NearIndex.of(node, terms)
    need = tuple(
        frozenset(key(r.term, f) for r in alts for f in r.fields if f in node.fields)
        for alts in node.elements
    )
    return _All(need, frozenset(), (_Near(index),))


def disjunction(parts: list[Part]) -> Part:
    """Holds when one of `parts` holds."""
    keys: set[int] = set()
    tests: list[Part] = []
    for p in parts:
        if isinstance(p, _Any):
            keys.update(p.keys)
            tests.extend(p.tests)
        else:
            tests.append(p)
    if not keys and len(tests) == 1:
        return tests[0]
    return _Any(frozenset(keys), tuple(sorted(tests, key=_cost)))


def negation(part: Part) -> Part:
    """Holds when `part` does not."""
    if isinstance(part, _Not):
        return part.part
    if isinstance(part, _Any) and not part.tests:
        return _All((), part.keys, ())
    return _Not(part)


def conjunction(parts: list[Part]) -> Part:
    """Holds when every one of `parts` holds."""
    need: list[frozenset[int]] = []
    avoid: set[int] = set()
    tests: list[Part] = []
    for p in parts:
        if isinstance(p, _Any) and not p.tests:
            need.append(p.keys)
        elif isinstance(p, _All):
            need.extend(p.need)
            avoid.update(p.avoid)
            tests.extend(p.tests)
        else:
            tests.append(p)
    if not avoid and not tests and len(need) == 1:
        return _Any(need[0])
    # a smaller set of alternatives is the likelier to be missing: test it first
    return _All(tuple(sorted(need, key=len)), frozenset(avoid), tuple(sorted(tests, key=_cost)))


# -------------------------------------------------------------------- closures


def lower(part: Part) -> Test:
    """A simplified condition as one test of an item's found keys and fields."""
    if isinstance(part, _Near):
        holds = part.index.holds
        return lambda found, fields: holds(fields)
    if isinstance(part, _Not):
        inner = lower(part.part)
        return lambda found, fields: not inner(found, fields)
    if isinstance(part, _Any):
        return _lower_any(part.keys, tuple(lower(t) for t in part.tests))
    return _lower_all(part.need, part.avoid, tuple(lower(t) for t in part.tests))


def _lower_any(keys: frozenset[int], tests: tuple[Test, ...]) -> Test:
    if not tests:
        return lambda found, fields: not keys.isdisjoint(found)

    def any_holds(found: frozenset[int], fields: dict[str, FieldText]) -> bool:
        if not keys.isdisjoint(found):
            return True
        # loops, not any()/all() over a generator: these run for every candidate rule and item
        for t in tests:  # noqa: SIM110
            if t(found, fields):
                return True
        return False

    return any_holds


def _lower_all(
    need: tuple[frozenset[int], ...], avoid: frozenset[int], tests: tuple[Test, ...]
) -> Test:
    def all_hold(found: frozenset[int], fields: dict[str, FieldText]) -> bool:
        for keys in need:
            if keys.isdisjoint(found):
                return False
        if not avoid.isdisjoint(found):
            return False
        for t in tests:  # noqa: SIM110
            if not t(found, fields):
                return False
        return True

    return all_hold
