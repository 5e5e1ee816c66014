"""necwatch's own pages for a report, a meeting and the coverage grid (plugin routes in front of
Datasette's generic views), and the canned queries served by the plugin instead of the metadata."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from necwatch.publish import build_datasette, split_queries, write_bundle
from necwatch.publish.metadata import build_metadata
from necwatch.publish.plugin import date_words

from .conftest import Client
from .test_serve import REPORT


def test_report_page_lists_every_field_with_links(client: Any) -> None:
    html = client.get(f"/demo/reports/{REPORT}").text
    fields = dict(
        re.findall(r'<tr><th scope="row">(.*?)</th><td class="col-[^"]*">(.*?)</td></tr>', html, re.S)
    )
    columns = [
        r[1] for r in sqlite3.connect(client.ds.databases["demo"].path).execute("pragma table_info(reports)")
    ]
    assert list(fields) == columns  # every column, in the table's order
    assert fields["id"] == REPORT and fields["author"] == "Luke Akehurst"
    assert fields["body_html"] == '<a href="#report-body">shown above</a>'
    assert len(fields["body_text"]) < 260 and fields["body_text"].endswith(" …")  # the body is above
    assert fields["canonical_url"].startswith('<a href="https://')
    assert f'href="/demo/reports/{REPORT}.json"' in html and f'href="/demo/alerts?report_id={REPORT}"' in html
    assert "<title>NEC Report – 23 January 2024 · demo</title>" in html


def test_report_page_json_and_missing_reports_stay_datasettes(client: Any) -> None:
    data = client.get(f"/demo/reports/{REPORT}.json?_shape=objects").json()
    assert data["rows"][0]["id"] == REPORT
    missing = client.get("/demo/reports/no-such-report")
    assert missing.status_code == 404 and "Report not found" in missing.text


def test_a_database_that_is_not_necwatchs_keeps_datasettes_pages(tmp_path: Path) -> None:
    """The plugin is registered process-wide: another database's `reports` and `coverage` tables
    are Datasette's row and table pages, not necwatch's."""
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table reports (id text primary key, title text)")
    conn.execute("create table coverage (id integer primary key, area text)")
    conn.execute("insert into reports values ('x1', 'Quarterly figures')")
    conn.execute("insert into coverage values (1, 'North')")
    conn.commit()
    conn.close()
    from datasette.app import Datasette

    c = Client(Datasette(files=[str(other)]))
    try:
        row = c.get("/other/reports/x1")
        assert row.status_code == 200 and "Quarterly figures" in row.text and "nw-report" not in row.text
        table = c.get("/other/coverage")
        assert table.status_code == 200 and "North" in table.text and "nw-coverage" not in table.text
    finally:
        c.close()


def test_meeting_page_for_an_unknown_meeting_says_so(client: Any) -> None:
    html = client.get("/demo/meeting_reports?meeting=2031-02-03").text
    assert "No report of an NEC meeting on 2031-02-03 is stored." in html
    assert 'class="nw-side-by-side' not in html
    assert 'href="/demo/meeting_reports.json?meeting=2031-02-03"' in html


def test_coverage_grid_links_each_meeting_and_matches_its_json(client: Any) -> None:
    data = client.get("/demo/coverage.json?_shape=objects").json()["rows"]
    html = client.get("/demo/coverage").text
    body = html.split('<table class="rows-and-columns nw-coverage">', 1)[1].split("</table>", 1)[0]
    trs = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    assert len(trs) == len(data) > 3  # one row per meeting, as the query answers
    first = re.findall(r'<td class="col-([^"]*)">(.*?)</td>', trs[0], re.S)
    date = data[0]["meeting_date"]
    link = f'<a href="/demo/meeting_reports?meeting={date}">{date_words(date)}</a>'
    assert first[0] == ("meeting_date", link)
    assert [v for _, v in first[1:]] == ["" if v is None else str(v) for v in list(data[0].values())[1:]]
    assert "latest 1,000" not in html  # not truncated


def test_coverage_grid_says_when_it_shows_only_the_latest_meetings(db_copy: Path) -> None:
    conn = sqlite3.connect(db_copy)
    conn.executemany(
        "insert into reports (id, title, author, meeting_date, published_at, is_nec_report) "
        "values (?, 'Report', 'Luke Akehurst', ?, ?, 1)",
        [(f"m{i:04d}", f"{1900 + i // 12:04d}-{i % 12 + 1:02d}", "2020-01-01") for i in range(30)],
    )
    conn.commit()
    conn.close()
    ds = build_datasette(db_copy)
    ds.max_returned_rows = 20  # a small cap instead of 1,000 meetings
    c = Client(ds)
    try:
        html = c.get("/demo/coverage").text
        assert "The latest 20 meetings (there are more" in html
        assert html.count('<td class="col-meeting_date">') == 20
    finally:
        c.close()


def test_canned_queries_come_from_the_plugin_not_the_metadata(client: Any, tmp_path: Path) -> None:
    """Datasette deep-copies its metadata on every permission check: only the small feed queries
    (whose titles datasette-atom reads there) stay in it; a deployment reads the rest from a file
    beside the plugin, and every query is still served."""
    meta, queries = split_queries(build_metadata("demo", authors=["A"]))
    assert set(meta["databases"]["demo"]["queries"]) == {"feed_new_reports", "feed_changes", "feed_search"}
    assert {"meeting_reports", "coverage", "search_reports"} <= set(queries["demo"])
    bundle = write_bundle(client.ds.databases["demo"].path, tmp_path / "bundle", database="demo")
    written = json.loads((bundle["plugins"] / "necwatch_queries.json").read_text())
    assert written["demo"]["coverage"]["title"] == "Who reported on which meeting"
    assert "coverage" not in json.loads(bundle["metadata"].read_text())["databases"]["demo"].get(
        "queries", {}
    )
    assert client.get("/demo/search_reports?q=forde").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/demo/coverage",
        "/demo/meeting_reports?meeting=2024-01-23",  # the minutes
        "/demo/meeting_reports?meeting=1999-01-01",  # no minutes: the reports side by side
        "/demo/decisions_list",
        "/demo/meetings",
    ],
)
def test_reader_pages_respect_a_deny_rule(demo_db: Path, path: str) -> None:
    """The pages keep Datasette's permission checks: a database closed to everyone is closed."""
    meta = build_metadata("demo", authors=["Luke Akehurst"])
    meta["databases"]["demo"]["allow"] = False
    c = Client(build_datasette(demo_db, metadata=meta))
    try:
        assert c.get(path).status_code == 403
        assert c.get(f"/demo/reports/{REPORT}").status_code == 403
    finally:
        c.close()


def test_search_page_without_words_is_the_form_and_without_matches_says_so(client: Any) -> None:
    empty = client.get("/demo/search_reports").text
    assert 'action="/demo/search_reports"' in empty and 'name="q"' in empty
    assert "match" not in empty.split("</form>", 1)[1].split('<details class="nw-glossary"', 1)[0]
    none = client.get("/demo/search_reports", params={"q": "zyzzyva <b>"}).text
    assert "No report matches zyzzyva &lt;b&gt;." in none and 'value="zyzzyva &lt;b&gt;"' in none


def test_search_page_lists_linked_titles_and_highlighted_passages(client: Any) -> None:
    found = client.get("/demo/search_reports.json?q=trigger+ballots&_shape=objects").json()["rows"]
    html = client.get("/demo/search_reports?q=trigger+ballots").text
    table = html.split('<ol class="nw-results"', 1)[1].split("</ol>", 1)[0]  # a list of results
    assert len(re.findall(r'<li class="nw-result', table)) == len(found)
    assert "matches" not in table  # the count is said once, above the list
    assert f'<a href="/demo/reports/{found[0]["report_id"]}">{found[0]["title"]}</a>' in table
    assert "<mark>trigger</mark>" in table.lower() or "<mark>ballots</mark>" in table.lower()
    assert 'href="/demo/search_reports.json?q=trigger+ballots"' in html
