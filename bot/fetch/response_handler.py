"""Status classification in one place: what an HTTP answer means for a feed.

The fetcher asks the predicates below and calls `raise_for_status`; nothing else in the package looks at
status codes, so "what does 503 mean" has exactly one answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.errors import FeedGone, FetchError, RateLimited

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def is_success(status: int) -> bool:
    return 200 <= status < 300


def is_not_modified(status: int) -> bool:
    return status == 304


def is_redirect(status: int) -> bool:
    return status in REDIRECT_STATUSES


def is_permanent_redirect(status: int) -> bool:
    return status in PERMANENT_REDIRECT_STATUSES


def is_gone(status: int) -> bool:
    return status == 410


def is_rate_limited(status: int, headers: Mapping[str, str]) -> bool:
    # a bare 503 is an outage (plain error + backoff); with Retry-After the server is asking us to wait
    return status == 429 or (status == 503 and "retry-after" in _lower_keys(headers))


def is_server_error(status: int) -> bool:
    return 500 <= status < 600


def retry_after(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    value = _lower_keys(headers).get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def describe(status: int) -> str:
    reason = _REASONS.get(status)
    return f"{status} {reason}" if reason else f"HTTP {status}"


def raise_for_status(status: int, headers: Mapping[str, str], *, url: str, now: datetime) -> None:
    """Raise the right `FetchError` for any status that is neither success, 304 nor a redirect."""
    if is_success(status) or is_not_modified(status) or is_redirect(status):
        return
    if is_gone(status):
        raise FeedGone(f"fetch: {describe(status)} for {url}", url=url, status=status)
    if is_rate_limited(status, headers):
        wait = retry_after(headers, now=now)
        hint = f" (retry after {wait:.0f}s)" if wait is not None else ""
        raise RateLimited(
            f"fetch: {describe(status)} for {url}{hint}", url=url, status=status, retry_after=wait
        )
    raise FetchError(f"fetch: {describe(status)} for {url}", url=url, status=status)


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
