"""Storing a feed's items: which are new, what is stored with them, one transaction per feed.

Real SQLite files in tmp_path. The statement counts guard the per-feed (not per-item) cost of a poll
cycle: the event loop does this for every feed, so one more query per item is thousands per cycle.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Item, RuleMatch
from bot.store import FetchSuccess, NewItem, Store
from bot.store.items import ROWS_PER_STATEMENT

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
FEED = "https://feed.example/rss"
OTHER = "https://other.example/atom"


def new_item(
    key: str,
    *,
    link: str | None = None,
    matches: tuple[RuleMatch, ...] = (),
    destinations: tuple[str, ...] = (),
    urgent: tuple[str, ...] = (),
) -> NewItem:
    item = Item(key=key, feed_url=FEED, title=f"Story {key}", link=link, summary="s", guid=key)
    return NewItem(item, link, matches, destinations, urgent)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "state.sqlite3") as s:
        s.sync_feeds([(FEED, "Feed"), (OTHER, "Other")])
        yield s


def test_unseen_by_key_and_by_canonical_link(store: Store) -> None:
    store.add_items(OTHER, [new_item("guid:a", link="https://n.example/a")], now=T0)
    batch = [
        ("guid:a", "https://n.example/x"),  # key stored
        ("guid:b", "https://n.example/a"),  # the same article through another feed's guid
        ("guid:c", "https://n.example/c"),
        ("guid:d", "https://n.example/c"),  # same link twice in one document: the first counts
        ("guid:e", None),
        ("guid:f", None),
    ]
    assert store.unseen(batch) == {2, 4, 5}
    assert store.unseen([]) == set()


def test_unseen_asks_per_feed_not_per_item(store: Store) -> None:
    statements = _traced(store)
    store.unseen([(f"guid:{i}", f"https://n.example/{i}") for i in range(ROWS_PER_STATEMENT)])
    assert len(statements) == 2  # one SELECT for the keys, one for the links
    statements.clear()
    store.unseen([(f"guid:{i}", None) for i in range(ROWS_PER_STATEMENT + 1)])
    assert len(statements) == 2  # two chunks of keys, no links to ask about


def test_items_matches_and_deliveries_are_stored_in_order_given(store: Store) -> None:
    store.add_items(FEED, [new_item("guid:old")], now=T0)
    hit = RuleMatch(rule="vn-jp", score=2.5, tags=("diplomacy",), terms=("Việt Nam", "日本"))
    batch = [
        new_item("guid:z", matches=(hit,), destinations=("slack", "mail"), urgent=("slack",)),
        new_item("guid:old"),  # already stored: skipped
        new_item("guid:a"),
        new_item("guid:z"),  # twice in one batch: the first wins, with its matches
    ]
    ids = store.add_items(FEED, batch, now=T0)
    assert len(ids) == 2
    keys = dict(store.db.execute("SELECT id, key FROM items").fetchall())
    assert [keys[i] for i in ids] == ["guid:z", "guid:a"]
    rows = store.db.execute("SELECT item_id, rule, score, tags, terms, urgent FROM matches")
    assert [tuple(r) for r in rows] == [
        (
            ids[0],
            "vn-jp",
            2.5,
            '["diplomacy"]',
            json.dumps(["Việt Nam", "日本"], ensure_ascii=False),
            0,
        )
    ]
    deliveries = store.db.execute(
        "SELECT destination, item_id, urgent, status FROM deliveries ORDER BY destination"
    )
    assert [tuple(r) for r in deliveries] == [
        ("mail", ids[0], 0, "pending"),
        ("slack", ids[0], 1, "pending"),
    ]
    feed = store.feed(FEED)
    assert feed.items_total == 3 and feed.last_new_item_at == T0


def test_a_large_document_is_stored_in_chunks_with_every_id_right(store: Store) -> None:
    n = 2 * ROWS_PER_STATEMENT + 7
    batch = [new_item(f"guid:{i}", destinations=(f"d{i % 3}",)) for i in range(n)]
    statements = _traced(store)
    ids = store.add_items(FEED, batch, now=T0)
    inserts = [s for s in statements if s.startswith("INSERT INTO items")]
    assert len(inserts) == 3  # per chunk, not per item
    keys = dict(store.db.execute("SELECT id, key FROM items").fetchall())
    assert [keys[i] for i in ids] == [f"guid:{i}" for i in range(n)]
    owed = store.db.execute("SELECT item_id, destination FROM deliveries").fetchall()
    assert sorted(keys[i] + "/" + d for i, d in owed) == sorted(
        f"guid:{i}/d{i % 3}" for i in range(n)
    )


def test_record_poll_stores_items_and_fetch_state_together(store: Store) -> None:
    fetched = FetchSuccess(etag='"v2"', last_modified=None, title="The Feed", parse_error="bozo")
    ids = store.record_poll(FEED, [new_item("guid:a")], fetched, now=T0)
    feed = store.feed(FEED)
    assert len(ids) == 1 and feed.items_total == 1
    assert (feed.etag, feed.title, feed.last_error, feed.last_success_at) == (
        '"v2"', "The Feed", "bozo", T0,
    )  # fmt: skip
    # no new items: only the fetch state moves
    assert store.record_poll(FEED, [], FetchSuccess('"v3"', None), now=T0) == []
    assert store.feed(FEED).etag == '"v3"' and store.feed(FEED).last_error is None


def test_a_feed_whose_store_fails_keeps_nothing_of_that_answer(store: Store) -> None:
    """An item, its matches, its deliveries and the feed's new ETag commit together or not at
    all: had the ETag moved without the items, the next poll's 304 would lose them for good."""
    store.record_fetch_success(FEED, now=T0, etag='"v1"', last_modified=None)
    twice = RuleMatch(rule="vn-jp", score=1.0)
    batch = [
        new_item("guid:a", destinations=("mail",)),
        new_item("guid:b", matches=(twice, twice), destinations=("mail",)),  # breaks the PK
    ]
    with pytest.raises(sqlite3.IntegrityError):
        store.record_poll(FEED, batch, FetchSuccess('"v2"', None), now=T0)
    assert store.count_items() == 0
    assert store.db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0
    assert store.feed(FEED).etag == '"v1"'
    with pytest.raises(StoreError, match="unknown feed"):
        store.record_poll("https://nowhere.example/", batch[:1], FetchSuccess(None, None), now=T0)
    assert store.count_items() == 0


def test_a_not_modified_answer_costs_one_update(store: Store) -> None:
    statements = _traced(store)
    store.record_fetch_success(FEED, now=T0, etag='"v1"', last_modified=None)
    assert [s.split()[0] for s in statements] == ["BEGIN", "UPDATE", "COMMIT"]


def test_storing_a_feed_costs_the_same_statements_for_3_items_or_300(store: Store) -> None:
    def statements_for(n: int, prefix: str) -> list[str]:
        batch = [new_item(f"{prefix}{i}", link=f"https://n.example/{prefix}{i}") for i in range(n)]
        statements = _traced(store)
        items = [(b.item.key, b.canonical_link) for b in batch]
        fresh = store.unseen(items)
        store.record_poll(FEED, [batch[i] for i in sorted(fresh)], FetchSuccess(None, None), now=T0)
        return [s.split()[0] for s in statements]

    assert statements_for(3, "a") == statements_for(300, "b")


def _traced(store: Store) -> list[str]:
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    return statements
