"""`archive: true` on a live source: posts gone before the first poll, removed reports whose text
was never stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from necwatch.demo import demo_config
from necwatch.fetch import HttpClient
from necwatch.job import run_job
from necwatch.store import Store
from necwatch.webarchive.emulator import EmulatedArchive, reference_captures
from necwatch.webarchive.run import archive_backfill
from tests.conftest import one_host_web

HOST = "aliceperry.wordpress.com"


def test_a_post_deleted_before_the_first_poll_is_stored_removed_and_recovered(tmp_path: Path) -> None:
    with one_host_web(HOST) as web:
        captures, sc = reference_captures(web.base(HOST))
        with EmulatedArchive(captures) as a:
            config = demo_config(web, database=tmp_path / "n.db", hosts=[HOST])
            live = config.sources[0].model_copy(
                update={"archive": True, "archive_url": a.base, "archive_delay": 0}
            )
            config = config.model_copy(update={"sources": [live]})
            result = run_job(config)
            assert result.sources[0].status == "ok", result.sources[0]
            store = Store.open(config.database_path)
            post = next(store.db.query("select * from posts where url = ?", [sc.deleted]))
            assert post["removed_at"] and post["removed_reason"] == "pre_watch_http_404"
            report = next(store.db.query("select * from reports where id = ?", [post["report_id"]]))
            assert (
                report["title"] == "Labour NEC Report – November 2018 (a necwatch demo fixture)"
                and report["removed_at"]
            )
            assert report["first_seen_at"] == "2018-11-28T12:00:00+00:00"  # the capture's time
            recovered = {r["original_url"]: r for r in store.recoveries("alice-perry")}
            feed = web.base(HOST) + "tag/general-election/feed/"
            assert set(recovered) == {sc.deleted, feed}  # the page's capture; the feed holding the other
            assert all(r["kind"] == "pre_watch" for r in recovered.values())
            assert recovered[sc.deleted]["archive_url"].endswith(sc.deleted)
            from_feed = next(store.db.query("select * from posts where url = ?", [sc.feed_only]))
            assert from_feed["removed_reason"] == "pre_watch_http_404" and from_feed["via"] == "feed"
            origins = store.version_origins(report["id"])
            assert [(o["origin"], o["captured_at"]) for o in origins] == [
                ("archive", "2018-11-28T12:00:00+00:00")
            ]
            # never alerted as a new report of today: its alert is a backfill one, at the capture time
            alerts = list(store.db.query("select * from alerts where report_id = ?", [report["id"]]))
            assert alerts and all(x["backfill"] == 1 and x["created_at"] < "2019" for x in alerts)
            # the live posts are the live poll's: no archive version, no capture fetched for them
            live_versions = store.db.execute(
                "select count(*) from version_origin where origin = 'live'"
            ).fetchone()[0]
            assert live_versions >= 9
            assert not any(sc.edited.split("/", 3)[3] in h.path for h in a.requests if "id_/" in h.path)
            # the next run reads the live posts' captures from before their first live version (the
            # poll stored them after this run's recovery: test_prewatch_versions.py), then lists
            # incrementally and finds nothing new
            run_job(config)
            raw = a.count("raw")
            run_job(config)
            assert a.count("raw") == raw and len(store.recoveries("alice-perry")) == 2


def test_a_removed_report_never_stored_in_full_gets_the_latest_capture_before_its_removal(
    tmp_path: Path,
) -> None:
    captures, sc = reference_captures()
    with EmulatedArchive(captures) as a:
        config = demo_config(None, database=tmp_path / "n.db", hosts=[HOST], allow_private_addresses=True)
        live = config.sources[0].model_copy(
            update={"archive": True, "archive_url": a.base, "archive_delay": 0}
        )
        config = config.model_copy(update={"sources": [live]})
        store = Store.open(config.database_path)
        removed_at = "2019-03-01T00:00:00+00:00"  # between the first capture and the edited one
        with store.transaction():
            store.db.table("posts").insert(
                {
                    "id": "p1",
                    "source": "alice-perry",
                    "url": sc.edited,
                    "title": "Labour NEC Report – January 2019",
                    "is_excerpt": 1,
                    "is_nec_report": 1,
                    "removed_at": removed_at,
                    "removed_reason": "http_410",
                    "first_seen_at": "2019-02-10T00:00:00+00:00",
                    "last_seen_at": "2019-02-10T00:00:00+00:00",
                    "missing_polls": 1,
                },
                pk="id",
            )

        async def go() -> None:
            async with HttpClient(config.fetch, user_agent="t", allow_private=True, cache=store) as http:
                s = await archive_backfill(
                    config, store, live, http, run_id="r", now=datetime(2026, 12, 7, tzinfo=UTC)
                )
                assert s.recovered == 1

        asyncio.run(go())
        post = next(store.db.query("select * from posts where id = 'p1'"))
        assert (
            post["removed_at"] == removed_at
            and post["removed_reason"] == "http_410"
            and not post["is_excerpt"]
        )
        report = next(store.db.query("select * from reports where id = ?", [post["report_id"]]))
        assert report["removed_at"] == removed_at
        # the early text (captured 2019-02-01), not the edit captured after the removal (2019-03-03)
        assert "Important local government elections" not in report["body_text"]
        (origin,) = store.version_origins(report["id"])
        assert origin["origin"] == "archive" and origin["captured_at"] == "2019-02-01T12:00:00+00:00"
        (recovery,) = store.recoveries()
        assert recovery["kind"] == "removed" and recovery["report_id"] == report["id"]
