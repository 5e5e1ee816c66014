"""`type: feed` end to end against local servers: RSS full content, RSS excerpts completed from
WordPress-like pages, Atom, JSON Feed, and a feed found through <link rel="alternate">."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from necwatch import pipeline
from necwatch.config import Config, config_from_dict
from necwatch.extract.feeds import FeedFields
from necwatch.job import run_job
from necwatch.normalize import content_hash
from necwatch.replay import ReplayWeb
from necwatch.sources.feed import looks_like_excerpt
from necwatch.sources.revisit import is_due
from necwatch.store import Store
from tests.sources.blogsites import (
    ATOM,
    EXCERPT,
    HTML,
    JSONFEED,
    OTHER_TEXT,
    REPORT_HTML,
    REPORT_PARAS,
    REPORT_TEXT,
    RSS,
    rss,
    rss_item,
    serve,
    wp_page,
)

REPORT_TITLE = "NEC Report – 23 January 2024"
DATE = "Wed, 24 Jan 2024 13:37:00 +0000"


def _config(web: ReplayWeb, tmp: Path, *sources: dict[str, Any]) -> Config:
    data = {
        "database": str(tmp / "n.db"),
        "feeds_dir": str(tmp / "feeds"),
        "allow_private_addresses": True,
        "fetch": {
            "per_host_delay": 0,
            "retries": 0,
            "backoff": 0.01,
            "connect_timeout": 2,
            "read_timeout": 5,
        },
        "sources": list(sources),
    }
    return config_from_dict(data)


def _rows(store: Store, sql: str, *params: object) -> list[dict[str, Any]]:
    return list(store.db.query(sql, list(params)))


def test_full_content_rss_stores_full_bodies_and_comment_feed(tmp_path: Path) -> None:
    site = "https://fullrss.example/"
    report = site + "2024/01/24/nec-report/"
    comments = rss(
        site,
        [
            "<item><title>By: Sam Reader</title><link>" + report + "#comment-41</link>"
            "<dc:creator>Sam Reader</dc:creator>"
            f"<pubDate>{DATE}</pubDate><description>Thanks for the report.</description></item>",
        ],
    )
    feed = rss(
        site,
        [
            rss_item(
                report,
                REPORT_TITLE,
                content=REPORT_HTML,
                description=REPORT_PARAS[0],
                date=DATE,
                categories=("NEC",),
                comments=1,
                comment_feed=report + "feed/",
            ),
            rss_item(
                site + "2024/01/20/canvassing/",
                "Canvassing",
                content=f"<p>{OTHER_TEXT}</p>",
                description=OTHER_TEXT,
                date=DATE,
                comments=0,
            ),
        ],
    )
    web = serve(tmp_path, {site + "feed/": (feed, RSS), report + "feed/": (comments, RSS)})
    try:
        config = _config(web, tmp_path, {"name": "jo", "type": "feed", "url": web.local(site + "feed/")})
        result = run_job(config)
        assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
        store = Store.open(config.database_path)
        reports = _rows(store, "select * from reports where is_nec_report = 1")
        assert [r["body_text"] for r in reports] == [REPORT_TEXT]
        assert reports[0]["meeting_date"] == "2024-01-23"
        assert web.count(path="/2024/01/24/nec-report/") == 0  # full content: no page fetched
        (comment,) = _rows(store, "select * from comments")
        assert (comment["author"], comment["platform_id"], comment["body_text"]) == (
            "Sam Reader",
            "41",
            "Thanks for the report.",
        )
        assert _rows(store, "select count(*) as n from posts where is_excerpt = 1")[0]["n"] == 0
    finally:
        web.stop()


def _excerpt_site(tmp: Path) -> tuple[ReplayWeb, str]:
    site = "https://excerpts.example/"
    report = site + "2024/01/24/nec-report/"
    footer = f"<p>The post <a href='{report}'>{REPORT_TITLE}</a> appeared first on Jo's blog.</p>"
    feed = rss(
        site,
        [
            rss_item(report, REPORT_TITLE, content=None, description=f"<p>{EXCERPT}</p>{footer}", date=DATE),
            rss_item(
                site + "2024/01/20/canvassing/",
                "Canvassing",
                content=None,
                description=f"<p>{OTHER_TEXT[:40]}&#8230;</p><p><a href='x'>Continue reading</a></p>",
                date=DATE,
            ),
        ],
    )
    pages = {
        site + "feed/": (feed, RSS),
        report: (wp_page(REPORT_TITLE, REPORT_HTML, published="2024-01-24T13:37:00+00:00"), HTML),
        site + "2024/01/20/canvassing/": (
            wp_page("Canvassing", f"<p>{OTHER_TEXT}</p>", published="2024-01-20T10:00:00+00:00"),
            HTML,
        ),
    }
    return serve(tmp, pages), report


def test_excerpt_feed_reads_the_pages(tmp_path: Path) -> None:
    web, _ = _excerpt_site(tmp_path)
    try:
        config = _config(
            web, tmp_path, {"name": "jo", "type": "feed", "url": web.local("https://excerpts.example/feed/")}
        )
        assert run_job(config).exit_code == 0
        store = Store.open(config.database_path)
        rows = {r["title"]: r for r in _rows(store, "select * from reports")}
        assert rows[REPORT_TITLE]["body_text"] == REPORT_TEXT  # sharing block removed
        assert not any(m in REPORT_TEXT for m in ("[…]", "appeared first"))
        # a post that is not a report keeps its hash, not its text: the hash is the page's full text's
        assert rows["Canvassing"]["body_text"] is None
        assert rows["Canvassing"]["content_hash"] == content_hash(OTHER_TEXT)
        assert {r["via"] for r in _rows(store, "select via from posts")} == {"feed+page"}
    finally:
        web.stop()


def test_excerpt_is_never_a_body_and_alerts_wait_for_the_page(tmp_path: Path) -> None:
    web, report = _excerpt_site(tmp_path)
    try:
        web.set(report, "<html><body>Internal error</body></html>", status=500)
        config = _config(
            web, tmp_path, {"name": "jo", "type": "feed", "url": web.local("https://excerpts.example/feed/")}
        )
        run_job(config)
        store = Store.open(config.database_path)
        (post,) = _rows(store, "select * from posts where title = ?", REPORT_TITLE)
        assert (post["is_excerpt"], post["report_id"], post["content_hash"]) == (1, None, None)
        texts = [r["body_text"] or "" for r in _rows(store, "select body_text from reports")]
        assert not any("tributes" in t for t in texts)
        assert _rows(store, "select * from alerts where kind = 'new_report'") == []
        (status,) = [s for s in store.source_status([("jo", "feed")])]
        assert status["excerpts"] == 1

        web.set(report, wp_page(REPORT_TITLE, REPORT_HTML, published="2024-01-24T13:37:00+00:00"))
        assert run_job(config).exit_code == 0
        (post,) = _rows(store, "select * from posts where title = ?", REPORT_TITLE)
        assert post["is_excerpt"] == 0 and post["report_id"]
        (rep,) = _rows(store, "select * from reports where id = ?", post["report_id"])
        assert rep["body_text"] == REPORT_TEXT and rep["is_nec_report"] == 1
        assert [a["report_id"] for a in _rows(store, "select * from alerts where kind = 'new_report'")] == [
            rep["id"]
        ]
        assert store.source_status([("jo", "feed")])[0]["excerpts"] == 0
    finally:
        web.stop()


ATOM_DOC = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Jo</title>'
    "<id>tag:atom.example,2024:blog</id><updated>2024-01-24T13:37:00Z</updated>"
    "<entry><title>{title}</title><id>tag:atom.example,2024:1</id>"
    '<link rel="alternate" type="text/html" href="https://atom.example/posts/nec-report"/>'
    "<published>2024-01-24T13:37:00+00:00</published><updated>2024-01-25T09:00:00+00:00</updated>"
    '<author><name>Jo Member</name></author><content type="html">{content}</content></entry></feed>'
)


@pytest.mark.parametrize("via", ["atom", "jsonfeed", "link-alternate"])
def test_atom_jsonfeed_and_advertised_feeds(tmp_path: Path, via: str) -> None:
    from html import escape

    atom = ATOM_DOC.format(title=REPORT_TITLE, content=escape(REPORT_HTML))
    jsonfeed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Jo",
            "items": [
                {
                    "id": "1",
                    "url": "https://atom.example/posts/nec-report",
                    "title": REPORT_TITLE,
                    "content_html": REPORT_HTML,
                    "date_published": "2024-01-24T13:37:00+00:00",
                    "authors": [{"name": "Jo Member"}],
                    "tags": ["NEC"],
                }
            ],
        }
    )
    home = (
        "<html><head><title>Jo</title><link rel='alternate' type='application/atom+xml' title='Jo'"
        " href='/syndication/posts.atom'></head><body><p>Welcome</p></body></html>"
    )
    pages = {
        "https://atom.example/atom.xml": (atom, ATOM),
        "https://atom.example/feed.json": (jsonfeed, JSONFEED),
        "https://atom.example/": (home, HTML),
        "https://atom.example/syndication/posts.atom": (atom, ATOM),
    }
    url = {"atom": "atom.xml", "jsonfeed": "feed.json", "link-alternate": ""}[via]
    web = serve(tmp_path, pages)
    try:
        config = _config(
            web, tmp_path, {"name": "jo", "type": "feed", "url": web.local("https://atom.example/" + url)}
        )
        assert run_job(config).exit_code == 0
        store = Store.open(config.database_path)
        (rep,) = _rows(store, "select * from reports")
        assert (rep["title"], rep["body_text"], rep["author"]) == (REPORT_TITLE, REPORT_TEXT, "Jo Member")
        assert rep["published_at"] == "2024-01-24T13:37:00+00:00" and rep["is_nec_report"] == 1
        assert web.count(path="/posts/nec-report") == 0
    finally:
        web.stop()


@pytest.mark.parametrize(
    ("content", "full", "excerpt"),
    [
        (REPORT_HTML, True, False),
        (f"<p>{EXCERPT}</p>", True, True),
        ("<p>Short text… <a href='/x' class='more-link'>Read more »</a></p>", True, True),
        ("<p>Some text.</p><p>Continue reading</p>", True, True),
        (REPORT_HTML + "<p>The post NEC Report appeared first on Jo's blog.</p>", True, False),
        (REPORT_HTML, False, True),  # a summary only: the page decides
    ],
)
def test_looks_like_excerpt(content: str, full: bool, excerpt: bool) -> None:
    fields = FeedFields(
        "https://a.example/p", "t", content, None, (), "g", None, None, None, full_content=full
    )
    assert looks_like_excerpt(fields) is excerpt


def test_an_unchanged_excerpt_entry_waits_for_its_revisit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first poll, an excerpt entry the feed shows as before is read from its page only
    when its revisit is due (sources/revisit.py); a changed entry at once; a known post the feed no
    longer shows is neither re-read every poll nor taken as removed."""
    web, report = _excerpt_site(tmp_path)
    clock = [datetime(2024, 6, 1, 12, tzinfo=UTC)]
    monkeypatch.setattr(pipeline, "utcnow", lambda: clock[0])
    feed_url = "https://excerpts.example/feed/"
    try:
        config = _config(web, tmp_path, {"name": "jo", "type": "feed", "url": web.local(feed_url)})
        assert run_job(config).exit_code == 0
        pages = {report, "https://excerpts.example/2024/01/20/canvassing/"}
        period = config.sources[0].sweep_period

        canvassing = "https://excerpts.example/2024/01/20/canvassing/"

        def poll() -> tuple[set[str], set[str]]:
            """The pages read, and the pages whose revisit fell due in this poll's window (their
            phase depends on the local URL, whose port is random)."""
            since = clock[0]
            clock[0] += timedelta(minutes=30)
            with web.recording() as requests:
                assert run_job(config).exit_code == 0
            due = {
                u
                for u in pages
                if is_due(web.local(u), datetime(2024, 1, 20, tzinfo=UTC), since, clock[0], period)
            }
            return {f"https://{r.host}{r.path}" for r in requests if r.path != "/robots.txt"}, due

        read, due = poll()
        assert read - due == {feed_url}  # the feed only (and any page whose revisit fell due)
        body = web.body(feed_url).decode().replace("Continue reading", "Read on")
        web.set(feed_url, body, content_type=RSS)  # the canvassing entry is shown differently
        read, due = poll()
        assert canvassing in read and read - due - {canvassing} == {feed_url}  # at once, due or not
        web.set(
            feed_url, re.sub(r"<item><title>Canvassing.*?</item>", "", body, flags=re.S), content_type=RSS
        )
        read, due = poll()
        assert read - due == {feed_url}  # no longer in the feed: revisited when due, not every poll
        store = Store.open(config.database_path)
        assert _rows(store, "select url from posts where removed_at is not null") == []
    finally:
        web.stop()
