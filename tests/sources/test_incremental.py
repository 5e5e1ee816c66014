"""Incremental polls against emulated WordPress and Blogger sites that answer the platforms' query
parameters (bench/platformweb.py, on loopback): cost follows what changed, every change is found."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from necwatch import pipeline
from necwatch.config import Config, config_from_dict
from necwatch.demo import demo_config
from necwatch.pipeline import SourceSummary, run_async
from necwatch.replay import ReplayWeb
from necwatch.sources.blogger import incremental as blogger_incremental
from necwatch.sources.wordpress import incremental as wp_incremental
from necwatch.store import Store
from necwatch.store.checksum import digest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from platformweb import EmuSite, PlatformWeb


@dataclass
class Emu:
    web: PlatformWeb
    site: EmuSite
    config: Config
    store: Store

    def poll(self) -> SourceSummary:
        self.web.reset()
        return asyncio.run(run_async(self.config, self.store)).sources[0]

    def alerts(self, kind: str) -> int:
        sql = "select count(*) from alerts where kind = ? and backfill = 0"
        return int(self.store.db.execute(sql, [kind]).fetchone()[0])


@pytest.fixture(params=["wordpress", "blogger"])
def emu(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Emu]:
    yield from _emu(request.param, tmp_path, posts=200)


def _emu(kind: str, tmp_path: Path, *, posts: int, **source: Any) -> Iterator[Emu]:
    site = EmuSite(kind, posts_n=posts)
    with PlatformWeb(site) as web:
        config = config_from_dict(
            {
                "database": str(tmp_path / "t.db"),
                "feeds_dir": str(tmp_path / "feeds"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [{"name": "emu", "type": kind, "url": web.base(site), "author": "Emu", **source}],
            },
            file="<test>",
        )
        store = Store.open(config.database_path)
        yield Emu(web, site, config, store)
        store.close()


def test_unchanged_poll_costs_a_few_requests_and_changes_no_row(emu: Emu) -> None:
    first = emu.poll()
    assert first.new == 200 and first.status == "ok"
    emu.poll()  # the first incremental poll
    before = digest(emu.config.database_path)
    summary = emu.poll()
    assert summary.status == "ok" and summary.new == summary.changed == summary.writes == 0
    assert emu.web.requests() <= 3  # 200 posts: the change query and the site-wide comments
    assert digest(emu.config.database_path) == before


def test_change_poll_finds_a_new_report_an_old_edit_a_comment_and_a_deletion(emu: Emu) -> None:
    emu.poll()
    emu.poll()
    site = emu.site
    site.now += timedelta(hours=2)
    site.add_post(report=True)
    site.edit(site.posts[10])  # an old NEC report (every tenth post is one)
    site.add_comment(site.posts[20])
    site.posts[31].deleted = True
    summary = emu.poll()
    assert emu.web.requests() <= 10
    assert (summary.new, summary.changed, summary.comments) == (1, 1, 1)
    assert emu.alerts("new_report") == emu.alerts("report_edited") == emu.alerts("new_comment") == 1
    assert emu.alerts("report_removed") == 0  # one 404: not yet evidence
    emu.poll()  # the confirming poll: a second 404
    removed = emu.store.db.execute("select url, removed_reason from posts where removed_at is not null")
    assert [r[1] for r in removed] == ["http_404_twice"]


def test_rolling_revalidation_finds_an_edit_that_kept_its_modified_time(
    emu: Emu, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.poll()
    emu.poll()
    emu.site.edit(emu.site.posts[50], move_modified=False)  # the change query cannot see it
    emu.poll()
    assert emu.alerts("report_edited") == 0
    later = datetime.now().astimezone() + timedelta(days=emu.config.sources[0].sweep_period / 86400 + 1)
    monkeypatch.setattr(pipeline, "utcnow", lambda: later.replace(microsecond=0))
    emu.poll()  # a sweep period has passed: every page of the listing is owed
    assert emu.alerts("report_edited") == 1


def _archived_listings(emu: Emu) -> list[str]:
    sql = "select url from responses r where not exists (select 1 from posts p where p.url = r.url)"
    return [r[0] for r in emu.store.db.execute(sql) if not r[0].endswith("/robots.txt")]


@pytest.mark.parametrize("kind", ["wordpress", "blogger"])
@pytest.mark.parametrize("listing_raw", ["latest", "all"])
def test_a_source_read_through_change_queries_keeps_no_backfill_pages(
    kind: str, listing_raw: str, tmp_path: Path
) -> None:
    """`reextract` cannot replay a source read through change queries, so once it is, the listing
    pages of its backfill (mostly other posts' content) leave the raw archive: the bodies go with
    their rows, robots.txt stays, and later polls still find changes. `listing_raw: all` keeps them."""
    for emu in _emu(kind, tmp_path, posts=120):
        emu.config = emu.config.model_copy(
            update={"storage": emu.config.storage.model_copy(update={"listing_raw": listing_raw})}
        )
        emu.poll()  # the backfill: paged listings, archived
        emu.poll()  # nothing changed: the source is still replayable
        backfill = _archived_listings(emu)
        assert backfill and not emu.store.cursor("emu").get("unarchived")
        for post in (10, 20):  # the first change read through a change query, then a second one
            emu.site.now += timedelta(hours=2)
            emu.site.add_post(report=True)
            emu.site.edit(emu.site.posts[post])
            summary = emu.poll()
            assert (summary.status, summary.new, summary.changed) == ("ok", 1, 1)
            assert emu.store.cursor("emu").get("unarchived")
            kept = _archived_listings(emu)
            robots = "select count(*) from responses where url like '%/robots.txt'"
            assert emu.store.db.execute(robots).fetchone()[0] == 1
            if listing_raw == "all":
                assert set(backfill) <= set(kept)
            else:  # only what this poll fetched outside the change queries (nothing here)
                assert kept == [] and emu.store.db["raw_bodies"].count == 1  # robots.txt's


@pytest.mark.parametrize("kind", ["wordpress", "blogger"])
def test_backfill_continues_past_max_pages_with_a_warning(kind: str, tmp_path: Path) -> None:
    for emu in _emu(kind, tmp_path, posts=120, max_pages=2):
        first = emu.poll()
        stored = emu.store.db["posts"].count
        assert stored < 120 and first.status == "ok"
        assert any("max_pages" in w for w in first.warnings)
        assert "backfill_before" in emu.store.cursor("emu")
        second = emu.poll()
        assert emu.store.db["posts"].count == 120 and not second.warnings
        assert "backfill_before" not in emu.store.cursor("emu")
        assert second.new == 120 - stored
        assert emu.alerts("new_report") == 0  # the continued backfill is as quiet as the first read


@pytest.mark.parametrize("kind", ["wordpress", "blogger"])
def test_backfill_reads_at_most_a_batch_of_posts_a_poll(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll holds its posts in memory until they are written: a backfill reads about
    backfill_batch posts a poll (whole pages), then carries on, quietly, until the archive is read."""
    monkeypatch.setattr(blogger_incremental, "BIG", 10)  # pages of 10, as 500/100 are to 10,000 posts
    monkeypatch.setattr(wp_incremental, "PAGE", 10)
    for emu in _emu(kind, tmp_path, posts=120, backfill_batch=30):
        counts = []
        for _ in range(8):
            summary = emu.poll()
            counts.append(emu.store.db["posts"].count)
            if "backfill_before" not in emu.store.cursor("emu"):
                break
        assert counts[-1] == 120 and len(counts) >= 3  # several polls, every post in the end
        steps = [b - a for a, b in zip([0, *counts], counts, strict=False)]
        assert max(steps[1:]) <= 30  # continued polls: a batch of whole pages of 10
        assert steps[0] < 30 + 100  # the first, full read: a batch plus at most the page that crossed it
        assert not summary.warnings and emu.alerts("new_report") == 0  # the backfill stays quiet


def test_a_site_that_does_not_answer_change_queries_is_polled_the_full_way(
    web: ReplayWeb, tmp_path: Path
) -> None:
    """The recorded reference web answers 404 to any URL it did not record: after one probe the
    cursor says `legacy` and every poll reads the whole listing, finding nothing changed."""
    hosts = ["aliceperry.wordpress.com", "lukeakehurst.blogspot.com"]
    config = demo_config(web, database=tmp_path / "d.db", feeds_dir=tmp_path / "f", hosts=hosts)
    store = Store.open(config.database_path)
    asyncio.run(run_async(config, store))
    second = asyncio.run(run_async(config, store))
    assert {s.status for s in second.sources} == {"ok"}
    assert sum(s.new + s.changed + s.removed for s in second.sources) == 0
    assert {store.cursor(n)["mode"] for n in ("alice-perry", "luke-akehurst")} == {"legacy"}
    with web.recording() as requests:
        asyncio.run(run_async(config, store))
    assert not [r for r in requests if "orderby=" in r.path]  # not probed again within the period


# -- the removal sweep by counts (sources/removals.py) ----------------------------------------------
# Page sizes shrink to 10 so that 400 posts have the proportions of a 10,000-post blog at the real
# sizes (500 per Blogger feed page): the full id listing is 40 pages.
FULL_LISTING = 40


@pytest.fixture(params=["wordpress", "blogger"])
def archive(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    for emu in _emu(request.param, tmp_path, posts=400):
        emu.poll()  # the backfill
        emu.poll()  # the first incremental poll
        monkeypatch.setattr(blogger_incremental, "BIG", 10)
        monkeypatch.setattr(wp_incremental, "PAGE", 10)
        emu.site.now += timedelta(hours=2)
        yield emu


def _full_listing(emu: Emu) -> list[str]:
    """Requests of the full id listing (every id, page by page), as the server logged them."""
    if emu.site.kind == "blogger":
        return [r for r in emu.site.requests if "start-index=" in r and "published-min=" not in r]
    return [
        r for r in emu.site.requests if "orderby=modified" in r and re.search(r"[?&]page=([2-9]|\d\d)", r)
    ]


def _sweep_listings(emu: Emu) -> list[str]:
    """Id listings of one date range (the leaves of the bisection)."""
    if emu.site.kind == "blogger":
        return [r for r in emu.site.requests if "published-min=" in r and "start-index=" in r]
    return [r for r in emu.site.requests if "/posts?after=" in r and "per_page=1&" not in r]


def _removed(emu: Emu) -> list[tuple[str, str]]:
    sql = "select platform_id, removed_reason from posts where removed_at is not null order by 1"
    return [(str(r[0]), r[1]) for r in emu.store.db.execute(sql)]


def _candidates(emu: Emu) -> list[str]:
    sql = "select platform_id from posts where missing_polls > 0 order by 1"
    return [str(r[0]) for r in emu.store.db.execute(sql)]


@pytest.mark.slow
@pytest.mark.parametrize("gone", [[150], [40, 200, 333]], ids=["one", "three"])
def test_deletions_are_found_by_counts_not_by_listing_every_id(archive: Emu, gone: list[int]) -> None:
    ids = sorted(str(archive.site.posts[i].id) for i in gone)
    for i in gone:
        archive.site.posts[i].deleted = True
    summary = archive.poll()
    assert summary.status == "ok" and summary.removed == 0
    assert not _full_listing(archive)
    assert len(_sweep_listings(archive)) == len(gone)  # one page of ids per removal, not 40
    # the probe and the comments, then per removal ~log2(400 / 10) counts, one listing, one re-read
    assert archive.web.requests() <= 4 + 7 * len(gone) < FULL_LISTING
    assert _candidates(archive) == ids  # re-read by URL: one 404 each, not yet evidence
    archive.poll()  # the confirming poll
    assert _removed(archive) == [(i, "http_404_twice") for i in ids]
    assert archive.alerts("report_removed") == sum(1 for i in gone if archive.site.posts[i].report)


@pytest.mark.slow
def test_a_drop_the_counts_cannot_place_falls_back_to_the_full_listing(archive: Emu) -> None:
    """A deletion and a back-dated new post in the same range: every range counts as stored, yet the
    platform's total is one short of the stored posts plus the new one."""
    site = archive.site
    site.posts[150].deleted = True
    back = site.add_post(report=False, published=site.posts[151].published - timedelta(minutes=1))
    back.modified = site.now
    summary = archive.poll()
    assert summary.new == 1
    assert _full_listing(archive)
    assert _candidates(archive) == [str(site.posts[150].id)]
    archive.poll()
    assert _removed(archive) == [(str(site.posts[150].id), "http_404_twice")]


@pytest.mark.slow
def test_a_server_error_during_the_sweep_names_no_candidate(archive: Emu) -> None:
    site = archive.site
    site.errors.append("published-min=" if site.kind == "blogger" else "/posts?after=")
    site.posts[150].deleted = True
    summary = archive.poll()
    assert summary.status == "partial"  # the sweep's failure is recorded, the rest of the poll stands
    assert not _candidates(archive) and not _full_listing(archive)
    site.errors.clear()
    archive.poll()  # the count is still short: the sweep runs again
    assert _candidates(archive) == [str(site.posts[150].id)]
    archive.poll()
    assert _removed(archive) == [(str(site.posts[150].id), "http_404_twice")]
