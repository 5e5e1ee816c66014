"""robots.txt on the way to every hop: one verdict per origin per run, fetched through the same limits.

The rules themselves (parsing, allow-all, unreachable, Crawl-delay) are in robots.py; this keeps the
run's verdicts, fetches robots.txt when needed, and refuses what the verdict refuses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from necwatch.errors import FetchError, RobotsDisallowed, rebase
from necwatch.fetch.limits import HostLimiter
from necwatch.fetch.robots import MAX_ROBOTS_BYTES, RobotsRules, robots_token
from necwatch.models import FetchRecord, Response
from necwatch.settings import FetchSettings


class GateClient(Protocol):
    """What the gate reads of the run's client (HttpClient)."""

    user_agent: str
    settings: FetchSettings
    limiter: HostLimiter
    robots_records: list[FetchRecord]


class GateFetcher(Protocol):
    """What the gate uses of a source's fetcher (client.Fetcher)."""

    source: str
    records: list[FetchRecord]

    @property
    def client(self) -> GateClient: ...

    async def get(self, url: str, *, conditional: bool = True, accept: str | None = None) -> Response: ...


log = logging.getLogger("necwatch.fetch")

# Makes the internal robots.txt fetcher (no robots check, own records) for a source's fetcher.
RobotsFetcherFactory = Callable[[Any], GateFetcher]  # given the fetcher the gate was handed


class RobotsGate:
    """One per HttpClient (run): the robots.txt verdict per origin and the check before each hop.

    The client's settings, user agent, limiter and `robots_records` are reached through the asking
    fetcher (`fetcher.client`), so the gate holds no reference back to the client.
    """

    def __init__(self, robots_fetcher: RobotsFetcherFactory) -> None:
        self.robots_fetcher = robots_fetcher
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, fetcher: GateFetcher, current: httpx.URL, host: str, url: str) -> None:
        """Raise unless robots.txt lets `fetcher`'s source fetch `current` (a hop of the get() of `url`)."""
        try:
            rules = await self.rules_for(current, host, fetcher)
        except FetchError as e:
            raise rebase(e, url=url, final_url=str(current)) from e
        if not rules.reachable:
            raise FetchError(
                f"robots.txt unreachable this run ({rules.detail})",
                url=url,
                kind="robots_unavailable",
                final_url=str(current),
                attempts=0,
            )
        if not rules.allows(str(current), robots_token(fetcher.client.user_agent)):
            raise RobotsDisallowed(
                "robots.txt disallows this path", url=url, final_url=str(current), attempts=0
            )

    async def rules_for(self, url: httpx.URL, host: str, fetcher: GateFetcher) -> RobotsRules:
        """The origin's verdict, fetched once per origin (concurrent callers wait for the one fetch)."""
        client = fetcher.client
        origin = f"{url.scheme}://{host}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = self._rules.get(origin)
            if rules is not None and (not rules.reachable or rules.fresh(client.settings.robots_cache)):
                return rules
            rules = await self._fetch(origin, fetcher)
            self._rules[origin] = rules  # an unreachable verdict lives only as long as this client (run)
            delay = rules.crawl_delay(robots_token(client.user_agent))
            if delay:
                client.limiter.set_min_delay(host, delay)
            return rules

    async def _fetch(self, origin: str, fetcher: GateFetcher) -> RobotsRules:
        """Fetch and judge robots.txt through the same limits; not recorded as the caller's fetch.

        The request is conditional on the cache's validators (a 304 reuses the stored body, so an
        unchanged robots.txt costs no body bytes); its FetchRecord goes to the client's `robots_records`.
        """
        helper = self.robots_fetcher(fetcher)
        url = f"{origin}/robots.txt"
        try:
            response = await helper.get(url, conditional=True, accept="text/plain")
        except FetchError as e:
            if e.kind in ("address_not_allowed", "dns"):
                raise  # the host itself is refused or unknown: say so, not "robots unavailable"
            verdict = _verdict_for_failure(e)
            log.info(
                "robots.txt %s",
                "allows all" if verdict.reachable else "unreachable",
                extra={"source": fetcher.source, "url": url, "status": e.status, "kind": e.kind},
            )
            return verdict
        finally:
            fetcher.client.robots_records.extend(helper.records)
        return RobotsRules.from_text(response.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace"))


def _verdict_for_failure(error: FetchError) -> RobotsRules:
    """RFC 9309: "unavailable" (4xx, a redirect we will not follow) allows all; anything else is
    "unreachable", so nothing on the host is fetched this run."""
    if error.kind in ("not_found", "gone", "http_4xx", "too_many_redirects", "redirect_loop"):
        return RobotsRules.allow_all(f"{error.kind}: {error.message}")
    return RobotsRules.unreachable(f"{error.kind}: {error.message}")
