"""Fixtures for the fetch fault suite: a fault server on loopback and fast settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
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


class Stamped(httpx.AsyncBaseTransport):
    """A plain transport that notes (time.monotonic(), path) as each request leaves the client.

    Spacing is enforced by the client, so it is measured there: a timestamp taken by the server
    thread after accept and recv carries that thread's scheduling delay, which on a loaded machine
    can eat tens of milliseconds out of a gap. Pass as `transport=` to client_for().
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[float, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((time.monotonic(), request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
