"""HttpClient and Fetcher (see the package docstring and docs/fetching.md).

One `get()` is: allow-list → address guard → robots.txt → [politeness slot → one HTTP exchange under the
total deadline] × retries → redirect hop checks → Response or one classified FetchError. Whatever happens,
exactly one FetchRecord is appended to the fetcher's log.

The steps live in their own modules: redirects.py (the hops and their checks), robots_gate.py (robots.txt
per origin), retry_loop.py (retries and their waits), exchange.py (one attempt), conditional.py (validators
and the 304 step) and outcome.py (the Response, FetchRecord, public FetchError and log line).
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

import httpx

from necwatch.errors import FetchError
from necwatch.extract import worker
from necwatch.fetch.body import ACCEPT_ENCODING
from necwatch.fetch.cache import NoCache, ResponseCache
from necwatch.fetch.conditional import lookup, request_headers
from necwatch.fetch.exchange import Exchange, Exchanger, Tally
from necwatch.fetch.guard import AddressGuard, AddressPrecheck, Resolver, guarded_transport, normalize_allowed
from necwatch.fetch.limits import HostLimiter
from necwatch.fetch.outcome import answer, failure_record, log_failure, log_success, public_error
from necwatch.fetch.redirects import REDIRECT_STATUSES, RedirectChain
from necwatch.fetch.retry import RateLimitBook
from necwatch.fetch.retry_loop import RetryLoop
from necwatch.fetch.robots_gate import RobotsGate
from necwatch.models import FetchRecord, Response
from necwatch.settings import FetchSettings


def _cache_missing_sniffio() -> None:
    """Remember that sniffio is absent, so httpcore's per-request `import sniffio` stops searching sys.path.

    httpcore tries that import several times per request; a failed import is not cached by Python, and the
    repeated search cost ~0.4 ms per request (a third of the fetch layer's CPU in bench/bench_crawl.py).
    A None entry in sys.modules makes the import fail at once, exactly as it would anyway. Installing
    sniffio makes this a no-op.
    """
    if "sniffio" in sys.modules:
        return
    try:
        import sniffio  # noqa: F401
    except ImportError:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_cache_missing_sniffio()

Sleep = Callable[[float], Awaitable[None]]


class HttpClient:
    """One per run: the connection pool, per-host limits, the 429 book and the robots.txt cache.

    Optional, for tests and tools: `resolver` (a stub instead of getaddrinfo), `allow_addresses` (admit
    exactly these private "ip" or "ip:port" addresses with allow_private off), `sleep` (the wait used for
    backoff and Retry-After), `rng` (backoff jitter). With a custom `transport` nothing connects by name,
    so the address check runs before each hop instead: on IP literals, and on names when a `resolver`
    is given.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        user_agent: str,
        allow_private: bool = False,
        cache: ResponseCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        allow_addresses: Iterable[str] = (),
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.cache = cache or NoCache()
        self.guard = AddressGuard(
            allow_private=allow_private, resolver=resolver, allow_addresses=allow_addresses
        )
        self._precheck = AddressPrecheck(
            self.guard, enabled=transport is not None and not allow_private, names=resolver is not None
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.deadline,
        )
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=transport or guarded_transport(self.guard, keepalive=max(20, settings.concurrency)),
            headers={"user-agent": user_agent, "accept-encoding": ACCEPT_ENCODING},
        )
        self.limiter = HostLimiter(
            per_host=settings.per_host_concurrency, delay=settings.per_host_delay, total=settings.concurrency
        )
        self.rate_limits = RateLimitBook()
        self.sleep: Sleep = sleep or asyncio.sleep
        self.rng = rng or random.Random()
        # the collaborators hold no reference back to this client, so dropping it frees it at once
        self._exchanger = Exchanger(self._client, settings, self.limiter, self.rate_limits)
        self._robots = RobotsGate(_robots_fetcher)
        # One FetchRecord per robots.txt request made by this client (200 with body and validators, 304,
        # or a failure), kept apart from the sources' records so `get()` still adds exactly one record.
        # The pipeline stores them (`take_robots_records()`) so the next run's robots.txt is conditional.
        self.robots_records: list[FetchRecord] = []

    def for_source(self, name: str, allowed_hosts: frozenset[str]) -> Fetcher:
        return Fetcher(self, name, allowed_hosts)

    def take_robots_records(self) -> list[FetchRecord]:
        """The robots.txt FetchRecords made so far, removed from the client (store each once)."""
        records, self.robots_records = self.robots_records, []
        return records

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Fetcher:
    """A source's view of the HttpClient: its allowed hosts and its request log."""

    def __init__(
        self, client: HttpClient, source: str, allowed_hosts: frozenset[str], *, _robots_fetch: bool = False
    ) -> None:
        self.client = client
        self.source = source
        self.allowed_hosts = allowed_hosts
        self._allowed = normalize_allowed(allowed_hosts)
        self._robots_fetch = _robots_fetch  # the internal robots.txt fetcher: no robots check, 500 KiB cut
        self._retries = RetryLoop(client, client._exchanger, source)
        self.records: list[FetchRecord] = []
        self.deferred_until: datetime | None = None  # set by a Retry-After beyond the in-run cap
        # URL asked for → where it answered, for each get() that was only permanently redirected
        # (301/308 at every hop): a post's slug renamed is a move of the same post (sources.base).
        self.moved: dict[str, str] = {}

    @property
    def requests(self) -> int:
        return sum(r.attempts for r in self.records)

    async def get(
        self,
        url: str,
        *,
        conditional: bool = True,
        accept: str | None = None,
        probe: bool = False,
        capture: bool = False,
    ) -> Response:
        """Fetch `url`: a 2xx Response, a 304 answered from the cache, or a raised FetchError.
        `probe`: the caller asks on purpose whether a path exists, so a 404/410 is logged at debug.
        `capture`: a web archive's capture, whose soft-error page (a suspended blog, a bot check) is
        what the site showed then: an answer, logged at info, never "fetch failed"."""
        tally = Tally()
        try:
            response = await self._get(url, conditional=conditional, accept=accept, tally=tally)
        except FetchError as e:
            error = public_error(e, url=url, attempts=tally.attempts)
            self.records.append(failure_record(self.source, error, tally.started))
            log_failure(
                error, source=self.source, url=url, robots=self._robots_fetch, probe=probe, capture=capture
            )
            if error is e:
                raise
            raise error from e
        log_success(response, source=self.source, url=url)
        if not self._robots_fetch and "html" in response.content_type:
            await worker.prove(response.text)  # a costly page is proved now, the loop free meanwhile
        return response

    async def _get(self, url: str, *, conditional: bool, accept: str | None, tally: Tally) -> Response:
        cached = lookup(self.client.cache, url, conditional=conditional)
        chain = RedirectChain(url, request_headers(accept, cached))
        ex = await self._follow(chain, tally)
        response, record = answer(
            self.source, url, str(chain.current), ex, cached, tally, robots=self._robots_fetch
        )
        self.records.append(record)
        if chain.moved:
            self.moved[url] = str(chain.current)
        return response

    async def _follow(self, chain: RedirectChain, tally: Tally) -> Exchange:
        """Each hop checked (allow-list, address, robots.txt), then requested; redirects followed."""
        settings = self.client.settings
        while True:
            hop = await chain.admit(self._allowed, self.client._precheck.check)
            if not self._robots_fetch and settings.respect_robots:
                await self.client._robots.check(self, hop.current, hop.host, chain.url)
            ex = await self._retries.run(hop, tally, robots=self._robots_fetch, defer=self._defer)
            if ex.status not in REDIRECT_STATUSES:
                return ex
            chain.follow(ex, settings.max_redirects)

    def _defer(self, until: datetime | None) -> None:
        if until is not None and (self.deferred_until is None or until > self.deferred_until):
            self.deferred_until = until


def _robots_fetcher(fetcher: Fetcher) -> Fetcher:
    """The internal fetcher robots.txt is fetched with: no robots check, 500 KiB cut, its own records."""
    return Fetcher(fetcher.client, fetcher.source, fetcher.allowed_hosts, _robots_fetch=True)
