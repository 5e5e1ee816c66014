"""The dataset as text: `necwatch export` writes it, `necwatch import` rebuilds the SQLite file.

Why: the GitHub Action's data branch must not commit a growing binary. Text in small files lets git
store a day's change as a small delta and lets GitHub show it. Layout (every file sorted NDJSON,
one JSON object per line, keys sorted, so the same data gives the same bytes):

  reports/<id[:2]>/<id>.ndjson   a report with its versions, posts, comments, comment versions
                                 and alerts: {"t": table, "r": row}
  tables/<table>.ndjson          every other row of every other table (sources, cursors, fetches …)
  raw/<hash[:2]>.ndjson          raw response bodies, decompressed (text when UTF-8, else base64)

The `runs` table (one row per run, whatever it found) is not exported: like the logical checksum
(`store/checksum.py`), the dataset leaves it out. Import recreates the schema with the migrations and
inserts the rows; the raw bodies are recompressed the way the archive compresses them, so the
logical checksum of the imported file equals the exported one's.
"""

from __future__ import annotations

import base64
import heapq
import json
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from necwatch.store.checksum import _tables

# Tables whose rows belong to one report, and the column that says which.
PER_REPORT = {
    "reports": "id",
    "report_versions": "report_id",
    "posts": "report_id",
    "comments": "report_id",
    "alerts": "report_id",
}
RAW = "raw_bodies"


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


def export_dataset(db: str | Path, out: str | Path) -> int:
    """Write the database at `db` as text under `out` (files no longer in the data are deleted).
    Returns the number of files written. One file is in memory at a time, not the dataset (at
    10,000 reports the text is ~100 MB)."""
    out = Path(out)
    conn = _read_only(db)
    written: set[Path] = set()
    try:
        for name, lines in _files(conn):
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
    return len(written)


def _files(conn: sqlite3.Connection) -> Iterator[tuple[str, list[str]]]:
    """Each file's name and lines, one file at a time: the per-report tables are read in report
    order and merged, so one report's rows are gathered, written and let go."""
    tables = list(_tables(conn))
    grouped = [t for t in tables if t in PER_REPORT or t == "comment_versions"]
    loose: dict[str, list[str]] = defaultdict(list)  # their rows that belong to no report
    merged = heapq.merge(*(_by_report(conn, t, loose) for t in grouped), key=itemgetter(0))
    for report, rows in groupby(merged, key=itemgetter(0)):
        yield f"reports/{report[:2]}/{report}.ndjson", [line for _, line in rows]
    for table in tables:
        if table != RAW and table not in grouped:
            yield f"tables/{table}.ndjson", [_line(_record(table, row)) for row in _rows(conn, table)]
    for table, lines in loose.items():
        yield f"tables/{table}.ndjson", lines
    if RAW in tables:
        raw = _rows(conn, RAW, order="hash")
        for shard, bodies in groupby(raw, key=lambda row: str(row["hash"])[:2]):
            yield f"raw/{shard}.ndjson", [_line(_record(RAW, body)) for body in bodies]


def _by_report(
    conn: sqlite3.Connection, table: str, loose: dict[str, list[str]]
) -> Iterator[tuple[str, str]]:
    """(report id, line) of a per-report table's rows in report id order; a row of no report goes
    to `loose` (its table's file under tables/)."""
    if table == "comment_versions":  # a comment's versions belong to the comment's report
        sql = "select c.report_id, v.* from comment_versions v left join comments c on c.id = v.comment_id"
        sql += " order by c.report_id"
    else:
        sql = f'select "{PER_REPORT[table]}", * from "{table}" order by "{PER_REPORT[table]}"'
    cur = conn.execute(sql)
    cols = [d[0] for d in cur.description][1:]
    for report, *values in cur:
        line = _line(_record(table, dict(zip(cols, values, strict=True))))
        if report:
            yield report, line
        else:
            loose[table].append(line)


def _record(table: str, row: dict[str, Any]) -> dict[str, Any]:
    if table == RAW:  # decompressed, so git deltas it and a reader can grep it
        body = zlib.decompress(row.pop("content"))
        try:
            row["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            row["bytes"] = base64.b64encode(body).decode()
    return {"t": table, "r": {k: _encode(v) for k, v in row.items()}}


def _read_only(db: str | Path) -> sqlite3.Connection:
    """Any database this user can read, never written (`immutable` in a folder it cannot write)."""
    from necwatch.store.opening import connect_readonly, quick_check

    conn, _mode = connect_readonly(Path(db))
    quick_check(conn, Path(db))  # a damaged file: one line, before a partial export is written
    return conn


class ImportFailed(ValueError):
    """The export could not be read whole; the database was left as it was. One line: file, line,
    reason."""


def import_dataset(src: str | Path, db: str | Path) -> int:
    """Build a fresh database at `db` from an export under `src`. Returns the number of rows.

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
    try:
        tables = set(_tables(conn))
        with store.transaction():
            for path in sorted(Path(src).glob("*/**/*.ndjson")):
                n += _import_file(conn, path, Path(src), tables)
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


def _import_file(conn: sqlite3.Connection, path: Path, root: Path, tables: set[str]) -> int:
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
            _insert(conn, json.loads(text), tables)
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
