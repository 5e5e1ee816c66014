"""`necwatch reextract` of a live source with `archive: true`: the reports it recovered from the
archive (posts gone before the first poll, removed reports never stored in full) are read again from
their stored captures (a page, a feed, a listing page), never fetched; a changed extraction is a
technical version (no alert) with the same capture as provenance, and the reports stay removed."""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime
from pathlib import Path

from necwatch.config import Config
from necwatch.demo import demo_config
from necwatch.fetch import HttpClient
from necwatch.job import reextract, run_job
from necwatch.store import Store
from necwatch.webarchive.emulator import LISTING_ONLY_PATH, EmulatedArchive, reference_captures
from necwatch.webarchive.run import archive_backfill, reextract_recovered
from tests.conftest import one_host_web

HOST = "aliceperry.wordpress.com"


def _rewrite(store: Store, digest: str, old: bytes, new: bytes) -> None:
    """The stored capture as a changed extractor would read it."""
    body = zlib.decompress(
        store.db.execute("select body from archive_captures where digest = ?", [digest]).fetchone()[0]
    )
    assert old in body
    with store.transaction():
        store.db.execute(
            "update archive_captures set body = ? where digest = ?",
            [zlib.compress(body.replace(old, new)), digest],
        )


def _state(store: Store, url: str) -> tuple[object, ...]:
    post = next(store.db.query("select * from posts where url = ?", [url]))
    report = next(store.db.query("select * from reports where id = ?", [post["report_id"]]))
    return (
        post["removed_at"],
        post["removed_reason"],
        post["last_seen_at"],
        report["removed_at"],
        report["id"],
    )


def _with_archive(config: Config, base: str) -> Config:
    live = config.sources[0].model_copy(update={"archive": True, "archive_url": base, "archive_delay": 0})
    return config.model_copy(update={"sources": [live]})


def test_reextract_reads_pre_watch_reports_from_their_captures(tmp_path: Path) -> None:
    with one_host_web(HOST) as web:
        captures, sc = reference_captures(web.base(HOST), with_listing=True)
        with EmulatedArchive(captures) as a:
            config = _with_archive(demo_config(web, database=tmp_path / "n.db", hosts=[HOST]), a.base)
            assert run_job(config).sources[0].status == "ok"
            store = Store.open(config.database_path)
            listed = web.base(HOST) + LISTING_ONLY_PATH
            recovered = {r["original_url"]: r for r in store.recoveries("alice-perry")}
            assert len(recovered) == 3  # a page's capture, a feed's, a listing page's
            before = {u: _state(store, u) for u in (sc.deleted, sc.feed_only, listed)}
            alerts = store.db.execute("select count(*) from alerts").fetchone()[0]
            requests = len(a.requests)

            reextract(config)  # the same extractor: nothing changes
            technical = "select count(*) from report_versions where kind = 'technical'"
            assert store.db.execute(technical).fetchone()[0] == 0

            # a better extractor, as the stored captures now read
            by_url = {s[4]: store.latest_provenance(str(s[4])) for s in before.values()}
            page, feed, listing = (by_url[before[u][4]] for u in (sc.deleted, sc.feed_only, listed))
            assert page and feed and listing
            _rewrite(store, page["digest"], b"Councillors continue to face", b"Councillors still face")
            _rewrite(store, feed["digest"], b"would be published to members", b"will be published to members")
            _rewrite(
                store,
                listing["digest"],
                b"reported on the membership figures",
                b"reported the membership figures",
            )
            reextract(config)

            for url, origin in ((sc.deleted, page), (sc.feed_only, feed), (listed, listing)):
                report_id = before[url][4]
                versions = store.version_origins(str(report_id))
                assert [v["kind"] for v in versions] == ["initial", "technical"], url
                # the technical version keeps its provenance: the same capture
                assert versions[-1]["origin"] == "archive"
                assert (versions[-1]["captured_at"], versions[-1]["archive_url"], versions[-1]["digest"]) == (
                    origin["captured_at"],
                    origin["archive_url"],
                    origin["digest"],
                ), url
                # still removed, at the same time and for the same reason; not "seen" again
                assert _state(store, url) == before[url], url
            body = store.db.execute(
                "select body_text from reports where id = ?", [before[sc.deleted][4]]
            ).fetchone()[0]
            assert "Councillors still face" in body
            assert store.db.execute("select count(*) from alerts").fetchone()[0] == alerts  # never an alert
            assert len(a.requests) == requests  # nothing asked of the archive


def test_a_removed_report_recovered_in_full_is_read_again_and_stays_removed(tmp_path: Path) -> None:
    captures, sc = reference_captures()
    with EmulatedArchive(captures) as a:
        config = demo_config(None, database=tmp_path / "n.db", hosts=[HOST], allow_private_addresses=True)
        config = _with_archive(config, a.base)
        live = config.sources[0]
        store = Store.open(config.database_path)
        removed_at = "2019-03-01T00:00:00+00:00"
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
        before = _state(store, sc.edited)
        origin = store.latest_provenance(str(before[4]))
        assert origin is not None
        requests = len(a.requests)
        assert reextract_recovered(config, store, live, run_id="x1") == 0  # the same extractor
        _rewrite(store, origin["digest"], b"Labour membership continues", b"Party membership continues")
        assert reextract_recovered(config, store, live, run_id="x2") == 1
        versions = store.version_origins(str(before[4]))
        assert [(v["kind"], v["origin"], v["digest"]) for v in versions] == [
            ("initial", "archive", origin["digest"]),
            ("technical", "archive", origin["digest"]),
        ]
        assert _state(store, sc.edited) == before  # still removed at its removal time
        assert store.db.execute("select count(*) from alerts where kind != 'new_report'").fetchone()[0] == 0
        assert len(a.requests) == requests


def test_reextract_of_an_archive_source_reads_feed_and_listing_texts_again(tmp_path: Path) -> None:
    """A `type: archive` post whose text came from a captured feed or listing page (its own page was
    never captured) is read again from that capture too, not only the posts read from their pages."""
    from tests.archive.test_backfill import SITE, archive_config

    captures, sc = reference_captures(SITE, with_listing=True)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        run_job(config)
        store = Store.open(config.database_path)
        requests = len(a.requests)
        ids = {
            u: store.db.execute("select report_id from posts where url = ?", [u]).fetchone()[0]
            for u in (sc.feed_only, SITE + LISTING_ONLY_PATH)
        }
        feed, listing = (store.latest_provenance(ids[u]) for u in (sc.feed_only, SITE + LISTING_ONLY_PATH))
        assert feed and listing
        _rewrite(store, feed["digest"], b"would be published to members", b"will be published to members")
        _rewrite(
            store,
            listing["digest"],
            b"reported on the membership figures",
            b"reported the membership figures",
        )
        reextract(config)
        for url, origin in ((sc.feed_only, feed), (SITE + LISTING_ONLY_PATH, listing)):
            versions = store.version_origins(ids[url])
            assert [v["kind"] for v in versions] == ["initial", "technical"], url
            assert versions[-1]["archive_url"] == origin["archive_url"], url
        assert len(a.requests) == requests
