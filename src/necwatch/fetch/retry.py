"""When to try again, and how long to wait (RELIABILITY.md F1, F2, G5).

The retry loop itself is a short explicit loop in retry_loop.py rather than tenacity: the decision depends on
the response (Retry-After, the per-host 429 budget, the deadline not being retried), and the wait may
move the whole host's next start, which a generic decorator would hide.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

# Statuses worth another attempt in the same run (Scrapy's list plus Cloudflare's 522/524).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})

# Transport errors worth another attempt: the server or the path hiccuped, the request may succeed.
RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date; None when absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(base: float, retry: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base × 2^(retry-1) × [0.5, 1.5) for retry = 1, 2, …

    Jitter keeps several sources that failed together from retrying in lock-step.
    """
    r = (rng or random).random()
    return base * (2 ** (retry - 1)) * (0.5 + r)


@dataclass
class RateLimitBook:
    """Per-host record of 429s in this run: after one, a host gets at most one further request.

    `until` is when the host said it would take requests again (for the caller's deferral).
    """

    _hosts: dict[str, _Limited] = field(default_factory=dict)

    def note_429(self, host: str, until: datetime | None) -> None:
        state = self._hosts.get(host)
        if state is None:
            self._hosts[host] = _Limited(budget=1, until=until)
        else:
            state.budget = 0
            if until is not None and (state.until is None or until > state.until):
                state.until = until

    def block(self, host: str, until: datetime | None) -> None:
        """No further requests to `host` this run (a Retry-After beyond the in-run cap)."""
        self._hosts[host] = _Limited(budget=0, until=until)

    def take(self, host: str) -> _Limited | None:
        """Spend one request for `host`; returns its state when it has none left (fail fast)."""
        state = self._hosts.get(host)
        if state is None:
            return None
        if state.budget <= 0:
            return state
        state.budget -= 1
        return None


@dataclass
class _Limited:
    budget: int
    until: datetime | None
