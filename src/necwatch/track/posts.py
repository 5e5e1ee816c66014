"""Posts and their reports: new posts, new versions, removals and restorations (docs/tracking.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from necwatch.alerts import AlertKind
from necwatch.intents import Intent, NewPost, PostChange, ReportChange, stable_id
from necwatch.models import Outcome, PostObservation
from necwatch.track.comments import CommentTracker
from necwatch.track.emit import Emitter
from necwatch.track.reports import RecordOf, ReportTracker
from necwatch.track.state import (
    NearMatcher,
    Normalized,
    ReportIndex,
    StoredComment,
    StoredPost,
    post_key,
    stale,
    title_key,
)

log = logging.getLogger("necwatch.track")


@dataclass
class Tracker:
    """Decides the writes for one source's poll. One instance per source per run."""

    source: str
    run_id: str
    now: datetime
    index: ReportIndex
    near: NearMatcher | None = None
    backfill: bool = False  # the source's first successful poll: alerts are recorded, not pushed
    technical: bool = False  # re-extraction: versions are technical, no alerts, no removals
    hash_of: Callable[[str], str] | None = None  # current-version hash of a text (stored older hashes)
    record_of: RecordOf | None = None  # a text's record, to say in words what an edit changed in it
    emit: Emitter = field(init=False)
    _live_delta: dict[str, int] = field(default_factory=dict)
    _observed: dict[str, str] = field(default_factory=dict)  # post id → the URL first observed this poll

    def __post_init__(self) -> None:
        self.emit = Emitter(self.source, self.run_id, self.now, self.backfill, self.technical)
        self.comments = CommentTracker(self.emit)
        self.reports = ReportTracker(self.emit, self.index, self.near, self.record_of)

    @property
    def ops(self) -> list[Intent]:
        """The intents so far, in the order the store must apply them."""
        return self.emit.intents

    @property
    def alerts(self) -> int:
        return self.emit.alerts

    @property
    def ts(self) -> str:
        return self.emit.ts

    # -- entry point -------------------------------------------------------------------------
    def observe(
        self,
        obs: PostObservation,
        norm: Normalized | None,
        stored: StoredPost | None,
        stored_comments: Mapping[str, StoredComment],
        *,
        listing_complete: bool,
    ) -> None:
        if obs.outcome is Outcome.FAILED:
            return
        pid = post_key(self.source, obs.url)
        if pid in self._observed:
            self._seen_twice(obs.url, self._observed[pid])
            return
        self._observed[pid] = obs.url
        if obs.outcome is Outcome.GONE:
            if stored is not None and stored.removed_at is None and not self.technical:
                self._gone(obs, stored, listing_complete)
            return
        if obs.outcome is Outcome.NOT_MODIFIED:
            if stored is None:
                return
            self._seen(stored)
            if norm is not None and norm.comments is not None and stored.report_id:
                self.comments.observe(
                    stored.id,
                    stored.report_id,
                    norm.comments,
                    stored_comments,
                    stored.is_nec_report,
                    partial=obs.comments_partial,
                )
            return
        assert norm is not None, "a fetched post is normalized before tracking"
        if norm.is_excerpt:
            self._excerpt(norm, stored)
        elif stored is None:
            self._new_post(norm, partial=obs.comments_partial)
        elif stored.is_excerpt:
            self._full_body_read(norm, stored, stored_comments, partial=obs.comments_partial)
        else:
            self._known_post(norm, stored, stored_comments, partial=obs.comments_partial)
        if obs.moved_from and stored is not None and stored.url != norm.url and not norm.is_excerpt:
            # the same post at its new URL (a permanent redirect from the stored one): `url` follows
            # through post_row, the old one is kept
            self.emit.add(PostChange(stored.id, {"moved_from": stored.url}))

    # -- helpers -----------------------------------------------------------------------------
    def _seen_twice(self, url: str, first: str) -> None:
        """A second observation of one post in one poll (a feed listing two items with one link, or
        links differing only in host or fragment): the first observed is kept, the other skipped."""
        log.warning(
            "%s observed twice in one poll (as %s first): the first observation is kept, this one skipped",
            url,
            first,
            extra={"source": self.source},
        )

    def post_row(self, norm: Normalized) -> dict[str, Any]:
        """The posts columns a normalized post determines."""
        pointer_report = self.index.report_for_url(norm.pointer_to) if norm.pointer_to else None
        return {
            "url": norm.url,
            "platform_id": norm.platform_id,
            "title": norm.title,
            "author": norm.author,
            "published_at": norm.published_at,
            "updated_at": norm.updated_at,
            "labels": json.dumps(list(norm.labels), ensure_ascii=False),
            "is_nec_report": int(norm.is_nec_report),
            "is_pointer": int(norm.is_pointer),
            "pointer_to": norm.pointer_to,
            "pointer_report_id": pointer_report,
            "content_hash": norm.content_hash,
            "via": norm.via,
            "extractor_version": norm.extractor_version,
            "is_excerpt": int(norm.is_excerpt),
            "extraction": norm.extraction,
        }

    # -- a post seen for the first time --------------------------------------------------------
    def _new_post(self, norm: Normalized, *, partial: bool = False) -> None:
        pid = post_key(self.source, norm.url)
        report_id = self.reports.report_for(norm, pid)
        ts = self.ts
        row = {
            "id": pid,
            "source": self.source,
            "report_id": report_id,
            **self.post_row(norm),
            "first_seen_at": ts,
            "last_seen_at": ts,
            "missing_polls": 0,
        }
        self.emit.add(NewPost(row))
        if norm.comments is not None:
            self.comments.observe(pid, report_id, norm.comments, {}, norm.is_nec_report, partial=partial)

    # -- a feed excerpt whose page could not be read ---------------------------------------------
    def _excerpt(self, norm: Normalized, stored: StoredPost | None) -> None:
        """An excerpt is never a report's body: a new post is stored flagged `is_excerpt`, with no
        report and no alert (new_report waits for the full body); a post whose full body is stored
        keeps it (its page failing this poll is not an edit)."""
        if stored is not None and not stored.is_excerpt:
            self._seen(stored)
            return
        row = {**self.post_row(norm), "content_hash": None}
        if stored is None:
            ts = self.ts
            pid = post_key(self.source, norm.url)
            new = {"id": pid, "source": self.source, "report_id": None, **row}
            self.emit.add(NewPost({**new, "first_seen_at": ts, "last_seen_at": ts, "missing_polls": 0}))
            return
        changes = {k: v for k, v in row.items() if stored.meta.get(k) != v}
        if stored.missing_polls:
            changes["missing_polls"] = 0
        if changes or stale(stored.last_seen_at, self.now):
            changes["last_seen_at"] = self.ts
            self.emit.add(PostChange(stored.id, changes))

    def _full_body_read(
        self,
        norm: Normalized,
        stored: StoredPost,
        stored_comments: Mapping[str, StoredComment],
        *,
        partial: bool = False,
    ) -> None:
        """A post stored as an excerpt is read in full at last: its report is created now (with the
        new_report alert an NEC report raises), and the post row stops being an excerpt."""
        report_id = self.reports.report_for(norm, stored.id)
        changes = {**self.post_row(norm), "report_id": report_id, "missing_polls": 0, "last_seen_at": self.ts}
        if stored.removed_at is not None:
            changes.update(removed_at=None, removed_reason=None)
        self.emit.add(PostChange(stored.id, changes))
        if norm.comments is not None:
            self.comments.observe(
                stored.id, report_id, norm.comments, stored_comments, norm.is_nec_report, partial=partial
            )

    # -- a post already stored -----------------------------------------------------------------
    def _known_post(
        self,
        norm: Normalized,
        stored: StoredPost,
        stored_comments: Mapping[str, StoredComment],
        *,
        partial: bool = False,
    ) -> None:
        changes: dict[str, Any] = {}
        report_id = stored.report_id or stable_id("report", norm.content_hash)
        if stored.removed_at is not None:
            changes.update(self._restore(stored, report_id, norm.title, norm.url, norm.is_nec_report))
        if stored.missing_polls:
            changes["missing_polls"] = 0
        edited = self._edited(norm, stored, report_id)
        if edited:
            self.reports.new_version(norm, stored, report_id)
        for key, value in self.post_row(norm).items():
            old = stored.meta.get(key, getattr(stored, key, None))
            if key in ("title", "content_hash"):
                if edited:
                    changes[key] = value
            elif old != value and not (key == "pointer_report_id" and value is None):
                changes[key] = value
        if changes or stale(stored.last_seen_at, self.now):
            changes["last_seen_at"] = self.ts
            self.emit.add(PostChange(stored.id, changes))
        if norm.comments is not None:
            self.comments.observe(
                stored.id, report_id, norm.comments, stored_comments, norm.is_nec_report, partial=partial
            )

    def _edited(self, norm: Normalized, stored: StoredPost, report_id: str) -> bool:
        """A change of the normalized body or title (a hash of an older definition is recomputed)."""
        stored_hash = stored.content_hash or ""
        if self.hash_of is not None and stored_hash.split(":")[0] != norm.content_hash.split(":")[0]:
            report = self.reports.get(report_id)
            if report is not None and not report.body_text and not report.is_nec_report:
                # a non-report keeps no text to re-hash: it counts as edited only once it is a report
                return norm.is_nec_report or title_key(stored.title or "") != norm.title_key
            stored_hash = self.hash_of(report.body_text) if report else stored_hash
        return stored_hash != norm.content_hash or title_key(stored.title or "") != norm.title_key

    # -- removal -------------------------------------------------------------------------------
    def _gone(self, obs: PostObservation, stored: StoredPost, listing_complete: bool) -> None:
        missing = stored.missing_polls + 1
        reason = _removal_reason(obs, missing, listing_complete)
        if reason is None:
            self.emit.add(PostChange(stored.id, {"missing_polls": missing}))
            return
        self.emit.add(
            PostChange(stored.id, {"missing_polls": missing, "removed_at": self.ts, "removed_reason": reason})
        )
        if stored.report_id:
            delta = self._live_delta.get(stored.report_id, 0) - 1
            self._live_delta[stored.report_id] = delta
            if self.index.live_posts(stored.report_id) + delta <= 0:
                self.emit.add(ReportChange(stored.report_id, {"removed_at": self.ts}))
        if stored.is_nec_report:
            self.emit.alert(
                AlertKind.REPORT_REMOVED,
                f"{stored.id}:{self.run_id}",
                report_id=stored.report_id,
                post_id=stored.id,
                title=stored.title,
                url=stored.url,
                summary=f"{stored.url} answers {reason.replace('_', ' ')}",
            )

    def _restore(
        self, stored: StoredPost, report_id: str | None, title: str | None, url: str, is_report: bool
    ) -> dict[str, Any]:
        """A removed post answers again: its report is live again, one report_restored alert.
        Returns the post's column changes."""
        if report_id:
            self._live_delta[report_id] = self._live_delta.get(report_id, 0) + 1
            self.emit.add(ReportChange(report_id, {"removed_at": None}))
        if stored.is_nec_report or is_report:
            self.emit.alert(
                AlertKind.REPORT_RESTORED,
                f"{stored.id}:{self.run_id}",
                report_id=report_id,
                post_id=stored.id,
                title=title,
                url=url,
                summary=f"The post is back at {url}",
            )
        return {"removed_at": None, "removed_reason": None}

    def _seen(self, stored: StoredPost) -> None:
        changes: dict[str, Any] = {}
        if stored.missing_polls:
            changes["missing_polls"] = 0
        if stored.removed_at is not None:
            changes.update(self._restore(stored, stored.report_id, stored.title, stored.url, False))
        if changes or stale(stored.last_seen_at, self.now):
            changes["last_seen_at"] = self.ts
            self.emit.add(PostChange(stored.id, changes))


def _removal_reason(obs: PostObservation, missing: int, listing_complete: bool) -> str | None:
    """410 at once; 404 twice in a row; 404 while absent from a complete listing. Else not yet."""
    if obs.http_status == 410:
        return "http_410"
    if missing >= 2:
        return "http_404_twice"
    if listing_complete and not obs.listed:
        return "http_404_unlisted"
    return None
