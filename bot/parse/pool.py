"""Parsing off the event loop: a process pool, since feedparser is CPU-bound pure Python."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from bot.errors import ParseError
from bot.models import ParsedFeed
from bot.parse.feed import parse_feed


def parse_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool for `parse_feed_async`: feedparser costs ~5-25 ms of CPU per feed, which on the
    event loop caps a cycle at one core. Workers start from a fresh interpreter ("forkserver"), not a
    fork of the threaded bot process."""
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_warm_up,
    )


def _warm_up() -> None:
    # pay feedparser's first-parse costs (lazy imports, regex compiles) before the cycle needs it
    parse_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>', url="http://w/")


async def parse_feed_async(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    lang: str | None = None,
    executor: Executor | None,
) -> ParsedFeed:
    """`parse_feed` in `executor` (see `parse_pool`); inline on the loop when executor is None."""
    if executor is None:
        return parse_feed(body, url=url, headers=headers, lang=lang)
    job = functools.partial(_parse_job, body, url=url, headers=dict(headers or {}), lang=lang)
    result = await asyncio.get_running_loop().run_in_executor(executor, job)
    if isinstance(result, _Failed):
        raise ParseError(result.message, url=result.url, status=result.status)
    return result


@dataclass(frozen=True, slots=True)
class _Failed:
    """A ParseError on its way back from a worker (exceptions with keyword-only arguments do not
    survive pickling)."""

    message: str
    url: str
    status: int | None


def _parse_job(
    body: bytes, *, url: str, headers: dict[str, str], lang: str | None
) -> ParsedFeed | _Failed:
    try:
        return parse_feed(body, url=url, headers=headers, lang=lang)
    except ParseError as exc:
        return _Failed(str(exc), exc.url, exc.status)
