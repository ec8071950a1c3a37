"""`newsbot rules review [--since 30d] [--json] [--apply]`: readers' feedback -> rule edits.

Registered under `newsbot rules` by bot.cli.rules_cmd. Also the precision / recall line that
`rules backtest` prints against the collected votes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.cli.common import config_from_args
from bot.config import parse_duration
from bot.models import utcnow
from bot.rules import RuleSet, load_rules
from bot.store import Store

if TYPE_CHECKING:
    from bot.feedback.apply import Pending, Scores, Written
    from bot.feedback.review import Flag, Review


def register_review(actions: Any) -> None:
    p: argparse.ArgumentParser = actions.add_parser(
        "review",
        help="readers' relevant / not relevant / missed votes, grouped by rule, with fixes",
        description="Readers' feedback from the digests' links, grouped by the rule that "
        "delivered each item, with the terms that fired. For items marked not relevant: "
        "candidate none: terms found in them but in no item marked relevant, and how many stored "
        "items each would drop. For misses: the closest rule and phrases no rule covers. "
        "--apply appends every vote that holds today to its rule's examples (match / no_match), "
        "so `rules test` keeps it; the others are listed as pending.",
    )
    p.add_argument("--since", default="30d", help="votes recorded in this window (default 30d)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--apply", action="store_true", help="write the votes into rule examples")
    p.add_argument("--rules", action="append", metavar="PATH", dest="paths",
                   help="rule file or folder (default: the config's rules.paths)")  # fmt: skip
    p.set_defaults(func=run_review)


def _since(text: str) -> datetime | None:
    try:
        return utcnow() - timedelta(seconds=parse_duration(text))
    except ValueError as exc:
        print(f"newsbot: rules: --since: {exc}", file=sys.stderr)
        return None


def run_review(args: argparse.Namespace) -> int:
    from bot.feedback.apply import apply_flags, scores
    from bot.feedback.review import review

    config = config_from_args(args, sends=False)  # review sends nothing
    since = _since(args.since)
    if since is None:
        return 2
    ruleset = load_rules(args.paths or list(config.rules.paths))
    with Store(config.state.path) as store:
        rows = store.feedback_since(since)
        result = review(store, ruleset, rows, since=since)
        flags = [f for r in result.rules for f in r.flags] + result.missed
        unique = list({f.ids: f for f in flags}.values())
        written: list[Written] = []
        pending: list[Pending] = []
        if args.apply:
            hints = {r.rule: [c.term for c in r.candidates] for r in result.rules}
            notes = {r.rule: r.why_none for r in result.rules if r.why_none}
            written, pending = apply_flags(unique, ruleset, store=store, now=utcnow(),
                                           hints=hints, notes=notes)  # fmt: skip
        score = scores(unique, ruleset)
    if args.json:
        print(json.dumps(_json(args.since, len(rows), result, score, written, pending),
                         ensure_ascii=False, indent=2))  # fmt: skip
        return 0
    _print(args.since, len(rows), result, score)
    if args.apply:
        for w in written:
            print(f"wrote {w.kind} example to {w.rule} ({w.path}): {w.flag.item.title}")
        for p in pending:
            print(f"pending ({p.rule or 'no rule'}): {p.flag.item.title}: {p.reason}")
        if written:
            print("run `newsbot rules test` to check them")
    elif unique:
        print("`newsbot rules review --apply` writes what holds today into the rules' examples")
    return 0


def _flag_json(f: Flag, result: Review) -> dict[str, Any]:
    return {
        "verdict": f.verdict,
        "votes": f.votes,
        "item_id": f.item.item_id,
        "title": f.item.title,
        "link": f.item.link,
        "outlet": f.item.outlet,
        "lang": f.item.lang,
        "rules": list(f.item.rules),
        "terms": list(f.item.terms),
        "notes": list(f.notes),
        "destinations": list(f.destinations),
        "applied": f.applied,
        "matches_now": sorted(
            r for (i, r), hit in result.matches_now.items() if i == f.ids[0] and hit
        ),
    }


def _json(since: str, votes: int, result: Review, score: Scores, written: list[Written],
          pending: list[Pending]) -> dict[str, Any]:  # fmt: skip
    return {
        "since": since,
        "votes": votes,
        "rules": [
            {
                "rule": r.rule,
                "file": str(r.path) if r.path else None,
                "items": [_flag_json(f, result) for f in r.flags],
                "candidates": [
                    {"term": c.term, "would_drop": c.would_drop, "flagged": c.flagged}
                    for c in r.candidates
                ],
                "no_candidates_because": r.why_none or None,
            }
            for r in result.rules
        ],
        "missed": [
            {**_flag_json(f, result), "closest_rule": result.closest.get(f.ids[0])}
            for f in result.missed
        ],
        "suggestions": result.suggestions,
        "scores": scores_json(score),
        "written": [
            {"rule": w.rule, "kind": w.kind, "file": str(w.path), "title": w.flag.item.title}
            for w in written
        ],
        "pending": [
            {"rule": p.rule, "title": p.flag.item.title, "reason": p.reason} for p in pending
        ],
    }


def scores_json(s: Scores) -> dict[str, Any]:
    return {
        "relevant": s.relevant,
        "not_relevant": s.not_relevant,
        "missed": s.missed,
        "precision_before": s.precision_before,
        "recall_before": s.recall_before,
        "precision": s.precision,
        "recall": s.recall,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def scores_line(s: Scores) -> str:
    return (
        f"against readers' feedback ({s.relevant} relevant, {s.not_relevant} not relevant, "
        f"{s.missed} missed): precision {_pct(s.precision_before)} -> {_pct(s.precision)}, "
        f"recall {_pct(s.recall_before)} -> {_pct(s.recall)} (as delivered -> these rules)"
    )


def feedback_scores(store: Store, ruleset: RuleSet, since: datetime | None) -> Scores:
    """For `rules backtest`: the rules' precision and recall on the votes since `since`."""
    from bot.feedback.apply import scores
    from bot.feedback.review import merge_votes

    return scores(merge_votes(store.feedback_since(since)), ruleset)


def _print(since: str, votes: int, result: Review, score: Scores) -> None:
    if not votes:
        print(f"no feedback since {since}")
        return
    print(f"{votes} vote(s) since {since}")
    for r in result.rules:
        where = f"  ({r.path})" if r.path else "  (rule no longer exists)"
        print(f"\n{r.rule}{where}")
        for f in r.flags:
            _print_flag(f, result, rule=r.rule)
        if r.candidates:
            print(
                "  candidate none: terms (flagged items dropped / stored items of the rule dropped):"
            )
            for c in r.candidates:
                print(f"    {c.term!r:24} {c.flagged} / {c.would_drop}")
        elif r.why_none:
            print(f"  no candidate none: term: {r.why_none}")
    if result.missed:
        print("\nmissed")
        for f in result.missed:
            _print_flag(f, result, rule=None)
            print(f"      closest rule: {result.closest.get(f.ids[0], '-')}")
        if result.suggestions:
            print(f"  phrases no rule covers (rules suggest): {', '.join(result.suggestions)}")
    print(f"\n{scores_line(score)}")


def _print_flag(f: Flag, result: Review, *, rule: str | None) -> None:
    label = f.verdict.replace("_", " ").upper()
    done = "  [applied]" if f.applied else ""
    print(f"  {label} x{f.votes}  {f.item.title}  [{f.item.outlet or '-'}]{done}")
    if rule is not None:
        now = result.matches_now.get((f.ids[0], rule))
        print(
            f"      terms: {', '.join(f.item.terms) or '-'}; matches now: {'yes' if now else 'no'}"
        )
    for note in f.notes:
        print(f"      note: {note}")
    if f.item.link:
        print(f"      {f.item.link}")
