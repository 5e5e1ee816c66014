"""Naming what went wrong: HTTP statuses, soft errors and transport exceptions → FETCH_ERROR_KINDS."""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import httpx

_CHALLENGE_MARKERS = (
    b"cf-chl",
    b"challenge-platform",
    b"just a moment...",
    b"cf_chl_opt",
    b"cf-browser-verification",
)


def kind_for_status(status: int) -> str:
    if status == 404:
        return "not_found"
    if status == 410:
        return "gone"
    if status == 429:
        return "rate_limited"
    return "http_5xx" if status >= 500 else "http_4xx"


def is_challenge(status: int, headers: Mapping[str, str], body: bytes) -> bool:
    """A bot-check page instead of the content (RELIABILITY.md X1): never content, never retried.

    Cloudflare marks managed challenges with `cf-mitigated: challenge`; older challenge pages are a
    403/503 from `server: cloudflare` whose HTML loads the challenge platform.
    """
    if headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return True
    if status in (403, 503) and "cloudflare" in headers.get("server", "").lower():
        head = body[:65536].lower()
        return any(marker in head for marker in _CHALLENGE_MARKERS)
    return False


def _caused_by_tls(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def kind_for_exception(error: httpx.TransportError, *, in_body: bool) -> str:
    """The kind for a transport error; `in_body` says the headers had already arrived."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if _caused_by_tls(error):
        return "tls"
    if in_body and isinstance(error, httpx.ReadError | httpx.RemoteProtocolError):
        return "truncated"  # the connection died mid-body: whatever arrived is partial
    if isinstance(error, httpx.ConnectError):
        return "connect"
    return "protocol"
