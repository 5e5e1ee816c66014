"""Atom feeds: valid, stable ids, rewritten only on change, conditional GETs, no executable payloads."""

from __future__ import annotations

import email.utils
import functools
import os
import re
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest

from necwatch import feeds
from necwatch.alerts import AlertKind
from necwatch.replay import ReplayWeb
from tests.tracking.helpers import NEW_POST_ID, Timeline

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://data.example.org"


@pytest.fixture
def tl(web: ReplayWeb, tmp_path: Path) -> Timeline:
    t = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com"], publish={"base_url": BASE})
    t.poll()
    return t


def parse(path: Path) -> Any:
    d = feedparser.parse(path.read_bytes())
    assert d.bozo == 0, d.get("bozo_exception")
    return d


def test_feeds_are_valid_and_complete(tl: Timeline) -> None:
    assert feeds.write_feeds(tl.store, tl.config) == 3
    out = tl.config.feeds_path
    assert sorted(p.name for p in out.iterdir()) == [
        "changes.atom",
        "reports.atom",
        "source-alice-perry.atom",
    ]
    reports = parse(out / "reports.atom")
    nec = tl.count("reports", "is_nec_report = 1 and duplicate_of is null")
    assert len(reports.entries) == nec == 9
    entry = next(e for e in reports.entries if "January 2019" in e.title)
    rid = tl.one("select id from reports where title like '%January 2019%'")["id"]
    assert entry.id == f"tag:necwatch,2024:report:{rid}"
    assert entry.author == "Alice Perry"
    hrefs = {link["rel"]: link["href"] for link in entry.links}
    assert hrefs["alternate"].endswith("/2019/01/30/labour-nec-report-january-2019/")
    assert hrefs["related"] == f"{BASE}/necwatch/reports/{rid}"
    assert "NEC meeting 2019-01" in entry.content[0].value
    assert len(entry.content[0].value) > 1000  # the full report, not an excerpt
    # The first poll is backfill: nothing in changes.atom, but the source feed lists its reports.
    assert parse(out / "changes.atom").entries == []
    assert len(parse(out / "source-alice-perry.atom").entries) == tl.count("alerts")
    # Every entry has id, title, updated (RFC 4287 4.1.2).
    for name in ("reports.atom", "source-alice-perry.atom"):
        root = ET.parse(out / name).getroot()
        assert root.find(f"{ATOM}id") is not None and root.find(f"{ATOM}updated") is not None
        for e in root.iter(f"{ATOM}entry"):
            assert all(e.find(f"{ATOM}{tag}") is not None for tag in ("id", "title", "updated"))


def test_unset_base_url_omits_the_dataset_link(web: ReplayWeb, tmp_path: Path) -> None:
    t = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com"])
    t.poll()
    feeds.write_feeds(t.store, t.config)
    for e in parse(t.config.feeds_path / "reports.atom").entries:
        assert [link["rel"] for link in e.links] == ["alternate"]


def test_unchanged_feeds_are_not_rewritten_and_ids_are_stable(tl: Timeline) -> None:
    feeds.write_feeds(tl.store, tl.config)
    out = tl.config.feeds_path
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    tl.poll()  # nothing changed on the site
    assert feeds.write_feeds(tl.store, tl.config) == 0
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_edit_shows_a_readable_diff_in_changes(tl: Timeline) -> None:
    tl.edit_wp(
        4076, lambda p: p["content"].update(rendered=p["content"]["rendered"] + "<p>A late addition.</p>")
    )
    tl.poll()
    assert feeds.write_feeds(tl.store, tl.config) == 3
    changes = parse(tl.config.feeds_path / "changes.atom")
    assert [e.tags[0].term for e in changes.entries] == ["report_edited"]
    html = changes.entries[0].content[0].value
    assert "<ins>A late addition.</ins>" in html
    aid = tl.one("select id from alerts where kind = 'report_edited'")["id"]
    assert changes.entries[0].id == f"tag:necwatch,2024:alert:{aid}"


HOSTILE = (
    "<p>NEC report body with enough words to be a report.</p>"
    "<script>alert(1)</script><img src=x onerror=alert(2)><iframe src='https://evil.example'></iframe>"
    "<a href='javascript:alert(3)'>click</a><svg onload=alert(4)></svg><style>body{}</style>"
    "<meta http-equiv='refresh' content='0;url=https://evil.example'>"
    "<a href='data:text/html;base64,PHNjcmlwdD4='>d</a><p onclick='x()'>More text.</p>"
    "<object data='x.swf'></object><form action='https://evil.example'><input></form>"
)
PAYLOAD = re.compile(
    r"<script|<iframe|<svg|<style|<meta|<object|<form|javascript:|data:text|\son\w+\s*=", re.I
)


def test_no_executable_payload_in_any_feed(tl: Timeline) -> None:
    tl.add_wp_post(body=tl_body() + HOSTILE, title="Labour NEC Report <script>alert(5)</script>")
    tl.poll()
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(rendered=p["content"]["rendered"] + HOSTILE))
    tl.poll()
    feeds.write_feeds(tl.store, tl.config)
    checked = 0
    for path in tl.config.feeds_path.glob("*.atom"):
        root = ET.parse(path).getroot()
        for el in root.iter():
            if el.tag in (f"{ATOM}content", f"{ATOM}summary", f"{ATOM}title"):
                text = el.text or ""
                # content is type="html": its text is the HTML a reader renders.
                assert not PAYLOAD.search(text), (path.name, el.tag, PAYLOAD.search(text))
                checked += 1
    assert checked > 10
    assert tl.count("alerts", "kind in ('new_report', 'report_edited') and backfill = 0") == 2


def tl_body() -> str:
    return "<p>The NEC met in March 2024 and agreed the timetable for selections in the remaining seats.</p>"


# -- a subscriber polling the static feed files -------------------------------------------------
@pytest.fixture
def served(tl: Timeline) -> Iterator[str]:
    out = tl.config.feeds_path
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_Quiet, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def get(url: str, since: str | None = None) -> tuple[int, bytes, str | None]:
    req = urllib.request.Request(url, headers={"If-Modified-Since": since} if since else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read(), r.headers.get("Last-Modified")
    except urllib.error.HTTPError as e:
        return e.code, b"", None


def test_conditional_get_sees_304_until_something_changes(tl: Timeline, served: str) -> None:
    feeds.write_feeds(tl.store, tl.config)
    out = tl.config.feeds_path
    past = os.stat(out / "changes.atom").st_mtime - 60  # as if written a minute ago
    for p in out.iterdir():
        os.utime(p, (past, past))
    status, body, last_modified = get(served + "changes.atom")
    assert status == 200 and last_modified == email.utils.formatdate(past, usegmt=True)
    old_ids = {e.id for e in feedparser.parse(body).entries}

    tl.poll()
    feeds.write_feeds(tl.store, tl.config)  # nothing new: the file is untouched
    assert get(served + "changes.atom", last_modified)[0] == 304

    tl.add_wp_post()
    tl.poll()
    feeds.write_feeds(tl.store, tl.config)
    status, body, _ = get(served + "changes.atom", last_modified)
    assert status == 200
    new_ids = {e.id for e in feedparser.parse(body).entries} - old_ids
    aid = tl.one("select id from alerts where kind = 'new_report' and backfill = 0")["id"]
    assert new_ids == {f"tag:necwatch,2024:alert:{aid}"}


def _add_alert(tl: Timeline, kind: str, summary: str, *, backfill: int = 0) -> None:
    tl.store.db.table("alerts").insert(
        {
            "id": f"x-{kind}-{backfill}",
            "kind": kind,
            "created_at": "2026-01-01T00:00:00+00:00",
            "source": "alice-perry",
            "title": f"{kind} title",
            "summary": summary,
            "backfill": backfill,
        }
    )


def test_changes_feed_is_an_allow_list_of_public_kinds(tl: Timeline) -> None:
    """Operator kinds, and a kind this version does not know (a newer writer's), never reach the
    public changes.atom; every public kind does. The source feed keeps all of them."""
    hidden = [*AlertKind.operator(), "source_quarantined"]
    for kind in hidden:
        _add_alert(tl, kind, "operator news")
    for kind in AlertKind.public():
        _add_alert(tl, kind, "public news")
        _add_alert(tl, kind, "backfill news", backfill=1)
    feeds.write_feeds(tl.store, tl.config)
    out = tl.config.feeds_path
    changes = parse(out / "changes.atom")
    assert "operator news" not in (out / "changes.atom").read_text()
    assert "backfill news" not in (out / "changes.atom").read_text()
    assert sorted(e.tags[0].term for e in changes.entries) == sorted(AlertKind.public())
    titles = {e.tags[0].term: e.title for e in changes.entries}
    assert titles == {k.value: f"{k.label}: {k.value} title" for k in AlertKind.public()}
    source = parse(out / "source-alice-perry.atom")
    shown = {e.tags[0].term: e.title for e in source.entries}
    assert set(hidden) <= set(shown)  # the operator still sees them, labelled
    assert shown["source_moved"] == "Source moved: source_moved title"
    assert shown["source_quarantined"] == "source_quarantined: source_quarantined title"


# -- links and authors --------------------------------------------------------------------------------
PAGES = "https://necwatch.example.org/site"


def _links(node: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for link in node.get("links", []):
        out.setdefault(link["rel"], []).append(link["href"])
    return out


@pytest.mark.parametrize("feeds_url", [PAGES, PAGES + "/feeds/"])
def test_feeds_link_themselves_the_site_and_the_dataset_pages(
    web: ReplayWeb, tmp_path: Path, feeds_url: str
) -> None:
    t = Timeline.open(
        web, tmp_path, ["aliceperry.wordpress.com", "labourlist.org"],
        publish={"base_url": BASE + "/", "feeds_url": feeds_url},
    )  # fmt: skip
    t.poll()
    t.edit_wp(4076, lambda p: p["content"].update(rendered=p["content"]["rendered"] + "<p>Added.</p>"))
    t.poll()
    feeds.write_feeds(t.store, t.config)
    out = t.config.feeds_path
    names = sorted(p.name for p in out.iterdir())
    assert names == ["changes.atom", "reports.atom", "source-alice-perry.atom", "source-labourlist.atom"]
    for name in names:
        d = parse(out / name)
        links = _links(d.feed)
        assert links["self"] == [f"{PAGES}/feeds/{name}"], name  # both spellings of feeds_url
        assert links["alternate"] == [BASE + "/"], name  # the Datasette instance is the site
        for e in d.entries:
            assert all(h.startswith(("https://", "http://")) for hs in _links(e).values() for h in hs)
    report = parse(out / "reports.atom").entries[0]
    rid = report.id.rsplit(":", 1)[1]
    assert _links(report)["related"] == [f"{BASE}/necwatch/reports/{rid}"]
    assert _links(report)["alternate"][0].startswith("http")
    (edit,) = parse(out / "changes.atom").entries
    edited = t.one("select report_id, url from alerts where kind = 'report_edited'")
    assert _links(edit)["alternate"] == [edited["url"]]  # the original post
    assert _links(edit)["related"] == [
        f"{BASE}/necwatch/report_history?report_id={edited['report_id']}",  # the diff
        f"{BASE}/necwatch/reports/{edited['report_id']}",
    ]
    blog = parse(out / "source-alice-perry.atom")
    assert _links(blog.feed)["related"] == [next(s.url for s in t.config.sources if s.name == "alice-perry")]


def test_source_feeds_carry_the_configured_author_else_the_posts(tl_two: Timeline) -> None:
    feeds.write_feeds(tl_two.store, tl_two.config)
    out = tl_two.config.feeds_path
    alice = parse(out / "source-alice-perry.atom")
    assert alice.feed.author == "Alice Perry"  # the source's `author` config
    assert alice.entries and {e.author for e in alice.entries} == {"Alice Perry"}
    # LabourList has many authors and no configured one: each entry is by its report's author.
    ll = parse(out / "source-labourlist.atom")
    expected = {
        r["title"]: r["author"]
        for r in tl_two.store.db.query(
            "select a.title, r.author from alerts a join reports r on r.id = a.report_id "
            "where a.source = 'labourlist' and r.author is not null and a.comment_id is null"
        )
    }
    assert expected
    shown = {e.title.split(": ", 1)[1]: e.get("author") for e in ll.entries if ": " in e.title}
    for title, author in expected.items():
        assert shown[title] == author, title
    assert ll.feed.author == "necwatch"  # no configured author for the feed as a whole


@pytest.fixture
def tl_two(web: ReplayWeb, tmp_path: Path) -> Timeline:
    t = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com", "labourlist.org"])
    t.poll()
    return t


def test_without_publish_urls_only_known_links_are_written(tl_two: Timeline) -> None:
    """No base_url and no feeds_url: no self link, no site link and no dataset links, but a source
    feed still links to its blog, and every link there is is absolute."""
    feeds.write_feeds(tl_two.store, tl_two.config)
    out = tl_two.config.feeds_path
    for name in ("reports.atom", "changes.atom"):
        assert _links(parse(out / name).feed) == {}, name
    blog = next(s.url for s in tl_two.config.sources if s.name == "labourlist")
    assert _links(parse(out / "source-labourlist.atom").feed) == {"alternate": [blog]}
    for path in out.glob("*.atom"):
        for e in parse(path).entries:
            assert set(_links(e)) <= {"alternate"}, path.name
            assert all(h.startswith("http") for h in _links(e).get("alternate", []))


def test_a_scraped_non_http_url_is_never_a_link(tl: Timeline) -> None:
    _add_alert(tl, "report_removed", "gone")
    tl.store.db.execute("update alerts set url = 'javascript:alert(1)' where id = 'x-report_removed-0'")
    feeds.write_feeds(tl.store, tl.config)
    (entry,) = parse(tl.config.feeds_path / "changes.atom").entries
    assert "alternate" not in _links(entry)
    assert "javascript:" not in (tl.config.feeds_path / "changes.atom").read_text().split("<content")[0]
