"""Shared builders for the digest and notify tests: pending items, destinations, digests and a
loopback HTTP receiver that answers from a script. Example texts are invented for the tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config import ConsoleOptions, DestinationConfig, DestinationOptions
from bot.digest import build_digest
from bot.models import Digest, FeedHealth, PendingItem, RuleMatch

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City


def item(
    item_id: int,
    title: str,
    *,
    outlet: str = "Harbour Times",
    summary: str = "Hanoi and Tokyo officials met to discuss rail funding.",
    rule: str = "vn-jp",
    score: float = 2.0,
    terms: Sequence[str] = ("Tokyo", "Hanoi"),
    tags: Sequence[str] = (),
    link: str | None = None,
    canonical: str | None = None,
    lang: str | None = "en",
    hours_ago: float = 1.0,
    matches: Sequence[RuleMatch] | None = None,
) -> PendingItem:
    return PendingItem(
        item_id=item_id,
        title=title,
        link=link if link is not None else f"https://news.example/a/{item_id}",
        canonical_link=canonical,
        feed_url=f"https://{outlet.lower().replace(' ', '-')}.example/feed",
        outlet=outlet,
        lang=lang,
        published=NOW - timedelta(hours=hours_ago),
        fetched_at=NOW,
        summary=summary,
        content="",
        matches=tuple(matches)
        if matches is not None
        else (RuleMatch(rule=rule, score=score, tags=tuple(tags), terms=tuple(terms)),),
    )


def destination(
    options: DestinationOptions | None = None,
    *,
    name: str = "desk",
    kind: str = "console",
    **kw: Any,
) -> DestinationConfig:
    return DestinationConfig(
        name=name,
        type=kind,
        options=options or ConsoleOptions(),
        timezone=kw.pop("timezone", "Asia/Ho_Chi_Minh"),
        **kw,
    )


def digest_of(
    items: Sequence[PendingItem],
    *,
    dest: DestinationConfig | None = None,
    health: Sequence[FeedHealth] = (),
    key: str = "desk:2026-11-23T08:00",
) -> Digest:
    return build_digest(
        destination=dest or destination(),
        items=items,
        key=key,
        period_start=NOW - timedelta(days=1),
        period_end=NOW,
        health=health,
    )


def many_items(n: int) -> list[PendingItem]:
    """`n` distinct stories with long-ish summaries (a digest that must be split for Slack)."""
    return [
        item(
            i,
            f"Story {i}: port upgrade number {i} in Hai Phong region {i * 7}",
            outlet=f"Outlet {i % 9}",
            summary=(f"Report {i} on cooperation between Hanoi and Tokyo. " * 8).strip(),
            rule=("vn-jp", "oda", "trade")[i % 3],
            score=1.0 + (i % 5),
            hours_ago=i / 10,
        )
        for i in range(1, n + 1)
    ]


INJECTION_TITLE = (
    "<!channel> Deal & <script>alert(1)</script>\r\nBcc: victim@example.org\u2028X-Evil: 1"
)


# ----------------------------------------------------------------------------- HTTP receiver


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A loopback HTTP server that answers POSTs from a script of replies (then `default`)."""

    def __init__(self, replies: Sequence[Reply] = (), default: Reply | None = None) -> None:
        self.replies = list(replies)
        self.default = default or Reply()
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                data = reply.body.encode()
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join()
