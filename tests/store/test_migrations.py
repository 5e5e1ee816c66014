"""Migrations: every upgrade path keeps the data, a failing migration leaves nothing behind, and a
database from a newer necwatch is refused untouched."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from necwatch.errors import StoreError
from necwatch.store import Store, schema
from necwatch.store.checksum import digest

LATEST = len(schema.MIGRATIONS)
TEXT_ONCE = schema.MIGRATIONS.index(schema._m11_text_once) + 1  # the migration storing the text once

# A few rows as a real poll writes them, keyed by table; each is inserted only if its table exists
# at the version under test, with the columns that exist there.
# fmt: off
ROWS: dict[str, list[dict[str, Any]]] = {
    "runs": [
        {"id": "r-20240125-0600", "started_at": "2024-01-25T06:00:02+00:00", "finished_at":
         "2024-01-25T06:00:41+00:00", "status": "ok", "trigger": "schedule", "sources": '["labourlist"]',
         "summary": '{"labourlist": {"new": 1}}'},
    ],
    "sources": [
        {"name": "labourlist", "type": "wordpress", "url": "https://labourlist.org/",
         "last_polled_at": "2024-01-25T06:00:40+00:00", "last_ok_at": "2024-01-25T06:00:40+00:00",
         "consecutive_failures": 0, "health": "ok", "last_run_id": "r-20240125-0600", "posts": 1},
        {"name": "grassroots", "type": "blogger", "url": "https://grassrootslabour.blogspot.com/",
         "consecutive_failures": 3, "health": "failing", "last_error": "HTTP 503",
         "last_error_kind": "http_5xx", "deferred_until": "2024-01-25T08:00:00+00:00", "posts": 1},
    ],
    "reports": [
        {"id": "rep1a2b3c", "title": "NEC report: January 2024", "author": "Ann Black",
         "published_at": "2024-01-24T13:37:00+00:00", "meeting_date": "2024-01-23", "meeting_kind": "full",
         "is_nec_report": 1, "canonical_url": "https://labourlist.org/2024/01/nec-report-january/",
         "source": "labourlist", "post_count": 1, "comment_count": 1, "version": 2,
         "content_hash": "v1:9f2c", "first_seen_at": "2024-01-24T14:00:00+00:00",
         "updated_at": "2024-01-25T06:00:40+00:00", "body_text": "The NEC met on Tuesday.\n\nQuorate.",
         "body_html": "<p>The NEC met on Tuesday.</p><p>Quorate.</p>", "words": 6},
        {"id": "rep4d5e6f", "title": "Away day notes", "author": "Jon Lansman",
         "published_at": "2023-11-02T09:00:00+00:00", "meeting_date": "2023-10", "meeting_kind": "away_day",
         "is_nec_report": 1, "canonical_url": "https://grassrootslabour.blogspot.com/2023/11/away.html",
         "source": "grassroots", "post_count": 1, "comment_count": 0, "version": 1,
         "content_hash": "v1:77ab", "first_seen_at": "2023-11-02T10:00:00+00:00",
         "updated_at": "2023-11-02T10:00:00+00:00", "body_text": "Sub-committees reported.", "words": 2,
         "duplicate_of": None, "similarity": None},
    ],
    "posts": [
        {"id": "labourlist:/2024/01/nec-report-january/", "source": "labourlist",
         "url": "https://labourlist.org/2024/01/nec-report-january/", "platform_id": "98765",
         "report_id": "rep1a2b3c", "title": "NEC report: January 2024", "author": "Ann Black",
         "published_at": "2024-01-24T13:37:00+00:00", "labels": '["NEC"]', "is_nec_report": 1,
         "is_pointer": 0, "content_hash": "v1:9f2c", "via": "rest",
         "first_seen_at": "2024-01-24T14:00:00+00:00",
         "last_seen_at": "2024-01-25T06:00:40+00:00", "missing_polls": 0, "extractor_version": "7"},
        {"id": "grassroots:/2023/11/away.html", "source": "grassroots",
         "url": "https://grassrootslabour.blogspot.com/2023/11/away.html", "platform_id": "4411",
         "report_id": "rep4d5e6f", "title": "Away day notes", "author": "Jon Lansman",
         "published_at": "2023-11-02T09:00:00+00:00", "labels": "[]", "is_nec_report": 1, "via": "feed",
         "removed_at": "2024-01-20T06:00:00+00:00", "removed_reason": "http_410", "missing_polls": 1},
    ],
    "report_versions": [
        {"report_id": "rep1a2b3c", "version": 1, "seen_at": "2024-01-24T14:00:00+00:00", "kind": "initial",
         "title": "NEC report: January", "body_text": "The NEC met on Tuesday.", "content_hash": "v1:1111",
         "post_id": "labourlist:/2024/01/nec-report-january/", "run_id": "r-20240124-1400"},
        {"report_id": "rep1a2b3c", "version": 2, "seen_at": "2024-01-25T06:00:40+00:00", "kind": "edit",
         "title": "NEC report: January 2024", "body_text": "The NEC met on Tuesday.\n\nQuorate.",
         "content_hash": "v1:9f2c", "diff": "+Quorate.", "word_diff": "{+Quorate.+}",
         "run_id": "r-20240125-0600"},
    ],
    "comments": [
        {"id": "c-5501", "report_id": "rep1a2b3c", "post_id": "labourlist:/2024/01/nec-report-january/",
         "platform_id": "5501", "author": "Maria", "published_at": "2024-01-24T15:02:00+00:00",
         "url": "https://labourlist.org/2024/01/nec-report-january/#comment-5501",
         "body_text": "Thanks for the report, Ann.", "body_html": "<p>Thanks for the report, Ann.</p>",
         "content_hash": "v1:c0c0", "version": 1, "first_seen_at": "2024-01-24T16:00:00+00:00",
         "last_seen_at": "2024-01-25T06:00:40+00:00"},
    ],
    "comment_versions": [
        {"comment_id": "c-5501", "version": 1, "seen_at": "2024-01-24T16:00:00+00:00",
         "body_text": "Thanks for the report, Ann.", "content_hash": "v1:c0c0", "run_id": "r-20240124-1400"},
    ],
    "alerts": [
        {"id": "a-e1d2", "kind": "report_edited", "created_at": "2024-01-25T06:00:40+00:00",
         "source": "labourlist", "report_id": "rep1a2b3c", "title": "NEC report: January 2024",
         "summary": "1 paragraph added", "diff": "+Quorate.", "backfill": 0, "run_id": "r-20240125-0600",
         "delivered_at": None, "delivery_attempts": 2, "delivery_error": "ntfy: HTTP 502"},
    ],
    "fetches": [
        {"url": "https://labourlist.org/wp-json/wp/v2/posts", "source": "labourlist", "status": 304,
         "etag": 'W/"5f1e"', "last_modified": "Thu, 25 Jan 2024 05:58:00 GMT", "body_hash": "ab12",
         "fetched_at": "2024-01-25T06:00:39+00:00", "bytes": 0, "elapsed_ms": 212, "attempts": 1},
    ],
    "fetch_errors": [
        {"id": 1, "run_id": "r-20240125-0600", "ts": "2024-01-25T06:00:20+00:00", "source": "grassroots",
         "url": "https://grassrootslabour.blogspot.com/feeds/posts/default", "kind": "http_5xx",
         "http_status": 503, "attempts": 3, "retry_after": 7200.0, "message": "Service Unavailable"},
    ],
    "raw_bodies": [
        {"hash": "ab12", "content": b"x\x9c\xcbH\xcd\xc9\xc9\x07\x00\x06,\x02\x15", "size": 5,
         "stored_size": 13, "content_type": "application/json"},
    ],
    "responses": [
        {"id": 1, "url": "https://labourlist.org/wp-json/wp/v2/posts", "source": "labourlist",
         "fetched_at": "2024-01-24T14:00:00+00:00", "status": 200, "body_hash": "ab12",
         "run_id": "r-20240124-1400", "extractor_version": "7"},
    ],
}
# fmt: on


# -- helpers ---------------------------------------------------------------------------------------
def _open_raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def _version(path: Path) -> int:
    conn = _open_raw(path)
    try:
        return int(conn.execute("pragma user_version").fetchone()[0])
    finally:
        conn.close()


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """sqlite_master without root pages, whitespace-normalized: what the migrations built."""
    rows = conn.execute(
        "select type, name, tbl_name, coalesce(sql, '') from sqlite_master"
        " where type in ('table', 'index', 'view', 'trigger') order by type, name"
    ).fetchall()
    return [(t, n, tbl, re.sub(r"\s+", " ", sql).strip()) for t, n, tbl, sql in rows]


def _names(path: Path) -> set[str]:
    conn = _open_raw(path)
    try:
        return {r[0] for r in conn.execute("select name from sqlite_master")}
    finally:
        conn.close()


def _build_at(path: Path, k: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """A database at version k (only the first k migrations), populated; returns what was inserted."""
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:k])
        Store.open(path).close()
    assert _version(path) == k
    db = sqlite_utils.Database(_open_raw(path))
    inserted: dict[str, list[dict[str, Any]]] = {}
    for table, rows in ROWS.items():
        if not db[table].exists():
            continue
        columns = set(db[table].columns_dict)
        kept = [{c: v for c, v in row.items() if c in columns} for row in rows]
        db[table].insert_all(kept)
        inserted[table] = kept
    db.close()
    return inserted


def _logical_row(store: Store, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row as readers see it: a report version with its text, wherever that is stored."""
    if table == "report_versions":
        query = "select * from report_versions_full where report_id = ? and version = ?"
        return next(store.db.query(query, [row["report_id"], row["version"]]))
    pks = store.db[table].pks
    return dict(store.db[table].get(tuple(row[p] for p in pks) if len(pks) > 1 else row[pks[0]]))


def _fresh_schema(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    fresh = Store.open(tmp_path / "fresh.db")
    try:
        return _schema(fresh.db.conn)
    finally:
        fresh.close()


# -- every upgrade path ----------------------------------------------------------------------------
@pytest.mark.parametrize("k", range(LATEST))
def test_upgrade_from_every_earlier_version_keeps_the_data_and_reaches_the_fresh_schema(
    k: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / f"v{k}.db"
    inserted = _build_at(path, k, monkeypatch)
    assert (k == 0) == (not inserted)  # from version 1 on, every table above exists and has rows

    store = Store.open(path)
    try:
        assert store.db.execute("pragma user_version").fetchone()[0] == LATEST
        for table, rows in inserted.items():
            for row in rows:
                got = _logical_row(store, table, row)
                assert {c: got[c] for c in row} == row, table
            assert store.db[table].count == len(rows), table
        if "report_versions" in inserted and k < TEXT_ONCE:  # the current text is then the report's only
            stored = store.db.execute("select version, body_text from report_versions order by version")
            assert stored.fetchall() == [(1, "The NEC met on Tuesday."), (2, None)]
        if "reports" in inserted:  # FTS and the later views still see the old rows
            hits = store.db.execute("select rowid from reports_fts where reports_fts match 'quorate'")
            assert len(hits.fetchall()) == 1
            listed = store.db.execute("select meeting_year from reports_list where id = 'rep1a2b3c'")
            assert listed.fetchone() == ("2024",)
            meeting = store.db.execute("select reports from meetings where meeting_date = '2024-01-23'")
            assert meeting.fetchone() == (1,)
        assert _schema(store.db.conn) == _fresh_schema(tmp_path)
    finally:
        store.close()


def test_an_up_to_date_database_opens_without_a_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    Store.open(path).close()
    writer = _open_raw(path)
    writer.execute("begin immediate")  # another process mid-run holds the write lock
    try:
        store = Store.open(path)  # would wait 15 s and fail if opening took the write lock
        assert store.db.execute("pragma user_version").fetchone()[0] == LATEST
        store.close()
    finally:
        writer.execute("rollback")
        writer.close()


# -- a failing migration rolls back completely -----------------------------------------------------
def _fails_with_helpers(db: sqlite_utils.Database) -> None:
    db["watchlist"].create({"id": int, "note": str}, pk="id")
    db["watchlist"].insert({"id": 1, "note": "first"})
    db["watchlist"].create_index(["note"])
    db["watchlist"].enable_fts(["note"], create_triggers=True)
    db["watchlist"].transform(rename={"note": "notes"})
    db["reports"].add_column("flagged", int)
    db["reports"].create_index(["title"])
    db.create_view("watched", "select * from watchlist")
    db["reports"].update("rep1a2b3c", {"title": "CHANGED"})
    raise RuntimeError("boom")


def _fails_with_raw_sql(db: sqlite_utils.Database) -> None:
    db.execute("create table watchlist (id integer primary key, note text)")
    db.execute("insert into watchlist values (1, 'first')")
    db.execute("create index idx_watchlist_note on watchlist (note)")
    db.execute("alter table reports add column flagged integer")
    db.execute("create index idx_reports_title on reports (title)")
    db.execute("create view watched as select * from watchlist")
    db.execute("update reports set title = 'CHANGED' where id = 'rep1a2b3c'")
    db.conn.execute("create trigger watch_ai after insert on watchlist begin select 1; end")
    raise RuntimeError("boom")


FAILING = {"helpers": _fails_with_helpers, "raw_sql": _fails_with_raw_sql}
NEW_NAMES = {"watchlist", "watched", "idx_watchlist_note", "idx_reports_title", "watchlist_fts", "watch_ai"}


def _assert_rolled_back(conn: sqlite3.Connection) -> None:
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    assert not names & NEW_NAMES
    assert "flagged" not in {r[1] for r in conn.execute("pragma table_info(reports)")}
    assert conn.execute("select title from reports where id = 'rep1a2b3c'").fetchone() == (
        "NEC report: January 2024",
    )
    assert conn.execute("pragma user_version").fetchone()[0] == LATEST
    assert not conn.in_transaction


@pytest.mark.parametrize("kind", FAILING)
def test_failing_migration_on_a_file_rolls_back_completely(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "n.db"
    _build_at(path, LATEST, monkeypatch)
    before = digest(path)
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, FAILING[kind]])
        with pytest.raises(RuntimeError, match="boom") as info:  # not "not authorized": no helper commits
            Store.open(path)
    assert any(f"migration {LATEST + 1}" in n and "rolled back" in n for n in info.value.__notes__)
    conn = _open_raw(path)
    _assert_rolled_back(conn)
    conn.close()
    assert digest(path) == before
    store = Store.open(path)  # the failing migration gone: opens normally
    assert store.db.execute("pragma user_version").fetchone()[0] == LATEST
    assert store.db["reports"].count == 2
    store.close()


@pytest.mark.parametrize("kind", FAILING)
def test_failing_migration_in_memory_rolls_back_completely(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.memory()  # sqlite3's default isolation level, unlike Store.open
    store.db["reports"].insert_all(ROWS["reports"])
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, FAILING[kind]])
        with pytest.raises(RuntimeError, match="boom"):
            schema.migrate(store.db)
    _assert_rolled_back(store.db.conn)
    assert store.db.conn.isolation_level == ""  # the connection is handed back as it was
    assert schema.migrate(store.db) == LATEST  # without the failing migration: nothing left to do
    store.db["reports"].update("rep4d5e6f", {"title": "still writable"})
    assert store.db["reports"].get("rep4d5e6f")["title"] == "still writable"


def test_store_memory_itself_rolls_back_a_failing_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[sqlite_utils.Database] = []

    def fail(db: sqlite_utils.Database) -> None:
        seen.append(db)
        db["watchlist"].create({"id": int}, pk="id")
        raise RuntimeError("boom")

    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, fail])
        with pytest.raises(RuntimeError, match="boom"):
            Store.memory()
    conn = seen[0].conn
    assert "watchlist" not in {r[0] for r in conn.execute("select name from sqlite_master")}
    assert conn.execute("pragma user_version").fetchone()[0] == LATEST and not conn.in_transaction


# -- nothing inside a migration can commit it early ------------------------------------------------
def _commit(db: sqlite_utils.Database) -> None:
    db.conn.commit()


def _with_conn(db: sqlite_utils.Database) -> None:
    with db.conn:
        db.conn.execute("insert into watchlist values (2, 'second')")


def _executescript(db: sqlite_utils.Database) -> None:
    db.conn.executescript("create table other (a);")


def _sql_commit(db: sqlite_utils.Database) -> None:
    db.execute("commit")


def _sql_rollback(db: sqlite_utils.Database) -> None:
    db.conn.execute("rollback")


def _autocommit(db: sqlite_utils.Database) -> None:
    db.conn.isolation_level = "DEFERRED"
    db.conn.isolation_level = None  # assigning None commits an open transaction in sqlite3


ENDERS: dict[str, Callable[[sqlite_utils.Database], None]] = {
    "conn.commit": _commit,
    "with conn": _with_conn,
    "executescript": _executescript,
    "sql commit": _sql_commit,
    "sql rollback": _sql_rollback,
    "isolation_level": _autocommit,
}


def _ends_early(ender: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    def migration(db: sqlite_utils.Database) -> None:
        db.execute("create table watchlist (id integer primary key, note text)")
        db.execute("insert into watchlist values (1, 'first')")
        ender(db)
        db.execute("create view watched as select * from watchlist")

    return migration


@pytest.mark.parametrize("style", ["file", "memory"])
@pytest.mark.parametrize("how", ENDERS)
def test_a_migration_cannot_commit_or_roll_back_midway(
    how: str, style: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "n.db"
    seen: list[sqlite_utils.Database] = []

    def keep(db: sqlite_utils.Database) -> None:
        seen.append(db)

    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, keep, _ends_early(ENDERS[how])])
        with pytest.raises(sqlite3.DatabaseError, match="not authorized") as info:
            if style == "file":
                Store.open(path)
            else:
                Store.memory()
    assert any("which migrations must not" in n for n in info.value.__notes__)
    if style == "file":
        conn = _open_raw(path)
    else:
        conn = seen[0].conn
        assert not conn.in_transaction
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    assert not names & {"watchlist", "watched", "other"}
    assert conn.execute("pragma user_version").fetchone()[0] == LATEST + 1  # `keep` only
    conn.execute("create table after_the_guard (a)")  # the guard is gone once the migration ends
    conn.close()


# -- a database from a newer necwatch --------------------------------------------------------------
@pytest.mark.parametrize("journal", ["wal", "delete"])
@pytest.mark.parametrize("readonly", [False, True])
def test_a_newer_database_is_refused_and_left_untouched(
    journal: str, readonly: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "newer.db"
    _build_at(path, LATEST, monkeypatch)
    conn = _open_raw(path)
    conn.execute(f"pragma journal_mode = {journal}")  # the data branch commits it in delete mode
    conn.execute(f"pragma user_version = {LATEST + 1}")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(StoreError) as info:
        Store.open(path, readonly=readonly)
    assert info.value.kind == "schema_too_new"
    message = str(info.value)
    assert str(path) in message and "upgrade necwatch" in message.lower()
    assert f"version {LATEST + 1}" in message and f"up to {LATEST}" in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert _version(path) == LATEST + 1


def test_a_newer_database_is_refused_by_migrate_too(tmp_path: Path) -> None:
    db = sqlite_utils.Database(memory=True)
    db.execute(f"pragma user_version = {LATEST + 5}")
    with pytest.raises(StoreError, match=f"version {LATEST + 5}.*up to {LATEST}") as info:
        schema.migrate(db)
    assert info.value.kind == "schema_too_new"
    assert db.table_names() == []


def test_moved_from_is_added_empty_to_the_posts_already_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 13: `posts.moved_from` (a slug renamed with a 301), NULL for every post stored before."""
    k = schema.MIGRATIONS.index(schema._m13_post_moved_from)
    path = tmp_path / "v12.db"
    inserted = _build_at(path, k, monkeypatch)
    store = Store.open(path)
    try:
        assert "moved_from" in store.db["posts"].columns_dict
        rows = list(store.db.query("select id, moved_from from posts"))
        assert [r["id"] for r in rows] == [p["id"] for p in inserted["posts"]]
        assert {r["moved_from"] for r in rows} == {None}
    finally:
        store.close()


def test_pruning_the_archive_reads_by_index_not_whole_tables(tmp_path: Path) -> None:
    """The archive's pruning runs on every poll: prune_unreplayable's `responses where source = ?`
    and _drop_response's checks that no other response or fetch reads a body (`where body_hash =
    ?`) must use an index (migration 14), not read every row of responses or fetches."""
    store = Store.open(tmp_path / "n.db")
    try:
        queries = [
            "select r.id, r.url, r.body_hash from responses r where r.source = 'blog' and "
            "r.url not like '%/robots.txt' and not exists (select 1 from posts p where p.url = r.url)",
            "delete from raw_bodies where hash = 'h' and not exists "
            "(select 1 from responses where body_hash = 'h') and not exists "
            "(select 1 from fetches where body_hash = 'h' and (url in (select url from posts)))",
        ]
        for sql in queries:
            details = " | ".join(row[-1] for row in store.db.execute(f"explain query plan {sql}"))
            assert "SCAN" not in details, details
        plans = [" | ".join(r[-1] for r in store.db.execute(f"explain query plan {q}")) for q in queries]
        assert "idx_responses_source" in plans[0]
        assert "idx_responses_body_hash" in plans[1] and "idx_fetches_body_hash" in plans[1]
    finally:
        store.close()
