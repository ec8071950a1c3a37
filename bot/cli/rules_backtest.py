"""`newsbot rules backtest`: the current rules over stored items, what they would add or drop, and
(`--deliver`) queueing what broken rules let through."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.cli.common import config_from_args, open_store
from bot.config import parse_duration
from bot.models import utcnow
from bot.rules import load_rules


def register(actions: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    backtest = actions.add_parser(
        "backtest",
        help="re-run the rules over stored items: what would be added or dropped",
        description="Re-run the current rules over items already stored and show what would now "
        "be added or dropped compared with what was matched and delivered, before an edit goes live.",
    )
    backtest.add_argument("--since", default="7d", help="items fetched in this window (default 7d)")
    rules_option(backtest)
    backtest.add_argument("--json", action="store_true", help="machine-readable output")
    backtest.add_argument(
        "--deliver",
        action="store_true",
        help="queue for delivery the items the rules now match that were never sent anywhere "
        "(after fixing broken rules); the next digest carries them",
    )
    backtest.add_argument(
        "--max-age",
        metavar="DURATION",
        help="with --deliver: leave alone items published longer ago than this (e.g. 3d, or "
        "off; default: each feed's max_age, else [fetch] max_age)",
    )
    backtest.set_defaults(func=run_backtest)


def run_backtest(args: argparse.Namespace) -> int:
    from bot.rules.backtest import as_json, backtest

    config = config_from_args(args, sends=False)
    rs = load_rules(args.paths or list(config.rules.paths))
    try:
        window = parse_duration(args.since)
        given = args.max_age and (None if args.max_age == "off" else parse_duration(args.max_age))
    except ValueError as exc:
        print(f"newsbot: rules: --since/--max-age: {exc}", file=sys.stderr)
        return 2
    from bot.cli.review_cmd import feedback_scores, scores_json, scores_line

    now = utcnow()
    since = now - timedelta(seconds=window)
    with open_store(config.state.path) as store:
        result = backtest(store, rs, since=since)
        votes = feedback_scores(store, rs, since)
        queued = None
        if args.deliver:
            from bot.requeue import queue_backtest

            ages = {f.url: f.max_age for f in config.feeds}

            def max_age(url: str) -> float | None:
                if args.max_age:
                    return given or None
                return ages.get(url, config.fetch.max_age)

            queued = queue_backtest(store, result, destinations=config.destinations, now=now,
                                    max_age=max_age)  # fmt: skip
    if queued is not None:  # on stderr beside --json's document
        old = f"; {queued.too_old} older than --max-age left alone" if queued.too_old else ""
        print(f"queued {queued.items} item(s) for delivery ({queued.deliveries} deliveries){old}",
              file=sys.stderr if args.json else sys.stdout)  # fmt: skip
    if args.json:
        print(as_json(result, feedback=scores_json(votes)))
        return 0
    print(
        f"{result.items} stored items since {args.since}: {len(result.added)} would be added, "
        f"{len(result.dropped)} dropped, {len(result.changed)} matched by other rules"
    )
    if votes.relevant or votes.not_relevant or votes.missed:  # only where readers voted
        print(scores_line(votes))
    for title, rows in (
        ("ADDED", result.added),
        ("DROPPED", result.dropped),
        ("CHANGED", result.changed),
    ):
        for r in rows:
            was = "delivered" if r.delivered else "not delivered"
            print(f"  {title:8} {r.title}  [{r.outlet}]  ({was})")
            print(
                f"           before: {', '.join(r.before) or '-'}  now: {', '.join(r.after) or '-'}"
            )
            if r.link:
                print(f"           {r.link}")
    return 0
