"""Reading the state that tracking decides from: sources, posts, comments, reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from necwatch.store.base import StoreBase
from necwatch.track import ReportRef, StoredComment, StoredPost


class StateReads(StoreBase):
    """What a poll reads before it decides."""

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

    def stored_posts_of(self, source: str, ids: Iterable[str], urls: Iterable[str]) -> list[StoredPost]:
        """The source's stored posts with one of these ids or urls (in rowid order): what a poll's
        observations are compared with, not the whole archive (20,000 rows at 10,000 posts a site)."""
        found: dict[str, tuple[int, StoredPost]] = {}
        for column, values in (("id", list(ids)), ("url", list(urls))):
            for i in range(0, len(values), 500):
                chunk = values[i : i + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"select rowid as _rowid, * from posts where source = ? and {column} in ({marks})"
                for r in self.db.query(sql, [source, *chunk]):
                    found[r["id"]] = (r.pop("_rowid"), StoredPost.from_row(r))
        return [post for _, post in sorted(found.values(), key=lambda x: x[0])]

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

    def near_candidates(self, band_keys: Sequence[int]) -> list[tuple[str, str]]:
        """(id, content hash) of the NEC reports (not themselves near-copies) sharing a min-hash band
        with a text: the only ones worth an exact comparison, however large or old the archive
        (report_minhash). Not their texts: a lookup may have hundreds of candidates, whose shingles
        it mostly keeps (report_text reads the others)."""
        if not band_keys:
            return []
        marks = ",".join("?" * len(band_keys))
        # Driven by the bands (CROSS JOIN keeps that order): left to itself SQLite scanned every NEC
        # report (idx_reports_is_nec_report_published_at) to test `id in (…)`, a cost that grew with
        # the archive. Ordered as that scan returned them (ties go to the first candidate).
        rows = self.db.execute(
            "select r.id, r.content_hash from (select distinct report_id from report_minhash "
            f"where band_key in ({marks})) m cross join reports r on r.id = m.report_id "
            "where r.duplicate_of is null and r.is_nec_report = 1 order by r.published_at, r.rowid",
            list(band_keys),
        )
        return [(r[0], r[1]) for r in rows]

    def report_text(self, report_id: str) -> str:
        """A report's current body text ("" for none, or no such report)."""
        row = self.db.execute("select body_text from reports where id = ?", [report_id]).fetchone()
        return (row[0] or "") if row else ""

    def index_report(self, report_id: str, band_keys: Sequence[int], *, replace: bool = True) -> None:
        """Replace a report's min-hash bands (empty: take it out of the index). Call inside
        transaction(), when a report is created (replace=False) or its text changes. Replacing scans
        the table (no index on report_id: it would double the table's size), so only edits pay it."""
        if replace:
            self.db.execute("delete from report_minhash where report_id = ?", [report_id])
        self.db.conn.executemany(
            "insert or ignore into report_minhash (band_key, report_id) values (?, ?)",
            [(k, report_id) for k in band_keys],
        )

    def live_posts(self, report_id: str) -> int:
        row = self.db.execute(
            "select count(*) from posts where report_id = ? and removed_at is null", [report_id]
        ).fetchone()
        return int(row[0])

    def report_for_url(self, url: str) -> str | None:
        row = self.db.execute("select report_id from posts where url = ?", [url]).fetchone()
        return row[0] if row else None

    def source_activity(self, source: str, meetings_since: str) -> tuple[str | None, list[str]]:
        """The source's latest post time, and the NEC meeting dates on or after `meetings_since`
        (what adaptive polling decides from)."""
        row = self.db.execute(
            "select max(coalesce(published_at, first_seen_at)) from posts "
            "where source = ? and removed_at is null",
            [source],
        ).fetchone()
        meetings = [
            r[0]
            for r in self.db.execute(
                "select distinct meeting_date from reports where is_nec_report = 1 and meeting_date >= ?",
                [meetings_since],
            ).fetchall()
            if r[0]
        ]
        return (row[0] if row else None), meetings

    def live_post_count(self, source: str) -> int:
        row = self.db.execute(
            "select count(*) from posts where source = ? and removed_at is null", [source]
        ).fetchone()
        return int(row[0])

    def polled_sources(self) -> dict[str, dict[str, Any]]:
        """Every source this database holds: name → type, url and the config it was last polled with
        (JSON, None for rows written before necwatch kept it)."""
        return {
            r["name"]: {"type": r["type"], "url": r["url"], "config": r.get("config")}
            for r in self.db.query("select * from sources order by name")
        }
