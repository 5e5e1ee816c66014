"""What the CLI, the feeds and notify read from (and mark in) the dataset.

Every query downstream of a poll lives here, so the schema has one reader to keep in step and the
callers stay thin: `necwatch alerts` is `alerts_since`, `necwatch status` is `source_status`, a feed is
`feed_reports` / `feed_alerts`, the notification outbox is `pending_alerts` + `mark_delivered` /
`mark_failed`. Rows come back as plain dicts (column → value), in the order the caller shows them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any, TypedDict

from necwatch.store.base import StoreBase


class SourceStatus(TypedDict):
    """One configured source's health, as `necwatch status` prints it (keys in output order)."""

    name: str
    type: str
    health: str
    last_ok_at: str | None
    last_polled_at: str | None
    next_check_at: str | None
    consecutive_failures: int
    posts: int
    last_error: str | None
    detected_type: str | None  # `type: auto`: the platform detected, and the path (URL) it reads
    detected_url: str | None
    excerpts: int  # live posts stored from a feed excerpt only (their pages could not be read)
    fallbacks: dict[str, int]  # "field: method" → live posts whose field came from a fallback layer
    extractor_version: str | None  # the EXTRACTOR_VERSION its stored text was last read with


class ReaderQueries(StoreBase):
    """Reads for everything downstream of a poll: alerts, source health, feeds, summaries."""

    # -- the CLI -----------------------------------------------------------------------------------
    def alerts_since(
        self, since: datetime | None = None, kinds: Collection[str] | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Alerts created at or after `since` (a naive time is UTC), of `kinds` (None: any), newest
        first; every column, so `necwatch alerts --json` shows the whole row."""
        where, params = _kind_filter(kinds)
        if since is not None:
            when = since if since.tzinfo else since.replace(tzinfo=UTC)
            where.append("created_at >= ?")
            params.append(when.astimezone(UTC).isoformat(timespec="seconds"))
        return self._alerts(where, params, "created_at desc, rowid desc", limit)

    def source_status(self, configured: Iterable[tuple[str, str]]) -> list[SourceStatus]:
        """Health of each configured (name, type) source, in config order; one never polled has no
        row yet and says so, rather than being left out."""
        rows = {r["name"]: r for r in self.db.query("select * from sources")}
        excerpts = dict(
            self.db.execute(
                "select source, count(*) from posts "
                "where is_excerpt = 1 and removed_at is null group by source"
            ).fetchall()
        )
        fallbacks = self.fallback_counts()
        out: list[SourceStatus] = []
        for name, type_ in configured:
            r = rows.get(name, {})
            out.append(
                SourceStatus(
                    name=name,
                    type=type_,
                    health=_health(r),
                    last_ok_at=r.get("last_ok_at"),
                    last_polled_at=r.get("last_polled_at"),
                    next_check_at=r.get("next_check_at"),
                    consecutive_failures=r.get("consecutive_failures", 0),
                    posts=r.get("posts", 0),
                    last_error=r.get("last_error"),
                    detected_type=r.get("detected_type"),
                    detected_url=r.get("detected_url"),
                    excerpts=excerpts.get(name, 0),
                    fallbacks=fallbacks.get(name, {}),
                    extractor_version=r.get("extractor_version"),
                )
            )
        return out

    def fallback_counts(self) -> dict[str, dict[str, int]]:
        """Per source, how many live posts had their title, body or date from a layer other than
        the platform's own markup (`posts.extraction`): a template change shows here first."""
        from necwatch.sources.registry import platform_methods  # at call time: the store needs no adapters

        own = platform_methods()
        out: dict[str, dict[str, int]] = {}
        for r in self.db.query(
            "select source, extraction from posts where extraction is not null and removed_at is null"
        ):
            try:
                methods = json.loads(r["extraction"])
            except ValueError:
                continue
            for name in ("title", "body", "published"):
                method = methods.get(name)
                if method and method not in own:
                    key = f"{name}: {method}"
                    out.setdefault(r["source"], {})[key] = out.get(r["source"], {}).get(key, 0) + 1
        return out

    def nec_reports(self) -> list[dict[str, Any]]:
        """Every NEC report (near-duplicates included) by meeting, newest first: the demo's summary."""
        return list(
            self.db.query(
                "select meeting_date, meeting_kind, author, title from reports where is_nec_report = 1 "
                "order by meeting_date desc"
            )
        )

    # -- feeds -------------------------------------------------------------------------------------
    def feed_reports(self, limit: int) -> list[dict[str, Any]]:
        """The newest NEC reports that are not near-duplicates, with their bodies (reports.atom)."""
        return list(
            self.db.query(
                "select * from reports where is_nec_report = 1 and duplicate_of is null "
                "order by coalesce(published_at, first_seen_at) desc, id limit ?",
                [limit],
            )
        )

    def feed_alerts(
        self,
        *,
        limit: int,
        kinds: Collection[str] | None = None,
        source: str | None = None,
        include_backfill: bool = True,
    ) -> list[dict[str, Any]]:
        """The newest alerts of `kinds` (None: any; empty: none, so an empty allow-list shows
        nothing) and of one `source`, optionally without backfill."""
        where, params = _kind_filter(kinds)
        if source is not None:
            where.append("source = ?")
            params.append(source)
        if not include_backfill:
            where.append("backfill = 0")
        return self._alerts(where, params, "created_at desc, id", limit)

    def comment_body(self, comment_id: str) -> str | None:
        """A comment's sanitized HTML (shown under its alert)."""
        row = self.db.execute("select body_html from comments where id = ?", [comment_id]).fetchone()
        return row[0] if row else None

    def comment_page(self, comment_id: str) -> str | None:
        """Where a comment is or was: its own URL, else the post its report was first published at
        (the link of an alert about a comment that has none, e.g. a removed one)."""
        row = self.db.execute(
            "select coalesce(c.url, r.canonical_url) from comments c "
            "left join reports r on r.id = c.report_id where c.id = ?",
            [comment_id],
        ).fetchone()
        return row[0] if row else None

    def report_body(self, report_id: str) -> str | None:
        """A report's sanitized HTML (shown under its alert)."""
        row = self.db.execute("select body_html from reports where id = ?", [report_id]).fetchone()
        return row[0] if row else None

    def report_versions(self, report_id: str) -> list[dict[str, Any]]:
        """Every version of a report, oldest first, each with its text (the current version's is
        stored once, in the report row: read through the `report_versions_full` view)."""
        return list(
            self.db.query(
                "select * from report_versions_full where report_id = ? order by version", [report_id]
            )
        )

    def report_authors(self, report_ids: Collection[str]) -> dict[str, str]:
        """Report id → author, for the authors of alert entries in the feeds."""
        ids = sorted({i for i in report_ids if i})
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        sql = f"select id, author from reports where author is not null and id in ({marks})"
        rows = self.db.execute(sql, ids)
        return {r[0]: r[1] for r in rows}

    # -- the notification outbox -------------------------------------------------------------------
    def pending_alerts(
        self, *, max_attempts: int, include_backfill: bool, limit: int
    ) -> list[dict[str, Any]]:
        """Undelivered alerts not yet given up on, oldest first, so a backlog drains in order."""
        where: list[str] = ["delivered_at is null", "coalesce(delivery_attempts, 0) < ?"]
        if not include_backfill:
            where.append("backfill = 0")
        return self._alerts(where, [max_attempts], "created_at, rowid", limit)

    def mark_delivered(self, alert_id: str) -> int:
        """Record a successful delivery (never sent again); return the attempts it took."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return self._attempted(alert_id, "delivered_at = ?, delivery_error = null", [now])

    def mark_failed(self, alert_id: str, error: str) -> int:
        """Record a failed delivery (retried next run, until max_attempts); return attempts so far."""
        return self._attempted(alert_id, "delivery_error = ?", [error])

    # -- helpers -----------------------------------------------------------------------------------
    def _alerts(self, where: list[str], params: list[Any], order: str, limit: int) -> list[dict[str, Any]]:
        sql = f"select * from alerts where {' and '.join(where) or '1 = 1'} order by {order} limit ?"
        return list(self.db.query(sql, [*params, int(limit)]))

    def _attempted(self, alert_id: str, assignments: str, params: list[Any]) -> int:
        """One more delivery attempt, in its own transaction (a crash keeps what was recorded)."""
        with self.transaction():
            self.db.execute(
                "update alerts set delivery_attempts = coalesce(delivery_attempts, 0) + 1, "
                f"{assignments} where id = ?",
                [*params, alert_id],
            )
            row = self.db.execute("select delivery_attempts from alerts where id = ?", [alert_id]).fetchone()
        return int(row[0]) if row else 0


def _kind_filter(kinds: Collection[str] | None) -> tuple[list[str], list[Any]]:
    """`kind in (…)` for a collection of kinds (an empty one matches nothing); nothing for None."""
    if kinds is None:
        return [], []
    values = [str(k) for k in kinds]
    if not values:
        return ["0 = 1"], []
    return [f"kind in ({', '.join('?' * len(values))})"], values


def _health(row: dict[str, Any]) -> str:
    """`never polled` (no row), `never read` (polled, never read successfully: not `ok`), or the
    stored health."""
    if not row:
        return "never polled"
    health = str(row.get("health") or "ok")
    return "never read" if health == "ok" and not row.get("last_ok_at") else health
