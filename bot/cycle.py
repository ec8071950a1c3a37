"""One full monitoring cycle, as `newsbot once` runs it: poll every feed, then deliver everywhere."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx

from bot import USER_AGENT
from bot.config import Config
from bot.deliver import DeliveryOutcome, deliver_all
from bot.fetch import Fetcher
from bot.housekeeping import Housekeeper
from bot.http import delivery_client
from bot.models import Clock
from bot.notify import Notifier, create_notifier
from bot.pipeline import FeedOutcome, PollReport, poll_feeds, workers_for
from bot.rules import RuleSet, rule_titles
from bot.status import record_rules_loaded
from bot.store import Store


@dataclass(frozen=True, slots=True)
class CycleReport:
    poll: PollReport
    deliveries: tuple[DeliveryOutcome, ...]


@contextmanager
def notifiers_for(
    config: Config, *, stream: IO[str], sleep: Callable[[float], None] = time.sleep
) -> Iterator[dict[str, Notifier]]:
    """One synchronous HTTP client shared by every notifier for the life of the block."""
    with delivery_client() as http:
        yield {
            d.name: create_notifier(d, http=http, sleep=sleep, stream=stream)
            for d in config.destinations
        }


async def run_once(
    config: Config,
    *,
    store: Store,
    ruleset: RuleSet,
    notifiers: dict[str, Notifier],
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None = None,
    on_feed_done: Callable[[FeedOutcome], None] | None = None,
) -> CycleReport:
    # `status` shows the rules in force for a timer install too, not only under the daemon
    record_rules_loaded(
        store, files=[str(f) for f in ruleset.files], rules=len(ruleset), now=clock()
    )
    with workers_for(config.feeds, store=store, ruleset=ruleset) as workers:
        async with Fetcher(settings=config.fetch, user_agent=USER_AGENT, transport=transport) as f:
            poll = await poll_feeds(
                config.feeds,
                store=store,
                fetcher=f,
                ruleset=ruleset,
                destinations=config.destinations,
                clock=clock,
                on_done=on_feed_done,
                analyzer=workers,
                urgent_max_age=config.fetch.urgent_max_age,
            )
    # `once` means "now": a destination that failed earlier is retried without waiting for backoff
    deliveries = await deliver_all(
        config.destinations,
        store=store,
        notifiers=notifiers,
        clock=clock,
        highlight=ruleset.highlight,
        titles=rule_titles(ruleset),
        ignore_backoff=True,
    )
    Housekeeper(retention=config.state.retention).run(store, now=clock())
    return CycleReport(poll=poll, deliveries=tuple(deliveries))
