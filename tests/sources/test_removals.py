"""The removal sweep by date-bisected counts (sources/removals.py), with plain objects: a remote
side that is a list of (publication time, id), and the stored posts the database would give."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from necwatch.sources.removals import Unlocalised, missing_ids, stored_times, worth_bisecting

T0 = datetime(2020, 1, 1, tzinfo=UTC)


class Remote:
    """The platform's side: counts and id listings by publication range, and what was asked."""

    def __init__(self, posts: list[tuple[datetime, str]]) -> None:
        self.posts = posts
        self.counts: list[tuple[datetime, datetime]] = []
        self.listings: list[tuple[datetime, datetime]] = []

    async def count(self, lo: datetime, hi: datetime) -> int:
        self.counts.append((lo, hi))
        return sum(1 for t, _ in self.posts if lo <= t < hi)

    async def list_ids(self, lo: datetime, hi: datetime) -> set[str]:
        self.listings.append((lo, hi))
        return {pid for t, pid in self.posts if lo <= t < hi}


def archive(n: int, *, step: timedelta = timedelta(hours=7)) -> list[tuple[datetime, str]]:
    return [(T0 + step * i, str(1000 + i)) for i in range(n)]


def sweep(stored: list[tuple[datetime, str]], remote: Remote, deficit: int, budget: int = 50) -> set[str]:
    coro = missing_ids(stored, deficit, count=remote.count, list_ids=remote.list_ids, page=100, budget=budget)
    return asyncio.run(coro)


def test_one_removal_costs_about_log_n_requests_and_lists_one_page() -> None:
    stored = archive(10_000)
    remote = Remote([p for p in stored if p[1] != "1250"])
    assert sweep(stored, remote, 1) == {"1250"}
    assert len(remote.counts) <= 9 and len(remote.listings) == 1  # 1 + log2(10,000 / 100) counts
    lo, hi = remote.listings[0]
    assert sum(1 for t, _ in stored if lo <= t < hi) <= 100  # not every id


def test_several_removals_are_all_found() -> None:
    stored = archive(5_000)
    gone = {"1003", "2500", "2501", "5999"}
    remote = Remote([p for p in stored if p[1] not in gone])
    assert sweep(stored, remote, len(gone)) == gone
    assert len(remote.counts) + len(remote.listings) < 50  # the full listing: 50 pages of 100


def test_new_posts_after_the_stored_ones_are_outside_the_sweep() -> None:
    stored = archive(1_000)
    later = [(T0 + timedelta(days=5000), "9999")]
    remote = Remote([p for p in stored if p[1] != "1500"] + later)
    assert sweep(stored, remote, 1) == {"1500"}


def test_a_removal_hidden_by_a_back_dated_addition_is_unlocalised() -> None:
    """The counts match everywhere, yet the platform's total dropped: only the full listing can tell."""
    stored = archive(1_000)
    remote = Remote([p for p in stored if p[1] != "1500"] + [(stored[500][0] + timedelta(hours=1), "7777")])
    with pytest.raises(Unlocalised):
        sweep(stored, remote, 1)


def test_posts_published_in_the_same_second_cannot_be_split() -> None:
    stored = archive(300, step=timedelta(0))
    remote = Remote(stored[1:])
    with pytest.raises(Unlocalised, match="same second"):
        sweep(stored, remote, 1)


def test_a_sweep_over_budget_gives_up() -> None:
    stored = archive(10_000)
    remote = Remote(stored[::2])  # half the archive gone: every range differs
    with pytest.raises(Unlocalised, match="requests"):
        sweep(stored, remote, 5_000, budget=20)


def test_stored_times_leave_out_suspects_and_refuse_undated_posts() -> None:
    by_id = {"1": "u1", "2": "u2", "3": "u3"}
    known = {"u1": T0 + timedelta(seconds=1.7), "u2": T0, "u3": T0}
    assert stored_times(by_id, known, frozenset({"u3"})) == [(T0, "2"), (T0 + timedelta(seconds=1), "1")]
    with pytest.raises(Unlocalised):
        stored_times(by_id, {**known, "u2": None}, frozenset())


def test_the_full_listing_is_chosen_when_it_is_cheaper() -> None:
    assert not worth_bisecting(1_000, 500, 2)  # Blogger, 1,000 posts: 2 pages of 500
    assert worth_bisecting(10_000, 500, 20)  # 7 requests instead of 20
    assert worth_bisecting(10_000, 100, 99)  # WordPress: 9 instead of 99
