"""What a feed parser hands to `parse_feed`: the few fields newsbot keeps, before identity and links.

Two parsers produce these: `bot.parse.fast` (lxml, for the well-formed RSS 2.0 / Atom 1.0 that most
sites serve) and feedparser (everything else). Both must yield the same `RawFeed` for the same bytes;
tests/test_parse_fast.py holds them to that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class RawEntry:
    title: str
    link: str | None
    summary: str
    content: str
    id: str | None
    published: datetime | None  # published, else updated
    author: str | None


@dataclass(frozen=True, slots=True)
class RawFeed:
    title: str
    link: str | None
    language: str | None
    entries: tuple[RawEntry, ...]
    error: str | None = None  # the feed was malformed but still yielded entries


def utc_datetime(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times; an impossible one (31 February) is no date."""
    if parsed is None:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
