"""SSRF guard for article URLs taken from feed content (untrusted).

The check lives in the network backend, at connect time: the host is resolved here, every address it
resolves to must be global, and the socket is opened to the very address that was checked (so a DNS
answer that changes between check and connect - "rebinding" - cannot slip through). The peer address
of the connected socket is checked again. Each redirect hop opens its own connection, so each hop is
checked too.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
AddressPolicy = Callable[[IPAddress], bool]

ALLOWED_SCHEMES = frozenset({"http", "https"})


class AddressRefused(Exception):
    """Raised inside the transport; the fetcher turns it into `UnsafeURL` naming the URL."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} resolves to non-global address {address}")


def unwrap(ip: IPAddress) -> IPAddress:
    # ::ffff:127.0.0.1 is loopback in disguise; judge the IPv4 address it carries
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public_address(ip: IPAddress) -> bool:
    """Global unicast only: refuses loopback, private, link-local, CGNAT, multicast, reserved."""
    ip = unwrap(ip)
    return ip.is_global and not ip.is_multicast


def is_allowed_scheme(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ALLOWED_SCHEMES


def unwrap_literal_host(url: str) -> IPAddress | None:
    """The IP address written in the URL itself, unwrapped; None for a host name."""
    host = urlsplit(url).hostname or ""
    try:
        return unwrap(_parse_ip(host))
    except ValueError:
        return None


async def system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _parse_ip(text: str) -> IPAddress:
    return ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        *,
        is_allowed: AddressPolicy = is_public_address,
        resolve: Resolver = system_resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._is_allowed = is_allowed
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = [_parse_ip(a) for a in await self._resolve(host, port)]
        if not addresses:
            raise httpcore.ConnectError(f"no address for {host}")
        for ip in addresses:
            # refuse if ANY answer is internal: a mixed answer is how rebinding attacks start
            if not self._is_allowed(ip):
                raise AddressRefused(host, str(ip))
        last: Exception | None = None
        for ip in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(ip),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            peer = connected_address(stream)
            if peer is None or not self._is_allowed(peer):
                await stream.aclose()
                raise AddressRefused(host, str(peer))
            return stream
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path, "unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def connected_address(stream: httpcore.AsyncNetworkStream) -> IPAddress | None:
    addr = stream.get_extra_info("server_addr")
    if not addr:
        return None
    try:
        return _parse_ip(str(addr[0]))
    except ValueError:
        return None


def guarded_transport(
    *,
    limits: httpx.Limits,
    tls: ssl.SSLContext,
    is_allowed: AddressPolicy = is_public_address,
    resolve: Resolver = system_resolve,
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through `GuardedBackend`.

    Proxies from the environment are ignored on purpose: through a proxy the only address we could
    check is the proxy's.
    """
    transport = httpx.AsyncHTTPTransport(verify=tls, trust_env=False, limits=limits)
    # httpx offers no public hook for httpcore's network backend; replacing the pool is the way
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(is_allowed=is_allowed, resolve=resolve),
    )
    return transport
