"""What a newcomer sees (issue 20, fixes 6-9): pages in words without SQL or internals, a layout
with no sideways scroll on a phone, feeds a browser finds and a reader subscribes to, and a home
page that says what necwatch is and where to go."""

from __future__ import annotations

import re
import sqlite3
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import pytest

from necwatch.publish.plugin import (
    _request_path,
    column_label,
    date_words,
    page_feeds,
    page_html,
    search_feed_title,
    short_url,
)

from .test_browser import ARGS, CHROMIUM, SHOTS, server  # noqa: F401 - the browser's server fixture
from .test_feeds_xss import hostile_db  # noqa: F401 - its hostile rows
from .test_serve import REPORT

ATOM = "application/atom+xml; charset=utf-8"
REMOVED_COMMENT_REPORT = "9be5b8ea66eb31d4"  # the demo's "Comment removed" alert is about this report
QUERY_PAGES = [
    "/demo/latest_reports",
    f"/demo/report_history?report_id={REPORT}",
    f"/demo/report_comments?report_id={REPORT}",
    "/demo/search_comments",
    "/demo/search_comments?q=lottery",
    "/demo/recent_alerts",
    "/demo/source_health",
    "/demo/unmatched",
    "/demo/feed_new_reports",  # a feed's own page: its entries, no Atom markup as text
    "/demo/feed_changes",
    "/demo/feed_search",
    "/demo/feed_search?q=forde",
]
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _reader_text(html: str) -> str:
    """What a reader reads of a page: without its head, tags' attributes, the folded SQL and <pre>."""
    body = html.split("<body", 1)[1]
    body = re.sub(r'<details class="nw-sql">.*?</details>', "", body, flags=re.S)
    body = re.sub(r"<pre\b.*?</pre>", "", body, flags=re.S)
    return unescape(re.sub(r"<[^>]*>", " ", body))


def _headers(html: str) -> list[str]:
    thead = html.split("<thead>", 1)[1].split("</thead>", 1)[0] if "<thead>" in html else ""
    return [
        unescape(re.sub(r"<[^>]*>", "", h)).replace("\xa0", " ").strip()
        for h in re.findall(r"<th\b.*?</th>", thead, re.S)
    ]


# -- 6. reader pages without SQL and internals ---------------------------------------------------------
@pytest.mark.parametrize("path", QUERY_PAGES)
def test_query_pages_read_as_pages_not_queries(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    text = _reader_text(r.text)
    for internal in ("Custom SQL query", "Run SQL", ":report_id", ":q ", " 0 results", ">0 results", "<p>"):
        assert internal not in text, internal
    assert not ISO_TIME.search(text), ISO_TIME.search(text)  # times are read as dates in words
    assert all("_" not in h for h in _headers(r.text)), _headers(r.text)  # columns in words
    # the SQL stays there for who looks for it, folded at the end
    sql = r.text.split('<details class="nw-sql">', 1)[1].split("</details>", 1)[0]
    assert "select" in sql and "<summary>The SQL behind this page</summary>" in sql


def test_a_page_about_one_report_names_it_instead_of_asking_for_its_id(client: Any) -> None:
    html = client.get(f"/demo/report_comments?report_id={REPORT}").text
    assert (
        f'Report: <a href="/demo/reports/{REPORT}">NEC Report – 23 January 2024</a> by Luke Akehurst' in html
    )
    assert 'name="report_id"' not in html  # no form: the page already shows its report
    assert "<title>Comments on a report · NEC Report – 23 January 2024 · demo</title>" in html
    assert "24 January 2024, 16:15" in html  # the first comment's time, in words
    form = client.get("/demo/report_comments").text  # no report given: a form asks for one
    assert 'name="report_id"' in form and "Nothing" not in _reader_text(form)


def test_an_empty_comment_search_is_a_form_not_zero_results(client: Any) -> None:
    html = client.get("/demo/search_comments").text
    assert '<form class="nw-search"' in html and 'name="q"' in html
    text = _reader_text(html)
    assert "0 results" not in text and "Nothing matches" not in text and "<table" not in html
    none = _reader_text(client.get("/demo/search_comments?q=zzzqqq").text)
    assert "Nothing matches zzzqqq." in none


@pytest.mark.parametrize(
    "path",
    # the search page is a list of results (READER), with no columns to explain
    [*QUERY_PAGES[:3], "/demo/reports_list?is_nec_report=1", "/demo/reports"],
)
def test_the_glossary_counts_the_columns_the_page_shows(client: Any, path: str) -> None:
    html = client.get(path).text
    m = re.search(r"What the (\d+) columns? mean", html)
    assert m, "no glossary"
    listed = re.findall(r'<dt data-column="([^"]*)">', html)
    assert int(m.group(1)) == len(listed) == len(_headers(html)), (m.group(1), listed, _headers(html))


def test_descriptions_are_words_not_parameters_or_markup(client: Any) -> None:
    html = client.get("/demo").text  # the database page lists every query with its description
    for internal in (":report_id", ":meeting", ":q,", ":q ", "&lt;p&gt;"):
        assert internal not in html, internal


def test_words_for_columns_and_dates() -> None:
    assert column_label("published_at") == "Published" and column_label("errors_7d") == "Errors in 7 days"
    assert column_label("some_new_column") == "Some new column"
    assert date_words("2024-01-23") == "23 January 2024"
    assert date_words("2020-01") == "January 2020"
    assert date_words("2024-01-24T13:37:00+00:00") == "24 January 2024, 13:37"
    for odd in ("", "not a date", "2024-13-01", "2024-1-5", "20240123"):
        assert date_words(odd) == odd  # never a crash, never an invented date
    assert short_url("https://www.example.org/a") == "example.org/a"
    assert short_url("https://example.org/" + "x" * 80).endswith("…")


# -- 7. layout -----------------------------------------------------------------------------------------
def test_body_images_become_clean_placeholder_links() -> None:
    html = page_html(
        '<p>Before<img src="https://cdn.example/a.jpg?w=1&amp;h=2" alt="The NEC, at work">after</p>'
    )
    assert "<img" not in html
    assert (
        '<a class="nw-img" href="https://cdn.example/a.jpg?w=1&amp;h=2" rel="noopener noreferrer nofollow">'
        "Image: The NEC, at work</a>" in html
    )
    # inside a link: text only (never a link in a link); a file name is not a description
    linked = page_html(
        '<a href="https://x.example/">go <img src="https://x.example/img_9901.jpg" alt="img_9901"></a>'
    )
    assert linked.count("<a ") == 1 and '<span class="nw-img">Image</span>' in linked
    # hostile alt text stays text
    hostile = page_html('<img src="https://x.example/i.png" alt="&quot;&gt;<script>alert(1)</script>">')
    assert "<script" not in hostile and "Image: &quot;&gt;&lt;script&gt;" in hostile
    assert page_html('<img src="javascript:alert(1)" alt="x y">') == '<span class="nw-img">Image: x y</span>'


def test_report_page_shows_an_image_as_a_placeholder_and_dates_in_words(client: Any, demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    (report_id,) = conn.execute(
        "select id from reports where body_html like '%<img%' order by id limit 1"
    ).fetchone()
    html = client.get(f"/demo/reports/{report_id}").text
    body = html.split('id="report-body"', 1)[1].split("</div>", 1)[0]
    assert "<img" not in body and 'class="nw-img"' in body
    report = client.get(f"/demo/reports/{REPORT}").text
    assert "published 24 January 2024" in report and "meeting of <a" in report
    assert ">23 January 2024</a>" in report


def test_meeting_page_says_where_a_report_was_published_not_its_sources_short_name(client: Any) -> None:
    html = client.get("/demo/meeting_reports?meeting=2024-01-23").text
    assert "Published on" not in html and ">luke-akehurst<" not in html
    assert "lukeakehurst.blogspot.com/2024/01/" in html and "24 January 2024, 13:37" in html
    two = client.get("/demo/meeting_reports?meeting=2017-07").text  # a month: no "days after"
    row = two.split('<tr class="col-days_after_meeting">', 1)[1].split("</tr>", 1)[0]
    # each empty value shown, none collapsed (the full meeting's reports; its sub-committees are
    # a meeting of their own in the minutes)
    assert row.count("<td") >= 1 and row.count('class="nw-empty"') == row.count("<td")


# -- 8. feeds ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/demo",
        "/demo/latest_reports",
        f"/demo/reports/{REPORT}",
        "/demo/reports_list",
        "/demo/search_reports",
    ],
)
def test_every_page_offers_the_sites_feeds(client: Any, path: str) -> None:
    html = client.get(path).text
    head = html.split("</head>", 1)[0]
    links = re.findall(
        r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">', head
    )
    assert ("New NEC reports", "/demo/feed_new_reports.atom") in links
    assert ("Edits, removals and comments", "/demo/feed_changes.atom") in links


def test_search_results_offer_their_feed_and_it_is_titled_by_the_search(client: Any) -> None:
    html = client.get("/demo/search_reports?q=forde").text
    head = html.split("</head>", 1)[0]
    first = re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">', head
    )
    assert first and unescape(first.group(2)) == "/demo/feed_search.atom?q=forde"
    assert unescape(first.group(1)) == "necwatch: reports matching \u201cforde\u201d"
    m = re.search(r'<a class="nw-feed-link" href="([^"]*)">Subscribe to this search</a>', html)
    assert m and unescape(m.group(1)) == "/demo/feed_search.atom?q=forde"
    r = client.get(unescape(m.group(1)))
    assert r.headers["content-type"] == ATOM
    feed = feedparser.parse(r.content)
    assert not feed.bozo and feed.feed.title == "necwatch: reports matching \u201cforde\u201d"
    assert {e.title for e in feed.entries} >= {"NEC Report – 23 January 2024", "NEC Report – 28 March 2023"}


def test_a_page_with_its_own_feed_offers_it_first(client: Any) -> None:
    ds = client.ds
    token = _request_path.set("/demo/people/jennie-formby")
    try:
        feeds = page_feeds(ds, "demo", None)
    finally:
        _request_path.reset(token)
    assert feeds[0] == {"href": "/demo/people/jennie-formby.atom", "title": "This person in the reports"}
    token = _request_path.set("/demo/decisions_list")
    try:
        assert page_feeds(ds, "demo", None)[0]["href"] == "/demo/decisions_list.atom"
    finally:
        _request_path.reset(token)
    token = _request_path.set("/demo/people/jennie-formby.json")  # not a page
    try:
        assert [f["href"] for f in page_feeds(ds, "demo", None)] == [
            "/demo/feed_new_reports.atom",
            "/demo/feed_changes.atom",
        ]
    finally:
        _request_path.reset(token)


@pytest.mark.parametrize(
    "path", ["/demo/feed_new_reports.atom", "/demo/feed_changes.atom", "/demo/feed_search.atom?q=nec"]
)
def test_feeds_are_served_as_atom(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == ATOM
    assert not feedparser.parse(r.content).bozo


@pytest.mark.parametrize("q", ["", "   ", "zzzqqqnothing"])
def test_a_search_feed_with_nothing_in_it_has_no_placeholder_entry(client: Any, q: str) -> None:
    r = client.get("/demo/feed_search.atom", params={"q": q})
    assert r.status_code == 200 and r.headers["content-type"] == ATOM
    feed = feedparser.parse(r.content)
    assert not feed.bozo and feed.entries == []
    assert "2000-01-01" not in r.text and "Nothing here yet" not in r.text
    assert feed.feed.title == search_feed_title(q)
    assert feed.feed.title == ("necwatch: a saved search with no words" if not q.strip() else
                               "necwatch: reports matching \u201czzzqqqnothing\u201d")  # fmt: skip


def test_a_hostile_search_cannot_break_its_feed_title(client: Any) -> None:
    q = "</title><script>alert(1)</script> & \x1b"
    r = client.get("/demo/feed_search.atom", params={"q": q})
    feed = feedparser.parse(r.content)
    assert not feed.bozo and "<script>" not in r.text
    assert feed.feed.title == "necwatch: reports matching \u201c</title><script>alert(1)</script> &\u201d"


def test_comment_removed_entries_link_where_the_comment_was(client: Any, demo_db: Path) -> None:
    feed = feedparser.parse(client.get("/demo/feed_changes.atom").content)
    static = feedparser.parse((demo_db.parent / "feeds" / "changes.atom").read_bytes())
    for entries in (feed.entries, static.entries):
        removed = [e for e in entries if "omment removed" in e.title]
        assert removed, [e.title for e in entries]
        for e in removed:
            alternates = [link.href for link in e.links if link.get("rel") == "alternate"]
            assert alternates and alternates[0].startswith("https://aliceperry.wordpress.com/"), e.links
    (entry,) = [e for e in static.entries if "omment removed" in e.title]
    assert entry.title == "Comment removed"  # not "Comment removed: Comment removed"
    assert '<a href="https://aliceperry.wordpress.com/' in entry.summary


# -- 9. the home page -----------------------------------------------------------------------------------
HOME_LINKS = {
    "Latest reports": "/demo/latest_reports",
    "Meetings": "/demo/meetings",
    "Decisions": "/demo/decisions_list",
    "People": "/demo/people",
    "Search": "/demo/search_reports",
    "Feeds": "#nw-feeds-demo",
    "Edited reports": "/demo/edited_reports",
    "Removed reports": "/demo/removed_reports",
}


def test_home_page_says_what_necwatch_is_and_where_to_go(client: Any) -> None:
    html = client.get("/").text
    text = " ".join(_reader_text(html).split())
    assert "National Executive Committee" in text and "held in private" in text and "minutes" in text
    links = {
        unescape(re.sub(r"<[^>]*>", "", t)).strip(): h
        for h, t in re.findall(r'<a href="([^"]*)">(.*?)</a>', html)
    }
    for name, href in HOME_LINKS.items():
        assert links.get(name) == href, (name, links.get(name))
    assert 'id="nw-feeds-demo"' in html  # where "Feeds" leads
    meeting = (
        r'<a href="/demo/meeting_reports\?meeting=2024-01-23" title="Reported by ([^"]*)">23 January 2024</a>'
    )
    m = re.search(meeting, html)
    assert m and m.group(1) == "Luke Akehurst, Alex Fixture"


# -- in a real browser ----------------------------------------------------------------------------------
WIDE_PAGES = [
    "/",
    "/demo",
    "/demo/latest_reports",
    "/demo/meetings",
    "/demo/meeting_reports?meeting=2024-01-23",
    "/demo/meeting_reports?meeting=2017-07",
    "/demo/coverage",
    "/demo/search_reports?q=Forde",
    "/demo/reports_list?is_nec_report=1",
    f"/demo/report_history?report_id={REPORT}",
    f"/demo/report_comments?report_id={REPORT}",
    "/demo/search_comments?q=lottery",
    "/demo/recent_alerts",
    "/demo/source_health",
]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_no_page_scrolls_sideways_at_390_or_1280_px(server: str, demo_db: Path) -> None:  # noqa: F811
    """Every reader page, and every report page (long links in the bodies), fits a 390 px phone and a
    1280 px screen: the document is never wider than the window (grids scroll inside their wrapper)."""
    from playwright.sync_api import sync_playwright

    reports = [f"/demo/reports/{r}" for (r,) in sqlite3.connect(demo_db).execute("select id from reports")]
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide: list[tuple[int, str, int]] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            for path in WIDE_PAGES + reports:
                page.goto(server + path)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    wide.append((width, path, scroll))
            for name, path in (
                ("home", "/"),
                ("report", f"/demo/reports/{REPORT}"),
                ("comments", WIDE_PAGES[10]),
            ):
                page.goto(server + path)
                page.screenshot(path=str(SHOTS / f"chrome-{name}-{width}.png"))
            page.close()
        browser.close()
    assert wide == [], wide
    assert problems == [], problems


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_titles_and_comments_get_the_width(server: str) -> None:  # noqa: F811
    """At 1280 px a title column is wider than the address beside it, a comment's text is readable
    (not a 150 px column), and a body image is a boxed link, not a broken icon."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server + "/demo/latest_reports")
        title = page.locator("td.col-title").first.bounding_box()
        url = page.locator("td.col-canonical_url").first.bounding_box()
        assert title and url and title["width"] >= 200 and title["width"] > url["width"], (title, url)
        page.goto(server + f"/demo/report_comments?report_id={REPORT}")
        text = page.locator("td.col-body_html").first.bounding_box()
        assert text and text["width"] >= 300, text
        page.goto(server + "/demo/reports/33fe31f9897f9f6a")  # a report with a photo in its body
        assert page.locator("#report-body img").count() == 0
        placeholder = page.locator("#report-body .nw-img").first
        assert placeholder.inner_text().startswith("Image: ")
        box = placeholder.bounding_box()
        assert box and box["height"] < 60  # a line, not a 300×225 hole
        browser.close()


def test_hostile_rows_and_words_stay_text_on_the_pages_in_words(client_for: Any, hostile_db: Path) -> None:  # noqa: F811
    """The pages this file changed, over the hostile rows of test_feeds_xss (a report whose title,
    author, body, comment and alert are payloads) and hostile search words: nothing executable."""
    from .scan import html_payloads

    c = client_for(hostile_db)
    q = "\"><script>alert('q')</script>"
    for path, params in [
        ("/demo/report_comments", {"report_id": "evil"}),
        ("/demo/report_history", {"report_id": "evil"}),
        ("/demo/recent_alerts", {}),
        ("/demo/latest_reports", {}),
        ("/demo/search_reports", {"q": q}),
        ("/demo/search_comments", {"q": q}),
        ("/demo/feed_search", {"q": q}),
        ("/demo/feed_changes", {}),
        ("/demo/reports/evil", {}),
    ]:
        r = c.get(path, params=params)
        assert r.status_code == 200, path
        assert html_payloads(r.text) == [], path
    named = c.get("/demo/report_comments", params={"report_id": "evil"}).text
    assert 'Report: <a href="/demo/reports/evil">&lt;script&gt;' in named  # the title, as text
