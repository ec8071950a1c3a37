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
