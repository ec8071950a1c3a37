"""Real servers on 127.0.0.1 for tests: feed files over HTTP, a Slack webhook receiver, SMTP.

Nothing here talks to anything but loopback. Each server binds port 0 and stops on exit.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def rfc822(when: datetime | None = None) -> str:
    """An RSS <pubDate> value; now by default: a feed item newsbot's age policy delivers."""
    return format_datetime(when or datetime.now(UTC))


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """Serves `routes` (path -> Route); a route can be replaced between cycles."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, dict(self.headers)))
                route = outer.routes.get(self.path, Route(404, b"not found"))
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(
        self, path: str, body: bytes | str, *, status: int = 200, ctype: str = "application/rss+xml"
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(status, data, {"Content-Type": ctype})
        return self.url(path)


class SlackReceiver:
    """Stands in for Slack's incoming-webhook endpoint; `down` makes it answer 503."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.down = False
        self.answer: Callable[[dict[str, Any]], tuple[int, bytes, dict[str, str]]] | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.down:
                    self._reply(503, b"service unavailable", {})
                    return
                payload = json.loads(raw)
                if outer.answer is not None:
                    status, body, headers = outer.answer(payload)
                    if status == 200:
                        outer.payloads.append(payload)
                    self._reply(status, body, headers)
                    return
                outer.payloads.append(payload)
                self._reply(200, b"ok", {})

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"


@contextmanager
def running(server: FeedServer | SlackReceiver) -> Iterator[Any]:
    # a short poll interval: shutdown() waits for it (0.5 s by default, per server, per test)
    t = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    t.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


class MailSink:
    """aiosmtpd handler keeping every message, parsed back with the stdlib email package."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.reject_next: list[str] = []  # SMTP replies to give instead of accepting, in order

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reject_next:
            return self.reject_next.pop(0)
        raw = (
            envelope.content
            if isinstance(envelope.content, bytes)
            else str(envelope.content).encode()
        )
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


def free_port() -> int:
    # aiosmtpd's Controller probes its own port after start, so it cannot bind port 0 itself
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(*, data_size_limit: int | None = None) -> Iterator[tuple[MailSink, int]]:
    """aiosmtpd on loopback; `data_size_limit` is advertised as SIZE and enforced (552)."""
    sink = MailSink()
    port = free_port()
    limits = {} if data_size_limit is None else {"data_size_limit": data_size_limit}
    controller = Controller(sink, hostname="127.0.0.1", port=port, **limits)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
