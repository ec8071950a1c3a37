"""What an HTTP answer means for a feed: the fetch error a status raises.

The statuses are classified in bot/httpstatus.py (shared with the delivery channels); the fetcher
asks those predicates and calls `raise_for_status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.errors import FeedGone, FetchError, RateLimited
from bot.httpstatus import (
    asks_to_wait,
    describe,
    is_gone,
    is_not_modified,
    is_redirect,
    is_success,
    retry_after,
)


def raise_for_status(status: int, headers: Mapping[str, str], *, url: str, now: datetime) -> None:
    """Raise the right `FetchError` for any status that is neither success, 304 nor a redirect."""
    if is_success(status) or is_not_modified(status) or is_redirect(status):
        return
    if is_gone(status):
        raise FeedGone(f"fetch: {describe(status)} for {url}", url=url, status=status)
    if asks_to_wait(status, headers):
        wait = retry_after(headers, now=now)
        hint = f" (retry after {wait:.0f}s)" if wait is not None else ""
        raise RateLimited(
            f"fetch: {describe(status)} for {url}{hint}", url=url, status=status, retry_after=wait
        )
    raise FetchError(f"fetch: {describe(status)} for {url}", url=url, status=status)
