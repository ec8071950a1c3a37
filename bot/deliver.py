"""Delivery: compose a destination's pending items into a digest via the outbox, send, then mark.

Each destination is its own failure boundary. Items are marked delivered only after the channel
accepted the message (see bot.store.outbox for the at-least-once contract).

`compose_digest` is how a digest is built from its items for sending; `preview` (``newsbot digest
preview``) builds what `deliver` would send next through it, without writing to the store.
Outcomes carry a `DeliveryStatus`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.config import DestinationConfig
from bot.digest import build_digest
from bot.digest.text import Highlighter
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.i18n import LocalText
from bot.log import get_logger, kv
from bot.models import Clock, Digest, FeedHealth, PendingItem
from bot.notify import Notifier
from bot.notify.base import Part
from bot.store import Store
from bot.store.outbox import OutboxEntry

log = get_logger("deliver")


class DeliveryStatus(StrEnum):
    """What one `deliver` did for a destination (logged and printed as its value)."""

    SENT = "sent"  # the channel accepted a digest
    NOTHING = "nothing"  # nothing owed
    RETRY = "retry"  # a transient failure: the digest waits in the outbox
    DEAD = "dead"  # a permanent failure, or max_attempts reached: the digest is given up
    BUSY = "busy"  # another process is sending it


#: first retry after 30 s, doubling, at most an hour apart
BACKOFF_BASE, BACKOFF_CAP = 30.0, 3600.0
QUIET_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    destination: str
    status: DeliveryStatus
    items: int = 0  # articles delivered (dead: those in the parts the channel accepted)
    key: str | None = None
    error: str | None = None
    retried: bool = False  # the message was a due retry of an earlier digest


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt number `attempts + 1`; the server's Retry-After wins."""
    if retry_after is not None:
        return max(retry_after, 1.0)
    return float(min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP))


def adhoc_key(destination: str, now: datetime) -> str:
    """A key for a digest sent outside any schedule (`once`, `digest send`): unique per call.

    Scheduled digests pass a *period* key instead, which is what makes a cron that fires twice
    for one period send once; an ad-hoc send must never be mistaken for an earlier one.
    """
    return f"{destination}:{now.isoformat(timespec='seconds')}:{uuid.uuid4().hex[:8]}"


def source_health(store: Store, *, now: datetime) -> tuple[FeedHealth, ...]:
    """Feeds that are failing, disabled, or have not answered for a day: the digest footer."""
    out = []
    for f in store.feeds():
        quiet = f.last_success_at is not None and now - f.last_success_at > QUIET_AFTER
        if f.consecutive_failures or f.disabled or quiet:
            out.append(f.health())
    return tuple(out)


def compose_digest(
    destination: DestinationConfig,
    *,
    store: Store,
    items: Sequence[PendingItem],
    key: str,
    period_start: datetime | None,
    period_end: datetime,
    now: datetime,
    highlight: Highlighter | None,
    titles: Mapping[str, LocalText] | None,
) -> Digest:
    """The digest of `items` as `deliver` sends it: with the feed-health footer, highlights and
    rule titles. `preview` builds the same from what would be sent next."""
    return build_digest(
        destination=destination,
        items=items,
        key=key,
        period_start=period_start,
        period_end=period_end,
        health=source_health(store, now=now),
        highlight=highlight,
        titles=titles,
    )


def preview(
    destination: DestinationConfig,
    *,
    store: Store,
    now: datetime,
    highlight: Highlighter | None,
    titles: Mapping[str, LocalText] | None,
) -> Digest:
    """What `deliver` (ignoring backoff) would send next, built without writing to the store: a
    due retry first, else the pending items under an ad-hoc key."""
    name = destination.name
    entry = store.due_outbox(name, now=now, ignore_backoff=True)
    if entry is not None:
        items, key, start = store.outbox_items(entry.id), entry.key, entry.period_start
    else:
        [state] = store.destination_states([name])
        items, key, start = store.pending_items(name), adhoc_key(name, now), state.last_sent_at
    return compose_digest(destination, store=store, items=items, key=key, period_start=start,
                          period_end=now, now=now, highlight=highlight, titles=titles)  # fmt: skip


async def deliver(
    destination: DestinationConfig,
    *,
    store: Store,
    notifier: Notifier,
    clock: Clock,
    key: str | None = None,
    highlight: Highlighter | None = None,
    titles: Mapping[str, LocalText] | None = None,
    urgent_only: bool = False,
    ignore_backoff: bool = False,
    lease: float = 300.0,
) -> DeliveryOutcome:
    """Send `destination` what it is owed: a due retry first, else a new digest of pending items."""
    now = clock()
    name = destination.name
    entry = store.due_outbox(name, now=now, ignore_backoff=ignore_backoff)
    retried = entry is not None
    if entry is None:
        entry = store.compose_outbox(
            name,
            key=key or adhoc_key(name, now),
            now=now,
            urgent_only=urgent_only,
            allow_empty=destination.send_empty and not urgent_only,
        )
    if entry is None:
        return DeliveryOutcome(name, DeliveryStatus.NOTHING)
    claimed = store.claim_outbox(entry.id, now=now, lease=lease)
    if claimed is None:  # another process is sending it right now
        return DeliveryOutcome(name, DeliveryStatus.BUSY, key=entry.key)
    count = 0
    try:
        async with _lease_kept(store, claimed.id, clock=clock, lease=lease):
            count = await _send(destination, claimed, store=store, notifier=notifier, now=now,
                                highlight=highlight, titles=titles, clock=clock)  # fmt: skip
    except asyncio.CancelledError:
        # shutting down mid-send: whether the channel got it is unknown, so release the claim and
        # let the next start retry at once under the same key (at-least-once, never lost)
        store.release_claim(claimed.id)
        raise
    except DeliveryError as exc:
        return _failed(destination, claimed.id, claimed.attempts, exc, store=store, clock=clock,
                       key=claimed.key, items=count)  # fmt: skip
    except Exception as exc:  # the per-destination boundary: a bug here must not lose items
        log.exception(kv("delivery_crashed", destination=name, error=type(exc).__name__))
        wrapped = DeliveryError(f"{name}: {type(exc).__name__}: {exc}", destination=name)
        return _failed(destination, claimed.id, claimed.attempts, wrapped, store=store,
                       clock=clock, key=claimed.key, items=count)  # fmt: skip
    store.mark_sent(claimed.id, now=clock())
    log.info(kv("digest_sent", destination=name, key=claimed.key, items=count))
    return DeliveryOutcome(name, DeliveryStatus.SENT, items=count, key=claimed.key, retried=retried)


async def _send(
    destination: DestinationConfig,
    claimed: OutboxEntry,
    *,
    store: Store,
    notifier: Notifier,
    now: datetime,
    clock: Clock,
    highlight: Highlighter | None,
    titles: Mapping[str, LocalText] | None,
) -> int:
    """Send the claimed digest; returns how many articles it delivers. A digest in parts is
    rendered and stored once, then each part not yet accepted is sent, in order."""
    parts = store.outbox_parts(claimed.id)
    if not parts:
        # building a big digest takes seconds: off the event loop, which keeps renewing the lease
        digest = await asyncio.to_thread(
            functools.partial(
                compose_digest,
                destination,
                store=store,
                items=store.outbox_items(claimed.id),
                key=claimed.key,
                period_start=claimed.period_start,
                period_end=claimed.period_end,
                now=now,
                highlight=highlight,
                titles=titles,
            )
        )
        if digest.is_empty and not destination.send_empty:
            return 0
        split = await asyncio.to_thread(notifier.split, digest)
        if split is None:
            await asyncio.to_thread(notifier.send, digest)
            return len(digest.item_ids)
        parts = store.save_parts(claimed.id, [(p.payload, p.items) for p in split])
    for part in parts:
        if part.sent:
            continue  # accepted on an earlier attempt: never sent twice
        await asyncio.to_thread(
            notifier.send_part, claimed.key, Part(part.payload, part.item_ids),
            number=part.number, total=part.total,
        )  # fmt: skip
        store.mark_part_sent(claimed.id, part.number, now=clock())
        if part.total > 1:
            log.info(kv("digest_part_sent", destination=destination.name, key=claimed.key,
                        part=part.number, parts=part.total))  # fmt: skip
    return len({i for p in parts for i in p.item_ids})


@asynccontextmanager
async def _lease_kept(
    store: Store, entry_id: int, *, clock: Clock, lease: float
) -> AsyncIterator[None]:
    """Renew the claim every third of its lease while the send runs, so a long digest (hundreds
    of Slack parts at one a second, 429 waits) is never reclaimed by a second sender mid-send."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            if not store.renew_claim(entry_id, now=clock(), lease=lease):
                return

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


#: at most this many messages per destination in one `deliver_owed` (a backlog of failed digests)
MAX_MESSAGES = 10


async def deliver_owed(
    destination: DestinationConfig,
    *,
    store: Store,
    notifier: Notifier,
    clock: Clock,
    key: str | None = None,
    highlight: Highlighter | None = None,
    titles: Mapping[str, LocalText] | None = None,
    urgent_only: bool = False,
    ignore_backoff: bool = False,
) -> list[DeliveryOutcome]:
    """Everything `destination` is owed, in one go: due retries first and, once they went through,
    a digest of what arrived since. Stops at the first message that did not go through (the
    channel is down: no point in queueing more behind it)."""
    outcomes: list[DeliveryOutcome] = []
    for _ in range(MAX_MESSAGES):
        outcome = await deliver(
            destination, store=store, notifier=notifier, clock=clock, key=key,
            highlight=highlight, titles=titles, urgent_only=urgent_only,
            ignore_backoff=ignore_backoff,
        )  # fmt: skip
        if outcome.status != DeliveryStatus.NOTHING or not outcomes:
            outcomes.append(outcome)
        if not (outcome.status == DeliveryStatus.SENT and outcome.retried):
            break
    return outcomes


def _failed(
    destination: DestinationConfig,
    entry_id: int,
    attempts: int,
    exc: DeliveryError,
    *,
    store: Store,
    clock: Clock,
    key: str,
    items: int,
) -> DeliveryOutcome:
    now = clock()
    dead = isinstance(exc, PermanentDeliveryError) or attempts >= destination.max_attempts
    retry_at = None if dead else now + timedelta(seconds=backoff(attempts, exc.retry_after))
    message = str(exc)
    delivered = store.mark_failed(entry_id, now=now, error=message, retry_at=retry_at, dead=dead)
    if dead:
        # items are released to the next digest (but those of parts already accepted, which the
        # reader has); the operator hears about it here and in `status`
        log.error(kv("digest_dead_lettered", destination=destination.name, key=key,
                     attempts=attempts, delivered_in_accepted_parts=delivered,
                     error=message))  # fmt: skip
        return DeliveryOutcome(
            destination.name, DeliveryStatus.DEAD, items=delivered, key=key, error=message
        )
    log.warning(kv("digest_retry", destination=destination.name, key=key, attempts=attempts,
                   retry_at=retry_at.isoformat() if retry_at else None, error=message))  # fmt: skip
    return DeliveryOutcome(
        destination.name, DeliveryStatus.RETRY, items=items, key=key, error=message
    )


async def deliver_all(
    destinations: Sequence[DestinationConfig],
    *,
    store: Store,
    notifiers: dict[str, Notifier],
    clock: Clock,
    highlight: Highlighter | None = None,
    titles: Mapping[str, LocalText] | None = None,
    ignore_backoff: bool = False,
) -> list[DeliveryOutcome]:
    """Deliver to every destination, one after another (each is its own failure boundary)."""
    outcomes: list[DeliveryOutcome] = []
    for d in destinations:
        outcomes += await deliver_owed(
            d, store=store, notifier=notifiers[d.name], clock=clock, highlight=highlight, titles=titles,
            ignore_backoff=ignore_backoff,
        )  # fmt: skip
    return outcomes
