"""Pure time logic for the daemon: when to poll a feed next, and when each destination's digest is due.

Nothing here sleeps, reads the clock or draws random numbers on its own: ``now`` and the random
source are parameters, so tests can cross daylight-saving changes and suspensions instantly. The
digest times come from APScheduler's own triggers (``get_next_fire_time(prev, now)``), so this
module and the running scheduler agree on every fire time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import DestinationConfig
from bot.cron import CronError, CronSpec, parse_cron
from bot.errors import ConfigError

#: A source of floats in [0, 1), e.g. ``random.Random(seed).random``.
RandomSource = Callable[[], float]

#: Whatever a server says, never wait longer than this before trying a feed again.
MAX_RETRY_AFTER = 7 * 86400.0

_QUIET = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def is_past(when: datetime, now: datetime) -> bool:
    """``when <= now`` as instants. Python compares two datetimes of one zone by wall clock and
    ignores ``fold``, so 02:30+01:00 would count as "not after" 02:30+02:00 on an autumn night."""
    return when.astimezone(UTC) <= now.astimezone(UTC)


# ---------------------------------------------------------------------------- feeds


def backoff_delay(*, interval: float, failures: int, max_backoff: float) -> float:
    """Seconds until the next poll of a feed that failed `failures` times in a row.

    Doubling per failure from the normal interval, capped at `max_backoff` (but never below the
    interval itself: backing off must not poll a slow feed *more* often).
    """
    if failures <= 0:
        return interval
    # the exponent is bounded so a feed failing for months cannot overflow the float
    grown = interval * math.pow(2.0, min(failures, 60))
    return max(interval, min(grown, max_backoff))


def next_poll(
    *,
    now: datetime,
    interval: float,
    jitter: float,
    rand: RandomSource,
    failures: int = 0,
    max_backoff: float = 6 * 3600.0,
    retry_after: float | None = None,
) -> datetime:
    """When to poll a feed next, after an attempt that ended at `now`.

    `jitter` is a fraction of the delay: the delay is scaled by a factor drawn uniformly from
    ``[1 - jitter, 1 + jitter)`` so feeds sharing an interval do not hit their hosts in lockstep.
    A server's Retry-After is a floor: jitter only ever pushes past it, never before it.
    """
    delay = backoff_delay(interval=interval, failures=failures, max_backoff=max_backoff)
    delay *= 1.0 + jitter * (2.0 * rand() - 1.0)
    if retry_after is not None and retry_after > 0:
        floor = min(retry_after, MAX_RETRY_AFTER)
        delay = max(delay, floor * (1.0 + jitter * rand()))
    return now + timedelta(seconds=max(delay, 0.0))


def first_poll(*, now: datetime, interval: float, jitter: float, rand: RandomSource) -> datetime:
    """The first poll after start-up: soon, but spread so many feeds do not start in one burst."""
    return now + timedelta(seconds=interval * jitter * rand())


def feed_misfire_grace(interval: float) -> int:
    """Grace for a feed job: one interval, so a coalesced catch-up run is always within it."""
    return max(1, math.ceil(interval))


def catch_up_runs(
    trigger: BaseTrigger,
    next_run_time: datetime,
    now: datetime,
    *,
    coalesce: bool,
    misfire_grace_time: float | None,
) -> tuple[datetime, ...]:
    """The runs APScheduler 3.x performs when it wakes at `now` with a job due at `next_run_time`.

    Mirrors ``Job._get_run_times`` + coalescing in ``BaseScheduler._process_jobs`` + the misfire
    check in ``run_job``, so tests can show what a suspended machine does on resume.
    """
    due: list[datetime] = []
    fire: datetime | None = next_run_time
    while fire is not None and is_past(fire, now):
        due.append(fire)
        fire = trigger.get_next_fire_time(fire, now)
    if coalesce:
        due = due[-1:]
    if misfire_grace_time is None:
        return tuple(due)
    grace = timedelta(seconds=misfire_grace_time)
    return tuple(t for t in due if now.astimezone(UTC) - t.astimezone(UTC) <= grace)


# ---------------------------------------------------------------------------- quiet hours


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily do-not-disturb window in local time; it may cross midnight (22:00-07:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        m = _QUIET.match(text.strip())
        if not m:
            raise ValueError(f"quiet_hours: expected HH:MM-HH:MM, got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"quiet_hours: not a time of day in {text!r}")
        return cls(start=time(h1, m1), end=time(h2, m2))

    @property
    def crosses_midnight(self) -> bool:
        return self.start > self.end

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False  # an empty window, not a whole day
        if self.crosses_midnight:
            return local >= self.start or local < self.end
        return self.start <= local < self.end

    def defer(self, when: datetime, tz: ZoneInfo) -> datetime:
        """`when` if it is outside the window, else the end of the window (as a UTC datetime)."""
        local = when.astimezone(tz)
        if not self.contains(local.time()):
            return when
        end_day = local.date()
        if self.crosses_midnight and local.time() >= self.start:
            end_day += timedelta(days=1)
        # a wall-clock time that a spring change skips still maps to one real instant via UTC
        end = datetime.combine(end_day, self.end, tzinfo=tz).astimezone(UTC)
        return max(end, when)


# ---------------------------------------------------------------------------- cron

#: APScheduler's weekday names, indexed by cron's weekday number (Sunday = 0)
_APS_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class _Earliest(OrTrigger):  # type: ignore[misc]
    """OrTrigger comparing fire times as instants: `min` on two datetimes of one zone compares wall
    clocks and ignores `fold`, which picks the wrong one of two 02:30s on an autumn night."""

    __slots__ = ()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        times = [t.get_next_fire_time(previous_fire_time, now) for t in self.triggers]
        found = [t for t in times if t is not None]
        return min(found, key=lambda t: t.astimezone(UTC)) if found else None


def cron_trigger(spec: CronSpec, tz: ZoneInfo) -> BaseTrigger:
    """An APScheduler trigger firing when `spec` does, in `tz`.

    Every field is handed over as an explicit list of values, weekdays by name, so APScheduler's
    Monday-is-0 numbering never sees a cron number. cron's day-of-month OR day-of-week rule, which
    APScheduler's single trigger (an AND of its fields) cannot say, becomes two triggers.
    """

    def values(allowed: frozenset[int], full: int) -> str:
        return "*" if len(allowed) == full else ",".join(str(v) for v in sorted(allowed))

    weekdays = (
        "*"
        if len(spec.weekdays) == 7
        else ",".join(_APS_WEEKDAYS[d] for d in sorted(spec.weekdays))
    )
    common = {
        "minute": values(spec.minutes, 60),
        "hour": values(spec.hours, 24),
        "month": values(spec.months, 12),
        "timezone": tz,
    }
    days = values(spec.days, 31)
    if not spec.days_either:
        return CronTrigger(day=days, day_of_week=weekdays, **common)
    return _Earliest([CronTrigger(day=days, **common), CronTrigger(day_of_week=weekdays, **common)])


def _imaginary(local: datetime) -> bool:
    """A wall-clock time the spring change skips (it does not survive a round trip through UTC)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) != local.replace(tzinfo=None)


def _repeated(local: datetime) -> bool:
    """The second of two same wall-clock times on an autumn night."""
    return local.fold == 1 and local.utcoffset() != local.replace(fold=0).utcoffset()


def _after_gap(local: datetime) -> datetime:
    """The first real minute after a skipped wall-clock time: when cron runs a job set inside it."""
    wall = local.replace(second=0, microsecond=0, fold=0)
    while _imaginary(wall):
        wall += timedelta(minutes=1)
    return wall


# ---------------------------------------------------------------------------- digests


@dataclass(frozen=True, slots=True)
class DigestSlot:
    """One scheduled digest: the schedule's fire time, when to actually send, and its period key."""

    destination: str
    fire_time: datetime  # in the destination's zone, as the trigger gave it (fold kept)
    send_at: datetime  # fire_time, or the end of quiet hours
    key: str

    @property
    def deferred(self) -> bool:
        return not is_past(self.send_at, self.fire_time)


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """A destination's digest timing: a cron (in its timezone) or a fixed period, plus quiet hours."""

    destination: str
    trigger: BaseTrigger
    tz: ZoneInfo
    cron: CronSpec | None = None
    every: float | None = None
    quiet: QuietHours | None = None

    @classmethod
    def for_destination(cls, dest: DestinationConfig) -> DigestSchedule | None:
        """None when the destination has neither `schedule` nor `every` (send after each poll)."""
        tz = ZoneInfo(dest.timezone)
        try:
            quiet = QuietHours.parse(dest.quiet_hours) if dest.quiet_hours else None
            spec = parse_cron(dest.schedule) if dest.schedule else None
            if spec is not None:
                trigger: BaseTrigger = cron_trigger(spec, tz)
            elif dest.every:
                trigger = IntervalTrigger(
                    seconds=dest.every, start_date=datetime(2000, 1, 1, tzinfo=UTC), timezone=UTC
                )
            else:
                return None
        except ValueError as exc:
            key = "schedule" if isinstance(exc, CronError) else "quiet_hours"
            raise ConfigError(str(exc), key=f"destinations.{dest.name}.{key}") from None
        return cls(
            destination=dest.name,
            trigger=trigger,
            tz=tz,
            cron=spec,
            every=dest.every,
            quiet=quiet,
        )

    def period_key(self, fire_time: datetime) -> str:
        """Destination + period. Two fires that name the same period share the key.

        A cron period is named by its *local wall-clock* time, without the UTC offset: on the
        autumn change a daily 02:30 fires at 02:30+02:00 and again at 02:30+01:00, and both are
        "02:30 on that day", so the second finds its key already sent. A fixed period is named
        by its index since a fixed UTC epoch, which no clock change can repeat.
        """
        if self.every:
            start = datetime(2000, 1, 1, tzinfo=UTC)
            index = int((fire_time - start).total_seconds() // self.every)
            return f"{self.destination}@every{int(self.every)}s#{index}"
        local = fire_time.astimezone(self.tz)
        key = f"{self.destination}@{local.replace(tzinfo=None).isoformat(timespec='minutes')}"
        # a job on real minutes runs in both autumn 02:xx hours: two periods, two keys
        return (
            key + "+repeat" if self.cron and not self.cron.fixed_time and _repeated(local) else key
        )

    def next_slot(self, prev_fire: datetime | None, now: datetime) -> DigestSlot:
        """The next digest after `prev_fire` (None at start-up), as of `now`.

        Fire times already past (a suspended machine, a blocked loop) coalesce into the latest
        one, so a resumed daemon sends exactly one catch-up digest, not one per missed period.
        """
        fire = self._next_fire(prev_fire, now)
        # only a past fire may be followed: asked about a future one, the trigger answers from `now`
        while is_past(fire, now):
            following = self._next_fire(fire, now)
            if not is_past(following, now):
                break
            fire = following
        # `fire` stays in the trigger's zone: handed back as `prev`, a UTC copy loses the fold
        # and the trigger would answer the first 02:30 of an autumn night again
        due = _after_gap(fire) if self.cron and _imaginary(fire) else fire
        send_at = self.quiet.defer(due, self.tz) if self.quiet else due
        return DigestSlot(
            destination=self.destination,
            fire_time=fire,
            send_at=send_at,
            key=self.period_key(fire),
        )

    def _next_fire(self, prev_fire: datetime | None, now: datetime) -> datetime:
        """The trigger's next fire time, less those cron would not run across a clock change: a
        job at set times runs once per wall-clock time (not again in the repeated autumn hour);
        any other job runs on real minutes (none of them in the hour the spring change skips)."""
        while True:
            fire: datetime | None = self.trigger.get_next_fire_time(prev_fire, now)
            if fire is None:  # cron expressions always have a next time; this guards the contract
                raise ConfigError(f"schedule of destination {self.destination!r} never fires")
            if self.cron is None:
                return fire
            skip = _repeated(fire) if self.cron.fixed_time else _imaginary(fire)
            if not skip:
                return fire
            prev_fire, now = fire, fire

    def in_quiet_hours(self, when: datetime) -> bool:
        if self.quiet is None:
            return False
        return self.quiet.contains(when.astimezone(self.tz).time())


def quiet_until(dest: DestinationConfig, when: datetime) -> datetime:
    """For urgent sends: `when`, or the end of the destination's quiet hours if `when` is inside."""
    if not dest.quiet_hours:
        return when
    return QuietHours.parse(dest.quiet_hours).defer(when, ZoneInfo(dest.timezone))
