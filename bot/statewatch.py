"""The daemon's state file when it cannot take writes (a full disk, a read-only file, an I/O error).

Said once per episode, not once per failed job: the daemon logs it, shows it in systemd's STATUS=
line and sends one operator notice; it keeps running (the WATCHDOG keeps going: a restart would be as
wedged) and retries on every job. Nothing it had accepted is lost: a poll whose items could not be
stored is fetched whole again, a digest that could not be marked sent is sent again under its key.
The episode ends when a heartbeat is written again with no failure for a while.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from bot.store.safety import state_error


class StateWatch:
    def __init__(self, path: Path, *, quiet: float) -> None:
        self.path = path
        self.quiet = timedelta(seconds=quiet)  # no failure for this long before calling it over
        self.problem: str | None = None
        self.since: datetime | None = None
        self.last_failure: datetime | None = None

    def failed(self, exc: sqlite3.Error, *, now: datetime) -> str | None:
        """Record a failed write; the one-line problem when this starts an episode, else None."""
        self.last_failure = now
        if self.problem is not None:
            return None
        self.problem = str(state_error(exc, self.path))
        self.since = now
        return self.problem

    def wrote(self, *, now: datetime) -> bool:
        """A write went through; True when that ends an episode."""
        if self.problem is None or (self.last_failure and now - self.last_failure < self.quiet):
            return False
        self.problem = self.since = None
        return True
