"""The served instance over HTTP, in-process: pages, JSON, search, canned queries, facets, read-only."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from necwatch.publish.metadata import MEETING_LABELS, build_metadata
from necwatch.publish.plugin import date_words, fts_query

REPORT = "5d2fed3db43821ad"  # NEC Report – 23 January 2024, Luke Akehurst, 3 comments


def test_home_page_links_search_feeds_and_queries(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200
    links = ["/demo/search_reports", "/demo/feed_new_reports.atom", "/demo/feed_changes.atom",
             "/demo/latest_reports", "/demo/coverage", "/demo/source_health",
             "/demo/recent_alerts"]  # fmt: skip
    for href in links:
        assert f'href="{href}"' in r.text or f'action="{href}"' in r.text, href
    assert "necwatch.css" in r.text
    assert client.get("/necwatch-static/necwatch.css").status_code == 200


def test_database_page_has_the_same_intro(client: Any) -> None:
    r = client.get("/demo")
    assert r.status_code == 200
    assert 'action="/demo/search_reports"' in r.text


def test_reports_table_json_sorted_and_facets_where_they_are_cheap(client: Any) -> None:
    data = client.get("/demo/reports.json?_shape=objects").json()
    assert data["filtered_table_rows_count"] == 25  # with the demo's second reporter
    dates = [row["published_at"] for row in data["rows"]]
    assert dates == sorted(dates, reverse=True)
    # No configured facets on the table a search filters (a common word matches every report and a
    # facet would read every match), nor suggested ones; the listing view has them.
    assert data["facet_results"] == {} and data["suggested_facets"] == []
    searched = client.get("/demo/reports.json?_search=labour&_shape=objects").json()
    assert searched["facet_results"] == {} and searched["filtered_table_rows_count"] > 10
    facets = client.get("/demo/reports_list.json?_shape=objects").json()["facet_results"]
    assert {"author", "source", "meeting_kind", "meeting_year"} <= set(facets)
    authors = {f["value"]: f["count"] for f in facets["author"]["results"]}
    assert authors["Alice Perry"] == 10 and authors["Luke Akehurst"] == 9


def test_reports_list_view_facets_by_meeting_year(client: Any) -> None:
    data = client.get("/demo/reports_list.json?is_nec_report=1&_shape=objects").json()
    assert "body_text" not in data["columns"] and "body_html" not in data["columns"]
    years = {f["value"]: f["count"] for f in data["facet_results"]["meeting_year"]["results"]}
    assert years["2017"] == 3 and years["2020"] == 3
    assert len(data["rows"]) == 14


def test_listing_truncates_bodies_html(client: Any) -> None:
    r = client.get("/demo/reports")
    assert r.status_code == 200
    assert "Forde’s 165 recommendations have been completed" not in r.text  # deep in a 15 KB body


@pytest.mark.parametrize(
    ("path", "expect"),
    [
        ("/demo/reports.json?_search=forde&_shape=objects", "Forde"),
        ("/demo/search_reports.json?q=forde&_shape=objects", "NEC Report"),
        ("/demo/search_reports.json?q=Forde+report&_shape=objects", "NEC Report"),
        ("/demo/comments.json?_search=lottery&_shape=objects", "lottery"),
        ("/demo/search_comments.json?q=lottery&_shape=objects", "lottery"),
    ],
)
def test_search_hits(client: Any, path: str, expect: str) -> None:
    rows = client.get(path).json()["rows"]
    assert rows, path
    assert any(expect.lower() in str(row).lower() for row in rows)


def test_search_never_errors_on_odd_input(client: Any) -> None:
    for q in ['"unbalanced', "NEAR(", "-", "a AND", "*", "'; drop table reports; --"]:
        r = client.get("/demo/search_reports.json", params={"q": q})
        assert r.status_code == 200, (q, r.text[:200])
    assert fts_query('forde "report" nec*') == '"forde" "report" "nec"*'


def test_search_snippet_is_highlighted_and_escaped(client: Any) -> None:
    r = client.get("/demo/search_reports?q=forde")
    assert "<mark>Forde</mark>" in r.text or "<mark>forde</mark>" in r.text.lower()


CANNED = [
    ("latest_reports", {}, 13),
    ("meeting_reports", {"meeting": "2019-09-17"}, 1),
    ("coverage", {}, 10),
    ("report_history", {"report_id": REPORT}, 2),
    ("report_comments", {"report_id": REPORT}, 3),
    ("source_health", {}, 4),
    ("recent_alerts", {}, 22),
    ("search_reports", {"q": "conference"}, 1),
    ("search_comments", {"q": "report"}, 1),
    ("feed_new_reports", {}, 13),
    ("feed_changes", {}, 8),
    ("feed_search", {"q": "forde"}, 1),
    ("unmatched", {}, 0),  # the names the records matched to no one (tests/record/test_store_record.py)
    ("edited_reports", {}, 1),  # the demo's one edit (tests/publish/test_reader_fixes.py)
    ("removed_reports", {}, 1),  # the demo's report removed, then back
]


@pytest.mark.parametrize(("name", "params", "at_least"), CANNED)
def test_every_canned_query_runs(client: Any, name: str, params: dict[str, str], at_least: int) -> None:
    data = client.get(f"/demo/{name}.json", params={**params, "_shape": "objects"}).json()
    assert data.get("ok", True) and not data.get("error"), data
    assert len(data["rows"]) >= at_least, (name, len(data["rows"]))
    html = client.get(f"/demo/{name}", params=params)
    assert html.status_code == 200


def test_every_canned_query_is_tested() -> None:
    queries = build_metadata("demo", authors=["A"])["databases"]["demo"]["queries"]
    assert set(queries) == {name for name, _, _ in CANNED}


def test_coverage_grid_has_a_column_per_member(client: Any) -> None:
    data = client.get("/demo/coverage.json?_shape=objects").json()
    assert {"Alice Perry", "Luke Akehurst", "Johanna Baxter"} <= set(data["columns"])
    row = next(r for r in data["rows"] if r["meeting_date"] == "2024-01-23")
    assert row["Luke Akehurst"] == "1 d"
    assert row["Alice Perry"] is None


def test_meeting_page_puts_the_reports_side_by_side_with_links(client: Any) -> None:
    data = client.get("/demo/meeting_reports.json?meeting=2024-01-23&_shape=objects").json()
    row, second = data["rows"]  # in order of publication: the second is the demo's second reporter
    assert (row["author"], row["source"], row["report_id"]) == ("Luke Akehurst", "luke-akehurst", REPORT)
    assert (second["author"], second["source"]) == ("Alex Fixture", "labourlist")
    assert row["days_after_meeting"] == 1 and row["length_words"] > 500 and row["versions"] == 2
    r = client.get("/demo/meeting_reports?meeting=2024-01-23")
    assert f'<a href="/demo/reports/{REPORT}">NEC Report – 23 January 2024</a>' in r.text
    assert f'<a href="/demo/report_history?report_id={REPORT}">2 versions</a>' in r.text
    assert f'<a href="/demo/report_comments?report_id={REPORT}">3 comments</a>' in r.text
    assert "days_after_meeting" in r.text and "length_words" in r.text  # labelled columns


def test_meetings_are_linked_from_the_meetings_view_coverage_and_reports(client: Any) -> None:
    meeting = 'href="/demo/meeting_reports?meeting=2024-01-23"'
    for path in ("/demo/meetings", "/demo/coverage", "/demo/reports", f"/demo/reports/{REPORT}", "/"):
        assert meeting in client.get(path).text, path


def test_titles_link_to_report_pages_and_alerts_to_their_diff(client: Any) -> None:
    assert (
        f'<a href="/demo/reports/{REPORT}">NEC Report – 23 January 2024</a>'
        in client.get("/demo/latest_reports").text
    )
    found = client.get("/demo/search_reports.json?q=trigger+ballots&_shape=objects").json()["rows"][0]
    link = f'<a href="/demo/reports/{found["report_id"]}">{found["title"]}</a>'
    assert link in client.get("/demo/search_reports?q=trigger+ballots").text
    alerts = client.get("/demo/recent_alerts").text
    assert f'<a href="/demo/report_history?report_id={REPORT}">diff</a>' in alerts
    table = client.get("/demo/alerts?kind=report_edited").text
    assert f'href="/demo/reports/{REPORT}"' in table  # alerts.report_id is a foreign key


def test_edited_reports_link_shows_the_edits(client: Any) -> None:
    home = client.get("/").text
    assert 'href="/demo/edited_reports"' in home
    data = client.get("/demo/edited_reports.json?_shape=objects").json()
    assert [r["report_id"] for r in data["rows"]] == [REPORT]


def test_diff_page_gives_the_diff_the_width(client: Any) -> None:
    r = client.get(f"/demo/report_history?report_id={REPORT}")
    assert 'class="nw-diff"' in r.text and "[Edited in the necwatch demo" in r.text
    assert "content_hash" not in r.text


def test_canned_query_pages_are_titled_not_their_sql(client: Any) -> None:
    r = client.get("/demo/search_reports?q=forde")
    title = r.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Search reports") and "select" not in title


def test_empty_paragraphs_are_dropped() -> None:
    from necwatch.publish.plugin import sanitize

    assert sanitize("<p>One</p><p><br></p><p>&nbsp;</p>\n<p> <br/> </p><p>Two</p>") == "<p>One</p><p>Two</p>"


def test_report_page_body_and_links(client: Any) -> None:
    r = client.get(f"/demo/reports/{REPORT}")
    assert r.status_code == 200
    assert 'id="report-body"' in r.text
    assert re.search(r'<p><span class="nw-para" id="p[0-9a-f]{10}">The NEC meeting on 23 January', r.text)
    post_url = client.get(f"/demo/posts.json?report_id={REPORT}&_shape=objects").json()["rows"][0]["url"]
    assert f'href="{post_url}"' in r.text
    assert f'href="/demo/report_history?report_id={REPORT}"' in r.text
    assert f'href="/demo/report_comments?report_id={REPORT}"' in r.text
    assert 'href="/demo/meeting_reports?meeting=2024-01-23"' in r.text
    assert r.text.count('class="nw-comment"') == 3


def test_csp_and_security_headers(client: Any) -> None:
    for path in (
        "/",
        "/demo/reports",
        f"/demo/reports/{REPORT}",
        "/demo/reports.json",
        "/demo/feed_new_reports.atom",
    ):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert h["x-content-type-options"] == "nosniff"


def test_no_sql_writes_over_http(client: Any, demo_db: Path) -> None:
    before = hashlib.sha256(demo_db.read_bytes()).hexdigest()
    for sql in ("delete from reports", "update reports set title = 'x'", "drop table reports",
                "insert into alerts (id) values ('x')"):  # fmt: skip
        r = client.get("/demo.json", params={"sql": sql})
        assert r.status_code >= 400 or r.json().get("ok") is False, sql
    r = client.post("/demo/latest_reports", data={"sql": "delete from reports"})
    assert r.status_code in (400, 403, 405)
    r = client.post("/demo", data={"sql": "delete from reports"})
    assert r.status_code in (400, 403, 405)
    assert client.get("/demo/reports.json").json()["filtered_table_rows_count"] == 25
    assert hashlib.sha256(demo_db.read_bytes()).hexdigest() == before


def test_live_database_opened_read_only(client: Any) -> None:
    db = client.ds.databases["demo"]
    assert db.is_mutable  # a scheduler may write: never immutable
    conn = db.connect()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("delete from reports")


def test_snapshot_served_immutable(client_for: Any, db_copy: Path) -> None:
    c = client_for(db_copy, immutable=True)
    assert not c.ds.databases["demo"].is_mutable
    assert c.get("/demo/reports.json").status_code == 200
    assert c.get("/demo.db").status_code == 200  # downloads only for snapshots


def test_public_deployment_disallows_arbitrary_sql(client_for: Any, db_copy: Path) -> None:
    c = client_for(db_copy, public=True)
    assert c.get("/demo.json", params={"sql": "select 1"}).status_code == 403
    assert c.get("/demo/latest_reports.json").status_code == 200


def test_fts_stays_in_sync_with_writes(db_copy: Path) -> None:
    from necwatch.store import Store

    store = Store.open(db_copy)
    db = store.db

    def hits(q: str) -> set[str]:
        return {r[0] for r in db.execute(
            "select r.id from reports_fts join reports r on r.rowid = reports_fts.rowid "
            "where reports_fts match ?", [q])}  # fmt: skip

    db["reports"].insert({"id": "new1", "title": "Zanzibar meeting", "body_text": "quokka", "author": "X"})
    assert hits("quokka") == {"new1"}
    db.execute("update reports set body_text = 'wombat' where id = 'new1'")
    assert hits("quokka") == set() and hits("wombat") == {"new1"}
    db.execute("update reports set comment_count = comment_count + 1 where id = 'new1'")
    assert hits("wombat") == {"new1"}
    db.execute("delete from reports where id = 'new1'")
    assert hits("wombat") == set()
    db["comments"].insert({"id": "c1", "body_text": "platypus", "author": "Y"})
    assert [r[0] for r in db.execute("select rowid from comments_fts where comments_fts match 'platypus'")]
    db.execute("insert into reports_fts (reports_fts) values ('integrity-check')")
    db.execute("insert into comments_fts (comments_fts) values ('integrity-check')")
    store.close()


def _rows_of(html: str) -> list[tuple[str, list[str]]]:
    """(row header, cells) of each <tr> with a <th scope="row">."""
    out = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        th = re.search(r'<th scope="row">(.*?)</th>', tr, re.S)
        if th:
            out.append(
                (th.group(1).strip(), [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
            )
    return out


def test_meeting_page_labels_every_value_even_with_one_report(client: Any) -> None:
    # 28 March 2023: one report (23 January 2024 has two, with the demo's second reporter)
    (only,) = client.get("/demo/meeting_reports.json?meeting=2023-03-28&_shape=objects").json()["rows"]
    html = client.get("/demo/meeting_reports?meeting=2023-03-28").text
    rows = dict(_rows_of(html))
    assert list(rows) == list(MEETING_LABELS.values())  # every field labelled, in the query's order
    assert all(len(cells) == 1 for cells in rows.values())  # one report: one column of values
    # the minutes (issue 20) link the author to their person page
    assert [re.sub("<[^>]+>", "", a) for a in rows["Author"]] == ["Luke Akehurst"]
    assert rows["Days after the meeting"] == ["2"]
    assert rows["Report"] == [f'<a href="/demo/reports/{only["report_id"]}">NEC Report – 28 March 2023</a>']
    assert "<thead>" not in html.split('class="table-wrapper', 1)[1].split("</table>", 1)[0]


def test_meeting_page_puts_several_reports_side_by_side(client_for: Any, db_copy: Path) -> None:
    """A date with no minutes (issue 20 splits July 2017's full meeting from its sub-committees):
    every report of that date, side by side."""
    conn = sqlite3.connect(db_copy)
    if conn.execute("select 1 from sqlite_master where name = 'minutes'").fetchone():
        for table in ("minutes_items", "minutes_decisions", "minutes_sources", "minutes_disagreements",
                      "minutes_coverage", "minutes"):  # fmt: skip
            conn.execute(f"delete from {table} where meeting_id like '2017-07%'")
    conn.commit()
    conn.close()
    client = client_for(db_copy)
    data = client.get("/demo/meeting_reports.json?meeting=2017-07&_shape=objects").json()
    rows = dict(_rows_of(client.get("/demo/meeting_reports?meeting=2017-07").text))
    assert len(data["rows"]) == 2 and all(len(cells) == 2 for cells in rows.values())
    assert [re.sub("<[^>]+>", "", c) for c in rows["Report"]] == [r["title"] for r in data["rows"]]


def _glossary(html: str) -> list[str]:
    """The column names the page's glossary lists; asserts it is collapsed and after the data."""
    assert html.count("<dl") == 1 and 'class="column-descriptions"' not in html
    details = html.index('<details class="nw-glossary">')
    assert details > html.index('<table class="rows-and-columns')
    assert '<details class="nw-glossary" open' not in html
    return re.findall(r'<dt data-column="(.*?)">', html[details:])


@pytest.mark.parametrize(
    "path",
    ["/demo/reports_list?is_nec_report=1", "/demo/reports", "/demo/reports?_col=title&_col=author"],
)
def test_table_glossary_is_collapsed_after_the_data_and_lists_only_its_columns(
    client: Any, path: str
) -> None:
    shown = client.get(path.replace("?", ".json?", 1) if "?" in path else path + ".json").json()["columns"]
    listed = _glossary(client.get(path).text)
    assert listed and set(listed) == set(shown), set(listed) ^ set(shown)  # every column shown, no other


def test_canned_query_glossary_lists_only_the_querys_columns(client: Any) -> None:
    shown = client.get("/demo/report_history.json", params={"report_id": REPORT}).json()["columns"]
    listed = _glossary(client.get(f"/demo/report_history?report_id={REPORT}").text)
    assert set(listed) == set(shown)  # every column of report_history is described …
    assert "meeting_kind" not in listed and "author" not in listed  # … and none it does not show


@pytest.mark.parametrize("name", [n for n, _, _ in CANNED if not n.startswith("feed_")])
def test_every_canned_query_page_shows_its_title_not_its_sql(client: Any, name: str) -> None:
    params = next(p for n, p, _ in CANNED if n == name)
    query = build_metadata("demo", authors=["A"])["databases"]["demo"]["queries"][name]
    html = client.get(f"/demo/{name}", params=params).text
    # the meeting page is titled by the meeting it shows
    expected = {query["title"]}
    if name == "meeting_reports":  # the reports side by side, or its minutes (issue 20), date in words
        day = date_words(params["meeting"])
        expected = {f"NEC meeting of {day}", f"NEC meeting, {day}"}
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert h1 and unescape(h1.group(1).strip()) in expected
    title = unescape(html.split("<title>", 1)[1].split("</title>", 1)[0])
    assert title.startswith(unescape(h1.group(1).strip())) and "select" not in title.lower()
    assert 'id="sql-query"' not in html and "<textarea" not in html  # the SQL only behind "show"


def test_search_counts_every_match_says_so_and_pages(client_for: Any, db_copy: Path) -> None:
    """The search page counts every match (as the table search does) and, past 50, says which it
    shows and links the next page; page 2 holds the rest, nothing lost, nothing repeated."""
    conn = sqlite3.connect(db_copy)
    conn.executemany(
        "insert into reports (id, title, author, body_text, is_nec_report) values (?, ?, 'X', ?, 1)",
        [(f"w{i:03d}", f"Wombat report {i}", "the wombat motion was carried") for i in range(70)],
    )
    conn.commit()
    conn.close()
    c = client_for(db_copy)
    assert c.get("/demo/reports.json?_search=wombat").json()["filtered_table_rows_count"] == 70
    one = c.get("/demo/search_reports.json?q=wombat&_shape=objects").json()["rows"]
    two = c.get("/demo/search_reports.json?q=wombat&page=2&_shape=objects").json()["rows"]
    assert len(one) == 50 and len(two) == 20 and one[0]["matches"] == 70
    assert {r["report_id"] for r in one} | {r["report_id"] for r in two} == {f"w{i:03d}" for i in range(70)}
    html = c.get("/demo/search_reports?q=wombat").text
    assert "70 reports match, newest first: showing 1–50." in html
    assert '<a rel="next" href="?q=wombat&amp;page=2">Next page</a>' in html
    last = c.get("/demo/search_reports?q=wombat&page=2").text
    assert "showing 51–70." in last and 'rel="next"' not in last and 'rel="prev"' in last


def test_search_past_the_count_cap_says_more_than_and_still_pages(client_for: Any, db_copy: Path) -> None:
    """Matches are counted only up to the cap (an exact count of a common word's 100,000 matches
    timed out under load): past it the page says "more than", and the next pages still list the
    rest in order, nothing lost, nothing repeated, until a page is not full."""
    conn = sqlite3.connect(db_copy)
    conn.executemany(
        "insert into reports (id, title, author, body_text, is_nec_report) values (?, ?, 'X', ?, 1)",
        [(f"w{i:03d}", f"Wombat report {i}", "the wombat motion was carried") for i in range(120)],
    )
    conn.commit()
    conn.close()
    c = client_for(db_copy, metadata=build_metadata("demo", authors=["A"], search_count_cap=60))
    pages = [
        c.get(f"/demo/search_reports.json?q=wombat&page={p}&_shape=objects").json()["rows"] for p in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [50, 50, 20] and pages[0][0]["matches"] == 61  # counted to cap + 1
    assert {r["report_id"] for p in pages for r in p} == {f"w{i:03d}" for i in range(120)}
    html = c.get("/demo/search_reports?q=wombat&page=2").text
    assert "More than 60 reports match, newest first: showing 51–100." in html
    assert '<a rel="next" href="?q=wombat&amp;page=3">Next page</a>' in html
    last = c.get("/demo/search_reports?q=wombat&page=3").text
    assert "showing 101–120." in last and 'rel="next"' not in last and 'rel="prev"' in last


def test_search_snippet_is_the_passage_around_the_first_match() -> None:
    """The search page's snippet: words around the first match (any case, any ending the stemmer
    would match), every match in it marked, ellipses where the body goes on; never a mark taken
    from the stored text, and the start of the body when the match is in the title only."""
    from necwatch.publish.plugin import MARK_CLOSE, MARK_OPEN, snippet

    body = " ".join(f"w{i}" for i in range(100)) + " The Motion on LABOUR rules " + " ".join("x" * 50)
    out = snippet(body, "labour motions", words=10)
    assert out.startswith("…") and out.endswith("…")
    assert f"{MARK_OPEN}Motion{MARK_CLOSE} on {MARK_OPEN}LABOUR{MARK_CLOSE} rules" in out
    assert len(out.strip("…").split()) == 10
    assert snippet("relabour and labourers", "labour") == f"relabour and {MARK_OPEN}labourers{MARK_CLOSE}"
    assert snippet(f"a {MARK_OPEN}b{MARK_CLOSE} c", "zzz") == "a b c"
    assert snippet(None, "x") == "" and snippet("one two three", "") == "one two three"


def test_table_search_lists_matches_newest_stored_first_unless_sorted(client_for: Any, db_copy: Path) -> None:
    """A table search with no chosen order lists matches in FTS order (newest stored first, like the
    search page; sorting every match by published_at timed out at 100k); a chosen order is kept."""
    conn = sqlite3.connect(db_copy)
    conn.executemany(
        "insert into reports (id, title, author, body_text, published_at, is_nec_report) "
        "values (?, ?, 'X', ?, ?, 1)",
        [(f"w{i:03d}", f"Wombat {i}", "wombat", f"2020-01-{30 - i:02d}") for i in range(5)],
    )
    conn.commit()
    conn.close()
    c = client_for(db_copy)
    ids = [r["id"] for r in c.get("/demo/reports.json?_search=wombat&_shape=objects").json()["rows"]]
    assert ids == ["w004", "w003", "w002", "w001", "w000"]  # stored last first, not by published_at
    page = c.get("/demo/reports?_search=wombat")
    assert page.status_code == 200 and page.text.index("w004") < page.text.index("w000")
    by_title = c.get("/demo/reports.json?_search=wombat&_sort=title&_shape=objects").json()["rows"]
    ids = [r["id"] for r in by_title]
    assert ids == ["w000", "w001", "w002", "w003", "w004"]
    assert c.get("/demo/reports.json?_sort_desc=published_at").status_code == 200


def test_posts_show_which_are_excerpts_only(client: Any) -> None:
    """A post stored from a feed's excerpt is findable in Datasette: a facet and a described column."""
    page = client.get("/demo/posts")
    assert page.status_code == 200 and "is_excerpt" in page.text
    facets = client.get("/demo/posts.json", params={"_facet": "is_excerpt"}).json()["facet_results"]
    assert "is_excerpt" in facets
    columns = build_metadata("demo")["databases"]["demo"]["tables"]["posts"]["columns"]
    assert "excerpt" in columns["is_excerpt"]
