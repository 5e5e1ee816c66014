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
    hashes = {
        rid: h
        for rid, h in conn.execute(
            f"select id, content_hash from reports where id in ({','.join('?' * len(reporter))})",
            list(reporter),
        )
    }
    disputed = {d.decision for d in m.disagreements if d.decision is not None}
    corroborated = 0
    for pos, d in enumerate(m.decisions):
        names = list(dict.fromkeys(reporter[v.report_id] for v in d.versions))
        corroborated += len(names) > 1
        counted = int(d.votes_for is not None and pos not in disputed)
        conn.execute(
            "insert into minutes_decisions values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                m.meeting_id,
                pos,
                d.item,
                d.summary,
                d.outcome,
                d.manner,
                d.votes_for if counted else None,
                d.votes_against if counted else None,
                d.abstentions if counted else None,
                counted,
                d.mover,
                d.mover_id,
                d.seconder,
                d.seconder_id,
                json.dumps(names),
                "corroborated" if len(names) > 1 else "single-source",
                int(pos in disputed),
                int(all(v.report_id in removed for v in d.versions)),
            ],
        )
        for v in d.versions:
            conn.execute(
                "insert into minutes_sources values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    m.meeting_id,
                    pos,
                    v.report_id,
                    v.report_position,
                    reporter[v.report_id],
                    v.paragraph,
                    v.quote,
                    v.outcome,
                    v.manner,
                    v.votes_for,
                    v.votes_against,
                    v.abstentions,
                    int(v.report_id in removed),
                ],
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
            }
            for rid, title, paragraph in it.sources
        ]
        conn.execute(
            "insert into minutes_items values (?,?,?,?,?,?)",
            [m.meeting_id, pos, it.title, json.dumps(names), int(len(names) == 1), json.dumps(sources)],
        )
    for pos, x in enumerate(m.disagreements):
        conn.execute(
            "insert into minutes_disagreements values (?,?,?,?,?,?,?)",
            [m.meeting_id, pos, x.field, x.decision, x.item, x.summary, json.dumps(list(x.versions))],
        )
    for r in m.reports:
        conn.execute(
            "insert into minutes_coverage values (?,?,?,?,?,?,?,?)",
            [
                m.meeting_id,
                r.report_id,
                r.reporter,
                r.published_at,
                r.days_after,
                json.dumps(list(r.duplicates)),
                json.dumps(list(r.only_here)),
                int(r.removed),
            ],
        )
    published = sorted(r.published_at for r in m.reports)
    conn.execute(
        "insert into minutes values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            m.meeting_id,
            m.date,
            m.kind,
            len(m.reports),
            json.dumps([r.reporter for r in m.reports]),
            len(m.items),
            len(m.decisions),
            corroborated,
            len(m.disagreements),
            m.statements,
            published[0],
            published[-1],
            json.dumps({rid: hashes.get(rid) for rid in reporter}),
        ],
    )
