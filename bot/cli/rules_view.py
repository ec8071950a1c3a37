"""How `newsbot rules explain` and `rules test` show a result: highlights, traces, JSON."""

from __future__ import annotations

from typing import IO, Any

from bot.models import RuleResult, TermHit
from bot.rules import Trace
from bot.rules.scan import merge_spans

BOLD, HIT, OK, BAD, DIM, RESET = (
    "\033[1m",
    "\033[1;33m",
    "\033[32m",
    "\033[31m",
    "\033[2m",
    "\033[0m",
)


def result_json(r: RuleResult) -> dict[str, Any]:
    return {
        "rule": r.rule,
        "matched": r.matched,
        "score": r.score,
        "tags": list(r.tags),
        "urgent": r.urgent,
        "hits": [
            {"term": h.term, "field": h.field, "start": h.start, "end": h.end, "text": h.text}
            for h in r.hits
        ],
    }


def highlighted(text: str, spans: list[tuple[int, int]], color: bool) -> str:
    out, pos = [], 0
    for s, e in merge_spans(spans):
        out.append(text[pos:s])
        out.append(paint(text[s:e], HIT, color) if color else f"[{text[s:e]}]")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color else text


def print_trace(trace: Trace, out: IO[str], *, color: bool, indent: int) -> None:
    mark = paint("✓", OK, color) if trace.matched else paint("✗", BAD, color)
    leaf = "$" in trace.label or not trace.children
    hits = found_hits(trace) if leaf else []
    texts = sorted({f"{h.text} ({h.field})" for h in hits})
    found = ("  <- " + ", ".join(texts[:5]) + (" …" if len(texts) > 5 else "")) if texts else ""
    if trace.label == "none" and trace.matched:
        # nothing it excludes holds: the details only matter when something does
        print(f"{' ' * indent}{mark} none  (none of these hold)", file=out)
        return
    if trace.label == "none":
        # an exclusion holds: show it; the others that do not are one line, not a tree each
        quiet = sum(not c.matched for c in trace.children)
        print(f"{' ' * indent}{mark} none  (an exclusion holds)", file=out)
        for child in trace.children:
            if child.matched:
                print_trace(child, out, color=color, indent=indent + 2)
        if quiet:
            no = paint("✗", BAD, color)
            print(f"{' ' * (indent + 2)}{no} {quiet} other exclusion(s) do not hold", file=out)
        return
    if not leaf and not found_hits(trace):
        # nothing of this subtree occurs in the text (typically a `none:` list): one line, not a tree
        print(f"{' ' * indent}{mark} {trace.label}  (no term found)", file=out)
        return
    print(f"{' ' * indent}{mark} {trace.label}{found}", file=out)
    if leaf:
        return  # an alias or a near element: one line, with the terms that were found
    for child in trace.children:
        print_trace(child, out, color=color, indent=indent + 2)


def found_hits(trace: Trace) -> list[TermHit]:
    return [*trace.hits, *(h for c in trace.children for h in found_hits(c))]
