"""State you can trust: a damaged, empty, foreign or read-only state file stops every command with
one line naming the file and the way out (exit 1), never a traceback and never a silent fresh
start; daily backups; `newsbot state check` and `newsbot state restore FILE` end to end."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from bot.store.safety import backup, backups
from tests.servers import FeedServer, running
from tests.sites import archived, write_site_config
from tests.test_once import rss

RULES = "rules:\n  - name: pair\n    all: [Vietnam, Japan]\n"
ITEMS = [(f"Vietnam and Japan sign deal {i}", f"https://news.example/{i}") for i in range(40)]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """A config whose first `once` stores 40 items, delivers them to a file destination and makes
    today's backup."""
    feeds = FeedServer()
    feeds.serve("/feed.xml", rss(ITEMS))
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    cfg = write_site_config(tmp_path, feed_url=feeds.url("/feed.xml"), rules="rules.yaml",
                            state="state/newsbot.sqlite3")  # fmt: skip
    with running(feeds):
        yield cfg


def state_of(cfg: Path) -> Path:
    return cfg.parent / "state/newsbot.sqlite3"


def delivered(cfg: Path) -> int:
    return len(archived(cfg.parent))


def newsbot(cfg: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """A real process: what the operator sees on stderr, tracebacks included if any."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(cfg), *argv],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def corrupt_table(path: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage: the file opens, reading the table fails."""
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    db.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_first_once_makes_todays_backup(site: Path) -> None:
    assert main(["--config", str(site), "once"]) == 0
    found = backups(state_of(site))
    assert [b.name for b in found] == [f"newsbot-{datetime.now(UTC):%Y-%m-%d}.sqlite3"]
    db = sqlite3.connect(found[0])
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 40
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    db.close()


@pytest.mark.parametrize("argv", [["once"], ["status"], ["run"], ["rules", "backtest"]])
def test_a_damaged_state_names_itself_and_the_backup_to_restore(
    site: Path, argv: list[str]
) -> None:
    assert main(["--config", str(site), "once"]) == 0
    path = state_of(site)
    corrupt_table(path, "feeds")
    out = newsbot(site, *argv)
    assert out.returncode == 1
    line = one_line(out)
    assert f"store: {path} is damaged" in line
    assert f"newsbot state restore {backups(path)[0]}" in line


def test_an_emptied_state_file_is_never_taken_for_a_new_one(site: Path) -> None:
    assert main(["--config", str(site), "once"]) == 0
    assert delivered(site) == 40
    path = state_of(site)
    path.write_bytes(b"")  # truncated to 0 bytes (a full disk, a bad copy)
    for argv in (["once"], ["status"], ["run"]):
        out = newsbot(site, *argv)
        assert out.returncode == 1
        line = one_line(out)
        assert f"{path} is empty (0 bytes) but backups show a database was there" in line
        assert "newsbot state restore" in line
    assert path.stat().st_size == 0 and delivered(site) == 40  # nothing sent again


def test_an_empty_file_with_no_backup_is_a_new_state(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    path.write_bytes(b"")  # touch newsbot.sqlite3 before the first run
    with Store(path) as store:
        assert store.count_items() == 0


def test_a_file_that_is_not_sqlite_says_so(site: Path) -> None:
    path = state_of(site)
    path.parent.mkdir()
    path.write_text("feeds:\n  - oops, a YAML file\n")
    out = newsbot(site, "status")
    assert out.returncode == 1
    line = one_line(out)
    assert f"{path} is not an SQLite database" in line and f"mv {path} {path}.broken" in line


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root (a read-only bind mount)"
)
def test_a_read_only_state_says_so_in_one_line(site: Path) -> None:
    assert main(["--config", str(site), "once"]) == 0
    folder = state_of(site).parent
    # read-only as root can only be a mount: a private mount namespace, gone with the process
    script = (
        f"mount --bind -o ro {folder} {folder} && exec {sys.executable} -m bot --config {site} once"
    )
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                         timeout=60, check=False)  # fmt: skip
    assert out.returncode == 1
    line = one_line(out)
    assert f"store: {state_of(site)} is read-only" in line and "check owner and mode" in line


def test_state_check_and_restore_end_to_end(site: Path) -> None:
    assert main(["--config", str(site), "once"]) == 0
    path = state_of(site)
    ok = newsbot(site, "state", "check")
    assert ok.returncode == 0 and "integrity check passed, 40 items" in ok.stdout
    newest = backups(path)[0]
    assert str(newest) in ok.stdout
    # looking leaves nothing behind: a root-owned -shm would lock the service's user out
    assert sorted(p.name for p in path.parent.iterdir()) == ["backups", "newsbot.sqlite3"]

    corrupt_table(path, "items")
    bad = newsbot(site, "state", "check")
    assert bad.returncode == 1
    assert f"newsbot state restore {newest}" in one_line(bad)

    restored = newsbot(site, "state", "restore", str(newest))
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout and ".replaced-" in restored.stdout
    assert len(list(path.parent.glob("newsbot.sqlite3.replaced-*Z"))) == 1  # the damaged one, kept
    assert newsbot(site, "state", "check").returncode == 0
    # the restored state knows what was delivered: nothing is sent twice
    assert main(["--config", str(site), "once"]) == 0
    assert delivered(site) == 40


def test_restore_refuses_what_is_not_a_sound_backup(site: Path, tmp_path: Path) -> None:
    assert main(["--config", str(site), "once"]) == 0
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    out = newsbot(site, "state", "restore", str(junk))
    assert out.returncode == 1 and "not a sound backup" in one_line(out)
    assert newsbot(site, "state", "check").returncode == 0  # the state was not touched


def test_restore_is_refused_while_the_daemon_runs(site: Path) -> None:
    assert main(["--config", str(site), "once"]) == 0
    db = sqlite3.connect(state_of(site))
    with db:  # a heartbeat just now
        now = datetime.now(UTC).isoformat()
        db.execute("INSERT INTO service_state VALUES ('daemon', ?, ?)",
                   (json.dumps({"pid": 1, "heartbeat_at": now, "started_at": now}), now))  # fmt: skip
    db.close()
    out = newsbot(site, "state", "restore", str(backups(state_of(site))[0]))
    assert out.returncode == 1 and "systemctl stop newsbot" in one_line(out)


def test_daily_backups_keep_the_last_seven(tmp_path: Path) -> None:
    path = tmp_path / "newsbot.sqlite3"
    day = datetime(2026, 1, 1, 3, tzinfo=UTC)
    with Store(path) as store:
        for n in range(10):
            now = day + timedelta(days=n)
            assert backup(store.db, path, now=now) is not None
            assert backup(store.db, path, now=now + timedelta(hours=5)) is None  # one a day
    names = [b.name for b in backups(path)]
    assert names == [f"newsbot-2026-01-{d:02d}.sqlite3" for d in range(10, 3, -1)]
    assert not list((tmp_path / "backups").glob("*.partial"))
