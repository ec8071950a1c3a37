"""The feed fetcher: pooled httpx clients, limits, deadlines, capped bodies, manual redirects.

One `Fetcher` lives for a whole poll cycle (``async with Fetcher(...) as f``). Connections are spread
over several small `httpx.AsyncClient` pools (at most MAX_POOL connections each): one client with 100
connections spends its CPU in pool bookkeeping (issue 6; figures at MAX_POOL). A request never waits
inside a pool: httpcore rescans every queued request against every connection each time one
finishes, so a queue costs CPU quadratically. A host has a home client (its keep-alive connections
are reused there) and a request goes elsewhere only when the home pool is full.
"""

from __future__ import annotations

import asyncio
import math
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from bot.config import FetchConfig
from bot.errors import FetchError, TooLarge, UnsafeURL
from bot.fetch.body import ACCEPT_ENCODING, read_capped
from bot.fetch.fulltext import decode_html
from bot.fetch.hosts import HostGate
from bot.fetch.response_handler import raise_for_status
from bot.fetch.ssrf import (
    AddressPolicy,
    AddressRefused,
    Resolver,
    guarded_transport,
    is_allowed_scheme,
    is_public_address,
    system_resolve,
    unwrap_literal_host,
)
from bot.httpstatus import is_not_modified, is_permanent_redirect, is_redirect
from bot.models import Clock, FetchResult, utcnow

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
#: httpcore rescans a pool's connections (each against every other) whenever a request starts or
#: ends: per-request CPU grows with pool size. Measured fetching 1,000 feeds at concurrency 100
#: (bench/poll_bench.py; requests queued inside pools): 1 pool of 100 connections 20.6 s CPU,
#: 4 x 25: 3.0 s, 10 x 10: 1.3 s. Since no request queues in a pool (`_checkout`), smaller is
#: cheaper still: 200 feeds, 50 x 2: 0.16 s against 10 x 10: 0.22 s (1,000 feeds: 0.75 / 0.88 s).
MAX_POOL = 2
#: article pages are fetched through one pool, whose requests may queue: not as small as that
ARTICLE_POOL = 10

#: article pages we extract text from; "" is a server that did not say, which is common enough
HTML_TYPES = frozenset({"", "text/html", "application/xhtml+xml", "text/plain"})
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True)
class _Answer:
    """The last response of a redirect chain, body already read (None for 304)."""

    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes | None
    permanent_redirect: str | None


class Fetcher:
    def __init__(
        self,
        *,
        settings: FetchConfig,
        user_agent: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        address_policy: AddressPolicy = is_public_address,
        resolve: Resolver = system_resolve,
    ) -> None:
        self._settings = settings
        self._user_agent = settings.user_agent or user_agent
        self._transport = transport
        self._clock = clock
        self._monotonic = monotonic
        self._address_policy = address_policy
        self._resolve = resolve
        self._clients: list[httpx.AsyncClient] = []
        self._busy: list[int] = []  # requests in flight per client
        self._pool_size = 1
        self._article_client: httpx.AsyncClient | None = None
        self._in_flight = asyncio.Semaphore(settings.concurrency)
        self._gate = HostGate(
            per_host=settings.per_host,
            min_interval=settings.min_host_interval,
            monotonic=monotonic,
        )

    async def __aenter__(self) -> Fetcher:
        s = self._settings
        timeout = httpx.Timeout(
            connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=s.deadline
        )
        headers = {"User-Agent": self._user_agent, "Accept-Encoding": ACCEPT_ENCODING}
        n = 1 if self._transport is not None else client_count(s)
        self._pool_size = math.ceil(s.concurrency / n)
        self._busy = [0] * n
        limits = _limits(self._pool_size)
        # one TLS context for every pool: loading the CA bundle costs CPU each time
        tls = httpx.create_ssl_context()
        for _ in range(n):
            transport = self._transport or httpx.AsyncHTTPTransport(verify=tls, limits=limits)
            self._clients.append(
                httpx.AsyncClient(transport=transport, timeout=timeout, headers=headers)
            )
        article_transport = self._transport or guarded_transport(
            limits=_limits(max(1, min(s.concurrency, ARTICLE_POOL))),
            tls=tls,
            is_allowed=self._address_policy,
            resolve=self._resolve,
        )
        self._article_client = httpx.AsyncClient(
            transport=article_transport, timeout=timeout, headers=headers
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        clients = [*self._clients, *([self._article_client] if self._article_client else [])]
        self._clients, self._article_client = [], None
        # a shared test transport must be closed once, not once per client
        for client in clients[:1] if self._transport is not None else clients:
            await client.aclose()

    # ------------------------------------------------------------------ public API

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch one (trusted, configured) feed URL. Raises `FetchError` subclasses."""
        headers = {"Accept": FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = self._monotonic()
        answer = await self._guarded_get(None, url, headers, untrusted=False)
        return FetchResult(
            url=url,
            final_url=answer.final_url,
            status=answer.status,
            body=answer.body,
            headers=answer.headers,
            etag=answer.headers.get("etag") or (etag if is_not_modified(answer.status) else None),
            last_modified=answer.headers.get("last-modified")
            or (last_modified if is_not_modified(answer.status) else None),
            permanent_redirect=answer.permanent_redirect,
            elapsed=self._monotonic() - started,
        )

    async def fetch_article(self, url: str, *, allow_private_hosts: bool = False) -> str:
        """Fetch an article page linked from a feed (untrusted) and return its HTML as text.

        Unless `allow_private_hosts`, every hop must connect to a global address (see bot.fetch.ssrf).
        """
        client = None  # a feed client: the operator vouched for this host
        if not allow_private_hosts:
            assert self._article_client is not None, "use Fetcher as an async context manager"
            client = self._article_client
        answer = await self._guarded_get(
            client, url, {"Accept": HTML_ACCEPT}, untrusted=not allow_private_hosts
        )
        content_type = answer.headers.get("content-type")
        if not is_html_type(content_type):
            raise FetchError(f"fetch: {url} is {content_type}, not an HTML page", url=url)
        return decode_html(answer.body or b"", content_type)

    def prune_hosts(self) -> int:
        """Forget the politeness state of idle hosts (housekeeping). Returns how many."""
        return self._gate.prune()

    @property
    def hosts_remembered(self) -> int:
        return len(self._gate)

    # ------------------------------------------------------------------ internals

    @contextmanager
    def _checkout(self, host: str) -> Iterator[httpx.AsyncClient]:
        """A feed client with a free connection (call it holding an `_in_flight` slot)."""
        if not self._clients:
            raise RuntimeError("use Fetcher as an async context manager")
        busy = self._busy
        i = zlib.crc32(host.encode()) % len(busy)
        if busy[i] >= self._pool_size:
            i = busy.index(min(busy))  # free somewhere: the in-flight limit is the pools' sum
        busy[i] += 1
        try:
            yield self._clients[i]
        finally:
            busy[i] -= 1

    async def _guarded_get(
        self,
        client: httpx.AsyncClient | None,
        url: str,
        headers: dict[str, str],
        *,
        untrusted: bool,
    ) -> _Answer:
        """Limits, deadline and the translation of transport errors into `FetchError`.
        `client` None: a feed client, chosen once a slot is free."""
        host = (urlsplit(url).hostname or "").lower()
        deadline = self._settings.deadline
        async with self._in_flight, self._gate.slot(host):
            try:
                async with asyncio.timeout(deadline):
                    if client is not None:
                        return await self._follow(client, url, headers, untrusted=untrusted)
                    with self._checkout(host) as chosen:
                        return await self._follow(chosen, url, headers, untrusted=untrusted)
            except TimeoutError:
                raise FetchError(
                    f"fetch: deadline of {deadline:g}s exceeded for {url}", url=url
                ) from None
            except AddressRefused as exc:
                raise UnsafeURL(f"fetch: refusing {url}: {exc}", url=url) from None
            except httpx.TimeoutException as exc:
                raise FetchError(
                    f"fetch: {_timeout_kind(exc)} timeout for {url}", url=url
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                detail = str(exc) or type(exc).__name__
                raise FetchError(f"fetch: {detail} for {url}", url=url) from None

    async def _follow(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], *, untrusted: bool
    ) -> _Answer:
        limit = self._settings.max_redirects
        current = url
        seen = {url}
        permanent: str | None = None
        still_permanent = True  # a 301 after a 302 must not move the stored URL
        for hop in range(limit + 1):
            self._check_hop(current, url=url, untrusted=untrusted)
            response = await client.send(
                client.build_request("GET", current, headers=headers), stream=True
            )
            try:
                status = response.status_code
                location = response.headers.get("location")
                if is_redirect(status) and location:
                    target = urljoin(current, location.strip())
                    _check_redirect(current, target, seen=seen, hop=hop, limit=limit, url=url)
                    still_permanent = still_permanent and is_permanent_redirect(status)
                    if still_permanent:
                        permanent = target
                    seen.add(target)
                    current = target
                    continue
                return await self._answer(response, current, permanent, url=url)
            finally:
                await response.aclose()
        raise AssertionError("unreachable: _check_redirect stops the loop")

    async def _answer(
        self, response: httpx.Response, current: str, permanent: str | None, *, url: str
    ) -> _Answer:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        raise_for_status(status, headers, url=url, now=self._clock())
        body: bytes | None = None
        if is_not_modified(status):
            # read the (empty) body: httpcore closes the connection of a response closed unread,
            # and most polls are 304s - each would cost a new connection, on a real feed a TLS
            # handshake (bench/poll_bench.py, 200 feeds: 201 connections for 200 304s, now 101)
            await response.aread()
        else:
            max_bytes = self._settings.max_feed_bytes
            if (
                headers.get("content-encoding") in (None, "identity")
                and _declared_length(headers) > max_bytes
            ):
                raise TooLarge(f"fetch: Content-Length over {max_bytes} bytes for {url}", url=url)
            # a test transport may hand over an already-read (and already-decoded) response
            preread = response.is_stream_consumed
            body = await read_capped(
                _single(response.content) if preread else response.aiter_raw(),
                content_encoding=None if preread else headers.get("content-encoding"),
                max_bytes=max_bytes,
                url=url,
            )
        return _Answer(current, status, headers, body, permanent)

    def _check_hop(self, current: str, *, url: str, untrusted: bool) -> None:
        if not is_allowed_scheme(current):
            cls = UnsafeURL if untrusted else FetchError
            raise cls(f"fetch: refusing non-http(s) URL {current} (from {url})", url=url)
        if untrusted:
            literal = unwrap_literal_host(current)
            if literal is not None and not self._address_policy(literal):
                raise UnsafeURL(f"fetch: refusing {url}: non-global address {literal}", url=url)


def _check_redirect(
    current: str, target: str, *, seen: set[str], hop: int, limit: int, url: str
) -> None:
    if is_downgrade(current, target):
        raise FetchError(
            f"fetch: refusing redirect from HTTPS to HTTP ({target}) for {url}", url=url
        )
    if target in seen:
        raise FetchError(f"fetch: redirect loop at {target} for {url}", url=url)
    if hop >= limit:
        raise FetchError(f"fetch: more than {limit} redirects for {url}", url=url)


def client_count(settings: FetchConfig) -> int:
    """`clients` from the config, raised so that no pool holds more than MAX_POOL connections."""
    return max(1, settings.clients, math.ceil(settings.concurrency / MAX_POOL))


def is_html_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in HTML_TYPES


def is_downgrade(current: str, target: str) -> bool:
    return urlsplit(current).scheme.lower() == "https" and urlsplit(target).scheme.lower() == "http"


def _declared_length(headers: Mapping[str, str]) -> int:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else 0


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _limits(connections: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=30.0
    )


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect"
    if isinstance(exc, httpx.ReadTimeout):
        return "read"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool"
    return "write"
