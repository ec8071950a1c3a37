"""The age policy: which newly seen items are news, and which are a feed's backlog.

A feed hands over everything it holds, often months of it, and a new installation (or a feed added
later) would deliver all of it at once. An item first seen when it is already older than the feed's
`max_age` is stored and matched (backtests and `rules explain` see it) but delivered nowhere; an
urgent rule sends at once only items younger than `urgent_max_age`, older matches wait for the
digest. Nothing is silent: the pipeline logs and counts what it held back (`newsbot status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_MAX_AGE = 3 * 86400.0
DEFAULT_URGENT_MAX_AGE = 86400.0

#: why an item was held back, as logged and shown
MAX_AGE = "max_age"


@dataclass(frozen=True, slots=True)
class AgePolicy:
    """A feed's limits in seconds; None switches a limit off."""

    max_age: float | None = DEFAULT_MAX_AGE
    urgent_max_age: float | None = DEFAULT_URGENT_MAX_AGE


@dataclass(frozen=True, slots=True)
class Verdict:
    published: datetime | None  # as stored: a date in the future is clamped to now
    held_back: bool  # stored and matched, delivered nowhere
    may_be_urgent: bool  # young enough to be sent at once by an urgent rule


def judge(
    published: datetime | None, *, now: datetime, first_poll: bool, policy: AgePolicy
) -> Verdict:
    """The policy for one item newsbot has not seen before, first seen at `now`.

    An undated item is backlog on its feed's first successful poll (it has been sitting there
    for who knows how long); later, a new undated item is taken as published when first seen.
    """
    clamped = clamp(published, now=now)
    age = _age(clamped, now=now, first_poll=first_poll)
    return Verdict(
        published=clamped,
        held_back=is_too_old(age, policy.max_age),
        may_be_urgent=age is not None and not is_too_old(age, policy.urgent_max_age),
    )


def _age(published: datetime | None, *, now: datetime, first_poll: bool) -> float | None:
    """Seconds since publication; None when unknown (undated, on the feed's first poll)."""
    if published is not None:
        return (now - published).total_seconds()
    return None if first_poll else 0.0


def clamp(published: datetime | None, *, now: datetime) -> datetime | None:
    """A server with a wrong clock dates items in the future: they would sort above everything,
    for as long as the clock is wrong. Take them as published now."""
    return now if published is not None and published > now else published


def is_too_old(age: float | None, limit: float | None) -> bool:
    """Past the limit; an unknown age counts as too old whenever there is a limit."""
    if limit is None:
        return False
    return age is None or age > limit


def describe(seconds: float | None) -> str:
    """A limit as the config writes it: "3d", "24h", "90m", "off"."""
    if seconds is None:
        return "off"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
