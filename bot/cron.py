"""Crontab expressions as cron means them (crontab(5), Debian/Vixie cron), parsed into plain sets.

This is the one place the syntax is read. `bot.schedule` hands the parsed sets to APScheduler 3.x,
whose own ``CronTrigger.from_crontab`` counts Monday as weekday 0 (upstream issue #286, kept for
backwards compatibility in 3.x), so a crontab string must never reach it directly.

What cron means, and so what this accepts:

- five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec), day of
  week (0-7 or sun-sat, where 0 and 7 are both Sunday);
- in each field ``*``, a number, a range ``a-b``, a step ``*/n`` / ``a-b/n`` / ``a/n`` (from a to
  the end), and comma lists of those; names are three letters in any case (``mon-fri``);
- ``@hourly``, ``@daily`` (``@midnight``), ``@weekly``, ``@monthly``, ``@yearly`` (``@annually``);
- when the day-of-month and the day-of-week fields are both restricted (neither starts with ``*``)
  a day matches if *either* does: ``0 9 1 * mon`` is the 1st of the month and every Monday.

`CronSpec.matches` is the definition, minute by minute; the triggers built from a spec are held to
it, and to an independent cron implementation, by the tests.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime

#: a valid example, for every message that rejects an expression
EXAMPLE = '"0 7 * * mon-fri" (07:00, Monday to Friday)'

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: Sunday is 0

_ITEM = re.compile(r"^(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>[^/]*))?$")


class CronError(ValueError):
    """An expression that is not a crontab schedule; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] is the value low + i


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTHS),
    _Field("day-of-week", 0, 7, WEEKDAYS),
)


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A parsed crontab schedule: the allowed values of each field, weekdays counted from Sunday=0."""

    text: str  # as written
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday ... 6 = Saturday (a written 7 is stored as 0)
    day_star: bool  # the day-of-month field starts with "*"
    weekday_star: bool  # the day-of-week field starts with "*"

    @property
    def days_either(self) -> bool:
        """cron's rule: both day fields restricted -> a day matches if either field does."""
        return not (self.day_star or self.weekday_star)

    @property
    def fixed_time(self) -> bool:
        """Neither minute nor hour starts with ``*``: a job at set times of day. cron runs such a
        job once per wall-clock time across a clock change: a time the spring change skips runs
        right after the change, a time the autumn change repeats runs the first time only."""
        fields = self.expanded.split()
        return not (fields[0].startswith("*") or fields[1].startswith("*"))

    @property
    def expanded(self) -> str:
        """The five fields, a macro replaced by what it stands for."""
        return MACROS.get(self.text.strip().lower(), self.text.strip())

    def matches(self, local: datetime) -> bool:
        """Does the schedule fire at this local wall-clock minute? The slow reference."""
        weekday = (local.weekday() + 1) % 7  # Python's Monday=0 -> cron's Sunday=0
        in_day, in_weekday = local.day in self.days, weekday in self.weekdays
        day_ok = (in_day or in_weekday) if self.days_either else (in_day and in_weekday)
        return (
            local.minute in self.minutes
            and local.hour in self.hours
            and local.month in self.months
            and day_ok
        )


def parse_cron(text: str) -> CronSpec:
    """Parse a crontab schedule. Raises `CronError` naming the field at fault."""
    expr = text.strip()
    if expr.startswith("@"):
        if expr.lower() not in MACROS:
            known = ", ".join(MACROS)
            raise CronError(f"unknown macro {expr!r} (one of {known})")
        expr = MACROS[expr.lower()]
    parts = expr.split()
    if len(parts) != 5:
        raise CronError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
        )
    values = [_parse_field(part, field) for part, field in zip(parts, _FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = values
    spec = CronSpec(
        text=text,
        minutes=frozenset(minutes),
        hours=frozenset(hours),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(d % 7 for d in weekdays),
        day_star=parts[2].startswith("*"),
        weekday_star=parts[4].startswith("*"),
    )
    if not spec.days_either and not _some_day_exists(spec.days, spec.months):
        raise CronError("day-of-month: no month in the schedule has that day, so it never fires")
    return spec


def _some_day_exists(days: frozenset[int], months: frozenset[int]) -> bool:
    # 2024 is a leap year: 29 February exists every fourth year, so it does fire
    return any(d <= calendar.monthrange(2024, m)[1] for m in months for d in days)


def _parse_field(text: str, field: _Field) -> set[int]:
    out: set[int] = set()
    for item in text.lower().split(","):
        m = _ITEM.match(item)
        if not m:
            raise CronError(f"{field.name}: cannot read {item!r}")
        low, high = _range(m.group("range"), field, stepped=m.group("step") is not None)
        step = _step(m.group("step"), field) if m.group("step") is not None else 1
        out.update(range(low, high + 1, step))
    return out


def _range(text: str, field: _Field, *, stepped: bool) -> tuple[int, int]:
    if text == "*":
        # the day-of-week "*" is 0-6: 7 would only repeat Sunday, and break */2 (Sun, Tue...)
        return field.low, min(field.high, 6) if field.names is WEEKDAYS else field.high
    if "-" not in text:
        value = _value(text, field)
        # "a/n" runs from a to the end of the field, as in Debian cron and most others
        return (value, field.high) if stepped else (value, value)
    first, last = text.split("-")
    low, high = _value(first, field), _value(last, field)
    if field.names is WEEKDAYS and last == "sun" and low > 0:
        high = 7  # sat-sun, fri-sun: the Sunday at the end of the week
    if low > high:
        raise CronError(
            f"{field.name}: range {text!r} runs backwards (write the lower value first)"
        )
    return low, high


def _value(text: str, field: _Field) -> int:
    if text in field.names:
        return field.low + field.names.index(text)
    if not text.isdigit():
        hint = f" (numbers, or names such as {field.names[0]})" if field.names else ""
        raise CronError(f"{field.name}: {text!r} is not a value{hint}")
    value = int(text)
    if not field.low <= value <= field.high:
        raise CronError(f"{field.name}: {value} is out of range {field.low}-{field.high}")
    return value


def _step(text: str, field: _Field) -> int:
    if not text.isdigit() or int(text) == 0:
        raise CronError(f"{field.name}: step {text!r} must be a whole number of at least 1")
    return int(text)
