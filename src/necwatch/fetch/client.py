"""HttpClient and Fetcher (see the package docstring)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from necwatch.config import FetchSettings
from necwatch.errors import FetchError, HostNotAllowed
from necwatch.fetch.cache import NoCache, ResponseCache
from necwatch.fetch.encoding import decode
from necwatch.models import FetchRecord, Response


class HttpClient:
    """One per run: the connection pool, per-host limits, robots cache."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        user_agent: str,
        allow_private: bool = False,
        cache: ResponseCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.cache = cache or NoCache()
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
            transport=transport,
            headers={"user-agent": user_agent},
        )
        self._host_locks: dict[str, asyncio.Semaphore] = {}

    def for_source(self, name: str, allowed_hosts: frozenset[str]) -> Fetcher:
        return Fetcher(self, name, allowed_hosts)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_locks:
            self._host_locks[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return self._host_locks[host]


class Fetcher:
    """A source's view of the HttpClient: its allowed hosts and its request log."""

    def __init__(self, client: HttpClient, source: str, allowed_hosts: frozenset[str]) -> None:
        self.client = client
        self.source = source
        self.allowed_hosts = allowed_hosts
        self.records: list[FetchRecord] = []
        self.deferred_until: datetime | None = None  # set by a Retry-After beyond the in-run cap

    @property
    def requests(self) -> int:
        return sum(r.attempts for r in self.records)

    async def get(self, url: str, *, conditional: bool = True, accept: str | None = None) -> Response:
        """Fetch `url`, following up to max_redirects redirects within the allowed hosts."""
        started = time.monotonic()
        cached = self.client.cache.lookup(url) if conditional else None
        headers: dict[str, str] = {}
        if accept:
            headers["accept"] = accept
        if cached is not None:
            if cached.etag:
                headers["if-none-match"] = cached.etag
            if cached.last_modified:
                headers["if-modified-since"] = cached.last_modified
        current = url
        try:
            for _hop in range(self.client.settings.max_redirects + 1):
                host = urlsplit(current).netloc.lower()
                if host not in self.allowed_hosts:
                    raise HostNotAllowed(f"host {host} is not in the allow-list", url=url, final_url=current)
                async with self.client._host_slot(host):
                    r = await self.client._client.get(current, headers=headers)
                    body = await r.aread()
                if r.status_code in (301, 302, 303, 307, 308) and "location" in r.headers:
                    current = urljoin(current, r.headers["location"])
                    continue
                break
            else:
                raise FetchError("too many redirects", url=url, kind="too_many_redirects", final_url=current)
        except httpx.TimeoutException as e:
            raise self._fail(FetchError(str(e) or "timed out", url=url, kind="timeout"), started) from e
        except httpx.ConnectError as e:
            raise self._fail(FetchError(str(e) or "connect failed", url=url, kind="connect"), started) from e
        except httpx.TransportError as e:
            raise self._fail(FetchError(str(e) or "protocol error", url=url, kind="protocol"), started) from e
        except FetchError as e:
            raise self._fail(e, started) from None
        elapsed = int((time.monotonic() - started) * 1000)
        lower = {k.lower(): v for k, v in r.headers.items()}
        if r.status_code == 304 and cached is not None:
            text, encoding = decode(cached.body, cached.content_type)
            self._record(url, current, 304, elapsed, 0, lower, None)
            return Response(
                url, current, 304, lower, cached.body, text, encoding, not_modified=True, elapsed_ms=elapsed
            )
        if not 200 <= r.status_code < 300:
            kind = {404: "not_found", 410: "gone"}.get(r.status_code)
            if kind is None:
                kind = "http_5xx" if r.status_code >= 500 else "http_4xx"
            err = FetchError(f"HTTP {r.status_code}", url=url, kind=kind, status=r.status_code, final_url=current)
            raise self._fail(err, started)
        text, encoding = decode(body, lower.get("content-type"))
        self._record(url, current, r.status_code, elapsed, len(body), lower, body)
        return Response(url, current, r.status_code, lower, body, text, encoding, elapsed_ms=elapsed)

    def _record(
        self,
        url: str,
        final_url: str,
        status: int,
        elapsed: int,
        size: int,
        headers: dict[str, str],
        body: bytes | None,
        attempts: int = 1,
    ) -> None:
        self.records.append(
            FetchRecord(
                source=self.source,
                url=url,
                final_url=final_url,
                status=status,
                fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                elapsed_ms=elapsed,
                bytes=size,
                attempts=attempts,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                content_type=headers.get("content-type"),
                body=body,
                headers=headers,
            )
        )

    def _fail(self, error: FetchError, started: float) -> FetchError:
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
        return error
