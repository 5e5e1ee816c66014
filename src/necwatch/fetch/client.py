"""HttpClient and Fetcher (see the package docstring and docs/fetching.md).

One `get()` is: allow-list → address guard → robots.txt → [politeness slot → one HTTP exchange under the
total deadline] × retries → redirect hop checks → Response or one classified FetchError. Whatever happens,
exactly one FetchRecord is appended to the fetcher's log.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from necwatch import errors
from necwatch.errors import FetchError, RateLimited, RobotsDisallowed
from necwatch.fetch.body import ACCEPT_ENCODING, read_body
from necwatch.fetch.cache import Cached, NoCache, ResponseCache
from necwatch.fetch.classify import is_challenge, kind_for_exception, kind_for_status, not_the_post
from necwatch.fetch.encoding import decode
from necwatch.fetch.guard import (
    AddressGuard,
    Resolver,
    check_allowed,
    guarded_transport,
    is_ip_literal,
    normalize_allowed,
)
from necwatch.fetch.limits import HostLimiter
from necwatch.fetch.retry import (
    RETRY_EXCEPTIONS,
    RETRY_STATUSES,
    RateLimitBook,
    backoff_delay,
    parse_retry_after,
)
from necwatch.fetch.robots import MAX_ROBOTS_BYTES, RobotsRules, robots_token
from necwatch.models import FetchRecord, Response
from necwatch.settings import FetchSettings

log = logging.getLogger("necwatch.fetch")


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

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ERROR_BODY_CAP = 64 * 1024  # enough to recognise a challenge page; error pages are never content
_CONDITIONAL = ("if-none-match", "if-modified-since")

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
        self._precheck = transport is not None and not allow_private
        self._precheck_names = resolver is not None
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
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
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

    async def _check_address(self, url: httpx.URL, original: str) -> None:
        """Before-the-hop address check, used only when a custom transport does the connecting."""
        if not self._precheck:
            return
        host = url.host
        if is_ip_literal(host) or self._precheck_names:
            port = url.port or (443 if url.scheme == "https" else 80)
            try:
                await self.guard.resolve(host, port, url=original)
            except FetchError as e:
                raise _rebase(e, url=original, final_url=str(url)) from e

    async def _robots_for(self, url: httpx.URL, host: str, fetcher: Fetcher) -> RobotsRules:
        origin = f"{url.scheme}://{host}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = self._robots.get(origin)
            if rules is not None and (not rules.reachable or rules.fresh(self.settings.robots_cache)):
                return rules
            rules = await self._fetch_robots(origin, fetcher)
            self._robots[origin] = rules  # an unreachable verdict lives only as long as this client (run)
            delay = rules.crawl_delay(robots_token(self.user_agent))
            if delay:
                self.limiter.set_min_delay(host, delay)
            return rules

    async def _fetch_robots(self, origin: str, fetcher: Fetcher) -> RobotsRules:
        """Fetch and judge robots.txt through the same limits; not recorded as the caller's fetch.

        The request is conditional on the cache's validators (a 304 reuses the stored body, so an
        unchanged robots.txt costs no body bytes); its FetchRecord goes to `robots_records`.
        """
        helper = Fetcher(self, fetcher.source, fetcher.allowed_hosts, _robots_fetch=True)
        url = f"{origin}/robots.txt"
        try:
            response = await helper.get(url, conditional=True, accept="text/plain")
        except FetchError as e:
            if e.kind in ("address_not_allowed", "dns"):
                raise  # the host itself is refused or unknown: say so, not "robots unavailable"
            if e.kind in ("not_found", "gone", "http_4xx", "too_many_redirects", "redirect_loop"):
                verdict = RobotsRules.allow_all(f"{e.kind}: {e.message}")
            else:
                verdict = RobotsRules.unreachable(f"{e.kind}: {e.message}")
            log.info(
                "robots.txt %s",
                "allows all" if verdict.reachable else "unreachable",
                extra={"source": fetcher.source, "url": url, "status": e.status, "kind": e.kind},
            )
            return verdict
        finally:
            self.robots_records.extend(helper.records)
        return RobotsRules.from_text(response.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace"))


@dataclass
class _Tally:
    """Per-get() counters shared by hops and retries."""

    attempts: int = 0
    in_body: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Exchange:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


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
        self.records: list[FetchRecord] = []
        self.deferred_until: datetime | None = None  # set by a Retry-After beyond the in-run cap

    @property
    def requests(self) -> int:
        return sum(r.attempts for r in self.records)

    async def get(self, url: str, *, conditional: bool = True, accept: str | None = None) -> Response:
        """Fetch `url`: a 2xx Response, a 304 answered from the cache, or a raised FetchError."""
        tally = _Tally()
        try:
            response = await self._get(url, conditional=conditional, accept=accept, tally=tally)
        except FetchError as e:
            public = type(e).__module__ == errors.__name__ and e.url == url
            error = e if public else _rebase(e, url=url, final_url=e.final_url)
            error.attempts = tally.attempts
            self._fail(error, tally.started)
            log.log(
                # 404/410 are answers (a platform path that does not exist, a deleted post), not faults
                logging.DEBUG
                if self._robots_fetch
                else logging.INFO
                if error.kind in ("not_found", "gone")
                else logging.WARNING,
                "fetch failed: %s",
                error,
                extra={
                    "source": self.source,
                    "url": url,
                    "status": error.status,
                    "attempts": error.attempts,
                    "kind": error.kind,
                },
            )
            if error is e:
                raise
            raise error from e
        log.debug(
            "fetched",
            extra={
                "source": self.source,
                "url": url,
                "status": response.status,
                "attempts": response.attempts,
                "bytes": 0 if response.not_modified else len(response.content),
            },
        )
        return response

    async def _get(self, url: str, *, conditional: bool, accept: str | None, tally: _Tally) -> Response:
        settings = self.client.settings
        robots = self._robots_fetch
        cached = self.client.cache.lookup(url) if conditional else None
        headers = _request_headers(accept, cached)
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as e:
            raise FetchError(f"invalid URL: {e}", url=url, kind="protocol", attempts=0) from e
        first_host = None
        chain = [str(current)]
        redirect_status: int | None = None  # the status of the redirect that led here, if any
        while True:
            try:
                host = check_allowed(current, self._allowed, original=url)
                if first_host is None:
                    first_host = host
                elif host != first_host:
                    headers = {k: v for k, v in headers.items() if k not in _CONDITIONAL}
                await self.client._check_address(current, url)
            except FetchError as e:
                if redirect_status is not None:  # a refused redirect target: say how we got there
                    e.status = redirect_status
                    e.message = f"{e.message}; redirected by HTTP {redirect_status}: " + " -> ".join(chain)
                raise
            if not robots and settings.respect_robots:
                await self._robots_check(current, host, url)
            ex = await self._with_retries(current, host, headers, url, tally, robots=robots)
            if ex.status not in REDIRECT_STATUSES:
                break
            location = ex.headers.get("location")
            if not location:
                raise FetchError(
                    "redirect without a Location",
                    url=url,
                    kind="protocol",
                    status=ex.status,
                    final_url=str(current),
                )
            target = current.join(location.strip()).copy_with(fragment=None)
            if str(target) in chain:
                raise FetchError(
                    "redirect loop: " + " -> ".join([*chain, str(target)]),
                    url=url,
                    kind="redirect_loop",
                    status=ex.status,
                    final_url=str(target),
                )
            if len(chain) > settings.max_redirects:
                raise FetchError(
                    f"more than {settings.max_redirects} redirects: " + " -> ".join([*chain, str(target)]),
                    url=url,
                    kind="too_many_redirects",
                    status=ex.status,
                    final_url=str(target),
                )
            chain.append(str(target))
            current = target
            redirect_status = ex.status
        final = str(current)
        if ex.status == 304:
            if cached is None:
                raise FetchError(
                    "304 Not Modified to an unconditional request",
                    url=url,
                    kind="protocol",
                    status=304,
                    final_url=final,
                )
            text, encoding = ("", "utf-8") if robots else decode(cached.body, cached.content_type)
            elapsed = self._record(url, final, 304, tally, ex.headers, None, 0)
            return Response(
                url,
                final,
                304,
                ex.headers,
                cached.body,
                text,
                encoding,
                not_modified=True,
                elapsed_ms=elapsed,
                attempts=tally.attempts,
            )
        if not 200 <= ex.status < 300:
            kind = "protocol" if ex.status < 400 else kind_for_status(ex.status)
            raise FetchError(f"HTTP {ex.status}", url=url, kind=kind, status=ex.status, final_url=final)
        text, encoding = ("", "utf-8") if robots else decode(ex.body, ex.headers.get("content-type"))
        body = ex.body if ex.status == 200 else None
        elapsed = self._record(url, final, ex.status, tally, ex.headers, body, len(ex.body))
        return Response(
            url,
            final,
            ex.status,
            ex.headers,
            ex.body,
            text,
            encoding,
            elapsed_ms=elapsed,
            attempts=tally.attempts,
        )

    async def _robots_check(self, current: httpx.URL, host: str, url: str) -> None:
        try:
            rules = await self.client._robots_for(current, host, self)
        except FetchError as e:
            raise _rebase(e, url=url, final_url=str(current)) from e
        if not rules.reachable:
            raise FetchError(
                f"robots.txt unreachable this run ({rules.detail})",
                url=url,
                kind="robots_unavailable",
                final_url=str(current),
                attempts=0,
            )
        if not rules.allows(str(current), robots_token(self.client.user_agent)):
            raise RobotsDisallowed(
                "robots.txt disallows this path", url=url, final_url=str(current), attempts=0
            )

    async def _with_retries(
        self, current: httpx.URL, host: str, headers: dict[str, str], url: str, tally: _Tally, *, robots: bool
    ) -> _Exchange:
        """One hop: the exchange, retried on transient failures with backoff or Retry-After."""
        settings = self.client.settings
        final = str(current)
        retries = 0
        while True:
            tally.in_body = False
            try:
                ex = await self._exchange(current, host, headers, url, tally, robots=robots)
            except TimeoutError as e:  # the total deadline: a drip would only drip again, so no retry
                raise FetchError(
                    f"no complete response within the {settings.deadline:g}s deadline",
                    url=url,
                    kind="deadline",
                    final_url=final,
                ) from e
            except httpx.TransportError as e:
                kind = kind_for_exception(e, in_body=tally.in_body)
                if kind != "tls" and isinstance(e, RETRY_EXCEPTIONS) and retries < settings.retries:
                    retries += 1
                    await self._wait(backoff_delay(settings.backoff, retries, self.client.rng), url, kind)
                    continue
                raise FetchError(
                    f"{type(e).__name__}: {e}".rstrip(": "), url=url, kind=kind, final_url=final
                ) from e
            if is_challenge(ex.status, ex.headers, ex.body):
                raise FetchError(
                    "bot challenge page instead of content",
                    url=url,
                    kind="challenge",
                    status=ex.status,
                    final_url=final,
                )
            bad = (
                not_the_post(ex.body)
                if ex.status == 200 and "html" in ex.headers.get("content-type", "")
                else None
            )
            if bad is not None:  # a 200 that is not the page: classified, never read as content
                raise FetchError(bad[1], url=url, kind=bad[0], status=ex.status, final_url=final)
            if ex.status not in RETRY_STATUSES:
                return ex
            retry_after = parse_retry_after(ex.headers.get("retry-after"))
            until = datetime.now(UTC) + timedelta(seconds=retry_after) if retry_after is not None else None
            if ex.status == 429:
                self.client.rate_limits.note_429(host, until)
            if retry_after is not None and retry_after > settings.max_retry_after and ex.status in (429, 503):
                self.client.rate_limits.block(host, until)
                self._defer(until)
                raise RateLimited(
                    f"HTTP {ex.status} with Retry-After {retry_after:g}s: deferred to a later run",
                    url=url,
                    status=ex.status,
                    final_url=final,
                    retry_after=retry_after,
                )
            if retries >= settings.retries:
                kind = kind_for_status(ex.status)
                raise FetchError(
                    f"HTTP {ex.status} after {retries + 1} attempts",
                    url=url,
                    kind=kind,
                    status=ex.status,
                    final_url=final,
                    retry_after=retry_after,
                )
            retries += 1
            if retry_after is not None and retry_after <= settings.max_retry_after:
                self.client.limiter.not_before(host, retry_after)
                delay = retry_after
            else:
                delay = backoff_delay(settings.backoff, retries, self.client.rng)
            await self._wait(delay, url, f"http {ex.status}")

    async def _exchange(
        self, current: httpx.URL, host: str, headers: dict[str, str], url: str, tally: _Tally, *, robots: bool
    ) -> _Exchange:
        """One HTTP request and its (capped) body, inside the host's slot and the total deadline."""
        settings = self.client.settings
        async with self.client.limiter.slot(host):
            limited = self.client.rate_limits.take(host)
            if limited is not None:
                self._defer(limited.until)
                retry_after = (
                    max(0.0, (limited.until - datetime.now(UTC)).total_seconds()) if limited.until else None
                )
                raise RateLimited(
                    "host rate-limited earlier in this run: not asked again",
                    url=url,
                    final_url=str(current),
                    retry_after=retry_after,
                )
            tally.attempts += 1
            async with asyncio.timeout(settings.deadline):
                request = self.client._client.build_request("GET", current, headers=headers)
                try:
                    response = await self.client._client.send(request, stream=True)
                except FetchError as e:  # the connect-time address guard, which knows neither URL
                    raise _rebase(e, url=url, final_url=str(current)) from e
                try:
                    tally.in_body = True
                    lower = {k.lower(): v for k, v in response.headers.items()}
                    if 200 <= response.status_code < 300:
                        cap = MAX_ROBOTS_BYTES if robots else settings.max_bytes
                        body = await read_body(
                            response, url=url, max_bytes=cap, warn_bytes=settings.warn_bytes, truncate=robots
                        )
                    else:
                        body = await read_body(response, url=url, max_bytes=ERROR_BODY_CAP, truncate=True)
                finally:
                    await response.aclose()
        return _Exchange(response.status_code, lower, body, str(response.url))

    async def _wait(self, seconds: float, url: str, why: str) -> None:
        log.info("retrying in %.2fs (%s)", seconds, why, extra={"source": self.source, "url": url})
        await self.client.sleep(seconds)

    def _defer(self, until: datetime | None) -> None:
        if until is not None and (self.deferred_until is None or until > self.deferred_until):
            self.deferred_until = until

    def _record(
        self,
        url: str,
        final_url: str,
        status: int,
        tally: _Tally,
        headers: dict[str, str],
        body: bytes | None,
        size: int,
    ) -> int:
        elapsed = int((time.monotonic() - tally.started) * 1000)
        self.records.append(
            FetchRecord(
                source=self.source,
                url=url,
                final_url=final_url,
                status=status,
                fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                elapsed_ms=elapsed,
                bytes=size,
                attempts=tally.attempts,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                content_type=headers.get("content-type"),
                body=body,
                headers=headers,
            )
        )
        return elapsed

    def _fail(self, error: FetchError, started: float) -> None:
        self.records.append(
            FetchRecord(
                source=self.source,
                url=error.url,
                final_url=error.final_url,
                status=error.status,
                fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                elapsed_ms=int((time.monotonic() - started) * 1000),
                bytes=error.bytes_read,
                attempts=error.attempts,
                error_kind=error.kind,
                error=error.message,
            )
        )


def _request_headers(accept: str | None, cached: Cached | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if accept:
        headers["accept"] = accept
    if cached is not None:
        if cached.etag:
            headers["if-none-match"] = cached.etag
        if cached.last_modified:
            headers["if-modified-since"] = cached.last_modified
    return headers


def _rebase(error: FetchError, *, url: str, final_url: str | None) -> FetchError:
    """The same failure as a public error type, naming the caller's URL (guard errors name neither)."""
    cls = type(error) if type(error).__module__ == errors.__name__ else FetchError
    return cls(
        error.message,
        url=url,
        kind=error.kind,
        status=error.status,
        final_url=final_url,
        attempts=error.attempts,
        retry_after=error.retry_after,
        bytes_read=error.bytes_read,
    )
