"""sd_notify against a real AF_UNIX datagram socket, as systemd would hold it."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sdnotify import Notifier, one_line, socket_address, watchdog_interval


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield sock, str(path)
    sock.close()


def received(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_ready_status_watchdog_stopping_arrive(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    n = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert n.enabled
    n.ready("polling 3 feeds")
    assert received(sock) == ["READY=1", "STATUS=polling 3 feeds"]
    n.status("last cycle 12:00\n2 feeds failing")
    assert received(sock) == ["STATUS=last cycle 12:00 2 feeds failing"]
    n.watchdog()
    assert received(sock) == ["WATCHDOG=1"]
    n.reloading()
    assert received(sock) == ["RELOADING=1"]
    n.stopping()
    assert received(sock) == ["STOPPING=1"]


def test_abstract_namespace_socket() -> None:
    name = f"newsbot-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(2)
    try:
        Notifier.from_env({"NOTIFY_SOCKET": "@" + name}).ready()
        assert received(sock) == ["READY=1"]
    finally:
        sock.close()


def test_without_notify_socket_nothing_is_sent() -> None:
    n = Notifier.from_env({})
    assert not n.enabled
    n.ready("x")  # must not raise: a terminal run has no systemd
    n.watchdog()


def test_missing_socket_raises(tmp_path: Path) -> None:
    n = Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    with pytest.raises(OSError):
        n.watchdog()


def test_socket_address_forms() -> None:
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"
    assert socket_address("@abc") == b"\0abc"
    assert one_line("  a\n b\tc ") == "a b c"


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "abc"}) is None
    # the watchdog belongs to another process (e.g. a wrapper): not ours to feed
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None


def test_full_queue_raises_instead_of_blocking(tmp_path: Path) -> None:
    # nobody reads this socket: once its queue is full a send must fail fast, not hang the loop
    path = tmp_path / "full.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    n = Notifier.from_env({"NOTIFY_SOCKET": str(path)})
    try:
        with pytest.raises(BlockingIOError):
            for _ in range(10_000):
                n.watchdog()
    finally:
        sock.close()
