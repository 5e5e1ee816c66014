"""The raw-response archive and the fetcher's conditional-request cache (validators, bodies)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from typing import Any

from necwatch.fetch.cache import Cached
from necwatch.models import FetchRecord
from necwatch.store.base import StoreBase

# Per-run bookkeeping of a fetch: a change only in these does not rewrite the row.
TIMING_COLUMNS = frozenset({"fetched_at", "last_ok_at", "elapsed_ms", "attempts", "status", "bytes"})


class ResponseArchive(StoreBase):
    """Fetch records in, cached validators and raw bodies out."""

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

    def last_status(self, url: str) -> int | None:
        """The HTTP status of the last fetch of `url` (None if never fetched or it failed before an
        answer), so a re-extraction can replay a 404/410 as the adapters first saw it."""
        row = self.db.execute("select status from fetches where url = ?", [url]).fetchone()
        return row[0] if row else None

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
        """Insert, or update only when something beyond per-run timings changed: an unchanged poll
        (304s, the same bodies) rewrites no fetch row, so the dataset's history does not churn."""
        cur = self.db.execute("select * from fetches where url = ?", [row["url"]])
        existing = cur.fetchone()
        if existing is None:
            self.db.table("fetches").insert(row, pk="url")
            return
        stored = dict(zip([d[0] for d in cur.description], existing, strict=True))
        if all(stored.get(k) == v for k, v in row.items() if k not in TIMING_COLUMNS):
            return
        key = row.pop("url")
        self.db.table("fetches").update(key, row)

    def prune_superseded(
        self, urls: Iterable[str], *, non_reports: bool = True, listings: bool = False
    ) -> int:
        """Drop superseded raw bodies no one reads: only the latest body of a URL (fetches.body_hash)
        is read again, by a 304 and by `reextract`. `non_reports`: post pages that are not NEC
        reports (older bodies of a non-report would be kept for nothing); `listings`: every page
        that is not a post page (listings, feeds: a page re-stored because its items shifted). A
        report's page always keeps its history. Call inside transaction(), after the poll's posts are
        written (the classification decides). Returns the number of responses rows removed."""
        removed = 0
        for url in dict.fromkeys(urls):
            row = self.db.execute(
                "select count(*), sum(is_nec_report) from posts where url = ?", [url]
            ).fetchone()
            if row[1] or not (listings if not row[0] else non_reports):
                continue  # a report's page, or a kind of page kept whole
            old = self.db.execute(
                "select r.id, r.body_hash from responses r join fetches f on f.url = r.url "
                "where r.url = ? and r.body_hash is not f.body_hash",
                [url],
            ).fetchall()
            for rid, digest in old:
                self._drop_response(rid, digest, latest_of="1")
                removed += 1
        return removed

    def prune_unreplayable(self, source: str, fetched: Iterable[str]) -> int:
        """Drop the raw listings of a source whose content comes through change queries, except
        those this poll fetched (a 304 may answer from them next time) and robots.txt. `reextract`
        skips such a source (job.reextract_config), so such a listing, mostly other posts' content,
        is never read again: a backfill's pages would otherwise stay forever, the largest part of
        the archive. Post pages keep their bodies. Call inside transaction(). Returns the number of
        responses rows removed."""
        keep = set(fetched)
        old = [
            (rid, url, digest)
            for rid, url, digest in self.db.execute(
                "select r.id, r.url, r.body_hash from responses r where r.source = ? and "
                "r.url not like '%/robots.txt' and not exists (select 1 from posts p where p.url = r.url)",
                [source],
            ).fetchall()
            if url not in keep
        ]
        for rid, _, digest in old:
            self._drop_response(rid, digest, latest_of="url in (select url from posts)")
        return len(old)

    def _drop_response(self, rid: int, digest: str, *, latest_of: str) -> None:
        """Delete a responses row, and its body unless another response still reads it, or the
        latest fetch of a URL matching `latest_of` (a condition on fetches: "1" for any URL)."""
        self.db.execute("delete from responses where id = ?", [rid])
        self.db.execute(
            "delete from raw_bodies where hash = ? and not exists "
            "(select 1 from responses where body_hash = ?) and not exists "
            f"(select 1 from fetches where body_hash = ? and ({latest_of}))",
            [digest, digest, digest],
        )
