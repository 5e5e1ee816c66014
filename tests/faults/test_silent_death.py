"""A source that dies silently (issue 18): a duplicate inside one poll (two feed items with one link,
four comments with one id) hit `UNIQUE constraint failed`, the rollback took the source's health
row and its fetch errors with it, and `status` went on saying ok while nothing new was stored.

Now duplicates within a poll are merged (the first observed is kept, the others logged), links that
are not http(s) are failures of their item, and a write that fails anyway is recorded in the
source's health in a transaction of its own: failure streak, last error, a `storage_error`
fetch_errors row, and one `source_unhealthy` alert at `unhealthy_after` (3)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from necwatch.config import config_from_dict
from necwatch.demo import DEMO_SOURCES
from necwatch.intents import Intent
from necwatch.job import run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from tests.sources.blogsites import REPORT_HTML, RSS, rss, rss_item, serve
from tests.tracking.helpers import NEW_POST_ID, Timeline, wp_comment

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 0}
SITE = "https://dupes.example/"
REPORT = SITE + "2024/01/24/nec-report/"
DATE = "Wed, 24 Jan 2024 13:37:00 +0000"
TITLE = "NEC Report – 23 January 2024"


def _site(tmp: Path, items: list[str], comments: list[str] | None = None) -> tuple[ReplayWeb, Any]:
    pages: dict[str, tuple[str | bytes, str]] = {SITE + "feed/": (rss(SITE, items), RSS)}
    if comments is not None:
        pages[REPORT + "feed/"] = (rss(SITE, comments), RSS)
    web = serve(tmp, pages)
    config = config_from_dict(
        {
            "database": str(tmp / "n.db"),
            "feeds_dir": str(tmp / "feeds"),
            "allow_private_addresses": True,
            "fetch": {**FAST, "connect_timeout": 2, "read_timeout": 5},
            "sources": [{"name": "jo", "type": "feed", "url": web.local(SITE + "feed/")}],
        }
    )
    return web, config


def _item(link: str, title: str = TITLE, body: str = REPORT_HTML, **kw: Any) -> str:
    return rss_item(link, title, content=body, description="x", date=DATE, **kw)


def _status(store: Store) -> dict[str, Any]:
    (row,) = store.source_status([("jo", "feed")])
    return row


def _polls(config: Any, n: int) -> list[Any]:
    return [run_job(config) for _ in range(n)]


def test_two_items_with_one_link_are_one_post(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    items = [
        _item(REPORT),
        _item(REPORT, title="NEC Report – 23 January 2024 (copy)"),
        _item(REPORT + "#again", title="The same post, a fragment on"),
        _item(SITE + "2024/01/20/canvassing/", title="Canvassing", body="<p>Out in the rain.</p>"),
    ]
    web, config = _site(tmp_path, items)
    try:
        with caplog.at_level(logging.WARNING, logger="necwatch.track"):
            results = _polls(config, 4)
    finally:
        web.stop()
    assert [r.exit_code for r in results] == [0, 0, 0, 0], [(s.status, s.error) for s in results[0].sources]
    store = Store.open(config.database_path)
    titles = sorted(r["title"] for r in store.db.query("select title from posts"))
    assert titles == ["Canvassing", TITLE]  # the first item listed is the one kept
    assert any("observed twice in one poll" in m for m in caplog.messages)
    assert _status(store)["health"] == "ok" and store.db["alerts"].count == 1  # one new_report (backfill)


def test_javascript_links_fail_alone(tmp_path: Path) -> None:
    items = [
        _item("javascript:alert(1)"),
        _item("javascript:alert(1)", title="Again"),
        _item("data:text/html,hi", title="Data"),
        _item(REPORT),
    ]
    web, config = _site(tmp_path, items)
    try:
        results = _polls(config, 2)
    finally:
        web.stop()
    store = Store.open(config.database_path)
    assert [r["url"].split("/", 3)[3] for r in store.db.query("select url from posts")] == [
        REPORT.split("/", 3)[3]
    ]
    errors = list(store.db.query("select url, kind, message from fetch_errors order by id"))
    assert {(e["url"], e["kind"]) for e in errors} == {
        ("javascript:alert(1)", "unexpected_page"),
        ("data:text/html,hi", "unexpected_page"),
    }
    assert all("not http(s)" in e["message"] for e in errors)
    assert {s.status for r in results for s in r.sources} == {"partial"}  # the source is read, not failed


def test_four_comments_with_one_id_are_one_comment(tmp_path: Path) -> None:
    comments = [
        f"<item><title>By: Sam</title><link>{REPORT}#comment-41</link><dc:creator>Sam {n}</dc:creator>"
        f"<pubDate>{DATE}</pubDate><description>Comment {n}.</description></item>"
        for n in range(1, 5)
    ]
    items = [_item(REPORT, comments=4, comment_feed=REPORT + "feed/")]
    web, config = _site(tmp_path, items, comments)
    try:
        results = _polls(config, 4)
    finally:
        web.stop()
    assert [r.exit_code for r in results] == [0, 0, 0, 0]
    store = Store.open(config.database_path)
    (comment,) = store.db.query("select author, body_text, version from comments")
    assert (comment["author"], comment["body_text"], comment["version"]) == ("Sam 1", "Comment 1.", 1)
    assert _status(store)["consecutive_failures"] == 0


def test_duplicate_rest_comments_on_wordpress(web: ReplayWeb, tmp_path: Path) -> None:
    tl = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com"], fetch=FAST)
    assert tl.poll().exit_code == 0
    tl.add_wp_post()
    tl.set_wp_comments(NEW_POST_ID, [wp_comment(77, NEW_POST_ID, f"Same id, text {n}") for n in range(4)])
    alerts = tl.step()
    assert sorted(a["kind"] for a in alerts) == ["new_comment", "new_report"]
    assert tl.count("comments", "body_text = 'Same id, text 0'") == 1 and tl.count("comments") >= 1
    assert tl.source("alice-perry")["consecutive_failures"] == 0


def test_a_failed_write_is_recorded_in_the_sources_health(
    web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write refused whatever the reason (here a constraint, injected): after four polls `status`
    shows four failures and the error, there are four storage_error rows, and exactly one
    source_unhealthy alert; the other source is untouched; the next good poll stores everything."""
    tl = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com", "labourlist.org"], fetch=FAST)
    assert tl.poll().exit_code == 0
    tl.add_wp_post()
    real_apply = Store.apply

    def refuse_new_posts(self: Store, ops: Sequence[Intent]) -> Any:
        if any(op.table == "posts" and op.action == "insert" for op in ops):
            raise sqlite3.IntegrityError("UNIQUE constraint failed: posts.id")
        return real_apply(self, ops)

    monkeypatch.setattr(Store, "apply", refuse_new_posts)
    for _ in range(4):
        result = tl.poll()
        summary = {s.name: s for s in result.sources}
        assert summary["alice-perry"].status == "failed"
        assert (summary["alice-perry"].error or "").startswith("storage_error")
        assert summary["labourlist"].status == "ok"
    (status,) = [s for s in tl.store.source_status([("alice-perry", "wordpress")])]
    assert status["consecutive_failures"] == 4 and status["health"] != "ok"
    assert "storage_error" in (status["last_error"] or "")
    assert tl.count("fetch_errors", "source = 'alice-perry' and kind = 'storage_error'") == 4
    assert tl.count("alerts", "kind = 'source_unhealthy' and source = 'alice-perry'") == 1
    assert tl.count("alerts", "kind = 'source_unhealthy'") == 1
    assert tl.count("posts", "url like ?", ["%labour-nec-report-march-2024%"]) == 0

    monkeypatch.setattr(Store, "apply", real_apply)
    kinds = sorted(a["kind"] for a in tl.step())
    assert kinds == ["new_report", "source_recovered"]
    assert tl.source("alice-perry")["consecutive_failures"] == 0
    assert tl.count("posts", "url like ?", ["%labour-nec-report-march-2024%"]) == 1


def test_a_failed_write_whose_health_write_fails_too_is_only_logged(
    web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tl = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com"], fetch=FAST)
    assert tl.poll().exit_code == 0
    before = tl.source("alice-perry")

    def full(self: Store, *args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "record_failures", full)
    with caplog.at_level(logging.ERROR, logger="necwatch.pipeline"):
        result = tl.poll()
    assert result.exit_code == 1
    assert any("could not record the failed write" in m for m in caplog.messages)
    after = tl.source("alice-perry")
    assert after["consecutive_failures"] == before["consecutive_failures"] == 0
    assert json.loads(json.dumps(after))  # the row is intact


WP_PAGE = "https://aliceperry.wordpress.com/2019/09/19/labour-nec-report-17-september/"


def _copy(n: int) -> str:
    return (
        f'<li class="comment" id="li-comment-1201"><article id="comment-1201" class="comment">'
        f'<cite><b class="fn">Copy {n}</b></cite><section class="comment-content comment"><p>Copy {n}.</p>'
        "</section></article></li>"
    )


def test_a_page_printing_four_comments_with_one_id(web: ReplayWeb, tmp_path: Path) -> None:
    """WordPress read from its pages (`via: html`): a page whose comment list prints id 1201 four
    times (a reply renumbered, two copies after it) stores one comment 1201 (which one is the
    adapter's to merge: it reads comment pages into one list by id) and polls on cleanly."""
    host = "aliceperry.wordpress.com"
    sources = [{**DEMO_SOURCES[host], "url": web.base(host), "via": "html"}]
    tl = Timeline.open(web, tmp_path, [host], fetch=FAST, sources=sources)
    assert tl.poll().exit_code == 0
    assert tl.count("comments") == 2
    page = web.body(WP_PAGE).decode().replace("1202", "1201")
    end = "</ol><!-- .commentlist -->"
    assert page.count(end) == 1
    web.set(WP_PAGE, page.replace(end, _copy(1) + _copy(2) + end), content_type="text/html; charset=UTF-8")
    results = [tl.poll() for _ in range(4)]
    assert [r.exit_code for r in results] == [0, 0, 0, 0], [(s.status, s.error) for s in results[0].sources]
    rows = list(
        tl.store.db.query("select platform_id, author, removed_at from comments order by platform_id")
    )
    assert [r["platform_id"] for r in rows if r["removed_at"] is None] == ["1201"]
    assert tl.source("alice-perry")["consecutive_failures"] == 0
    assert tl.count("fetch_errors", "kind like 'storage%'") == 0
