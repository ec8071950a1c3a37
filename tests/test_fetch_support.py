"""A scriptable HTTP server on loopback for the fetch/parse tests (no tests of its own here).

Each route is a function of the request handler, so a test can trickle bytes, stream forever, or
count concurrent requests. Handlers stop as soon as the client goes away.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config import FetchConfig

Handler = Callable[[BaseHTTPRequestHandler], None]


def fast_settings(**overrides: Any) -> FetchConfig:
    """Small limits so guards trip quickly in tests."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "deadline": 5.0,
        "max_feed_bytes": 1024 * 1024,
        "concurrency": 20,
        "per_host": 20,
        "clients": 2,
    }
    values.update(overrides)
    return FetchConfig(**values)


class LocalServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    outer.requests.append(
                        (self.path, {k.lower(): v for k, v in self.headers.items()})
                    )
                    outer.active += 1
                    outer.max_active = max(outer.max_active, outer.active)
                try:
                    handler = outer.routes.get(self.path.split("?", 1)[0])
                    if handler is None:
                        reply(self, 404, b"not found")
                    else:
                        handler(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: exactly what the limit tests want
                finally:
                    with outer._lock:
                        outer.active -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def handle(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        ctype: str = "application/rss+xml",
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        hdrs = {"Content-Type": ctype, **(headers or {})}
        return self.handle(path, lambda h: reply(h, status, data, hdrs))

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        return self.handle(path, lambda h: reply(h, status, b"", {"Location": to}))

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def reply(
    h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def stream(
    h: BaseHTTPRequestHandler,
    chunks: Iterator[bytes],
    headers: dict[str, str] | None = None,
    pause: float = 0.0,
) -> None:
    """No Content-Length: the body runs until the iterator ends or the client hangs up."""
    h.send_response(200)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Connection", "close")
    h.end_headers()
    for chunk in chunks:
        h.wfile.write(chunk)
        h.wfile.flush()
        if pause:
            time.sleep(pause)


def zeros_gzip(total: int, *, step: int = 1 << 20) -> Iterator[bytes]:
    """A gzip stream of `total` zero bytes, compressed on the fly: never held in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(step)
    for _ in range(total // step):
        out = comp.compress(block)
        if out:
            yield out
    yield comp.flush()


@contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[LocalServer]:
    server = LocalServer(host)
    thread = threading.Thread(
        target=server.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def rss(items: list[dict[str, str]], *, title: str = "Test feed", extra: str = "") -> str:
    parts = []
    for it in items:
        fields = "".join(f"<{k}>{v}</{k}>" for k, v in it.items())
        parts.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://outlet.example/</link>{extra}"
        f"{''.join(parts)}</channel></rss>"
    )
