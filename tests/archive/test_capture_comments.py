"""Comments printed on captured post pages: read by the platform's own page reader, tracked at the
captures' times like live comments (identical ones once, new ones as backfill alerts), each comment
version with its provenance (migration 20), and the export's round trip."""

from __future__ import annotations

from pathlib import Path

from necwatch.datahash import digest
from necwatch.store import Store
from necwatch.store.export import export_dataset, import_dataset
from necwatch.webarchive.emulator import (
    BLOGGER_POST_PATH,
    EmulatedArchive,
    blogger_captures,
    reference_captures,
)
from tests.archive.test_backfill import SITE, archive_config, backfill

BLOG = "https://oldmember.blogspot.invalid/"  # a Blogger blog gone from the live web


def _comments(store: Store, url: str) -> dict[str, dict[str, object]]:
    rows = store.db.query(
        "select c.* from comments c join posts p on p.id = c.post_id where p.url = ? order by c.platform_id",
        [url],
    )
    return {str(r["platform_id"]): dict(r) for r in rows}


def _versions(store: Store, comment_id: object) -> list[tuple[int, str]]:
    return [
        (r["version"], r["seen_at"])
        for r in store.db.query(
            "select version, seen_at from comment_versions where comment_id = ? order by version",
            [comment_id],
        )
    ]


def test_wordpress_page_comments_are_tracked_at_the_captures_times(tmp_path: Path) -> None:
    captures, sc = reference_captures(SITE, with_comments=True, with_page_comments=True)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        s = backfill(config, store)
        assert s.complete
        got = _comments(store, sc.deleted)
        assert set(got) == {"201", "202"}  # the feed's 201 and the page's 201 are one comment
        assert got["201"]["first_seen_at"] == "2019-09-23T12:00:00+00:00"  # the first page capture
        assert got["201"]["version"] == 1  # the same text in every capture (and in the feed): one version
        assert got["202"]["parent_id"] == "201" and got["202"]["author"] == "Alex Fixture"
        assert got["202"]["first_seen_at"] == "2019-10-23T12:00:00+00:00"
        assert got["202"]["body_text"].startswith("The minutes will follow next week")
        assert _versions(store, got["202"]["id"]) == [
            (1, "2019-10-23T12:00:00+00:00"),
            (2, "2019-11-22T12:00:00+00:00"),  # edited between two captures
        ]
        assert all(c["removed_at"] is None for c in got.values())
        # recorded, never pushed as news of today: backfill alerts at the captures' times
        alerts = list(
            store.db.query(
                "select kind, backfill, created_at from alerts where comment_id in (?, ?)"
                " order by created_at",
                [got["201"]["id"], got["202"]["id"]],
            )
        )
        assert [(x["kind"], x["backfill"], x["created_at"][:10]) for x in alerts] == [
            ("new_comment", 1, "2019-09-23"),
            ("new_comment", 1, "2019-10-23"),
            ("comment_edited", 1, "2019-11-22"),
        ]
        # each comment version names the capture it was read from
        report_id = got["201"]["report_id"]
        origins = {(o["comment_id"], o["version"]): o for o in store.comment_origins(str(report_id))}
        first = origins[(got["201"]["id"], 1)]
        assert first["origin"] == "archive" and first["original_url"] == sc.deleted
        assert first["captured_at"] == "2019-09-23T12:00:00+00:00"
        assert first["archive_url"] == f"{a.base}web/20190923120000/{sc.deleted}"
        assert origins[(got["202"]["id"], 2)]["archive_url"] == f"{a.base}web/20191122120000/{sc.deleted}"
        # a comment read from a captured comment feed names the feed's capture
        edited = _comments(store, sc.edited)
        of_edited = store.comment_origins(str(edited["101"]["report_id"]))
        feed_origin = [o for o in of_edited if o["comment_id"] == edited["101"]["id"]]
        assert feed_origin[0]["original_url"] == sc.edited + "feed/" and feed_origin[0]["origin"] == "archive"
        # a second run reads nothing again and changes nothing
        count = store.db.execute("select count(*) from comment_versions").fetchone()[0]
        again = backfill(config, store)
        assert again.comments == 0
        assert store.db.execute("select count(*) from comment_versions").fetchone()[0] == count


def test_blogger_threaded_comments_on_captured_pages(tmp_path: Path) -> None:
    captures, post = blogger_captures(BLOG)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base, url=BLOG, name="old-member")
        store = Store.open(config.database_path)
        s = backfill(config, store)
        assert s.complete and s.versions == 1 and s.comments == 2
        from necwatch.webarchive.command import summary_lines

        assert "  comments          2 (from captured pages)" in summary_lines(s)
        assert post == BLOG + BLOGGER_POST_PATH
        got = _comments(store, post)
        assert [(k, c["parent_id"], c["author"], c["first_seen_at"]) for k, c in got.items()] == [
            ("7001", None, "A Reader", "2011-11-27T12:00:00+00:00"),
            ("7002", "7001", "Old Member", "2012-01-01T12:00:00+00:00"),
        ]
        assert got["7001"]["published_at"] == "2011-11-25T16:00:00+00:00"  # as the page says
        origins = store.comment_origins(str(got["7001"]["report_id"]))
        assert [(o["origin"], o["captured_at"][:10]) for o in origins] == [
            ("archive", "2011-11-27"),
            ("archive", "2012-01-01"),
        ]
        alerts = list(store.db.query("select backfill from alerts where kind = 'new_comment'"))
        assert len(alerts) == 2 and all(x["backfill"] == 1 for x in alerts)


def test_a_live_comment_is_of_live_origin(tmp_path: Path) -> None:
    """A comment version without a provenance row came from a live fetch: its permalink, its time."""
    store = Store.open(tmp_path / "a.db")
    with store.transaction():
        store.db.table("reports").insert({"id": "r1", "title": "NEC report", "first_seen_at": "2024-06-01"})
        store.db.table("posts").insert({"id": "p1", "report_id": "r1", "url": "https://x.org/2024/06/r/"})
        store.db.table("comments").insert(
            {"id": "c1", "report_id": "r1", "post_id": "p1", "platform_id": "9", "url": None}
        )
        store.db.table("comment_versions").insert(
            {"comment_id": "c1", "version": 1, "seen_at": "2024-06-02T10:00:00+00:00"}
        )
    (origin,) = store.comment_origins("r1")
    assert origin["origin"] == "live" and origin["archive_url"] is None
    assert origin["captured_at"] == "2024-06-02T10:00:00+00:00"
    assert origin["original_url"] == "https://x.org/2024/06/r/"  # no permalink: its post's page


def test_comment_provenance_round_trips_through_the_export(tmp_path: Path) -> None:
    captures, _sc = reference_captures(SITE, with_comments=True, with_page_comments=True)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        backfill(config, store)
        rows = store.db.execute("select count(*) from comment_provenance").fetchone()[0]
        store.close()
    assert rows >= 6  # the pages' 201, 202 (twice), the feeds' 101, 102, and the login post's two
    export_dataset(config.database_path, tmp_path / "out")
    assert any(
        '"t":"comment_provenance"' in p.read_text() for p in (tmp_path / "out" / "reports").rglob("*.ndjson")
    )
    import_dataset(tmp_path / "out", tmp_path / "b.db")
    assert digest(tmp_path / "b.db") == digest(config.database_path)
    again = Store.open(tmp_path / "b.db")
    assert again.db.execute("select count(*) from comment_provenance").fetchone()[0] == rows


def test_the_report_page_shows_where_each_comment_came_from(tmp_path: Path) -> None:
    from necwatch.publish import build_datasette
    from tests.publish.conftest import Client

    captures, sc = reference_captures(SITE, with_page_comments=True)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        backfill(config, store)
        report_id = store.db.execute("select report_id from posts where url = ?", [sc.deleted]).fetchone()[0]
        store.close()
    client = Client(build_datasette(config.database_path))
    try:
        page = client.get(f"/a/reports/{report_id}").text
        assert page.count("from the web archive, captured") >= 3  # its version and both comments
        # the edited comment shows its current version's capture
        assert f'href="{a.base}web/20191122120000/{sc.deleted}"' in page
    finally:
        client.close()


def test_recovery_reads_the_comments_printed_on_a_pre_watch_posts_captures(tmp_path: Path) -> None:
    """`archive: true` on a live source: the comments printed on the captures of a post gone before
    the first poll are stored at the captures' times with their provenance; the live posts' comments
    are the live poll's, of live origin."""
    from necwatch.demo import demo_config
    from necwatch.job import run_job
    from tests.conftest import one_host_web

    host = "aliceperry.wordpress.com"
    with one_host_web(host) as web:
        captures, sc = reference_captures(web.base(host), with_page_comments=True)
        with EmulatedArchive(captures) as a:
            config = demo_config(web, database=tmp_path / "n.db", hosts=[host])
            live = config.sources[0].model_copy(
                update={"archive": True, "archive_url": a.base, "archive_delay": 0}
            )
            config = config.model_copy(update={"sources": [live]})
            assert run_job(config).sources[0].status == "ok"
            store = Store.open(config.database_path)
            got = _comments(store, sc.deleted)
            assert {k: c["first_seen_at"] for k, c in got.items()} == {
                "201": "2019-09-23T12:00:00+00:00",
                "202": "2019-10-23T12:00:00+00:00",
            }
            alerts = list(
                store.db.query("select backfill from alerts where comment_id = ?", [got["202"]["id"]])
            )
            assert alerts and all(x["backfill"] == 1 for x in alerts)
            origins = {o["origin"] for o in store.comment_origins(str(got["201"]["report_id"]))}
            assert origins == {"archive"}
            live_origins = store.db.execute(
                "select origin, count(*) from comment_origin where post_id not in "
                "(select id from posts where url = ?) group by origin",
                [sc.deleted],
            ).fetchall()
            # the live `login` post's two comments, read by the live poll: of live origin
            assert [tuple(r) for r in live_origins] == [("live", 2)]


def test_an_older_capture_never_takes_a_comment_back_to_an_older_text(tmp_path: Path) -> None:
    """Pages are read before comment feeds: the site's comment feed, captured in 2018 with comment
    201's earlier wording, comes after the 2019 page captures and says nothing new of it."""
    from dataclasses import replace

    captures, sc = reference_captures(SITE, with_comments=True, with_page_comments=True)
    site_feed = SITE + "comments/feed/"
    captures = [
        replace(c, body=c.body.replace(b"A comment on the deleted", b"An earlier comment on the deleted"))
        if c.original == site_feed
        else c
        for c in captures
    ]
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        assert backfill(config, store).complete
        got = _comments(store, sc.deleted)["201"]
        assert got["version"] == 1 and str(got["body_text"]).startswith("A comment on the deleted")
        assert _versions(store, got["id"]) == [(1, "2019-09-23T12:00:00+00:00")]
