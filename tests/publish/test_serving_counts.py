"""Serving at scale (issue 20, "Serving, like for like"): a page's counts kept until the database
changes (plugin.keep_counts), the decisions page's search through its full-text index (migration
17, kept by triggers as the minutes are rewritten) and its LIKE search on a database without it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from necwatch.publish.plugin import keep_counts
from tests.publish.minutes_rows import clear_minutes
from tests.publish.test_record_pages import _text, minutes_db  # noqa: F401 - the fixture


def _rows_shown(html: str) -> int:
    m = re.search(r"([\d,]+) rows?\b", _text(html))
    assert m, "no row count on the page"
    return int(m.group(1).replace(",", ""))


def test_counts_are_kept_until_the_database_changes(db_copy: Path, client_for: Any) -> None:
    c = client_for(db_copy)
    db = c.ds.databases["demo"]
    kept = db._necwatch_counts
    first = c.get("/demo/reports_list")
    assert first.status_code == 200
    n = _rows_shown(first.text)
    counted = {k: v for k, v in kept.items() if k[0].lstrip().startswith("select count(*)")}
    facets = [k for k in kept if " as value, count(*) as count from (" in k[0]]
    assert counted and len(facets) == 4  # the count and the view's four facets
    again = c.get("/demo/reports_list")
    assert _rows_shown(again.text) == n
    assert all(kept[k][1] is v[1] for k, v in counted.items())  # answered from the cache
    conn = sqlite3.connect(db_copy)  # another process writes (a poll): the next page counts again
    conn.execute(
        "insert into reports (id, title, author, published_at, is_nec_report, version, content_hash) "
        "values ('r-new', 'NEC report', 'Zed Newcomer', '2026-01-01T10:00:00+00:00', 1, 1, 'v1:new')"
    )
    conn.commit()
    conn.close()
    after = c.get("/demo/reports_list")
    assert _rows_shown(after.text) == n + 1
    assert all(kept[k][1] is not v[1] for k, v in counted.items())  # counted again
    assert all(kept[k][0] != counted[k][0] for k in counted)  # under the file's new state


def test_only_counting_queries_of_file_databases_are_kept(db_copy: Path, client_for: Any) -> None:
    class Memory:  # an in-memory database has no file whose state says it is unchanged
        path = None

        async def execute(self, sql: str, params: Any = None) -> str:
            return sql

    memory = Memory()
    keep_counts(memory)
    assert getattr(memory, "_necwatch_counts", None) is None
    client = client_for(db_copy)
    db = client.ds.databases["demo"]
    before = dict(db._necwatch_counts)
    client.get("/demo/reports?_size=1")
    new = set(db._necwatch_counts) - set(before)
    assert new and all(k[0].lstrip().startswith("select count(*)") for k in new)  # not the page's rows


def _fts_words(conn: sqlite3.Connection) -> dict[tuple[str, int], str]:
    return {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            "select d.meeting_id, d.position, f.words from minutes_decisions d "
            "join minutes_decisions_fts f on f.rowid = d.rowid"
        )
    }


def test_the_decisions_index_follows_the_minutes(minutes_db: Path) -> None:  # noqa: F811
    conn = sqlite3.connect(minutes_db)
    total = conn.execute("select count(*) from minutes_decisions").fetchone()[0]
    words = _fts_words(conn)
    assert total and len(words) == total
    assert conn.execute("select count(*) from minutes_decisions_fts").fetchone()[0] == total
    for (meeting, position), text in words.items():  # the summary, the item's title, every quote
        summary, title = conn.execute(
            "select d.summary, i.title from minutes_decisions d left join minutes_items i "
            "on i.meeting_id = d.meeting_id and i.position = d.item_position "
            "where d.meeting_id = ? and d.position = ?",
            [meeting, position],
        ).fetchone()
        assert summary in text and (title or "") in text
        for (quote,) in conn.execute(
            "select quote from minutes_sources where meeting_id = ? and decision_position = ?",
            [meeting, position],
        ):
            assert quote in text
    # a reporter's quote changes, then the meeting is rewritten without it: the index follows
    meeting, position = next(iter(words))
    conn.execute(
        "update minutes_sources set quote = 'The zeugmatic amendment fell.' "
        "where meeting_id = ? and decision_position = ?",
        [meeting, position],
    )
    match = "select count(*) from minutes_decisions_fts where minutes_decisions_fts match ?"
    assert conn.execute(match, ["zeugmatic"]).fetchone()[0] == 1
    clear_minutes(conn, meeting)
    assert conn.execute(match, ["zeugmatic"]).fetchone()[0] == 0
    left = conn.execute("select count(*) from minutes_decisions").fetchone()[0]
    assert conn.execute("select count(*) from minutes_decisions_fts").fetchone()[0] == left < total
    conn.close()


def test_decisions_search_finds_words_and_their_beginnings(minutes_db: Path, client_for: Any) -> None:  # noqa: F811
    c = client_for(minutes_db)
    for q in ("safeguarding", "safeguard", "SAFEGUARDING policies", '"safeguarding'):
        text = _text(c.get("/demo/decisions_list", params={"q": q}).text)
        assert "1 decision match" in text and "a suite of new safeguarding policies" in text, q
    assert "1 decision match" in _text(c.get("/demo/decisions_list?q=21+votes").text)  # a quote's words
    assert "No decision matches." in _text(c.get("/demo/decisions_list?q=afeguarding").text)
    nothing = c.get("/demo/decisions_list", params={"q": "– ..."})  # no word at all: every decision
    assert nothing.status_code == 200 and "3 decisions" in _text(nothing.text)


def test_decisions_search_without_the_index(minutes_db: Path, client_for: Any) -> None:  # noqa: F811
    """A database from before migration 18 (served read-only, not migrated): the LIKE search."""
    conn = sqlite3.connect(minutes_db)
    triggers = conn.execute("select name from sqlite_master where type = 'trigger'").fetchall()
    for (name,) in triggers:
        if name.startswith(("minutes_decisions_fts", "minutes_sources_fts", "minutes_items_fts")):
            conn.execute(f"drop trigger [{name}]")
    conn.execute("drop table minutes_decisions_fts")
    conn.commit()
    conn.close()
    c = client_for(minutes_db)
    found = _text(c.get("/demo/decisions_list?q=safeguarding").text)
    assert "1 decision match" in found and "a suite of new safeguarding policies" in found
    assert "1 decision match" in _text(c.get("/demo/decisions_list?q=afeguarding").text)  # any part
    assert "1 decision match" in _text(c.get("/demo/decisions_list?q=21+votes").text)
