"""`newsbot demo`: a full cycle on bundled sample feeds — no credentials, no internet.

The sample feeds are served from a throwaway HTTP server on 127.0.0.1 so the demo exercises the real
fetcher, parser, store, rules and renderers, exactly as a configured deployment would.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.i18n import LOCALES
from bot.log import setup_logging

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "feeds"

CONFIG = """\
# Written by `newsbot demo`: the bundled sample feeds, served on 127.0.0.1.
[state]
path = "newsbot.sqlite3"

[rules]
paths = [{rules}]

[fetch]
# The sample articles carry fixed dates, older than the default max_age ("3d"): a real installation
# would hold them back as backlog. "off" lets the demo show them all.
max_age = "off"

{feeds}
[[destinations]]
name = "terminal"
type = "console"
locale = "{locale}"            # en | vi | ja | id: the language newsbot writes the digest in

[[destinations]]
name = "email-preview"      # the email digest's HTML, written to a file instead of sent
type = "file"
dir = "digests"
format = "html"
timezone = "Asia/Ho_Chi_Minh"
locale = "{locale}"
"""


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="run one cycle on the bundled sample feeds (no credentials, no internet)",
        description=(
            "Serve the bundled sample feeds (English, Vietnamese, Japanese, Indonesian) on 127.0.0.1, "
            "run one full cycle with the given rules, print the digest, and write an HTML preview of "
            "the email digest. State starts fresh on every run."
        ),
    )
    p.add_argument("--out", default="demo-out", help="working folder (default: demo-out)")
    p.add_argument(
        "--rules",
        help="rule file or folder (default: ./rules, else the default rules of this checkout)",
    )
    p.add_argument(
        "--locale",
        choices=LOCALES,
        default="en",
        help="the digests' language: en (default), vi, ja or id",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_config
    from bot.cycle import notifiers_for, run_once
    from bot.models import utcnow
    from bot.rules import load_rules
    from bot.store import Store

    out = Path(args.out).resolve()
    rules = Path(args.rules or _default_rules()).resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "digests").mkdir(parents=True)
    setup_logging(args.log_level or "warning")
    with serve_folder(SAMPLES) as base:
        feeds = "".join(
            f'[[feeds]]\nurl = "{base}/{p.name}"\nname = "{p.stem.replace("-", " ").title()}"\n\n'
            for p in sorted(SAMPLES.glob("*.xml"))
        )
        cfg_path = out / "newsbot.toml"
        cfg_path.write_text(
            CONFIG.format(rules=f'"{rules}"', feeds=feeds, locale=args.locale), encoding="utf-8"
        )
        config = load_config(cfg_path)
        ruleset = load_rules(list(config.rules.paths))
        print(
            f"newsbot demo: {len(config.feeds)} sample feeds, rules from {rules}\n"
            'max_age = "off" for the demo: its sample articles are older than the default 3 days, '
            "which a real installation holds back as backlog ([fetch] max_age in the config)\n"
        )
        with Store(config.state.path) as store, notifiers_for(config, stream=sys.stdout) as n:
            report = asyncio.run(
                run_once(config, store=store, ruleset=ruleset, notifiers=n, clock=utcnow)
            )
    poll = report.poll
    print(
        f"\n{poll.items} items in {len(poll.outcomes)} feeds, {poll.matched} matched the rules "
        f"({len(poll.failed)} feed errors), cycle {poll.elapsed:.2f}s"
    )
    previews = sorted((out / "digests").glob("*.html"))
    for p in previews:
        print(f"HTML preview of the email digest: {p}")
    print(f"Config used: {cfg_path}\nNext: {_me()} --config {cfg_path} status")
    return 0 if previews and not poll.failed else 1


def _me() -> str:
    """How the user can run newsbot again: the command they just used, relative when shorter."""
    exe = Path(sys.argv[0]).resolve()
    if exe.name != "newsbot":
        return "newsbot"
    try:
        return str(exe.relative_to(Path.cwd()))
    except ValueError:
        return str(exe)


def _default_rules() -> Path:
    here = Path("rules")
    return here if here.exists() else Path(__file__).resolve().parents[2] / "rules"


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (a free port) for the life of the block; yields the base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
