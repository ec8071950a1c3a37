"""`newsbot run` (the daemon) and `newsbot status` (what it is doing, read from the state database)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import config_from_args, open_store
from bot.store.safety import translated

if TYPE_CHECKING:
    from bot.scheduler import Daemon
    from bot.status import DestinationStatus, StatusReport


def register(sub: Any) -> None:
    run_p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run as a service: poll feeds on schedule and send digests on time (until SIGTERM)",
        description=(
            "Run the scheduler daemon: each feed is polled on its interval (with jitter, and "
            "backoff while it fails), each destination gets its digest on its schedule, urgent "
            "rules are sent at once. Rule-file edits are picked up without a restart; SIGHUP "
            "reloads config and rules (a broken edit is rejected and the old ones stay). Under "
            "systemd (NOTIFY_SOCKET set) it reports READY, STATUS and WATCHDOG. SIGTERM or SIGINT "
            "stops it cleanly with exit 0. Logs go to stderr as key=value lines."
        ),
    )
    run_p.set_defaults(func=run)
    status_p: argparse.ArgumentParser = sub.add_parser(
        "status",
        help="show feeds, destinations and rules in force (works while the daemon runs)",
        description=(
            "Show each feed (last success, last error, consecutive failures, items, next poll), "
            "each destination (last digest sent, items pending, last error, next digest) and the "
            "rules in force (files, when loaded, the error if the last edit was rejected), read "
            "from the state database. Exit 0, or 1 when a feed or destination is failing or the "
            "last rule edit was rejected, or the disk holding the state is full (handy for "
            "monitoring checks). Also: the state file, its size and newest backup, and what the "
            "last reload applied or needs a restart for."
        ),
    )
    status_p.add_argument("--json", action="store_true", help="machine-readable output")
    status_p.set_defaults(func=status)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args, sends=True)  # exit 2 on a bad config before anything starts
    # APScheduler logs every run, unformatted; the daemon's listener logs what matters (missed,
    # skipped, crashed) as key=value lines
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)

    loop = asyncio.new_event_loop()
    try:
        with translated(config.state.path):  # a state file unusable at start: one line, exit 1
            daemon = loop.run_until_complete(_make_daemon(args))
            code = loop.run_until_complete(daemon.run())
    finally:
        # not asyncio.run(): it would wait, without limit, for a worker thread still inside a
        # channel's send; those were given their grace in Daemon._stop
        loop.close()
    if daemon.abandoned:
        # a send stuck past the grace would keep the process alive (thread pools are joined at
        # exit); its outbox row stays claimed and is sent again after the restart, so leave now
        sys.stderr.flush()
        os._exit(code)
    return code


async def _make_daemon(args: argparse.Namespace) -> Daemon:
    from bot.scheduler import Daemon

    return Daemon(load_config=lambda: config_from_args(args, sends=True))


def status(args: argparse.Namespace) -> int:
    from bot.models import utcnow
    from bot.status import build_status, to_json

    config = config_from_args(args, sends=False)
    with open_store(config.state.path) as store:
        report = build_status(store, config=config, now=utcnow())
    print(to_json(report) if args.json else render(report))
    troubled = (
        report.failing_feeds
        or any(d.last_error for d in report.destinations)
        or (report.rules is not None and report.rules.error)
        or (report.state is not None and report.state.is_failing)
    )
    return 1 if troubled else 0


def _when(value: datetime | None) -> str:
    # every time in the text report is UTC (digest schedules are computed in their own timezone)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _local(value: datetime, dest: DestinationStatus) -> str:
    """A digest time in the destination's own zone, weekday first: what its schedule says."""
    local = value.strftime("%a %Y-%m-%d %H:%M")
    return f"{local} {dest.timezone} ({_when(value)}; {dest.schedule})"


def render(report: StatusReport) -> str:
    lines: list[str] = []
    d = report.daemon
    if d is None:
        lines.append("daemon: never ran against this state file")
    else:
        state = "running" if d.alive else "not running (no recent heartbeat)"
        lines.append(
            f"daemon: {state}, pid {d.pid}, started {_when(d.started_at)}, "
            f"last heartbeat {_when(d.heartbeat_at)}, last poll {_when(d.last_cycle_at)}"
        )
    s = report.state
    if s is not None:
        newest = f", newest backup {s.backups[0]}" if s.backups else ", no backup yet"
        lines.append(f"state: {s.path}, {s.size:,} bytes, {s.free:,} bytes free{newest}")
        if s.problem:
            lines.append(f"  STATE PROBLEM: {s.problem}")
    reload = report.reload
    if reload is not None:
        applied = ", ".join(reload.applied) or "nothing changed"
        lines.append(f"config: reloaded {_when(reload.at)}: {applied}")
        lines.extend(f"  NEEDS RESTART: {setting}: {why} (systemctl restart newsbot)"
                     for setting, why in reload.needs_restart)  # fmt: skip
    r = report.rules
    if r is not None:
        lines.append(f"rules: {r.rules} rules in force, loaded {_when(r.loaded_at)}")
        lines.extend(f"  {f}" for f in r.files)
        if r.error:
            lines.append(f"  REJECTED EDIT at {_when(r.error_at)} (old rules stay): {r.error}")
    lines.append(f"feeds ({len(report.feeds)}, {len(report.failing_feeds)} failing):")
    for f in report.feeds:
        mark = "DISABLED" if f.disabled else ("FAILING" if f.consecutive_failures else "ok")
        if mark == "ok" and f.last_success is None:
            mark = "new"  # configured, not polled yet
        lines.append(
            f"  {mark:8} {f.name}: last success {_when(f.last_success)}, "
            f"failures {f.consecutive_failures}, items {f.items}, next poll "
            # none set: never polled yet, or polled by `once` (a timer install): the next cycle
            + (_when(f.next_poll) if f.next_poll else "with the next cycle")
        )
        if f.held_back:
            lines.append(
                f"           held back {f.held_back} as backlog (older than max_age {f.max_age} when "
                f"first seen, or undated on the first poll; {f.held_back_matched} matched a rule): "
                "stored, not delivered"
            )
        if f.last_error and f.is_failing:
            lines.append(f"           last error: {f.last_error}")
    lines.append(f"destinations ({len(report.destinations)}, {report.pending} items pending):")
    for dest in report.destinations:
        nxt = _local(dest.next_digest, dest) if dest.next_digest else "after each poll"
        lines.append(
            f"  {dest.name} ({dest.type}): last sent {_when(dest.last_sent)}, pending "
            f"{dest.pending}, next digest {nxt}"
            + (f", {dest.dead_letters} dead-lettered" if dest.dead_letters else "")
        )
        if dest.last_error:
            lines.append(f"    last error (since {_when(dest.failing_since)}): {dest.last_error}")
    from bot.status import FEEDBACK_DAYS

    fb = report.feedback
    lines.append(
        f"feedback (last {FEEDBACK_DAYS} days): {fb.get('relevant', 0)} relevant, "
        f"{fb.get('not_relevant', 0)} not relevant, {fb.get('missed', 0)} missed"
    )
    return "\n".join(lines)
