"""Re-run the current rules over stored items: what an edit would add or drop (`rules backtest`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.models import Document, RuleMatch
from bot.rules.engine import RuleSet
from bot.store import Store
from bot.store.timefmt import dt


@dataclass(frozen=True, slots=True)
class BacktestRow:
    item_id: int
    title: str
    link: str | None
    outlet: str
    before: tuple[str, ...]  # rules that matched when the item was stored
    after: tuple[str, ...]  # rules that match now
    delivered: bool  # reached at least one destination (or is queued for one)
    matches: tuple[RuleMatch, ...] = ()  # what the current rules match, to queue it (--deliver)
    seen_at: datetime | None = None  # published, else fetched: for a maximum age
    feed_url: str = ""  # the feed it came from (as configured)

    @property
    def is_added(self) -> bool:
        return bool(self.after) and not self.before

    @property
    def is_dropped(self) -> bool:
        return bool(self.before) and not self.after

    @property
    def is_changed(self) -> bool:
        return bool(self.before) and bool(self.after) and set(self.before) != set(self.after)


@dataclass(frozen=True, slots=True)
class Backtest:
    items: int  # items replayed
    rows: tuple[BacktestRow, ...]  # only the items whose outcome differs

    @property
    def added(self) -> tuple[BacktestRow, ...]:
        return tuple(r for r in self.rows if r.is_added)

    @property
    def dropped(self) -> tuple[BacktestRow, ...]:
        return tuple(r for r in self.rows if r.is_dropped)

    @property
    def changed(self) -> tuple[BacktestRow, ...]:
        return tuple(r for r in self.rows if r.is_changed)


def backtest(store: Store, ruleset: RuleSet, *, since: datetime | None) -> Backtest:
    """Compare the stored matches (and deliveries) of items fetched since `since` with `ruleset`."""
    rows = store.items_since(since)
    ids = [int(r["id"]) for r in rows]
    stored = store.matched_rules(ids)
    delivered = store.queued_items(ids)
    diffs: list[BacktestRow] = []
    for row in rows:
        doc = Document(
            title=row["title"], summary=row["summary"], content=row["content"], lang=row["lang"]
        )
        results = ruleset.match(doc)
        after = tuple(r.rule for r in results)
        before = tuple(sorted(stored.get(row["id"], ())))
        if set(after) != set(before):
            diffs.append(
                BacktestRow(
                    item_id=row["id"],
                    title=row["title"],
                    link=row["link"],
                    outlet=row["outlet"] or row["feed_url"],
                    before=before,
                    after=after,
                    delivered=row["id"] in delivered,
                    matches=tuple(RuleMatch.of(r) for r in results),
                    seen_at=dt(row["published_at"]) or dt(row["fetched_at"]),
                    feed_url=row["feed_url"],
                )
            )
    return Backtest(len(rows), tuple(diffs))


def as_json(result: Backtest, *, feedback: Mapping[str, object] | None = None) -> str:
    """The backtest for scripts; `feedback`: precision / recall against readers' votes."""
    extra = {"feedback": dict(feedback)} if feedback is not None else {}
    return json.dumps(
        {
            "items": result.items,
            "added": len(result.added),
            "dropped": len(result.dropped),
            "changed": len(result.changed),
            "rows": [
                {
                    "item_id": r.item_id,
                    "title": r.title,
                    "link": r.link,
                    "outlet": r.outlet,
                    "before": list(r.before),
                    "after": list(r.after),
                    "delivered": r.delivered,
                }
                for r in result.rows
            ],
            **extra,
        },
        ensure_ascii=False,
        indent=2,
    )
