"""The display view of a `Digest`: every string a renderer shows, formatted once, in the destination's
timezone. Renderers (text/HTML templates, Slack blocks, JSON) only escape and lay out these strings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.digest.text import clean_line, clip, segments
from bot.models import Digest, DigestEntry, FeedHealth

TITLE_CHARS = 300  # display cap for a pathological title; the link still leads to the article
ERROR_CHARS = 140


@dataclass(frozen=True, slots=True)
class EntryView:
    number: int
    title: str
    link: str | None  # http(s) only, else None
    outlet: str
    lang: str
    published: str  # "23 Nov 08:15", local; "" when unknown
    snippet: tuple[tuple[str, bool], ...]  # (text, highlighted) runs
    also_covered_by: tuple[str, ...]
    rules: tuple[str, ...]
    score: float

    @property
    def meta(self) -> str:
        return " · ".join(p for p in (self.outlet, self.lang, self.published) if p)


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    entries: tuple[EntryView, ...]
    heading: str  # what readers see: the rule's title, else its name


@dataclass(frozen=True, slots=True)
class HealthView:
    name: str
    url: str
    status: str
    failing: bool


@dataclass(frozen=True, slots=True)
class DigestView:
    key: str
    title: str
    headline: str  # "Vietnam–Japan: 7 new articles"
    count: int
    outlets: int
    period: str
    timezone: str
    date: str  # "23 Nov 2026", local date of the period end
    groups: tuple[GroupView, ...]
    rules_fired: tuple[tuple[str, int], ...]
    health: tuple[HealthView, ...]

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def failing(self) -> int:
        return sum(1 for h in self.health if h.failing)

    @property
    def health_counts(self) -> str:
        """ "2 failing, 1 quiet" (a zero count is left out)."""
        quiet = len(self.health) - self.failing
        parts = [
            f"{self.failing} failing" if self.failing else "",
            f"{quiet} quiet" if quiet else "",
        ]
        return ", ".join(p for p in parts if p)

    @property
    def summary(self) -> str:
        """One line under the headline: period, how many outlets, how complete."""
        parts = [self.period]
        if self.count:
            parts.append(f"{self.outlets} outlet{'s' if self.outlets != 1 else ''}")
        if self.failing:
            parts.append(f"{self.failing} feed{'s' if self.failing != 1 else ''} failing")
        return " · ".join(parts)


def is_web_link(url: str | None) -> bool:
    """Only http(s) links are rendered as links: no javascript:, data: or mailto: from a feed."""
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def count_label(n: int) -> str:
    return f"{n} new article{'s' if n != 1 else ''}"


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.astimezone(tz) if dt.tzinfo else dt.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)


def day_label(dt: datetime) -> str:
    return f"{dt.day} {dt:%b %Y}"


def period_label(start: datetime | None, end: datetime, tz: ZoneInfo) -> str:
    e = local(end, tz)
    if start is None:
        return f"until {day_label(e)} {e:%H:%M}"
    s = local(start, tz)
    if s.date() == e.date():
        return f"{day_label(e)}, {s:%H:%M}–{e:%H:%M}"
    return f"{day_label(s)} {s:%H:%M} – {day_label(e)} {e:%H:%M}"


def published_label(dt: datetime | None, tz: ZoneInfo, end: datetime) -> str:
    if dt is None:
        return ""
    p = local(dt, tz)
    if p.year != local(end, tz).year:
        return f"{day_label(p)} {p:%H:%M}"
    return f"{p.day} {p:%b %H:%M}"


def health_status(h: FeedHealth, tz: ZoneInfo, end: datetime) -> str:
    error = clip(clean_line(h.last_error or ""), ERROR_CHARS)
    if h.disabled:
        return f"disabled: {error}" if error else "disabled"
    if h.consecutive_failures:
        times = f"failed {h.consecutive_failures}×"
        return f"{times}: {error}" if error else times
    if h.last_success is None:
        return "never fetched successfully"
    return f"no new fetch since {published_label(h.last_success, tz, end)}"


def entry_view(e: DigestEntry, number: int, tz: ZoneInfo, end: datetime) -> EntryView:
    return EntryView(
        number=number,
        title=clip(e.title, TITLE_CHARS),
        link=e.link.strip() if e.link and is_web_link(e.link) else None,
        outlet=e.outlet,
        lang=e.lang or "",
        published=published_label(e.published, tz, end),
        snippet=tuple(segments(e.snippet, e.highlights)),
        also_covered_by=e.also_covered_by,
        rules=e.rules,
        score=e.score,
    )


def digest_view(digest: Digest) -> DigestView:
    tz = ZoneInfo(digest.timezone)
    end = digest.period_end
    number = 0
    groups: list[GroupView] = []
    for g in digest.groups:
        views = []
        for e in g.entries:
            number += 1
            views.append(entry_view(e, number, tz, end))
        groups.append(
            GroupView(name=clean_line(g.name), entries=tuple(views), heading=clean_line(g.heading))
        )
    entries = digest.entries
    fired = Counter(r for e in entries for r in e.rules)
    outlets = {e.outlet for e in entries} | {o for e in entries for o in e.also_covered_by}
    return DigestView(
        key=digest.key,
        title=digest.title,
        headline=f"{digest.title}: {count_label(len(entries))}",
        count=len(entries),
        outlets=len(outlets),
        period=period_label(digest.period_start, end, tz),
        timezone=digest.timezone,
        date=day_label(local(end, tz)),
        groups=tuple(groups),
        rules_fired=tuple((r, fired.get(r, 0)) for r in digest.rules_fired),
        health=tuple(
            HealthView(
                name=clean_line(h.name) or clean_line(h.url),
                url=h.url,
                status=health_status(h, tz, end),
                failing=h.is_failing,
            )
            for h in digest.source_health
        ),
    )


def subject_line(digest: Digest, *, prefix: str = "") -> str:
    """'Vietnam–Japan: 7 new articles — 23 Nov 2026', safe for a mail header (one line, no controls)."""
    view_date = day_label(local(digest.period_end, ZoneInfo(digest.timezone)))
    n = len(digest.entries)
    return clean_line(f"{prefix}{digest.title}: {count_label(n)} — {view_date}")
