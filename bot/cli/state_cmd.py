"""`newsbot state check | restore FILE`: trust the state database, and get it back when it broke.

The daemon backs the state up every day into ``backups/`` beside it (the last 7 kept). A damaged,
empty or foreign state file stops every command with one line naming it and the way out; this is
the way out.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import config_from_args
from bot.errors import StoreError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "state",
        help="check the state database, or restore it from a backup",
        description="The state database (feeds, items, what was delivered) and its daily "
        "backups (backups/ beside it, the last 7 kept).",
    )
    actions = p.add_subparsers(dest="state_action", metavar="ACTION")
    p.set_defaults(func=lambda _args: _usage(p))
    check = actions.add_parser(
        "check",
        help="run SQLite's integrity check on the state file (exit 1 when damaged)",
        description="Check the state file read-only (SQLite's full integrity check) and list its "
        "backups. Exit 0 when sound, 1 when damaged, empty where a database was, or not a "
        "database; the message names the backup to restore.",
    )
    check.set_defaults(func=run_check)
    restore = actions.add_parser(
        "restore",
        help="put a backup in place of the state file (stop the daemon first)",
        description="Check FILE (integrity, a schema this newsbot knows), keep the current state "
        "file beside it renamed (.replaced-TIME), and put a copy of FILE in its place with the "
        "same owner. Refused while the daemon is running: systemctl stop newsbot first.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="a backup, e.g. from backups/")
    restore.set_defaults(func=run_restore)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def run_check(args: argparse.Namespace) -> int:
    from bot.store.safety import backups, check_before_open, integrity, recovery

    path = config_from_args(args, sends=False).state.path
    if not path.exists():
        print(f"state: {path} does not exist yet (the first run creates it)")
        return 0
    check_before_open(path)  # StoreError: empty where backups exist, not SQLite
    problems = integrity(path)
    if problems:
        shown = "; ".join(problems[:3]) + (
            f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        raise StoreError(f"store: {path} is damaged ({shown}): {recovery(path)}")
    found = backups(path)
    print(
        f"ok: {path}: integrity check passed, {_items(path)} items, {path.stat().st_size:,} bytes"
    )
    print(f"backups ({len(found)}):" if found else "backups: none yet (the daemon makes one a day)")
    for b in found:
        print(f"  {b}")
    return 0


def _items(path: Path) -> int:
    from bot.store.safety import inspect

    db = inspect(path)
    try:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])
    except sqlite3.Error:
        return 0  # a state file from before its first poll
    finally:
        db.close()


def run_restore(args: argparse.Namespace) -> int:
    from bot.models import utcnow
    from bot.store.migrations import MIGRATIONS
    from bot.store.safety import restore

    config = config_from_args(args, sends=False)
    path = config.state.path
    if _daemon_running(path, heartbeat=config.service.heartbeat):
        raise StoreError(f"store: the daemon is running on {path}: stop it first "
                         "(systemctl stop newsbot), then restore")  # fmt: skip
    aside = restore(path, args.file, now=utcnow(), known_schema=len(MIGRATIONS))
    kept = f"; the file it replaced is kept as {aside}" if aside else ""
    print(f"restored {path} from {args.file}{kept}")
    print("start the daemon again: systemctl start newsbot")
    return 0


def _daemon_running(path: Path, *, heartbeat: float) -> bool:
    """The daemon's last heartbeat, if the state file can tell (a damaged one cannot: not running)."""
    from bot.models import utcnow
    from bot.status import DAEMON, daemon_status
    from bot.store.safety import inspect

    try:
        db = inspect(path)
        try:
            row = db.execute("SELECT value FROM service_state WHERE key = ?", (DAEMON,)).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    if row is None:
        return False
    daemon = daemon_status(json.loads(row[0]), now=utcnow(), heartbeat=heartbeat)
    return daemon is not None and daemon.alive
