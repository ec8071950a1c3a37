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
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem = self._slots.get(host)
        if sem is None:
            sem = self._slots[host] = asyncio.Semaphore(self._per_host)
        self._users[host] = self._users.get(host, 0) + 1  # holding or waiting
        try:
            async with sem:
                if self._min_interval > 0:
                    await self._wait_turn(host)
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:  # nobody holds or waits: a fresh one does the same job
                del self._users[host], self._slots[host]

    def __len__(self) -> int:
        """Hosts remembered (in use, or a start booked)."""
        return len(self._slots.keys() | self._next_start.keys())

    def prune(self) -> int:
        """Forget the start times already past (slots go when their last user leaves): the maps
        would otherwise grow with every article host for the daemon's whole life. Returns how many
        hosts were forgotten."""
        now = self._monotonic()
        past = [h for h, t in self._next_start.items() if t <= now]
        for host in past:
            del self._next_start[host]
        return len(past)

    async def _wait_turn(self, host: str) -> None:
        now = self._monotonic()
        start = max(now, self._next_start.get(host, now))
        # book the slot before sleeping so that concurrent waiters line up behind each other
        self._next_start[host] = start + self._min_interval
        if start > now:
            await self._sleep(start - now)
