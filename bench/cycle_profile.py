"""Profile the event-loop process of a poll cycle (issue 6): where the main process spends its CPU.

    .venv/bin/python bench/cycle_profile.py                  # N = 1,000, cycle 1 and cycle 2
    .venv/bin/python bench/cycle_profile.py --n 1000 --top 40 --sort tottime
    .venv/bin/python bench/cycle_profile.py --no-profile     # CPU figures only, no cProfile overhead

Same feeds, server and pipeline as bench/poll_bench.py (`run_cycle`). Parse + match run in worker
processes, so the CPU printed here is the main process alone (time.process_time): fetching, storing,
unpickling worker results and pipeline overhead. The profile counts the main thread's CPU time (the
executor's own threads, which pickle jobs and unpickle results, show in the total only). Compare it with "fetch alone" (also printed), the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feeds import feed_server
from poll_bench import ROOT, fetch_all, fetch_settings, run_cycle


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    ap.add_argument("--only", help="restrict the listing to paths matching this regex, e.g. 'bot/'")
    ap.add_argument("--no-profile", action="store_true", help="only the CPU figures")
    args = ap.parse_args()

    from bot.rules import load_rules
    from bot.store import Store

    settings = fetch_settings(args.concurrency, args.clients)
    ruleset = load_rules([ROOT / "rules"])
    # poll_bench's cycle 1 pays these imports (httpx, bs4 ...); a daemon pays them once, not per cycle
    c0 = time.process_time()
    import bot.pipeline  # noqa: F401

    print(
        f"one-time imports of the pipeline: CPU {time.process_time() - c0:.2f} s (not counted below)"
    )
    with (
        feed_server(args.n, args.items, args.latency) as base,
        tempfile.TemporaryDirectory() as tmp,
    ):
        urls = [f"{base}/feeds/{i}.xml" for i in range(args.n)]
        with Store(Path(tmp) / "state.sqlite3") as store:
            for cycle in (1, 2):
                # thread_time: the main thread's CPU, not its wall time waiting for the GIL or I/O
                prof = None if args.no_profile else cProfile.Profile(time.thread_time)
                t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
                if prof is not None:
                    prof.enable()
                report = asyncio.run(run_cycle(urls, settings, store, ruleset))
                if prof is not None:
                    prof.disable()
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                main_thread = time.thread_time() - m0
                print(
                    f"cycle {cycle}: wall {wall:.2f} s, main-process CPU {cpu:.2f} s "
                    f"(event loop {main_thread:.2f}, executor threads {cpu - main_thread:.2f}), "
                    f"{report.new} new, {report.matched} matched, {len(report.failed)} failed"
                )
                if prof is not None:
                    stats = pstats.Stats(prof).sort_stats(args.sort)
                    stats.print_stats(*([args.only] if args.only else []), args.top)
        floors = _floors(urls, settings)
    for name, (wall, cpu) in floors.items():
        print(f"floor: fetch alone, {name}: wall {wall:.2f} s, CPU {cpu:.2f} s")
    return 0


def _floors(urls: list[str], settings: object) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    results = asyncio.run(fetch_all(urls, settings))
    out["200s"] = (time.perf_counter() - t0, time.process_time() - c0)
    etags = {r.url: r.etag for r in results}
    t0, c0 = time.perf_counter(), time.process_time()
    asyncio.run(fetch_all(urls, settings, etags))
    out["304s"] = (time.perf_counter() - t0, time.process_time() - c0)
    return out


if __name__ == "__main__":
    sys.exit(main())
