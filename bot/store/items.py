"""Items with their matches and queued deliveries, and the fetch state of the feed they came from.

Every feed of a poll cycle goes through here, so the cost is per *feed*, not per item: one SELECT per
table to learn which items are new, one multi-row INSERT per table to store them, and the feed's fetch
state in the same transaction. Either an item is stored *and* queued for every destination that wants
it, or neither: a crash in between can never leave a matched item that nobody will deliver.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from bot.errors import StoreError
from bot.models import Item, RuleMatch
from bot.store.outbox import chunks
from bot.store.timefmt import iso

#: rows per multi-row statement: far below SQLite's 32,766 bound variables at 12 per item row
ROWS_PER_STATEMENT = 500

_ITEM_COLUMNS = (
    "key, canonical_link, feed_id, guid, link, title, summary, content, lang, author, "
    "published_at, fetched_at"
)


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to store, with its matches and the destinations it is queued for."""

    item: Item
    canonical_link: str | None
    matches: tuple[RuleMatch, ...]
    destinations: tuple[str, ...]  # queue a delivery for each of these
    urgent: tuple[str, ...] = ()  # ... of which these get it at once (`newsbot run`)
    held_back: bool = False  # too old when first seen (`bot.age`): stored, queued nowhere


@dataclass(frozen=True, slots=True)
class FetchSuccess:
    """A fetch that got a usable answer (200 or 304). A bozo feed still counts, with its error kept."""

    etag: str | None
    last_modified: str | None
    title: str | None = None
    fetch_url: str | None = None  # set when the feed moved (301/308)
    parse_error: str | None = None
    name: str | None = None  # the feed's new display name (its title), when the config sets none


class ItemsMixin:
    db: sqlite3.Connection
    tx: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def unseen(self, items: Sequence[tuple[str, str | None]]) -> set[int]:
        """Indexes of (key, canonical_link) pairs not stored yet, by key or canonical link.

        The canonical link catches the same article arriving through two feeds with different guids.
        """
        known_keys = self._present("key", {key for key, _ in items})
        known_links = self._present("canonical_link", {link for _, link in items if link})
        out: set[int] = set()
        for i, (key, link) in enumerate(items):
            if key in known_keys:
                continue
            if link:
                if link in known_links:
                    continue
                known_links.add(link)  # a second item with this link in the batch is a repeat
            out.add(i)
        return out

    def _present(self, column: str, values: Iterable[str]) -> set[str]:
        """Those of `values` already stored in items.`column` (an indexed column)."""
        found: set[str] = set()
        for chunk in chunks(list(values), ROWS_PER_STATEMENT):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT {column} FROM items WHERE {column} IN ({marks})", chunk
            ).fetchall()
            found.update(r[0] for r in rows)
        return found

    def add_items(self, feed_url: str, new: Sequence[NewItem], *, now: datetime) -> list[int]:
        """Store items, their matches and their queued deliveries in ONE transaction.

        Returns the ids of the items actually inserted, in the order given (duplicates are skipped).
        """
        with self.tx() as db:
            return _insert_items(db, _feed_id(db, feed_url), new, now=now)

    def record_fetch_success(
        self,
        url: str,
        *,
        now: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None = None,
        fetch_url: str | None = None,
        parse_error: str | None = None,
    ) -> None:
        """A fetch that got a usable answer (200 or 304). A bozo feed still counts, with its error kept."""
        fetched = FetchSuccess(etag, last_modified, title, fetch_url, parse_error)
        with self.tx() as db:
            _mark_success(db, url, fetched, now=now)

    def record_poll(
        self, feed_url: str, new: Sequence[NewItem], fetched: FetchSuccess, *, now: datetime
    ) -> list[int]:
        """`add_items` and `record_fetch_success` in one transaction: a feed's answer is stored
        whole or not at all. Returns the ids of the items actually inserted, in the order given."""
        with self.tx() as db:
            ids = _insert_items(db, _feed_id(db, feed_url), new, now=now) if new else []
            _mark_success(db, feed_url, fetched, now=now)
        return ids

    def queue_matched(
        self,
        item_id: int,
        matches: Sequence[RuleMatch],
        destinations: Sequence[str],
        *,
        now: datetime,
    ) -> int:
        """A stored item the current rules match after all (`rules backtest --deliver`): its matches
        become these, and it is queued for `destinations` it was not queued for. Returns how many."""
        stamp = iso(now)
        with self.tx() as db:
            db.execute("DELETE FROM matches WHERE item_id = ?", (item_id,))
            db.executemany(
                "INSERT INTO matches (item_id, rule, score, tags, terms, urgent) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [_match_row(item_id, m) for m in matches],
            )
            cur = db.executemany(
                "INSERT INTO deliveries (destination, item_id, queued_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(d, item_id, stamp) for d in destinations],
            )
        return cur.rowcount


def _feed_id(db: sqlite3.Connection, url: str) -> int:
    row = db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
    if row is None:
        raise StoreError(f"store: unknown feed {url}")
    return int(row[0])


def _mark_success(db: sqlite3.Connection, url: str, f: FetchSuccess, *, now: datetime) -> None:
    stamp = iso(now)
    db.execute(
        """UPDATE feeds SET last_attempt_at = ?, last_success_at = ?, etag = ?,
           last_modified = ?, title = COALESCE(?, title), fetch_url = COALESCE(?, fetch_url),
           name = COALESCE(?, name),
           consecutive_failures = 0, retry_after_until = NULL,
           last_error = ?, last_error_at = CASE WHEN ? IS NULL THEN last_error_at ELSE ? END
           WHERE url = ?""",
        (stamp, stamp, f.etag, f.last_modified, f.title, f.fetch_url, f.name, f.parse_error,
         f.parse_error, stamp, url),
    )  # fmt: skip


def _insert_items(
    db: sqlite3.Connection, feed_id: int, new: Sequence[NewItem], *, now: datetime
) -> list[int]:
    stamp = iso(now)
    inserted: dict[str, int] = {}  # key -> id of the row this call inserted
    for chunk in chunks(list(new), ROWS_PER_STATEMENT):
        values: list[object] = []
        for n in chunk:
            it = n.item
            values += (it.key, n.canonical_link, feed_id, it.guid, it.link, it.title, it.summary,
                       it.content, it.lang, it.author, iso(it.published), stamp)  # fmt: skip
        marks = ",".join(["(?,?,?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
        # RETURNING names only the rows inserted: a key already stored (or twice in `new`) is skipped
        rows = db.execute(
            f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES {marks} "
            "ON CONFLICT(key) DO NOTHING RETURNING key, id",
            values,
        ).fetchall()
        inserted.update((r[0], int(r[1])) for r in rows)
    ids: list[int] = []
    matches: list[tuple[object, ...]] = []
    deliveries: list[tuple[object, ...]] = []
    held_back = held_back_matched = 0
    for n in new:
        item_id = inserted.pop(n.item.key, None)  # pop: of two items with one key, the first won
        if item_id is None:
            continue
        ids.append(item_id)
        held_back += n.held_back
        held_back_matched += n.held_back and bool(n.matches)
        matches += (_match_row(item_id, m) for m in n.matches)
        deliveries += ((d, item_id, int(d in n.urgent), stamp) for d in n.destinations)
    db.executemany(
        "INSERT INTO matches (item_id, rule, score, tags, terms, urgent) VALUES (?, ?, ?, ?, ?, ?)",
        matches,
    )
    db.executemany(
        "INSERT INTO deliveries (destination, item_id, urgent, queued_at) VALUES (?, ?, ?, ?)",
        deliveries,
    )
    if ids:
        db.execute(
            "UPDATE feeds SET items_total = items_total + ?, last_new_item_at = ? WHERE id = ?",
            (len(ids), stamp, feed_id),
        )
    if held_back:
        db.execute(
            "UPDATE feeds SET held_back_total = held_back_total + ?, "
            "held_back_matched = held_back_matched + ? WHERE id = ?",
            (held_back, held_back_matched, feed_id),
        )
    return ids


def _match_row(item_id: int, m: RuleMatch) -> tuple[object, ...]:
    return (
        item_id,
        m.rule,
        m.score,
        json.dumps(list(m.tags)),
        json.dumps(list(m.terms), ensure_ascii=False),
        int(m.urgent),
    )
