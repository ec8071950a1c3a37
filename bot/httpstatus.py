"""HTTP status codes classified in one place, for every component that reads an answer.

What a status means for a feed (bot/fetch/response_handler.py raises the fetch errors) and for a
destination (bot/notify/http.py and its channels) is asked of these predicates, so "what does 503
mean" has one answer per question and the questions have distinct names: `asks_to_wait` (a feed:
429, or 503 with Retry-After) and `is_transient_failure` (a delivery: 5xx or 408).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

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


def is_too_many_requests(status: int) -> bool:
    return status == 429


def asks_to_wait(status: int, headers: Mapping[str, str]) -> bool:
    """429, or 503 with Retry-After. A bare 503 is an outage (a plain error and backoff); with
    Retry-After the server is asking us to come back later. How a feed answer is read."""
    return is_too_many_requests(status) or (status == 503 and "retry-after" in _lower_keys(headers))


def is_transient_failure(status: int) -> bool:
    """A server error or a request timeout (408): the same request may succeed later. How a
    destination's answer is read (a 429 is asked separately: it says when to try again)."""
    return status >= 500 or status == 408


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


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
