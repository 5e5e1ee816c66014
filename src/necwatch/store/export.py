"""The dataset as text: `necwatch export` writes it, `necwatch import` rebuilds the SQLite file.

Why: the GitHub Action's data branch must not commit a growing binary. Text in small files lets git
store a day's change as a small delta and lets GitHub show it. Every file is sorted NDJSON, one JSON
object per line ({"t": table, "r": row}, keys sorted), so the same data gives the same bytes. The
layout keeps a decade of several sources a repository people can clone: few files, none large, and
a day's news touching few of them.

  reports/<YYYY>/<MM>.ndjson     the reports published (else first seen) that month, each with its
                                 versions, posts, comments, comment versions (and their provenance),
                                 alerts and min-hash bands: an edit touches its report's month, a new
                                 report the current one, an unchanged month's file never changes
  seen/<YYYY>/<MM>.ndjson        the `last_seen_at` of those reports' posts ({"t": "posts.last_seen_at",
                                 "r": {id, last_seen_at}}): a poll refreshes it, at most daily, for
                                 every post it sees (the rolling revalidation sees them all in turn)
                                 with nothing else changed, so it is kept out of the reports' files
  tables/<table>/<YYYY>/<MM>.ndjson  the logs that only grow (fetch_errors, responses, the alerts of
                                 no report), by the month of their time: a day's rows go to the
                                 current month
  tables/<table>.ndjson          every other table (sources, cursors, fetches …)
  raw/<hash[:2]>.ndjson          raw response bodies, decompressed (text when UTF-8, else base64)

A file that would pass `CHUNK_BYTES` is a folder instead, split by the first hex digit of its rows'
key (a report's id, a raw body's hash, a hash of a row's primary key): `reports/2024/06/a.ndjson`,
and again one digit deeper while a part is still too large. A folder holds at most 32 entries (a
year's 12 months and their folders, 16 parts and their folders), except `reports/` (one folder a
year) and `raw/` (256 shards). No file passes CHUNK_BYTES unless one report's rows alone do.

`necwatch import` reads any of these files wherever they are (each line names its table), so an
export in the layout before this one (`reports/<id[:2]>/<id>.ndjson`, one file per report, and
`tables/<table>.ndjson`) imports the same; exporting over it replaces it with this layout.

The `runs` table (one row per run, whatever it found) is not exported: like the logical checksum
(`store/checksum.py`), the dataset leaves it out. Nor are the reports' records (`records`, `items`,
`decisions`, `mentions`, `statements`, `people`, `memberships`: store/records.py): they are derived
from the reports' texts, so the import derives them again (deterministic: the same texts and roster
give the same rows), and the data branch does not carry a second, larger copy of every report.
Import recreates the schema with the migrations and inserts the rows; the raw bodies are recompressed
the way the archive compresses them, so the logical checksum of the imported file equals the
exported one's.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import os
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from necwatch.record.derive import roster_of
from necwatch.record.roster import Roster
from necwatch.store.checksum import _tables

# Tables whose rows belong to one report, and the column that says which.
PER_REPORT = {
    "reports": "id",
    "report_versions": "report_id",
    "posts": "report_id",
    "comments": "report_id",
    "alerts": "report_id",
    "report_minhash": "report_id",
    "version_provenance": "report_id",  # migration 17: where an archived version's text came from
}
# Tables whose rows belong to one comment (by `comment_id`): exported with the comment's report.
PER_COMMENT = {"comment_versions", "comment_provenance"}  # comment_provenance: migration 20
RAW = "raw_bodies"
# A post's last_seen_at is refreshed whenever a poll sees it (at most daily; the rolling revalidation
# sees every post in turn), with nothing else of it changed: exported apart, as {"t": SEEN, "r": {id,
# last_seen_at}} lines in seen/<YYYY>/<MM>.ndjson, so that refresh leaves the reports' files alone.
SEEN = "posts.last_seen_at"
SEEN_COLUMN = "last_seen_at"
# Logs that only grow, filed by the month of this column (alerts: those of no report).
BY_MONTH = {"fetch_errors": "ts", "responses": "fetched_at", "alerts": "created_at"}
# The report a row belongs to sorts it into its report's month.
_MONTH = "coalesce(substr(coalesce(r.published_at, r.first_seen_at), 1, 7), '')"

CHUNK_BYTES = 8 << 20
"""The largest file the export writes, unless one report's rows alone are larger: 8 MiB, far under
GitHub's 50 MB warning, small enough to diff."""

MAX_DEPTH = 4
"""Hex digits a file is split by at most (16⁴ parts)."""


def _encode(value: Any) -> Any:
    return {"$b64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _rows(conn: sqlite3.Connection, table: str, order: str | None = None) -> Iterable[dict[str, Any]]:
    cur = conn.execute(f'select * from "{table}"' + (f' order by "{order}"' if order else ""))
    cols = [d[0] for d in cur.description]
    for row in cur:
        yield dict(zip(cols, row, strict=True))


def export_dataset(db: str | Path, out: str | Path, *, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Write the database at `db` as text under `out` (files no longer in the data are deleted,
    an export in the older layout included). Returns the number of files written. A file is
    rewritten only when its bytes change. At most one file's lines are in memory (one month of
    reports, one table that is not split, one raw shard), not the dataset."""
    out = Path(out)
    from necwatch.store import Store

    # read-only (immutable in a folder this user cannot write); a damaged or foreign file is refused
    # in one line before a partial export is written
    conn = Store.open(db, readonly=True).db.conn
    written: set[Path] = set()
    try:
        for name, lines in _files(conn, chunk_bytes):
            if not lines:  # an empty table has no file
                continue
            path = out / name
            written.add(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = "\n".join(sorted(lines)) + "\n"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
    finally:
        conn.close()
    for old in out.glob("*/**/*.ndjson"):
        if old not in written:
            old.unlink()
    for folder, _dirs, _files_here in sorted(os.walk(out), reverse=True):  # deepest first
        if Path(folder) != out and not os.listdir(folder):
            os.rmdir(folder)
    return len(written)


def _files(conn: sqlite3.Connection, limit: int) -> Iterator[tuple[str, list[str]]]:
    """Each file's name and lines, one file at a time: the per-report tables are read in (month,
    report) order and merged, so one month's rows are gathered, written and let go."""
    tables = list(_tables(conn))
    grouped = [t for t in tables if t in PER_REPORT or t in PER_COMMENT]
    merged = heapq.merge(*(_by_report(conn, t) for t in grouped), key=itemgetter(0, 1))
    for month, month_rows in groupby(merged, key=itemgetter(0)):
        streams: dict[str, list[tuple[str, str]]] = {"reports": [], "seen": []}
        for _, rid, stream, line in month_rows:
            streams[stream].append((_hex(rid), line))
        for stream, items in streams.items():
            if items:
                yield from _split(f"{stream}/{_month_path(month)}", items, limit)
    for table in tables:
        if table == RAW:
            continue
        loose = table in grouped  # the rows of no report
        if table in BY_MONTH:
            yield from _by_month(conn, table, limit, loose=loose)
            continue
        pk = _primary_key(conn, table)
        rows = _loose(conn, table) if loose else _rows(conn, table)
        yield from _split(f"tables/{table}", [(_key(pk, r), _row_line(table, r)) for r in rows], limit)
    if RAW in tables:
        raw = _rows(conn, RAW, order="hash")
        for shard, bodies in groupby(raw, key=lambda row: _hex(str(row["hash"]))[:2]):
            items = [(_hex(str(body["hash"]))[2:], _row_line(RAW, body)) for body in bodies]
            yield from _split(f"raw/{shard}", items, limit)


def _split(
    base: str, items: list[tuple[str, str]], limit: int, first: int = 0
) -> Iterator[tuple[str, list[str]]]:
    """`base`.ndjson with the lines of `items` ((hex key, line)), or, past `limit` bytes, a folder
    `base`/ of one part per first hex digit of the keys, each split again the same way."""
    size = sum(len(line.encode("utf-8")) + 1 for _, line in items)
    if size <= limit or first >= MAX_DEPTH or len(items) == 1:
        yield f"{base}.ndjson", [line for _, line in items]
        return
    for digit, part in groupby(sorted(items, key=itemgetter(0)), key=lambda kv: kv[0][first : first + 1]):
        yield from _split(f"{base}/{digit or '_'}", list(part), limit, first + 1)


def _month_path(month: str) -> str:
    """`2024-06` → `2024/06`; a row without a usable date goes to `undated`."""
    return f"{month[:4]}/{month[5:7]}" if re.fullmatch(r"\d{4}-\d{2}", month) else "undated"


def _by_month(
    conn: sqlite3.Connection, table: str, limit: int, *, loose: bool
) -> Iterator[tuple[str, list[str]]]:
    """A log's rows (with `loose`, those of no report) by the month of their time column, in
    month order: one month in memory at a time."""
    where = f"where coalesce(\"{PER_REPORT[table]}\", '') = ''" if loose else ""
    cur = conn.execute(
        f'select substr(coalesce("{BY_MONTH[table]}", \'\'), 1, 7), * from "{table}" {where} order by 1'
    )
    cols = [d[0] for d in cur.description][1:]
    pk = _primary_key(conn, table)
    for month, group in groupby(cur, key=itemgetter(0)):
        rows = (dict(zip(cols, values[1:], strict=True)) for values in group)
        items = [(_key(pk, row), _row_line(table, row)) for row in rows]
        yield from _split(f"tables/{table}/{_month_path(month)}", items, limit)


_HEX = re.compile(r"[0-9a-f]+")


def _hex(key: str) -> str:
    """A key as hex digits to split by: itself when it is (ids, hashes), else a digest of it."""
    return key if _HEX.fullmatch(key) else _digest(key)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _key(pk: list[str], row: dict[str, Any]) -> str:
    """A hex key of a row's primary key (the whole row without one): where a split puts it."""
    return _digest(json.dumps([row[c] for c in pk] if pk else row, default=str, sort_keys=True))


def _primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    info = sorted((r[5], r[1]) for r in conn.execute(f'pragma table_info("{table}")') if r[5])
    return [name for _, name in info]


def _by_report(conn: sqlite3.Connection, table: str) -> Iterator[tuple[str, str, str, str]]:
    """(month, report id, stream, line) of a per-report table's rows in (month, report id) order,
    the month being its report's; rows of no report are left to `_loose`. A post's `last_seen_at`
    goes to the `seen` stream (SEEN), the rest of its row to `reports`."""
    if table in PER_COMMENT:  # a comment's versions (and their provenance) belong to its report
        sql = (
            f'select {_MONTH}, c.report_id, v.* from "{table}" v '
            "join comments c on c.id = v.comment_id left join reports r on r.id = c.report_id "
            "where coalesce(c.report_id, '') != '' "
        )
    else:
        key = PER_REPORT[table]
        sql = (
            f'select {_MONTH}, t."{key}", t.* from "{table}" t left join reports r on r.id = t."{key}" '
            f"where coalesce(t.\"{key}\", '') != '' "
        )
    cur = conn.execute(sql + "order by 1, 2")
    cols = [d[0] for d in cur.description][2:]
    for month, report, *values in cur:
        row = dict(zip(cols, values, strict=True))
        if table == "posts" and row.get(SEEN_COLUMN) is not None:
            seen = {"id": row["id"], SEEN_COLUMN: row.pop(SEEN_COLUMN)}
            yield month, report, "seen", _line({"t": SEEN, "r": seen})
        yield month, report, "reports", _row_line(table, row)


def _loose(conn: sqlite3.Connection, table: str) -> Iterable[dict[str, Any]]:
    """A per-report table's rows that belong to no report."""
    if table in PER_COMMENT:
        sql = (
            f'select v.* from "{table}" v left join comments c on c.id = v.comment_id '
            "where coalesce(c.report_id, '') = ''"
        )
    else:
        sql = f"select * from \"{table}\" where coalesce(\"{PER_REPORT[table]}\", '') = ''"
    cur = conn.execute(sql)
    cols = [d[0] for d in cur.description]
    for row in cur:
        yield dict(zip(cols, row, strict=True))


def _row_line(table: str, row: dict[str, Any]) -> str:
    return _line(_record(table, row))


def _record(table: str, row: dict[str, Any]) -> dict[str, Any]:
    if table == RAW:  # decompressed, so git deltas it and a reader can grep it
        body = zlib.decompress(row.pop("content"))
        try:
            row["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            row["bytes"] = base64.b64encode(body).decode()
    return {"t": table, "r": {k: _encode(v) for k, v in row.items()}}


class ImportFailed(ValueError):
    """The export could not be read whole; the database was left as it was. One line: file, line,
    reason."""


def import_dataset(src: str | Path, db: str | Path, *, roster: Roster | None = None) -> int:
    """Build a fresh database at `db` from an export under `src`. Returns the number of rows.

    The reports' records (store/records.py) are not in the export: they are derived again from the
    imported texts with `roster` (the shipped one when None), in the import's transaction, and the
    meetings' minutes merged again from them (store/minutes.py).

    The rows go into a new file beside `db` (`<name>.import-tmp`), which replaces `db` (`os.replace`,
    atomic) only once every file was read and committed: a broken export raises ImportFailed naming
    the file and line, and `db` (and its -wal) are left as they were."""
    import os

    from necwatch.store import Store
    from necwatch.store.opening import prepare_folder

    db = Path(db)
    prepare_folder(db)
    tmp = db.with_name(db.name + ".import-tmp")
    _remove(tmp)
    store = Store.open(tmp)
    conn = store.db.conn
    n = 0
    seen: list[tuple[Any, Any]] = []
    try:
        tables = set(_tables(conn))
        with store.transaction():
            for path in sorted(Path(src).glob("*/**/*.ndjson")):
                n += _import_file(conn, path, Path(src), tables, seen)
            conn.executemany(f"update posts set {SEEN_COLUMN} = ? where id = ?", seen)
            nec = "select id from reports where is_nec_report = 1 and body_text is not null order by id"
            store.derive_records([r[0] for r in conn.execute(nec)], roster or roster_of(None))
            store.rebuild_minutes()  # and the meetings' minutes, merged from those records
        conn.execute("pragma wal_checkpoint(truncate)")
        conn.execute("pragma journal_mode = delete")  # one self-contained file to move
    except BaseException:
        store.close()
        _remove(tmp)
        raise
    store.close()
    _retire_wal(db)
    os.replace(tmp, db)
    return n


def _retire_wal(db: Path) -> None:
    """Fold the old database's -wal into it, then remove -wal and -shm: a -wal left beside the new
    file would be replayed into it. A damaged old file (the reason for an import) may refuse."""
    wal = Path(str(db) + "-wal")
    if wal.exists() and wal.stat().st_size and db.exists():
        try:
            conn = sqlite3.connect(str(db), isolation_level=None)
            try:
                conn.execute("pragma wal_checkpoint(truncate)")
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            pass
    _remove(db, main=False)


def _import_file(
    conn: sqlite3.Connection, path: Path, root: Path, tables: set[str], seen: list[tuple[Any, Any]]
) -> int:
    """Insert one file's rows; `last_seen_at` records go to `seen`, applied once every post is in."""
    n = 0
    where = path.relative_to(root) if path.is_relative_to(root) else path
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ImportFailed(f"{where}: cannot read it ({e}); the database was not changed") from e
    for number, text in enumerate(lines, start=1):
        if not text:
            continue
        try:
            record = json.loads(text)
            if record["t"] == SEEN:
                seen.append((record["r"][SEEN_COLUMN], record["r"]["id"]))
                continue
            _insert(conn, record, tables)
        except (ValueError, KeyError, TypeError, AttributeError, sqlite3.IntegrityError) as e:
            reason = f"{type(e).__name__}: {e}" if not isinstance(e, ValueError) else str(e)
            raise ImportFailed(f"{where}: line {number}: {reason}; the database was not changed") from e
        n += 1
    return n


def _remove(db: Path, *, main: bool = True) -> None:
    for suffix in ("", "-wal", "-shm") if main else ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def _insert(conn: sqlite3.Connection, record: dict[str, Any], tables: set[str]) -> None:
    table, row = record["t"], {k: _decode(v) for k, v in record["r"].items()}
    if table not in tables:
        raise ValueError(f"unknown table {table!r} in the export")
    if table == RAW:
        body = row.pop("text").encode("utf-8") if "text" in row else base64.b64decode(row.pop("bytes"))
        row["content"] = zlib.compress(body, 6)  # as ResponseArchive.record_fetches stores it
    cols = list(row)
    conn.execute(
        f'insert into "{table}" ({", ".join(f"[{c}]" for c in cols)}) values ({", ".join("?" * len(cols))})',
        [row[c] for c in cols],
    )
