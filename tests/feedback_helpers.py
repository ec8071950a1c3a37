"""A stored state to give feedback on: `newsbot once` over a local feed, a Slack receiver and a
rules file of its own (review --apply edits it). Texts are invented for the tests."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, load_config
from tests.servers import FeedServer, SlackReceiver, free_port, running

SECRET = "test-feedback-secret-0123456789"

RULES = """\
aliases:
  VN: [Vietnam, Việt Nam]
  JP: [Japan, Nhật Bản]
rules:
  - name: vn-jp
    description: Both countries named
    all: [$VN, $JP]
    none: [football]
    examples:
      match:
        - "Japan and Vietnam agree on a new rail loan"
      no_match:
        - {title: "Vietnam beat Japan in football friendly"}
"""

# title, link, description
ITEMS = [
    (
        "Japan and Vietnam sign coast guard patrol deal",
        "https://news.example/coast-guard",
        "Tokyo will hand Hanoi six patrol vessels under the new deal.",
    ),
    (
        "Vietnam and Japan fans crowd a karaoke contest in Osaka",
        "https://news.example/karaoke",
        "Singers from Vietnam and Japan met at the annual karaoke night.",
    ),
    (
        "Nhật Bản và Việt Nam ký thỏa thuận lao động",
        "https://news.example/lao-dong",
        "Hai nước ký thỏa thuận về lao động kỹ năng.",
    ),
    ("Gold prices rise again", "https://news.example/gold", "Markets rallied."),
]


def rss(items: list[tuple[str, str, str]]) -> str:
    # dated now: an undated item or an old one is held back by the age policy ([fetch] max_age)
    date = format_datetime(datetime.now(UTC))
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{date}</pubDate><description>{d}</description></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Harbour '
        f"Times</title>{body}</channel></rss>"
    )


@dataclass
class Stored:
    tmp: Path
    cfg: Path
    rules: Path
    port: int  # the feedback service's, free when the fixture ran
    slack: SlackReceiver
    feeds: FeedServer
    environ: dict[str, str]

    def config(self) -> Config:
        return load_config(self.cfg, environ=self.environ)

    @property
    def state(self) -> Path:
        return self.tmp / "state.sqlite3"

    def item_id(self, title: str) -> int:
        with sqlite3.connect(self.state) as db:
            row = db.execute("SELECT id FROM items WHERE title = ?", (title,)).fetchone()
        assert row, f"no stored item {title!r}"
        return int(row[0])

    def feedback_rows(self) -> list[tuple[str, str, int | None, str]]:
        with sqlite3.connect(self.state) as db:
            rows = db.execute(
                "SELECT verdict, destination, item_id, note FROM feedback ORDER BY id"
            ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def write_config(tmp: Path, feeds: FeedServer, port: int) -> Path:
    cfg = tmp / "newsbot.toml"
    cfg.write_text(
        f"""
[state]
path = "state.sqlite3"
[rules]
paths = ["rules.yaml"]
[feedback]
listen = "127.0.0.1:{port}"
base_url = "http://127.0.0.1:{port}/"
secret = "${{NEWSBOT_FEEDBACK_SECRET}}"
rate_limit = 200
[[feeds]]
url = "{feeds.url("/news.xml")}"
name = "Harbour Times"
interval = "1s"
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "${{SLACK_WEBHOOK_URL}}"
""",
        encoding="utf-8",
    )
    return cfg


@contextmanager
def stored_state(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, *, run_once: bool = True
) -> Iterator[Stored]:
    """Servers up, config written; with `run_once`, one `newsbot once` has stored and sent."""
    feeds = FeedServer()
    feeds.serve("/news.xml", rss(ITEMS))
    slack = SlackReceiver()
    (tmp / "rules.yaml").write_text(RULES, encoding="utf-8")
    with running(feeds), running(slack):
        port = free_port()
        cfg = write_config(tmp, feeds, port)
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "NOTIFY_"))}
        environ |= {"SLACK_WEBHOOK_URL": slack.url, "NEWSBOT_FEEDBACK_SECRET": SECRET}
        stored = Stored(tmp, cfg, tmp / "rules.yaml", port, slack, feeds, environ)
        monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        monkeypatch.setenv("NEWSBOT_FEEDBACK_SECRET", SECRET)
        if run_once:
            assert main(["--config", str(cfg), "once"]) == 0
        yield stored
