"""A live post's history from before necwatch watched it: its captures older than its report's first
stored version become earlier versions. Pure: captures already judged and normalized in, the rows
to write out (the store renumbers the stored versions after them: ArchiveStore.prepend_versions).

    captures   oldest first, each a version of the post (webarchive.verdict), normalized as a poll
    texts      a run of captures with one text (normalized body and title) is one version, at its
               first capture's time (identical texts one version, as in a backfill)
    the seam   a run whose text is the first stored version's is not a version: the text was already
               there at that capture, so the report's and the post's first_seen_at go back to it
    rows       versions 1…k (the first `initial`, the others edits with their diffs), their
               provenance rows, and the old first version's change: now an edit from version k
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from necwatch import diffs
from necwatch.track.state import Normalized, title_key
from necwatch.webarchive.cdx import CdxRow

__all__ = ["Earlier", "History", "earlier_history"]


@dataclass(frozen=True)
class Earlier:
    """One earlier text: the first capture that showed it, and the post as that capture reads."""

    row: CdxRow
    norm: Normalized


@dataclass(frozen=True)
class History:
    versions: tuple[Earlier, ...]  # the earlier versions, oldest first (possibly none)
    first_seen: CdxRow | None  # the earliest capture of the whole history: the report's first sight

    def rows(
        self, report_id: str, post_id: str, run_id: str, first: dict[str, Any], archive_url: Any
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        """(version rows 1…k, their provenance, the old first version's changes). `first`: that
        version as stored (title, body_text); `archive_url(row)`: the replay URL of a capture."""
        versions: list[dict[str, Any]] = []
        provenance: list[dict[str, Any]] = []
        before: Normalized | None = None
        for n, e in enumerate(self.versions, start=1):
            row = {
                "report_id": report_id,
                "version": n,
                "seen_at": _iso(e.row),
                "kind": "initial" if before is None else "edit",
                "title": e.norm.title,
                "body_text": e.norm.body_text,  # superseded: every earlier version keeps its own text
                "content_hash": e.norm.content_hash,
                "post_id": post_id,
                "run_id": run_id,
                "extractor_version": e.norm.extractor_version,
            }
            if before is not None:
                row.update(_diffs(before.title, before.body_text, e.norm.title, e.norm.body_text))
            versions.append(row)
            provenance.append(
                {
                    "report_id": report_id,
                    "version": n,
                    "origin": "archive",
                    "captured_at": _iso(e.row),
                    "original_url": e.row.original,
                    "archive_url": archive_url(e.row),
                    "digest": e.row.digest,
                }
            )
            before = e.norm
        changed: dict[str, Any] = {}
        if before is not None:
            changed = {
                "kind": "edit",
                **_diffs(before.title, before.body_text, first["title"] or "", first["body_text"] or ""),
            }
        return versions, provenance, changed


def earlier_history(
    captures: Sequence[tuple[CdxRow, Normalized]], first_hash: str, first_title: str
) -> History:
    """The earlier versions of a post from its captures older than its first stored version
    (`first_hash`: that version's text hashed as today; `first_title`), oldest first."""
    runs: list[Earlier] = []
    for row, norm in sorted(captures, key=lambda c: c[0].timestamp):
        if runs and _same(runs[-1].norm.content_hash, runs[-1].norm.title, norm.content_hash, norm.title):
            continue  # the same text again: one version, at its first capture
        runs.append(Earlier(row, norm))
    first_seen = runs[0].row if runs else None
    if runs and _same(runs[-1].norm.content_hash, runs[-1].norm.title, first_hash, first_title):
        runs.pop()  # the stored first version's own text, captured earlier: not a new version
    return History(tuple(runs), first_seen)


def _same(hash_a: str, title_a: str, hash_b: str, title_b: str) -> bool:
    """One text, as tracking compares them: the normalized body's hash and the normalized title."""
    return hash_a == hash_b and title_key(title_a) == title_key(title_b)


def _diffs(old_title: str, old_body: str, new_title: str, new_body: str) -> dict[str, str]:
    """The diffs a version row carries from the one before (as track.reports writes them)."""
    old, new = f"{old_title}\n\n{old_body}", f"{new_title}\n\n{new_body}"
    return {
        "diff": diffs.unified(old, new),
        "word_diff": diffs.words(old.replace("\n\n", " ", 1), new.replace("\n\n", " ", 1)),
    }


def _iso(row: CdxRow) -> str:
    return row.captured_at.isoformat(timespec="seconds")
