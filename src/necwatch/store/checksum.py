"""The logical row checksum of a necwatch database (see necwatch.datahash, its command line).

Lives in the store because it runs SQL; it opens the file read-only and never changes it. The hash
covers the rows, in a stable order, minus the bookkeeping every run touches:

* the `runs` table (one row per run, whatever it found);
* the reports' records (`records`, `items`, `decisions`, `mentions`, `statements`, `people`,
  `memberships`): derived from the texts by the extractor of the day, re-derived on import and by
  `reextract`, so a newer extractor does not move the checksum of the same observations;
* per-run timestamps and timings in `sources` and `fetches`;
* the HTTP status of a fetch (a 304 and a 200 with the same body mean the same thing);
* SQLite's own and the full-text index's derived tables.

It is logical: a version's text counts as the version's wherever it is stored (the current version's
is in `reports` since migration 11), so thinning a database does not move its checksum.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

# `runs`, and the reports' records (derived from the texts: store/records.py, DERIVED_TABLES).
SKIP_TABLES = {"runs", "records", "items", "decisions", "mentions", "statements", "people", "memberships"}
# and the meetings' minutes, merged from those records (store/minutes.py, MINUTES_TABLES)
SKIP_TABLES |= {
    "minutes",
    "minutes_items",
    "minutes_decisions",
    "minutes_sources",
    "minutes_disagreements",
    "minutes_coverage",
}
VOLATILE_COLUMNS: dict[str, set[str]] = {
    "sources": {"last_polled_at", "last_ok_at", "next_check_at", "last_run_id"},
    "fetches": {"fetched_at", "last_ok_at", "elapsed_ms", "attempts", "status", "bytes"},
}
# Columns hashed as what they mean rather than as stored (`t` is the table's row).
LOGICAL_COLUMNS: dict[str, dict[str, str]] = {
    "report_versions": {
        "body_text": "coalesce(t.body_text, (select r.body_text from reports r "
        "where r.id = t.report_id and r.version = t.version))"
    },
}
HASH_VERSION = "datahash-v1"


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("select name, sql from sqlite_master where type = 'table' order by name").fetchall()
    fts = {name for name, sql in rows if sql and "virtual table" in sql.lower()}
    out = []
    for name, _sql in rows:
        if name.startswith("sqlite_") or name in SKIP_TABLES or name in fts:
            continue
        if any(name.startswith(f + "_") for f in fts):  # FTS shadow tables (_data, _idx, …)
            continue
        out.append(name)
    return out


def _value(v: object) -> object:
    if isinstance(v, bytes):
        return {"sha256": hashlib.sha256(v).hexdigest()}
    return v


def table_digest(conn: sqlite3.Connection, table: str) -> str:
    """SHA-256 over the table's kept columns, row by row in a stable order."""
    cols = [r[1] for r in conn.execute(f'pragma table_info("{table}")')]
    keep = [c for c in cols if c not in VOLATILE_COLUMNS.get(table, set())]
    logical = LOGICAL_COLUMNS.get(table, {})
    exprs = ", ".join(logical.get(c, f't."{c}"') for c in keep)
    positions = ", ".join(str(i) for i in range(1, len(keep) + 1))
    h = hashlib.sha256(json.dumps(keep).encode())
    # Order by every kept column: stable whatever the primary key, and blind to rowid churn.
    for row in conn.execute(f'select {exprs} from "{table}" t order by {positions}'):
        h.update(json.dumps([_value(v) for v in row], default=str, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def digest(path: str | Path) -> str:
    """The logical checksum of the database at `path` (opened read-only, never modified)."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        h = hashlib.sha256(HASH_VERSION.encode())
        for table in _tables(conn):
            h.update(f"{table}:{table_digest(conn, table)}\n".encode())
        return h.hexdigest()
    finally:
        conn.close()
