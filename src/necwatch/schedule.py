"""When to poll a source next: a pure function of its stored state (APScheduler wiring comes later)."""

from __future__ import annotations

from datetime import datetime, timedelta


def next_poll_at(
    now: datetime,
    *,
    interval: float,
    consecutive_failures: int = 0,
    max_backoff: float = 86400.0,
    deferred_until: datetime | None = None,
) -> datetime:
    """The interval after success; doubling per consecutive failure, capped at max_backoff; never
    before a Retry-After deferral."""
    delay = interval
    if consecutive_failures > 0:
        delay = min(interval * 2 ** (consecutive_failures - 1), max(max_backoff, interval))
    at = now + timedelta(seconds=delay)
    if deferred_until is not None and deferred_until > at:
        at = deferred_until
    return at
