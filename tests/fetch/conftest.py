"""Fixtures for the fetch fault suite: a fault server on loopback and fast settings."""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from necwatch.config import FetchSettings
from necwatch.errors import FetchError
from necwatch.fetch import HttpClient
from tests.faultserver import FaultServer

UA = "necwatch-test/1.0 (+https://example.invalid)"


def fast(**overrides: Any) -> FetchSettings:
    """Defaults scaled down so every fault resolves in well under a second."""
    values: dict[str, Any] = {
        "connect_timeout": 1.0,
        "read_timeout": 0.3,
        "deadline": 1.5,
        "backoff": 0.01,
        "per_host_delay": 0.0,
        "max_retry_after": 2.0,
    }
    values.update(overrides)
    return FetchSettings(**values)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as s:
        yield s


def client_for(server: FaultServer, settings: FetchSettings | None = None, **kwargs: Any) -> HttpClient:
    """A client allowed to reach exactly this server (the test override admits its address only)."""
    kwargs.setdefault("allow_addresses", [server.netloc])
    return HttpClient(settings or fast(), user_agent=UA, **kwargs)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def fetch_one(
    server: FaultServer, path: str, settings: FetchSettings | None = None, **client_kwargs: Any
) -> tuple[object, list[Any]]:
    """One get() through a fresh client: the Response or the FetchError it raised, and the records."""
    async with client_for(server, settings, **client_kwargs) as client:
        fetcher = client.for_source("s", frozenset([server.netloc]))
        try:
            result: object = await fetcher.get(server.url(path))
        except FetchError as e:
            result = e
        return result, fetcher.records


class FakeClock:
    """Virtual time for the per-host limiter: its clock reads `now`, and its waits move `now` on.

    A wait's target is fixed when the wait starts (now + seconds, the start the limiter reserved);
    `now` reaches it when the waiting task resumes, in the order the waits began, before that task
    sends. So a request's start read from this clock is exactly the start the limiter gave it,
    whatever the machine's load, and no test time is spent waiting.
    """

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + max(0.0, seconds)
        await asyncio.sleep(0)
        self.now = max(self.now, target)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A FakeClock driving necwatch.fetch.limits (request spacing: per-host delay, Crawl-delay).

    The limiter reads time.monotonic() and waits with asyncio.sleep() itself (HttpClient's `sleep`
    hook covers only backoff and Retry-After), so both are replaced in that module's namespace.
    """
    from necwatch.fetch import limits

    clock = FakeClock()
    monkeypatch.setattr(limits, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    monkeypatch.setattr(limits, "asyncio", types.SimpleNamespace(**{**vars(asyncio), "sleep": clock.sleep}))
    return clock


@dataclass
class Exchange:
    path: str
    start: float  # time.monotonic() when the request left the client
    end: float | None = None  # when the client closed the response (its body read or abandoned)


class Stamped(httpx.AsyncBaseTransport):
    """A plain transport that times each exchange at the client: request sent → response closed.

    Spacing and concurrency are enforced by the client, so they are measured there: a timestamp
    taken by a server thread after accept and recv (or after its handler returns) carries that
    thread's scheduling delay, which on a loaded machine can move an edge by tens of milliseconds.
    Every exchange lies inside the client's slot for it. Pass as `transport=` to client_for().
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.clock = clock
        self.exchanges: list[Exchange] = []

    @property
    def sent(self) -> list[tuple[float, str]]:
        """(start, path) of every request, in the order they were sent."""
        return [(e.start, e.path) for e in self.exchanges]

    def max_overlap(self, path: str) -> int:
        """The most exchanges for `path` open at one instant."""
        spans = [e for e in self.exchanges if e.path == path]
        assert all(e.end is not None for e in spans), "an exchange was never closed"
        events = sorted([(e.start, 1) for e in spans] + [(e.end, -1) for e in spans])  # ends first on ties
        peak = current = 0
        for _, delta in events:
            current += delta
            peak = max(peak, current)
        return peak

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = Exchange(request.url.path, self.clock())
        self.exchanges.append(exchange)
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Timed(response.stream, exchange, self.clock),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Timed(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, exchange: Exchange, clock: Callable[[], float]) -> None:
        self.inner = inner
        self.exchange = exchange
        self.clock = clock

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            if self.exchange.end is None:
                self.exchange.end = self.clock()
