"""Captured comment feeds: the comments of archived posts, at the captures' times, never news of today."""

from __future__ import annotations

from pathlib import Path

from necwatch.store import Store
from necwatch.webarchive.emulator import (
    EXCERPT_ONLY_PATH,
    LISTED_PATH,
    LISTING_ONLY_PATH,
    EmulatedArchive,
    reference_captures,
)
from necwatch.webarchive.pick import (
    comment_post_url,
    is_comment_feed_url,
    is_feed_url,
    is_listing_url,
    is_post_url,
)
from tests.archive.test_backfill import SITE, archive_config, backfill


def test_comment_feeds_are_told_from_posts_feeds() -> None:
    for url in (
        "https://a.example.org/2019/01/30/nec-report/feed/",
        "https://a.example.org/comments/feed/",
        "https://b.blogspot.com/feeds/7346291/comments/default",
        "https://b.blogspot.com/feeds/comments/default?alt=rss",
    ):
        assert is_comment_feed_url(url) and not is_feed_url(url), url
    for url in ("https://a.example.org/feed/", "https://a.example.org/tag/nec/feed/"):
        assert is_feed_url(url) and not is_comment_feed_url(url), url
    assert comment_post_url("https://a.example.org/2019/01/30/r/comment-page-2/#comment-12") == (
        "https://a.example.org/2019/01/30/r/"
    )
    assert comment_post_url("https://b.blogspot.com/2011/11/r.html?showComment=99#c99") == (
        "https://b.blogspot.com/2011/11/r.html"
    )


def test_captured_comment_feeds_give_the_comments_of_archived_posts(tmp_path: Path) -> None:
    captures, sc = reference_captures(SITE, with_comments=True)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        s = backfill(config, store)
        # 3 from the feeds, and the 2 the reference web's `login` post prints on its captured page
        # (comments printed on captured pages: test_capture_comments.py)
        assert s.complete and s.comment_feeds == 2 and s.comments == 5
        rows = list(
            store.db.query(
                "select c.platform_id, c.author, c.first_seen_at, c.removed_at, p.url from comments c"
                " join posts p on p.id = c.post_id where p.url != ? order by c.platform_id",
                [sc.login],
            )
        )
        assert [(r["platform_id"], r["url"], r["first_seen_at"]) for r in rows] == [
            ("101", sc.edited, "2019-02-02T12:00:00+00:00"),  # the first capture of the post's feed
            ("102", sc.edited, "2019-03-04T12:00:00+00:00"),  # the second: only the new comment
            ("201", sc.deleted, "2018-12-02T12:00:00+00:00"),  # the site-wide feed
        ]  # the comment on a page that is no stored post is not kept
        assert all(r["removed_at"] is None for r in rows)
        alerts = list(store.db.query("select backfill, created_at from alerts where kind like '%comment%'"))
        assert alerts and all(x["backfill"] == 1 and x["created_at"] < "2020" for x in alerts)
        # a second run reads nothing again
        again = backfill(config, store)
        assert again.comments == 0 and store.db.execute("select count(*) from comments").fetchone()[0] == 5


def test_listing_pages_are_told_from_posts() -> None:
    for url in (
        "https://a.example.org/",
        "https://a.example.org/page/2/",
        "https://a.example.org/tag/nec/",
        "https://a.example.org/category/nec-reports/page/3/",
        "https://b.blogspot.com/search/label/NEC",
        "https://a.example.org/2018/04/",
    ):
        assert is_listing_url(url) and not is_post_url(url), url
    assert not is_listing_url("https://a.example.org/2018/04/30/nec-report/")
    assert not is_listing_url("https://a.example.org/?s=nec")


def test_a_captured_listing_page_gives_the_posts_it_shows_whole(tmp_path: Path) -> None:
    captures, sc = reference_captures(SITE, with_listing=True)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        s = backfill(config, store)
        assert s.complete and s.listings >= 1 and s.not_versions["excerpt"] == 1
        reports = {r["canonical_url"]: r for r in store.db.query("select * from reports")}
        whole = SITE + LISTING_ONLY_PATH
        assert whole in reports and SITE + EXCERPT_ONLY_PATH not in reports
        text = store.report_text(reports[whole]["id"])
        assert "Disputes Panel reported" in text and "Alex Fixture, a necwatch" not in text
        (origin,) = store.version_origins(reports[whole]["id"])
        assert origin["original_url"] == SITE + LISTED_PATH
        assert origin["captured_at"] == reports[whole]["first_seen_at"] == "2018-05-02T12:00:00+00:00"
        # posts whose own pages were captured are read from them, not from a listing
        assert all(o["original_url"] == sc.edited for o in store.version_origins(reports[sc.edited]["id"]))


def test_recovery_keeps_the_comments_and_listed_posts_of_vanished_posts_only(tmp_path: Path) -> None:
    from necwatch.demo import demo_config
    from necwatch.job import run_job
    from tests.conftest import one_host_web

    host = "aliceperry.wordpress.com"
    with one_host_web(host) as web:
        captures, sc = reference_captures(web.base(host), with_comments=True, with_listing=True)
        with EmulatedArchive(captures) as a:
            config = demo_config(web, database=tmp_path / "n.db", hosts=[host])
            live = config.sources[0].model_copy(
                update={"archive": True, "archive_url": a.base, "archive_delay": 0}
            )
            config = config.model_copy(update={"sources": [live]})
            assert run_job(config).sources[0].status == "ok"
            store = Store.open(config.database_path)
            # the vanished post's comment, at its capture's time; the live post's are the live poll's
            kept = list(
                store.db.query(
                    "select c.platform_id, c.first_seen_at, p.url from comments c join posts p"
                    " on p.id = c.post_id where c.platform_id in ('101', '102', '201')"
                )
            )
            assert [(r["platform_id"], r["url"], r["first_seen_at"]) for r in kept] == [
                ("201", sc.deleted, "2018-12-02T12:00:00+00:00")
            ]
            # the post only a listing page shows whole: stored removed and recovered, never news of today
            listed = next(
                store.db.query("select * from posts where url = ?", [web.base(host) + LISTING_ONLY_PATH])
            )
            assert listed["removed_reason"] == "pre_watch_http_404"
            recovered = {r["original_url"] for r in store.recoveries("alice-perry")}
            assert web.base(host) + LISTED_PATH in recovered
