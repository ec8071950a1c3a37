"""One poll cycle: fetch -> parse -> store -> match, for a set of feeds.

Parsing and matching go through one `bot.analysis.Analyzer`: inline, or the cycle's worker pool
(`bot.workers`) when one was started; the code below does not ask which.

Each feed is its own failure boundary (`poll_feed`): whatever goes wrong with one feed is recorded
against it and retried next cycle; the others carry on. Delivery lives in `bot.deliver`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.age import DEFAULT_URGENT_MAX_AGE, MAX_AGE, AgePolicy, describe, judge
from bot.analysis import INLINE, Analysed, Analyzer
from bot.config import DestinationConfig, FeedConfig
from bot.errors import FeedGone, FetchError, RateLimited
from bot.fetch import Fetcher
from bot.log import get_logger, kv
from bot.models import Clock, Item, RuleMatch
from bot.parse.feed import outlet_name
from bot.store import FeedState, FetchSuccess, NewItem, Store
from bot.workers import WorkerPool, worker_pool_for

if TYPE_CHECKING:
    from bot.rules import RuleSet

log = get_logger("pipeline")

#: below this many characters of feed text, a feed with fetch_full_text fetches the article page
SHORT_TEXT = 400


class FeedStatus(StrEnum):
    """What one poll did with a feed (logged as its value)."""

    OK = "ok"  # fetched and parsed
    NOT_MODIFIED = "not_modified"  # 304: nothing new
    FAILED = "failed"  # fetch or parse failed: recorded against the feed, retried with backoff
    SKIPPED = "skipped"  # disabled


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    url: str
    name: str
    status: FeedStatus
    items: int = 0  # entries in the feed document
    new: int = 0  # newly stored
    matched: int = 0  # newly stored and matched by at least one rule
    held_back: int = 0  # newly stored, too old to deliver (`bot.age`)
    error: str | None = None
    consecutive_failures: int = 0
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class PollReport:
    outcomes: tuple[FeedOutcome, ...]
    elapsed: float

    @property
    def failed(self) -> tuple[FeedOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == FeedStatus.FAILED)

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def matched(self) -> int:
        return sum(o.matched for o in self.outcomes)

    @property
    def items(self) -> int:
        return sum(o.items for o in self.outcomes)

    @property
    def held_back(self) -> int:
        return sum(o.held_back for o in self.outcomes)


def sync_feeds(store: Store, feeds: Sequence[FeedConfig]) -> None:
    """The configured feeds into the store: a feed without `name` is shown by its own title."""
    store.sync_feeds(
        [(f.url, f.name) for f in feeds], from_title={f.url for f in feeds if not f.named}
    )


def workers_for(
    feeds: Sequence[FeedConfig], *, store: Store, ruleset: RuleSet
) -> AbstractContextManager[WorkerPool | None]:
    """The worker processes of one cycle (`newsbot once`), started at once only if some feed will
    certainly send a body: a cycle of conditional GETs answered 304 then starts none."""
    urls = [f.url for f in feeds if f.enabled]
    # the one reason the store counts feeds without a validator: a pool's start-up (~0.3 s) is
    # worth paying before the first fetch returns only when a body is sure to come
    prestart = store.unconditional(urls) > 0
    return worker_pool_for(len(urls), ruleset=ruleset, prestart=prestart, fork=True)


async def poll_feeds(
    feeds: Sequence[FeedConfig],
    *,
    store: Store,
    fetcher: Fetcher,
    ruleset: RuleSet,
    destinations: Sequence[DestinationConfig],
    clock: Clock,
    on_done: Callable[[FeedOutcome], None] | None = None,
    analyzer: Analyzer | None = None,
    urgent_max_age: float | None = DEFAULT_URGENT_MAX_AGE,
) -> PollReport:
    """Poll `feeds` concurrently (the fetcher enforces global and per-host limits).

    `analyzer`: the analyzer of this cycle, a `bot.workers.WorkerPool` (parses and matches in other
    processes: feedparser and the rules engine are pure Python, so on the event loop they would
    cap a large cycle at one core), or None to work inline.
    """
    start = time.monotonic()
    sync_feeds(store, feeds)
    states = {s.url: s for s in store.feeds()}  # one query, not one per feed

    async def one(feed: FeedConfig) -> FeedOutcome:
        outcome = await poll_feed(
            feed,
            state=states.get(feed.url),
            store=store,
            fetcher=fetcher,
            ruleset=ruleset,
            destinations=destinations,
            clock=clock,
            analyzer=analyzer,
            urgent_max_age=urgent_max_age,
        )
        if on_done is not None:
            on_done(outcome)
        return outcome

    outcomes = await asyncio.gather(*(one(f) for f in feeds if f.enabled))
    return PollReport(outcomes=tuple(outcomes), elapsed=time.monotonic() - start)


async def poll_feed(
    feed: FeedConfig,
    *,
    store: Store,
    fetcher: Fetcher,
    ruleset: RuleSet,
    destinations: Sequence[DestinationConfig],
    clock: Clock,
    analyzer: Analyzer | None = None,
    state: FeedState | None = None,
    urgent_max_age: float | None = DEFAULT_URGENT_MAX_AGE,
) -> FeedOutcome:
    """Fetch, parse, store and match one feed. Never raises for a feed problem: it is recorded.
    `state`: the feed's stored state when the caller read it already; `analyzer`: the cycle's
    analyzer (`bot.analysis`), a worker pool or None to work inline."""
    analyzer = INLINE if analyzer is None else analyzer
    state = state or store.feed(feed.url)
    if not feed.named:  # logs, notices and the outcome name the feed as digests do
        feed = dataclasses.replace(feed, name=state.name)
    policy = AgePolicy(max_age=feed.max_age, urgent_max_age=urgent_max_age)
    if state.disabled:
        return FeedOutcome(feed.url, feed.name, FeedStatus.SKIPPED, error=state.disabled_reason)
    try:
        result = await fetcher.fetch(
            state.fetch_url, etag=state.etag, last_modified=state.last_modified
        )
        fetch_url = result.permanent_redirect
        if fetch_url:
            log.info(kv("feed_moved", feed=feed.name, to=fetch_url))
        if result.not_modified:
            store.record_fetch_success(
                feed.url,
                now=clock(),
                etag=result.etag or state.etag,
                last_modified=result.last_modified or state.last_modified,
                fetch_url=fetch_url,
            )
            return FeedOutcome(feed.url, feed.name, FeedStatus.NOT_MODIFIED)
        body, headers = result.body or b"", result.headers
        analysed = await analyzer.analyze(
            body, url=result.final_url, headers=headers, lang=feed.lang, ruleset=ruleset
        )
        parsed = analysed.feed
        title = outlet_name(parsed.title)
        fetched = FetchSuccess(
            etag=result.etag,
            last_modified=result.last_modified,
            title=title,
            fetch_url=fetch_url,
            parse_error=parsed.error,
            name=None if feed.named else title,
        )
        if title and not feed.named:
            feed = dataclasses.replace(feed, name=title)
        stored = await _store_new(
            feed, analysed, fetched, store=store, fetcher=fetcher, ruleset=ruleset,
            destinations=destinations, clock=clock, policy=policy,
            first_poll=state.last_success_at is None,
        )  # fmt: skip
        if parsed.error:
            log.warning(
                kv("feed_malformed", feed=feed.name, error=parsed.error, kept=len(parsed.items))
            )
        return FeedOutcome(
            feed.url, feed.name, FeedStatus.OK, items=len(parsed.items), new=stored.new,
            matched=stored.matched, held_back=stored.held_back, error=parsed.error,
        )  # fmt: skip
    except FetchError as exc:
        return _failed(feed, exc, store=store, clock=clock)
    except sqlite3.Error:
        raise  # the state itself, not this feed: recording a feed failure would fail the same way
    except Exception as exc:  # the per-feed boundary: a bug on one feed must not stop the cycle
        log.exception(kv("feed_crashed", feed=feed.name, error=type(exc).__name__))
        return _failed(feed, exc, store=store, clock=clock)


def _failed(feed: FeedConfig, exc: Exception, *, store: Store, clock: Clock) -> FeedOutcome:
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    gone = isinstance(exc, FeedGone)
    message = str(exc) or type(exc).__name__
    failures = store.record_fetch_failure(
        feed.url, now=clock(), error=message, retry_after=retry_after, disable=gone
    )
    if gone:
        log.error(kv("feed_disabled", feed=feed.name, reason=message))
    else:
        log.warning(kv("feed_failed", feed=feed.name, error=message, failures=failures))
    return FeedOutcome(
        feed.url, feed.name, FeedStatus.FAILED, error=message, consecutive_failures=failures,
        retry_after=retry_after,
    )  # fmt: skip


async def _store_new(
    feed: FeedConfig,
    analysed: Analysed,
    fetched: FetchSuccess,
    *,
    store: Store,
    fetcher: Fetcher,
    ruleset: RuleSet,
    destinations: Sequence[DestinationConfig],
    clock: Clock,
    policy: AgePolicy,
    first_poll: bool,
) -> _Stored:
    """Store the new items of a feed with its fetch state, in one transaction (`Store.record_poll`).

    The age policy (`bot.age`) decides, per new item, whether it is news or backlog: backlog is
    stored and matched but queued for no destination, and said so in one log line per poll."""
    items, links = analysed.feed.items, analysed.links
    fresh = sorted(store.unseen([(it.key, link) for it, link in zip(items, links, strict=True)]))
    batch: list[NewItem] = []
    matched = held_back = held_matched = undated = 0
    now = clock()
    for i in fresh:
        item = items[i]
        verdict = judge(item.published, now=now, first_poll=first_poll, policy=policy)
        if verdict.published != item.published:  # a date in the future, clamped to now
            item = dataclasses.replace(item, published=verdict.published)
        # backlog is matched on the feed's own text: a first poll fetches no page for each old item
        if feed.fetch_full_text and item.link and _is_short(item) and not verdict.held_back:
            item = await _with_full_text(item, fetcher=fetcher, feed=feed)
        rule_matches = analysed.matches_of(i, item, ruleset)
        matched += bool(rule_matches)
        if verdict.held_back:
            held_back += 1
            held_matched += bool(rule_matches)
            undated += item.published is None
            batch.append(NewItem(item, links[i], rule_matches, (), held_back=True))
            continue
        if not rule_matches:  # most items: no destination can want them
            batch.append(NewItem(item, links[i], (), ()))
            continue
        batch.append(
            NewItem(
                item=item,
                canonical_link=links[i],
                matches=rule_matches,
                destinations=route(rule_matches, destinations),
                # an old match waits for the digest: urgent means new
                urgent=urgent_for(rule_matches, destinations) if verdict.may_be_urgent else (),
            )
        )
    stored = store.record_poll(feed.url, batch, fetched, now=clock())
    if held_back:
        log.info(
            kv("feed_held_back", feed=feed.name, held_back=held_back, reason=MAX_AGE,
               max_age=describe(policy.max_age), matched=held_matched, undated=undated or None)
        )  # fmt: skip
    return _Stored(new=len(stored), matched=matched, held_back=held_back)


@dataclass(frozen=True, slots=True)
class _Stored:
    new: int
    matched: int
    held_back: int


def route(
    matches: Sequence[RuleMatch], destinations: Sequence[DestinationConfig]
) -> tuple[str, ...]:
    """The destinations that want an item with these matches (filters: rules, tags, min_score)."""
    return tuple(
        d.name for d in destinations if any(d.wants(m.rule, m.tags, m.score) for m in matches)
    )


def urgent_for(
    matches: Sequence[RuleMatch], destinations: Sequence[DestinationConfig]
) -> tuple[str, ...]:
    """The destinations that get an item at once: a rule marked urgent, or a score over their
    `urgent_score`."""
    return tuple(
        d.name
        for d in destinations
        if any(
            d.wants(m.rule, m.tags, m.score) and d.is_urgent(rule_urgent=m.urgent, score=m.score)
            for m in matches
        )
    )


def _is_short(item: Item) -> bool:
    return len(item.summary) + len(item.content) < SHORT_TEXT


async def _with_full_text(item: Item, *, fetcher: Fetcher, feed: FeedConfig) -> Item:
    from bot.fetch.fulltext import extract_main_text

    assert item.link is not None
    try:
        html = await fetcher.fetch_article(item.link, allow_private_hosts=feed.allow_private_hosts)
    except FetchError as exc:
        # the feed text is still matched; the article page is a bonus
        log.warning(kv("fulltext_failed", feed=feed.name, link=item.link, error=str(exc)))
        return item
    return dataclasses.replace(item, content=extract_main_text(html))
