"""HTTP delivery helpers shared by the Slack and webhook channels.

Secrets live in URLs (Slack webhooks) and headers (tokens), so no message raised here contains the
URL, a header or the exception text of the transport; only the destination name and what happened.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from bot.errors import TransientDeliveryError
from bot.httpstatus import retry_after
from bot.models import utcnow

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    return retry_after(headers, now=utcnow())


@contextmanager
def client_for(http: httpx.Client | None) -> Iterator[httpx.Client]:
    """The injected client, or a short-lived one with timeouts when none was given."""
    if http is not None:
        yield http
        return
    with httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False) as own:
        yield own


def post(
    http: httpx.Client,
    url: str,
    *,
    component: str,
    destination: str,
    content: bytes,
    headers: Mapping[str, str],
) -> httpx.Response:
    """POST `content`; transport failures (timeouts, refused connections) become Transient."""
    try:
        return http.post(url, content=content, headers=dict(headers))
    except httpx.TimeoutException:
        raise TransientDeliveryError(
            f"{component}: timed out delivering to {destination}", destination=destination
        ) from None
    except httpx.TransportError as exc:
        raise TransientDeliveryError(
            f"{component}: cannot reach the endpoint of {destination} ({type(exc).__name__})",
            destination=destination,
        ) from None
