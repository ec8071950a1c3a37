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
from bot.i18n import N_, Translator
from bot.models import Coverage, Digest, DigestEntry, FeedbackLinks, FeedHealth

TITLE_CHARS = 300  # display cap for a pathological title; the link still leads to the article
ERROR_CHARS = 140
DEFAULT_TITLE = N_("Vietnam–Japan")  # a destination's `title` when it sets none
UNTITLED = N_("(untitled)")


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
    published: str  # "23 Nov 08:15" in the reader's language, local; "" when unknown
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
    count: str  # " (3)" after the heading; Japanese "（3）"


@dataclass(frozen=True, slots=True)
class HealthView:
    name: str
    url: str
    status: str
    failing: bool
    line: str  # "River Post: failed 6×"; Japanese "River Post：6回連続で失敗"


@dataclass(frozen=True, slots=True)
class DigestView:
    key: str  # for metadata only (headers, JSON): never shown in the visible text
    locale: str  # the reader's language (bot.i18n), e.g. the HTML document's lang
    title: str
    headline: str  # "Vietnam–Japan: 5 stories · 7 articles", "… (part 2 of 3)"
    counts: str  # "5 stories · 7 articles", or "7 new articles" when every story is one article
    count: int  # articles (stories plus the duplicates folded into them)
    stories: int
    outlets: int
    period: str
    timezone: str  # the IANA name, for receivers (JSON)
    times: str  # "All times are Vietnam Time (GMT+7)." for readers (bot.i18n.Translator.zone)
    date: str  # "23 Nov 2026", local date of the period end
    dated: str  # "Vietnam–Japan: 3 new articles — 23 Nov 2026": the subject, without a part label
    groups: tuple[GroupView, ...]
    rules_fired: tuple[tuple[str, int], ...]  # (what readers see: the rule's title, else name; n)
    topics: str  # the footer's list of them: "ODA and aid (2), Investment (1)"; Japanese "ODA・援助（2）、…"
    health: tuple[HealthView, ...]
    summary: str  # one line under the headline: period, how many outlets, how complete
    health_counts: str  # "2 failing, 1 quiet" (a zero count is left out)
    part_label: str = ""  # "part 2 of 3", or "" for a digest sent whole
    part: int = 1
    parts: int = 1
    missed_url: str | None = None  # "Missed an article?" (bot.feedback.links)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def failing(self) -> int:
        return sum(1 for h in self.health if h.failing)


def is_web_link(url: str | None) -> bool:
    """Only http(s) links are rendered as links: no javascript:, data: or mailto: from a feed."""
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def web_link(url: str | None) -> str | None:
    """A feed's link as readers and receivers may follow it: http(s) only, else None."""
    return url.strip() if url and is_web_link(url) else None


def count_label(tr: Translator, n: int) -> str:
    return tr.n_("%(num)s new article", "%(num)s new articles", n)


def counts_label(tr: Translator, stories: int, articles: int) -> str:
    """ "12 stories · 31 articles"; "3 new articles" when no story folds several articles."""
    if stories == articles:
        return count_label(tr, articles)
    return tr._(
        "%(stories)s · %(articles)s",
        stories=tr.n_("%(num)s story", "%(num)s stories", stories),
        articles=tr.n_("%(num)s article", "%(num)s articles", articles),
    )


def part_label(tr: Translator, part: int, parts: int) -> str:
    """ "part 2 of 3", or "" for a digest sent whole."""
    if parts <= 1:
        return ""
    return tr._("part %(part)s of %(parts)s", part=tr.number(part), parts=tr.number(parts))


def part_suffix(tr: Translator, part: int, parts: int) -> str:
    label = part_label(tr, part, parts)
    return tr._(" (%(part)s)", part=label) if label else ""


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.astimezone(tz) if dt.tzinfo else dt.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)


def period_label(
    tr: Translator,
    start: datetime | None,
    end: datetime,
    tz: ZoneInfo,
    *,
    since: datetime | None = None,
) -> str:
    e = local(end, tz)
    if start is None:
        # a first digest: from its oldest article's arrival (the destination has no history yet)
        if since is None:
            return tr._("until %(time)s", time=tr.date_time(e))
        return tr._("since %(time)s", time=tr.date_time(local(since, tz)))
    s = local(start, tz)
    if s.date() == e.date():
        return tr._(
            "%(date)s, %(start)s–%(end)s", date=tr.date(e), start=tr.time(s), end=tr.time(e)
        )
    return tr._("%(start)s – %(end)s", start=tr.date_time(s), end=tr.date_time(e))


def published_label(tr: Translator, dt: datetime | None, tz: ZoneInfo, end: datetime) -> str:
    if dt is None:
        return ""
    p = local(dt, tz)
    if p.year != local(end, tz).year:
        return tr.date_time(p)
    return tr.day_month_time(p)


def health_status(tr: Translator, h: FeedHealth, tz: ZoneInfo, end: datetime) -> str:
    error = clip(clean_line(h.last_error or ""), ERROR_CHARS)
    if h.disabled:
        return tr._("disabled: %(error)s", error=error) if error else tr._("disabled")
    if h.consecutive_failures:
        n = h.consecutive_failures
        if error:
            return tr.n_("failed %(num)s×: %(error)s", "failed %(num)s×: %(error)s", n, error=error)
        return tr.n_("failed %(num)s×", "failed %(num)s×", n)
    if h.last_success is None:
        return tr._("never fetched successfully")
    return tr._("no new fetch since %(time)s", time=published_label(tr, h.last_success, tz, end))


def health_view(tr: Translator, h: FeedHealth, tz: ZoneInfo, end: datetime) -> HealthView:
    name = clean_line(h.name) or clean_line(h.url)
    status = health_status(tr, h, tz, end)
    return HealthView(
        name=name,
        url=h.url,
        status=status,
        failing=h.is_failing,
        line=tr._("%(name)s: %(status)s", name=name, status=status),
    )


def health_counts(tr: Translator, failing: int, quiet: int) -> str:
    """ "2 failing, 1 quiet" (a zero count is left out)."""
    parts = [
        tr._("%(num)s failing", num=tr.number(failing)) if failing else "",
        tr._("%(num)s quiet", num=tr.number(quiet)) if quiet else "",
    ]
    return tr.join(p for p in parts if p)


def summary_line(tr: Translator, period: str, articles: int, outlets: int, failing: int) -> str:
    """One line under the headline: period, how many outlets, how complete."""
    parts = [period]
    if articles:
        parts.append(tr.n_("%(num)s outlet", "%(num)s outlets", outlets))
    if failing:
        parts.append(tr.n_("%(num)s feed failing", "%(num)s feeds failing", failing))
    return tr.pgettext("summary separator", " · ").join(parts)


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


def entry_view(
    tr: Translator, e: DigestEntry, number: int, tz: ZoneInfo, end: datetime
) -> EntryView:
    return EntryView(
        item_ids=(e.item_id, *e.merged_item_ids),
        number=number,
        title=clip(e.title, TITLE_CHARS) or tr._(UNTITLED),
        link=web_link(e.link),
        outlet=e.outlet,
        lang=e.lang or "",
        published=published_label(tr, e.published, tz, end),
        snippet=tuple(segments(e.snippet, e.highlights)),
        also_covered_by=coverage_views(e.also_covered_by, e.link),
        more_from_outlet=coverage_views(e.more_from_outlet, e.link),
        rules=e.rules,
        score=e.score,
        feedback=e.feedback,
    )


def digest_title(tr: Translator, digest: Digest) -> str:
    """The destination's `title`, else "Vietnam–Japan" in the reader's language."""
    return digest.title or tr._(DEFAULT_TITLE)


def digest_view(digest: Digest, tr: Translator) -> DigestView:
    tz = ZoneInfo(digest.timezone)
    end = digest.period_end
    number = 0
    groups: list[GroupView] = []
    for g in digest.groups:
        views = []
        for e in g.entries:
            number += 1
            views.append(entry_view(tr, e, number, tz, end))
        groups.append(
            GroupView(
                name=clean_line(g.name),
                entries=tuple(views),
                heading=clean_line(g.heading),
                count=tr.counted("", len(views)),
            )
        )
    entries = digest.entries
    fired = Counter(r for e in entries for r in e.rules)
    named = dict(digest.rule_titles)
    outlets = {e.outlet for e in entries} | {c.outlet for e in entries for c in e.also}
    counts = counts_label(tr, len(entries), digest.articles)
    title = digest_title(tr, digest)
    period = period_label(tr, digest.period_start, end, tz, since=digest.since)
    health = tuple(health_view(tr, h, tz, end) for h in digest.source_health)
    failing = sum(1 for h in health if h.failing)
    rules_fired = tuple((named.get(r) or r, fired.get(r, 0)) for r in digest.rules_fired)
    return DigestView(
        key=digest.key,
        locale=tr.locale,
        title=title,
        headline=tr._("%(title)s: %(counts)s", title=title, counts=counts)
        + part_suffix(tr, digest.part, digest.parts),
        counts=counts,
        count=digest.articles,
        stories=len(entries),
        outlets=len(outlets),
        period=period,
        timezone=digest.timezone,
        times=tr._("All times are %(zone)s.", zone=tr.zone(digest.timezone, end)),
        date=tr.date(local(end, tz)),
        dated=dated_headline(tr, title, counts, tr.date(local(end, tz))),
        groups=tuple(groups),
        rules_fired=rules_fired,
        topics=tr.join(tr.counted(name, n) for name, n in rules_fired),
        health=health,
        summary=summary_line(tr, period, digest.articles, len(outlets), failing),
        health_counts=health_counts(tr, failing, len(health) - failing),
        part_label=part_label(tr, digest.part, digest.parts),
        part=digest.part,
        parts=digest.parts,
        missed_url=digest.missed_url,
    )


def subject_line(digest: Digest, tr: Translator, *, prefix: str = "") -> str:
    """'Vietnam–Japan: 5 stories · 7 articles — 23 Nov 2026 (part 1 of 2)', safe for a mail header
    (one line, no controls)."""
    view_date = tr.date(local(digest.period_end, ZoneInfo(digest.timezone)))
    counts = counts_label(tr, len(digest.entries), digest.articles)
    subject = dated_headline(tr, digest_title(tr, digest), counts, view_date)
    return clean_line(prefix + subject + part_suffix(tr, digest.part, digest.parts))


def dated_headline(tr: Translator, title: str, counts: str, date: str) -> str:
    return tr._("%(title)s: %(counts)s — %(date)s", title=title, counts=counts, date=date)
