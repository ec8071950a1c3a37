"""SQLite state: feeds and their fetch state, items, matches, per-destination deliveries, the outbox.

WAL mode so `newsbot status` can read while the daemon writes; ``busy_timeout`` so two processes wait
for each other instead of failing; every write in a ``BEGIN IMMEDIATE`` transaction so a writer takes
the lock up front (no deadlock-by-upgrade). Schema changes are numbered migrations (`migrations.py`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.errors import StoreError
from bot.models import FeedHealth
from bot.store.feedback import FeedbackItem, FeedbackMixin, FeedbackRow
from bot.store.items import FetchSuccess, ItemsMixin, NewItem
from bot.store.migrations import MIGRATIONS
from bot.store.outbox import OutboxMixin, chunks
from bot.store.safety import check_before_open, state_error
from bot.store.state import ServiceStateMixin
from bot.store.timefmt import dt, iso

__all__ = ["FeedState", "FeedbackItem", "FeedbackRow", "FetchSuccess", "NewItem", "Store"]


@dataclass(frozen=True, slots=True)
class FeedState:
    id: int
    url: str
    fetch_url: str
    name: str
    title: str | None
    etag: str | None
    last_modified: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_new_item_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    retry_after_until: datetime | None
    next_poll_at: datetime | None
    disabled: bool
    disabled_reason: str | None
    items_total: int
    held_back_total: int = 0  # new items the age policy kept from every destination
    held_back_matched: int = 0  # ... of which a rule matched

    def health(self) -> FeedHealth:
        return FeedHealth(
            url=self.url,
            name=self.name,
            last_success=self.last_success_at,
            last_error=self.last_error,
            consecutive_failures=self.consecutive_failures,
            disabled=self.disabled,
        )


class Store(ItemsMixin, OutboxMixin, ServiceStateMixin, FeedbackMixin):
    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        check_before_open(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves
            self.db = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=busy_timeout_ms / 1000,
            )
        except sqlite3.Error as exc:
            raise state_error(exc, self.path) from exc
        except OSError as exc:  # the folder cannot be made
            raise StoreError(f"store: cannot open {self.path}: {exc.strerror}") from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            # reads the schema: a damaged first page or schema says so now, not mid-command
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self.migrate()
        except BaseException as exc:
            self.db.close()  # a store that failed to open holds no connection (a newer schema)
            if isinstance(exc, sqlite3.Error):
                raise state_error(exc, self.path) from exc
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def checkpoint(self) -> None:
        """Move the WAL into the database and truncate it to nothing."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def reclaim(self) -> None:
        """After pruning: free pages back to the file system (files made with auto_vacuum), and
        fresh planner statistics."""
        self.db.execute("PRAGMA incremental_vacuum").fetchall()
        self.db.execute("PRAGMA optimize")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"store: {self.path} has schema {current}, newer than this newsbot knows "
                f"({len(MIGRATIONS)}); upgrade newsbot"
            )
        if current == 0:
            # a new file: pages freed by pruning go back to the disk (PRAGMA incremental_vacuum);
            # only a file without tables takes it, and setting it is a write (not on every open)
            self.db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        for number in range(current + 1, len(MIGRATIONS) + 1):
            with self.tx() as db:
                for statement in _statements(MIGRATIONS[number - 1]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    # ------------------------------------------------------------------ feeds

    def sync_feeds(
        self, feeds: Sequence[tuple[str, str]], *, from_title: Collection[str] = ()
    ) -> None:
        """Make sure every configured (url, name) has a row; names follow the config, except for
        the urls in `from_title` (no name configured): those keep their feed's title once known,
        and `name` (the host) stands in until then."""
        with self.tx() as db:
            for url, name in feeds:
                db.execute(
                    "INSERT INTO feeds (url, fetch_url, name) VALUES (?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET name = "
                    "CASE WHEN ? THEN COALESCE(feeds.title, excluded.name) ELSE excluded.name END",
                    (url, url, name, url in from_title),
                )

    def feed(self, url: str) -> FeedState:
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            raise StoreError(f"store: unknown feed {url}")
        return _feed_state(row)

    def unconditional(self, urls: Iterable[str]) -> int:
        """How many of `urls` will be fetched without a validator (new feeds, servers that send no
        ETag or Last-Modified): those will certainly send a body to parse."""
        known = {s.url: s for s in self.feeds()}
        return sum(1 for u in urls if not ((s := known.get(u)) and (s.etag or s.last_modified)))

    def feeds(self) -> list[FeedState]:
        return [_feed_state(r) for r in self.db.execute("SELECT * FROM feeds ORDER BY name, url")]

    def record_fetch_failure(
        self,
        url: str,
        *,
        now: datetime,
        error: str,
        retry_after: float | None = None,
        disable: bool = False,
    ) -> int:
        """Count one more failure; returns the number of consecutive failures."""
        until = iso(now + timedelta(seconds=retry_after)) if retry_after else None
        with self.tx() as db:
            db.execute(
                """UPDATE feeds SET last_attempt_at = ?, last_error = ?, last_error_at = ?,
                   consecutive_failures = consecutive_failures + 1, retry_after_until = ?,
                   disabled = CASE WHEN ? THEN 1 ELSE disabled END,
                   disabled_reason = CASE WHEN ? THEN ? ELSE disabled_reason END
                   WHERE url = ?""",
                (iso(now), error, iso(now), until, disable, disable, error, url),
            )
            row = db.execute(
                "SELECT consecutive_failures FROM feeds WHERE url = ?", (url,)
            ).fetchone()
        return int(row[0]) if row else 0

    def set_next_poll(self, url: str, when: datetime) -> None:
        with self.tx() as db:
            db.execute("UPDATE feeds SET next_poll_at = ? WHERE url = ?", (iso(when), url))

    def enable_feed(self, url: str) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE feeds SET disabled = 0, disabled_reason = NULL, consecutive_failures = 0 "
                "WHERE url = ?",
                (url,),
            )

    # ------------------------------------------------------------------ items

    def prune(self, *, before: datetime) -> int:
        """Forget items fetched before `before` that no destination is still owed. Returns the count.

        Matches and deliveries go with them (ON DELETE CASCADE); finished outbox rows and readers'
        feedback of the same age too.
        """
        with self.tx() as db:
            cur = db.execute(
                """DELETE FROM items WHERE fetched_at < ? AND NOT EXISTS (
                     SELECT 1 FROM deliveries d WHERE d.item_id = items.id AND d.status = 'pending')""",
                (iso(before),),
            )
            db.execute(
                "DELETE FROM outbox WHERE status IN ('sent', 'dead') AND created_at < ? "
                "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = outbox.id)",
                (iso(before),),
            )
            db.execute("DELETE FROM feedback WHERE created_at < ?", (iso(before),))
        return cur.rowcount

    def matched_rules(self, item_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The rules each stored item matched when it was stored."""
        return {i: tuple(m.rule for m in ms) for i, ms in self._matches(list(item_ids)).items()}

    def queued_items(self, item_ids: Sequence[int]) -> set[int]:
        """Those of `item_ids` that were queued for at least one destination."""
        out: set[int] = set()
        for chunk in chunks(list(item_ids), 500):
            marks = ",".join("?" * len(chunk))
            out.update(
                int(r[0])
                for r in self.db.execute(
                    f"SELECT DISTINCT item_id FROM deliveries WHERE item_id IN ({marks})", chunk
                )
            )
        return out

    def count_items(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM items").fetchone()[0])

    def items_since(self, since: datetime | None) -> list[sqlite3.Row]:
        """Stored items (with feed name) fetched at or after `since`, for backtests."""
        return list(
            self.db.execute(
                """SELECT items.*, feeds.name AS outlet, feeds.url AS feed_url FROM items
                   JOIN feeds ON feeds.id = items.feed_id
                   WHERE ? IS NULL OR items.fetched_at >= ? ORDER BY items.id""",
                (iso(since), iso(since)),
            )
        )


def _feed_state(r: sqlite3.Row) -> FeedState:
    return FeedState(
        id=r["id"],
        url=r["url"],
        fetch_url=r["fetch_url"],
        name=r["name"],
        title=r["title"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        last_attempt_at=dt(r["last_attempt_at"]),
        last_success_at=dt(r["last_success_at"]),
        last_new_item_at=dt(r["last_new_item_at"]),
        last_error=r["last_error"],
        consecutive_failures=r["consecutive_failures"],
        retry_after_until=dt(r["retry_after_until"]),
        next_poll_at=dt(r["next_poll_at"]),
        disabled=bool(r["disabled"]),
        disabled_reason=r["disabled_reason"],
        items_total=r["items_total"],
        held_back_total=r["held_back_total"],
        held_back_matched=r["held_back_matched"],
    )


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
