"""Naming what went wrong: HTTP statuses, soft errors and transport exceptions → FETCH_ERROR_KINDS."""

from __future__ import annotations

import re
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


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
# Bot checks served with 200 (Cloudflare's "Just a moment…", Sucuri, DDoS-Guard): by their title,
# or by the challenge script on a page too small to be an article.
_CHALLENGE_TITLES = (b"just a moment", b"attention required", b"checking your browser", b"ddos-guard",
                     b"please wait while we verify", b"security check", b"one more step")  # fmt: skip
_CHALLENGE_BODY = (b"/cdn-cgi/challenge-platform/", b"cf_chl_opt", b"checking your browser before")
# A 200 page that is not the site's content: a suspended account, a removed blog, a parked domain.
_UNAVAILABLE = (
    b"account suspended", b"account has been suspended", b"this blog has been removed",
    b"blog has been archived or suspended", b"this site has been archived or suspended",
    b"this domain is for sale", b"domain is parked", b"buy this domain", b"parked free",
    b"this domain may be for sale", b"the domain has expired", b"sorry, the blog at",
)  # fmt: skip
_SMALL = 40_000  # bytes: challenge and parking pages are small; a post page that quotes them is not


def not_the_post(body: bytes | str) -> tuple[str, str] | None:
    """(kind, reason) when a 200 HTML page is not content: `challenge` (a bot check) or
    `unavailable` (suspended account, removed blog, parked domain). Such a page is never read as
    the post, even when it happens to match the selectors."""
    data = body.encode("utf-8", "replace") if isinstance(body, str) else body
    head = data[:65536].lower()
    m = _TITLE.search(head)
    title = m.group(1).strip() if m else b""
    small = len(data) < _SMALL
    if any(title.startswith(t) for t in _CHALLENGE_TITLES) or (
        small and any(marker in head for marker in _CHALLENGE_BODY)
    ):
        return (
            "challenge",
            f"bot challenge page ({title.decode('utf-8', 'replace')[:60] or 'challenge script'})",
        )
    for phrase in _UNAVAILABLE:
        if phrase in title or (small and phrase in head):
            return "unavailable", f"not the post: the page says {phrase.decode()!r}"
    return None


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
