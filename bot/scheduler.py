"""`newsbot run`: the daemon's lifecycle. APScheduler 3.x `AsyncIOScheduler` in the same event
loop as fetching.

`Daemon.__init__` reads the config and rules and makes the scheduler; `Daemon.attach` takes the
resources that live as long as the run (the delivery HTTP client, the state file, the worker pool,
the fetcher); `Daemon.start` adds every job and starts the scheduler; `run` installs the signal handlers (SIGTERM/SIGINT stop, SIGHUP
reloads), tells systemd READY=1, and on a stop waits `STOP_GRACE` for jobs in flight. The jobs
themselves live in `bot.jobs` (feeds, digests, urgent sends, retries) and `bot.upkeep` (heartbeat,
housekeeping, the rule watch, reload).

A job that cannot write the state (a full disk) does not crash: `StateWatch` says so once.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import USER_AGENT
from bot.config import Config
from bot.fetch import Fetcher
from bot.housekeeping import Housekeeper
from bot.http import delivery_client
from bot.jobs import JobFunc, Jobs
from bot.log import get_logger, kv
from bot.models import Clock, utcnow
from bot.rules import load_some_rules
from bot.schedule import RandomSource
from bot.sdnotify import Notifier as SystemdNotifier
from bot.statewatch import StateWatch
from bot.status import clear_reload, record_rules_loaded, record_stopped
from bot.store import Store
from bot.store.safety import is_damaged
from bot.upkeep import rule_stamps
from bot.workers import WorkerPool, worker_pool_for

if TYPE_CHECKING:
    from aiohttp.web import AppRunner

    from bot.feedback.web import FeedbackService

log = get_logger("daemon")

#: how long SIGTERM waits for in-flight polls and deliveries before leaving them for next start
STOP_GRACE = 7.0


class Daemon(Jobs):
    def __init__(
        self,
        *,
        load_config: Callable[[], Config],
        clock: Clock = utcnow,
        rand: RandomSource | None = None,
        systemd: SystemdNotifier | None = None,
        environ: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.load_config = load_config
        self.clock = clock
        self.rand = rand or random.Random().random
        self.systemd = systemd or SystemdNotifier.from_env()
        self.environ = dict(os.environ if environ is None else environ)
        self.transport = transport
        self.config = load_config()
        self.ruleset = load_some_rules(self.config.rules.paths)
        self.rule_stamp = rule_stamps(self.config.rules.paths)
        self.started_at = clock()
        self.last_cycle_at: datetime | None = None
        self.inflight: set[asyncio.Task[Any]] = set()
        self.abandoned = 0  # jobs still running when the stop grace ran out
        self.exit_code = 0  # 1: the state file turned out damaged
        self.stopping = asyncio.Event()
        self.feedback: FeedbackService | None = None
        self.housekeeper = Housekeeper(retention=self.config.state.retention)
        self.watch = StateWatch(self.config.state.path, quiet=2 * self.config.service.heartbeat)
        self.retired: list[Fetcher] = []  # replaced by a reload; closed once no poll can use them
        self.notifiers = {}  # made by `_apply`, from the config in force
        # bound to the running loop by `scheduler.start()`
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
                                    | EVENT_JOB_ERROR)  # fmt: skip

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code (0 on a clean stop, 1 when the state
        file turned out damaged)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP,
                                lambda: self._spawn(self._tracked(self.reload)("SIGHUP")))  # fmt: skip
        # many feeds: parse and match in worker processes (pure Python) so a burst of polls
        # does not starve the heartbeat; the same policy as `once`
        with (
            delivery_client() as http,
            Store(self.config.state.path) as store,
            worker_pool_for(len(self.config.feeds)) as workers,
        ):
            fetcher = await self._open_fetcher(self.config)
            self.attach(http=http, store=store, workers=workers, fetcher=fetcher)
            try:
                # first: an address already in use stops the start (exit 1) before any job runs
                feedback = await self._serve_feedback()
                self.start()
                log.info(kv("daemon_started", pid=os.getpid(), feeds=len(self.config.feeds),
                            destinations=len(self.config.destinations),
                            rules=len(self.ruleset)))  # fmt: skip
                await self._tracked(self.heartbeat)()
                self._tell_systemd("READY=1", f"STATUS={self.status_line()}")
                await self.stopping.wait()
                await self._stop()
                if feedback is not None:
                    await feedback.cleanup()
            finally:
                for open_fetcher in (self.fetcher, *self.retired):
                    await open_fetcher.__aexit__(None, None, None)
        return self.exit_code

    def attach(
        self, *, http: httpx.Client, store: Store, workers: WorkerPool | None, fetcher: Fetcher
    ) -> None:
        """The resources that live as long as `run` holds them open, and that every job uses."""
        self.http, self.store, self.workers, self.fetcher = http, store, workers, fetcher

    def start(self) -> None:
        """Add every job for the config in force and start the scheduler (after `attach`)."""
        self._apply(self.config)
        try:  # a full disk at start: run all the same, say so, retry in every job
            record_rules_loaded(self.store, files=[str(f) for f in self.ruleset.files],
                                rules=len(self.ruleset), now=self.clock())  # fmt: skip
            clear_reload(self.store, now=self.clock())
        except sqlite3.Error as exc:
            if is_damaged(exc):
                raise  # at start: one line naming the file and the backup, exit 1
            self._state_failed(exc)
        self._add_service_jobs()
        self.scheduler.start()

    async def _serve_feedback(self) -> AppRunner | None:
        """Readers' feedback service (`[feedback]`), served from this event loop."""
        if self.config.feedback is None:
            return None
        from bot.feedback.web import FeedbackService, desk_locales, start_service

        self.feedback = FeedbackService(config=self.config.feedback, store=self.store,
                                        rules=lambda: self.ruleset, fetcher=self.fetcher,
                                        locales=desk_locales(self.config.destinations),
                                        clock=self.clock)  # fmt: skip
        return await start_service(self.feedback)

    async def _open_fetcher(self, config: Config) -> Fetcher:
        fetcher = Fetcher(settings=config.fetch, user_agent=USER_AGENT, transport=self.transport)
        return await fetcher.__aenter__()

    async def _stop(self) -> None:
        log.info(kv("daemon_stopping", inflight=len(self.inflight)))
        self._tell_systemd("STOPPING=1")
        # pause first: shutting the scheduler down cancels the coroutine jobs still running
        self.scheduler.pause()
        if self.inflight:
            # a delivery that does not finish in time is cancelled: its outbox claim is released and
            # the next start sends it again under the same key (at-least-once, never lost)
            _done, late = await asyncio.wait(self.inflight, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
                self.abandoned = len(late)
        self.scheduler.shutdown(wait=False)
        try:
            record_stopped(self.store, now=self.clock())
        except sqlite3.Error as exc:  # a full disk: say so, and still stop cleanly (exit 0)
            log.error(kv("state_not_recorded", what="stop", error=str(exc)))
        log.info(kv("daemon_stopped", abandoned=self.abandoned))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    def _tracked(self, func: JobFunc) -> JobFunc:
        """Wrap a job so SIGTERM can wait for it to finish."""

        async def job(*args: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self.inflight.add(task)
            try:
                await func(*args)
            except sqlite3.Error as exc:  # the state, not this job: said once, retried next time
                self._state_failed(exc)
            finally:
                if task is not None:
                    self.inflight.discard(task)

        job.__name__ = func.__name__
        return job

    def _tell_systemd(self, *assignments: str) -> None:
        # a systemd that cannot take a datagram must not stop the daemon; if it stays that way
        # the missing WATCHDOG=1 gets us restarted, which is the right outcome
        try:
            self.systemd.send(*(a.replace("\n", " ") for a in assignments))
        except OSError as exc:
            log.warning(kv("sd_notify_failed", error=str(exc)))

    def _on_event(self, event: Any) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning(kv("job_missed", job=event.job_id, scheduled=event.scheduled_run_time))
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning(kv("job_skipped", job=event.job_id, reason="still running"))
        elif isinstance(event.exception, asyncio.CancelledError):
            # stopping with work in flight: what it held was released for the next start
            log.info(kv("job_cancelled", job=event.job_id))
        else:
            log.error(kv("job_crashed", job=event.job_id, error=repr(event.exception)))
