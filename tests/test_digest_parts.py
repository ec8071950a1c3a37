"""Digests in several messages, resumed not repeated: Slack parts, email split under SIZE, the lease.

Real SQLite files, the loopback Slack receiver (payloads validated by slack_sdk's Block Kit models)
and aiosmtpd, whose mail is parsed back.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.config import DestinationConfig, EmailOptions, SlackOptions
from bot.deliver import DeliveryStatus, deliver
from bot.digest.slack import digest_block_id
from bot.models import Item, RuleMatch
from bot.notify import create_notifier
from bot.notify.base import Part
from bot.notify.email import message_id
from bot.notify.slack import SlackNotifier
from bot.store import NewItem, Store
from tests.digest_helpers import Receiver, Reply
from tests.servers import smtp_server
from tests.test_deliver import Clock
from tests.test_notify_slack import validate

LINK = "https://news.example/{}"


def add(store: Store, n: int, *, dest: str, start: int = 0) -> None:
    """`n` distinct stories (numbers keep them apart) with long summaries."""
    store.sync_feeds([("https://feed.example/rss", "Harbour Wire")])
    store.add_items(
        "https://feed.example/rss",
        [
            NewItem(
                item=Item(
                    key=f"k{i}",
                    feed_url="https://feed.example/rss",
                    title=f"Vietnam and Japan sign {i} agreements on port number {i}",
                    link=LINK.format(i),
                    summary=f"Officials in Hanoi and Tokyo signed deal {i}. " * 12,
                ),
                canonical_link=LINK.format(i),
                matches=(RuleMatch(rule="vn-jp", score=1.0, terms=("Hanoi",)),),
                destinations=(dest,),
            )
            for i in range(start, start + n)
        ],
        now=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    )


def slack_destination(url: str) -> DestinationConfig:
    return DestinationConfig(
        name="desk-slack", type="slack", options=SlackOptions(webhook_url=url), max_attempts=5
    )


def slack(dest: DestinationConfig, http: httpx.Client) -> Any:
    return create_notifier(dest, http=http, sleep=lambda s: None)


def links_in(payloads: list[dict[str, Any]]) -> Counter[str]:
    text = json.dumps(payloads)
    return Counter(f"https://news.example/{n}" for n in range(5000) if f"news.example/{n}|" in text)


def received(r: Receiver) -> list[dict[str, Any]]:
    return [req.json() for req in r.requests if req.path.endswith("/hook")]


def test_slack_part_failing_500_resumes_with_the_rest_under_the_same_key(tmp_path: Path) -> None:
    clock = Clock()
    fails = [Reply(200)] + [Reply(500, "")] * 3  # part 1 accepted, part 2 fails three times
    with Receiver(fails).running() as r, httpx.Client(timeout=5) as http:
        dest = slack_destination(r.url + "/hook")
        with Store(tmp_path / "s.sqlite3") as store:
            add(store, 120, dest=dest.name)
            first = asyncio.run(deliver(dest, store=store, notifier=slack(dest, http), clock=clock))
            assert first.status == DeliveryStatus.RETRY and "part 2 of" in (first.error or "")
            clock.advance(minutes=5)
            again = asyncio.run(deliver(dest, store=store, notifier=slack(dest, http), clock=clock))
            assert again.status == DeliveryStatus.SENT and again.key == first.key and again.retried
            assert store.destination_states([dest.name])[0].pending == 0
    accepted = [req.json() for req in r.requests]
    accepted = [accepted[0], *accepted[4:]]  # the three 500s were not accepted
    total = len(accepted)
    assert total >= 3
    for k, payload in enumerate(accepted, 1):
        validate(payload)
        seen = json.dumps(payload, ensure_ascii=False)
        assert f"part {k} of {total}" in seen  # each part says which it is, for readers
        assert payload["blocks"][0]["block_id"] == digest_block_id(first.key or "", k, total)
        assert first.key not in seen.replace(payload["blocks"][0]["block_id"], "")
    counts = links_in(accepted)
    assert set(counts) == {LINK.format(i) for i in range(120)}
    assert max(counts.values()) == 1, "no part (and no article) was sent twice"
    assert again.items == 120


def test_slack_part_refused_400_delivers_the_rest_next_time_without_repeats(tmp_path: Path) -> None:
    clock = Clock()
    replies = [Reply(200), Reply(400, "invalid_blocks")]
    with (
        Receiver(replies).running() as r,
        httpx.Client(timeout=5) as http,
        Store(tmp_path / "s.sqlite3") as store,
    ):
        dest = slack_destination(r.url + "/hook")
        add(store, 120, dest=dest.name)
        dead = asyncio.run(deliver(dest, store=store, notifier=slack(dest, http), clock=clock))
        assert dead.status == DeliveryStatus.DEAD
        part1 = r.requests[0].json()
        in_part1 = set(links_in([part1]))
        # what part 1 carried reached the reader: delivered, not pending, and said so
        assert dead.items == len(in_part1) > 0
        assert store.destination_states([dest.name])[0].pending == 120 - len(in_part1)
        clock.advance(minutes=1)
        nxt = asyncio.run(deliver(dest, store=store, notifier=slack(dest, http), clock=clock))
        assert nxt.status == DeliveryStatus.SENT and nxt.key != dead.key
        assert nxt.items == 120 - len(in_part1)
    accepted = [part1] + [req.json() for req in r.requests[2:]]
    counts = links_in(accepted)
    assert set(counts) == {LINK.format(i) for i in range(120)}
    assert max(counts.values()) == 1


class SlowSlack(SlackNotifier):
    """A channel that takes a while per message (429 waits, a slow network)."""

    def send_part(self, key: str, part: Part, *, number: int, total: int) -> None:
        time.sleep(0.8)
        super().send_part(key, part, number=number, total=total)


def test_the_lease_is_renewed_while_a_long_send_is_alive(tmp_path: Path) -> None:
    now = lambda: datetime.now(UTC)  # noqa: E731 - a real clock: the lease is real time here
    with Receiver().running() as r, httpx.Client(timeout=5) as http:
        dest = slack_destination(r.url + "/hook")
        with Store(tmp_path / "s.sqlite3") as store:
            add(store, 150, dest=dest.name)

            async def both() -> tuple[Any, Any]:
                long = asyncio.create_task(
                    deliver(dest, store=store, clock=now, lease=2.0,
                            notifier=SlowSlack(dest, http=http, sleep=lambda s: None))
                )  # fmt: skip
                await asyncio.sleep(3.0)  # past the 2 s lease: only its renewal keeps the claim
                second = await deliver(
                    dest, store=store, clock=now, lease=2.0, notifier=slack(dest, http)
                )
                return await long, second

            first, second = asyncio.run(both())
    # the claim was still held: the second sender found nothing due and sent nothing
    assert first.status == DeliveryStatus.SENT and second.status == DeliveryStatus.NOTHING
    assert len(r.requests) >= 5  # the send outlived the lease (>= 5 parts x 0.8 s)
    counts = links_in([req.json() for req in r.requests])
    assert len(counts) == 150 and max(counts.values()) == 1


def mail(port: int, **kw: Any) -> DestinationConfig:
    opts = EmailOptions(smtp_host="127.0.0.1", smtp_port=port, from_addr="bot@example.org",
                        to=("desk@example.org",), timeout=5.0, **kw)  # fmt: skip
    return DestinationConfig(name="desk-mail", type="email", options=opts, max_attempts=5)


def check_parts(sink: Any, key: str, limit: int) -> None:
    n = len(sink.messages)
    assert n >= 2
    first_id = message_id(key, "bot@example.org", part=1)
    for k, msg in enumerate(sink.messages, 1):
        assert len(msg.as_bytes()) <= limit
        assert msg["Subject"].endswith(f"(part {k} of {n})")
        assert msg["X-Newsbot-Digest-Key"] == key and msg["X-Newsbot-Part"] == f"{k}/{n}"
        assert msg["Message-ID"] == message_id(key, "bot@example.org", part=k)
        assert k == 1 or msg["References"] == first_id
        assert f"part {k} of {n}" in msg.get_body(("html",)).get_content()


def all_links(sink: Any) -> Counter[str]:
    text = "\n".join(m.get_body(("plain",)).get_content() for m in sink.messages)
    return Counter(line.strip() for line in text.splitlines() if "https://news.example/" in line)


def test_email_over_the_servers_size_goes_out_in_numbered_parts(tmp_path: Path) -> None:
    clock = Clock()
    with smtp_server(data_size_limit=150_000) as (sink, port):
        dest = mail(port)
        with Store(tmp_path / "s.sqlite3") as store:
            add(store, 300, dest=dest.name)
            out = asyncio.run(
                deliver(dest, store=store, notifier=create_notifier(dest), clock=clock)
            )
    assert out.status == DeliveryStatus.SENT and out.items == 300
    check_parts(sink, out.key or "", 150_000)
    counts = all_links(sink)
    assert set(counts) == {LINK.format(i) for i in range(300)} and max(counts.values()) == 1


def test_email_split_by_max_message_bytes_and_resumed_after_a_refused_part(
    tmp_path: Path,
) -> None:
    clock = Clock()
    with smtp_server() as (sink, port):
        dest = mail(port, max_message_bytes=60_000)
        with Store(tmp_path / "s.sqlite3") as store:
            add(store, 150, dest=dest.name)
            sink.reject_next = []
            notifier = create_notifier(dest)
            original = notifier.send_part
            calls: list[int] = []

            def flaky(key: str, part: Part, *, number: int, total: int) -> None:
                calls.append(number)
                if number == 2 and calls.count(2) == 1:
                    sink.reject_next.append("451 try again later")
                original(key, part, number=number, total=total)

            notifier.send_part = flaky  # type: ignore[method-assign]
            first = asyncio.run(deliver(dest, store=store, notifier=notifier, clock=clock))
            assert first.status == DeliveryStatus.RETRY and "451" in (first.error or "")
            clock.advance(minutes=5)
            again = asyncio.run(deliver(dest, store=store, notifier=notifier, clock=clock))
    assert again.status == DeliveryStatus.SENT and again.key == first.key
    assert calls[:2] == [1, 2] and calls[2] == 2  # the retry starts at the refused part
    check_parts(sink, first.key or "", 60_000)
    counts = all_links(sink)
    assert set(counts) == {LINK.format(i) for i in range(150)} and max(counts.values()) == 1
