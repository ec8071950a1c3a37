"""The outbox: at-least-once delivery that never loses an item.

A digest is *composed* (an outbox row under a unique key, destination + period, with its pending
deliveries attached), *claimed* (status ``sending`` under a lease), *sent* by a notifier, and only then
*marked* (row ``sent``, its deliveries ``sent``). A crash between "accepted" and "marked" leaves the row
``sending``; once its lease expires it is reclaimed and sent again under the same key, so the repeat is
recognisable (same Message-ID). A failed send keeps the row pending with a backoff; a permanent failure
or too many attempts dead-letters the row and detaches its items, which stay pending for the next digest.

A digest sent as several messages stores its parts as rendered (``outbox_parts``) before the first is
sent and records each part the channel accepted: a retry sends only the parts not yet accepted, the
same bytes under the same key, and a dead-lettered digest marks the items of its accepted parts
delivered (the reader has them) and releases only the rest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from bot.models import PendingItem, RuleMatch
from bot.store.timefmt import dt, iso

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    destination: str
    key: str
    status: str
    period_start: datetime | None
    period_end: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class StoredPart:
    number: int
    total: int
    payload: bytes
    item_ids: tuple[int, ...]
    sent: bool


@dataclass(frozen=True, slots=True)
class DestinationState:
    name: str
    last_sent_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    failing_since: datetime | None
    pending: int
    dead_letters: int


class OutboxMixin:
    db: sqlite3.Connection
    tx: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def due_outbox(
        self, destination: str, *, now: datetime, ignore_backoff: bool = False
    ) -> OutboxEntry | None:
        """The oldest composed digest for `destination` that should be (re)tried now."""
        row = self.db.execute(
            """SELECT * FROM outbox WHERE destination = ? AND (
                 (status = 'pending' AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?))
                 OR (status = 'sending' AND lease_until <= ?))
               ORDER BY id LIMIT 1""",
            (destination, ignore_backoff, iso(now), iso(now)),
        ).fetchone()
        return _entry(row) if row else None

    def compose_outbox(
        self,
        destination: str,
        *,
        key: str,
        now: datetime,
        urgent_only: bool = False,
        allow_empty: bool = False,
    ) -> OutboxEntry | None:
        """Gather the destination's unattached pending items into a new outbox row under `key`.

        Returns None when `key` was already used (a cron that fired twice for one period) or there is
        nothing to send (and `allow_empty` is off).
        """
        with self.tx() as db:
            if db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone():
                return None
            count = db.execute(
                """SELECT count(*) FROM deliveries WHERE destination = ? AND status = 'pending'
                   AND outbox_id IS NULL AND (NOT ? OR urgent = 1)""",
                (destination, urgent_only),
            ).fetchone()[0]
            if not count and not allow_empty:
                return None
            last = db.execute(
                "SELECT last_sent_at FROM destinations WHERE name = ?", (destination,)
            ).fetchone()
            cur = db.execute(
                "INSERT INTO outbox (destination, key, period_start, period_end, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (destination, key, last[0] if last else None, iso(now), iso(now)),
            )
            outbox_id = cur.lastrowid
            db.execute(
                """UPDATE deliveries SET outbox_id = ? WHERE destination = ? AND status = 'pending'
                   AND outbox_id IS NULL AND (NOT ? OR urgent = 1)""",
                (outbox_id, destination, urgent_only),
            )
            row = db.execute("SELECT * FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        return _entry(row)

    def claim_outbox(
        self, entry_id: int, *, now: datetime, lease: float = 300.0
    ) -> OutboxEntry | None:
        """Take the row for sending (one sender at a time); None if someone else holds it."""
        with self.tx() as db:
            cur = db.execute(
                """UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?
                   WHERE id = ? AND (status = 'pending' OR (status = 'sending' AND lease_until <= ?))""",
                (iso(now + timedelta(seconds=lease)), entry_id, iso(now)),
            )
            if cur.rowcount == 0:
                return None
            row = db.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            db.execute(
                "INSERT INTO destinations (name, last_attempt_at) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET last_attempt_at = excluded.last_attempt_at",
                (row["destination"], iso(now)),
            )
        return _entry(row)

    def renew_claim(self, entry_id: int, *, now: datetime, lease: float = 300.0) -> bool:
        """Extend a claim whose send is still alive; False if it is no longer ours to extend."""
        with self.tx() as db:
            cur = db.execute(
                "UPDATE outbox SET lease_until = ? WHERE id = ? AND status = 'sending'",
                (iso(now + timedelta(seconds=lease)), entry_id),
            )
        return cur.rowcount > 0

    def save_parts(
        self, entry_id: int, parts: Sequence[tuple[bytes, Sequence[int]]]
    ) -> list[StoredPart]:
        """Store a digest's parts (payload, item ids) as rendered, once; returns what is stored."""
        with self.tx() as db:
            if not db.execute(
                "SELECT 1 FROM outbox_parts WHERE outbox_id = ?", (entry_id,)
            ).fetchone():
                db.executemany(
                    "INSERT INTO outbox_parts (outbox_id, part, payload, item_ids) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        (entry_id, k, payload, json.dumps(list(ids)))
                        for k, (payload, ids) in enumerate(parts, 1)
                    ],
                )
        return self.outbox_parts(entry_id)

    def outbox_parts(self, entry_id: int) -> list[StoredPart]:
        rows = self.db.execute(
            "SELECT * FROM outbox_parts WHERE outbox_id = ? ORDER BY part", (entry_id,)
        ).fetchall()
        return [
            StoredPart(
                number=r["part"],
                total=len(rows),
                payload=bytes(r["payload"]),
                item_ids=tuple(json.loads(r["item_ids"])),
                sent=r["sent_at"] is not None,
            )
            for r in rows
        ]

    def mark_part_sent(self, entry_id: int, part: int, *, now: datetime) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE outbox_parts SET sent_at = ? WHERE outbox_id = ? AND part = ?",
                (iso(now), entry_id, part),
            )

    def release_claim(self, entry_id: int) -> None:
        """Give back a claim without counting a failure (the send was interrupted, not refused)."""
        with self.tx() as db:
            db.execute(
                "UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = NULL "
                "WHERE id = ? AND status = 'sending'",
                (entry_id,),
            )

    def mark_sent(self, entry_id: int, *, now: datetime) -> None:
        with self.tx() as db:
            row = db.execute("SELECT destination FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = NULL, last_error = NULL "
                "WHERE id = ?",
                (iso(now), entry_id),
            )
            db.execute(
                "UPDATE deliveries SET status = 'sent', delivered_at = ? WHERE outbox_id = ?",
                (iso(now), entry_id),
            )
            db.execute("DELETE FROM outbox_parts WHERE outbox_id = ?", (entry_id,))
            db.execute(
                """INSERT INTO destinations (name, last_sent_at) VALUES (?, ?)
                   ON CONFLICT(name) DO UPDATE SET last_sent_at = excluded.last_sent_at,
                   last_error = NULL, failing_since = NULL""",
                (row[0], iso(now)),
            )

    def mark_failed(
        self, entry_id: int, *, now: datetime, error: str, retry_at: datetime | None, dead: bool
    ) -> int:
        """Record a failed send. Dead rows release their items so the next digest carries them,
        except those of parts the channel accepted; returns how many of those were delivered."""
        delivered = 0
        with self.tx() as db:
            row = db.execute("SELECT destination FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            db.execute(
                "UPDATE outbox SET status = ?, next_attempt_at = ?, lease_until = NULL, "
                "last_error = ? WHERE id = ?",
                (DEAD if dead else PENDING, iso(retry_at), error, entry_id),
            )
            if dead:
                # what accepted parts carried has reached the reader: delivered, never resent
                delivered = db.execute(
                    """UPDATE deliveries SET status = 'sent', delivered_at = ?
                       WHERE outbox_id = ? AND status = 'pending' AND item_id IN (
                         SELECT CAST(j.value AS INTEGER) FROM outbox_parts p, json_each(p.item_ids) j
                         WHERE p.outbox_id = ? AND p.sent_at IS NOT NULL)""",
                    (iso(now), entry_id, entry_id),
                ).rowcount
                db.execute(
                    "UPDATE deliveries SET outbox_id = NULL WHERE outbox_id = ? AND status = 'pending'",
                    (entry_id,),
                )
                db.execute("DELETE FROM outbox_parts WHERE outbox_id = ?", (entry_id,))
            db.execute(
                """INSERT INTO destinations (name, last_error, failing_since) VALUES (?, ?, ?)
                   ON CONFLICT(name) DO UPDATE SET last_error = excluded.last_error,
                   failing_since = COALESCE(destinations.failing_since, excluded.failing_since)""",
                (row[0], error, iso(now)),
            )
        return delivered

    def outbox_items(self, entry_id: int) -> list[PendingItem]:
        return self._delivery_items("deliveries.outbox_id = ?", (entry_id,))

    def pending_items(self, destination: str) -> list[PendingItem]:
        """Everything not yet delivered to `destination` (attached to an outbox row or not)."""
        return self._delivery_items(
            "deliveries.destination = ? AND deliveries.status = 'pending'", (destination,)
        )

    def _delivery_items(self, where: str, params: tuple[object, ...]) -> list[PendingItem]:
        rows = self.db.execute(
            "SELECT items.*, feeds.name AS outlet, feeds.url AS feed_url FROM deliveries "
            "JOIN items ON items.id = deliveries.item_id JOIN feeds ON feeds.id = items.feed_id "
            f"WHERE {where} ORDER BY items.id",
            params,
        ).fetchall()
        return self._pending_items(rows)

    def _pending_items(self, rows: list[sqlite3.Row]) -> list[PendingItem]:
        ids = [int(r["id"]) for r in rows]
        matches = self._matches(ids)
        return [
            PendingItem(
                item_id=r["id"],
                title=r["title"],
                link=r["link"],
                canonical_link=r["canonical_link"],
                feed_url=r["feed_url"],
                outlet=r["outlet"],
                lang=r["lang"],
                published=dt(r["published_at"]),
                fetched_at=dt(r["fetched_at"]) or datetime.min,
                summary=r["summary"],
                content=r["content"],
                matches=tuple(matches.get(int(r["id"]), ())),
            )
            for r in rows
        ]

    def _matches(self, ids: list[int]) -> dict[int, list[RuleMatch]]:
        out: dict[int, list[RuleMatch]] = {}
        for chunk in chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for r in self.db.execute(
                f"SELECT * FROM matches WHERE item_id IN ({marks}) ORDER BY score DESC", chunk
            ):
                out.setdefault(int(r["item_id"]), []).append(
                    RuleMatch(
                        rule=r["rule"],
                        score=r["score"],
                        tags=tuple(json.loads(r["tags"])),
                        terms=tuple(json.loads(r["terms"])),
                        urgent=bool(r["urgent"]),
                    )
                )
        return out

    def destination_states(self, names: list[str]) -> list[DestinationState]:
        out = []
        for name in names:
            r = self.db.execute("SELECT * FROM destinations WHERE name = ?", (name,)).fetchone()
            pending = self.db.execute(
                "SELECT count(*) FROM deliveries WHERE destination = ? AND status = 'pending'",
                (name,),
            ).fetchone()[0]
            dead = self.db.execute(
                "SELECT count(*) FROM outbox WHERE destination = ? AND status = 'dead'", (name,)
            ).fetchone()[0]
            out.append(
                DestinationState(
                    name=name,
                    last_sent_at=dt(r["last_sent_at"]) if r else None,
                    last_attempt_at=dt(r["last_attempt_at"]) if r else None,
                    last_error=r["last_error"] if r else None,
                    failing_since=dt(r["failing_since"]) if r else None,
                    pending=int(pending),
                    dead_letters=int(dead),
                )
            )
        return out


def _entry(r: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=r["id"],
        destination=r["destination"],
        key=r["key"],
        status=r["status"],
        period_start=dt(r["period_start"]),
        period_end=dt(r["period_end"]) or datetime.min,
        attempts=r["attempts"],
        next_attempt_at=dt(r["next_attempt_at"]),
        last_error=r["last_error"],
    )


def chunks(seq: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
