"""Writing a poll's decisions, run records and fetch errors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from necwatch.intents import Alert, Insert, Intent, KeepVersionText, RecountComments
from necwatch.models import Failure
from necwatch.store.base import StoreBase, store_error

# The superseded version takes the text the report row holds now (a version that kept its own text,
# as rows written before migration 11 did, keeps it).
KEEP_VERSION_TEXT = (
    "update report_versions set body_text = coalesce(body_text, "
    "(select body_text from reports where id = ?)) where report_id = ? and version = ?"
)


class PollWrites(StoreBase):
    """The writes of a poll; call inside `transaction()` unless a method opens its own."""

    def apply(self, intents: Iterable[Intent]) -> int:
        """Execute the deciders' intents in order, as plain parameterized SQL (sqlite-utils' per-row
        insert introspects the table every call: 3× slower on a backfill). Call inside transaction().
        Table and column names come from necwatch.intents, never from scraped data. Returns the
        number of statements run."""
        n = 0
        try:
            for intent in intents:
                n += self._apply_one(intent)
        except sqlite3.DatabaseError as e:
            raise store_error(e) from e
        return n

    def _apply_one(self, intent: Intent) -> int:
        conn = self.db.conn
        if isinstance(intent, RecountComments):
            conn.execute(
                "update reports set comment_count = (select count(*) from comments "
                "where report_id = ? and removed_at is null) where id = ?",
                [intent.report_id, intent.report_id],
            )
        elif isinstance(intent, KeepVersionText):
            conn.execute(KEEP_VERSION_TEXT, [intent.report_id, intent.report_id, intent.version])
        elif isinstance(intent, Insert | Alert):
            row = intent.row
            cols = list(row)
            verb = "insert or ignore" if intent.ignore else "insert"
            conn.execute(
                f"{verb} into [{intent.table}] ({', '.join(f'[{c}]' for c in cols)}) "
                f"values ({', '.join('?' * len(cols))})",
                [row[c] for c in cols],
            )
        else:
            if not intent.row:
                return 0
            cols = list(intent.row)
            assignments = ", ".join(f"[{c}] = ?" for c in cols)
            conn.execute(
                f"update [{intent.table}] set {assignments} where [{intent.pk}] = ?",
                [*(intent.row[c] for c in cols), intent.key],
            )
        return 1

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

    def abort_running_runs(self, finished_at: str, reason: str) -> int:
        """Close the run rows left 'running' (by a poll cancelled at shutdown or a killed process)."""
        with self.transaction():
            cur = self.db.execute(
                "update runs set status = 'aborted', finished_at = ?, summary = ? where status = 'running'",
                [finished_at, json.dumps({"reason": reason})],
            )
            return cur.rowcount

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
