"""Operator notices: one message when a feed keeps failing or a destination stays down.

Not one per attempt: a feed notice fires when its failure streak reaches the threshold (exactly
once per streak); a destination notice is keyed by when its failure began. Each notice is claimed in
the state database before it goes out, so a restart does not repeat it either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import DestinationConfig, FeedConfig
from bot.errors import DeliveryError
from bot.log import get_logger, kv
from bot.models import Digest, DigestEntry, DigestGroup
from bot.notify import Notifier
from bot.pipeline import FeedOutcome
from bot.status import claim_notice
from bot.store import Store
from bot.store.outbox import DestinationState

log = get_logger("notices")


@dataclass(frozen=True, slots=True)
class Notice:
    key: str  # the same key is the same notice: it goes out once
    title: str
    text: str


def feed_notice(
    feed: FeedConfig, outcome: FeedOutcome, *, threshold: int, now: datetime
) -> Notice | None:
    """A notice when this failure is number `threshold` in a row (not before, not after)."""
    if outcome.consecutive_failures != threshold:
        return None
    return Notice(
        key=f"feed:{feed.url}:{now.isoformat()}",
        title=f"feed failing: {outcome.name}",  # the feed's title when the config names none
        text=(
            f"Feed {outcome.name} ({feed.url}) failed {threshold} times in a row. "
            f"Last error: {outcome.error}"
        ),
    )


def destination_notices(
    states: Sequence[DestinationState],
    *,
    now: datetime,
    failing_for: float,
    exclude: str | None,
) -> list[Notice]:
    """Notices for destinations failing longer than `failing_for` seconds (not the notice target
    itself: a notice about the channel that carries notices could never arrive)."""
    out = []
    for s in states:
        since = s.failing_since
        if since is None or s.name == exclude or now - since < timedelta(seconds=failing_for):
            continue
        out.append(
            Notice(
                key=f"destination:{s.name}:{since.isoformat()}",
                title=f"destination failing: {s.name}",
                text=(
                    f"Destination {s.name} has been failing since {since.isoformat()}; "
                    f"{s.pending} items pending. Last error: {s.last_error}"
                ),
            )
        )
    return out


def notice_digest(destination: DestinationConfig, notice: Notice, *, now: datetime) -> Digest:
    """A notice in the shape every channel already knows how to send."""
    entry = DigestEntry(
        item_id=0,
        title=notice.title,
        link=None,
        outlet="newsbot",
        lang="en",
        published=now,
        snippet=notice.text,
        highlights=(),
        score=0.0,
        rules=(),
    )
    return Digest(
        key=f"notice:{notice.key}",
        destination=destination.name,
        title=f"newsbot notice: {notice.title}",
        period_start=None,
        period_end=now,
        timezone=destination.timezone,
        groups=(DigestGroup(name="newsbot notice", entries=(entry,)),),
    )


async def send_notice(
    notice: Notice,
    *,
    store: Store,
    target: DestinationConfig | None,
    notifier: Notifier | None,
    now: datetime,
) -> bool:
    """Log and send `notice` unless it went out before. True when it was new."""
    if not claim_notice(store, notice.key, now=now):
        return False
    await send_unrecorded(notice, target=target, notifier=notifier, now=now)
    return True


def state_notice(problem: str, *, now: datetime) -> Notice:
    return Notice(key=f"state:{now.isoformat()}", title="state cannot be written",
                  text=f"{problem}. The daemon keeps running and retries; nothing it accepted is "
                       "lost.")  # fmt: skip


async def send_unrecorded(
    notice: Notice, *, target: DestinationConfig | None, notifier: Notifier | None, now: datetime
) -> None:
    """Log and send `notice` without claiming it in the store (which may be what is failing)."""
    log.warning(kv("operator_notice", notice=notice.title, detail=notice.text))
    if target is None or notifier is None:
        return
    try:
        await asyncio.to_thread(notifier.send, notice_digest(target, notice, now=now))
    except DeliveryError as exc:
        # a notice is best effort: the log line above and `newsbot status` carry the same news
        log.error(kv("notice_failed", destination=target.name, error=str(exc)))
