"""What the fetcher needs from storage to make a request conditional and to answer a 304."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Cached:
    """The last good response stored for a URL."""

    etag: str | None
    last_modified: str | None
    body: bytes
    content_type: str | None


class ResponseCache(Protocol):
    def lookup(self, url: str) -> Cached | None: ...


class NoCache:
    """Never conditional: every request downloads the body."""

    def lookup(self, url: str) -> Cached | None:
        return None


class DictCache:
    """An in-memory cache (tests, benchmarks)."""

    def __init__(self) -> None:
        self.entries: dict[str, Cached] = {}

    def lookup(self, url: str) -> Cached | None:
        return self.entries.get(url)
