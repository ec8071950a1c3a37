"""Feed-to-Slack latency of `newsbot run` (issue 5): how long a new item takes to reach Slack.

    .venv/bin/python bench/service_latency.py                      # interval 30 s, 4 samples
    .venv/bin/python bench/service_latency.py --interval 30 --samples 8

The daemon runs as a real subprocess against a feed server and a Slack webhook receiver on
127.0.0.1, one feed polled every `--interval` (default jitter 10 %), a Slack destination without a
schedule (delivered after the poll that finds the item). Each sample publishes a new relevant item at
a random moment and times its arrival at the receiver. Expectation: uniform over one interval
(mean ~interval/2, max ~interval x 1.1) plus the cycle itself (fetch + parse + match + post).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import FeedServer, SlackReceiver, running

RULES = """
aliases:
  VN: [Vietnam]
  JP: [Japan]
rules:
  - name: vn-jp
    description: Both countries named
    all: [$VN, $JP]
"""


def rss(n: int) -> str:
    items = "".join(
        f"<item><title>Vietnam and Japan story s{i}x</title><link>https://n.example/{i}</link>"
        f"<guid>https://n.example/{i}</guid><pubDate>{format_datetime(datetime.now(UTC))}</pubDate>"
        f"<description>Story {i}.</description></item>"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>D</title>{items}</channel></rss>'
    )


def arrived(slack: SlackReceiver, i: int) -> bool:
    return f"story s{i}x" in json.dumps(slack.payloads)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interval", type=float, default=30.0)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    feeds, slack = FeedServer(), SlackReceiver()
    feeds.serve("/f.xml", rss(1))
    with tempfile.TemporaryDirectory() as tmp, running(feeds), running(slack):
        d = Path(tmp)
        (d / "rules.yaml").write_text(RULES)
        (d / "newsbot.toml").write_text(
            f"""[state]\npath = "s.sqlite3"\n[rules]\npaths = ["rules.yaml"]\n
[[feeds]]\nurl = "{feeds.url("/f.xml")}"\ninterval = {args.interval}\n
[[destinations]]\nname = "slack"\ntype = "slack"\nwebhook_url = "{slack.url}"\n"""
        )
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("NOTIFY_SOCKET", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(d / "newsbot.toml"), "run"],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not slack.payloads:  # the first poll delivers the first item
                time.sleep(0.05)
            latencies = []
            for i in range(1, args.samples + 1):
                time.sleep(rnd.uniform(0, args.interval))
                feeds.serve("/f.xml", rss(i + 1))
                t0 = time.monotonic()
                while not arrived(slack, i):
                    time.sleep(0.02)
                latencies.append(time.monotonic() - t0)
                print(f"sample {i}: {latencies[-1]:.2f} s", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
    print(
        f"interval {args.interval:g} s, {len(latencies)} samples: min {min(latencies):.2f} s, "
        f"median {statistics.median(latencies):.2f} s, mean {statistics.mean(latencies):.2f} s, "
        f"max {max(latencies):.2f} s (bound: interval x 1.1 + one cycle)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
