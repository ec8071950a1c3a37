"""The one place a synchronous HTTP client for deliveries is built: newsbot's User-Agent and a 30 s
timeout. `once`, `digest send` and the daemon share one such client between every channel for the
life of their run. The transport is a parameter (httpx's default when None).

Feeds and article pages are fetched by `bot.fetch.Fetcher`, whose async pools take their timeouts
and User-Agent from `[fetch]`.
"""

from __future__ import annotations

import httpx

from bot import USER_AGENT

#: seconds, for every phase of a delivery request
DELIVERY_TIMEOUT = 30.0


def delivery_client(*, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A new client for the channels; the caller closes it (use it as a context manager)."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT}, timeout=DELIVERY_TIMEOUT, transport=transport
    )
