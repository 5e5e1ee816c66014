"""Change tracking, as a pure function: stored state + a new observation → writes and alerts.

Nothing here does I/O. `Tracker.observe()` is given what the database holds (through the small
`ReportIndex` interface) and what a poll found, and returns an ordered list of `Op`s that the store
executes in one transaction. The rules (docs/tracking.md):

* A failed fetch is never evidence: FAILED outcomes change nothing.
* A post is removed only on 410 (no same-run confirmation: see docs/tracking.md), on 404 in two polls
  in a row, or on 404 while it is also absent from a complete listing fetched in the same poll. A
  removed post that comes back is restored.
* An edit is a change of the normalized body (content_hash) or the normalized title; whitespace,
  typography and tracking parameters are not edits. Re-extraction (`technical=True`) records a
  technical version and raises no alert.
* Each real event gives exactly one alert, with a deterministic id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from necwatch import diffs
from necwatch.models import Comment, Outcome, PostObservation

# How often an unchanged post's last_seen_at is refreshed: writing it every poll would make
# "nothing changed" polls write a row per post.
LAST_SEEN_REFRESH = timedelta(hours=20)


@dataclass(frozen=True)
class Op:
    """One write: insert / update / upsert of one row."""

    table: str
    action: Literal["insert", "update", "upsert"]
    row: dict[str, Any]
    key: Any = None  # primary key value for updates
    pk: str | tuple[str, ...] = "id"
    ignore: bool = False  # insert-or-ignore (alerts: the same event id is never written twice)


@dataclass(frozen=True)
class StoredPost:
    id: str
    url: str
    report_id: str | None
    content_hash: str | None
    title: str | None
    removed_at: str | None
    missing_polls: int
    last_seen_at: str | None
    is_nec_report: bool
    published_at: str | None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> StoredPost:
        return cls(
            id=r["id"],
            url=r["url"],
            report_id=r["report_id"],
            content_hash=r["content_hash"],
            title=r["title"],
            removed_at=r["removed_at"],
            missing_polls=r["missing_polls"] or 0,
            last_seen_at=r["last_seen_at"],
            is_nec_report=bool(r["is_nec_report"]),
            published_at=r["published_at"],
            meta=dict(r),
        )


@dataclass(frozen=True)
class ReportRef:
    id: str
    content_hash: str
    title: str
    body_text: str
    version: int
    published_at: str | None
    is_nec_report: bool
    post_count: int
    comment_count: int
    duplicate_of: str | None = None
    removed_at: str | None = None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> ReportRef:
        return cls(
            id=r["id"],
            content_hash=r["content_hash"],
            title=r["title"],
            body_text=r["body_text"] or "",
            version=r["version"] or 1,
            published_at=r["published_at"],
            is_nec_report=bool(r["is_nec_report"]),
            post_count=r["post_count"] or 0,
            comment_count=r["comment_count"] or 0,
            duplicate_of=r.get("duplicate_of"),
            removed_at=r.get("removed_at"),
        )


@dataclass(frozen=True)
class StoredComment:
    id: str
    platform_id: str
    content_hash: str
    version: int
    removed_at: str | None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> StoredComment:
        return cls(r["id"], r["platform_id"], r["content_hash"], r["version"] or 1, r["removed_at"])


@dataclass(frozen=True)
class Normalized:
    """A post after the normalize stage: what tracking compares and stores."""

    url: str
    platform_id: str | None
    title: str
    title_key: str  # normalized title, for comparing
    author: str | None
    published_at: str | None  # UTC ISO 8601
    updated_at: str | None
    labels: tuple[str, ...]
    body_text: str
    clean_html: str
    content_hash: str
    is_nec_report: bool
    is_pointer: bool
    pointer_to: str | None
    meeting_date: str | None
    meeting_kind: str | None
    via: str
    extractor_version: str
    comments: tuple[NormalizedComment, ...] | None = None


@dataclass(frozen=True)
class NormalizedComment:
    comment: Comment
    content_hash: str
    published_at: str | None
    author: str
    clean_html: str


class ReportIndex(Protocol):
    """What tracking may ask the database (read only)."""

    def report(self, report_id: str) -> ReportRef | None: ...
    def report_by_hash(self, content_hash: str) -> ReportRef | None: ...
    def near_candidates(self, published_at: str | None) -> list[ReportRef]: ...
    def report_for_url(self, url: str) -> str | None: ...
    def live_posts(self, report_id: str) -> int: ...


class NearMatcher(Protocol):
    def __call__(self, text: str, candidates: list[ReportRef]) -> tuple[str, float] | None: ...


def stable_id(*parts: str) -> str:
    """A short deterministic id: the same inputs always name the same row."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def post_key(source: str, url: str) -> str:
    """Posts are identified by source + path (host-independent: a base may move)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return stable_id(source, parts.path + ("?" + parts.query if parts.query else ""))


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
    hash_of: Any = None  # callable(text) -> current-version hash, for stored hashes of older versions
    ops: list[Op] = field(default_factory=list)
    alerts: int = 0
    # Reports created or changed in this poll, visible to later posts of the same poll.
    _reports: dict[str, ReportRef] = field(default_factory=dict)
    _by_hash: dict[str, str] = field(default_factory=dict)
    _live_delta: dict[str, int] = field(default_factory=dict)

    @property
    def ts(self) -> str:
        return self.now.isoformat(timespec="seconds")

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
        if obs.outcome is Outcome.GONE:
            if stored is not None and stored.removed_at is None and not self.technical:
                self._gone(obs, stored, listing_complete)
            return
        if obs.outcome is Outcome.NOT_MODIFIED:
            if stored is None:
                return
            self._seen(stored)
            if norm is not None and norm.comments is not None and stored.report_id:
                self._comments(
                    stored.id, stored.report_id, norm.comments, stored_comments, stored.is_nec_report
                )
            return
        assert norm is not None, "a fetched post is normalized before tracking"
        if stored is None:
            self._new_post(norm)
        else:
            self._known_post(norm, stored, stored_comments)

    # -- helpers -----------------------------------------------------------------------------
    def _report(self, report_id: str) -> ReportRef | None:
        return self._reports.get(report_id) or self.index.report(report_id)

    def _report_by_hash(self, content_hash: str) -> ReportRef | None:
        rid = self._by_hash.get(content_hash)
        if rid is not None:
            return self._reports[rid]
        return self.index.report_by_hash(content_hash)

    def _alert(self, kind: str, event: str, **fields: Any) -> None:
        if self.technical:
            return
        self.alerts += 1
        row = {
            "id": stable_id(kind, event),
            "kind": kind,
            "created_at": self.ts,
            "source": self.source,
            "backfill": int(self.backfill),
            "run_id": self.run_id,
            **fields,
        }
        self.ops.append(Op("alerts", "insert", row, ignore=True))

    def _post_row(self, norm: Normalized) -> dict[str, Any]:
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
        }

    def _report_fields(self, norm: Normalized) -> dict[str, Any]:
        return {
            "title": norm.title,
            "author": norm.author,
            "meeting_date": norm.meeting_date,
            "meeting_kind": norm.meeting_kind,
            "is_nec_report": int(norm.is_nec_report),
            "content_hash": norm.content_hash,
            "body_text": norm.body_text,
            "body_html": norm.clean_html,
            "words": len(norm.body_text.split()),
        }

    # -- a post seen for the first time --------------------------------------------------------
    def _new_post(self, norm: Normalized) -> None:
        pid = post_key(self.source, norm.url)
        existing = self._report_by_hash(norm.content_hash)
        if existing is not None:
            report_id = existing.id
            published = (
                min(p for p in (existing.published_at, norm.published_at) if p)
                if (existing.published_at or norm.published_at)
                else None
            )
            updated = ReportRef(
                **{
                    **existing.__dict__,
                    "post_count": existing.post_count + 1,
                    "published_at": published,
                    "removed_at": None,
                }
            )
            self._remember(updated)
            self.ops.append(
                Op(
                    "reports",
                    "update",
                    {"post_count": updated.post_count, "published_at": published, "removed_at": None},
                    key=report_id,
                )
            )
            if norm.is_nec_report:
                self._alert(
                    "report_republished",
                    pid,
                    report_id=report_id,
                    post_id=pid,
                    title=norm.title,
                    url=norm.url,
                    summary=f"The same report now also appears at {norm.url}",
                )
        else:
            report_id = stable_id("report", norm.content_hash)
            duplicate_of, score = None, None
            if self.near is not None and norm.is_nec_report and not norm.is_pointer:
                match = self.near(norm.body_text, self.index.near_candidates(norm.published_at))
                if match is not None:
                    duplicate_of, score = match
            row = {
                "id": report_id,
                **self._report_fields(norm),
                "published_at": norm.published_at,
                "canonical_url": norm.url,
                "source": self.source,
                "post_count": 1,
                "comment_count": 0,
                "version": 1,
                "first_seen_at": self.ts,
                "updated_at": self.ts,
                "duplicate_of": duplicate_of,
                "similarity": score,
            }
            self.ops.append(Op("reports", "insert", row))
            self.ops.append(
                Op(
                    "report_versions",
                    "insert",
                    {
                        "report_id": report_id,
                        "version": 1,
                        "seen_at": self.ts,
                        "kind": "initial",
                        "title": norm.title,
                        "body_text": norm.body_text,
                        "content_hash": norm.content_hash,
                        "post_id": pid,
                        "run_id": self.run_id,
                        "extractor_version": norm.extractor_version,
                    },
                    pk=("report_id", "version"),
                )
            )
            self._remember(
                ReportRef(
                    report_id,
                    norm.content_hash,
                    norm.title,
                    norm.body_text,
                    1,
                    norm.published_at,
                    norm.is_nec_report,
                    1,
                    0,
                    duplicate_of,
                )
            )
            if norm.is_nec_report and duplicate_of is not None:
                self._alert(
                    "report_republished",
                    pid,
                    report_id=report_id,
                    post_id=pid,
                    title=norm.title,
                    url=norm.url,
                    summary=f"A near-copy (similarity {score:.2f}) of report {duplicate_of} at {norm.url}",
                )
            elif norm.is_nec_report:
                self._alert(
                    "new_report",
                    report_id,
                    report_id=report_id,
                    post_id=pid,
                    title=norm.title,
                    url=norm.url,
                    summary=_summary_line(norm),
                )
        row = {
            "id": pid,
            "source": self.source,
            "report_id": report_id,
            **self._post_row(norm),
            "first_seen_at": self.ts,
            "last_seen_at": self.ts,
            "missing_polls": 0,
        }
        self.ops.append(Op("posts", "insert", row))
        if norm.comments is not None:
            self._comments(pid, report_id, norm.comments, {}, norm.is_nec_report)

    def _remember(self, report: ReportRef) -> None:
        self._reports[report.id] = report
        self._by_hash[report.content_hash] = report.id

    # -- a post already stored -----------------------------------------------------------------
    def _known_post(
        self, norm: Normalized, stored: StoredPost, stored_comments: Mapping[str, StoredComment]
    ) -> None:
        changes: dict[str, Any] = {}
        report_id = stored.report_id or stable_id("report", norm.content_hash)
        if stored.removed_at is not None:
            changes.update(self._restore(stored, report_id, norm.title, norm.url, norm.is_nec_report))
        if stored.missing_polls:
            changes["missing_polls"] = 0
        stored_hash = stored.content_hash or ""
        if self.hash_of is not None and stored_hash.split(":")[0] != norm.content_hash.split(":")[0]:
            report = self._report(report_id)
            stored_hash = self.hash_of(report.body_text) if report else stored_hash
        body_changed = stored_hash != norm.content_hash
        title_changed = _title_key(stored.title or "") != norm.title_key
        if body_changed or title_changed:
            self._new_version(norm, stored, report_id)
        new_row = self._post_row(norm)
        for key, value in new_row.items():
            old = stored.meta.get(key, getattr(stored, key, None))
            if key in ("title", "content_hash") or old != value:
                if key in ("title", "content_hash") and not (body_changed or title_changed):
                    continue
                if key == "pointer_report_id" and value is None:
                    continue
                changes[key] = value
        if changes or _stale(stored.last_seen_at, self.now):
            changes["last_seen_at"] = self.ts
            self.ops.append(Op("posts", "update", changes, key=stored.id))
        if norm.comments is not None:
            self._comments(stored.id, report_id, norm.comments, stored_comments, norm.is_nec_report)

    def _new_version(self, norm: Normalized, stored: StoredPost, report_id: str) -> None:
        report = self._report(report_id)
        if report is None:
            return
        version = report.version + 1
        kind = "technical" if self.technical else "edit"
        unified = diffs.unified(f"{report.title}\n\n{report.body_text}", f"{norm.title}\n\n{norm.body_text}")
        word_diff = diffs.words(f"{report.title} {report.body_text}", f"{norm.title} {norm.body_text}")
        self.ops.append(
            Op(
                "report_versions",
                "insert",
                {
                    "report_id": report_id,
                    "version": version,
                    "seen_at": self.ts,
                    "kind": kind,
                    "title": norm.title,
                    "body_text": norm.body_text,
                    "content_hash": norm.content_hash,
                    "diff": unified,
                    "word_diff": word_diff,
                    "post_id": stored.id,
                    "run_id": self.run_id,
                    "extractor_version": norm.extractor_version,
                },
                pk=("report_id", "version"),
            )
        )
        self.ops.append(
            Op(
                "reports",
                "update",
                {**self._report_fields(norm), "version": version, "updated_at": self.ts},
                key=report_id,
            )
        )
        self._remember(
            ReportRef(
                **{
                    **report.__dict__,
                    "version": version,
                    "content_hash": norm.content_hash,
                    "title": norm.title,
                    "body_text": norm.body_text,
                }
            )
        )
        if norm.is_nec_report or stored.is_nec_report:
            self._alert(
                "report_edited",
                f"{report_id}:{version}",
                report_id=report_id,
                post_id=stored.id,
                title=norm.title,
                url=norm.url,
                summary=f"Version {version}: {diffs.summary(report.body_text, norm.body_text)}"
                + (f"; title was “{report.title}”" if report.title != norm.title else ""),
                diff=unified,
            )

    # -- removal -------------------------------------------------------------------------------
    def _gone(self, obs: PostObservation, stored: StoredPost, listing_complete: bool) -> None:
        reason = None
        missing = stored.missing_polls + 1
        if obs.http_status == 410:
            reason = "http_410"
        elif missing >= 2:
            reason = "http_404_twice"
        elif listing_complete and not obs.listed:
            reason = "http_404_unlisted"
        if reason is None:
            self.ops.append(Op("posts", "update", {"missing_polls": missing}, key=stored.id))
            return
        self.ops.append(
            Op(
                "posts",
                "update",
                {"missing_polls": missing, "removed_at": self.ts, "removed_reason": reason},
                key=stored.id,
            )
        )
        if stored.report_id:
            delta = self._live_delta.get(stored.report_id, 0) - 1
            self._live_delta[stored.report_id] = delta
            if self.index.live_posts(stored.report_id) + delta <= 0:
                self.ops.append(Op("reports", "update", {"removed_at": self.ts}, key=stored.report_id))
        if stored.is_nec_report:
            self._alert(
                "report_removed",
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
            self.ops.append(Op("reports", "update", {"removed_at": None}, key=report_id))
        if stored.is_nec_report or is_report:
            self._alert(
                "report_restored",
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
        if changes or _stale(stored.last_seen_at, self.now):
            changes["last_seen_at"] = self.ts
            self.ops.append(Op("posts", "update", changes, key=stored.id))

    # -- comments ------------------------------------------------------------------------------
    def _comment_version(self, comment_id: str, version: int, nc: NormalizedComment) -> None:
        self.ops.append(
            Op(
                "comment_versions",
                "insert",
                {
                    "comment_id": comment_id,
                    "version": version,
                    "seen_at": self.ts,
                    "body_text": nc.comment.body_text,
                    "content_hash": nc.content_hash,
                    "run_id": self.run_id,
                },
                pk=("comment_id", "version"),
            )
        )

    def _comments(
        self,
        post_id: str,
        report_id: str,
        observed: tuple[NormalizedComment, ...],
        stored: Mapping[str, StoredComment],
        alert: bool,
    ) -> None:
        live = [c for c in stored.values() if c.removed_at is None]
        if not observed and len(live) >= 2:
            return  # every comment vanished at once: more likely a broken page than deletions
        seen: set[str] = set()
        changed = False
        for nc in observed:
            c = nc.comment
            seen.add(c.platform_id)
            old = stored.get(c.platform_id)
            cid = old.id if old else stable_id("comment", post_id, c.platform_id)
            row = {
                "report_id": report_id,
                "post_id": post_id,
                "platform_id": c.platform_id,
                "parent_id": c.parent_id,
                "author": nc.author,
                "author_url": c.author_url,
                "published_at": nc.published_at,
                "url": c.url,
                "body_text": c.body_text,
                "body_html": nc.clean_html,
                "content_hash": nc.content_hash,
            }
            if old is None:
                changed = True
                self.ops.append(
                    Op(
                        "comments",
                        "insert",
                        {"id": cid, **row, "version": 1, "first_seen_at": self.ts, "last_seen_at": self.ts},
                    )
                )
                self._comment_version(cid, 1, nc)
                if alert:
                    self._alert(
                        "new_comment",
                        cid,
                        report_id=report_id,
                        post_id=post_id,
                        comment_id=cid,
                        title=f"Comment by {nc.author}",
                        url=c.url,
                        summary=_clip(c.body_text, 280),
                    )
            elif old.content_hash != nc.content_hash:
                changed = True
                version = old.version + 1
                self.ops.append(
                    Op(
                        "comments",
                        "update",
                        {**row, "version": version, "removed_at": None, "last_seen_at": self.ts},
                        key=cid,
                    )
                )
                self._comment_version(cid, version, nc)
                if alert:
                    self._alert(
                        "comment_edited",
                        f"{cid}:{version}",
                        report_id=report_id,
                        post_id=post_id,
                        comment_id=cid,
                        title=f"Comment by {nc.author} edited",
                        url=c.url,
                        summary=_clip(c.body_text, 280),
                    )
            elif old.removed_at is not None:
                changed = True
                self.ops.append(
                    Op("comments", "update", {"removed_at": None, "last_seen_at": self.ts}, key=cid)
                )
        for platform_id, old in stored.items():
            if platform_id in seen or old.removed_at is not None:
                continue
            changed = True
            self.ops.append(Op("comments", "update", {"removed_at": self.ts}, key=old.id))
            if alert:
                self._alert(
                    "comment_removed",
                    f"{old.id}:{self.run_id}",
                    report_id=report_id,
                    post_id=post_id,
                    comment_id=old.id,
                    title="Comment removed",
                    summary="A comment is no longer shown",
                )
        if changed:
            self.ops.append(Op("__comment_count__", "update", {}, key=report_id))


def _title_key(title: str) -> str:
    from necwatch.normalize import normalized_text

    return normalized_text(title)


def _stale(last_seen: str | None, now: datetime) -> bool:
    if not last_seen:
        return True
    try:
        return now - datetime.fromisoformat(last_seen) >= LAST_SEEN_REFRESH
    except ValueError:
        return True


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _summary_line(norm: Normalized) -> str:
    bits = []
    if norm.author:
        bits.append(norm.author)
    if norm.meeting_date:
        bits.append(
            f"on the NEC meeting of {norm.meeting_date}"
            + (f" ({norm.meeting_kind})" if norm.meeting_kind else "")
        )
    bits.append(f"{len(norm.body_text.split())} words")
    return ", ".join(bits) + ". " + _clip(norm.body_text, 240)
