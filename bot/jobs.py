"""The daemon's jobs: what runs on a schedule, apart from the lifecycle that starts and stops them
(`bot.scheduler.Daemon`) and from upkeep (`bot.upkeep`: heartbeat, housekeeping, the rule watch,
reload). Every job is added through `Jobs._add`, with explicit ``coalesce=True``,
``max_instances=1`` and ``misfire_grace_time``:

- ``feed:<url>``     poll one feed; afterwards the job's next run is moved to `bot.schedule.next_poll`
                     (interval + jitter, exponential backoff, Retry-After). The interval trigger under
                     it keeps the job alive whatever happens, and coalesces a suspension into one run.
- ``digest:<name>``  one date job per destination, re-armed after each run with the next
                     `DigestSlot`; its period key makes a repeated fire (DST) send once.
- ``urgent:<name>``  urgent items that arrived in quiet hours, sent when they end.
- ``retry``          composed digests whose send failed, once their backoff is over.
- ``heartbeat``, ``rules``, ``housekeeping``: `bot.upkeep`'s, added here with the others.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config, DestinationConfig, FeedConfig
from bot.deliver import DeliveryStatus, deliver_owed
from bot.housekeeping import EVERY as HOUSEKEEPING_EVERY
from bot.log import get_logger, kv
from bot.notices import feed_notice
from bot.notify import create_notifier
from bot.pipeline import FeedStatus, poll_feed, sync_feeds
from bot.rules import rule_titles
from bot.schedule import (
    DigestSchedule,
    DigestSlot,
    RandomSource,
    feed_misfire_grace,
    first_poll,
    next_poll,
    quiet_until,
)
from bot.sdnotify import watchdog_interval
from bot.store.safety import is_damaged
from bot.upkeep import Upkeep

log = get_logger("daemon")

#: how often failed digests are looked at again (each has its own backoff in the outbox)
RETRY_EVERY = 15.0

JobFunc = Callable[..., Coroutine[Any, Any, None]]


class Jobs(Upkeep):
    # the daemon's, set by Daemon.__init__ / Daemon.attach
    rand: RandomSource
    environ: dict[str, str]
    http: httpx.Client
    scheduler: AsyncIOScheduler
    _tracked: Callable[[JobFunc], JobFunc]

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
        self.notifiers = {
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
                                  clock=self.clock, analyzer=self.workers,
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
