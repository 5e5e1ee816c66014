"""`type: archive`: a site whose host no longer resolves, read entirely from the emulated archive."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from necwatch.config import Config, config_from_dict
from necwatch.fetch import HttpClient
from necwatch.store import Store
from necwatch.webarchive.backfill import ArchiveSummary
from necwatch.webarchive.emulator import EmulatedArchive, Scenario, reference_captures
from necwatch.webarchive.run import archive_backfill

SITE = "https://oldblog.example.invalid/"  # .invalid never resolves: the live site is gone
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def archive_config(tmp_path: Path, base: str, **extra: Any) -> Config:
    source = {
        "name": "old-blog",
        "type": "archive",
        "url": SITE,
        "archive_url": base,
        "delay": 0,
        "author": "Alice Perry",
        **extra,
    }
    return config_from_dict(
        {
            "database": str(tmp_path / "a.db"),
            "allow_private_addresses": True,
            "fetch": {"per_host_delay": 0, "backoff": 0.01, "connect_timeout": 2, "read_timeout": 5},
            "sources": [source],
        },
        file="<test>",
    )


@pytest.fixture
def dead_site() -> Iterator[tuple[EmulatedArchive, Scenario]]:
    captures, scenario = reference_captures(SITE)
    with EmulatedArchive(captures) as a:
        yield a, scenario


def backfill(config: Config, store: Store, **kw: Any) -> ArchiveSummary:
    async def go() -> ArchiveSummary:
        async with HttpClient(config.fetch, user_agent="t", allow_private=True, cache=store) as http:
            return await archive_backfill(config, store, config.sources[0], http, run_id="r1", now=NOW, **kw)

    return asyncio.run(go())


def test_a_dead_site_is_read_from_its_captures(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = dead_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    s = backfill(config, store)
    assert s.complete and s.stopped is None
    assert s.posts == len(sc.posts)  # the tag listing is not a post page
    reports = {r["canonical_url"]: r for r in store.db.query("select * from reports where is_nec_report = 1")}
    # every post page but the Clause V explainer (not an NEC report), and the post only a feed holds
    assert set(reports) == set(sc.posts) - {sc.other_page} | {sc.feed_only}
    (from_feed,) = store.version_origins(reports[sc.feed_only]["id"])
    assert from_feed["original_url"] == SITE + "tag/general-election/feed/"
    assert from_feed["captured_at"] == "2018-07-27T12:00:00+00:00" and s.feeds == 1
    assert s.new_reports == len(reports)
    # never the replay page, never the live host
    assert a.count("replay") == 0
    # the edit between two captures is two versions, at the captures' times
    edited = reports[sc.edited]
    versions = store.version_origins(edited["id"])
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["captured_at"] for v in versions] == ["2019-02-01T12:00:00+00:00", "2019-03-03T12:00:00+00:00"]
    assert all(
        v["origin"] == "archive" and v["archive_url"].startswith(a.base + "web/2019") for v in versions
    )
    assert edited["first_seen_at"] == "2019-02-01T12:00:00+00:00"
    # the archive's time is the capture time, never the publication time
    assert edited["published_at"].startswith("2019-01-30")
    # alerts are backfill alerts (recorded, never pushed), at the capture time
    alerts = list(
        store.db.query("select kind, backfill, created_at from alerts where report_id = ?", [edited["id"]])
    )
    assert alerts and all(x["backfill"] == 1 for x in alerts)


def test_error_login_redirect_and_other_pages_are_never_versions(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = dead_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    s = backfill(config, store)
    assert s.not_versions["unavailable"] == 1  # "this site has been archived or suspended"
    assert s.not_versions["login"] == 1
    assert s.not_versions["different page"] + s.not_versions["not a post"] == 1
    for url in (sc.soft_error, sc.login, sc.other_page, sc.not_found_capture):
        rid = store.db.execute("select report_id from posts where url = ?", [url]).fetchone()[0]
        assert store.db.execute("select version from reports where id = ?", [rid]).fetchone()[0] == 1, url
    # the 404 capture and the redirect capture are filtered out by the listing: never even fetched
    assert not any(sc.redirect_from in h.path for h in a.requests)
    assert not any("20210605" in h.path for h in a.requests)  # the 404 capture's time (2019-03-27 + 800 days)


def test_identical_captures_are_one_version_and_never_fetched_twice(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, _sc = dead_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    first = backfill(config, store)
    raw = a.count("raw")
    digests = store.db.execute("select count(*) from archive_captures").fetchone()[0]
    assert raw == digests == first.fetched  # each digest fetched once
    again = backfill(config, store)  # nothing new in the archive: an incremental listing, no capture
    assert a.count("raw") == raw and again.fetched == 0 and again.versions == 0 and again.complete


def test_a_budget_stops_the_run_and_the_next_run_resumes(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, _sc = dead_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    runs = []
    while True:
        s = backfill(config, store, budget=7)
        runs.append(s)
        assert s.requests <= 7
        if s.complete:
            break
        assert s.stopped and "budget" in s.stopped
        assert len(runs) < 20
    assert len(runs) > 2
    fresh = Store.open(tmp_path / "fresh.db")
    whole = backfill(config, fresh)
    assert (
        sum(r.versions for r in runs) == whole.versions == 12
    )  # 11 NEC reports (one from a feed), one edited
    rows = store.db.execute("select count(*) from report_versions").fetchone()[0]
    assert rows == fresh.db.execute("select count(*) from report_versions").fetchone()[0]
    assert (
        store.db.execute("select count(*) from archive_captures").fetchone()[0]
        == fresh.db.execute("select count(*) from archive_captures").fetchone()[0]
    )


def test_a_429_is_waited_for_then_the_run_stops_asking_and_the_next_resumes(tmp_path: Path) -> None:
    captures, _sc = reference_captures(SITE)
    with EmulatedArchive(captures, rate_limit={3: 1}) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        first = backfill(config, store)
        statuses = [h.status for h in a.requests]
        assert statuses[2] == 429 and statuses[3] == 200  # Retry-After waited, the request retried
        assert not first.complete and first.stopped and first.stopped.startswith("rate_limited")
        assert len(a.requests) == 4  # after a 429, the host gets one more request this run, no more
        assert store.archive_progress("old-blog")["pending"]  # where it stopped
        second = backfill(config, store)
        assert second.complete
        assert first.versions + second.versions == 12  # as one clean run


def test_dry_run_lists_and_writes_nothing(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = dead_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    s = backfill(config, store, dry_run=True)
    assert s.posts == len(sc.posts) and s.captures_listed > s.posts
    assert a.count("raw") == 0
    assert store.db.execute("select count(*) from reports").fetchone()[0] == 0
    assert store.archive_progress("old-blog") == {}


def test_a_run_reads_an_archive_source_through_its_backfill(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    from necwatch.job import run_job

    a, _sc = dead_site
    config = archive_config(tmp_path, a.base)
    result = run_job(config)
    (summary,) = result.sources
    assert summary.status == "ok", summary
    assert summary.warnings == []  # a complete backfill is no warning
    store = Store.open(config.database_path)
    progress = store.archive_progress("old-blog")
    assert progress["phase"] == "done" and progress["new_reports"] == 11
    raw, cdx = a.count("raw"), a.count("cdx")
    for _ in range(2):  # each later run lists incrementally: nothing new, no capture
        again = run_job(config)
        assert again.sources[0].status == "ok" and a.count("raw") == raw
    assert a.count("cdx") == cdx + 4  # pages and feeds: one CDX listing each
    assert Store.open(config.database_path).archive_progress("old-blog")["phase"] == "done"


def test_reextract_reads_the_stored_captures_again(
    dead_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    import zlib

    from necwatch.job import reextract, run_job

    a, sc = dead_site
    config = archive_config(tmp_path, a.base)
    run_job(config)
    requests = len(a.requests)
    store = Store.open(config.database_path)
    alerts = store.db.execute("select count(*) from alerts").fetchone()[0]
    reextract(config)  # the same extractor: nothing changes
    assert (
        store.db.execute("select count(*) from report_versions where kind = 'technical'").fetchone()[0] == 0
    )
    # a better extractor, as the stored capture of the edited post now reads
    digest, body = store.db.execute(
        "select digest, body from archive_captures where url = ? and verdict = 'version' "
        "order by timestamp desc",
        [sc.edited],
    ).fetchone()
    changed = zlib.decompress(body).replace(b"Labour membership continues", b"Party membership continues")
    with store.transaction():
        store.db.execute(
            "update archive_captures set body = ? where digest = ?", [zlib.compress(changed), digest]
        )
    reextract(config)
    rid = store.db.execute("select report_id from posts where url = ?", [sc.edited]).fetchone()[0]
    versions = store.version_origins(rid)
    assert [v["kind"] for v in versions] == ["initial", "edit", "technical"]
    assert versions[-1]["origin"] == "archive" and versions[-1]["captured_at"] == "2019-03-03T12:00:00+00:00"
    assert store.db.execute("select count(*) from alerts").fetchone()[0] == alerts  # never an alert
    assert len(a.requests) == requests  # nothing fetched
