"""`newsbot once` end to end over N local feeds: the command a user runs, delivery included.

    .venv/bin/python bench/once_bench.py              # N = 300 feeds of 30 items, 200 ms per response
    .venv/bin/python bench/once_bench.py --n 100 300 --latency 0.2

Feeds come from the synthetic server in bench/feeds.py (four languages, its own process). Each N runs
`newsbot once` twice as a subprocess against a fresh state file with a `file` destination (json):
the first cycle stores and delivers every match, the second finds nothing new. Prints wall seconds
and items/s per cycle, and how many items the first digest carried.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feeds import feed_server

ROOT = Path(__file__).resolve().parent.parent


def run_once(config: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "once", "--quiet"],
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def bench(n: int, *, items: int, latency: float) -> str:
    with tempfile.TemporaryDirectory() as tmp, feed_server(n, items, latency) as base:
        folder = Path(tmp)
        feeds = "".join(f'[[feeds]]\nurl = "{base}/feeds/{i}.xml"\n\n' for i in range(n))
        config = folder / "newsbot.toml"
        config.write_text(
            f'[state]\npath = "state.sqlite3"\n[rules]\npaths = ["{ROOT / "rules"}"]\n'
            # one loopback host stands in for N outlets: lift the per-host politeness limit; the
            # generated items are dated May 2026: max_age off, so cycle 1 delivers every match
            f'[fetch]\nper_host = 100\nmax_age = "off"\n\n{feeds}'
            '[[destinations]]\nname = "archive"\ntype = "file"\ndir = "out"\nformat = "json"\n',
            encoding="utf-8",
        )
        first = run_once(config)
        delivered = sum(
            1 + len(e["merged_item_ids"])
            for p in (folder / "out").glob("*.json")
            for e in json.loads(p.read_text())["entries"]
        )
        second = run_once(config)
    total = n * items
    return (
        f"N = {n:>5} feeds ({total:,} items): once #1 {first:6.2f} s ({total / first:,.0f} items/s, "
        f"{delivered} delivered), once #2 {second:6.2f} s (nothing new)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[300], help="numbers of feeds")
    parser.add_argument("--items", type=int, default=30, help="items per feed (default 30)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per response")
    args = parser.parse_args()
    print(f"once_bench: {args.items}-item feeds, {args.latency * 1000:.0f} ms per response")
    for n in args.n:
        print(bench(n, items=args.items, latency=args.latency), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
