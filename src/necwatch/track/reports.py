"""Reports: one per distinct text, created, republished and versioned as posts show them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from necwatch import diffs
from necwatch.alerts import AlertKind
from necwatch.intents import KeepVersionText, NewReport, NewReportVersion, ReportChange, stable_id
from necwatch.record import Record
from necwatch.record.changes import describe
from necwatch.track.emit import Emitter
from necwatch.track.state import NearMatcher, Normalized, ReportIndex, ReportRef, StoredPost, clip

log = logging.getLogger("necwatch.track")

RecordOf = Callable[[str, str, str | None, str | None], Record]


@dataclass
class ReportTracker:
    """The reports of one poll: what the database holds plus what this poll created or changed."""

    emit: Emitter
    index: ReportIndex
    near: NearMatcher | None = None
    # (title, body text, published_at, author) → the record, for the words of a report_edited alert
    record_of: RecordOf | None = None
    # Reports created or changed in this poll, visible to later posts of the same poll.
    _reports: dict[str, ReportRef] = field(default_factory=dict)
    _by_hash: dict[str, str] = field(default_factory=dict)

    @property
    def ts(self) -> str:
        return self.emit.ts

    @property
    def source(self) -> str:
        return self.emit.source

    @property
    def run_id(self) -> str:
        return self.emit.run_id

    @property
    def technical(self) -> bool:
        return self.emit.technical

    def get(self, report_id: str) -> ReportRef | None:
        return self._reports.get(report_id) or self.index.report(report_id)

    def by_hash(self, content_hash: str) -> ReportRef | None:
        rid = self._by_hash.get(content_hash)
        if rid is not None:
            return self._reports[rid]
        return self.index.report_by_hash(content_hash)

    def _remember(self, report: ReportRef) -> None:
        self._reports[report.id] = report
        self._by_hash[report.content_hash] = report.id

    def report_for(self, norm: Normalized, post_id: str) -> str:
        """The report a newly read post belongs to: the stored one with the same text (republished),
        else a new one."""
        existing = self.by_hash(norm.content_hash)
        if existing is None:
            return self.create(norm, post_id)
        self.republished(norm, existing, post_id)
        return existing.id

    def republished(self, norm: Normalized, existing: ReportRef, pid: str) -> None:
        """The same text at another URL: one report, one more post."""
        dates = [p for p in (existing.published_at, norm.published_at) if p]
        published = min(dates) if dates else None
        updated = replace(
            existing, post_count=existing.post_count + 1, published_at=published, removed_at=None
        )
        self._remember(updated)
        self.emit.add(
            ReportChange(
                existing.id, {"post_count": updated.post_count, "published_at": published, "removed_at": None}
            )
        )
        if norm.is_nec_report:
            self.emit.alert(
                AlertKind.REPORT_REPUBLISHED,
                pid,
                report_id=existing.id,
                post_id=pid,
                title=norm.title,
                url=norm.url,
                summary=f"The same report now also appears at {norm.url}",
            )

    def create(self, norm: Normalized, pid: str) -> str:
        """A text never seen before: a new report (linked to a near-copy if there is one)."""
        report_id = stable_id("report", norm.content_hash)
        duplicate_of, score = None, None
        if self.near is not None and norm.is_nec_report and not norm.is_pointer:
            match = self.near(norm.body_text, self.index.near_candidates(norm.body_text))
            if match is not None:
                duplicate_of, score = match
        ts = self.ts
        self.emit.add(
            NewReport(
                {
                    "id": report_id,
                    **_report_fields(norm),
                    "published_at": norm.published_at,
                    "canonical_url": norm.url,
                    "source": self.source,
                    "post_count": 1,
                    "comment_count": 0,
                    "version": 1,
                    "first_seen_at": ts,
                    "updated_at": ts,
                    "duplicate_of": duplicate_of,
                    "similarity": score,
                }
            )
        )
        if norm.is_nec_report:  # a non-report's version 1 would repeat its reports row: none
            self._first_version(norm, report_id, pid)
        self._remember(
            ReportRef(
                report_id,
                norm.content_hash,
                norm.title,
                kept_text(norm) or "",
                1,
                norm.published_at,
                norm.is_nec_report,
                1,
                0,
                duplicate_of,
            )
        )
        about = {"report_id": report_id, "post_id": pid, "title": norm.title, "url": norm.url}
        if norm.is_nec_report and duplicate_of is not None:
            self.emit.alert(
                AlertKind.REPORT_REPUBLISHED,
                pid,
                **about,
                summary=f"A near-copy (similarity {score:.2f}) of report {duplicate_of} at {norm.url}",
            )
        elif norm.is_nec_report:
            self.emit.alert(AlertKind.NEW_REPORT, report_id, **about, summary=_summary_line(norm))
        return report_id

    def _version_row(self, norm: Normalized, stored: StoredPost, report: ReportRef, version: int) -> str:
        """Version `version` with its diffs from the report's current text (which the superseded
        version keeps, KeepVersionText); returns the unified diff, for the alert."""
        old, new = f"{report.title}\n\n{report.body_text}", f"{norm.title}\n\n{norm.body_text}"
        unified = diffs.unified(old, new)
        word_diff = diffs.words(old.replace("\n\n", " ", 1), new.replace("\n\n", " ", 1))
        self.emit.add(KeepVersionText(report.id, report.version))
        self.emit.add(
            NewReportVersion(
                {
                    "report_id": report.id,
                    "version": version,
                    "seen_at": self.ts,
                    "kind": "technical" if self.technical else "edit",
                    "title": norm.title,
                    "body_text": None,  # the report row holds it until a later version supersedes this
                    "content_hash": norm.content_hash,
                    "diff": unified,
                    "word_diff": word_diff,
                    "post_id": stored.id,
                    "run_id": self.run_id,
                    "extractor_version": norm.extractor_version,
                }
            )
        )
        return unified

    def _first_version(self, norm: Normalized, report_id: str, pid: str) -> None:
        """Version 1 of an NEC report: its metadata (the text is the report row's until superseded)."""
        self.emit.add(
            NewReportVersion(
                {
                    "report_id": report_id,
                    "version": 1,
                    "seen_at": self.ts,
                    "kind": "initial",
                    "title": norm.title,
                    "body_text": None,  # the current version's text is the report's (stored once)
                    "content_hash": norm.content_hash,
                    "post_id": pid,
                    "run_id": self.run_id,
                    "extractor_version": norm.extractor_version,
                }
            )
        )

    def new_version(self, norm: Normalized, stored: StoredPost, report_id: str) -> None:
        """An edit (or, re-extracting, a technical change): the report row takes the new state; a
        version row is stored when the text is a report's before or after (a blog's other posts
        keep only the hash, so their versions would say nothing their reports row does not)."""
        report = self.get(report_id)
        if report is None:
            return
        version = report.version + 1
        unified: str | None = None
        if norm.is_nec_report or report.is_nec_report:
            unified = self._version_row(norm, stored, report, version)
        self.emit.add(
            ReportChange(report_id, {**_report_fields(norm), "version": version, "updated_at": self.ts})
        )
        self._remember(
            replace(
                report,
                version=version,
                content_hash=norm.content_hash,
                title=norm.title,
                body_text=kept_text(norm) or "",
                is_nec_report=norm.is_nec_report,
            )
        )
        if norm.is_nec_report or stored.is_nec_report:
            was = f"; title was “{report.title}”" if report.title != norm.title else ""
            was += self._record_change(report, norm)
            self.emit.alert(
                AlertKind.REPORT_EDITED,
                f"{report_id}:{version}",
                report_id=report_id,
                post_id=stored.id,
                title=norm.title,
                url=norm.url,
                diff=unified,
                summary=f"Version {version}: {diffs.summary(report.body_text, norm.body_text)}{was}",
            )

    def _record_change(self, report: ReportRef, norm: Normalized) -> str:
        """What the edit changed in the report's record, in words ("; vote count changed: 22–12 →
        21–12"), or "". Both texts are read by the same extractor, so only the edit shows; a
        re-extraction (technical) raises no alert and derives nothing here."""
        if self.record_of is None or self.technical or not (report.is_nec_report and norm.is_nec_report):
            return ""
        # the report's publication date and author, for both: the record of the text, not of metadata
        try:
            old = self.record_of(report.title, report.body_text, report.published_at, norm.author)
            new = self.record_of(norm.title, norm.body_text, report.published_at, norm.author)
        except Exception:  # an extractor's bug: the alert says the words changed, not what they mean
            log.exception("report %s: its record could not be derived for the alert", report.id)
            return ""
        words = describe(old, new)
        return "".join(f"; {w}" for w in words)


def _report_fields(norm: Normalized) -> dict[str, Any]:
    return {
        "title": norm.title,
        "author": norm.author,
        "meeting_date": norm.meeting_date,
        "meeting_kind": norm.meeting_kind,
        "is_nec_report": int(norm.is_nec_report),
        "content_hash": norm.content_hash,
        "body_text": kept_text(norm),
        "body_html": norm.clean_html if norm.is_nec_report else None,
        "words": len(norm.body_text.split()),
    }


def kept_text(norm: Normalized) -> str | None:
    """The body text the dataset keeps: an NEC report's, not a blog's other posts' (those keep
    metadata and the content hash, which is all an edit check needs; nine posts in ten on a blog)."""
    return norm.body_text if norm.is_nec_report else None


def _summary_line(norm: Normalized) -> str:
    bits = []
    if norm.author:
        bits.append(norm.author)
    if norm.meeting_date:
        kind = f" ({norm.meeting_kind})" if norm.meeting_kind else ""
        bits.append(f"on the NEC meeting of {norm.meeting_date}{kind}")
    bits.append(f"{len(norm.body_text.split())} words")
    return ", ".join(bits) + ". " + clip(norm.body_text, 240)
