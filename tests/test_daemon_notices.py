"""Operator notices: once per failing streak / outage, through a real file destination and store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import DestinationConfig, FeedConfig, FileOptions
from bot.i18n import load_translator
from bot.notices import destination_notices, feed_notice, notice_digest, send_notice
from bot.notify import create_notifier
from bot.pipeline import FeedOutcome, FeedStatus
from bot.store import Store
from bot.store.outbox import DestinationState

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
FEED = FeedConfig(url="https://a.example/rss", name="Alpha")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "state.sqlite3") as s:
        yield s


def failed(n: int) -> FeedOutcome:
    return FeedOutcome(
        FEED.url, FEED.name, FeedStatus.FAILED, error="fetch: 503", consecutive_failures=n
    )


def state(name: str, since: datetime | None) -> DestinationState:
    return DestinationState(name, None, None, "slack: 500", since, pending=3, dead_letters=0)


def test_feed_notice_only_at_the_threshold() -> None:
    notices = [feed_notice(FEED, failed(n), threshold=3, now=NOW) for n in range(1, 7)]
    assert [n is not None for n in notices] == [False, False, True, False, False, False]
    hit = notices[2]
    assert hit is not None and "Alpha" in hit.title and "fetch: 503" in hit.text


def test_destination_notice_after_failing_long_enough() -> None:
    states = [
        state("fresh", NOW - timedelta(minutes=5)),
        state("stale", NOW - timedelta(hours=2)),
        state("ok", None),
        state("ops", NOW - timedelta(days=1)),  # the notice channel itself
    ]
    out = destination_notices(states, now=NOW, failing_for=3600, exclude="ops")
    assert [n.title for n in out] == ["destination failing: stale"]
    assert "3 items pending" in out[0].text


async def test_send_notice_goes_out_once(tmp_path: Path, store: Store) -> None:
    ops = DestinationConfig(
        name="ops", type="file", options=FileOptions(dir=tmp_path / "ops", format="text")
    )
    notifier = create_notifier(ops)
    notice = feed_notice(FEED, failed(5), threshold=5, now=NOW)
    assert notice is not None
    kw = {"store": store, "target": ops, "notifier": notifier, "now": NOW}
    assert await send_notice(notice, **kw)  # type: ignore[arg-type]
    assert not await send_notice(notice, **kw)  # type: ignore[arg-type]
    files = list((tmp_path / "ops").iterdir())
    assert len(files) == 1
    assert "failed 5 times in a row" in files[0].read_text()


async def test_notice_without_a_target_is_logged_once(store: Store) -> None:
    notice = feed_notice(FEED, failed(2), threshold=2, now=NOW)
    assert notice is not None
    kw = {"store": store, "target": None, "notifier": None, "now": NOW}
    assert await send_notice(notice, **kw)  # type: ignore[arg-type]
    assert not await send_notice(notice, **kw)  # type: ignore[arg-type]


def test_notice_digest_shape() -> None:
    ops = DestinationConfig(name="ops", type="file", options=FileOptions(dir=Path("x")))
    notice = feed_notice(FEED, failed(1), threshold=1, now=NOW)
    assert notice is not None
    digest = notice_digest(ops, notice, now=NOW, tr=load_translator())
    assert digest.key.startswith("notice:feed:") and not digest.is_empty
    assert digest.entries[0].snippet == notice.text
