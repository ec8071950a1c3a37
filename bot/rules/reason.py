"""One line saying why an item matched or not: the verdict `rules explain` opens with, and what
`rules eval` prints beside each miss and false positive.

A match names the rules and the terms they found. A miss names the rule that came closest: one
whose own conditions held but an exclusion (`none:`) fired says which exclusion and on what words;
otherwise the rule that lacked the fewest conditions says which ones it lacked.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import RuleResult, TermHit
from bot.rules.engine import Prepared, RuleSet, Trace

#: terms quoted per rule or condition, so that the reason stays one readable line
_QUOTED = 4


def reason(ruleset: RuleSet, prep: Prepared, results: Sequence[RuleResult]) -> str:
    """Why this item matched (which rules, on which words) or, if not, what stopped the nearest
    rule."""
    matched = [r for r in results if r.matched]
    if matched:
        return "matched " + "; ".join(f"{r.rule} on {_quote(r.hits)}" for r in matched)
    best: tuple[int, str] | None = None
    for name in ruleset.names:
        if not ruleset.rule(name).wants_lang(prep.lang):
            continue
        rank, why = _nearest(name, ruleset.trace(name, prep))
        if best is None or rank < best[0]:
            best = (rank, why)
    if best is None or best[0] >= _NOTHING:
        return "no rule found any of its terms"
    return "no match: " + best[1]


#: ranks: an exclusion that fired is the nearest miss, then by conditions lacking; nothing found last
_EXCLUDED, _NOTHING = 0, 1_000


def _nearest(name: str, trace: Trace) -> tuple[int, str]:
    parts = _conjuncts(trace)
    positive = [t for t in parts if not t.label.startswith("none")]
    exclusions = [t for t in parts if t.label.startswith("none") and not t.matched]
    lacking = [label for t in positive for label in _lacking(t)]
    if not any(_found(t) for t in positive):
        return _NOTHING, ""
    if not lacking and exclusions:
        fired = "; ".join(
            _held(branch) for t in exclusions for branch in t.children if branch.matched
        )
        return _EXCLUDED, f"{name} excluded by {fired}"
    if not lacking:
        return 1, f"{name}: its conditions hold but its score is below min_score"
    found = _quote(_found(trace))
    return 1 + len(lacking), f"{name} lacks {' and '.join(lacking)} (found {found})"


def _conjuncts(trace: Trace) -> list[Trace]:
    """The rule's top-level conditions, with nested `all:` groups flattened into them."""
    out: list[Trace] = []
    for child in trace.children:
        if child.label == "all":
            out.extend(_conjuncts(child))
        else:
            out.append(child)
    return out


def _lacking(trace: Trace) -> list[str]:
    """The labels of the conditions under `trace` that did not hold."""
    if trace.matched:
        return []
    if trace.label == "all":
        return [label for child in trace.children for label in _lacking(child)]
    if trace.label == "any" and trace.children:
        names = [_short(c.label) for c in trace.children]
        shown = "/".join(names[:_QUOTED]) + ("/…" if len(names) > _QUOTED else "")
        return [f"one of {shown}"]
    if trace.label.startswith("none"):
        return [f"not {_held(b)}" for b in trace.children if b.matched]
    return [_short(trace.label)]


def _held(trace: Trace) -> str:
    """What in a condition that holds is there: its labelled parts with the words found."""
    if trace.label.startswith("near"):
        return f"near({_quote(_found(trace))})"
    if "$" in trace.label or not trace.children:
        return f"{_short(trace.label)} ({_quote(_found(trace))})"
    if trace.label == "any":  # one alternative that holds says enough
        return next((_held(c) for c in trace.children if c.matched and _found(c)), "any")
    parts = [
        _held(c)
        for c in trace.children
        # a `none:` inside that holds is an exception that did not apply: nothing to show
        if c.matched and not c.label.startswith("none") and _found(c)
    ]
    return " + ".join(parts) or _short(trace.label)


def _short(label: str) -> str:
    """`any $VIETNAM` -> `$VIETNAM`; `$JAPAN: Tokyo` -> `$JAPAN`."""
    label = label.removeprefix("any ").removeprefix("all ")
    return label.split(": ")[0] if label.startswith("$") else label


def _found(trace: Trace) -> list[TermHit]:
    return [*trace.hits, *(h for c in trace.children for h in _found(c))]


def _quote(hits: Sequence[TermHit]) -> str:
    words = list(dict.fromkeys(h.text for h in hits))
    return ", ".join(words[:_QUOTED]) + (" …" if len(words) > _QUOTED else "") or "-"
