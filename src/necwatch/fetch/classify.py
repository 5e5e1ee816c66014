"""Naming what went wrong: HTTP statuses, soft errors and transport exceptions → FETCH_ERROR_KINDS."""

from __future__ import annotations

import html
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


def not_the_post(body: bytes | str, headers: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(kind, reason) when a 200 HTML page is not content: `challenge` (a bot check, a firewall's
    block page) or `unavailable` (suspended account, removed or private blog, parked or expired
    domain, maintenance mode, a database error). Such a page is never read as the post, even when
    it happens to match the selectors (these pages often keep the post's title and date markup)."""
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
    return _soft_error(data, title, headers or {})


# --------------------------------------------------------------------------- soft errors
# What a soft-error page *is*: a tiny text (a block page, a parking page, WordPress's wp_die() page:
# tens of words, at most a couple of hundred with a firewall's details table) saying one of these
# things in its title, a heading or its few sentences. A post page is far longer: the shortest post
# page in the reference web has 208 words of visible text with ~40 of its own, an NEC report has 600+,
# so a real article that quotes the words in its body is never "tiny" and always passes.
_TINY_WORDS = 400  # visible words of the whole page (title, headings, body; scripts and styles not)
_SCAN = 262_144  # bytes of the page read for its text: linear, whatever the markup
# Specific sentences that only such pages print: anywhere in a tiny page's text.
_SOFT_PHRASES: tuple[tuple[str, str, str], ...] = (
    ("unavailable", "database error", "error establishing a database connection"),
    ("unavailable", "maintenance", "briefly unavailable for scheduled maintenance"),
    ("unavailable", "expired domain", "this domain has expired"),
    ("unavailable", "expired domain", "this domain name has expired"),
    ("unavailable", "expired domain", "domain has expired and is"),
    ("unavailable", "removed blog", "the authors have deleted this site"),
    ("unavailable", "private blog", "this blog is open to invited readers only"),
    ("unavailable", "private blog", "this blog is private"),
    ("unavailable", "private blog", "you do not have permission to read this blog"),
    ("challenge", "firewall block", "sucuri website firewall"),
    ("challenge", "firewall block", "your access to this site has been limited by the site owner"),
    ("challenge", "firewall block", "your access to this service has been limited"),
    ("challenge", "firewall block", "generated by wordfence"),
)
_SOFT_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("unavailable", "removed blog", re.compile(r"\b[a-z0-9-]+\.wordpress\.com is no longer available")),
)
# Short generic words (maintenance and coming-soon plugins): only as a title segment or a heading
# of its own ("Maintenance mode", "We're under maintenance", "Coming soon!"), and only on a tiny page,
# so a post titled "NEC report - full report coming soon" with its text is not one.
_SOFT_HEADINGS = re.compile(
    r"^(?:(?:the |this )?(?:site|website|blog) is |we are |we're |we’re |currently )?"
    r"(?:in |down for |under )?(?:maintenance(?: mode)?|scheduled maintenance|construction|coming soon)\b"
)
_SOFT_HEADING_WORDS = 8
# A firewall's own assets, ids and headers: a block page when the page is tiny.
_FIREWALL_MARKUP = (b"cdn.sucuri.net", b"sucuri_cloudproxy", b"wfblockpage", b"wf-block", b"/wordfence/")
_FIREWALL_WORDS = (
    "access denied",
    "block reason",
    "has been limited",
    "you have been blocked",
    "request was blocked",
)
_HEADING_TAGS = (b"h1", b"h2", b"h3")
_RAW_TAGS = (b"script", b"style", b"noscript", b"template", b"title", b"svg", b"textarea")
_RAW_CLOSE = {name: re.compile(rb"</" + name, re.IGNORECASE) for name in _RAW_TAGS}
_TAG_OR_COMMENT = re.compile(rb"<!--|<(/?)([a-z][a-z0-9]*)[^<>]*>?", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·»]\s+|\s*[|·»]\s*")


def _page_text(head: bytes) -> tuple[str, list[str]]:
    """The visible text of a page and the texts of its h1-h3, by one linear scan (no parse: this
    runs on every 200 page before the complexity guard has looked at it)."""
    parts: list[bytes] = []
    headings: list[str] = []
    opened: int | None = None
    pos, end = 0, len(head)
    while pos < end:
        m = _TAG_OR_COMMENT.search(head, pos)
        if m is None:
            parts.append(head[pos:])
            break
        parts.append(head[pos : m.start()])
        parts.append(b" ")
        pos = m.end()
        if m.group(0) == b"<!--":
            close = head.find(b"-->", pos)
            pos = end if close < 0 else close + 3
            continue
        name = m.group(2).lower()
        if name in _RAW_TAGS and not m.group(1):
            closing = _RAW_CLOSE[name].search(head, pos)
            pos = end if closing is None else closing.start()
        elif name in _HEADING_TAGS:
            if not m.group(1):
                opened = len(parts)
            elif opened is not None:
                headings.append(_words(b"".join(parts[opened:])))
                opened = None
    return _words(b"".join(parts)), headings


def _words(raw: bytes) -> str:
    return " ".join(html.unescape(raw.decode("utf-8", "replace")).lower().split())


def soft_error_said(text: str) -> tuple[str, str] | None:
    """(kind, reason) when `text` says one of the soft-error sentences (an expired domain, a removed
    or private blog, WordPress maintenance or database error, a firewall's block). Only for a tiny
    text: a page's whole text (above), or a post's extracted body (`decide.screen_post`), which
    catches such a page even when it keeps the site's whole chrome around the message."""
    said = " ".join(text.lower().replace("’", "'").split())
    for kind, what, phrase in _SOFT_PHRASES:
        if phrase in said:
            return kind, f"not the post: a {what} page ({phrase!r})"
    for kind, what, pattern in _SOFT_PATTERNS:
        found = pattern.search(said)
        if found:
            return kind, f"not the post: a {what} page ({found.group(0)!r})"
    return None


def _soft_error(data: bytes, title_raw: bytes, headers: Mapping[str, str]) -> tuple[str, str] | None:
    """A tiny page whose title, heading or text is a soft error, or a firewall's block page."""
    text, headings = _page_text(data[:_SCAN])
    if len(text.split()) >= _TINY_WORDS:
        return None
    title = _words(title_raw)
    said = soft_error_said(f"{title} {text}")
    if said is not None:
        return said
    segments = [s for s in _TITLE_SEPARATORS.split(title) if s] + headings
    for segment in segments:
        segment = segment.strip(" !.…")
        if len(segment.split()) <= _SOFT_HEADING_WORDS and _SOFT_HEADINGS.match(segment):
            return "unavailable", f"not the post: a maintenance or coming-soon page ({segment[:60]!r})"
    lower = {k.lower(): v.lower() for k, v in headers.items()}
    if "x-sucuri-block" in lower:  # Sucuri names the block it served
        return "challenge", "not the post: a firewall's block page (x-sucuri-block)"
    behind_firewall = (
        "x-sucuri-id" in lower
        or "sucuri" in lower.get("server", "")
        or any(marker in data[:_SCAN].lower() for marker in _FIREWALL_MARKUP)
    )
    if behind_firewall and any(w in text or w in title for w in _FIREWALL_WORDS):
        return "challenge", "not the post: a firewall's block page"
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
