"""`type: auto`: platform detection on each platform, the reference web through auto (same facts as
with explicit types), generic extraction, and re-detection when a stored detection stops working."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from necwatch.config import config_from_dict
from necwatch.demo import demo_config
from necwatch.extract.text import collapse_ws
from necwatch.job import run_job
from necwatch.models import Response
from necwatch.replay import ReplayWeb
from necwatch.sources.auto import detect_page
from necwatch.store import Store
from tests.conftest import one_host_web
from tests.pipeline.test_end_to_end import MEETING_DATE_NOT_IN_TEXT
from tests.sources.blogsites import HTML, OTHER_TEXT, REPORT_HTML, REPORT_TEXT, serve, wp_page

REFERENCE = {  # the four sites of the reference web, as a user would paste their URLs
    "luke-akehurst": ("https://lukeakehurst.blogspot.com/", "Luke Akehurst", "blogger"),
    "alice-perry": ("https://aliceperry.wordpress.com/tag/general-election/", "Alice Perry", "wordpress"),
    "labourlist": ("https://labourlist.org/tag/nec/", None, "labourlist"),
    "progress": ("https://www.progressonline.org.uk/author/luke-akehurst/", "Luke Akehurst", "wordpress"),
}


def test_reference_web_through_auto_gives_the_expected_facts(
    web: ReplayWeb, tmp_path: Path, expected_posts: dict[str, dict[str, Any]]
) -> None:
    sources = [
        {"name": name, "type": "auto", "url": web.local(url), **({"author": author} if author else {})}
        for name, (url, author, _) in REFERENCE.items()
    ]
    config = demo_config(web, database=tmp_path / "auto.db", sources=sources)
    result = run_job(config)
    assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
    store = Store.open(config.database_path)
    detected = {r["name"]: r["detected_type"] for r in store.db.query("select * from sources")}
    assert detected == {name: platform for name, (_, _, platform) in REFERENCE.items()}
    posts = {web.real(r["url"]): r for r in store.db.query("select * from posts")}
    assert set(posts) == set(expected_posts)
    for url, exp in expected_posts.items():
        row = posts[url]
        report = next(store.db.query("select * from reports where id = ?", [row["report_id"]]))
        assert (row["title"], row["author"], bool(row["is_nec_report"])) == (
            exp["title"],
            exp["author"],
            exp["is_nec_report"],
        ), url
        assert datetime.fromisoformat(row["published_at"]) == datetime.fromisoformat(exp["published"]), url
        assert report["meeting_date"] == MEETING_DATE_NOT_IN_TEXT.get(url, exp["meeting_date"]), url
        assert report["meeting_kind"] == exp["meeting_kind"], url
        if exp["is_nec_report"]:
            body = hashlib.sha256(collapse_ws(web.unrewrite(report["body_text"])).encode()).hexdigest()
            assert body == exp["body_sha256"], url
        else:  # a post that is not a report keeps its content hash, not its text
            assert (
                report["body_text"] is None and report["content_hash"] == row["content_hash"] is not None
            ), url
    comments = store.db.execute("select count(*) from comments").fetchone()[0]
    assert comments == sum(p["comment_count"] for p in expected_posts.values())
    # the second poll uses the stored detection: no detection requests, nothing new
    with web.recording() as requests:
        again = run_job(config)
    assert again.exit_code == 0 and sum(s.new for s in again.sources) == 0
    # (detection read Alice Perry's tag page; her stored path is the REST API, which never reads it)
    assert not [
        r for r in requests if r.host == "aliceperry.wordpress.com" and r.path == "/tag/general-election/"
    ]


def _response(url: str, body: str, ctype: str = HTML, headers: dict[str, str] | None = None) -> Response:
    hdrs = {"content-type": ctype, **(headers or {})}
    return Response(url, url, 200, hdrs, body.encode(), body, "utf-8")


@pytest.mark.parametrize(
    ("body", "headers", "platform", "url", "options"),
    [
        ("<html><head><meta name='generator' content='Blogger'></head><body>x</body></html>", {},
         "blogger", "https://b.example/", {"label": "NEC"}),
        ("<html><head></head><body><p>x</p></body></html>", {"link": '<https://w.example/wp-json/>; rel="https://api.w.org/"'},
         "wordpress", "https://w.example/", {"tag": "nec-report"}),
        ("<html><head><meta name='generator' content='WordPress 6.5'></head><body>x</body></html>", {},
         "wordpress", "https://w.example/", {"tag": "nec-report"}),
        ("<html><head><link rel='alternate' type='application/rss+xml' href='/rss'></head>"
         "<body></body></html>",
         {},
         "feed", "https://w.example/rss", {}),
        ("<html><head><title>plain</title></head><body><p>x</p></body></html>", {}, None, None, None),
    ],
)  # fmt: skip
def test_detect_page_markers(
    body: str, headers: dict[str, str], platform: str | None, url: str | None, options: dict[str, str] | None
) -> None:
    page = (
        "https://b.example/search/label/NEC" if platform == "blogger" else "https://w.example/tag/nec-report/"
    )
    found = detect_page(page, _response(page, body, headers=headers))
    if platform is None:
        assert found is None
        return
    assert found is not None
    assert (found.platform, found.url, dict(found.options)) == (platform, url, options)
    assert found.evidence


HOME = (
    "<html><head><title>Jo</title></head><body><main>"
    "<article><h2><a href='/2024/01/24/nec-report/'>NEC Report – 23 January 2024</a></h2><p>The NEC met…</p>"
    "</article><article><h2><a href='/2024/01/20/canvassing/'>Canvassing</a></h2></article>"
    "</main></body></html>"
)


def _generic_site(tmp_path: Path) -> ReplayWeb:
    site = "https://plain.example/"
    return serve(
        tmp_path,
        {
            site: (HOME, HTML),
            site + "2024/01/24/nec-report/": (
                wp_page(
                    "NEC Report – 23 January 2024", REPORT_HTML, published="2024-01-24T13:37:00+00:00"
                ).replace("<meta name='generator' content='WordPress 6.4.2'>", ""),
                HTML,
            ),
            site + "2024/01/20/canvassing/": (
                wp_page("Canvassing", f"<p>{OTHER_TEXT}</p>", published="2024-01-20T10:00:00+00:00"),
                HTML,
            ),
        },
    )


def test_generic_html_then_redetected_when_it_stops_working(tmp_path: Path) -> None:
    web = _generic_site(tmp_path)
    try:
        data = {
            "database": str(tmp_path / "g.db"),
            "allow_private_addresses": True,
            "fetch": {"per_host_delay": 0, "retries": 0, "backoff": 0.01},
            "sources": [{"name": "jo", "type": "auto", "url": web.local("https://plain.example/")}],
        }
        config = config_from_dict(data)
        assert run_job(config).exit_code == 0
        store = Store.open(config.database_path)
        row = store.source_row("jo") or {}
        assert row["detected_type"] == "html"
        bodies = {r["title"]: r["body_text"] for r in store.db.query("select * from reports")}
        assert bodies["NEC Report – 23 January 2024"] == REPORT_TEXT

        # the site is rebuilt: the home page lists nothing any more and advertises an Atom feed
        atom = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Jo</title>'
            "<entry><title>Canvassing</title><id>c</id><link rel='alternate' href='https://plain.example/2024/01/20/canvassing/'/>"
            "<published>2024-01-20T10:00:00+00:00</published>"
            f"<content type='text'>{OTHER_TEXT}</content></entry></feed>"
        )  # fmt: skip
        web.set("https://plain.example/atom.xml", atom, content_type="application/atom+xml")
        web.set(
            "https://plain.example/",
            "<html><head><link rel='alternate' type='application/atom+xml' href='/atom.xml'></head>"
            "<body><p>New site</p></body></html>",
        )
        result = run_job(config)
        assert result.exit_code == 0, [(s.status, s.error) for s in result.sources]
        row = store.source_row("jo") or {}
        assert (row["detected_type"], row["consecutive_failures"], row["health"]) == ("feed", 0, "ok")
        assert web.real(row["detected_url"]) == "https://plain.example/atom.xml"
    finally:
        web.stop()


def test_a_failing_source_is_redetected_once_per_failure_streak(tmp_path: Path) -> None:
    web = _generic_site(tmp_path)
    try:
        data = {
            "database": str(tmp_path / "g.db"),
            "allow_private_addresses": True,
            "fetch": {"per_host_delay": 0, "retries": 0, "backoff": 0.01},
            "sources": [{"name": "jo", "type": "auto", "url": web.local("https://plain.example/")}],
        }
        config = config_from_dict(data)
        assert run_job(config).exit_code == 0
        web.set("https://plain.example/", "<h1>Service Unavailable</h1>", status=503)

        def home_requests_in_a_failed_poll() -> int:
            before = len(web.requests)
            assert run_job(config).exit_code == 1
            return sum(1 for r in web.requests[before:] if r.path == "/")

        # First failed poll: the listing, then one detection of the home page (it answers the same).
        assert home_requests_in_a_failed_poll() == 2
        # The streak goes on: the stored detection is not probed again on every poll.
        assert home_requests_in_a_failed_poll() == 1
        store = Store.open(config.database_path)
        row = store.source_row("jo") or {}
        assert (row["detected_type"], row["consecutive_failures"]) == ("html", 2)
        store.close()
    finally:
        web.stop()


def test_wordpress_detected_only_through_the_wp_json_probe(
    tmp_path: Path, expected_posts: dict[str, dict[str, Any]]
) -> None:
    """A WordPress site whose page carries no marker at all (no generator meta, no `Link` header, no
    api.w.org link, no feed link) is still detected by the `/wp-json/` probe, and then read by REST."""
    tag_page = "https://aliceperry.wordpress.com/tag/general-election/"
    with one_host_web("aliceperry.wordpress.com") as web:
        web.entries.pop(tag_page)  # drop its headers too: set() keeps an old entry's headers
        web.set(
            tag_page, "<html><head><title>Alice</title></head><body><h1>Alice</h1><p>Posts</p></body></html>"
        )
        web.set(
            "https://aliceperry.wordpress.com/wp-json/",
            json.dumps({"name": "Alice Perry", "namespaces": ["oembed/1.0", "wp/v2"], "routes": {}}),
            content_type="application/json; charset=UTF-8",
        )
        config = demo_config(
            web,
            database=tmp_path / "probe.db",
            hosts=["aliceperry.wordpress.com"],
            sources=[{"name": "alice", "type": "auto", "url": web.local(tag_page), "author": "Alice Perry"}],
        )
        result = run_job(config)
        assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
        asked = [r.path for r in web.requests]
        assert asked.index("/feeds/posts/default") < asked.index("/wp-json/")  # Blogger probed first
        store = Store.open(config.database_path)
        row = store.source_row("alice") or {}
        assert (row["detected_type"], web.real(row["detected_url"])) == (
            "wordpress",
            "https://aliceperry.wordpress.com/",
        )
        posts = {web.real(r["url"]): r for r in store.db.query("select url, via, title from posts")}
        store.close()
    alice = {u: p for u, p in expected_posts.items() if p["source_host"] == "aliceperry.wordpress.com"}
    assert set(posts) == set(alice)  # the tag option came from the URL: only that tag's posts
    assert {r["via"] for r in posts.values()} == {"rest"}
    assert all(posts[u]["title"] == p["title"] for u, p in alice.items())
