"""The state database: numbered migrations, WAL, and refusing a schema from the future."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import Store
from bot.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_migrations_apply_once_and_reopen_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        store.put_state("k", {"a": 1}, now=NOW)
    with Store(path) as store:  # a second open migrates nothing and keeps the data
        assert store.schema_version == len(MIGRATIONS)
        assert store.get_state("k") == {"a": 1}


def test_a_partial_database_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.claim_once("x", now=NOW) and not store.claim_once("x", now=NOW)


def test_a_newer_schema_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this newsbot knows"):
        Store(path)


def test_unconditional_counts_feeds_that_will_send_a_body(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    urls = [f"https://f.example/{i}.xml" for i in range(4)]
    with Store(tmp_path / "s.sqlite3") as store:
        store.sync_feeds([(u, u) for u in urls])
        assert store.unconditional(urls) == 4
        store.record_fetch_success(urls[0], now=now, etag='"v1"', last_modified=None)
        store.record_fetch_success(
            urls[1], now=now, etag=None, last_modified="Mon, 23 Nov 2026 08:00:00 GMT"
        )
        # a server that sends no validator
        store.record_fetch_success(urls[2], now=now, etag=None, last_modified=None)
        assert store.unconditional(urls) == 2
        assert store.unconditional([*urls[:2], "https://new.example/feed"]) == 1
