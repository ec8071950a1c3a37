"""Fetcher against a real loopback server: statuses, redirects, conditional GET, politeness."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import bot
from bot.errors import FeedGone, FetchError, RateLimited
from bot.fetch import Fetcher
from bot.fetch.hosts import HostGate
from tests.test_fetch_support import LocalServer, fast_settings, reply, rss, serving

FEED = rss([{"title": "Hello", "link": "https://outlet.example/a", "guid": "a"}])
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serving() as s:
        yield s


def fetcher(**overrides: object) -> Fetcher:
    return Fetcher(
        settings=fast_settings(**overrides), user_agent=bot.USER_AGENT, clock=lambda: NOW
    )


async def test_ok_body_headers_and_user_agent(server: LocalServer) -> None:
    url = server.static(
        "/feed.xml",
        FEED,
        headers={"ETag": '"v1"', "Last-Modified": "Fri, 01 May 2026 10:00:00 GMT"},
    )
    async with fetcher() as f:
        result = await f.fetch(url)
    assert result.status == 200
    assert result.body == FEED.encode()
    assert result.final_url == url
    assert result.etag == '"v1"'
    assert result.last_modified == "Fri, 01 May 2026 10:00:00 GMT"
    assert result.headers["content-type"] == "application/rss+xml"
    sent = server.requests[0][1]
    assert sent["user-agent"] == bot.USER_AGENT
    assert bot.PROJECT_URL in sent["user-agent"]
    assert sent["accept-encoding"] == "gzip, deflate"


async def test_conditional_get_gives_304_without_body(server: LocalServer) -> None:
    def conditional(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            reply(h, 304, b"")
        else:
            reply(h, 200, FEED.encode(), {"ETag": '"v1"'})

    url = server.handle("/feed.xml", conditional)
    async with fetcher() as f:
        first = await f.fetch(url)
        second = await f.fetch(url, etag=first.etag, last_modified="Fri, 01 May 2026 10:00:00 GMT")
    assert first.status == 200 and first.etag == '"v1"'
    assert second.not_modified and second.body is None
    assert second.etag == '"v1"'  # kept when the 304 does not repeat it
    assert second.last_modified == "Fri, 01 May 2026 10:00:00 GMT"
    assert server.requests[1][1]["if-modified-since"] == "Fri, 01 May 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (404, FetchError, "404 Not Found"),
        (500, FetchError, "500 Internal Server Error"),
        (410, FeedGone, "410 Gone"),
        (503, FetchError, "503 Service Unavailable"),
    ],
)
async def test_error_statuses(
    server: LocalServer, status: int, error: type[FetchError], text: str
) -> None:
    url = server.static("/feed.xml", "nope", status=status)
    async with fetcher() as f:
        with pytest.raises(error) as info:
            await f.fetch(url)
    assert type(info.value) is error
    assert info.value.status == status
    assert str(info.value) == f"fetch: {text} for {url}"


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds"),
    [(429, "120", 120.0), (503, "Fri, 01 May 2026 12:05:00 GMT", 300.0), (429, None, None)],
)
async def test_rate_limited_with_retry_after(
    server: LocalServer, status: int, retry_after: str | None, seconds: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    url = server.static("/feed.xml", "slow down", status=status, headers=headers)
    async with fetcher() as f:
        with pytest.raises(RateLimited) as info:
            await f.fetch(url)
    assert info.value.retry_after == seconds
    assert info.value.status == status


async def test_permanent_redirect_is_reported(server: LocalServer) -> None:
    new = server.static("/new.xml", FEED)
    old = server.redirect("/old.xml", "/new.xml", status=301)
    async with fetcher() as f:
        result = await f.fetch(old)
    assert result.final_url == new
    assert result.permanent_redirect == new
    assert result.body == FEED.encode()


@pytest.mark.parametrize("status", [302, 307])
async def test_temporary_redirect_keeps_the_stored_url(server: LocalServer, status: int) -> None:
    new = server.static("/new.xml", FEED)
    old = server.redirect("/old.xml", new, status=status)
    async with fetcher() as f:
        result = await f.fetch(old)
    assert result.final_url == new
    assert result.permanent_redirect is None


async def test_permanent_then_temporary_moves_only_to_the_first_target(server: LocalServer) -> None:
    server.static("/c.xml", FEED)
    server.redirect("/b.xml", "/c.xml", status=302)
    a = server.redirect("/a.xml", "/b.xml", status=308)
    async with fetcher() as f:
        result = await f.fetch(a)
    assert result.final_url == server.url("/c.xml")
    assert result.permanent_redirect == server.url("/b.xml")


async def test_redirect_loop_is_detected(server: LocalServer) -> None:
    server.redirect("/a.xml", "/b.xml")
    a = server.redirect("/b.xml", "/a.xml")
    async with fetcher(max_redirects=50) as f:
        with pytest.raises(FetchError, match="redirect loop"):
            await f.fetch(a)
    assert len(server.requests) == 2


async def test_at_most_five_redirects(server: LocalServer) -> None:
    server.static("/r6", FEED)
    for i in range(6):
        server.redirect(f"/r{i}", f"/r{i + 1}")
    async with fetcher() as f:
        ok = await f.fetch(server.url("/r1"))  # five hops
        assert ok.final_url == server.url("/r6")
        with pytest.raises(FetchError, match="more than 5 redirects"):
            await f.fetch(server.url("/r0"))  # six hops


async def test_https_to_http_redirect_is_refused() -> None:
    # no TLS server on loopback here: the transport stands in for https://; the check is on URLs
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return httpx.Response(301, headers={"Location": "http://feeds.example/rss"})
        return httpx.Response(200, content=FEED.encode())

    async with Fetcher(
        settings=fast_settings(), user_agent=bot.USER_AGENT, transport=httpx.MockTransport(answer)
    ) as f:
        with pytest.raises(FetchError, match="HTTPS to HTTP"):
            await f.fetch("https://feeds.example/rss")
        plain = await f.fetch("http://feeds.example/rss")
    assert plain.status == 200


async def test_connection_refused_is_a_fetch_error() -> None:
    with serving() as s:
        url = s.url("/feed.xml")
    async with fetcher() as f:
        with pytest.raises(FetchError, match=r"^fetch: .*127\.0\.0\.1"):
            await f.fetch(url)


async def test_per_host_limit_caps_concurrency(server: LocalServer) -> None:
    gate = threading.Event()

    def slow(h: BaseHTTPRequestHandler) -> None:
        gate.wait(2)
        reply(h, 200, FEED.encode())

    for i in range(8):
        server.handle(f"/f{i}.xml", slow)
    async with fetcher(per_host=2) as f:
        tasks = [asyncio.create_task(f.fetch(server.url(f"/f{i}.xml"))) for i in range(8)]
        while server.active < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # room for a third request to sneak in if the limit were broken
        peak = server.max_active
        gate.set()
        results = await asyncio.gather(*tasks)
    assert peak == 2
    assert server.max_active == 2
    assert all(r.status == 200 for r in results)


async def test_host_gate_spaces_requests_to_one_host() -> None:
    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    gate = HostGate(per_host=5, min_interval=0.5, monotonic=lambda: now[0], sleep=fake_sleep)
    for _ in range(3):
        async with gate.slot("a.example"):
            pass
    async with gate.slot("b.example"):
        pass
    now[0] += 10
    async with gate.slot("a.example"):
        pass
    assert slept == [0.5, 1.0]


async def test_a_full_pool_spills_over_instead_of_queueing(server: LocalServer) -> None:
    # concurrency 4 over 2 clients: pools of 2. One host's home pool fills; the next two requests
    # must go to the other pool at once, not wait inside httpcore (whose queue costs CPU)
    gate = threading.Event()

    def slow(h: BaseHTTPRequestHandler) -> None:
        gate.wait(2)
        reply(h, 200, FEED.encode())

    for i in range(8):
        server.handle(f"/q{i}.xml", slow)
    async with fetcher(concurrency=4, clients=2, per_host=4) as f:
        tasks = [asyncio.create_task(f.fetch(server.url(f"/q{i}.xml"))) for i in range(8)]
        for _ in range(200):
            if server.active >= 4:
                break
            await asyncio.sleep(0.01)
        peak = server.max_active
        gate.set()
        results = await asyncio.gather(*tasks)
    assert peak == 4
    assert all(r.status == 200 for r in results)


@pytest.mark.parametrize("status", [200, 304])
async def test_one_host_reuses_its_keep_alive_connection(status: int) -> None:
    """Most polls of a running service are 304s: each must not cost a new connection (a TLS
    handshake on a real feed). A response closed unread closes its connection, even a 304's."""
    ports: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the test server's default, 1.0, closes every connection

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            if status == 304:  # no Content-Length: a 304 has no body by definition
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
            else:
                reply(self, 200, FEED.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        async with fetcher(clients=4) as f:
            for i in range(6):
                result = await f.fetch(f"{base}/k{i}.xml", etag='"v1"')
                assert result.status == status
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert len(ports) == 6
    assert len(set(ports)) == 1  # every request on the host's home client, one connection
