"""One hop's attempts: the exchange, retried on transient failures with backoff or Retry-After.

The policy pieces (which statuses and exceptions, the backoff formula, the 429 book) are in retry.py;
this is the loop and its decisions: retry, wait how long, give up, or defer the host to a later run.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from necwatch.errors import FetchError, RateLimited
from necwatch.fetch.classify import is_challenge, kind_for_exception, kind_for_status, not_the_post
from necwatch.fetch.exchange import Defer, Exchange, Exchanger, Hop, Tally
from necwatch.fetch.limits import HostLimiter
from necwatch.fetch.retry import (
    RETRY_EXCEPTIONS,
    RETRY_STATUSES,
    RateLimitBook,
    backoff_delay,
    parse_retry_after,
)
from necwatch.settings import FetchSettings


class RetryContext(Protocol):
    """What the loop reads of the run's client (HttpClient), per use."""

    settings: FetchSettings
    rng: random.Random
    rate_limits: RateLimitBook
    limiter: HostLimiter
    sleep: Callable[[float], Awaitable[None]]


log = logging.getLogger("necwatch.fetch")


class RetryLoop:
    """A source's retry loop; the client's settings, limiter, 429 book, sleep and rng are read per use.

    `defer` (the fetcher's, given per hop) hears of a Retry-After that moves the source to a later run.
    """

    def __init__(self, client: RetryContext, exchanger: Exchanger, source: str) -> None:
        self.client = client
        self.exchanger = exchanger
        self.source = source

    async def run(self, hop: Hop, tally: Tally, *, robots: bool, defer: Defer) -> Exchange:
        """The hop's final exchange (a non-retryable status), or the FetchError that ends the get()."""
        settings = self.client.settings
        retries = 0
        while True:
            tally.in_body = False
            try:
                ex = await self.exchanger.send(hop, tally, robots=robots, defer=defer)
            except TimeoutError as e:  # the total deadline: a drip would only drip again, so no retry
                raise FetchError(
                    f"no complete response within the {settings.deadline:g}s deadline",
                    url=hop.url,
                    kind="deadline",
                    final_url=str(hop.current),
                ) from e
            except httpx.TransportError as e:
                kind = kind_for_exception(e, in_body=tally.in_body)
                if kind != "tls" and isinstance(e, RETRY_EXCEPTIONS) and retries < settings.retries:
                    retries += 1
                    await self._wait(backoff_delay(settings.backoff, retries, self.client.rng), hop.url, kind)
                    continue
                raise FetchError(
                    f"{type(e).__name__}: {e}".rstrip(": "),
                    url=hop.url,
                    kind=kind,
                    final_url=str(hop.current),
                ) from e
            if not self._worth_retrying(hop, ex):
                return ex
            retry_after = self._retry_after_or_give_up(hop, ex, retries, defer)
            retries += 1
            await self._wait(self._delay(hop.host, retry_after, retries), hop.url, f"http {ex.status}")

    def _worth_retrying(self, hop: Hop, ex: Exchange) -> bool:
        """False for a final answer; a challenge page is never content and never retried."""
        if is_challenge(ex.status, ex.headers, ex.body):
            raise FetchError(
                "bot challenge page instead of content",
                url=hop.url,
                kind="challenge",
                status=ex.status,
                final_url=str(hop.current),
            )
        bad = (
            not_the_post(ex.body, ex.headers)
            if ex.status == 200 and "html" in ex.headers.get("content-type", "")
            else None
        )
        if bad is not None:  # a 200 that is not the page: classified, never read as content
            kind, reason = bad
            raise FetchError(reason, url=hop.url, kind=kind, status=ex.status, final_url=str(hop.current))
        return ex.status in RETRY_STATUSES

    def _retry_after_or_give_up(self, hop: Hop, ex: Exchange, retries: int, defer: Defer) -> float | None:
        """The response's Retry-After (noting a 429 in the book), or raise when there is no retry left.

        A 429/503 asking for longer than `max_retry_after` closes the host for the run and defers it.
        """
        settings = self.client.settings
        retry_after = parse_retry_after(ex.headers.get("retry-after"))
        until = datetime.now(UTC) + timedelta(seconds=retry_after) if retry_after is not None else None
        if ex.status == 429:
            self.client.rate_limits.note_429(hop.host, until)
        if retry_after is not None and retry_after > settings.max_retry_after and ex.status in (429, 503):
            self.client.rate_limits.block(hop.host, until)
            defer(until)
            raise RateLimited(
                f"HTTP {ex.status} with Retry-After {retry_after:g}s: deferred to a later run",
                url=hop.url,
                status=ex.status,
                final_url=str(hop.current),
                retry_after=retry_after,
            )
        if retries >= settings.retries:
            raise FetchError(
                f"HTTP {ex.status} after {retries + 1} attempts",
                url=hop.url,
                kind=kind_for_status(ex.status),
                status=ex.status,
                final_url=str(hop.current),
                retry_after=retry_after,
            )
        return retry_after

    def _delay(self, host: str, retry_after: float | None, retry: int) -> float:
        """The server's Retry-After when within the cap (holding the whole host till then), else backoff."""
        settings = self.client.settings
        if retry_after is not None and retry_after <= settings.max_retry_after:
            self.client.limiter.not_before(host, retry_after)
            return retry_after
        return backoff_delay(settings.backoff, retry, self.client.rng)

    async def _wait(self, seconds: float, url: str, why: str) -> None:
        log.info("retrying in %.2fs (%s)", seconds, why, extra={"source": self.source, "url": url})
        await self.client.sleep(seconds)
