"""Digest schedules mean what cron means: weekday numbering, names, steps, the day OR rule, both
clock changes, and a year of fire times held to an independent cron implementation (cronsim)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim

from bot.cli import main
from bot.config import ConsoleOptions, DestinationConfig
from bot.cron import CronError, parse_cron
from bot.schedule import DigestSchedule

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Saturday 5 December 2026, noon UTC: two weeks on from here cover every weekday twice
T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def schedule(expr: str, tz: str = "UTC") -> DigestSchedule:
    dest = DestinationConfig(
        name="desk", type="console", options=ConsoleOptions(), schedule=expr, timezone=tz
    )
    found = DigestSchedule.for_destination(dest)
    assert found is not None
    return found


def walk(s: DigestSchedule, start: datetime, end: datetime) -> list[datetime]:
    """The digests the daemon sends from `start` to `end`: each slot runs at its time, once per key."""
    out: list[datetime] = []
    keys: set[str] = set()
    prev, now = None, start
    while True:
        slot = s.next_slot(prev, now)
        if slot.send_at.astimezone(UTC) >= end:
            return out
        if slot.key not in keys:
            keys.add(slot.key)
            out.append(slot.send_at.astimezone(UTC))
        prev, now = slot.fire_time, slot.send_at


def weekdays(expr: str) -> list[str]:
    local = [t.astimezone(UTC) for t in walk(schedule(expr), T0, T0 + timedelta(days=14))]
    return sorted({t.strftime("%a") for t in local}, key=_WEEK.index)


_WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@pytest.mark.parametrize(
    ("expr", "days"),
    [
        ("0 7 * * 0", ["Sun"]),
        ("0 7 * * 7", ["Sun"]),
        ("0 7 * * 1", ["Mon"]),
        ("0 7 * * 6", ["Sat"]),
        ("0 7 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 7 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 7 * * MON-Fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 7 * * sat,sun", ["Sat", "Sun"]),
        ("0 7 * * sat-sun", ["Sat", "Sun"]),
        ("0 7 * * 6,0", ["Sat", "Sun"]),
        ("0 7 * * 5-7", ["Fri", "Sat", "Sun"]),
        ("0 7 * * 0-6", _WEEK),
        ("0 7 * * 0-7", _WEEK),
        ("0 7 * * *", _WEEK),
        ("0 7 * * */2", ["Tue", "Thu", "Sat", "Sun"]),
        ("0 7 * * 1-5/2", ["Mon", "Wed", "Fri"]),
        ("0 7 * * 2/2", ["Tue", "Thu", "Sat"]),
        ("0 7 * * mon,wed-thu", ["Mon", "Wed", "Thu"]),
        ("@weekly", ["Sun"]),
        ("@daily", _WEEK),
    ],
)
def test_every_weekday_form(expr: str, days: list[str]) -> None:
    assert weekdays(expr) == days


def test_the_example_configs_weekday_schedule_starts_on_monday() -> None:
    # Saturday 5 Dec 2026: "0 7 * * 1-5" in Saigon next fires on Monday 7 Dec, 07:00 local
    slot = schedule("0 7 * * 1-5", "Asia/Ho_Chi_Minh").next_slot(None, T0)
    assert slot.send_at.strftime("%a %Y-%m-%d %H:%M") == "Mon 2026-12-07 07:00"


def test_macros() -> None:
    after = T0 + timedelta(minutes=1)
    assert walk(schedule("@hourly"), after, T0 + timedelta(hours=3)) == [
        T0 + timedelta(hours=h) for h in (1, 2)
    ]
    assert [t.day for t in walk(schedule("@monthly"), T0, T0 + timedelta(days=62))] == [1, 1]
    assert parse_cron("@YEARLY").expanded == "0 0 1 1 *"


def test_day_of_month_or_day_of_week_when_both_are_restricted() -> None:
    # cron: the 1st and the 15th of the month, and every Friday
    got = walk(schedule("0 9 1,15 * fri"), T0, T0 + timedelta(days=31))
    assert [t.strftime("%a %d") for t in got] == [
        "Fri 11", "Tue 15", "Fri 18", "Fri 25", "Fri 01",
    ]  # fmt: skip
    # a field starting with "*" means AND, as in Debian cron: odd days that are Mondays
    anded = walk(schedule("0 9 */2 * mon"), T0, T0 + timedelta(days=40))
    assert all(t.strftime("%a") == "Mon" and t.day % 2 == 1 for t in anded) and anded


@pytest.mark.parametrize(
    ("expr", "field"),
    [
        ("0 25 * * *", "hour: 25 is out of range 0-23"),
        ("*/0 * * * *", "minute: step '0'"),
        ("60 * * * *", "minute: 60"),
        ("0 7 * * 8", "day-of-week: 8 is out of range 0-7"),
        ("0 7 0 * *", "day-of-month: 0"),
        ("0 7 * 13 *", "month: 13"),
        ("0 7 * * fri-mon", "runs backwards"),
        ("0 7 * * funday", "day-of-week: 'funday' is not a value"),
        ("0 7 * *", "expected 5 fields"),
        ("0 7 * * * *", "expected 5 fields"),
        ("@reboot", "unknown macro"),
        ("0 0 30 2 *", "never fires"),
        ("0 7 L * *", "day-of-month: 'l' is not a value"),
        ("0 7 * * 1#2", "day-of-week: cannot read"),
    ],
)
def test_bad_expressions_name_the_field(expr: str, field: str) -> None:
    with pytest.raises(CronError, match=field.replace("*", r"\*")):
        parse_cron(expr)


# ---------------------------------------------------------------------------- clock changes


def test_spring_forward_a_set_time_in_the_gap_runs_when_the_clock_jumps() -> None:
    # 29 Mar 2026, Berlin: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that night
    got = walk(schedule("30 2 * * *", "Europe/Berlin"), datetime(2026, 3, 28, tzinfo=UTC),
               datetime(2026, 3, 31, tzinfo=UTC))  # fmt: skip
    local = [t.astimezone(BERLIN).strftime("%d %H:%M %Z") for t in got]
    assert local == ["28 02:30 CET", "29 03:00 CEST", "30 02:30 CEST"]


def test_fall_back_a_set_time_in_the_repeated_hour_runs_once() -> None:
    got = walk(schedule("30 2 * * *", "Europe/Berlin"), datetime(2026, 10, 24, tzinfo=UTC),
               datetime(2026, 10, 27, tzinfo=UTC))  # fmt: skip
    local = [t.astimezone(BERLIN).strftime("%d %H:%M %Z") for t in got]
    assert local == ["24 02:30 CEST", "25 02:30 CEST", "26 02:30 CET"]


def test_a_job_on_real_minutes_skips_the_gap_and_runs_in_both_repeated_hours() -> None:
    s = schedule("*/20 2 * * *", "Europe/Berlin")
    spring = walk(s, datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert spring == []  # 02:00-02:59 does not exist on 29 March
    autumn = walk(s, datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC))
    assert [t.astimezone(BERLIN).strftime("%H:%M %Z") for t in autumn] == [
        "02:00 CEST", "02:20 CEST", "02:40 CEST", "02:00 CET", "02:20 CET", "02:40 CET",
    ]  # fmt: skip


def test_new_york_changes_keep_the_local_hour() -> None:
    s = schedule("0 7 * * mon-fri", "America/New_York")
    got = walk(s, datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC))
    assert [t.astimezone(NEW_YORK).strftime("%a %H:%M") for t in got] == [
        "Fri 07:00", "Mon 07:00", "Tue 07:00", "Wed 07:00",
    ]  # fmt: skip
    assert [t.hour for t in got] == [12, 11, 11, 11]  # EST, then EDT


# ---------------------------------------------------------------------------- a year, against cronsim

YEAR = [
    ("0 7 * * 1-5", "Asia/Ho_Chi_Minh"),
    ("0 7 * * 1-5", "Europe/Berlin"),
    ("30 2 * * *", "Europe/Berlin"),
    ("30 1 * * sun", "America/New_York"),
    ("0 8 * * 0", "Asia/Tokyo"),
    ("0 18 * * 7", "Asia/Jakarta"),
    ("15 6,18 * * mon,wed,fri", "Europe/Berlin"),
    ("0 9 1,15 * fri", "America/New_York"),
    ("0 9 */2 * mon", "UTC"),
    ("45 23 28-31 * *", "Europe/Berlin"),
    ("0 */6 * * *", "Europe/Berlin"),
    ("*/30 8-18 * * mon-fri", "America/New_York"),
    ("0 12 * jan,jul *", "Asia/Ho_Chi_Minh"),
    ("0 0 29 2 *", "UTC"),
    ("@weekly", "Europe/Berlin"),
    ("*/20 2 * * *", "Europe/Berlin"),  # real minutes: none in the spring gap, both autumn hours
    ("@hourly", "America/New_York"),
]


@pytest.mark.parametrize(("expr", "tz"), YEAR)
def test_a_year_of_fire_times_matches_cronsim(expr: str, tz: str) -> None:
    zone = ZoneInfo(tz)
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    ours = walk(schedule(expr, tz), start, end)
    cron_expr = parse_cron(expr).expanded  # cronsim has no macros
    theirs: list[datetime] = []
    for t in CronSim(cron_expr, start.astimezone(zone) - timedelta(seconds=1)):
        if t.astimezone(UTC) >= end:
            break
        theirs.append(t.astimezone(UTC))
    assert ours == theirs
    assert ours or expr == "0 0 29 2 *"  # 2026 has no 29 February: cronsim agrees it never fires


@pytest.mark.parametrize(("expr", "tz"), YEAR[:8])
def test_fire_times_match_the_reference_definition(expr: str, tz: str) -> None:
    """Every fire time matches `CronSpec.matches`, and no matching minute in between is missed."""
    zone = ZoneInfo(tz)
    spec = parse_cron(expr)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    fires = set(walk(schedule(expr, tz), start, start + timedelta(days=14)))
    minute = start
    while minute < start + timedelta(days=14):
        assert spec.matches(minute.astimezone(zone)) == (minute in fires), minute
        minute += timedelta(minutes=1)


# ---------------------------------------------------------------------------- as a user meets it

EXAMPLE = Path(__file__).resolve().parents[1] / "newsbot.example.toml"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example config, as a newcomer copies it, with its secrets set."""
    cfg = tmp_path / "newsbot.toml"
    shutil.copy(EXAMPLE, cfg)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("SMTP_PASSWORD", "x")
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    return cfg


def test_status_shows_the_example_configs_digests_on_cron_weekdays(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(example), "status"]) == 0
    lines = {ln.split(" (")[0].strip(): ln for ln in capsys.readouterr().out.splitlines()}
    mail = lines["desk-mail"]  # schedule = "0 7 * * 1-5", timezone = "Asia/Tokyo"
    m = re.search(
        r"next digest (\w{3}) \d{4}-\d\d-\d\d 07:00 Asia/Tokyo \(.*; 0 7 \* \* 1-5\)", mail
    )
    assert m and m.group(1) in {"Mon", "Tue", "Wed", "Thu", "Fri"}, mail
    assert re.search(r"next digest \w{3} \S+ 08:00 Asia/Ho_Chi_Minh", lines["desk-slack"])
    assert main(["--config", str(example), "status", "--json"]) == 0
    mail_json = next(
        d for d in json.loads(capsys.readouterr().out)["destinations"] if d["name"] == "desk-mail"
    )
    assert mail_json["timezone"] == "Asia/Tokyo" and mail_json["next_digest"].endswith("+09:00")


@pytest.mark.parametrize("command", [["once"], ["digest", "preview", "--destination", "desk-mail"],
                                     ["status"], ["run"]])  # fmt: skip
def test_a_bad_schedule_stops_every_command_naming_file_line_and_key(
    example: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    text = example.read_text(encoding="utf-8")
    example.write_text(text.replace('schedule = "0 7 * * 1-5"', 'schedule = "0 7 * * 1-8"'))
    line = text[: text.index('schedule = "0 7 * * 1-5"')].count("\n") + 1
    assert main(["--config", str(example), *command]) == 2
    err = capsys.readouterr().err
    assert f"{example.resolve()}:{line}: destinations[1].schedule: day-of-week: 8 is out" in err
    assert 'e.g. schedule = "0 7 * * mon-fri"' in err and "Traceback" not in err
