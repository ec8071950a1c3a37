"""Digest speed: build + render (text, HTML, JSON, Slack) for N pending items with varied titles.

    .venv/bin/python bench/digest_bench.py [N ...]      (default: 200 2000)

Titles mix common words from a small vocabulary with rarer ones (seeded), with ~10 % wire copies of another title (the
same-story collapsing has real work to do). Prints milliseconds per stage.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from bot.config import ConsoleOptions, DestinationConfig
from bot.digest import build_digest
from bot.digest.render import render_html, render_json, render_text
from bot.digest.slack import slack_messages
from bot.i18n import load_translator
from bot.models import PendingItem, RuleMatch

EN = load_translator("en")

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
WORDS = [
    "Vietnam",
    "Japan",
    "Hanoi",
    "Tokyo",
    "port",
    "loan",
    "metro",
    "rail",
    "chip",
    "factory",
    "workers",
    "visa",
    "nurses",
    "summit",
    "minister",
    "trade",
    "coast",
    "guard",
    "drill",
    "exports",
    "rice",
    "seafood",
    "yen",
    "investment",
    "bridge",
    "airport",
    "scholarship",
    "students",
    "talks",
    "agreement",
    "partnership",
    "energy",
    "wind",
    "solar",
    "grid",
    "LNG",
    "steel",
    "cars",
    "Osaka",
    "Danang",
    "Haiphong",
    "Saigon",
    "Kyushu",
    "fund",
    "bank",
    "bond",
    "JICA",
    "ODA",
    "labour",
    "training",
    "tourism",
    "flights",
]


def items(n: int, rng: random.Random) -> list[PendingItem]:
    out: list[PendingItem] = []
    for i in range(n):
        if out and rng.random() < 0.1:
            base = rng.choice(out)
            title = f"{base.title} - Wire {i % 7}"
        else:
            # news titles: a few very common words plus rarer ones (names, places, numbers)
            common = [rng.choice(WORDS) for _ in range(rng.randint(2, 5))]
            rare = [f"w{rng.randint(0, 20000)}" for _ in range(rng.randint(3, 7))]
            title = " ".join(common + rare).capitalize()
        out.append(
            PendingItem(
                item_id=i,
                title=title,
                link=f"https://outlet{i % 40}.example/{i}",
                canonical_link=None,
                feed_url=f"https://outlet{i % 40}.example/rss",
                outlet=f"Outlet {i % 40}",
                lang=rng.choice(("en", "vi", "ja", "id")),
                published=NOW - timedelta(minutes=rng.randint(0, 2880)),
                fetched_at=NOW,
                summary="<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + "</p>",
                content="",
                matches=(
                    RuleMatch(
                        rule=rng.choice(("vn-jp-aid", "vn-jp-economy", "vn-jp-people")),
                        score=rng.uniform(1, 5),
                        terms=("Japan", "Vietnam", "ODA"),
                    ),
                ),
            )
        )
    return out


def main(sizes: list[int]) -> None:
    dest = DestinationConfig(name="bench", type="console", options=ConsoleOptions())
    for n in sizes:
        pending = items(n, random.Random(n))
        t0 = time.perf_counter()
        digest = build_digest(
            destination=dest, items=pending, key="bench:1", period_start=None, period_end=NOW
        )
        t1 = time.perf_counter()
        render_text(digest, EN)
        t2 = time.perf_counter()
        render_html(digest, EN)
        t3 = time.perf_counter()
        render_json(digest, EN)
        t4 = time.perf_counter()
        messages = slack_messages(digest, EN)
        t5 = time.perf_counter()
        print(
            f"{n} items -> {len(digest.entries)} entries, {len(messages)} Slack messages: "
            f"build {1000 * (t1 - t0):.0f} ms, text {1000 * (t2 - t1):.0f} ms, "
            f"html {1000 * (t3 - t2):.0f} ms, json {1000 * (t4 - t3):.0f} ms, "
            f"slack {1000 * (t5 - t4):.0f} ms"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [200, 2000])
