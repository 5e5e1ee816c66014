"""One attempt: one HTTP request and its (capped) body, inside the host's slot and the total deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from necwatch.errors import FetchError, RateLimited, rebase
from necwatch.fetch.body import read_body
from necwatch.fetch.robots import MAX_ROBOTS_BYTES

if TYPE_CHECKING:
    from necwatch.fetch.limits import HostLimiter
    from necwatch.fetch.retry import RateLimitBook
    from necwatch.settings import FetchSettings

ERROR_BODY_CAP = 64 * 1024  # enough to recognise a challenge page; error pages are never content

Defer = Callable[[datetime | None], None]


@dataclass
class Tally:
    """Per-get() counters shared by hops and retries."""

    attempts: int = 0
    in_body: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Hop:
    """One request target of a get(): the caller's URL, this hop's URL and host, the headers to send."""

    url: str
    current: httpx.URL
    host: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange as the retry loop sees it: status, lower-case headers, (capped) body."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str


class Exchanger:
    """Makes single attempts through the run's connection pool, host limiter and 429 book.

    One per HttpClient, which owns all four; it holds no reference back to the client.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: FetchSettings,
        limiter: HostLimiter,
        rate_limits: RateLimitBook,
    ) -> None:
        self.http = http
        self.settings = settings
        self.limiter = limiter
        self.rate_limits = rate_limits

    async def send(self, hop: Hop, tally: Tally, *, robots: bool, defer: Defer) -> Exchange:
        """One HTTP request and its (capped) body; `defer` hears of a host closed by an earlier 429."""
        settings = self.settings
        async with self.limiter.slot(hop.host):
            self._spend_budget(hop, defer)
            tally.attempts += 1
            async with asyncio.timeout(settings.deadline):
                response = await self._open(hop)
                try:
                    tally.in_body = True
                    lower = {k.lower(): v for k, v in response.headers.items()}
                    body = await self._read(response, hop.url, settings, robots=robots)
                finally:
                    await response.aclose()
        return Exchange(response.status_code, lower, body, str(response.url))

    def _spend_budget(self, hop: Hop, defer: Defer) -> None:
        """Fail fast, before any request, when the host is out of requests after a 429 this run."""
        limited = self.rate_limits.take(hop.host)
        if limited is None:
            return
        defer(limited.until)
        retry_after = max(0.0, (limited.until - datetime.now(UTC)).total_seconds()) if limited.until else None
        raise RateLimited(
            "host rate-limited earlier in this run: not asked again",
            url=hop.url,
            final_url=str(hop.current),
            retry_after=retry_after,
        )

    async def _open(self, hop: Hop) -> httpx.Response:
        """Send the request and wait for the headers; the body is left streaming."""
        request = self.http.build_request("GET", hop.current, headers=hop.headers)
        try:
            return await self.http.send(request, stream=True)
        except FetchError as e:  # the connect-time address guard, which knows neither URL
            raise rebase(e, url=hop.url, final_url=str(hop.current)) from e

    @staticmethod
    async def _read(response: httpx.Response, url: str, settings: FetchSettings, *, robots: bool) -> bytes:
        """The body under its cap: content up to max_bytes (robots.txt cut at 500 KiB), error pages 64 KiB."""
        if 200 <= response.status_code < 300:
            cap = MAX_ROBOTS_BYTES if robots else settings.max_bytes
            return await read_body(
                response, url=url, max_bytes=cap, warn_bytes=settings.warn_bytes, truncate=robots
            )
        return await read_body(response, url=url, max_bytes=ERROR_BODY_CAP, truncate=True)
