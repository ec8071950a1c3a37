"""The daemon's upkeep: health (heartbeat, STATUS=, notices, a state that cannot be written,
housekeeping) and reloading (rule files watched, SIGHUP). The base of the daemon's classes:
`bot.jobs.Jobs` (what is scheduled) builds on it and `bot.scheduler.Daemon` (the lifecycle) on
that; it works on the daemon's attributes, declared below."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Config, DestinationConfig
from bot.errors import ConfigError, NewsbotError, RuleError
from bot.fetch import Fetcher
from bot.housekeeping import Housekeeper
from bot.log import get_logger, kv
from bot.models import Clock
from bot.notices import (
    Notice,
    destination_notices,
    send_notice,
    send_unrecorded,
    state_notice,
)
from bot.notify import Notifier
from bot.reload import config_diff, describe, in_force
from bot.rules import RuleSet, load_some_rules
from bot.rules.files import rule_files
from bot.statewatch import StateWatch
from bot.status import (
    build_status,
    record_heartbeat,
    record_reload,
    record_rules_loaded,
    record_rules_rejected,
)
from bot.store import Store
from bot.store.safety import is_damaged, state_error
from bot.workers import WorkerPool

if TYPE_CHECKING:
    from bot.feedback.web import FeedbackService

log = get_logger("daemon")


def rule_stamps(paths: tuple[Path, ...]) -> dict[str, tuple[int, int]]:
    """Each rule file's (mtime_ns, size): a change in either means an edit to pick up."""
    found: dict[str, tuple[int, int]] = {}
    for p in paths:
        try:
            files = rule_files([p])  # the files the loader reads
        except RuleError:  # a path that is gone: its absence is the change
            files = [p]
        for f in files:
            with contextlib.suppress(FileNotFoundError):  # deleted: its absence is the change
                st = f.stat()
                found[str(f)] = (st.st_mtime_ns, st.st_size)
    return found


class Upkeep:
    # the daemon's, set by Daemon.__init__ / Daemon.attach
    load_config: Callable[[], Config]
    clock: Clock
    config: Config
    ruleset: RuleSet
    rule_stamp: dict[str, tuple[int, int]]
    store: Store
    fetcher: Fetcher
    retired: list[Fetcher]
    workers: WorkerPool | None
    notifiers: dict[str, Notifier]
    housekeeper: Housekeeper
    watch: StateWatch
    started_at: datetime
    last_cycle_at: datetime | None
    _tell_systemd: Callable[..., None]
    _destination: Callable[[str], DestinationConfig | None]
    _apply: Callable[[Config], None]
    _add_service_jobs: Callable[[], None]
    _open_fetcher: Callable[[Config], Coroutine[Any, Any, Fetcher]]
    feedback: FeedbackService | None
    _spawn: Callable[[Coroutine[Any, Any, None]], None]
    stopping: asyncio.Event
    exit_code: int

    # ------------------------------------------------------------------ health

    async def heartbeat(self) -> None:
        now = self.clock()
        self._tell_systemd("WATCHDOG=1", f"STATUS={self.status_line()}")
        record_heartbeat(self.store, pid=os.getpid(), started_at=self.started_at, now=now,
                         last_cycle_at=self.last_cycle_at)  # fmt: skip
        if self.watch.wrote(now=now):
            log.warning(kv("state_writable_again", file=self.store.path))
            self._tell_systemd(f"STATUS={self.status_line()}")
        states = self.store.destination_states([d.name for d in self.config.destinations])
        for notice in destination_notices(
            states,
            now=now,
            failing_for=self.config.service.notice_destination_failing_for,
            exclude=self.config.service.notice_destination,
        ):
            await self._notice(notice)

    def status_line(self) -> str:
        last = self.last_cycle_at.strftime("%H:%M:%SZ") if self.last_cycle_at else "none yet"
        trouble = f"STATE NOT WRITABLE: {self.watch.problem}; " if self.watch.problem else ""
        try:
            report = build_status(self.store, config=self.config, now=self.clock())
        except sqlite3.Error as exc:
            return f"{trouble}last poll {last}; state unreadable: {exc}"
        rules = "rules ok" if not (report.rules and report.rules.error) else "rule edit rejected"
        waiting = report.reload.needs_restart if report.reload else ()
        restart = f"; restart to apply {', '.join(s for s, _ in waiting)}" if waiting else ""
        return (f"{trouble}last poll {last}; {len(report.feeds)} feeds, "
                f"{len(report.failing_feeds)} failing; {report.pending} items pending; "
                f"{rules}{restart}")  # fmt: skip

    def _state_failed(self, exc: sqlite3.Error) -> None:
        """A write to the state failed: said once per episode (log, STATUS=, one notice). A damaged
        file will not heal: the daemon stops with exit 1, the way out in its last log line."""
        if is_damaged(exc):
            if not self.stopping.is_set():
                log.error(kv("state_damaged", error=str(state_error(exc, self.store.path))))
                self.exit_code = 1
                self.stopping.set()
            return
        problem = self.watch.failed(exc, now=self.clock())
        if problem is None:
            return  # said already
        log.error(kv("state_unwritable", file=self.store.path, error=problem))
        self._tell_systemd(f"STATUS={self.status_line()}")
        self._spawn(self._state_notice(problem))

    async def _state_notice(self, problem: str) -> None:
        target = self._destination(self.config.service.notice_destination or "")
        notifier = self.notifiers.get(target.name) if target else None
        try:
            await send_unrecorded(state_notice(problem, now=self.clock()), target=target,
                                  notifier=notifier, now=self.clock())  # fmt: skip
        except Exception as exc:  # the notice's destination boundary: the log line stands
            log.error(kv("notice_failed", error=repr(exc)))

    async def housekeeping(self) -> None:
        self.housekeeper.retention = self.config.state.retention
        for old in self.retired:  # their polls ended long ago (a deadline is far below the period)
            await old.__aexit__(None, None, None)
        self.retired.clear()
        self.housekeeper.run(self.store, now=self.clock(), fetcher=self.fetcher)

    async def _notice(self, notice: Notice | None) -> None:
        if notice is None:
            return
        target = self._destination(self.config.service.notice_destination or "")
        notifier = self.notifiers.get(target.name) if target else None
        await send_notice(notice, store=self.store, target=target, notifier=notifier,
                          now=self.clock())  # fmt: skip

    # ------------------------------------------------------------------ reloading

    async def watch_rules(self) -> None:
        stamp = rule_stamps(self.config.rules.paths)
        if stamp != self.rule_stamp:
            self.rule_stamp = stamp
            self._load_rules(self.config, reason="rule file changed")

    def _load_rules(self, config: Config, *, reason: str) -> bool:
        now = self.clock()
        try:
            ruleset = load_some_rules(config.rules.paths)
        except RuleError as exc:
            log.error(kv("rules_rejected", reason=reason, error=str(exc), kept=len(self.ruleset)))
            record_rules_rejected(self.store, error=str(exc), now=now)
            return False
        self.ruleset = ruleset
        record_rules_loaded(self.store, files=[str(f) for f in ruleset.files], rules=len(ruleset),
                            now=now)  # fmt: skip
        log.info(kv("rules_loaded", reason=reason, rules=len(ruleset), files=len(ruleset.files)))
        return True

    async def reload(self, reason: str) -> None:
        """SIGHUP: re-read config and rules; anything broken is rejected and the old stays."""
        self._tell_systemd("RELOADING=1")
        try:
            try:
                config = self.load_config()
            except (ConfigError, NewsbotError) as exc:
                log.error(kv("config_rejected", reason=reason, error=str(exc)))
                return
            self.rule_stamp = rule_stamps(config.rules.paths)
            if not self._load_rules(config, reason=reason):
                return
            change = config_diff(self.config, config, workers_running=self.workers is not None)
            config = in_force(config, self.config)
            if change.fetch:  # new client pools; polls in flight finish on the old ones
                self.retired.append(self.fetcher)
                self.fetcher = await self._open_fetcher(config)
            self._apply(config)  # feeds, destinations; the rest is read from self.config
            if self.feedback is not None and config.feedback is not None:
                from bot.feedback.web import desk_locales

                # base_url, secret, rate limit; a new listen address waits for a restart
                self.feedback.reconfigure(config.feedback, fetcher=self.fetcher,
                                          locales=desk_locales(config.destinations))  # fmt: skip
            self._add_service_jobs()  # heartbeat, watch
            record_reload(self.store, applied=change.applied, needs_restart=change.needs_restart,
                          now=self.clock())  # fmt: skip
            event = "config_partly_applied" if change.needs_restart else "config_reloaded"
            (log.warning if change.needs_restart else log.info)(
                kv(event, reason=reason, changes=describe(change), feeds=len(config.feeds),
                   destinations=len(config.destinations)))  # fmt: skip
        finally:
            self._tell_systemd("READY=1", f"STATUS={self.status_line()}")
