"""Typed write intents: what the pure deciders (track, decide) ask the store to do.

A decider never touches the database: it returns a list of intents, and `Store.apply` executes
them in order inside the source's transaction. Each intent names the table it writes (`table`) and
whether it inserts or updates (`action`); `row` holds the columns. The column names come from this
code, never from scraped data.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

from necwatch.alerts import AlertKind

Row = dict[str, Any]


@dataclass(frozen=True)
class Insert:
    """A new row."""

    table: ClassVar[str]
    action: ClassVar[Literal["insert"]] = "insert"
    ignore: ClassVar[bool] = False  # insert-or-ignore
    row: Row


@dataclass(frozen=True)
class Update:
    """New values for some columns of the row whose primary key is `key`."""

    table: ClassVar[str]
    pk: ClassVar[str] = "id"
    action: ClassVar[Literal["update"]] = "update"
    key: str
    row: Row


class NewReport(Insert):
    table = "reports"


class ReportChange(Update):
    table = "reports"


class NewReportVersion(Insert):
    table = "report_versions"


class NewPost(Insert):
    table = "posts"


class PostChange(Update):
    table = "posts"


class NewComment(Insert):
    table = "comments"


class CommentChange(Update):
    table = "comments"


class NewCommentVersion(Insert):
    table = "comment_versions"


@dataclass(frozen=True)
class KeepVersionText:
    """Version `version` of a report is being superseded: it keeps its own copy of the text.

    The current version's `body_text` is NULL in `report_versions` (the text is `reports.body_text`,
    stored once), so before the report row takes a new text the store copies the old one into the
    version that is no longer current. Emit it before the report's new version and ReportChange.
    """

    table: ClassVar[str] = "report_versions"
    action: ClassVar[Literal["keep_text"]] = "keep_text"
    report_id: str
    version: int


@dataclass(frozen=True)
class RecountComments:
    """Recompute a report's comment_count from its live comments (after comments changed)."""

    table: ClassVar[str] = "reports"
    action: ClassVar[Literal["recount"]] = "recount"
    report_id: str


def stable_id(*parts: str) -> str:
    """A short deterministic id: the same inputs always name the same row."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Alert:
    """One real event. Its id is a function of its kind and event key, so the same event is never
    stored twice (the store inserts alerts with insert-or-ignore)."""

    table: ClassVar[str] = "alerts"
    action: ClassVar[Literal["insert"]] = "insert"
    ignore: ClassVar[bool] = True
    id: str
    kind: AlertKind
    created_at: str
    source: str
    run_id: str
    backfill: int = 0
    report_id: str | None = None
    post_id: str | None = None
    comment_id: str | None = None
    title: str | None = None
    url: str | None = None
    summary: str | None = None
    diff: str | None = None

    @classmethod
    def new(
        cls,
        kind: AlertKind,
        event: str,
        *,
        source: str,
        run_id: str,
        created_at: str,
        backfill: bool = False,
        **fields: str | None,
    ) -> Alert:
        """The alert for `event` (a key unique to the event within its kind: a report id, a post id
        and run, a source and new host…)."""
        return cls(
            id=stable_id(str(kind), event),
            kind=kind,
            created_at=created_at,
            source=source,
            run_id=run_id,
            backfill=int(backfill),
            **fields,
        )

    @property
    def row(self) -> Row:
        return {**asdict(self), "kind": str(self.kind)}


Intent = Insert | Update | RecountComments | KeepVersionText | Alert
