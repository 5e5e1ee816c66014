"""Per-host politeness and the global in-flight cap (RELIABILITY.md 'Politeness').

A request to a host waits for (1) one of the host's `per_host_concurrency` slots, (2) its reserved start
time, at least `delay` after the previous start to that host (the larger of per_host_delay and the host's
robots.txt Crawl-delay, or later when the host sent Retry-After), then (3) one of `concurrency` global
slots. Start times are reserved under a lock, so concurrent callers are spaced, not bunched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Host:
    slots: asyncio.Semaphore
    delay: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    last_start: float = 0.0


class HostLimiter:
    """Spaces and caps requests per host (netloc) and overall. One per HttpClient (run)."""

    def __init__(self, *, per_host: int, delay: float, total: int) -> None:
        self.per_host = per_host
        self.delay = delay
        self._total = asyncio.Semaphore(total)
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(self.per_host), self.delay)
        return state

    def set_min_delay(self, host: str, seconds: float) -> None:
        """Raise a host's gap between request starts (robots.txt Crawl-delay); never lowers it."""
        state = self._host(host)
        state.delay = max(state.delay, seconds)
        state.next_start = max(state.next_start, state.last_start + state.delay)

    def not_before(self, host: str, seconds_from_now: float) -> None:
        """Hold every further request to `host` for a while (Retry-After)."""
        state = self._host(host)
        state.next_start = max(state.next_start, time.monotonic() + seconds_from_now)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        state = self._host(host)
        async with state.slots:
            async with state.lock:
                now = time.monotonic()
                start = max(now, state.next_start)
                state.next_start = start + state.delay
                state.last_start = start
            if start > now:
                await asyncio.sleep(start - now)
            async with self._total:
                yield
