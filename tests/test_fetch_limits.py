"""Limits against hostile servers on loopback: deadline, endless bodies, gzip bombs, encodings."""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

import bot
from bot.errors import FetchError, TooLarge
from bot.fetch import Fetcher
from bot.fetch.body import read_capped
from tests.test_fetch_support import (
    LocalServer,
    fast_settings,
    reply,
    rss,
    serving,
    stream,
    zeros_gzip,
)

FEED = rss([{"title": f"Item {i}", "guid": str(i)} for i in range(50)]).encode()
MB = 1024 * 1024


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serving() as s:
        yield s


def fetcher(**overrides: object) -> Fetcher:
    return Fetcher(settings=fast_settings(**overrides), user_agent=bot.USER_AGENT)


async def test_trickling_server_is_cut_at_the_deadline(server: LocalServer) -> None:
    # one byte every 50 ms never trips the 5 s read timeout; only the total deadline can stop it.
    # The server gives up after ~3 s, so without the deadline this test fails instead of hanging.
    def trickle(h: BaseHTTPRequestHandler) -> None:
        stream(h, (b"<" for _ in range(60)), {"Content-Type": "application/rss+xml"}, pause=0.05)

    url = server.handle("/slow.xml", trickle)
    async with fetcher(deadline=0.5, read_timeout=5.0) as f:
        with pytest.raises(FetchError, match=r"deadline of 0\.5s exceeded"):
            await f.fetch(url)


async def test_read_timeout(server: LocalServer) -> None:
    def stall(h: BaseHTTPRequestHandler) -> None:
        stream(h, iter([b"<rss>", b""]), pause=1.0)

    url = server.handle("/stall.xml", stall)
    async with fetcher(read_timeout=0.2, deadline=5.0) as f:
        with pytest.raises(FetchError, match="read timeout"):
            await f.fetch(url)


async def test_endless_body_stops_at_the_cap(server: LocalServer) -> None:
    url = server.handle("/endless.xml", lambda h: stream(h, itertools.repeat(bytes(64 * 1024))))
    async with fetcher(max_feed_bytes=MB) as f:
        with pytest.raises(TooLarge, match=r"over 1048576 bytes"):
            await f.fetch(url)


async def test_declared_length_over_the_cap_is_refused_before_reading(server: LocalServer) -> None:
    url = server.static("/big.xml", bytes(2 * MB))
    async with fetcher(max_feed_bytes=MB) as f:
        with pytest.raises(TooLarge, match="Content-Length"):
            await f.fetch(url)


async def test_gzip_bomb_stops_at_the_cap_without_inflating(server: LocalServer) -> None:
    # 4 GB of zeros compress to ~4 MB; compressed lazily so neither side ever holds it
    bomb = server.handle(
        "/bomb.xml",
        lambda h: stream(h, zeros_gzip(4 * 1024 * MB), {"Content-Encoding": "gzip"}),
    )
    async with fetcher(max_feed_bytes=2 * MB) as f:
        tracemalloc.start()
        try:
            with pytest.raises(TooLarge, match="decoded"):
                await f.fetch(bomb)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # one network chunk of zeros inflates ~1000x: without the bounded decompress, a single 64 KB
    # chunk alone would allocate ~64 MB
    assert peak < 12 * MB


async def test_capped_reader_bounds_each_decompress_call() -> None:
    # the same guard without a network: one 128 KB compressed chunk holding 128 MB of zeros
    chunk = b"".join(zeros_gzip(128 * MB))

    async def one_chunk() -> object:
        yield chunk

    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            await read_capped(one_chunk(), content_encoding="gzip", max_bytes=MB, url="u")  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two members
        ("identity", lambda b: b),
    ],
)
async def test_compressed_bodies_decode(
    server: LocalServer, encoding: str, compress: object
) -> None:
    assert callable(compress)
    body = compress(FEED)
    url = server.handle("/z.xml", lambda h: reply(h, 200, body, {"Content-Encoding": encoding}))
    async with fetcher() as f:
        result = await f.fetch(url)
    assert result.body == FEED


async def test_exactly_at_the_cap_is_accepted(server: LocalServer) -> None:
    body = gzip.compress(FEED)
    url = server.handle("/z.xml", lambda h: reply(h, 200, body, {"Content-Encoding": "gzip"}))
    async with fetcher(max_feed_bytes=len(FEED)) as f:
        assert (await f.fetch(url)).body == FEED
    async with fetcher(max_feed_bytes=len(FEED) - 1) as f:
        with pytest.raises(TooLarge):
            await f.fetch(url)


async def test_corrupt_gzip_is_a_fetch_error(server: LocalServer) -> None:
    url = server.handle(
        "/bad.xml",
        lambda h: reply(h, 200, b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}),
    )
    async with fetcher() as f:
        with pytest.raises(FetchError, match="corrupt compressed body"):
            await f.fetch(url)


async def test_unsupported_encoding_is_a_fetch_error(server: LocalServer) -> None:
    url = server.handle("/br.xml", lambda h: reply(h, 200, b"xx", {"Content-Encoding": "br"}))
    async with fetcher() as f:
        with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
            await f.fetch(url)
