"""Atom feeds parse and hold the right entries; hostile stored HTML never becomes executable output."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import feedparser
import pytest

from .scan import atom_payloads, html_payloads


def _feed(client: Any, path: str, **params: str) -> Any:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_new_reports_feed(client: Any) -> None:
    feed = _feed(client, "/demo/feed_new_reports.atom")
    assert feed.feed.title == "necwatch: new NEC reports"
    titles = [e.title for e in feed.entries]
    assert len(titles) == 14
    assert "NEC Report – 23 January 2024" in titles
    assert all(e.id.startswith("tag:necwatch,2024:report:") for e in feed.entries)
    assert all(e.link.startswith("http") for e in feed.entries)


def test_changes_feed_lists_the_same_alerts_as_changes_atom(client: Any, demo_db: Any) -> None:
    import feedparser

    feed = _feed(client, "/demo/feed_changes.atom")
    static = feedparser.parse((demo_db.parent / "feeds" / "changes.atom").read_bytes())
    ids = [e.id.rsplit(":", 1)[1] for e in feed.entries]
    assert ids == [e.id.rsplit(":", 1)[1] for e in static.entries]
    kinds = {e.title.split(":", 1)[0] for e in feed.entries}
    assert kinds == {"new report", "report edited", "report removed", "report restored",
                     "report republished", "new comment", "comment edited", "comment removed"}  # fmt: skip
    for entries in (feed.entries, static.entries):
        assert all("<pre></pre>" not in e.summary for e in entries)
        assert any("[Edited in the necwatch demo" in e.summary for e in entries)  # the edit's change


def test_saved_search_feed(client: Any) -> None:
    feed = _feed(client, "/demo/feed_search.atom", q="forde")
    titles = {e.title for e in feed.entries}
    assert "NEC Report – 23 January 2024" in titles and "NEC Report – 28 March 2023" in titles
    assert feed.feed.title == "necwatch: reports matching \u201cforde\u201d"
    empty = _feed(client, "/demo/feed_search.atom", q="zzzqqqnothing")
    assert empty.entries == []  # an empty feed, never a placeholder entry


PAYLOADS = [
    "<script>alert('s1')</script>",
    "<img src=x onerror=\"alert('s2')\">",
    "<a href=\"javascript:alert('s3')\">click</a>",
    "<a href=\"  JaVaScRiPt:alert('s3b')\">click</a>",
    '<iframe src="https://evil.example/"></iframe>',
    "<svg onload=\"alert('s4')\"><circle r=1 /></svg>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<object data=\"javascript:alert('s5')\"></object>",
    "<p onclick=\"alert('s6')\" style=\"x:expression(alert('s7'))\">text</p>",
    "<form action=\"javascript:alert('s8')\"><button>go</button></form>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<scr<script>ipt>alert("s9")</script>',
    "<style>body{background:url(javascript:alert('s10'))}</style>",
]
HOSTILE = "<p>Intro</p>" + "".join(PAYLOADS)


@pytest.fixture
def hostile_db(db_copy: Path) -> Path:
    """Rows as an attacker would like them stored: raw, unsanitized HTML everywhere."""
    conn = sqlite3.connect(db_copy)
    title = "<script>alert('t')</script><img src=x onerror=alert(1)>Evil NEC Report"
    conn.execute(
        "insert into reports (id, title, author, published_at, meeting_date, meeting_kind, is_nec_report, "
        "canonical_url, source, body_text, body_html, first_seen_at, version, comment_count) "
        "values ('evil', ?, ?, '2030-01-02T00:00:00+00:00', '2030-01-01', 'full', 1, "
        "'javascript:alert(2)', 'luke-akehurst', ?, ?, '2030-01-02T00:00:00+00:00', 2, 1)",
        [title, "<svg onload=alert(3)>Mallory", "hostile " + HOSTILE, HOSTILE],
    )
    conn.execute(
        "insert into posts (id, source, url, report_id, title) values "
        "('evilpost', 'luke-akehurst', 'javascript:alert(4)', 'evil', ?)",
        [title],
    )
    conn.execute(
        "insert into report_versions (report_id, version, seen_at, kind, title, body_text, diff, word_diff) "
        "values ('evil', 2, '2030-01-03T00:00:00+00:00', 'edit', ?, ?, ?, ?)",
        [title, HOSTILE, "+" + HOSTILE + "\n-<script>alert(5)</script>", "{+" + HOSTILE + "+}"],
    )
    conn.execute(
        "insert into comments (id, report_id, post_id, author, published_at, url, body_text, body_html) "
        "values ('evilc', 'evil', 'evilpost', ?, '2030-01-04T00:00:00+00:00', 'javascript:alert(6)', ?, ?)",
        ["<script>alert(7)</script>", "hostile " + HOSTILE, HOSTILE],
    )
    conn.execute(
        "insert into alerts (id, kind, created_at, source, report_id, title, summary, diff, url) values "
        "('evila', 'report_edited', '2030-01-03T00:00:00+00:00', 'luke-akehurst', 'evil', ?, ?, ?, "
        "'javascript:alert(8)')",
        [title, HOSTILE, HOSTILE],
    )
    conn.commit()
    conn.close()
    return db_copy


def test_no_executable_payload_in_any_page_or_feed(client_for: Any, hostile_db: Path) -> None:
    c = client_for(hostile_db)
    pages = [
        "/", "/demo", "/demo/reports", "/demo/reports/evil", "/demo/reports_list",
        "/demo/reports?_search=hostile", "/demo/comments", "/demo/comments/evilc", "/demo/posts",
        "/demo/posts/evilpost", "/demo/report_versions", "/demo/report_versions/evil,2", "/demo/alerts",
        "/demo/latest_reports", "/demo/meeting_reports?meeting=2030-01-01",
        "/demo/report_history?report_id=evil", "/demo/report_comments?report_id=evil",
        "/demo/recent_alerts", "/demo/search_reports?q=hostile", "/demo/search_comments?q=hostile",
        "/demo/coverage", "/demo/feed_new_reports", "/demo/feed_changes",
    ]  # fmt: skip
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert html_payloads(r.text) == [], path
    # the hostile rows really were rendered (the scan is not passing on empty pages)
    page = c.get("/demo/reports/evil").text
    assert "Evil NEC Report" in page and '">Intro</span></p>' in page  # a paragraph with its id
    assert "&lt;script&gt;" in page  # the title is shown as text
    for path, params in [
        ("/demo/feed_new_reports.atom", {}),
        ("/demo/feed_changes.atom", {}),
        ("/demo/feed_search.atom", {"q": "hostile"}),
    ]:
        r = c.get(path, params=params)
        assert r.status_code == 200
        assert atom_payloads(r.content) == [], path
        feed = feedparser.parse(r.content)
        assert not feed.bozo
        assert any("Evil NEC Report" in e.title or "Evil" in e.title for e in feed.entries), path


def test_scanner_catches_payloads() -> None:
    """The scanner itself finds every payload kind in raw HTML (so a pass above means something)."""
    found = html_payloads("<html><body>" + HOSTILE + "</body></html>")
    text = " ".join(found)
    for needle in ("script", "onerror", "javascript", "<iframe>", "onload", "meta refresh", "<object>"):
        assert needle in text, needle


def _rels(node: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for link in node.get("links", []):
        out.setdefault(link["rel"], []).append(link["href"])
    return out


@pytest.mark.parametrize(("path", "params"), [
    ("/demo/feed_new_reports.atom", {}), ("/demo/feed_changes.atom", {}),
    ("/demo/feed_search.atom", {"q": "forde"}),
])  # fmt: skip
def test_datasette_feeds_link_themselves_the_site_and_each_entrys_pages(
    client: Any, path: str, params: dict[str, str]
) -> None:
    feed = _feed(client, path, **params)
    links = _rels(feed.feed)
    assert links["self"][0].startswith(f"http://localhost{path}")
    assert links["alternate"] == ["http://localhost/"]
    assert feed.entries
    for e in feed.entries:
        rels = _rels(e)
        assert len(rels["alternate"]) == 1 and rels["alternate"][0].startswith("https://")  # the original
        assert rels["related"], e.id
        for href in rels["related"]:
            assert href.startswith("http://localhost/demo/")
            r = client.get(href.removeprefix("http://localhost"))
            assert r.status_code == 200, href


def test_datasette_changes_feed_links_an_edit_to_its_diff(client: Any) -> None:
    feed = _feed(client, "/demo/feed_changes.atom")
    edit = next(e for e in feed.entries if e.title.startswith("report edited"))
    rid = client.get("/demo/alerts.json?kind=report_edited&_shape=objects").json()["rows"][0]["report_id"]
    assert _rels(edit)["related"] == [
        f"http://localhost/demo/report_history?report_id={rid}",
        f"http://localhost/demo/reports/{rid}",
    ]
    assert "[Edited in the necwatch demo" in client.get(f"/demo/report_history?report_id={rid}").text
    reports = _feed(client, "/demo/feed_new_reports.atom")
    assert all(e.get("author") for e in reports.entries)


def test_atom_links_are_added_to_the_right_entries() -> None:
    from necwatch.publish.plugin import add_atom_links

    xml = (b"<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'><id>f</id>"
           b"<entry><id>a</id></entry><entry><id>b</id></entry></feed>")  # fmt: skip
    out = feedparser.parse(add_atom_links(xml, "https://s/", {"b": [("https://s/r/b", "report")]}))
    assert not out.bozo and _rels(out.feed) == {"alternate": ["https://s/"]}
    assert [_rels(e) for e in out.entries] == [{}, {"related": ["https://s/r/b"]}]


def test_report_feeds_are_sanitized_once_with_the_sites_policy(client_for: Any, hostile_db: Path) -> None:
    """The report feeds' HTML is cleaned in their SQL by the site's allow-list (datasette-atom's own,
    slower pass is skipped for them): a table survives as a table, while a hostile meeting date, the
    author and the body's payloads still come out inert."""
    conn = sqlite3.connect(hostile_db)
    conn.execute(
        "update reports set meeting_date = ?, body_html = ? where id = 'evil'",
        ["<img src=x onerror=alert(9)>", "<table><tr><td>Votes</td></tr></table>" + HOSTILE],
    )
    conn.commit()
    conn.close()
    c = client_for(hostile_db)
    for path, params in [("/demo/feed_new_reports.atom", {}), ("/demo/feed_search.atom", {"q": "hostile"})]:
        r = c.get(path, params=params)
        assert r.status_code == 200 and atom_payloads(r.content) == [], path
        evil = next(e for e in feedparser.parse(r.content).entries if "Evil" in e.title)
        html = evil.content[0].value
        assert "<table>" in html and "<td>Votes</td>" in html and "<p>Intro</p>" in html, path
        assert "&lt;img src=x onerror=alert(9)&gt;" in html  # the meeting date, as text
