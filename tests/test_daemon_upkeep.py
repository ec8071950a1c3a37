"""The daemon keeps itself healthy: a reload applies every setting that can change live and names
the ones that need a restart; a full disk under the state is said once, loses nothing, heals by
itself and still lets SIGTERM exit 0. `newsbot run` as a real process, on loopback."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import FeedServer, running
from tests.test_daemon import rss, wait_for

RULES_A = "rules:\n  - name: pair\n    all: [Vietnam, Japan]\n"
RULES_B = "rules:\n  - name: korea\n    all: [Vietnam, Korea]\n"


class Harness:
    """A config in `tmp`, a loopback feed, a notify socket read like systemd does, the daemon."""

    def __init__(self, tmp: Path, feeds: FeedServer) -> None:
        self.tmp, self.feeds = tmp, feeds
        self.cfg = tmp / "newsbot.toml"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(tmp / "notify.sock"))
        self.notify.settimeout(0.2)
        self.received: list[tuple[float, str]] = []
        self.done = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "NOTIFY_"))
        }
        self.env |= {"NOTIFY_SOCKET": str(tmp / "notify.sock"), "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen[bytes] | None = None

    def _read(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(TimeoutError):
                data = self.notify.recv(4096).decode()
                self.received += [(time.monotonic(), line) for line in data.split("\n")]

    def config(self, *, state: str = "state/newsbot.sqlite3", rules: str = "a.yaml",
               feeds: tuple[str, ...] = ("/a.xml",), dests: tuple[str, ...] = ("archive",),
               extra: str = "") -> None:  # fmt: skip
        feed_tables = "".join(
            f'[[feeds]]\nurl = "{self.feeds.url(p)}"\nname = "{p}"\ninterval = "1s"\n'
            for p in feeds
        )
        dest_tables = "".join(
            f'[[destinations]]\nname = "{d}"\ntype = "file"\ndir = "{d}"\nformat = "json"\n'
            for d in dests
        )
        self.cfg.write_text(
            f'[state]\npath = "{state}"\n[rules]\npaths = ["{rules}"]\n{extra}\n'
            f'[service]\nheartbeat = "1s"\njitter = 0.1\nnotice_destination = "ops"\n'
            f"{feed_tables}{dest_tables}"
            '[[destinations]]\nname = "ops"\ntype = "file"\ndir = "ops"\nformat = "text"\n'
            'rules = ["no-such-rule"]\n',
            encoding="utf-8",
        )

    def start(self, *prefix: str) -> subprocess.Popen[bytes]:
        with (self.tmp / "daemon.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [*prefix, sys.executable, "-m", "bot", "--config", str(self.cfg), "run"],
                env=self.env, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        wait_for("READY=1", lambda: self.saw("READY=1"))
        return self.proc

    def saw(self, text: str) -> bool:
        return any(text in line for _, line in self.received)

    def log(self) -> str:
        return (self.tmp / "daemon.log").read_text(errors="replace")

    def status(self, *prefix: str) -> tuple[int, dict[str, Any]]:
        out = subprocess.run(
            [*prefix, sys.executable, "-m", "bot", "--config", str(self.cfg), "status", "--json"],
            env=self.env, capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        assert out.returncode in (0, 1) and out.stdout, out.stderr.decode()
        data: dict[str, Any] = json.loads(out.stdout)
        return out.returncode, data

    def hup(self) -> None:
        assert self.proc is not None
        self.received.clear()
        self.proc.send_signal(signal.SIGHUP)
        wait_for("reloaded", lambda: self.saw("READY=1"))

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.done.set()
        self.reader.join()
        self.notify.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    feeds = FeedServer()
    feeds.serve("/a.xml", rss([("Vietnam and Japan sign a port deal", "https://n.example/1")]))
    (tmp_path / "a.yaml").write_text(RULES_A, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(RULES_B, encoding="utf-8")
    with running(feeds):
        h = Harness(tmp_path, feeds)
        try:
            yield h
        finally:
            h.close()


def _user_agents(feeds: FeedServer, path: str) -> set[str]:
    return {h.get("User-Agent", "") for p, h in feeds.requests if p == path}


def test_reload_applies_what_can_change_live_and_names_what_cannot(harness: Harness) -> None:
    h, tmp = harness, harness.tmp
    h.config()
    h.start()
    wait_for("first delivery", lambda: links(tmp / "archive"))
    wait_for(
        "today's backup, made at start", lambda: list((tmp / "state/backups").glob("*.sqlite3"))
    )

    # feeds, destinations, rules paths, [fetch], log level and [rules] watch, in one edit
    h.feeds.serve("/b.xml", rss([("Vietnam and Korea open a tech hub", "https://n.example/k1")]))
    h.config(rules="b.yaml", feeds=("/a.xml", "/b.xml"), dests=("archive", "desk"),
             extra='watch = false\n[fetch]\nuser_agent = "reloaded-agent/1"\n[log]\nlevel = "debug"')  # fmt: skip
    h.hup()
    wait_for("the new feed, under the new rules, to the new destination",
             lambda: "https://n.example/k1" in links(tmp / "desk"))  # fmt: skip
    wait_for("polls with the new fetch settings",
             lambda: "reloaded-agent/1" in _user_agents(h.feeds, "/a.xml"))  # fmt: skip
    wait_for("debug lines", lambda: "level=debug" in h.log())
    code, status = h.status()
    assert code == 0
    applied = set(status["reload"]["applied"])
    assert {"feeds", "destinations", "rules.paths", "rules.watch", "fetch.user_agent",
            "log.level"} <= applied, applied  # fmt: skip
    assert status["reload"]["needs_restart"] == []

    # watch = false now: an edit to the rule file is not picked up on its own
    loaded = status["rules"]["loaded_at"]
    (tmp / "b.yaml").write_text(RULES_B + "  - name: more\n    all: [Vietnam, Laos]\n", "utf-8")
    time.sleep(2)  # the watcher, were it on, looks every second
    assert h.status()[1]["rules"]["loaded_at"] == loaded

    # the heartbeat: from every second to every 2 s
    text = h.cfg.read_text().replace('heartbeat = "1s"', 'heartbeat = "2s"')
    h.cfg.write_text(text, encoding="utf-8")
    h.hup()
    start = time.monotonic()
    wait_for("three pings", lambda: len(_pings(h, start)) >= 3, timeout=30)
    pings = _pings(h, start)
    assert min(b - a for a, b in itertools.pairwise(pings)) > 1.5, pings
    assert "service.heartbeat" in h.status()[1]["reload"]["applied"]

    # worker processes start with the daemon: named, with the reason, in status (exit 0: not failing)
    many = "".join(
        f'[[feeds]]\nurl = "{h.feeds.url(f"/f{i}.xml")}"\ninterval = "1h"\n' for i in range(50)
    )
    h.cfg.write_text(text + many, encoding="utf-8")
    h.hup()
    _, status = h.status()
    assert [s for s, _ in status["reload"]["needs_restart"]] == ["workers"]
    assert "feeds" in status["reload"]["applied"]
    human = subprocess.run([sys.executable, "-m", "bot", "--config", str(h.cfg), "status"],
                           env=h.env, capture_output=True, text=True, check=False).stdout  # fmt: skip
    assert "NEEDS RESTART: workers: worker processes start with the daemon" in human

    # the state path cannot change under a running daemon: in the log and in STATUS=, at every
    # reload until the restart
    h.cfg.write_text(text.replace("state/newsbot.sqlite3", "elsewhere.sqlite3"), encoding="utf-8")
    for _ in range(2):
        h.hup()
        assert h.saw("restart to apply state.path")
    assert h.log().count("state.path needs a restart") == 2
    assert h.stop() == 0


def links(folder: Path) -> list[str]:
    """The links a file destination writing JSON into `folder` received, sorted."""
    return sorted(
        e["link"] for f in folder.glob("*.json") for e in json.loads(f.read_text())["entries"]
    )


def _pings(h: Harness, since: float) -> list[float]:
    return [t for t, line in list(h.received) if line == "WATCHDOG=1" and t >= since]


def _in_namespace(pid: int, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nsenter", "-t", str(pid), "-m", *cmd], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


@pytest.fixture
def small_disk(harness: Harness) -> Iterator[tuple[Path, int]]:
    """A 2 MB tmpfs on `state/`, in a mount namespace held by a process of its own (so a daemon can
    stop and start on it): (the folder, the holder's pid). Gone with the holder; the host never
    sees it."""
    state = harness.tmp / "state"
    state.mkdir()
    holder = subprocess.Popen(["unshare", "-m", "sh", "-c",
                               f"mount -t tmpfs -o size=2m tmpfs {state} && exec sleep 600"])  # fmt: skip
    try:
        wait_for("the tmpfs", lambda: _in_namespace(holder.pid, "mountpoint", "-q", str(state))
                 .returncode == 0)  # fmt: skip
        yield state, holder.pid
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("nsenter")),
    reason="needs root to mount a small tmpfs (in a private mount namespace)",
)
def test_a_full_disk_is_said_once_loses_nothing_heals_and_stops_cleanly(
    harness: Harness, small_disk: tuple[Path, int]
) -> None:
    h, tmp = harness, harness.tmp
    state, holder = small_disk
    inside = ("nsenter", "-t", str(holder), "-m")
    h.config()
    h.start(*inside)
    wait_for("first delivery", lambda: links(tmp / "archive") == ["https://n.example/1"])

    fill = _in_namespace(holder, "sh", "-c", f"dd if=/dev/zero of={state}/filler bs=4k 2>&1")
    assert "No space left" in fill.stdout, fill.stdout
    h.feeds.serve("/a.xml", rss([(f"Vietnam and Japan agree on deal {i}", f"https://n.example/d{i}")
                                 for i in range(200)]))  # fmt: skip
    wait_for("the state problem in STATUS=", lambda: h.saw("STATE NOT WRITABLE"))
    wait_for("the operator notice", lambda: list((tmp / "ops").glob("*.txt")))
    code, status = h.status(*inside)
    assert code == 1 and "is full" in status["state"]["problem"]
    pings = len([1 for _, line in h.received if line == "WATCHDOG=1"])
    time.sleep(2)  # failing polls every second: said once, not once per failure
    assert h.log().count("state_unwritable") == 1
    assert "Traceback" not in h.log() and "job_crashed" not in h.log()
    assert len([1 for _, line in h.received if line == "WATCHDOG=1"]) > pings  # still alive
    assert len(list((tmp / "ops").glob("*.txt"))) == 1
    assert len(links(tmp / "archive")) == 1  # nothing new could be stored, so nothing sent yet

    # SIGTERM on a full disk: exit 0; and a start on a full disk: runs, and says so
    assert h.stop() == 0
    h.received.clear()
    h.start(*inside)
    wait_for("the state problem after a restart", lambda: h.saw("STATE NOT WRITABLE"))
    assert "Traceback" not in h.log()

    # space comes back: the daemon heals by itself and delivers everything it had seen
    grow = _in_namespace(holder, "mount", "-o", "remount,size=16m", str(state))
    assert grow.returncode == 0, grow.stderr
    wait_for("all 200 items", lambda: "status=sent items=200" in h.log(), timeout=40)
    wait_for("recovery in the log", lambda: "state_writable_again" in h.log())
    code, status = h.status(*inside)
    assert status["state"]["problem"] is None
    assert next(d for d in status["destinations"] if d["name"] == "archive")["pending"] == 0
    assert h.stop() == 0
    assert "Traceback" not in h.log()
