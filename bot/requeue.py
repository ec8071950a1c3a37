"""`newsbot rules backtest --deliver`: after a rule fix, queue what the broken rules let through.

While the rules were broken (an empty folder, a bad edit that matched nothing) every item polled was
stored as seen and unmatched: it will never come again from its feed. Replaying the stored items
through the fixed rules finds them; this queues each one nobody was ever sent for the destinations
that want it, so the next digest carries it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import DestinationConfig
from bot.pipeline import route
from bot.rules.backtest import Backtest, BacktestRow
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Requeued:
    items: int  # items queued for at least one destination
    deliveries: int  # (item, destination) pairs queued
    too_old: int  # matched and never delivered, but older than the maximum age


def queue_backtest(
    store: Store,
    result: Backtest,
    *,
    destinations: Sequence[DestinationConfig],
    now: datetime,
    max_age: Callable[[str], float | None],
) -> Requeued:
    """Queue every replayed item that the current rules match and that was never queued anywhere.

    `max_age(feed_url)` (seconds): an item published (else fetched) longer ago than its feed's
    maximum age is stale news and left alone; None: any age.
    """
    items = deliveries = too_old = 0
    for row in result.rows:
        if not row.matches or row.delivered:
            continue
        if _too_old(row, now=now, max_age=max_age(row.feed_url)):
            too_old += 1
            continue
        wanted = route(row.matches, destinations)
        if not wanted:
            continue
        added = store.queue_matched(row.item_id, row.matches, wanted, now=now)
        items += added > 0
        deliveries += added
    return Requeued(items=items, deliveries=deliveries, too_old=too_old)


def _too_old(row: BacktestRow, *, now: datetime, max_age: float | None) -> bool:
    return (
        max_age is not None
        and row.seen_at is not None
        and row.seen_at < now - timedelta(seconds=max_age)
    )
