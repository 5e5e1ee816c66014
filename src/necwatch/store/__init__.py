"""SQLite storage: the only code that writes SQL.

WAL mode, synchronous=NORMAL, a 15 s busy timeout, and one `BEGIN IMMEDIATE` transaction per
source per run, so a crash leaves every source's data either fully written or untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from necwatch.errors import StoreError
from necwatch.fetch.cache import Cached
from necwatch.models import Failure, FetchRecord
from necwatch.store.schema import migrate
from necwatch.track import Op, ReportRef, StoredComment, StoredPost


class Store:
    """A necwatch database. Open with Store.open(path)."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=15)
        conn.execute("pragma busy_timeout = 15000")
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
        conn.execute("pragma foreign_keys = off")
        db = sqlite_utils.Database(conn)
        if not readonly:
            migrate(db)
        return cls(db, path)

    @classmethod
    def memory(cls) -> Store:
        db = sqlite_utils.Database(memory=True)
        migrate(db)
        return cls(db)

    def close(self) -> None:
        self.db.conn.close()

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; rolls back on any exception. Disk full → StoreError."""
        conn = self.db.conn
        try:
            conn.execute("begin immediate")
        except sqlite3.OperationalError as e:
            raise StoreError(f"cannot start a write transaction: {e}", kind="storage_locked") from e
        try:
            yield
        except sqlite3.DatabaseError as e:  # full, locked, or a constraint: this source's writes fail whole
            _rollback(conn)
            raise _store_error(e) from e
        except BaseException:
            _rollback(conn)
            raise
        try:
            conn.execute("commit")
        except sqlite3.DatabaseError as e:
            _rollback(conn)
            raise _store_error(e) from e

    # -- the fetcher's cache (conditional requests) ------------------------------------------
    def lookup(self, url: str) -> Cached | None:
        row = self.db.execute(
            "select f.etag, f.last_modified, f.content_type, b.content from fetches f "
            "join raw_bodies b on b.hash = f.body_hash where f.url = ? and f.body_hash is not null",
            [url],
        ).fetchone()
        if row is None:
            return None
        return Cached(row[0], row[1], zlib.decompress(row[3]), row[2])

    def latest_body(self, url: str) -> tuple[bytes, str | None] | None:
        row = self.db.execute(
            "select b.content, f.content_type from fetches f join raw_bodies b on b.hash = f.body_hash "
            "where f.url = ?",
            [url],
        ).fetchone()
        return (zlib.decompress(row[0]), row[1]) if row else None

    # -- reading state -----------------------------------------------------------------------
    def source_row(self, name: str) -> dict[str, Any] | None:
        rows = list(self.db["sources"].rows_where("name = ?", [name]))
        return rows[0] if rows else None

    def known_posts(self, source: str) -> dict[str, str | None]:
        """URL → published_at of the source's posts, removed ones included (so one that answers again
        is restored even if no listing shows it)."""
        return {
            r["url"]: r["published_at"]
            for r in self.db.query("select url, published_at from posts where source = ?", [source])
        }

    def stored_posts(self, source: str) -> dict[str, StoredPost]:
        out = {}
        for r in self.db.query("select * from posts where source = ?", [source]):
            out[r["id"]] = StoredPost.from_row(r)
        return out

    def stored_comments(self, post_ids: Iterable[str]) -> dict[str, dict[str, StoredComment]]:
        out: dict[str, dict[str, StoredComment]] = {}
        ids = list(post_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.db.query(f"select * from comments where post_id in ({marks})", chunk):
                out.setdefault(r["post_id"], {})[r["platform_id"]] = StoredComment.from_row(r)
        return out

    def report(self, report_id: str) -> ReportRef | None:
        rows = list(self.db.query("select * from reports where id = ?", [report_id]))
        return ReportRef.from_row(rows[0]) if rows else None

    def report_by_hash(self, content_hash: str) -> ReportRef | None:
        rows = list(self.db.query("select * from reports where content_hash = ? limit 1", [content_hash]))
        return ReportRef.from_row(rows[0]) if rows else None

    def near_candidates(self, published_at: str | None, window_days: int = 120) -> list[ReportRef]:
        """Reports published near a date: the candidates a new text is compared against."""
        if not published_at:
            return []
        rows = self.db.query(
            "select * from reports where duplicate_of is null and published_at between "
            "datetime(?, ?) and datetime(?, ?)",
            [published_at, f"-{window_days} days", published_at, f"+{window_days} days"],
        )
        return [ReportRef.from_row(r) for r in rows]

    def live_posts(self, report_id: str) -> int:
        row = self.db.execute(
            "select count(*) from posts where report_id = ? and removed_at is null", [report_id]
        ).fetchone()
        return int(row[0])

    def report_for_url(self, url: str) -> str | None:
        row = self.db.execute("select report_id from posts where url = ?", [url]).fetchone()
        return row[0] if row else None

    # -- writing -------------------------------------------------------------------------------
    def apply(self, ops: Iterable[Op]) -> int:
        """Execute track's operations in order, as plain parameterized SQL (sqlite-utils' per-row
        insert introspects the table every call: 3× slower on a backfill). Call inside transaction().
        Table and column names come from track.py, never from scraped data."""
        n = 0
        conn = self.db.conn
        try:
            for op in ops:
                if op.table == "__comment_count__":
                    conn.execute(
                        "update reports set comment_count = (select count(*) from comments "
                        "where report_id = ? and removed_at is null) where id = ?",
                        [op.key, op.key],
                    )
                elif op.action == "insert":
                    cols = list(op.row)
                    verb = "insert or ignore" if op.ignore else "insert"
                    conn.execute(
                        f"{verb} into [{op.table}] ({', '.join(f'[{c}]' for c in cols)}) "
                        f"values ({', '.join('?' * len(cols))})",
                        [op.row[c] for c in cols],
                    )
                elif op.action == "update":
                    if not op.row:
                        continue
                    cols = list(op.row)
                    assignments = ", ".join(f"[{c}] = ?" for c in cols)
                    conn.execute(
                        f"update [{op.table}] set {assignments} where [{op.pk}] = ?",
                        [*(op.row[c] for c in cols), op.key],
                    )
                else:
                    self.db.table(op.table).upsert(op.row, pk=op.pk)
                n += 1
        except sqlite3.DatabaseError as e:
            raise _store_error(e) from e
        return n

    def record_fetches(self, records: Iterable[FetchRecord], run_id: str) -> None:
        """Keep validators and raw bodies (compressed, deduplicated by hash) for every fetch."""
        from necwatch.extract import EXTRACTOR_VERSION

        for rec in records:
            row: dict[str, Any] = {
                "url": rec.url,
                "source": rec.source,
                "final_url": rec.final_url,
                "status": rec.status,
                "fetched_at": rec.fetched_at,
                "bytes": rec.bytes,
                "elapsed_ms": rec.elapsed_ms,
                "attempts": rec.attempts,
                "error_kind": rec.error_kind,
                "error": rec.error,
            }
            if rec.error_kind is None:
                row["last_ok_at"] = rec.fetched_at
            if rec.body is not None:
                digest = hashlib.sha256(rec.body).hexdigest()
                packed = zlib.compress(rec.body, 6)
                self.db.table("raw_bodies").insert(
                    {
                        "hash": digest,
                        "content": packed,
                        "size": len(rec.body),
                        "stored_size": len(packed),
                        "content_type": rec.content_type,
                    },
                    pk="hash",
                    ignore=True,
                )
                previous = self.db.execute(
                    "select body_hash from fetches where url = ?", [rec.url]
                ).fetchone()
                if previous is None or previous[0] != digest:
                    self.db.table("responses").insert(
                        {
                            "url": rec.url,
                            "source": rec.source,
                            "fetched_at": rec.fetched_at,
                            "status": rec.status,
                            "body_hash": digest,
                            "run_id": run_id,
                            "extractor_version": EXTRACTOR_VERSION,
                        }
                    )
                row.update(
                    body_hash=digest,
                    etag=rec.etag,
                    last_modified=rec.last_modified,
                    content_type=rec.content_type,
                )
            elif rec.status == 304:
                pass  # validators and body unchanged
            self._upsert_fetch(row)

    def _upsert_fetch(self, row: dict[str, Any]) -> None:
        existing = self.db.execute("select 1 from fetches where url = ?", [row["url"]]).fetchone()
        if existing:
            key = row.pop("url")
            self.db.table("fetches").update(key, row)
        else:
            self.db.table("fetches").insert(row, pk="url")

    def record_failures(self, failures: Iterable[Failure], *, source: str, run_id: str, ts: str) -> None:
        """Exactly one fetch_errors row per failed URL per run."""
        seen: set[str] = set()
        for f in failures:
            if f.url in seen:
                continue
            seen.add(f.url)
            self.db.table("fetch_errors").insert(
                {
                    "run_id": run_id,
                    "ts": ts,
                    "source": source,
                    "url": f.url,
                    "final_url": f.final_url or f.url,
                    "kind": f.kind,
                    "http_status": f.http_status,
                    "attempts": f.attempts,
                    "retry_after": f.retry_after,
                    "bytes_read": f.bytes_read,
                    "message": f.message,
                },
                pk="id",
            )

    def upsert_source(self, row: dict[str, Any]) -> None:
        self.db.table("sources").upsert(row, pk="name")

    def start_run(self, run_id: str, *, started_at: str, trigger: str, sources: list[str]) -> None:
        """Mark runs left 'running' by a killed process as aborted, then record this one."""
        with self.transaction():
            self.db.execute(
                "update runs set status = 'aborted', finished_at = ? where status = 'running'", [started_at]
            )
            self.db.table("runs").insert(
                {
                    "id": run_id,
                    "started_at": started_at,
                    "status": "running",
                    "trigger": trigger,
                    "sources": json.dumps(sources),
                },
                pk="id",
            )

    def finish_run(self, run_id: str, *, finished_at: str, status: str, summary: dict[str, Any]) -> None:
        with self.transaction():
            self.db.table("runs").update(
                run_id, {"finished_at": finished_at, "status": status, "summary": json.dumps(summary)}
            )

    def link_pointers(self) -> int:
        """Link pointer posts to the report they point to, once that report is stored (it may come
        from a source written later in the same run)."""
        with self.transaction():
            cur = self.db.execute(
                "update posts set pointer_report_id = (select p2.report_id from posts p2 "
                "where p2.url = posts.pointer_to) where is_pointer = 1 and pointer_report_id is null "
                "and exists (select 1 from posts p2 where p2.url = posts.pointer_to)"
            )
            return cur.rowcount

    def counts(self) -> dict[str, int]:
        return {
            name: self.db[name].count
            for name in (
                "sources",
                "posts",
                "reports",
                "report_versions",
                "comments",
                "alerts",
                "fetch_errors",
            )
        }


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open: SQLite has already rolled back after SQLITE_FULL and
    I/O errors, and a failing ROLLBACK must not hide the error that caused it."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.DatabaseError):
            conn.execute("rollback")


def _store_error(e: sqlite3.DatabaseError) -> StoreError:
    text = str(e)
    if "full" in text:
        return StoreError(f"database is full: {text}", kind="storage_full")
    if "locked" in text or "busy" in text:
        return StoreError(f"database is locked: {text}", kind="storage_locked")
    return StoreError(f"database error: {text}", kind="storage_error")
