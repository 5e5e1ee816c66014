"""The revisit schedule (sources/revisit.py) with plain values: recent posts often, old ones rarely,
every post at least once per period whatever the poll times, spread over polls."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from necwatch.sources.revisit import FRESH, due_posts, is_due, revisit_interval

DAY = 86400.0
WEEK = 7 * DAY
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def test_interval_grows_with_age_up_to_the_period() -> None:
    assert revisit_interval(3600, WEEK) == 0  # an hour old: every poll
    assert revisit_interval(FRESH - 1, WEEK) == 0
    assert revisit_interval(7 * DAY, WEEK) == WEEK / 4  # a quarter of its age, as a power-of-two part
    assert revisit_interval(2 * DAY, WEEK) == WEEK / 16
    assert revisit_interval(28 * DAY, WEEK) == WEEK
    assert revisit_interval(3650 * DAY, WEEK) == WEEK
    intervals = [revisit_interval(d * DAY, WEEK) for d in range(1, 60)]
    assert intervals == sorted(intervals) and all(WEEK % i == 0 for i in intervals)


def test_no_previous_poll_or_a_fresh_post_is_due() -> None:
    assert is_due("https://x/a", NOW - timedelta(days=900), None, NOW, WEEK)
    assert is_due("https://x/a", NOW - timedelta(hours=3), NOW - timedelta(minutes=5), NOW, WEEK)
    # a gap longer than the interval: due, whatever the phase
    assert is_due("https://x/a", NOW - timedelta(days=900), NOW - timedelta(days=8), NOW, WEEK)


def test_every_post_is_due_once_per_period_whatever_the_poll_times() -> None:
    """Random poll gaps (5 min to 9 h) over 5 weeks, posts of every age: no post goes more than one
    period plus one gap without being due, and old posts are due about once a period."""
    rng = random.Random(7)
    max_gap = 9 * 3600  # the longest simulated gap between polls
    # Simulated time throughout (no clock is read): the bound is the schedule's guarantee, one
    # sweep period plus one poll gap, not a speed.
    guarantee = WEEK + max_gap
    start = NOW - timedelta(days=5 * 7)
    posts = {f"https://x/{i}": start - timedelta(days=rng.uniform(0.5, 3000)) for i in range(300)}
    last = dict.fromkeys(posts, start)
    worst, reads = 0.0, 0
    t, since = start, start - timedelta(hours=1)
    while t < NOW:
        for url in due_posts(posts, since, t, WEEK):
            worst = max(worst, (t - last[url]).total_seconds())
            last[url] = t
            reads += 1
        since, t = t, t + timedelta(seconds=rng.uniform(300, max_gap))
    assert worst <= guarantee
    assert all(NOW - seen <= timedelta(seconds=guarantee) for seen in last.values())
    assert reads < 300 * 5 * 3  # not every poll: about once a period for old posts, more for recent


def test_revisits_are_spread_over_polls() -> None:
    """1,000 old posts, polls every 2 h: each poll reads about 1,000 / 84, never all at once."""
    posts = {f"https://x/{i}": NOW - timedelta(days=400 + i) for i in range(1000)}
    counts = []
    t = NOW
    for _ in range(84):
        counts.append(len(due_posts(posts, t, t + timedelta(hours=2), WEEK)))
        t += timedelta(hours=2)
    assert sum(counts) == 1000  # each exactly once in the week
    assert max(counts) <= 30
