"""Ninety days on a fake clock (bench/soak.py): with the daemon's housekeeping the state on disk,
the items kept and the politeness maps stay bounded, and seven daily backups are kept."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench.soak import HOSTS_PER_DAY, simulate
from tests.servers import FeedServer, running


def test_ninety_days_stay_bounded() -> None:
    server = FeedServer()
    # on a tmpfs where there is one: the same figures, without paying for the fsyncs of 90 backups
    # and 900 checkpoints on a shared disk
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with running(server), tempfile.TemporaryDirectory(dir=shm) as tmp:
        serve = lambda body: server.serve("/soak.xml", body)  # noqa: E731
        run = simulate(Path(tmp), serve, server.url("/soak.xml"), days=90, items=15,
                       retention="30d")  # fmt: skip
        days = asyncio.run(run)
    # retention 30 days: from then on a day's items come in and a day's go out
    assert days[29].items == 30 * 15
    assert all(d.items <= 31 * 15 for d in days), [d.items for d in days]
    settled = [d.size for d in days[40:]]
    assert max(settled) <= days[39].size * 1.15, settled  # the file stops growing...
    assert days[-1].size < 2 * days[29].size  # ...far below three months' worth
    # the politeness maps: 10 new hosts a day, forgotten once idle
    assert max(d.hosts for d in days) <= HOSTS_PER_DAY + 1
    assert days[-1].backups == 7
