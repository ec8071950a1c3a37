"""A small site for end-to-end tests: one loopback feed, one rules path, a file destination."""

from __future__ import annotations

import json
from pathlib import Path


def write_site_config(
    tmp: Path, *, feed_url: str, rules: str, state: str = "state.sqlite3"
) -> Path:
    """newsbot.toml in `tmp`: the feed "Desk", rules at `rules`, state at `state` (both relative to
    `tmp`), digests as JSON files in `tmp`/digests (destination "archive")."""
    cfg = tmp / "newsbot.toml"
    cfg.write_text(
        f"""
[state]
path = "{state}"
[rules]
paths = ["{rules}"]
[[feeds]]
url = "{feed_url}"
name = "Desk"
[[destinations]]
name = "archive"
type = "file"
dir = "digests"
format = "json"
""",
        encoding="utf-8",
    )
    return cfg


def archived(tmp: Path) -> list[str]:
    """The links of every entry the "archive" destination received, sorted."""
    return sorted(
        e["link"]
        for f in (tmp / "digests").glob("*.json")
        for e in json.loads(f.read_text())["entries"]
    )
