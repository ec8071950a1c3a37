"""Big digests over loopback: a Slack digest that outlives its lease many times, and an email
backlog bigger than the mail server's SIZE.

    .venv/bin/python bench/parts_soak.py [--slack-items 20000] [--mail-items 2000]
                                         [--mail-size 1000000] [--lease 3] [--pace 0.01]

Slack: N matching items go to one digest, sent to a loopback webhook receiver at one message per
`pace` seconds; the outbox lease is `lease` seconds, and a second sender (the daemon's retry job)
tries the same destination every lease/2 seconds throughout. Printed: parts sent, messages the
receiver got, articles linked, any article linked twice, second-sender outcomes.

Email: M items to aiosmtpd advertising SIZE = mail-size; printed: messages, the biggest message,
articles reached. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bot.config import DestinationConfig, EmailOptions, SlackOptions
from bot.deliver import deliver
from bot.models import Item, RuleMatch
from bot.notify import create_notifier
from bot.notify import slack as slack_module
from bot.store import NewItem, Store
from tests.digest_helpers import Receiver
from tests.servers import smtp_server

FEED = "https://wire.example/rss"


def now() -> datetime:
    return datetime.now(UTC)


def fill(store: Store, n: int, dest: str) -> None:
    store.sync_feeds([(FEED, "State Wire")])
    for start in range(0, n, 2000):
        store.add_items(
            FEED,
            [
                NewItem(
                    item=Item(
                        key=f"k{i}",
                        feed_url=FEED,
                        link=f"https://wire.example/{i}",
                        title=f"Vietnam and Japan sign agreement number {i} on ports",
                        summary=f"Officials in Hanoi and Tokyo signed deal {i}. " * 6,
                    ),
                    canonical_link=f"https://wire.example/{i}",
                    matches=(RuleMatch(rule="vn-jp", score=1.0, terms=("Hanoi",)),),
                    destinations=(dest,),
                )
                for i in range(start, min(n, start + 2000))
            ],
            now=now(),
        )


async def slack_soak(n: int, lease: float, pace: float, folder: Path) -> None:
    slack_module.MIN_INTERVAL = pace
    with Receiver().running() as r, httpx.Client(timeout=10) as http:
        dest = DestinationConfig(name="desk-slack", type="slack",
                                 options=SlackOptions(webhook_url=r.url + "/hook"))  # fmt: skip
        with Store(folder / "slack.sqlite3") as store:
            fill(store, n, dest.name)
            t0 = time.monotonic()
            main = asyncio.create_task(
                deliver(dest, store=store, clock=now, lease=lease,
                        notifier=create_notifier(dest, http=http))
            )  # fmt: skip
            others: Counter[str] = Counter()
            while not main.done():
                await asyncio.sleep(lease / 2)
                if main.done():
                    break
                second = await deliver(dest, store=store, clock=now, lease=lease,
                                       notifier=create_notifier(dest, http=http))  # fmt: skip
                others[second.status] += 1
            outcome = await main
            elapsed = time.monotonic() - t0
    text = "".join(req.body.decode() for req in r.requests)
    linked = Counter(re.findall(r"https://wire\.example/(\d+)\|", text))
    twice = sum(1 for c in linked.values() if c > 1)
    print(
        f"slack: {n} items -> {outcome.status}, {outcome.items} articles; receiver got "
        f"{len(r.requests)} messages in {elapsed:.0f} s (lease {lease:g} s, so the send outlived "
        f"it {elapsed / lease:.0f}x); {len(linked)} articles linked, {twice} linked twice; "
        f"second sender meanwhile: {dict(others)}"
    )


async def mail_soak(n: int, size: int, folder: Path) -> None:
    with smtp_server(data_size_limit=size) as (sink, port):
        opts = EmailOptions(smtp_host="127.0.0.1", smtp_port=port, from_addr="bot@example.org",
                            to=("desk@example.org",), timeout=30.0)  # fmt: skip
        dest = DestinationConfig(name="desk-mail", type="email", options=opts)
        with Store(folder / "mail.sqlite3") as store:
            fill(store, n, dest.name)
            t0 = time.monotonic()
            outcome = await deliver(dest, store=store, clock=now, notifier=create_notifier(dest))
            elapsed = time.monotonic() - t0
    sizes = [len(m.as_bytes()) for m in sink.messages]
    text = "".join(m.get_body(("plain",)).get_content() for m in sink.messages)
    reached = set(re.findall(r"https://wire\.example/(\d+)", text))
    print(
        f"email: {n} items, server SIZE {size} -> {outcome.status}, {outcome.items} articles in "
        f"{len(sizes)} messages (largest {max(sizes, default=0)} bytes) in {elapsed:.1f} s; "
        f"{len(reached)} articles reached; subjects: "
        f"{[m['Subject'].split('—')[-1].strip() for m in sink.messages][:3]}…"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slack-items", type=int, default=20000)
    ap.add_argument("--mail-items", type=int, default=2000)
    ap.add_argument("--mail-size", type=int, default=1_000_000)
    ap.add_argument("--lease", type=float, default=3.0)
    ap.add_argument("--pace", type=float, default=0.01)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.mail_items:
            asyncio.run(mail_soak(args.mail_items, args.mail_size, Path(tmp)))
        if args.slack_items:
            asyncio.run(slack_soak(args.slack_items, args.lease, args.pace, Path(tmp)))


if __name__ == "__main__":
    main()
