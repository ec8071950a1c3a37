"""Housekeeping, so months of unattended running stay as healthy as the first day.

`newsbot run` does it on a schedule (the ``housekeeping`` job), `newsbot once` at the end of its
cycle; both through `Housekeeper`, which remembers when each chore last ran:

- every run: checkpoint the WAL into the database and truncate it (a reader that never lets go, or a
  write burst, would otherwise let it grow until the disk is full);
- hourly: forget items past ``[state] retention`` that no destination is owed, give the freed pages
  back to the file system, ``PRAGMA optimize``, forget idle hosts' politeness state;
- daily: an online backup into the state folder's ``backups/``, the last 7 kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.fetch import Fetcher
from bot.log import get_logger, kv
from bot.store import Store
from bot.store.safety import KEEP, backup

log = get_logger("housekeeping")

#: how often the daemon's housekeeping job runs (a WAL checkpoint each time)
EVERY = 600.0
#: pruning, PRAGMA optimize and the politeness maps, at most this often
PRUNE_EVERY = 3600.0


@dataclass
class Chores:
    """What one housekeeping run did."""

    checkpointed: bool = False
    pruned: int | None = None  # items forgotten; None: not due
    hosts_forgotten: int = 0
    backup: Path | None = None


@dataclass
class Housekeeper:
    retention: float  # seconds
    keep_backups: int = KEEP
    last_prune: datetime | None = field(default=None)

    def run(self, store: Store, *, now: datetime, fetcher: Fetcher | None = None) -> Chores:
        """Do what is due. SQLite errors (a full disk) propagate: the caller reports them."""
        done = Chores()
        if self.last_prune is None or now - self.last_prune >= timedelta(seconds=PRUNE_EVERY):
            done.pruned = store.prune(before=now - timedelta(seconds=self.retention))
            store.reclaim()
            if fetcher is not None:
                done.hosts_forgotten = fetcher.prune_hosts()
            self.last_prune = now
        done.backup = backup(store.db, store.path, now=now, keep=self.keep_backups)
        store.checkpoint()
        done.checkpointed = True
        if done.pruned or done.backup:
            log.info(kv("housekeeping", pruned=done.pruned, hosts_forgotten=done.hosts_forgotten,
                        backup=done.backup))  # fmt: skip
        return done
