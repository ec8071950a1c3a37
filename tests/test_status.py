"""`newsbot status`: the report built from a real state file, its text and JSON forms, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.service_cmd import render
from bot.config import Config, load_config
from bot.status import (
    build_status,
    claim_notice,
    record_heartbeat,
    record_rules_loaded,
    record_rules_rejected,
)
from bot.store import Store

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    cfg = tmp_path / "newsbot.toml"
    cfg.write_text(
        """
[state]
path = "state.sqlite3"
[[feeds]]
url = "https://a.example/rss"
name = "Alpha"
[[feeds]]
url = "https://b.example/rss"
name = "Beta"
[[destinations]]
name = "desk"
type = "console"
schedule = "0 8 * * *"
timezone = "Asia/Ho_Chi_Minh"
[[destinations]]
name = "live"
type = "console"
""",
        encoding="utf-8",
    )
    return load_config(cfg, environ={})


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    with Store(config.state.path) as s:
        s.sync_feeds([(f.url, f.name) for f in config.feeds])
        yield s


def test_fresh_state_file(config: Config, store: Store) -> None:
    report = build_status(store, config=config, now=NOW)
    assert report.daemon is None and report.rules is None
    assert [f.name for f in report.feeds] == ["Alpha", "Beta"]
    assert not report.failing_feeds
    desk, live = report.destinations
    # next 08:00 in Saigon after 09:00 UTC (16:00 local) is tomorrow 01:00 UTC
    assert desk.next_digest == datetime(2026, 5, 5, 1, 0, tzinfo=UTC)
    assert live.next_digest is None
    text = render(report)
    assert "never ran" in text and "after each poll" in text


def test_failing_feed_and_removed_feed(config: Config, store: Store) -> None:
    store.record_fetch_failure("https://b.example/rss", now=NOW, error="fetch: 500 for b")
    store.record_fetch_failure("https://b.example/rss", now=NOW, error="fetch: 500 for b")
    store.sync_feeds([("https://gone.example/rss", "Gone")])  # no longer configured
    report = build_status(store, config=config, now=NOW)
    assert [f.name for f in report.failing_feeds] == ["Beta"]
    assert report.failing_feeds[0].consecutive_failures == 2
    assert "Gone" not in [f.name for f in report.feeds]
    assert "FAILING  Beta" in render(report) and "fetch: 500 for b" in render(report)


def test_rules_rejected_keeps_what_is_in_force(config: Config, store: Store) -> None:
    record_rules_loaded(store, files=["/etc/newsbot/rules/a.yaml"], rules=3, now=NOW)
    later = NOW + timedelta(minutes=5)
    record_rules_rejected(store, error="rules: a.yaml:4:7: unknown key 'al'", now=later)
    rules = build_status(store, config=config, now=later).rules
    assert rules is not None
    assert rules.files == ("/etc/newsbot/rules/a.yaml",) and rules.rules == 3
    assert rules.loaded_at == NOW and rules.error_at == later
    assert "unknown key" in (rules.error or "")
    # a later good load clears the error
    record_rules_loaded(store, files=["/etc/newsbot/rules/a.yaml"], rules=4, now=later)
    cleared = build_status(store, config=config, now=later).rules
    assert cleared is not None and cleared.error is None and cleared.rules == 4


def test_daemon_alive_only_with_a_recent_heartbeat(config: Config, store: Store) -> None:
    record_heartbeat(store, pid=4242, started_at=NOW, now=NOW, last_cycle_at=NOW)
    assert build_status(store, config=config, now=NOW + timedelta(seconds=10)).daemon.alive  # type: ignore[union-attr]
    stale = build_status(store, config=config, now=NOW + timedelta(minutes=10)).daemon
    assert stale is not None and not stale.alive and stale.pid == 4242
    assert "not running" in render(build_status(store, config=config, now=NOW + timedelta(hours=1)))


def test_a_notice_is_claimed_once(store: Store) -> None:
    assert claim_notice(store, "feed:https://b.example/rss:streak-1", now=NOW)
    assert not claim_notice(store, "feed:https://b.example/rss:streak-1", now=NOW)
    assert claim_notice(store, "feed:https://b.example/rss:streak-2", now=NOW)


def test_cli_status_json_and_exit_codes(config: Config, store: Store, capsys) -> None:
    args = ["--config", str(config.source), "status"]
    assert main(args) == 0
    assert "feeds (2, 0 failing)" in capsys.readouterr().out
    store.record_fetch_failure("https://a.example/rss", now=NOW, error="fetch: timeout")
    assert main([*args, "--json"]) == 1  # something is failing: a monitoring check can alert
    data = json.loads(capsys.readouterr().out)
    alpha = next(f for f in data["feeds"] if f["name"] == "Alpha")
    assert alpha["consecutive_failures"] == 1 and alpha["last_error"] == "fetch: timeout"
    assert data["failing_feeds"] == 1
    assert {d["name"] for d in data["destinations"]} == {"desk", "live"}


def test_text_report_times_are_utc() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.cli.service_cmd import _when

    eight_in_hanoi = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert _when(eight_in_hanoi) == "2026-11-24 01:00:00Z"


def test_configured_feeds_show_before_their_first_poll(tmp_path) -> None:
    from bot.cli import main

    cfg = tmp_path / "newsbot.toml"
    cfg.write_text(
        '[state]\npath = "s.sqlite3"\n[[feeds]]\nurl = "http://127.0.0.1:9/a.xml"\nname = "Alpha"\n'
        '[[destinations]]\nname = "t"\ntype = "console"\n'
    )
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--config", str(cfg), "status"]) == 0
    assert "new      Alpha: last success -" in out.getvalue()
    assert "next poll with the next cycle" in out.getvalue()
