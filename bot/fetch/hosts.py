"""Politeness: at most `per_host` requests in flight per host, and a minimum interval between starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class HostGate:
    def __init__(
        self,
        *,
        per_host: int,
        min_interval: float,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._per_host = per_host
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem = self._slots.get(host)
        if sem is None:
            sem = self._slots[host] = asyncio.Semaphore(self._per_host)
        async with sem:
            if self._min_interval > 0:
                await self._wait_turn(host)
            yield

    async def _wait_turn(self, host: str) -> None:
        now = self._monotonic()
        start = max(now, self._next_start.get(host, now))
        # book the slot before sleeping so that concurrent waiters line up behind each other
        self._next_start[host] = start + self._min_interval
        if start > now:
            await self._sleep(start - now)
