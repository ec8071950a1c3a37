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
from zoneinfo import ZoneInfo

from bot.config import DestinationConfig, FeedConfig
from bot.digest.view import local
from bot.errors import DeliveryError
from bot.i18n import N_, NP_, Translator, load_translator
from bot.log import get_logger, kv
from bot.models import Digest, DigestEntry, DigestGroup
from bot.notify import Notifier
from bot.pipeline import FeedOutcome
from bot.status import claim_notice
from bot.store import Store
from bot.store.outbox import DestinationState

log = get_logger("notices")


Arg = str | int | datetime


@dataclass(frozen=True, slots=True)
class Message:
    """A notice's wording, rendered in the language of whoever reads it (the log: English)."""

    text: str | tuple[str, str]  # a plural pair is chosen by `count` ("%(num)s")
    count: int = 0
    args: tuple[tuple[str, Arg], ...] = ()

    def render(self, tr: Translator, tz: ZoneInfo) -> str:
        values = {
            k: tr.date_time(local(v, tz)) if isinstance(v, datetime) else v for k, v in self.args
        }
        if isinstance(self.text, tuple):
            singular, plural = self.text
            return tr.n_(singular, plural, self.count, **values)
        return tr._(self.text, **values)


@dataclass(frozen=True, slots=True)
class Notice:
    key: str  # the same key is the same notice: it goes out once
    headline: Message
    body: Message

    @property
    def title(self) -> str:
        return self.headline.render(load_translator(), ZoneInfo("UTC"))

    @property
    def text(self) -> str:
        return self.body.render(load_translator(), ZoneInfo("UTC"))


def feed_notice(
    feed: FeedConfig, outcome: FeedOutcome, *, threshold: int, now: datetime
) -> Notice | None:
    """A notice when this failure is number `threshold` in a row (not before, not after)."""
    if outcome.consecutive_failures != threshold:
        return None
    return Notice(
        key=f"feed:{feed.url}:{now.isoformat()}",
        # the feed's title when the config names none
        headline=Message(N_("feed failing: %(name)s"), args=(("name", outcome.name),)),
        body=Message(
            NP_(
                "Feed %(name)s (%(url)s) failed %(num)s time in a row. Last error: %(error)s",
                "Feed %(name)s (%(url)s) failed %(num)s times in a row. Last error: %(error)s",
            ),
            threshold,
            (("name", outcome.name), ("url", feed.url), ("error", outcome.error or "")),
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
                headline=Message(N_("destination failing: %(name)s"), args=(("name", s.name),)),
                body=Message(
                    NP_(
                        "Destination %(name)s has been failing since %(since)s; "
                        "%(num)s item pending. Last error: %(error)s",
                        "Destination %(name)s has been failing since %(since)s; "
                        "%(num)s items pending. Last error: %(error)s",
                    ),
                    s.pending,
                    (("name", s.name), ("since", since), ("error", s.last_error or "")),
                ),
            )
        )
    return out


def notice_digest(
    destination: DestinationConfig, notice: Notice, *, now: datetime, tr: Translator
) -> Digest:
    """A notice in the shape every channel already knows how to send, in `tr`'s language."""
    tz = ZoneInfo(destination.timezone)
    title = notice.headline.render(tr, tz)
    entry = DigestEntry(
        item_id=0,
        title=title,
        link=None,
        outlet="newsbot",
        lang=tr.locale,
        published=now,
        snippet=notice.body.render(tr, tz),
        highlights=(),
        score=0.0,
        rules=(),
    )
    return Digest(
        key=f"notice:{notice.key}",
        destination=destination.name,
        title=tr._("newsbot notice: %(title)s", title=title),
        period_start=None,
        period_end=now,
        timezone=destination.timezone,
        groups=(
            DigestGroup(name="newsbot notice", entries=(entry,), title=tr._("newsbot notice")),
        ),
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
    return Notice(
        key=f"state:{now.isoformat()}",
        headline=Message(N_("state cannot be written")),
        body=Message(
            N_("%(problem)s. The daemon keeps running and retries; nothing it accepted is lost."),
            args=(("problem", problem),),
        ),
    )


async def send_unrecorded(
    notice: Notice, *, target: DestinationConfig | None, notifier: Notifier | None, now: datetime
) -> None:
    """Log and send `notice` without claiming it in the store (which may be what is failing)."""
    log.warning(kv("operator_notice", notice=notice.title, detail=notice.text))
    if target is None or notifier is None:
        return
    try:
        digest = notice_digest(target, notice, now=now, tr=notifier.tr)
        await asyncio.to_thread(notifier.send, digest)
    except DeliveryError as exc:
        # a notice is best effort: the log line above and `newsbot status` carry the same news
        log.error(kv("notice_failed", destination=target.name, error=str(exc)))
