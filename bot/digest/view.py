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
from bot.models import Coverage, Digest, DigestEntry, FeedbackLinks, FeedHealth

TITLE_CHARS = 300  # display cap for a pathological title; the link still leads to the article
ERROR_CHARS = 140


@dataclass(frozen=True, slots=True)
class CoverageView:
    item_id: int
    outlet: str
    title: str
    link: str | None  # http(s) only, else None


@dataclass(frozen=True, slots=True)
class EntryView:
    item_ids: tuple[int, ...]  # the entry's article first, then every article folded into it
    number: int
    title: str
    link: str | None  # http(s) only, else None
    outlet: str
    lang: str
    published: str  # "23 Nov 08:15", local; "" when unknown
    snippet: tuple[tuple[str, bool], ...]  # (text, highlighted) runs
    also_covered_by: tuple[CoverageView, ...]  # the same story from other outlets
    more_from_outlet: tuple[CoverageView, ...]  # this outlet's own near-duplicates (updates)
    rules: tuple[str, ...]
    score: float
    feedback: FeedbackLinks | None = None  # "Relevant" / "Not relevant" links (bot.feedback.links)

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
    key: str  # for metadata only (headers, JSON): never shown in the visible text
    title: str
    headline: str  # "Vietnam–Japan: 5 stories · 7 articles", "… (part 2 of 3)"
    counts: str  # "5 stories · 7 articles", or "7 new articles" when every story is one article
    count: int  # articles (stories plus the duplicates folded into them)
    stories: int
    outlets: int
    period: str
    timezone: str
    date: str  # "23 Nov 2026", local date of the period end
    groups: tuple[GroupView, ...]
    rules_fired: tuple[tuple[str, int], ...]  # (what readers see: the rule's title, else name; n)
    health: tuple[HealthView, ...]
    part: int = 1
    parts: int = 1
    missed_url: str | None = None  # "Missed an article?" (bot.feedback.links)

    @property
    def part_label(self) -> str:
        """ "part 2 of 3", or "" for a digest sent whole."""
        return f"part {self.part} of {self.parts}" if self.parts > 1 else ""

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


def web_link(url: str | None) -> str | None:
    """A feed's link as readers and receivers may follow it: http(s) only, else None."""
    return url.strip() if url and is_web_link(url) else None


def count_label(n: int) -> str:
    return f"{n} new article{'s' if n != 1 else ''}"


def counts_label(stories: int, articles: int) -> str:
    """ "12 stories · 31 articles"; "3 new articles" when no story folds several articles."""
    if stories == articles:
        return count_label(articles)
    return f"{stories} stor{'ies' if stories != 1 else 'y'} · {articles} articles"


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.astimezone(tz) if dt.tzinfo else dt.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)


def day_label(dt: datetime) -> str:
    return f"{dt.day} {dt:%b %Y}"


def period_label(
    start: datetime | None, end: datetime, tz: ZoneInfo, *, since: datetime | None = None
) -> str:
    e = local(end, tz)
    if start is None:
        # a first digest: from its oldest article's arrival (the destination has no history yet)
        if since is None:
            return f"until {day_label(e)} {e:%H:%M}"
        s = local(since, tz)
        return f"since {day_label(s)} {s:%H:%M}"
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


def coverage_views(coverage: tuple[Coverage, ...], link: str | None) -> tuple[CoverageView, ...]:
    """What readers see of folded articles; one with the entry's own link is that same page."""
    return tuple(
        CoverageView(
            item_id=c.item_id,
            outlet=c.outlet,
            title=clip(c.title, TITLE_CHARS),
            link=web_link(c.link),
        )
        for c in coverage
        if not (c.link and c.link == link)
    )


def entry_view(e: DigestEntry, number: int, tz: ZoneInfo, end: datetime) -> EntryView:
    return EntryView(
        item_ids=(e.item_id, *e.merged_item_ids),
        number=number,
        title=clip(e.title, TITLE_CHARS),
        link=web_link(e.link),
        outlet=e.outlet,
        lang=e.lang or "",
        published=published_label(e.published, tz, end),
        snippet=tuple(segments(e.snippet, e.highlights)),
        also_covered_by=coverage_views(e.also_covered_by, e.link),
        more_from_outlet=coverage_views(e.more_from_outlet, e.link),
        rules=e.rules,
        score=e.score,
        feedback=e.feedback,
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
    named = dict(digest.rule_titles)
    outlets = {e.outlet for e in entries} | {c.outlet for e in entries for c in e.also}
    counts = counts_label(len(entries), digest.articles)
    part = part_suffix(digest)
    return DigestView(
        key=digest.key,
        title=digest.title,
        headline=f"{digest.title}: {counts}{part}",
        counts=counts,
        count=digest.articles,
        stories=len(entries),
        outlets=len(outlets),
        period=period_label(digest.period_start, end, tz, since=digest.since),
        timezone=digest.timezone,
        date=day_label(local(end, tz)),
        groups=tuple(groups),
        rules_fired=tuple((named.get(r) or r, fired.get(r, 0)) for r in digest.rules_fired),
        part=digest.part,
        parts=digest.parts,
        missed_url=digest.missed_url,
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


def part_suffix(digest: Digest) -> str:
    return f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""


def subject_line(digest: Digest, *, prefix: str = "") -> str:
    """'Vietnam–Japan: 5 stories · 7 articles — 23 Nov 2026 (part 1 of 2)', safe for a mail header
    (one line, no controls)."""
    view_date = day_label(local(digest.period_end, ZoneInfo(digest.timezone)))
    counts = counts_label(len(digest.entries), digest.articles)
    return clean_line(f"{prefix}{digest.title}: {counts} — {view_date}{part_suffix(digest)}")
