"""Numbered schema migrations. Each runs once, in its own transaction, recorded in PRAGMA user_version.

Append only: never edit a migration that has shipped; add the next number.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: feeds with fetch state, items, matches, per-destination deliveries, outbox
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,           -- as configured: the feed's identity
        fetch_url TEXT NOT NULL,            -- where it lives now (301/308 update it)
        name TEXT NOT NULL,
        title TEXT,
        etag TEXT,
        last_modified TEXT,
        last_attempt_at TEXT,
        last_success_at TEXT,
        last_new_item_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        retry_after_until TEXT,
        next_poll_at TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        disabled_reason TEXT,
        items_total INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        canonical_link TEXT,
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        guid TEXT,
        link TEXT,
        title TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        content TEXT NOT NULL DEFAULT '',
        lang TEXT,
        author TEXT,
        published_at TEXT,
        fetched_at TEXT NOT NULL
    );
    CREATE INDEX items_canonical ON items(canonical_link);
    CREATE INDEX items_fetched ON items(fetched_at);
    CREATE TABLE matches (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        score REAL NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        terms TEXT NOT NULL DEFAULT '[]',
        urgent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (item_id, rule)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        destination TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,           -- destination + period: a repeat is recognisable
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sending','sent','dead')),
        period_start TEXT,
        period_end TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        lease_until TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_dest ON outbox(destination, status);
    CREATE TABLE deliveries (
        destination TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent')),
        urgent INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        outbox_id INTEGER REFERENCES outbox(id),
        delivered_at TEXT,
        PRIMARY KEY (destination, item_id)
    );
    CREATE INDEX deliveries_pending ON deliveries(destination, status);
    CREATE TABLE destinations (
        name TEXT PRIMARY KEY,
        last_sent_at TEXT,
        last_attempt_at TEXT,
        last_error TEXT,
        failing_since TEXT
    );
    """,
    # 2: what only the daemon knows (rules in force, a rejected edit, its heartbeat, notices sent)
    """
    CREATE TABLE IF NOT EXISTS service_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 3: readers' feedback on digest entries (and articles they missed). No reader identity beyond
    # the destination the link was sent to; the item's text is kept so review outlives retention
    # of the item, and the row itself is pruned with the same retention
    """
    CREATE TABLE IF NOT EXISTS feedback (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        destination TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('relevant', 'not_relevant', 'missed')),
        item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
        link TEXT,
        title TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        content TEXT NOT NULL DEFAULT '',
        lang TEXT,
        outlet TEXT NOT NULL DEFAULT '',
        rules TEXT NOT NULL DEFAULT '[]',
        terms TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        applied_at TEXT
    );
    CREATE INDEX IF NOT EXISTS feedback_created ON feedback(created_at);
    """,
    # 4: per feed, how many new items the age policy held back (stored, delivered nowhere)
    """
    ALTER TABLE feeds ADD COLUMN held_back_total INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feeds ADD COLUMN held_back_matched INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: a digest sent as several messages: each part as rendered, and whether the channel accepted it
    """
    CREATE TABLE IF NOT EXISTS outbox_parts (
        outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
        part INTEGER NOT NULL,              -- 1..n, sent in order
        payload BLOB NOT NULL,              -- the message exactly as the channel gets it
        item_ids TEXT NOT NULL DEFAULT '[]',  -- the articles this part makes reachable (JSON)
        sent_at TEXT,                       -- accepted by the channel
        PRIMARY KEY (outbox_id, part)
    );
    """,
)
