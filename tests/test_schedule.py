"""Scheduling logic with the clock as a parameter: no test here waits for anything."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConsoleOptions, DestinationConfig
from bot.errors import ConfigError
from bot.schedule import (
    MAX_RETRY_AFTER,
    DigestSchedule,
    QuietHours,
    backoff_delay,
    catch_up_runs,
    feed_misfire_grace,
    first_poll,
    next_poll,
    quiet_until,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def dest(**kw: object) -> DestinationConfig:
    base: dict[str, object] = {"name": "desk", "type": "console", "options": ConsoleOptions()}
    base.update(kw)
    return DestinationConfig(**base)  # type: ignore[arg-type]


def sends(schedule: DigestSchedule, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Walk the schedule as the daemon does (each slot runs at its time) and dedupe by key."""
    sent_keys: set[str] = set()
    out: list[tuple[datetime, str]] = []
    prev = None
    now = start
    while True:
        slot = schedule.next_slot(prev, now)
        if slot.fire_time > end:
            return out
        if slot.key not in sent_keys:
            sent_keys.add(slot.key)
            out.append((slot.fire_time, slot.key))
        prev, now = slot.fire_time, slot.send_at


# ---------------------------------------------------------------------------- feed polling


def test_backoff_doubles_per_failure_and_is_capped() -> None:
    delays = [backoff_delay(interval=60, failures=n, max_backoff=900) for n in range(7)]
    assert delays == [60, 120, 240, 480, 900, 900, 900]


def test_backoff_never_polls_faster_than_the_interval() -> None:
    # a cap below the interval must not make a failing feed poll more often than a healthy one
    assert backoff_delay(interval=3600, failures=3, max_backoff=600) == 3600
    assert backoff_delay(interval=60, failures=10_000, max_backoff=7200) == 7200


def test_next_poll_without_jitter_is_exactly_the_interval() -> None:
    assert next_poll(now=T0, interval=900, jitter=0, rand=lambda: 0.7) == T0 + timedelta(minutes=15)


def test_jitter_spreads_both_ways_with_the_injected_random_source() -> None:
    low = next_poll(now=T0, interval=1000, jitter=0.1, rand=lambda: 0.0)
    mid = next_poll(now=T0, interval=1000, jitter=0.1, rand=lambda: 0.5)
    high = next_poll(now=T0, interval=1000, jitter=0.1, rand=lambda: 0.999)
    assert low == T0 + timedelta(seconds=900)
    assert mid == T0 + timedelta(seconds=1000)
    assert T0 + timedelta(seconds=1099) < high < T0 + timedelta(seconds=1100)


def test_seeded_random_gives_reproducible_spread() -> None:
    a = [next_poll(now=T0, interval=60, jitter=0.2, rand=random.Random(7).random) for _ in range(3)]
    b = [next_poll(now=T0, interval=60, jitter=0.2, rand=random.Random(7).random) for _ in range(3)]
    assert a == b


def test_retry_after_is_honoured_even_beyond_the_backoff() -> None:
    when = next_poll(
        now=T0, interval=60, jitter=0.1, rand=lambda: 0.0, failures=1, retry_after=3600
    )
    assert when == T0 + timedelta(seconds=3600)


def test_retry_after_shorter_than_backoff_does_not_shorten_it() -> None:
    when = next_poll(now=T0, interval=600, jitter=0, rand=lambda: 0.5, failures=2, retry_after=5)
    assert when == T0 + timedelta(seconds=2400)


def test_absurd_retry_after_is_bounded() -> None:
    when = next_poll(now=T0, interval=60, jitter=0, rand=lambda: 0.5, retry_after=10**9)
    assert when == T0 + timedelta(seconds=MAX_RETRY_AFTER)


@given(
    interval=st.floats(min_value=1, max_value=86400),
    jitter=st.floats(min_value=0, max_value=0.5),
    failures=st.integers(min_value=0, max_value=200),
    r=st.floats(min_value=0, max_value=0.999999),
    retry_after=st.none() | st.floats(min_value=0, max_value=10**6),
)
def test_next_poll_bounds(
    interval: float, jitter: float, failures: int, r: float, retry_after: float | None
) -> None:
    cap = 6 * 3600.0
    when = next_poll(
        now=T0,
        interval=interval,
        jitter=jitter,
        rand=lambda: r,
        failures=failures,
        max_backoff=cap,
        retry_after=retry_after,
    )
    delay = (when - T0).total_seconds()
    base = backoff_delay(interval=interval, failures=failures, max_backoff=cap)
    assert delay >= base * (1 - jitter) - 1e-3
    if retry_after:
        assert delay >= min(retry_after, MAX_RETRY_AFTER) - 1e-3
    else:
        assert delay <= base * (1 + jitter) + 1e-3


def test_first_poll_is_within_the_jitter_window() -> None:
    assert first_poll(now=T0, interval=600, jitter=0.1, rand=lambda: 0.0) == T0
    assert first_poll(now=T0, interval=600, jitter=0.1, rand=lambda: 0.5) == T0 + timedelta(
        seconds=30
    )


# ---------------------------------------------------------------------------- suspension


def test_ten_minute_suspension_gives_exactly_one_catch_up_poll() -> None:
    trigger = IntervalTrigger(seconds=60, start_date=T0, timezone=UTC)
    due = T0 + timedelta(minutes=1)
    resumed = due + timedelta(minutes=10, seconds=20)
    runs = catch_up_runs(
        trigger, due, resumed, coalesce=True, misfire_grace_time=feed_misfire_grace(60)
    )
    assert len(runs) == 1
    assert runs[0] == T0 + timedelta(minutes=11)
    # without coalescing the same wake-up would stampede through the backlog
    backlog = catch_up_runs(trigger, due, resumed, coalesce=False, misfire_grace_time=None)
    assert len(backlog) == 11


@pytest.mark.parametrize("interval", [30, 60, 900])
def test_catch_up_mirrors_apscheduler_itself(interval: int) -> None:
    """Our model of a wake-up agrees with APScheduler's own run-time computation."""
    sched = BackgroundScheduler(timezone=UTC)
    trigger = IntervalTrigger(seconds=interval, start_date=T0, timezone=UTC)
    due = T0 + timedelta(seconds=interval)
    job = sched.add_job(print, trigger, next_run_time=due, coalesce=True)
    resumed = due + timedelta(minutes=10)
    theirs = job._get_run_times(resumed)[-1:]
    ours = catch_up_runs(trigger, due, resumed, coalesce=True, misfire_grace_time=None)
    assert list(ours) == theirs
    assert resumed - ours[0] <= timedelta(seconds=feed_misfire_grace(interval))


def test_short_grace_would_drop_the_catch_up_run() -> None:
    # why feed jobs use one interval of grace: with APScheduler's default of 1 s the coalesced
    # run, up to an interval late, would be dropped as missed
    trigger = IntervalTrigger(seconds=60, start_date=T0, timezone=UTC)
    due = T0 + timedelta(minutes=1)
    resumed = due + timedelta(minutes=10, seconds=20)
    assert catch_up_runs(trigger, due, resumed, coalesce=True, misfire_grace_time=1) == ()


def test_suspension_sends_one_catch_up_digest() -> None:
    schedule = DigestSchedule.for_destination(dest(schedule="*/2 * * * *", timezone="UTC"))
    assert schedule is not None
    fired = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    resumed = fired + timedelta(minutes=10, seconds=30)
    slot = schedule.next_slot(fired, resumed)
    assert slot.fire_time == datetime(2026, 5, 4, 9, 10, tzinfo=UTC)
    assert slot.key == "desk@2026-05-04T09:10"
    # and the one after it is in the future again
    after = schedule.next_slot(slot.fire_time, resumed)
    assert after.fire_time == datetime(2026, 5, 4, 9, 12, tzinfo=UTC)


def test_every_schedule_catch_up_and_keys() -> None:
    schedule = DigestSchedule.for_destination(dest(every=3600.0))
    assert schedule is not None
    first = schedule.next_slot(None, datetime(2026, 5, 4, 9, 20, tzinfo=UTC))
    assert first.fire_time == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    resumed = first.fire_time + timedelta(hours=5, minutes=10)
    slot = schedule.next_slot(first.fire_time, resumed)
    assert slot.fire_time == datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    assert slot.key != first.key
    assert slot.key == schedule.period_key(slot.fire_time + timedelta(minutes=30))


# ---------------------------------------------------------------------------- DST


def test_autumn_change_fires_twice_but_the_key_sends_once() -> None:
    schedule = DigestSchedule.for_destination(dest(schedule="30 2 * * *", timezone="Europe/Berlin"))
    assert schedule is not None
    # APScheduler itself fires the 02:30 job twice on 25 Oct 2026 (CEST, then CET)
    trigger = CronTrigger.from_crontab("30 2 * * *", timezone=BERLIN)
    first = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    second = trigger.get_next_fire_time(first, first)
    assert first.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert schedule.period_key(first) == schedule.period_key(second) == "desk@2026-10-25T02:30"

    out = sends(
        schedule,
        datetime(2026, 10, 23, 12, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 12, 0, tzinfo=UTC),
    )
    assert [k for _, k in out] == [
        "desk@2026-10-24T02:30",
        "desk@2026-10-25T02:30",
        "desk@2026-10-26T02:30",
        "desk@2026-10-27T02:30",
    ]


def test_spring_change_still_sends_that_day_exactly_once() -> None:
    schedule = DigestSchedule.for_destination(dest(schedule="30 2 * * *", timezone="Europe/Berlin"))
    assert schedule is not None
    out = sends(
        schedule,
        datetime(2026, 3, 27, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
    )
    days = [t.astimezone(BERLIN).date().isoformat() for t, _ in out]
    assert days == ["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31"]
    assert len({k for _, k in out}) == 4


def test_new_york_fall_back_and_spring_forward() -> None:
    schedule = DigestSchedule.for_destination(
        dest(schedule="30 1 * * *", timezone="America/New_York")
    )
    assert schedule is not None
    fall = sends(
        schedule,
        datetime(2026, 10, 31, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 12, 0, tzinfo=UTC),
    )
    assert [k for _, k in fall] == ["desk@2026-11-01T01:30", "desk@2026-11-02T01:30"]
    spring = sends(
        schedule,
        datetime(2026, 3, 7, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 12, 0, tzinfo=UTC),
    )
    assert len(spring) == 2
    # 08:00 local is 13:00 UTC in winter and 12:00 UTC in summer: the schedule follows local time
    morning = DigestSchedule.for_destination(
        dest(schedule="0 8 * * *", timezone="America/New_York")
    )
    assert morning is not None
    before = morning.next_slot(None, datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    after = morning.next_slot(None, datetime(2026, 3, 9, 0, 0, tzinfo=UTC))
    assert before.fire_time.astimezone(UTC).hour == 13
    assert after.fire_time.astimezone(UTC).hour == 12


def test_ho_chi_minh_has_no_dst_and_keys_are_local_dates() -> None:
    schedule = DigestSchedule.for_destination(
        dest(schedule="0 8 * * *", timezone="Asia/Ho_Chi_Minh")
    )
    assert schedule is not None
    out = sends(
        schedule,
        datetime(2026, 10, 24, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 0, 0, tzinfo=UTC),
    )
    assert all(t.astimezone(UTC).hour == 1 for t, _ in out)  # 08:00 +07:00 all year round
    assert [k for _, k in out] == [
        "desk@2026-10-24T08:00",
        "desk@2026-10-25T08:00",
        "desk@2026-10-26T08:00",
    ]


# ---------------------------------------------------------------------------- quiet hours


def test_quiet_hours_across_midnight_defer_to_their_end() -> None:
    schedule = DigestSchedule.for_destination(
        dest(schedule="0 23 * * *", timezone="Asia/Ho_Chi_Minh", quiet_hours="22:00-07:00")
    )
    assert schedule is not None
    slot = schedule.next_slot(None, datetime(2026, 5, 4, 0, 0, tzinfo=UTC))
    assert slot.fire_time.astimezone(SAIGON).hour == 23
    assert slot.send_at.astimezone(SAIGON) == datetime(2026, 5, 5, 7, 0, tzinfo=SAIGON)
    assert slot.deferred
    # deferring does not change the period: the key still names the 23:00 digest
    assert slot.key == "desk@2026-05-04T23:00"


def test_quiet_hours_early_morning_side_and_outside() -> None:
    quiet = QuietHours.parse("22:00-07:00")
    at_six = datetime(2026, 5, 4, 6, 0, tzinfo=SAIGON)
    assert quiet.defer(at_six, SAIGON) == datetime(2026, 5, 4, 7, 0, tzinfo=SAIGON)
    at_noon = datetime(2026, 5, 4, 12, 0, tzinfo=SAIGON)
    assert quiet.defer(at_noon, SAIGON) == at_noon
    assert quiet.defer(datetime(2026, 5, 4, 7, 0, tzinfo=SAIGON), SAIGON).hour == 7


def test_daytime_window_and_empty_window() -> None:
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch.contains(datetime(2026, 1, 1, 12, 45).time())
    assert not lunch.contains(datetime(2026, 1, 1, 13, 30).time())
    assert not QuietHours.parse("07:00-07:00").contains(datetime(2026, 1, 1, 7, 0).time())


def test_quiet_hours_end_on_a_dst_night() -> None:
    # 01:00-03:00 in Berlin on the spring change: 02:xx does not exist, the window still ends
    quiet = QuietHours.parse("01:00-03:00")
    inside = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    end = quiet.defer(inside, BERLIN)
    assert end.astimezone(BERLIN).hour == 3
    assert end > inside


@pytest.mark.parametrize("text", ["7-9", "25:00-07:00", "22:00-07:61", "22:00"])
def test_bad_quiet_hours(text: str) -> None:
    with pytest.raises(ValueError, match="quiet_hours"):
        QuietHours.parse(text)


def test_urgent_send_respects_quiet_hours() -> None:
    d = dest(timezone="Asia/Ho_Chi_Minh", quiet_hours="22:00-07:00")
    night = datetime(2026, 5, 4, 16, 0, tzinfo=UTC)  # 23:00 in Saigon
    assert quiet_until(d, night).astimezone(SAIGON).hour == 7
    assert quiet_until(dest(), night) == night


def test_destination_without_schedule_has_none() -> None:
    assert DigestSchedule.for_destination(dest()) is None


def test_invalid_cron_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"destinations\.desk\.schedule"):
        DigestSchedule.for_destination(dest(schedule="99 * * * *"))
