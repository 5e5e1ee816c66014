"""Rows of migration 16's minutes tables for tests, written exactly per the column comments of
store/schema.py `_m16_minutes`, until the merge (record.minutes) writes them itself.

`write_minutes(conn, Minutes(...))` takes composed minutes (who reported, items, decisions with each
reporter's version, disagreements) and derives the meeting row's counts and JSON columns as the
contract defines them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Report:
    report_id: str
    reporter: str
    published_at: str
    days_after: int | None = None
    removed: bool = False
    only_here: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Version:
    """One reporter's statement of a decision (a minutes_sources row)."""

    report_id: str
    paragraph: str
    quote: str
    outcome: str | None = None
    manner: str | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    abstentions: int | None = None
    report_position: int = 0


@dataclass(frozen=True)
class Decision:
    summary: str
    versions: tuple[Version, ...]
    item: int | None = None
    outcome: str | None = None
    manner: str | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    abstentions: int | None = None
    mover: str | None = None
    mover_id: str | None = None
    seconder: str | None = None
    seconder_id: str | None = None


@dataclass(frozen=True)
class Item:
    title: str
    sources: tuple[tuple[str, str, str], ...]  # (report_id, title as that report writes it, paragraph)


@dataclass(frozen=True)
class Disagreement:
    field: str  # count, outcome, manner, vote_held, date, name, mover
    summary: str
    versions: tuple[dict[str, Any], ...]  # {value, reporters, report_ids, paragraphs, quotes, removed}
    decision: int | None = None
    item: int | None = None


@dataclass(frozen=True)
class Minutes:
    meeting_id: str
    date: str
    kind: str
    reports: tuple[Report, ...]
    items: tuple[Item, ...] = ()
    decisions: tuple[Decision, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    statements: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


TABLES = (
    "minutes_items",
    "minutes_decisions",
    "minutes_sources",
    "minutes_disagreements",
    "minutes_coverage",
    "minutes",
)


def clear_minutes(conn: sqlite3.Connection, like: str = "%") -> None:
    """Delete the minutes of the meetings whose id is `like` (all by default): what the merge wrote."""
    for table in TABLES:
        conn.execute(f"delete from {table} where meeting_id like ?", [like])


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    """By column name: the merge may add columns (migration 16 is not released)."""
    names = ", ".join(row)
    conn.execute(f"insert into {table} ({names}) values ({', '.join('?' * len(row))})", list(row.values()))


def write_minutes(conn: sqlite3.Connection, m: Minutes) -> None:
    """Replace one meeting's minutes rows with `m`'s."""
    for table in (
        "minutes_items",
        "minutes_decisions",
        "minutes_sources",
        "minutes_disagreements",
        "minutes_coverage",
        "minutes",
    ):
        conn.execute(f"delete from {table} where meeting_id = ?", [m.meeting_id])
    reporter = {r.report_id: r.reporter for r in m.reports}
    removed = {r.report_id for r in m.reports if r.removed}
    marks = ",".join("?" * len(reporter))
    hashes = dict(conn.execute(f"select id, content_hash from reports where id in ({marks})", list(reporter)))
    disputed = {d.decision for d in m.disagreements if d.decision is not None}
    corroborated = 0
    for pos, d in enumerate(m.decisions):
        names = list(dict.fromkeys(reporter[v.report_id] for v in d.versions))
        corroborated += len(names) > 1
        counted = d.votes_for is not None and pos not in disputed  # only when stated and not disputed
        _insert(
            conn,
            "minutes_decisions",
            {
                "meeting_id": m.meeting_id,
                "position": pos,
                "item_position": d.item,
                "summary": d.summary,
                "outcome": d.outcome,
                "manner": d.manner,
                "votes_for": d.votes_for if counted else None,
                "votes_against": d.votes_against if counted else None,
                "abstentions": d.abstentions if counted else None,
                "counted": int(counted),
                "mover": d.mover,
                "mover_id": d.mover_id,
                "seconder": d.seconder,
                "seconder_id": d.seconder_id,
                "reporters": json.dumps(names),
                "corroboration": "corroborated" if len(names) > 1 else "single-source",
                "disputed": int(pos in disputed),
                "removed_only": int(all(v.report_id in removed for v in d.versions)),
            },
        )
        for v in d.versions:
            _insert(
                conn,
                "minutes_sources",
                {
                    "meeting_id": m.meeting_id,
                    "decision_position": pos,
                    "report_id": v.report_id,
                    "report_position": v.report_position,
                    "reporter": reporter[v.report_id],
                    "paragraph": v.paragraph,
                    "quote": v.quote,
                    "outcome": v.outcome,
                    "manner": v.manner,
                    "votes_for": v.votes_for,
                    "votes_against": v.votes_against,
                    "abstentions": v.abstentions,
                    "removed": int(v.report_id in removed),
                },
            )
    for pos, it in enumerate(m.items):
        names = list(dict.fromkeys(reporter[s[0]] for s in it.sources))
        sources = [
            {
                "report_id": rid,
                "reporter": reporter[rid],
                "title": title,
                "paragraph": paragraph,
                "removed": rid in removed,
                "prose": False,
            }
            for rid, title, paragraph in it.sources
        ]
        _insert(
            conn,
            "minutes_items",
            {
                "meeting_id": m.meeting_id,
                "position": pos,
                "title": it.title,
                "reporters": json.dumps(names),
                "single_source": int(len(names) == 1),
                "sources": json.dumps(sources),
            },
        )
    for pos, x in enumerate(m.disagreements):
        _insert(
            conn,
            "minutes_disagreements",
            {
                "meeting_id": m.meeting_id,
                "position": pos,
                "field": x.field,
                "decision_position": x.decision,
                "item_position": x.item,
                "summary": x.summary,
                "versions": json.dumps(list(x.versions)),
            },
        )
    for r in m.reports:
        _insert(
            conn,
            "minutes_coverage",
            {
                "meeting_id": m.meeting_id,
                "report_id": r.report_id,
                "reporter": r.reporter,
                "published_at": r.published_at,
                "days_after": r.days_after,
                "duplicates": json.dumps(list(r.duplicates)),
                "only_here": json.dumps(list(r.only_here)),
                "removed": int(r.removed),
            },
        )
    published = sorted(r.published_at for r in m.reports)
    row = {
        "meeting_id": m.meeting_id,
        "date": m.date,
        "kind": m.kind,
        "reports": len(m.reports),
        "reporters": json.dumps([r.reporter for r in m.reports]),
        "items": len(m.items),
        "decisions": len(m.decisions),
        "corroborated": corroborated,
        "disagreements": len(m.disagreements),
        "statements": m.statements,
        "first_report_at": published[0],
        "last_report_at": published[-1],
        "sources": json.dumps({rid: hashes.get(rid) for rid in reporter}),
    }
    columns = {c[1] for c in conn.execute("pragma table_info(minutes)")}
    _insert(conn, "minutes", {**row, **{k: v for k, v in m.extra.items() if k in columns}})
