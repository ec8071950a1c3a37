"""Compiled conditions hold exactly when the condition tree, walked node by node, holds.

The walk is the language's written definition, bot/rules/reference.py.

bot/rules/compile.py flattens aliases into key sets, merges nested groups, negates `none:` and
reorders `all:` children; each of those is checked here against a plain recursive walk, on
generated trees (empty groups, double negations, field-restricted terms, `near:`) and on the
default rules with documents made of their own terms.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Document
from bot.rules import Prepared, RuleSet, load_rules
from bot.rules.compile import found_keys
from bot.rules.model import FIELDS, OPS, Group, Near, Node, Term, TermRef
from bot.rules.ops import compile_condition
from bot.rules.reference import holds, matches, scored
from bot.rules.scan import FieldText, Scanner
from bot.rules.text import NormalizedText

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules"
WORDS = ("alpha", "beta", "gamma", "delta", "ベトナム")
TERMS = tuple(Term(w, w, False, False, w.isascii(), w.isascii(), not w.isascii()) for w in WORDS)


@cache
def default_rules() -> RuleSet:
    return load_rules([DEFAULT_RULES])


field_sets = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True).map(tuple)
refs = st.builds(
    TermRef,
    term=st.integers(0, len(TERMS) - 1),
    fields=field_sets,
    weight=st.just(1.0),
    label=st.just("t"),
)
nears = st.builds(
    Near,
    elements=st.lists(
        st.lists(refs, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
    ).map(tuple),
    within=st.integers(0, 3),
    chars=st.integers(1, 12),
    fields=field_sets,
)
trees: st.SearchStrategy[Node] = st.recursive(
    refs | nears,
    lambda kids: st.builds(
        Group,
        op=st.sampled_from(OPS),
        children=st.lists(kids, max_size=4).map(tuple),
    ),
    max_leaves=14,
)
texts = st.lists(st.sampled_from([*WORDS, "x", "alphas", "の"]), max_size=8).map(" ".join)


def prepared(title: str, summary: str, content: str) -> dict[str, FieldText]:
    scanner = Scanner(TERMS)
    fields = {}
    for name, text in zip(FIELDS, (title, summary, content), strict=True):
        if text:
            nt = NormalizedText.of(text)
            fields[name] = FieldText(nt, scanner.scan(nt))
    return fields


@settings(max_examples=400, deadline=None)
@given(trees, texts, texts, texts)
def test_a_compiled_tree_holds_when_its_walk_holds(
    node: Node, title: str, summary: str, content: str
) -> None:
    fields = prepared(title, summary, content)
    test = compile_condition(node, TERMS)
    assert test(found_keys(fields), fields) == holds(node, fields, TERMS)


def test_empty_groups_and_double_negation() -> None:
    fields = prepared("alpha beta", "", "gamma")
    found = found_keys(fields)
    alpha = TermRef(0, FIELDS, 1.0, "alpha")
    gamma_title = TermRef(2, ("title",), 1.0, "gamma")
    cases: list[tuple[Node, bool]] = [
        (Group("all", ()), True),
        (Group("any", ()), False),
        (Group("none", ()), True),
        (Group("none", (Group("none", (alpha,)),)), True),
        (Group("none", (Group("none", (gamma_title,)),)), False),
        (Group("all", (alpha, Group("none", (gamma_title,)))), True),
    ]
    for node, expected in cases:
        assert compile_condition(node, TERMS)(found, fields) is expected, node


def soup(rs: RuleSet, rng: random.Random, words: int) -> str:
    keys = sorted({t.text.rstrip("*") for t in rs.terms})
    return " ".join(rng.choice([rng.choice(keys), "và", "the", "の"]) for _ in range(words))


def test_default_rules_compiled_equal_their_walk() -> None:
    rs, rng = default_rules(), random.Random(17)
    tests = [compile_condition(r.condition, rs.terms) for r in rs.rules]
    outcomes = set()
    for _ in range(80):
        doc = Document(
            title=soup(rs, rng, rng.randrange(1, 10)),
            summary=soup(rs, rng, rng.randrange(0, 30)),
            lang=rng.choice(["vi", "ja", None]),
        )
        prep: Prepared = rs.prepare(doc)
        for rule, test in zip(rs.rules, tests, strict=True):
            held = test(prep.found, prep.fields)
            assert held == holds(rule.condition, prep.fields, rs.terms), (rule.name, doc)
            assert held == rs.trace(rule.name, prep).matched
            outcomes.add(held)
    assert outcomes == {True, False}


def test_match_equals_the_matched_part_of_evaluate() -> None:
    # match shares one item's hits between the rules it matches and skips rules by anchor terms;
    # evaluate scores every rule on its own
    rs, rng = default_rules(), random.Random(23)
    matched = 0
    for _ in range(150):
        title = soup(rs, rng, rng.randrange(1, 10))
        doc = Document(
            title=title,
            summary=f"<p>{soup(rs, rng, rng.randrange(0, 40))} {title}</p>",  # terms in 2 fields
            content=soup(rs, rng, rng.randrange(0, 20)),
            lang=rng.choice(["vi", "ja", "en", None]),
        )
        got = rs.match(doc)
        assert got == [r for r in rs.evaluate(doc) if r.matched], doc
        prep = rs.prepare(doc)
        defined = [r.name for r in rs.rules if matches(r, prep.fields, rs.terms, doc.lang)]
        assert [r.rule for r in got] == defined, doc
        for result in got:
            rule = rs.rule(result.rule)
            assert (result.score, result.hits) == scored(rule, prep.fields, rs.terms), doc
        matched += len(got)
    assert matched > 20
