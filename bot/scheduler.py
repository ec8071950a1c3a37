"""`newsbot run`: the daemon. APScheduler 3.x `AsyncIOScheduler` in the same event loop as fetching.

Jobs (all coroutines, all with explicit ``coalesce=True``, ``max_instances=1``, ``misfire_grace_time``):

- ``feed:<url>``     poll one feed; afterwards the job's next run is moved to `bot.schedule.next_poll`
                     (interval + jitter, exponential backoff, Retry-After). The interval trigger under
                     it keeps the job alive whatever happens, and coalesces a suspension into one run.
- ``digest:<name>``  one date job per destination, re-armed after each run with the next
                     `DigestSlot`; its period key makes a repeated fire (DST) send once.
- ``urgent:<name>``  urgent items that arrived in quiet hours, sent when they end.
- ``retry``          composed digests whose send failed, once their backoff is over.
- ``heartbeat``      WATCHDOG=1 + STATUS= to systemd, heartbeat in the state db, operator notices.
- ``rules``          rule-file mtimes: an edit is loaded; a broken one is rejected, the old rules stay.
- ``housekeeping``   WAL checkpoint; retention, PRAGMA optimize, politeness maps; the daily backup.

A job that cannot write the state (a full disk) does not crash: `StateWatch` says so once.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import USER_AGENT
from bot.config import Config, DestinationConfig, FeedConfig
from bot.deliver import DeliveryStatus, deliver_owed
from bot.fetch import Fetcher
from bot.housekeeping import EVERY as HOUSEKEEPING_EVERY
from bot.housekeeping import Housekeeper
from bot.log import get_logger, kv
from bot.models import Clock, utcnow
from bot.notices import feed_notice
from bot.notify import Notifier, create_notifier
from bot.pipeline import FeedStatus, poll_feed, sync_feeds
from bot.rules import load_some_rules, rule_titles
from bot.schedule import (
    DigestSchedule,
    DigestSlot,
    RandomSource,
    feed_misfire_grace,
    first_poll,
    next_poll,
    quiet_until,
)
from bot.sdnotify import Notifier as SystemdNotifier
from bot.sdnotify import watchdog_interval
from bot.statewatch import StateWatch
from bot.status import clear_reload, record_rules_loaded, record_stopped
from bot.store import Store
from bot.store.safety import is_damaged
from bot.upkeep import Upkeep, rule_files
from bot.workers import worker_pool_for

if TYPE_CHECKING:
    from aiohttp.web import AppRunner

    from bot.feedback.web import FeedbackService

log = get_logger("daemon")

#: how often failed digests are looked at again (each has its own backoff in the outbox)
RETRY_EVERY = 15.0
#: how long SIGTERM waits for in-flight polls and deliveries before leaving them for next start
STOP_GRACE = 7.0

JobFunc = Callable[..., Coroutine[Any, Any, None]]


class Daemon(Upkeep):
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
        self.rule_stamp = rule_files(self.config.rules.paths)
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

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code (0 on a clean stop, 1 when the state
        file turned out damaged)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP,
                                lambda: self._spawn(self._tracked(self.reload)("SIGHUP")))  # fmt: skip
        self.http = httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=30.0)
        self.scheduler = AsyncIOScheduler(event_loop=loop, timezone=UTC)
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
                                    | EVENT_JOB_ERROR)  # fmt: skip
        # many feeds: parse and match in worker processes (pure Python) so a burst of polls
        # does not starve the heartbeat; the same policy as `once`
        with (
            Store(self.config.state.path) as store,
            worker_pool_for(len(self.config.feeds)) as workers,
        ):
            self.store = store
            self.workers = workers
            self.fetcher = await self._open_fetcher(self.config)
            try:
                # first: an address already in use stops the start (exit 1) before any job runs
                feedback = await self._serve_feedback()
                self._apply(self.config)
                try:  # a full disk at start: run all the same, say so, retry in every job
                    record_rules_loaded(store, files=[str(f) for f in self.ruleset.files],
                                        rules=len(self.ruleset), now=self.clock())  # fmt: skip
                    clear_reload(store, now=self.clock())
                except sqlite3.Error as exc:
                    if is_damaged(exc):
                        raise  # at start: one line naming the file and the backup, exit 1
                    self._state_failed(exc)
                self._add_service_jobs()
                self.scheduler.start()
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
                for fetcher in (self.fetcher, *self.retired):
                    await fetcher.__aexit__(None, None, None)
        self.http.close()
        return self.exit_code

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

    # ------------------------------------------------------------------ jobs

    def _add(self, job_id: str, func: JobFunc, trigger: Any, *, grace: int | None,
             args: tuple[Any, ...] = (), next_run_time: datetime | None = None) -> None:  # fmt: skip
        extra = {"next_run_time": next_run_time} if next_run_time is not None else {}
        self.scheduler.add_job(self._tracked(func), trigger, args=args, id=job_id, name=job_id,
                               replace_existing=True, coalesce=True, max_instances=1,
                               misfire_grace_time=grace, **extra)  # fmt: skip

    def _add_service_jobs(self) -> None:
        beat = self.config.service.heartbeat
        dog = watchdog_interval(self.environ)
        every = min(beat, dog) if dog else beat
        self._add("heartbeat", self.heartbeat, IntervalTrigger(seconds=every), grace=None)
        self._add("retry", self.retry, IntervalTrigger(seconds=RETRY_EVERY), grace=None)
        if self.scheduler.get_job("housekeeping") is None:  # first at start: today's backup
            self._add("housekeeping", self.housekeeping, IntervalTrigger(seconds=HOUSEKEEPING_EVERY),
                      grace=None, next_run_time=self.clock())  # fmt: skip
        if self.config.rules.watch:
            self._add("rules", self.watch_rules, IntervalTrigger(seconds=beat), grace=None)
        else:
            self._remove("rules")

    def _apply(self, config: Config) -> None:
        """(Re)create the notifiers, feed jobs and digest jobs for `config`."""
        self.config = config
        self.notifiers: dict[str, Notifier] = {
            d.name: create_notifier(d, http=self.http, stream=sys.stdout)
            for d in config.destinations
        }
        try:
            sync_feeds(self.store, config.feeds)
        except sqlite3.Error as exc:
            if is_damaged(exc):
                raise
            self._state_failed(exc)  # a full disk: the feeds already known are still polled
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("feed:", "digest:")):
                job.remove()
        now = self.clock()
        known = {f.url: f for f in self.store.feeds()}
        for feed in config.feeds:
            if feed.url not in known:  # could not be recorded (a full disk): polled after a reload
                log.warning(kv("feed_not_scheduled", feed=feed.name, reason="state not writable"))
            elif feed.enabled and not known[feed.url].disabled:
                self._add(f"feed:{feed.url}", self.poll, IntervalTrigger(seconds=feed.interval),
                          grace=feed_misfire_grace(feed.interval), args=(feed,),
                          next_run_time=self._first_poll(feed, now))  # fmt: skip
        for dest in config.destinations:
            schedule = DigestSchedule.for_destination(dest)
            if schedule is not None:
                self._arm_digest(dest, schedule.next_slot(None, now))

    def _first_poll(self, feed: FeedConfig, now: datetime) -> datetime:
        state = self.store.feed(feed.url)
        # a feed backing off (or told Retry-After) keeps its wait across restarts and reloads
        if state.consecutive_failures and state.next_poll_at and state.next_poll_at > now:
            return state.next_poll_at
        return first_poll(now=now, interval=feed.interval, jitter=self.config.service.jitter,
                          rand=self.rand)  # fmt: skip

    def _arm_digest(self, dest: DestinationConfig, slot: DigestSlot) -> None:
        # grace None: a digest runs however late (the loop was blocked, the machine slept);
        # the chain of date jobs must never break
        when = max(slot.send_at, self.clock())
        self._add(f"digest:{dest.name}", self.digest, DateTrigger(run_date=when), grace=None,
                  args=(dest.name, slot))  # fmt: skip

    async def poll(self, feed: FeedConfig) -> None:
        outcome = await poll_feed(feed, store=self.store, fetcher=self.fetcher,
                                  ruleset=self.ruleset, destinations=self.config.destinations,
                                  clock=self.clock, workers=self.workers,
                                  urgent_max_age=self.config.fetch.urgent_max_age)  # fmt: skip
        now = self.clock()
        self.last_cycle_at = now
        log.debug(kv("feed_polled", feed=feed.name, status=outcome.status, new=outcome.new))
        when = next_poll(now=now, interval=feed.interval, jitter=self.config.service.jitter,
                         rand=self.rand, failures=outcome.consecutive_failures,
                         max_backoff=self.config.service.max_backoff,
                         retry_after=outcome.retry_after)  # fmt: skip
        self.store.set_next_poll(feed.url, when)
        job_id = f"feed:{feed.url}"
        if self.store.feed(feed.url).disabled:
            log.error(kv("feed_job_removed", feed=feed.name, reason="disabled (HTTP 410)"))
            self._remove(job_id)
        elif self.scheduler.get_job(job_id) is not None:  # not removed by a reload meanwhile
            self.scheduler.modify_job(job_id, next_run_time=when)
        if outcome.status == FeedStatus.FAILED:
            threshold = self.config.service.notice_feed_failures
            await self._notice(feed_notice(feed, outcome, threshold=threshold, now=now))
        if outcome.new:
            await self._after_new_items(now)

    def _remove(self, job_id: str) -> None:
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

    async def _after_new_items(self, now: datetime) -> None:
        """Destinations without a schedule get new items now; urgent ones go out at once."""
        for dest in self.config.destinations:
            scheduled = DigestSchedule.for_destination(dest) is not None
            if scheduled and not dest.urgent:
                continue
            send_at = quiet_until(dest, now)
            if send_at > now:
                self._add(f"urgent:{dest.name}", self.send_urgent, DateTrigger(run_date=send_at),
                          grace=None, args=(dest.name, scheduled))  # fmt: skip
                continue
            await self.send_urgent(dest.name, scheduled)

    async def send_urgent(self, name: str, urgent_only: bool) -> None:
        dest = self._destination(name)
        if dest is None:
            return
        now = self.clock()
        # microseconds in the key: two feeds finishing in one second must not share a digest key
        key = f"{name}@{'urgent' if urgent_only else 'now'}:{now.isoformat()}"
        await self._deliver(dest, key=key, urgent_only=urgent_only)

    async def digest(self, name: str, slot: DigestSlot) -> None:
        dest = self._destination(name)
        schedule = DigestSchedule.for_destination(dest) if dest else None
        if dest is None or schedule is None:
            return  # the destination was removed or unscheduled by a reload
        try:
            await self._deliver(dest, key=slot.key)
        finally:
            self._arm_digest(dest, schedule.next_slot(slot.fire_time, self.clock()))

    async def retry(self) -> None:
        now = self.clock()
        for dest in self.config.destinations:
            if self.store.due_outbox(dest.name, now=now) is not None:
                await self._deliver(dest, key=None)

    async def _deliver(self, dest: DestinationConfig, *, key: str | None,
                       urgent_only: bool = False) -> None:  # fmt: skip
        outcomes = await deliver_owed(dest, store=self.store, notifier=self.notifiers[dest.name],
                                      clock=self.clock, key=key, highlight=self.ruleset.highlight,
                                      titles=rule_titles(self.ruleset),
                                      urgent_only=urgent_only)  # fmt: skip
        for outcome in outcomes:
            if outcome.status != DeliveryStatus.NOTHING:
                log.info(kv("delivery", destination=dest.name, status=outcome.status,
                            items=outcome.items, key=outcome.key))  # fmt: skip

    def _destination(self, name: str) -> DestinationConfig | None:
        return next((d for d in self.config.destinations if d.name == name), None)
