"""Delivery semantics through the outbox: at-least-once, nothing lost, repeats recognisable.

Real SQLite files, a real SMTP server (aiosmtpd), and a clock the tests move by hand.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import DestinationConfig, EmailOptions
from bot.deliver import DeliveryStatus, deliver
from bot.models import Digest, Item, RuleMatch
from bot.notify import Notifier, create_notifier
from bot.store import NewItem, Store
from tests.servers import smtp_server

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def mail_destination(port: int, *, max_attempts: int = 10) -> DestinationConfig:
    opts = EmailOptions(smtp_host="127.0.0.1", smtp_port=port, from_addr="bot@example.org",
                        to=("desk@example.org",), timeout=5.0)  # fmt: skip
    return DestinationConfig(
        name="desk-mail", type="email", options=opts, max_attempts=max_attempts
    )


def add(store: Store, n: int, *, start: int = 0, now: datetime = T0) -> None:
    store.sync_feeds([("https://feed.example/rss", "Feed")])
    batch = [
        NewItem(
            item=Item(
                key=f"k{i}",
                feed_url="https://feed.example/rss",
                title=f"Vietnam Japan story {i}",
                link=f"https://news.example/{i}",
            ),
            canonical_link=f"https://news.example/{i}",
            matches=(RuleMatch(rule="vn-jp", score=1.0),),
            destinations=("desk-mail",),
        )
        for i in range(start, start + n)
    ]
    store.add_items("https://feed.example/rss", batch, now=now)


def run(coro):
    return asyncio.run(coro)


def bodies(sink) -> str:
    return "\n".join(m.get_body(("plain",)).get_content() for m in sink.messages)


class DiesAfterSending(Notifier):
    """The channel accepts the message, then the process dies before marking it sent."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner

    def send(self, digest: Digest) -> None:
        self.inner.send(digest)
        raise KeyboardInterrupt  # stands in for SIGKILL: nothing after this line runs


def test_kill_between_send_and_mark_repeats_once_with_same_key(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (sink, port):
        dest = mail_destination(port)
        with Store(tmp_path / "s.sqlite3") as store:
            add(store, 3)
            with pytest.raises(KeyboardInterrupt):
                run(
                    deliver(
                        dest,
                        store=store,
                        notifier=DiesAfterSending(create_notifier(dest)),
                        clock=clock,
                    )
                )
        assert len(sink.messages) == 1

        # restart: a new process opens the same file; within the lease nobody resends
        with Store(tmp_path / "s.sqlite3") as store:
            notifier = create_notifier(dest)
            clock.advance(seconds=60)
            assert (
                run(deliver(dest, store=store, notifier=notifier, clock=clock)).status
                == DeliveryStatus.NOTHING
            )
            clock.advance(minutes=10)  # the lease expired: reclaimed and sent again
            outcome = run(deliver(dest, store=store, notifier=notifier, clock=clock))
            assert outcome.status == DeliveryStatus.SENT and outcome.items == 3
            clock.advance(minutes=10)
            assert (
                run(deliver(dest, store=store, notifier=notifier, clock=clock)).status
                == DeliveryStatus.NOTHING
            )
    first, repeat = sink.messages
    assert first["Message-ID"] == repeat["Message-ID"]
    assert all(f"story {i}" in bodies(sink) for i in range(3))


def test_destination_down_for_a_day_delivers_everything_when_back(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port, max_attempts=4)
        notifier = create_notifier(dest)
        sink.reject_next = ["451 4.3.0 try again later"] * 30
        statuses = []
        for hour in range(24):  # hourly cycles for a day, new items arriving all along
            add(store, 2, start=hour * 2, now=clock())
            statuses.append(run(deliver(dest, store=store, notifier=notifier, clock=clock)).status)
            clock.advance(hours=1)
        assert sink.messages == []
        assert (
            DeliveryStatus.RETRY in statuses and DeliveryStatus.DEAD in statuses
        )  # retried, dead-lettered, composed again
        sink.reject_next = []
        for _ in range(3):  # whatever dead-lettered or pending is still owed goes out
            run(deliver(dest, store=store, notifier=notifier, clock=clock))
            clock.advance(hours=1)
        assert store.pending_items("desk-mail") == []
    delivered = {int(n) for n in re.findall(r"story (\d+)", bodies(sink))}
    assert delivered == set(range(48))


def test_permanent_failure_keeps_items_pending(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        add(store, 2)
        sink.reject_next = ["550 5.1.1 mailbox unavailable"]
        outcome = run(deliver(dest, store=store, notifier=create_notifier(dest), clock=clock))
        assert outcome.status == DeliveryStatus.DEAD and "550" in (outcome.error or "")
        assert len(store.pending_items("desk-mail")) == 2
        state = store.destination_states(["desk-mail"])[0]
        assert state.last_error and state.dead_letters == 1
        clock.advance(minutes=5)
        assert (
            run(deliver(dest, store=store, notifier=create_notifier(dest), clock=clock)).status
            == DeliveryStatus.SENT
        )
        assert store.pending_items("desk-mail") == []


def test_same_period_key_is_composed_once(tmp_path: Path) -> None:
    """A cron that fires twice in one period (DST fall-back) must not send a second digest."""
    clock = Clock()
    with smtp_server() as (sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        notifier = create_notifier(dest)
        add(store, 1)
        key = "desk-mail:2026-10-25T02:30+01:00"
        assert (
            run(deliver(dest, store=store, notifier=notifier, clock=clock, key=key)).status
            == DeliveryStatus.SENT
        )
        add(store, 1, start=1)
        clock.advance(hours=1)
        assert (
            run(deliver(dest, store=store, notifier=notifier, clock=clock, key=key)).status
            == DeliveryStatus.NOTHING
        )
        assert len(sink.messages) == 1 and len(store.pending_items("desk-mail")) == 1


def test_prune_forgets_only_old_items_nobody_is_owed(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (_sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        add(store, 2, now=T0)  # delivered below
        run(deliver(dest, store=store, notifier=create_notifier(dest), clock=clock))
        add(store, 1, start=2, now=T0)  # still pending
        add(store, 1, start=3, now=T0 + timedelta(days=30))  # recent
        assert store.prune(before=T0 + timedelta(days=1)) == 2
        assert store.count_items() == 2
        assert [p.title for p in store.pending_items("desk-mail")] == [
            "Vietnam Japan story 2",
            "Vietnam Japan story 3",
        ]


def test_two_adhoc_sends_in_the_same_second_both_go_out(tmp_path: Path) -> None:
    """`once` twice within a second: the second digest is new items, not a repeat of the first."""
    clock = Clock()
    with smtp_server() as (sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        add(store, 1)
        assert (
            run(deliver(dest, store=store, notifier=create_notifier(dest), clock=clock)).status
            == DeliveryStatus.SENT
        )
        add(store, 1, start=1)
        assert (
            run(deliver(dest, store=store, notifier=create_notifier(dest), clock=clock)).status
            == DeliveryStatus.SENT
        )
        assert len(sink.messages) == 2
        assert sink.messages[0]["Message-ID"] != sink.messages[1]["Message-ID"]


class Broken(Notifier):
    def __init__(self) -> None:
        pass

    def send(self, digest: Digest) -> None:
        raise RuntimeError("a bug in a channel")


def test_a_crashing_channel_keeps_items_pending(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (_sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        add(store, 2)
        outcome = run(deliver(dest, store=store, notifier=Broken(), clock=clock))
        assert outcome.status == DeliveryStatus.RETRY and "RuntimeError" in (outcome.error or "")
        assert len(store.pending_items("desk-mail")) == 2


class Slow(Notifier):
    def __init__(self, inner: Notifier) -> None:
        self.inner = inner

    def send(self, digest: Digest) -> None:
        import time

        time.sleep(0.5)
        self.inner.send(digest)


def test_a_send_cancelled_at_shutdown_is_retried_at_once_under_the_same_key(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server() as (sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        add(store, 2)

        async def shutdown_mid_send() -> None:
            task = asyncio.create_task(
                deliver(dest, store=store, notifier=Slow(create_notifier(dest)), clock=clock)
            )
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        run(shutdown_mid_send())
        # the next start, seconds later (well inside the 5-minute lease), sends it again at once
        clock.advance(seconds=5)
        outcome = run(deliver(dest, store=store, notifier=create_notifier(dest), clock=clock))
        assert outcome.status == DeliveryStatus.SENT and outcome.items == 2
        import time

        time.sleep(0.6)  # the interrupted thread finishes its send too: one repeat, same key
    keys = {m["Message-ID"] for m in sink.messages}
    assert len(keys) == 1 and 1 <= len(sink.messages) <= 2


def test_one_run_sends_the_due_retry_and_then_what_arrived_since(tmp_path: Path) -> None:
    from bot.deliver import deliver_owed

    clock = Clock()
    with smtp_server() as (sink, port), Store(tmp_path / "s.sqlite3") as store:
        dest = mail_destination(port)
        notifier = create_notifier(dest)
        add(store, 2, now=clock())
        sink.reject_next = ["451 4.3.0 try again later"]
        assert (
            run(deliver(dest, store=store, notifier=notifier, clock=clock)).status
            == DeliveryStatus.RETRY
        )
        clock.advance(minutes=5)
        add(store, 3, start=2, now=clock())  # arrives while the first digest waits for its retry
        outcomes = run(deliver_owed(dest, store=store, notifier=notifier, clock=clock))
        assert [(o.status, o.retried, o.items) for o in outcomes] == [
            (DeliveryStatus.SENT, True, 2),
            (DeliveryStatus.SENT, False, 3),
        ]
        assert store.pending_items("desk-mail") == []
        # nothing more is owed: a further run says so once
        again = run(deliver_owed(dest, store=store, notifier=notifier, clock=clock))
        assert [o.status for o in again] == [DeliveryStatus.NOTHING]
    assert len(sink.messages) == 2
    delivered = {int(n) for n in re.findall(r"story (\d+)", bodies(sink))}
    assert delivered == set(range(5))
