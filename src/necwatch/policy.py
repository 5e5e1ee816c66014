"""When to poll a source and how healthy it is: pure functions of stored state and a clock.

The pipeline (after a poll), the scheduler (when it starts and after each poll) and `run --due`
all decide with these; none of them reads the database here (the store hands in what is needed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from necwatch.config import ScheduleSettings, SourceConfig

QUIET_DAYS = 30.0  # a source silent for longer than this is polled less often...
MAX_QUIET_FACTOR = 8.0  # ...up to this many times its configured interval (then max_interval caps it)


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


def interval_for(
    source: SourceConfig,
    settings: ScheduleSettings,
    now: datetime,
    last_post_at: datetime | None,
    recent_meeting_dates: Iterable[date],
) -> float:
    """Seconds between polls of `source` when it is healthy.

    Without `schedule.adaptive` this is the source's configured interval. With it, a source that
    has been quiet for more than QUIET_DAYS is polled proportionally less often (its interval grows
    with the silence, up to MAX_QUIET_FACTOR×), and every source is polled at least every
    `after_meeting_interval` for `after_meeting_days` after an NEC meeting (members publish their
    reports in the days after one). The result is always within [min_interval, max_interval].
    """
    base = source.interval
    if not settings.adaptive:
        return base
    interval = base
    if last_post_at is not None:
        quiet_days = (now - last_post_at).total_seconds() / 86400
        if quiet_days > QUIET_DAYS:
            interval = base * min(quiet_days / QUIET_DAYS, MAX_QUIET_FACTOR)
    today = now.date()
    if any(0 <= (today - d).days <= settings.after_meeting_days for d in recent_meeting_dates):
        interval = min(interval, settings.after_meeting_interval)
    return min(max(interval, settings.min_interval), settings.max_interval)


def parse_time(value: str | None) -> datetime | None:
    """A stored ISO 8601 time (naive ones are UTC)."""
    if not value:
        return None
    t = datetime.fromisoformat(value)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def next_check_from_row(
    settings: ScheduleSettings, row: dict[str, Any], now: datetime, interval: float
) -> datetime:
    """When to poll next after a poll, from the source's `sources` row (failures and deferral)."""
    return next_poll_at(
        now,
        interval=interval,
        consecutive_failures=row.get("consecutive_failures") or 0,
        max_backoff=settings.max_backoff,
        deferred_until=parse_time(row.get("deferred_until")),
    )


def is_due(row: dict[str, Any] | None, now: datetime) -> bool:
    """A source is due when it was never polled or its next check time has passed."""
    at = parse_time((row or {}).get("next_check_at"))
    return at is None or at <= now


def failure_streak(before: int, *, failed: bool, outage: bool) -> int:
    """Consecutive failed polls after this one. A local outage (every source failing at the
    network level at once) neither grows nor resets the streak."""
    if not failed:
        return 0
    return before if outage else before + 1


def health_of(streak: int, unhealthy_after: int) -> str:
    """ok, failing (a few failed polls) or unhealthy (unhealthy_after or more in a row)."""
    if streak == 0:
        return "ok"
    return "unhealthy" if streak >= unhealthy_after else "failing"


def adaptive_interval(
    source: SourceConfig,
    settings: ScheduleSettings,
    now: datetime,
    activity: tuple[str | None, list[str]],
) -> float:
    """interval_for() from what the store reports of the source (`Store.source_activity`)."""
    last_post, meetings = activity
    dates = [date.fromisoformat(m[:10]) for m in meetings if len(m) >= 10]
    return interval_for(source, settings, now, parse_time(last_post), dates)


def meetings_since(settings: ScheduleSettings, now: datetime) -> str:
    """The first meeting date that still shortens polling (after_meeting_days ago)."""
    return (now.date() - timedelta(days=settings.after_meeting_days)).isoformat()
