"""`newsbot once`: one full cycle now — poll every feed, match, deliver every pending digest."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import config_from_args, open_store
from bot.log import setup_logging

if TYPE_CHECKING:
    from bot.cycle import CycleReport
    from bot.pipeline import FeedOutcome


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "once",
        help="poll every feed, match, and send each destination its pending digest now",
        description=(
            "Run one full cycle: fetch every configured feed, store new items, match them against "
            "the rules, and send every destination its pending digest. Exit 0 when the cycle ran "
            "(failing feeds or destinations are reported on stderr and retried next time); exit 2 "
            "on a bad config or rule file."
        ),
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr, only problems")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # imported here so `newsbot --help` stays fast and light
    from bot.cycle import notifiers_for, run_once
    from bot.models import utcnow
    from bot.rules import load_some_rules

    config = config_from_args(args, sends=True)
    if args.quiet and not args.log_level:
        setup_logging("warning")  # --quiet: problems only
    ruleset = load_some_rules(config.rules.paths)
    progress = _Progress(total=sum(f.enabled for f in config.feeds))
    with (
        open_store(config.state.path) as store,
        notifiers_for(config, stream=sys.stdout) as notifiers,
    ):
        report = asyncio.run(
            run_once(
                config,
                store=store,
                ruleset=ruleset,
                notifiers=notifiers,
                clock=utcnow,
                on_feed_done=progress.step,
            )
        )
    progress.finish()
    _summary(report, quiet=args.quiet)
    return 0


class _Progress:
    """A one-line counter on a terminal; silent when stderr is a log (journald, cron, CI)."""

    def __init__(self, *, total: int) -> None:
        self.total, self.done, self.errors = total, 0, 0
        self.enabled = sys.stderr.isatty()

    def step(self, outcome: FeedOutcome) -> None:
        from bot.pipeline import FeedStatus  # loaded already: the outcome came from it

        self.done += 1
        self.errors += outcome.status == FeedStatus.FAILED
        if self.enabled:
            print(
                f"\rfeeds {self.done}/{self.total}, errors {self.errors}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def finish(self) -> None:
        if self.enabled and self.done:
            print(file=sys.stderr)


def _summary(report: CycleReport, *, quiet: bool) -> None:
    from bot.deliver import DeliveryStatus  # loaded already: the report came from it

    poll = report.poll
    for o in poll.failed:
        print(f"feed failed: {o.name}: {o.error}", file=sys.stderr)
    for d in report.deliveries:
        if d.error:
            print(f"destination {d.status}: {d.destination}: {d.error}", file=sys.stderr)
    if quiet:
        return
    sent = ", ".join(
        f"{d.destination} {d.items}" for d in report.deliveries if d.status == DeliveryStatus.SENT
    )
    print(
        f"once: {len(poll.outcomes)} feeds ({len(poll.failed)} failed), {poll.items} items seen, "
        f"{poll.new} new, {poll.matched} matched in {poll.elapsed:.1f}s; "
        f"delivered: {sent or 'nothing'}"
        + (
            f"; held back {poll.held_back} as backlog (older than max_age; see status)"
            if poll.held_back
            else ""
        ),
        file=sys.stderr,
    )
