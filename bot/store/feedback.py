"""Readers' feedback rows (migration 3): one per confirmed vote or reported miss.

A row keeps the item's text as it was voted on (title, summary, content, the rules and terms that
matched), so `rules review` works after the item itself has been pruned; the row is pruned with the
same retention. No reader identity is kept beyond the destination the link was sent to.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from bot.store.timefmt import dt, iso

#: a note is a sentence or two; a miss keeps enough article text to test rules against
NOTE_CHARS, TEXT_CHARS = 1000, 20_000


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """What a vote is about: a stored item, or an article a reader says the digest missed."""

    title: str
    link: str | None
    summary: str = ""
    content: str = ""
    lang: str | None = None
    outlet: str = ""
    item_id: int | None = None
    rules: tuple[str, ...] = ()  # the rules that matched it when it was stored
    terms: tuple[str, ...] = ()  # ... and their matched terms


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    id: int
    created_at: datetime
    destination: str
    verdict: str
    item: FeedbackItem
    note: str
    applied_at: datetime | None


class FeedbackMixin:
    db: sqlite3.Connection
    tx: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def feedback_item(self, item_id: int) -> FeedbackItem | None:
        """A stored item as the feedback page shows it; None when there is no such item."""
        row = self.db.execute(
            "SELECT items.*, feeds.name AS outlet FROM items JOIN feeds ON feeds.id = items.feed_id "
            "WHERE items.id = ?",
            (item_id,),
        ).fetchone()
        if row is None:
            return None
        matches = self.db.execute(
            "SELECT rule, terms FROM matches WHERE item_id = ? ORDER BY score DESC, rule",
            (item_id,),
        ).fetchall()
        terms = dict.fromkeys(t for m in matches for t in json.loads(m["terms"]))
        return FeedbackItem(
            title=row["title"],
            link=row["link"],
            summary=row["summary"],
            content=row["content"],
            lang=row["lang"],
            outlet=row["outlet"],
            item_id=item_id,
            rules=tuple(m["rule"] for m in matches),
            terms=tuple(terms),
        )

    def record_feedback(
        self, item: FeedbackItem, *, destination: str, verdict: str, note: str, now: datetime
    ) -> int:
        """Store one vote; returns its id."""
        with self.tx() as db:
            cur = db.execute(
                """INSERT INTO feedback (created_at, destination, verdict, item_id, link, title,
                   summary, content, lang, outlet, rules, terms, note)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    iso(now),
                    destination,
                    verdict,
                    item.item_id,
                    item.link,
                    item.title,
                    item.summary[:TEXT_CHARS],
                    item.content[:TEXT_CHARS],
                    item.lang,
                    item.outlet,
                    json.dumps(list(item.rules), ensure_ascii=False),
                    json.dumps(list(item.terms), ensure_ascii=False),
                    note.strip()[:NOTE_CHARS],
                ),
            )
        return int(cur.lastrowid or 0)

    def feedback_since(self, since: datetime | None) -> list[FeedbackRow]:
        """Votes recorded at or after `since` (every vote when None), oldest first."""
        rows = self.db.execute(
            "SELECT * FROM feedback WHERE ? IS NULL OR created_at >= ? ORDER BY id",
            (iso(since), iso(since)),
        )
        return [_row(r) for r in rows]

    def feedback_counts(self, since: datetime) -> dict[str, int]:
        """Votes per verdict since `since` (for `status`)."""
        counts: Counter[str] = Counter()
        for r in self.db.execute(
            "SELECT verdict, count(*) FROM feedback WHERE created_at >= ? GROUP BY verdict",
            (iso(since),),
        ):
            counts[r[0]] = int(r[1])
        return dict(counts)

    def mark_feedback_applied(self, ids: Sequence[int], *, now: datetime) -> None:
        """`rules review --apply` wrote these votes into rule examples: do not offer them again."""
        with self.tx() as db:
            db.executemany(
                "UPDATE feedback SET applied_at = ? WHERE id = ?", [(iso(now), i) for i in ids]
            )


def _row(r: sqlite3.Row) -> FeedbackRow:
    return FeedbackRow(
        id=r["id"],
        created_at=dt(r["created_at"]) or datetime.min,
        destination=r["destination"],
        verdict=r["verdict"],
        item=FeedbackItem(
            title=r["title"],
            link=r["link"],
            summary=r["summary"],
            content=r["content"],
            lang=r["lang"],
            outlet=r["outlet"],
            item_id=r["item_id"],
            rules=tuple(json.loads(r["rules"])),
            terms=tuple(json.loads(r["terms"])),
        ),
        note=r["note"],
        applied_at=dt(r["applied_at"]),
    )
