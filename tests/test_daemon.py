"""`newsbot run` as a real subprocess against local feed and Slack servers, intervals of a second.

One daemon per test; each test walks a whole story (deliver, reload, stop) so the suite pays for
few process start-ups. Waits poll for an outcome with a generous deadline; nothing asserts a speed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.servers import FeedServer, MailSink, SlackReceiver, rfc822, running, smtp_server

DEADLINE = 20.0

RULES_V1 = """
aliases:
  VN: [Vietnam, Việt Nam]
  JP: [Japan, Nhật Bản]
rules:
  - name: vn-jp
    description: Both countries named
    all: [$VN, $JP]
  - name: vn-jp-ports
    description: Port deals cannot wait for the morning digest
    all: [$VN, $JP, port]
    urgent: true
"""
RULES_BROKEN = "rules:\n  - name: vn-jp\n    all: [unclosed\n"
RULES_V2 = (
    RULES_V1
    + """
  - name: vn-kr
    description: Vietnam and Korea
    all: [$VN, Korea]
"""
)


def rss(items: list[tuple[str, str]], *, age: dict[str, timedelta] | None = None) -> str:
    """Items published now, or `age[link]` ago."""
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>{rfc822(now - (age or {}).get(u, timedelta()))}</pubDate>"
        f"<description>{t}, reported by our desk.</description></item>"
        for t, u in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>{body}</channel></rss>'


def wait_for(what: str, pred: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Env:
    tmp: Path
    cfg: Path
    rules: Path
    feeds: FeedServer
    slack: SlackReceiver
    mail: MailSink
    notify: socket.socket
    env: dict[str, str]
    received: list[str]

    def start(self) -> subprocess.Popen[bytes]:
        with (self.tmp / "daemon.log").open("wb") as log:  # the child keeps its own copy
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(self.cfg), "run"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def status(self) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(self.cfg), "status", "--json"],
            env=self.env,
            capture_output=True,
            check=False,
        )
        assert out.returncode in (0, 1), out.stderr.decode()
        data: dict[str, Any] = json.loads(out.stdout)
        return data

    def slack_text(self) -> str:
        return json.dumps(self.slack.payloads, ensure_ascii=False)

    def mail_text(self) -> str:
        return "".join(m.get_body(("plain",)).get_content() for m in self.mail.messages)

    def posts_with(self, text: str) -> list[dict[str, Any]]:
        return [p for p in self.slack.payloads if text in json.dumps(p, ensure_ascii=False)]

    def daemon_log(self) -> str:
        return (self.tmp / "daemon.log").read_text(errors="replace")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    feeds = FeedServer()
    feeds.serve("/desk.xml", rss([("Vietnam and Japan sign a port deal", "https://n.example/1")]))
    feeds.serve("/broken.xml", "nope", status=500)
    slack = SlackReceiver()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_V1, encoding="utf-8")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(0.2)
    received: list[str] = []
    stop_reading = threading.Event()

    def read() -> None:  # as systemd does: always draining, so the daemon never sees a full queue
        while not stop_reading.is_set():
            with contextlib.suppress(TimeoutError):
                received.extend(notify.recv(4096).decode().split("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with running(feeds), running(slack), smtp_server() as (mail, smtp_port):
        cfg = tmp_path / "newsbot.toml"
        cfg.write_text(
            f"""
[state]
path = "state.sqlite3"
[rules]
paths = ["rules.yaml"]
[service]
heartbeat = "1s"
jitter = 0.1
max_backoff = "2s"
notice_destination = "ops"
notice_feed_failures = 2
[[feeds]]
url = "{feeds.url("/desk.xml")}"
name = "Desk"
interval = "1s"
[[feeds]]
url = "{feeds.url("/broken.xml")}"
name = "Broken"
interval = "1s"
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "${{SLACK_WEBHOOK_URL}}"
[[destinations]]
name = "desk-mail"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
from = "newsbot@example.org"
to = ["desk@example.org"]
schedule = "0 8 * * *"
timezone = "Asia/Ho_Chi_Minh"
[[destinations]]
name = "archive"
type = "file"
dir = "archive"
format = "json"
every = "2s"
[[destinations]]
name = "ops"
type = "file"
dir = "ops"
format = "text"
rules = ["no-such-rule"]
""",
            encoding="utf-8",
        )
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "NOTIFY_"))}
        environ |= {
            "SLACK_WEBHOOK_URL": slack.url,
            "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
            "WATCHDOG_USEC": "2000000",  # a ping every second
            "PYTHONUNBUFFERED": "1",
        }
        yield Env(tmp_path, cfg, rules, feeds, slack, mail, notify, environ, received)
    stop_reading.set()
    reader.join()
    notify.close()


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def test_daemon_delivers_reloads_and_stops_cleanly(env: Env) -> None:
    proc = env.start()
    try:
        # systemd hears READY=1 and, from the heartbeat job, WATCHDOG=1
        wait_for("READY=1 and WATCHDOG=1", lambda: {"READY=1", "WATCHDOG=1"} <= set(env.received))
        assert any(s.startswith("STATUS=") for s in env.received)

        wait_for("first item on Slack", lambda: "port deal" in env.slack_text())

        # a new item in the feed is delivered on the next cycle; of two port stories surfacing
        # late, the 2-day-old one waits for the digest (urgent_max_age 24h), the 10-day-old one
        # is backlog (max_age 3d): stored, delivered nowhere
        env.feeds.serve("/desk.xml", rss([
            ("Vietnam and Japan sign a port deal", "https://n.example/1"),
            ("Japan and Vietnam open a rail line", "https://n.example/2"),
            ("Japan and Vietnam plan a port upgrade", "https://n.example/old1"),
            ("Vietnam and Japan broke ground on a port", "https://n.example/old2"),
        ], age={"https://n.example/old1": timedelta(days=2),
                "https://n.example/old2": timedelta(days=10)}))  # fmt: skip
        wait_for("second item on Slack", lambda: "rail line" in env.slack_text())
        assert len(env.posts_with("port deal")) == 1  # not posted twice
        assert "port upgrade" in env.slack_text() and "broke ground" not in env.slack_text()
        assert _feed(env.status(), "Desk")["held_back"] == 1

        # the mail desk gets its digest at 08:00 Saigon time, but the urgent rule's match at once
        wait_for("urgent mail", lambda: env.mail_text())
        assert "port deal" in env.mail_text() and "rail line" not in env.mail_text()

        # the scheduled destination got its digest under a period key
        wait_for("archive digest", lambda: list((env.tmp / "archive").glob("archive_every2s*")))

        # the failing feed produced exactly one operator notice (failures 2, 3, 4... say nothing)
        wait_for("feed notice", lambda: list((env.tmp / "ops").glob("*.txt")))
        wait_for(
            "more failures", lambda: _feed(env.status(), "Broken")["consecutive_failures"] >= 4
        )
        notices = list((env.tmp / "ops").glob("*.txt"))
        assert len(notices) == 1 and "Broken" in notices[0].read_text()

        # a broken rule edit + SIGHUP: still running, old rules in force, status shows the error
        env.rules.write_text(RULES_BROKEN, encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        wait_for("rule error in status", lambda: (env.status()["rules"] or {}).get("error"))
        assert proc.poll() is None
        assert "rules.yaml" in env.status()["rules"]["error"]
        env.feeds.serve("/desk.xml", rss([
            ("Japan and Vietnam open a rail line", "https://n.example/2"),
            ("Vietnam and Japan agree on a bridge loan", "https://n.example/3"),
            ("Vietnam and Korea hold talks", "https://n.example/4"),
        ]))  # fmt: skip
        wait_for("old rules still matching", lambda: "bridge loan" in env.slack_text())

        # the fixed file is picked up by the watcher, without a signal; the new rule applies
        env.rules.write_text(RULES_V2, encoding="utf-8")
        wait_for("rule error cleared", lambda: not (env.status()["rules"] or {}).get("error"))
        assert env.status()["rules"]["rules"] == 3
        env.feeds.serve("/desk.xml", rss([
            ("Vietnam and Korea hold talks", "https://n.example/4"),  # seen under the old rules
            ("Vietnam and Korea sign a tech pact", "https://n.example/5"),
        ]))  # fmt: skip
        wait_for("new rule matching", lambda: "tech pact" in env.slack_text())
        assert "hold talks" not in env.slack_text()

        # SIGTERM: exit 0 promptly, nothing left undelivered
        started = time.monotonic()
        assert stop(proc) == 0
        assert time.monotonic() - started < 10
        assert "STOPPING=1" in env.received
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    status = env.status()
    slack = next(d for d in status["destinations"] if d["name"] == "desk-slack")
    assert slack["pending"] == 0, env.daemon_log()
    # by now every urgent send of every cycle is done: the 2-day-old port story was not one
    assert "port upgrade" not in env.mail_text()  # older than urgent_max_age
    assert not status["daemon"]["alive"]  # a clean stop is recorded, not inferred from heartbeats
    log = env.daemon_log()
    assert "daemon_stopped" in log
    assert env.slack.url not in log and "/services/T000" not in log  # the webhook URL is a secret


def _feed(status: dict[str, Any], name: str) -> dict[str, Any]:
    feed: dict[str, Any] = next(f for f in status["feeds"] if f["name"] == name)
    return feed


def test_bad_config_exits_2_before_starting(env: Env) -> None:
    env.cfg.write_text(env.cfg.read_text() + "\nbogus = 1\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(env.cfg), "run"],
        env=env.env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 2
    assert b"bogus" in out.stderr


def _slow_slack(env: Env, seconds: float) -> tuple[threading.Event, threading.Event]:
    """Slack takes `seconds` to accept; returns (a send has started, release it early)."""
    started, release = threading.Event(), threading.Event()

    def answer(payload: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        started.set()
        release.wait(seconds)
        return 200, b"ok", {}

    env.slack.answer = answer
    return started, release


def _desk_pending(env: Env) -> int:
    status = env.status()
    pending: int = next(d for d in status["destinations"] if d["name"] == "desk-slack")["pending"]
    return pending


def _sigterm_during_slow_send(env: Env, seconds: float) -> None:
    """Start the daemon, SIGTERM it while Slack is accepting the first digest; exit 0 within 10 s."""
    started, release = _slow_slack(env, seconds)
    proc = env.start()
    try:
        assert started.wait(DEADLINE)
        t0 = time.monotonic()
        assert stop(proc) == 0
        assert time.monotonic() - t0 < 10
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_lets_an_inflight_delivery_finish(env: Env) -> None:
    _sigterm_during_slow_send(env, 2.0)
    assert env.posts_with("port deal")  # the send finished before the exit
    assert _desk_pending(env) == 0


def test_sigterm_leaves_a_stuck_delivery_pending_not_lost(env: Env) -> None:
    _sigterm_during_slow_send(env, 30.0)
    assert _desk_pending(env) == 1  # still owed: the next start sends it again
    assert "abandoned=1" in env.daemon_log()
