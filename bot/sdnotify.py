"""A tiny sd_notify client: tell systemd we are ready, how we are doing, and that we are alive.

The protocol is one AF_UNIX datagram of ``KEY=value`` lines to the socket named in
``$NOTIFY_SOCKET`` (a leading ``@`` means the Linux abstract namespace). Without that variable
every call is a no-op, so the daemon runs the same under systemd, in a terminal, or in tests.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass


def socket_address(value: str) -> str | bytes:
    """``$NOTIFY_SOCKET`` -> an address for ``socket.sendto``."""
    if value.startswith("@"):
        # abstract namespace: the name starts with a NUL byte instead of the '@'
        return b"\0" + value[1:].encode()
    return value


def watchdog_interval(environ: Mapping[str, str]) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``WATCHDOG_USEC``), or None without a watchdog.

    systemd sets ``WATCHDOG_PID`` too; if it names another process, the watchdog is not ours.
    """
    usec = environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = environ.get("WATCHDOG_PID", "")
    if pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 2 / 1_000_000


def one_line(text: str) -> str:
    """A STATUS= value must not contain newlines: they would start new assignments."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Notifier:
    """Sends notifications to systemd; ``address=None`` makes it a no-op."""

    address: str | bytes | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        value = env.get("NOTIFY_SOCKET", "")
        return cls(socket_address(value) if value else None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *assignments: str) -> None:
        """Send ``KEY=value`` assignments in one datagram.

        Raises OSError if systemd is gone, and BlockingIOError (an OSError) if its queue is full:
        the send never blocks, because it runs in the event loop that it reports on.
        """
        if self.address is None or not assignments:
            return
        payload = "\n".join(assignments).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.setblocking(False)
            sock.sendto(payload, self.address)

    def ready(self, status: str | None = None) -> None:
        extra = (f"STATUS={one_line(status)}",) if status else ()
        self.send("READY=1", *extra)

    def status(self, text: str) -> None:
        self.send(f"STATUS={one_line(text)}")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def reloading(self) -> None:
        self.send("RELOADING=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")
