"""The web archive's state (migration 17, docs/archive.md): captures cached by digest, each source's
backfill progress, the last capture read of each post, versions' provenance and recoveries."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from necwatch.store.base import StoreBase

# Every table keyed by (report, version number) but report_versions itself: renumbered with it.
# The record tables hold the current version's record (migration 15); provenance, migration 17.
VERSIONED = ("version_provenance", "records", "items", "decisions", "mentions", "statements")
_VERSION_SAID = re.compile(r"^Version (\d{1,9}):")  # a report_edited alert's summary names its version


@dataclass(frozen=True)
class StoredCapture:
    digest: str
    url: str
    timestamp: str
    status: int
    mimetype: str
    body: bytes
    verdict: str | None
    reason: str | None


class ArchiveStore(StoreBase):
    """Reads and writes the archive tables; the caller holds the transaction for writes."""

    def archive_capture(self, digest: str) -> StoredCapture | None:
        row = self.db.execute(
            "select digest, url, timestamp, status, mimetype, body, verdict, reason from archive_captures "
            "where digest = ?",
            [digest],
        ).fetchone()
        if row is None:
            return None
        body = zlib.decompress(row[5]) if row[5] is not None else b""
        return StoredCapture(row[0], row[1], row[2], row[3] or 0, row[4] or "", body, row[6], row[7])

    def save_archive_capture(self, row: dict[str, Any], body: bytes) -> None:
        stored = {**row, "size": len(body), "body": zlib.compress(body, 6)}
        self.db.table("archive_captures").upsert(stored, pk="digest")

    def archive_version_captures(self, source: str) -> list[StoredCapture]:
        """The source's captures judged versions (page captures; feeds aside), oldest first: what a
        re-extraction reads instead of fetching."""
        rows = self.db.execute(
            "select digest, url, timestamp, status, mimetype, body, verdict, reason from archive_captures "
            "where source = ? and verdict = 'version' order by timestamp, digest",
            [source],
        ).fetchall()
        return [
            StoredCapture(
                r[0], r[1], r[2], r[3] or 0, r[4] or "", zlib.decompress(r[5]) if r[5] else b"", r[6], r[7]
            )
            for r in rows
        ]

    def archive_post_last(self, source: str, url: str) -> str | None:
        row = self.db.execute(
            "select last_timestamp from archive_posts where source = ? and url = ?", [source, url]
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def save_archive_post(self, row: dict[str, Any]) -> None:
        self.db.table("archive_posts").upsert(row, pk=("source", "url"))

    def archive_progress(self, source: str) -> dict[str, Any]:
        rows = list(self.db.query("select * from archive_progress where source = ?", [source]))
        if not rows:
            return {}
        row = dict(rows[0])
        row["pending"] = json.loads(row["pending"]) if row.get("pending") else []
        row["history"] = json.loads(row["history"]) if row.get("history") else []
        return row

    def save_archive_progress(self, row: dict[str, Any]) -> None:
        out = dict(row)
        for key in ("pending", "history"):
            if isinstance(out.get(key), list):
                out[key] = json.dumps(out[key])
        self.db.table("archive_progress").upsert(out, pk="source")

    def all_archive_progress(self) -> list[dict[str, Any]]:
        if "archive_progress" not in self.db.table_names():
            return []
        return [dict(r) for r in self.db.query("select * from archive_progress order by source")]

    def add_provenance(self, rows: Iterable[dict[str, Any]]) -> None:
        self.db.table("version_provenance").upsert_all(list(rows), pk=("report_id", "version"))

    def add_comment_provenance(self, rows: Iterable[dict[str, Any]]) -> None:
        """Comment versions read from an archive capture (migration 20): the capture they came from."""
        self.db.table("comment_provenance").upsert_all(list(rows), pk=("comment_id", "version"))

    def comments_changed_after(self, post_id: str, when: str) -> set[str]:
        """Platform ids of a post's comments whose latest version (or restoration) is later than
        `when`: a capture older than that says nothing new of them."""
        return {
            str(r[0])
            for r in self.db.execute(
                "select platform_id from comments where post_id = ? and last_seen_at > ?", [post_id, when]
            )
        }

    def comment_origins(self, report_id: str) -> list[dict[str, Any]]:
        """Every comment version of a report with its origin (the `comment_origin` view)."""
        return [
            dict(r)
            for r in self.db.query(
                "select * from comment_origin where report_id = ? order by comment_id, version", [report_id]
            )
        ]

    def latest_provenance(self, report_id: str) -> dict[str, Any] | None:
        """The provenance row of a report's latest version, None when it came from a live fetch."""
        rows = list(
            self.db.query(
                "select p.* from version_provenance p join reports r on r.id = p.report_id "
                "and r.version = p.version where p.report_id = ?",
                [report_id],
            )
        )
        return dict(rows[0]) if rows else None

    def entry_captures(self, source: str) -> list[tuple[str, StoredCapture]]:
        """(post URL, capture) of the source's posts whose latest version came from a captured feed
        or listing page (not a page of their own): what a re-extraction reads them from again."""
        rows = self.db.execute(
            "select po.url, c.digest, c.url, c.timestamp, c.status, c.mimetype, c.body, c.verdict, c.reason "
            "from posts po join reports r on r.id = po.report_id "
            "join version_provenance p on p.report_id = r.id and p.version = r.version "
            "join archive_captures c on c.digest = p.digest "
            "where po.source = ? and c.verdict in ('feed', 'listing') order by po.url",
            [source],
        ).fetchall()
        return [(str(r[0]), _capture(r[1:])) for r in rows]

    def post_url(self, post_id: str) -> str | None:
        row = self.db.execute("select url from posts where id = ?", [post_id]).fetchone()
        return str(row[0]) if row else None

    def add_recovery(self, row: dict[str, Any]) -> None:
        self.db.table("archive_recoveries").upsert(row, pk="post_id")

    def version_origins(self, report_id: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.query(
                "select * from version_origin where report_id = ? order by version", [report_id]
            )
        ]

    def recoveries(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "select * from archive_recoveries" + (" where source = ?" if source else "")
        return [dict(r) for r in self.db.query(sql + " order by post_id", [source] if source else [])]

    def removed_without_text(self, source: str) -> list[dict[str, Any]]:
        """Posts of `source` confirmed removed whose full text was never stored (only an excerpt),
        not yet recovered: the archive recovery's candidates."""
        return [
            dict(r)
            for r in self.db.query(
                "select p.id, p.url, p.removed_at, p.removed_reason, p.title from posts p where p.source = ? "
                "and p.removed_at is not null and p.is_excerpt = 1 "
                "and not exists (select 1 from archive_recoveries a where a.post_id = p.id) order by p.id",
                [source],
            )
        ]

    def add_archive_removal(self, row: dict[str, Any]) -> None:
        self.db.table("archive_removals").upsert(row, pk=("post_id", "captured_at"))

    def archive_removals(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "select * from archive_removals" + (" where source = ?" if source else "")
        return [
            dict(r) for r in self.db.query(sql + " order by post_id, captured_at", [source] if source else [])
        ]

    def first_version(self, report_id: str) -> dict[str, Any] | None:
        """A report's first stored version, with its text (report_versions_full), or None (a blog's
        other posts keep no versions)."""
        rows = list(
            self.db.query(
                "select * from report_versions_full where report_id = ? order by version limit 1", [report_id]
            )
        )
        return dict(rows[0]) if rows else None

    def prepend_versions(
        self,
        report_id: str,
        post_id: str,
        earlier: list[dict[str, Any]],
        provenance: list[dict[str, Any]],
        first: dict[str, Any],
        first_seen_at: str | None,
    ) -> None:
        """Versions older than a report's first stored one (its pre-watch history, read from the
        archive) put before it: the stored versions and everything keyed by a version number
        (VERSIONED, `reports.version`, the version a report_edited alert's summary names) move up by
        len(earlier); `earlier` become versions 1…k (their own numbers already), `first` the changes
        of the old first version (now k+1: an edit, with its diff from version k); the report's and
        the post's `first_seen_at` go back to `first_seen_at` when earlier. Call inside a
        transaction: nothing of it is seen half done."""
        conn, k = self.db.conn, len(earlier)
        if k:
            # two steps: a primary key (report_id, version) must never meet itself on the way up
            for table in ("report_versions", *VERSIONED):
                if table in ("report_versions", "version_provenance"):
                    conn.execute(f"update {table} set version = -version where report_id = ?", [report_id])
                    conn.execute(
                        f"update {table} set version = ? - version where report_id = ? and version < 0",
                        [k, report_id],
                    )
                else:
                    conn.execute(
                        f"update {table} set version = version + ? where report_id = ?", [k, report_id]
                    )
            conn.execute("update reports set version = version + ? where id = ?", [k, report_id])
            old = k + 1
            sets = ", ".join(f"{c} = ?" for c in first)
            conn.execute(
                f"update report_versions set {sets} where report_id = ? and version = ?",
                [*first.values(), report_id, old],
            )
            self.db.table("report_versions").insert_all(earlier)
            self.add_provenance(provenance)
            for alert_id, said in conn.execute(
                "select id, summary from alerts where report_id = ? and kind = 'report_edited'", [report_id]
            ).fetchall():
                m = _VERSION_SAID.match(said or "")
                if m:
                    renumbered = f"Version {int(m.group(1)) + k}:" + said[m.end() :]
                    conn.execute("update alerts set summary = ? where id = ?", [renumbered, alert_id])
        if first_seen_at:
            for table, key in (("reports", report_id), ("posts", post_id)):
                conn.execute(
                    f"update {table} set first_seen_at = ? where id = ? "
                    "and (first_seen_at is null or first_seen_at > ?)",
                    [first_seen_at, key, first_seen_at],
                )


def _capture(r: Any) -> StoredCapture:
    """digest, url, timestamp, status, mimetype, body (compressed), verdict, reason → StoredCapture."""
    body = zlib.decompress(r[5]) if r[5] else b""
    return StoredCapture(r[0], r[1], r[2], r[3] or 0, r[4] or "", body, r[6], r[7])
