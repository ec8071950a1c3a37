"""What only the daemon knows, kept for `newsbot status`: a small key/value table (migration 2)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from bot.store.timefmt import iso


class ServiceStateMixin:
    db: sqlite3.Connection
    tx: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def put_state(self, key: str, value: dict[str, Any], *, now: datetime) -> None:
        """Record a small JSON document under `key` (the daemon's view, read by `status`)."""
        with self.tx() as db:
            db.execute(
                "INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, json.dumps(value, ensure_ascii=False), iso(now)),
            )

    def get_state(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT value FROM service_state WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value: dict[str, Any] = json.loads(row[0])
        return value

    def claim_once(self, key: str, *, now: datetime) -> bool:
        """True the first time `key` is claimed, False ever after: for things done exactly once."""
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO service_state (key, value, updated_at) VALUES (?, '{}', ?) "
                "ON CONFLICT(key) DO NOTHING",
                (key, iso(now)),
            )
        return cur.rowcount == 1
