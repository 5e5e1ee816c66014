"""Which known posts a listing poll re-reads, by age: pure functions of the clock, no stored state.

Listings without change parameters (LabourList tag pages, `html` and `feed` sources) cannot say
which old post was edited, so old post pages are revisited on a schedule: recent posts often, old
ones rarely, every post at least once per sweep period.

* A post younger than FRESH (a day) is due on every poll.
* Otherwise its interval is the largest period / 2^k (k ≥ 0) not above a quarter of its age: a
  week-old post about every 1.75 days, one older than four periods once per period.
* Each post has a fixed phase (a hash of its URL, spread over the period); its slots are the times
  phase + n × interval. A post is due in a poll when one of its slots falls in (since, now], where
  `since` is the source's previous successful poll. Phases spread the revisits evenly over polls.

Why powers of two: the slots of interval period / 2^k contain those of every coarser interval, in
particular the slot phase + n × period. However the post ages between polls, every period holds one
slot it is due at, so each post is read at least once per period (plus one poll interval). Nothing
is written to schedule this: an unchanged poll changes no row.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import datetime

FRESH = 86400.0  # seconds: posts younger than this are re-read on every poll
AGE_FRACTION = 0.25  # an older post is re-read about every quarter of its age (at most once a period)


def revisit_interval(age: float, period: float) -> float:
    """Seconds between scheduled reads of a post `age` seconds old (0: every poll)."""
    if period <= 0 or age < FRESH:
        return 0.0
    interval = period
    while interval > age * AGE_FRACTION:
        interval /= 2
    return interval


def phase(url: str) -> float:
    """A fixed fraction in [0, 1) per URL: where in the period the post's slots fall."""
    return int(hashlib.sha256(url.encode()).hexdigest()[:8], 16) / 2**32


def is_due(
    url: str, published: datetime | None, since: datetime | None, now: datetime, period: float
) -> bool:
    """Whether a slot of the post falls in (since, now]. No previous poll (`since` None): due.
    A post without a publication date is scheduled as an old one (once per period)."""
    if since is None:
        return True
    age = (now - published).total_seconds() if published is not None else math.inf
    interval = revisit_interval(age, period)
    if interval <= 0 or (now - since).total_seconds() >= interval:
        return True
    offset = phase(url) * period
    before = math.floor((since.timestamp() - offset) / interval)
    return math.floor((now.timestamp() - offset) / interval) > before


def due_posts(
    known: Mapping[str, datetime | None],
    since: datetime | None,
    now: datetime,
    period: float,
) -> list[str]:
    """The known posts (URL → published) due for a revisit in this poll, in the mapping's order."""
    return [u for u, p in known.items() if is_due(u, p, since, now, period)]
