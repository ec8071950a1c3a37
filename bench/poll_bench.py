"""Poll-cycle benchmark (issue 6): N synthetic 30-item feeds in four languages, served from loopback.

    .venv/bin/python bench/poll_bench.py                 # N = 200 and 1,000, 200 ms latency
    .venv/bin/python bench/poll_bench.py --n 200 1000 10000 --latency 0.2

For each N, in a fresh process (so peak RSS belongs to that N): the feed server runs in its own process
(its CPU is not ours), then
  1. cycle 1: the real pipeline (bot.pipeline.poll_feeds: fetch, parse, store, match) - all new items,
     worker processes started and rules loaded inside the cycle, as `newsbot once` does; the
     pipeline's modules are imported before it (printed apart: a process pays that once);
  2. cycle 2: the same again - every feed answers 304;
  3. floors measured in the same run: fetching alone (200s, then 304s) with the same Fetcher settings,
     and feedparser.parse alone over the same documents on one core (plus bot.parse.parse_feed).
Targets (issue 6): cycle 1 wall <= 1.3 x max(network floor, parse floor / cores); cycle 2 CPU <= 1.2 x
the CPU of fetching the 304s alone; peak RSS < 200 MB at N = 1,000; N = 200 at least 10x faster than
rss2email's 76 s.

On a small shared machine one run of a figure varies by +-10-15 %, the floors as much as the cycles, so
one run decides a target by chance: each N is run --repeat times (default 3), each time in a fresh
process, and every figure shown is the median of its runs (the cycle-1 walls and targets of each run
are printed too).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from feeds import feed_server  # noqa: E402  (bench/ is not a package)

# ---------------------------------------------------------------------------- measuring


@dataclass
class Figure:
    wall: float
    cpu: float  # this process + reaped workers
    items: int = 0

    @property
    def items_per_s(self) -> float:
        return self.items / self.wall if self.wall else 0.0


@contextmanager
def measure(out: dict[str, Figure], name: str) -> Iterator[None]:
    gc.collect()  # the garbage of the step before is not this step's cost
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    yield
    out[name] = Figure(time.perf_counter() - t0, time.process_time() - c0 + _children_cpu() - k0)


def _children_cpu() -> float:
    # getrusage counts microseconds; os.times() clock ticks (10 ms), a twentieth of cycle 2
    t = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t.ru_utime + t.ru_stime


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def fetch_settings(concurrency: int, clients: int) -> Any:
    from bot.config import FetchConfig

    # every synthetic feed lives on 127.0.0.1, so the per-host limit is lifted to the global one
    return FetchConfig(concurrency=concurrency, per_host=concurrency, clients=clients)


async def fetch_all(
    urls: list[str], settings: Any, etags: dict[str, str] | None = None
) -> list[Any]:
    import bot
    from bot.fetch import Fetcher

    async with Fetcher(settings=settings, user_agent=bot.USER_AGENT) as f:
        return await asyncio.gather(*(f.fetch(u, etag=(etags or {}).get(u)) for u in urls))


async def run_cycle(urls: list[str], settings: Any, store: Any, ruleset: Any) -> Any:
    import bot
    from bot.config import FeedConfig
    from bot.fetch import Fetcher
    from bot.models import utcnow
    from bot.pipeline import poll_feeds, workers_for

    feeds = [FeedConfig(url=u, name=f"feed {i}") for i, u in enumerate(urls)]
    # the same worker policy as `newsbot once` (bot.cycle.run_once)
    with workers_for(feeds, store=store, ruleset=ruleset) as workers:
        async with Fetcher(settings=settings, user_agent=bot.USER_AGENT) as f:
            return await poll_feeds(
                feeds,
                store=store,
                fetcher=f,
                ruleset=ruleset,
                destinations=(),
                clock=utcnow,
                analyzer=workers,
            )


def bench_one(
    n: int, *, items: int, latency: float, concurrency: int, clients: int
) -> dict[str, Any]:
    import feedparser

    from bot.parse import parse_feed
    from bot.rules import load_rules
    from bot.store import Store

    settings = fetch_settings(concurrency, clients)
    ruleset = load_rules([ROOT / "rules"])
    figs: dict[str, Figure] = {}
    # what a process pays once, before its first cycle (a daemon never again): not a cycle's cost
    with measure(figs, "imports"):
        import bot.fetch
        import bot.pipeline
        import bot.workers  # noqa: F401
    with feed_server(n, items, latency) as base, tempfile.TemporaryDirectory() as tmp:
        urls = [f"{base}/feeds/{i}.xml" for i in range(n)]
        with Store(Path(tmp) / "state.sqlite3") as store:
            with measure(figs, "cycle1"):
                r1 = asyncio.run(run_cycle(urls, settings, store, ruleset))
            with measure(figs, "cycle2"):
                r2 = asyncio.run(run_cycle(urls, settings, store, ruleset))
        figs["cycle1"].items, figs["cycle2"].items = r1.items, r2.items
        failed = len(r1.failed) + len(r2.failed)
        rss_cycle = _rss_mb()
        with measure(figs, "fetch200"):
            results = asyncio.run(fetch_all(urls, settings))
        etags = {r.url: r.etag for r in results}
        with measure(figs, "fetch304"):
            asyncio.run(fetch_all(urls, settings, etags))
    bodies = [r.body for r in results]
    with measure(figs, "feedparser"):
        for body in bodies:
            feedparser.parse(io.BytesIO(body))
    with measure(figs, "parse_feed"):
        parsed = [
            parse_feed(b, url=u, headers=r.headers)
            for b, u, r in zip(bodies, urls, results, strict=True)
        ]
    from bot.models import Document

    with measure(figs, "match"):
        for feed in parsed:
            for it in feed.items:
                ruleset.match(Document(it.title, it.summary, it.content, it.lang))
    for name in ("fetch200", "fetch304"):
        figs[name].items = n * items if name == "fetch200" else 0
    figs["feedparser"].items = figs["parse_feed"].items = sum(len(p.items) for p in parsed)
    with measure(figs, "parse_pool"), ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(_parse_one, bodies, urls, chunksize=8))
    figs["parse_pool"].items = figs["match"].items = figs["parse_feed"].items
    return {
        "n": n,
        "figures": {k: asdict(v) for k, v in figs.items()},
        "rss_cycle_mb": rss_cycle,
        "failed": failed,
        "new_items": r1.new,
    }


def _parse_one(body: bytes, url: str) -> int:
    from bot.parse import parse_feed

    return len(parse_feed(body, url=url).items)


# ---------------------------------------------------------------------------- report


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs; the largest peak RSS and failure count."""
    figures = {
        name: {
            field: statistics.median(r["figures"][name][field] for r in runs) for field in values
        }
        for name, values in runs[0]["figures"].items()
    }
    return {
        **runs[0],
        "figures": figures,
        "rss_cycle_mb": max(r["rss_cycle_mb"] for r in runs),
        "failed": max(r["failed"] for r in runs),
    }


def each_run(runs: list[dict[str, Any]], *, cores: int) -> str:
    parts = []
    for r in runs:
        f = {k: Figure(**v) for k, v in r["figures"].items()}
        parts.append(f"{f['cycle1'].wall:.2f} (<= {cycle1_target(f, cores=cores):.2f})")
    return f"cycle 1 wall of each run (its target): {', '.join(parts)}"


def cycle1_target(f: dict[str, Figure], *, cores: int) -> float:
    """1.3 x max(network floor, parse floor / cores)."""
    return 1.3 * max(f["fetch200"].wall, f["feedparser"].cpu / cores)


def report(res: dict[str, Any], *, cores: int) -> list[str]:
    f = {k: Figure(**v) for k, v in res["figures"].items()}
    n = res["n"]
    target1 = cycle1_target(f, cores=cores)
    rows = [
        f"N = {n:,} feeds ({res['new_items']:,} new items stored, {res['failed']} feed failures), "
        f"peak RSS after both cycles {res['rss_cycle_mb']:.0f} MB",
        f"  {'':<34}{'wall s':>8}{'CPU s':>8}{'items/s':>10}   target",
        _row(
            "cycle 1 (fetch+parse+store+match)",
            f["cycle1"],
            f"wall <= {target1:.2f}",
            f["cycle1"].wall <= target1,
        ),
        _row(
            "cycle 2 (all 304)",
            f["cycle2"],
            f"CPU <= {1.2 * f['fetch304'].cpu:.2f}",
            f["cycle2"].cpu <= 1.2 * f["fetch304"].cpu,
        ),
        _row("floor: fetch alone, 200s", f["fetch200"]),
        _row("floor: fetch alone, 304s", f["fetch304"]),
        _row(
            "floor: feedparser.parse, 1 core",
            f["feedparser"],
            f"/ {cores} cores = {f['feedparser'].cpu / cores:.2f} s",
        ),
        _row("bot.parse.parse_feed, 1 core", f["parse_feed"]),
        _row(f"parse_feed in a {cores}-process pool", f["parse_pool"]),
        _row("rules: ruleset.match alone, 1 core", f["match"]),
        _row("one-time imports (before cycle 1)", f["imports"]),
    ]
    if n == 200:
        rows.append(
            f"  vs rss2email 3.14 (76 s first poll): {76 / f['cycle1'].wall:.1f}x faster (target >= 10x)"
        )
    if n == 1000:
        ok = res["rss_cycle_mb"] < 200
        rows.append(
            f"  peak RSS {res['rss_cycle_mb']:.0f} MB (target < 200 MB) {'ok' if ok else 'MISSED'}"
        )
    return rows


def _row(name: str, fig: Figure, target: str = "", ok: bool | None = None) -> str:
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    ips = f"{fig.items_per_s:>10,.0f}" if fig.items else f"{'':>10}"
    return f"  {name:<34}{fig.wall:>8.2f}{fig.cpu:>8.2f}{ips}   {target}{mark}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--latency", type=float, default=0.2, help="seconds per response (default 0.2)")
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument(
        "--clients", type=int, default=4, help="[fetch] clients (raised to keep pools small)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per N, medians shown (default 3)")
    ap.add_argument("--json", action="store_true", help="print raw figures as JSON lines too")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        res = bench_one(
            args.one,
            items=args.items,
            latency=args.latency,
            concurrency=args.concurrency,
            clients=args.clients,
        )
        print(json.dumps(res))
        return 0
    from bot.fetch.fetcher import client_count

    cores = os.cpu_count() or 1
    clients = client_count(fetch_settings(args.concurrency, args.clients))
    print(
        f"poll_bench: {args.items}-item feeds, {args.latency * 1000:.0f} ms per response, "
        f"concurrency {args.concurrency} over {clients} httpx clients, {cores} cores"
    )
    for n in args.n:
        runs = []
        for _ in range(max(1, args.repeat)):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(n), "--items", str(args.items), "--latency", str(args.latency),
                 "--concurrency", str(args.concurrency), "--clients", str(args.clients)],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            runs.append(json.loads(out.strip().splitlines()[-1]))
            if args.json:
                print(json.dumps(runs[-1]))
        print()
        print("\n".join(report(median_of(runs), cores=cores)))
        if len(runs) > 1:
            print("  " + each_run(runs, cores=cores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
