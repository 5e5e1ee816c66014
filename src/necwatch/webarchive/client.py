"""Requests to the archive, politely: one at a time, `delay` seconds between two, the HttpClient's
Retry-After handling (a 429 waits as asked, up to fetch.max_retry_after; longer stops the run, and
the backfill resumes next run), and a budget of requests per run. Everything goes through
necwatch's own Fetcher (allow-list: the archive's host only, robots.txt, size cap, retries)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from necwatch.fetch import Fetcher
from necwatch.models import Response

__all__ = ["ArchiveRequests", "BudgetSpent"]

Sleep = Callable[[float], Awaitable[None]]


class BudgetSpent(Exception):
    """The run's budget of requests to the archive is spent: stop here, resume next run."""


@dataclass
class ArchiveRequests:
    fetcher: Fetcher
    delay: float = 3.0
    budget: int | None = None  # requests this run, None: no limit
    until: float | None = None  # clock() value after which no request starts (the run's deadline)
    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    made: int = 0
    waited: float = 0.0  # seconds slept for the delay (the bench reports it)
    _last: float | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def get(self, url: str, *, accept: str | None = None) -> Response:
        """One request (its redirects inside the archive followed). Raises FetchError as the
        Fetcher does, BudgetSpent before a request the budget does not cover."""
        async with self._lock:  # one request at a time to the archive, whoever asks
            if self.budget is not None and self.made >= self.budget:
                raise BudgetSpent(f"budget of {self.budget} archive requests spent")
            if self.until is not None and self.clock() >= self.until:
                raise BudgetSpent("the run's time for the archive is spent")
            if self._last is not None:
                gap = self.delay - (self.clock() - self._last)
                if gap > 0:
                    self.waited += gap
                    await self.sleep(gap)
            before = self.fetcher.requests
            try:
                return await self.fetcher.get(url, conditional=False, accept=accept, capture=True)
            finally:
                self._last = self.clock()
                self.made += max(1, self.fetcher.requests - before)
                # bodies are kept in archive_captures; the fetch log keeps none of them in memory
                self.fetcher.records.clear()
