"""The conditional-request step: validators from the stored response out, the stored body back on a 304."""

from __future__ import annotations

from necwatch.errors import FetchError
from necwatch.fetch.cache import Cached, ResponseCache

VALIDATOR_HEADERS = ("if-none-match", "if-modified-since")


def lookup(cache: ResponseCache, url: str, *, conditional: bool) -> Cached | None:
    """The stored response a conditional request is based on (None: the request is unconditional)."""
    return cache.lookup(url) if conditional else None


def request_headers(accept: str | None, cached: Cached | None) -> dict[str, str]:
    """The request's own headers: Accept, and the stored validators when there is a stored response."""
    headers: dict[str, str] = {}
    if accept:
        headers["accept"] = accept
    if cached is not None:
        if cached.etag:
            headers["if-none-match"] = cached.etag
        if cached.last_modified:
            headers["if-modified-since"] = cached.last_modified
    return headers


def without_validators(headers: dict[str, str]) -> dict[str, str]:
    """The headers for a hop to another host: that host never issued the stored validators."""
    return {k: v for k, v in headers.items() if k not in VALIDATOR_HEADERS}


def stored_for_304(cached: Cached | None, *, url: str, final_url: str) -> Cached:
    """The stored response a 304 refers to; a 304 to an unconditional request is a protocol error."""
    if cached is None:
        raise FetchError(
            "304 Not Modified to an unconditional request",
            url=url,
            kind="protocol",
            status=304,
            final_url=final_url,
        )
    return cached
