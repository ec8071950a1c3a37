"""Months of running on a fake clock: does the state stay bounded?

    .venv/bin/python bench/soak.py                 # 90 days, 30 items a day, retention 30 days
    .venv/bin/python bench/soak.py --days 180 --items 60 --retention 30d

One simulated day: the feed (a loopback server) carries that day's items, one poll stores and
matches them, every destination is delivered to, ten article pages on ten new hosts are
fetched (the politeness maps' growth), then the daemon's housekeeping runs. The clock and the
monotonic clock jump a day at a time; everything else is the real code on real files. Prints the
state's size on disk, the items kept and the hosts remembered, every ten days.
tests/test_housekeeping.py runs it and holds the figures bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import USER_AGENT
from bot.config import load_config
from bot.deliver import deliver_all
from bot.errors import FetchError
from bot.fetch import Fetcher
from bot.housekeeping import Housekeeper
from bot.notify import create_notifier
from bot.pipeline import poll_feed
from bot.rules import load_rules
from bot.store import Store
from bot.store.safety import backups, size_on_disk

START = datetime(2026, 1, 1, 6, tzinfo=UTC)
HOSTS_PER_DAY = 10
RULES = "rules:\n  - name: pair\n    all: [Vietnam, Japan]\n"
FILLER = (
    "Officials from both governments met again this week to review progress on the projects "
    "agreed last year, including port upgrades, training programmes and new credit lines. "
) * 3


@dataclass(frozen=True, slots=True)
class Day:
    day: int
    size: int  # bytes on disk: the database and its WAL
    items: int  # items kept
    hosts: int  # hosts the politeness maps remember
    backups: int


def feed_xml(day: int, items: int) -> str:
    rows = []
    for i in range(items):
        topic = "Vietnam and Japan" if i % 3 == 0 else "Regional markets"
        rows.append(
            f"<item><title>{topic} day {day} story {i}</title>"
            f"<link>https://news.example/{day}/{i}</link><guid>d{day}-{i}</guid>"
            f"<description>{topic}: {FILLER}</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Soak</title>'
        + "".join(rows)
        + "</channel></rss>"
    )


async def simulate(
    folder: Path,
    serve: Callable[[str], object],
    feed_url: str,
    *,
    days: int,
    items: int,
    retention: str,
) -> list[Day]:
    """Run `days` simulated days in `folder`; `serve(body)` puts the day's feed on `feed_url`."""
    (folder / "rules.yaml").write_text(RULES, encoding="utf-8")
    cfg = folder / "newsbot.toml"
    cfg.write_text(
        f'[state]\npath = "state/newsbot.sqlite3"\nretention = "{retention}"\n'
        '[rules]\npaths = ["rules.yaml"]\n[fetch]\nmin_host_interval = 1\n'
        f'[[feeds]]\nurl = "{feed_url}"\nname = "Soak"\n'
        '[[destinations]]\nname = "archive"\ntype = "file"\ndir = "digests"\nformat = "text"\n',
        encoding="utf-8",
    )
    config = load_config(cfg, environ={})
    ruleset = load_rules(config.rules.paths)
    now = [START]
    mono = [0.0]
    out: list[Day] = []
    housekeeper = Housekeeper(retention=config.state.retention)
    notifiers = {d.name: create_notifier(d) for d in config.destinations}
    with Store(config.state.path) as store:
        store.sync_feeds([(f.url, f.name) for f in config.feeds])
        async with Fetcher(settings=config.fetch, user_agent=USER_AGENT, clock=lambda: now[0],
                           monotonic=lambda: mono[0]) as fetcher:  # fmt: skip
            for day in range(days):
                now[0] = START + timedelta(days=day)
                mono[0] = day * 86400.0
                serve(feed_xml(day, items))
                await poll_feed(config.feeds[0], store=store, fetcher=fetcher, ruleset=ruleset,
                                destinations=config.destinations, clock=lambda: now[0])  # fmt: skip
                await deliver_all(config.destinations, store=store, notifiers=notifiers,
                                  clock=lambda: now[0])  # fmt: skip
                for n in range(HOSTS_PER_DAY):  # article pages on hosts never seen before
                    host = f"127.{day // 250}.{day % 250}.{n + 2}"
                    # nothing listens there: only the politeness state matters
                    with contextlib.suppress(FetchError):
                        await fetcher.fetch_article(f"http://{host}:9/a", allow_private_hosts=True)
                housekeeper.run(store, now=now[0] + timedelta(hours=12), fetcher=fetcher)
                out.append(Day(day, size_on_disk(store.path), store.count_items(),
                               fetcher.hosts_remembered, len(backups(store.path))))  # fmt: skip
    return out


def main() -> None:
    from tests.servers import FeedServer, running

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--items", type=int, default=30, help="items a day (a third match)")
    ap.add_argument("--retention", default="30d")
    args = ap.parse_args()
    server = FeedServer()
    with running(server), tempfile.TemporaryDirectory() as tmp:
        days = asyncio.run(
            simulate(
                Path(tmp),
                lambda body: server.serve("/soak.xml", body),
                server.url("/soak.xml"),
                days=args.days,
                items=args.items,
                retention=args.retention,
            )
        )
    print(f"{'day':>4} {'state on disk':>14} {'items kept':>10} {'hosts':>6} {'backups':>7}")
    for d in days:
        if d.day % 10 == 9 or d.day == len(days) - 1:
            print(f"{d.day + 1:>4} {d.size:>14,} {d.items:>10,} {d.hosts:>6} {d.backups:>7}")


if __name__ == "__main__":
    main()
