"""Each NEC meeting's minutes (necwatch.record.minutes) as rows of the six `minutes*` tables.

Derived from the record tables like the records are from the texts: written in the transaction that
writes the reports and their records (`derive_touched`, after a poll's intents), so a report and the
minutes it is part of never disagree; rebuilt whole by `necwatch reextract` and on import; never
exported, nor in the logical checksum.

A change to one report re-merges every meeting it touches, before and after the change: the meeting
its minutes were in (found in `minutes_coverage`, which still holds the state before the change)
and the one its record now reports, with every report whose meeting date is chained to those by
gaps of at most `DATE_GAP` days (record.minutes.cluster_meetings), whole months at a time (a report
giving only the month joins that month's meeting). A report whose meeting date changed leaves the
old meeting; a removed report's contribution stays, marked `removed`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from necwatch.intents import Intent, NewReport, ReportChange
from necwatch.record.minutes import (
    DATE_GAP,
    Copies,
    Minutes,
    ReportInput,
    cluster_meetings,
    group_copies,
    meeting_id_of,
    merge_meeting,
)
from necwatch.record.model import Decision, Item, PersonMention, Statement
from necwatch.record.roster import Roster
from necwatch.store.records import BATCH, RECORD_INPUTS, RecordStore

log = logging.getLogger("necwatch.record")

MINUTES_TABLES = (
    "minutes",
    "minutes_items",
    "minutes_decisions",
    "minutes_sources",
    "minutes_disagreements",
    "minutes_coverage",
)
# A change of these report columns may move a report between meetings or change its mark.
MINUTES_INPUTS = RECORD_INPUTS | {"removed_at", "duplicate_of", "meeting_date", "meeting_kind"}
# How many meetings `rebuild_minutes` writes per transaction.
MEETINGS_BATCH = 200
# SQLite's limit on bound parameters is far above this; lists are cut to it anyway.
CHUNK = 500

_REPORT_COLUMNS = (
    "r.id, coalesce(r.author, r.source, 'unknown'), r.published_at, r.content_hash, rec.meeting_date, "
    "rec.meeting_kind, r.title, r.removed_at, r.duplicate_of"
)
_NEC = "from records rec join reports r on r.id = rec.report_id where r.is_nec_report = 1"


def minutes_touched(ops: Iterable[Intent]) -> list[str]:
    """The reports whose meeting's minutes a poll's intents may change: created, their record's
    inputs changed, removed or back, or linked to another as its near-copy."""
    ids: dict[str, None] = {}
    for op in ops:
        if isinstance(op, NewReport):
            ids[op.row["id"]] = None
        elif isinstance(op, ReportChange) and MINUTES_INPUTS & op.row.keys():
            ids[op.key] = None
    return list(ids)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def minutes_rows(m: Minutes) -> dict[str, list[dict[str, Any]]]:
    """The rows of one meeting's minutes, table by table (pure)."""
    mid = m.meeting_id
    return {
        "minutes": [
            {
                "meeting_id": mid,
                "date": m.date,
                "kind": m.kind,
                "reports": len(m.reports),
                "reporters": _json(m.reporters),
                "items": len(m.items),
                "decisions": len(m.decisions),
                "corroborated": m.corroborated,
                "disagreements": len(m.disagreements),
                "statements": m.statements,
                "first_report_at": m.first_report_at,
                "last_report_at": m.last_report_at,
                "sources": _json(m.sources),
                "people": _json(m.people),
            }
        ],
        "minutes_items": [
            {
                "meeting_id": mid,
                "position": it.position,
                "title": it.title,
                "reporters": _json(it.reporters),
                "single_source": int(it.single_source),
                "sources": _json(it.sources),
            }
            for it in m.items
        ],
        "minutes_decisions": [
            {
                "meeting_id": mid,
                "position": d.position,
                "item_position": d.item_position,
                "summary": d.summary,
                "outcome": d.outcome,
                "manner": d.manner,
                "votes_for": d.votes_for,
                "votes_against": d.votes_against,
                "abstentions": d.abstentions,
                "counted": int(d.counted),
                "mover": d.mover,
                "mover_id": d.mover_id,
                "seconder": d.seconder,
                "seconder_id": d.seconder_id,
                "reporters": _json(d.reporters),
                "corroboration": d.corroboration,
                "disputed": int(d.disputed),
                "removed_only": int(d.removed_only),
            }
            for d in m.decisions
        ],
        "minutes_sources": [
            {
                "meeting_id": mid,
                "decision_position": d.position,
                "report_id": v.report_id,
                "report_position": v.report_position,
                "reporter": v.reporter,
                "paragraph": v.decision.paragraph,
                "quote": v.decision.quote,
                "outcome": v.decision.outcome,
                "manner": v.decision.manner,
                "votes_for": v.decision.votes_for,
                "votes_against": v.decision.votes_against,
                "abstentions": v.decision.abstentions,
                "removed": int(v.removed),
            }
            for d in m.decisions
            for v in d.versions
        ],
        "minutes_disagreements": [
            {
                "meeting_id": mid,
                "position": x.position,
                "field": x.field,
                "decision_position": x.decision_position,
                "item_position": x.item_position,
                "summary": x.summary,
                "versions": _json(x.versions),
            }
            for x in m.disagreements
        ],
        "minutes_coverage": [
            {
                "meeting_id": mid,
                "report_id": c.report_id,
                "reporter": c.reporter,
                "published_at": c.published_at,
                "days_after": c.days_after,
                "duplicates": _json(c.duplicates),
                "only_here": _json(c.only_here),
                "removed": int(c.removed),
            }
            for c in m.coverage
        ],
    }


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value + "-01")
    except ValueError:
        return None


def _month_bounds(lo: date, hi: date) -> tuple[date, date]:
    first = lo.replace(day=1)
    nxt = (hi.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


class MinutesStore(RecordStore):
    """Writes and reads of the minutes tables, on top of the records'. Writes run inside the
    caller's transaction, but `rederive_records`, which opens its own."""

    # -- the hooks ------------------------------------------------------------------------------
    def derive_touched(self, ops: Iterable[Intent], roster: Roster) -> int:
        """The records of the reports the intents created or changed, then the minutes of every
        meeting those reports were or now are in (and of reports removed, back, or linked as
        near-copies)."""
        ops = list(ops)
        n = super().derive_touched(ops, roster)
        touched = minutes_touched(ops)
        if touched:
            self.merge_meetings_of(touched)
        return n

    def rederive_records(
        self, roster: Roster, *, sources: Sequence[str] | None = None, batch: int = BATCH
    ) -> int:
        """Every record again (RecordStore), then every meeting's minutes from them."""
        n = super().rederive_records(roster, sources=sources, batch=batch)
        self.rebuild_minutes(transactions=True)
        return n

    # -- reading the records ----------------------------------------------------------------------
    def _light(self, where: str, params: Sequence[Any]) -> dict[str, ReportInput]:
        rows = self.db.execute(
            f"select {_REPORT_COLUMNS} {_NEC} and rec.meeting_date is not null{where}", params
        )
        out = {}
        for rid, reporter, published, chash, mdate, kind, title, removed_at, dup in rows:
            out[rid] = ReportInput(
                id=rid,
                reporter=reporter,
                published_at=published,
                content_hash=chash,
                meeting_date=mdate,
                meeting_kind=kind,
                title=title,
                removed=removed_at is not None,
                duplicate_of=dup,
            )
        return out

    def _full(self, light: dict[str, ReportInput]) -> dict[str, ReportInput]:
        """The reports with their records' items, decisions, statements and people."""
        parts: dict[str, dict[str, list[Any]]] = {rid: {} for rid in light}
        conn = self.db.conn
        ids = sorted(light)
        for chunk in _chunks(ids):
            marks = _marks(len(chunk))
            for rid, title, paragraph, paragraphs in conn.execute(
                f"select report_id, title, paragraph, paragraphs from items where report_id in ({marks}) "
                "order by report_id, position",
                chunk,
            ):
                parts[rid].setdefault("items", []).append(
                    Item(
                        title=title or "",
                        paragraph=paragraph or "",
                        paragraphs=tuple(json.loads(paragraphs or "[]")),
                    )
                )
            for row in conn.execute(
                "select report_id, quote, outcome, paragraph, subject, manner, votes_for, votes_against, "
                "abstentions, mover, seconder, mover_id, seconder_id, item "
                f"from decisions where report_id in ({marks}) order by report_id, position",
                chunk,
            ):
                parts[row[0]].setdefault("decisions", []).append(Decision(*row[1:]))
            for rid, speaker, quote, paragraph, pid, verb, vote in conn.execute(
                "select report_id, speaker, quote, paragraph, person_id, verb, vote "
                f"from statements where report_id in ({marks}) order by report_id, position",
                chunk,
            ):
                parts[rid].setdefault("statements", []).append(
                    Statement(
                        speaker=speaker or "",
                        quote=quote or "",
                        paragraph=paragraph or "",
                        person_id=pid,
                        verb=verb,
                        vote=vote,
                    )
                )
            for rid, name, paragraphs, canonical, pid, role, written in conn.execute(
                "select report_id, name, paragraphs, canonical, person_id, role, written "
                f"from mentions where report_id in ({marks}) order by report_id, position",
                chunk,
            ):
                parts[rid].setdefault("people", []).append(
                    PersonMention(
                        name=name or "",
                        paragraphs=tuple(json.loads(paragraphs or "[]")),
                        canonical=canonical,
                        person_id=pid,
                        role=role,
                        written=tuple(json.loads(written or "[]")),
                    )
                )
        out = {}
        for rid, r in light.items():
            p = parts[rid]
            out[rid] = replace(
                r,
                items=tuple(p.get("items", ())),
                decisions=tuple(p.get("decisions", ())),
                statements=tuple(p.get("statements", ())),
                people=tuple(p.get("people", ())),
            )
        return out

    def _copies_of(self, ids: set[str]) -> set[str]:
        """`ids` with every report linked to one of them as a near-copy or by the same text."""
        conn, out, frontier = self.db.conn, set(ids), set(ids)
        while frontier:
            found: set[str] = set()
            for chunk in _chunks(sorted(frontier)):
                marks = _marks(len(chunk))
                found.update(
                    r[0]
                    for r in conn.execute(
                        f"select duplicate_of from reports where id in ({marks}) "
                        "and duplicate_of is not null "
                        f"union select id from reports where duplicate_of in ({marks}) "
                        f"union select b.id from reports a join reports b on b.content_hash = a.content_hash "
                        f"where a.id in ({marks}) and a.content_hash is not null",
                        [*chunk, *chunk, *chunk],
                    )
                )
            frontier = found - out
            out |= found
        return out

    def _window(self, lo: date, hi: date) -> tuple[date, date, dict[str, ReportInput]]:
        """The NEC reports whose meeting date is chained to [lo, hi] (whole months, gaps of at most
        DATE_GAP days), with the range they fill."""
        while True:
            lo, hi = _month_bounds(lo, hi)
            rows = self._light(
                " and rec.meeting_date >= ? and rec.meeting_date <= ?",
                [
                    (lo - timedelta(days=DATE_GAP)).isoformat()[:7],
                    (hi + timedelta(days=DATE_GAP)).isoformat() + "~",
                ],
            )
            days = sorted({d for r in rows.values() if r.meeting_date and (d := _day(r.meeting_date))})
            new_lo, new_hi = lo, hi
            for d in days:
                if new_lo - timedelta(days=DATE_GAP) <= d < new_lo:
                    new_lo = d
            for d in reversed(days):
                if new_hi < d <= new_hi + timedelta(days=DATE_GAP):
                    new_hi = d
            if (new_lo, new_hi) == (lo, hi):
                inside = {
                    rid: r
                    for rid, r in rows.items()
                    if r.meeting_date and (d := _day(r.meeting_date)) is not None and lo <= d <= hi
                }
                return lo, hi, inside
            lo, hi = new_lo, new_hi

    # -- writing ----------------------------------------------------------------------------------
    def merge_meetings_of(self, report_ids: Iterable[str]) -> int:
        """Merge again every meeting the reports were in (per `minutes_coverage`, before this
        change) or are in now, with every report chained to them by date. Call inside the
        transaction that changed the reports or their records. Returns the meetings written."""
        conn = self.db.conn
        touched = pending = self._copies_of(set(report_ids))
        seen: set[str] = set()
        old: set[str] = set()
        loaded: dict[str, ReportInput] = {}
        spans: list[tuple[date, date]] = []
        while pending:
            seen |= pending
            batch = sorted(pending)
            pending = set()
            found_meetings: set[str] = set()
            for chunk in _chunks(batch):
                found_meetings.update(
                    r[0]
                    for r in conn.execute(
                        "select distinct meeting_id from minutes_coverage "
                        f"where report_id in ({_marks(len(chunk))})",
                        chunk,
                    )
                )
            new_meetings = found_meetings - old
            old |= new_meetings
            dates: list[date] = []
            for chunk in _chunks(sorted(new_meetings)):
                marks = _marks(len(chunk))
                for rid, dups in conn.execute(
                    f"select report_id, duplicates from minutes_coverage where meeting_id in ({marks})", chunk
                ):
                    pending.add(rid)
                    pending.update(json.loads(dups or "[]"))
                for (day,) in conn.execute(f"select date from minutes where meeting_id in ({marks})", chunk):
                    if day and (d := _day(day)):
                        dates.append(d)
            for chunk in _chunks(batch):
                for (day,) in conn.execute(
                    f"select rec.meeting_date {_NEC} and rec.meeting_date is not null "
                    f"and rec.report_id in ({_marks(len(chunk))})",
                    chunk,
                ):
                    if d := _day(day):
                        dates.append(d)
            for d in sorted(set(dates)):
                if any(lo <= d <= hi for lo, hi in spans):
                    continue
                lo, hi, rows = self._window(d, d)
                spans.append((lo, hi))
                loaded.update(rows)
                pending.update(rows)
            pending = self._copies_of(pending - seen) - seen if pending - seen else set()
        # copies found outside the windows come with their lead
        missing = sorted(seen - set(loaded))
        for chunk in _chunks(missing):
            loaded.update(self._light(f" and r.id in ({_marks(len(chunk))})", chunk))
        # a meeting none of whose reports changed, merged from the same reports' same texts, stays
        stored: dict[str, Any] = {}
        for chunk in _chunks(sorted(old)):
            for mid, sources in conn.execute(
                f"select meeting_id, sources from minutes where meeting_id in ({_marks(len(chunk))})", chunk
            ):
                stored[mid] = json.loads(sources or "{}")
        changed, kept = [], set()
        for meeting in cluster_meetings(group_copies(loaded.values())):
            members = {r.id: r.content_hash for g in meeting for r in (g.lead, *g.copies)}
            mid = meeting_id_of(meeting)
            if stored.get(mid) == members and not touched & members.keys():
                kept.add(mid)
            else:
                changed.append(meeting)
        full = self._full({r.id: r for meeting in changed for g in meeting for r in (g.lead, *g.copies)})
        minutes = [merge_meeting(_refill(meeting, full)) for meeting in changed]
        self._replace_minutes((old - kept) | {m.meeting_id for m in minutes}, minutes)
        return len(minutes)

    def rebuild_minutes(self, *, transactions: bool = False, batch: int = MEETINGS_BATCH) -> int:
        """Every meeting's minutes from every record. Inside the caller's transaction, or
        (`transactions`) `batch` meetings per transaction of its own. Returns the meetings written."""
        light = self._light("", [])
        meetings = cluster_meetings(group_copies(light.values()))
        stale = {r[0] for r in self.db.execute("select meeting_id from minutes")}
        written = 0
        for start in range(0, max(len(meetings), 1), batch):
            part = meetings[start : start + batch]
            ids = sorted({r.id for c in part for g in c for r in (g.lead, *g.copies)})
            full: dict[str, ReportInput] = {}
            for chunk in _chunks(ids):
                full.update(self._full({rid: light[rid] for rid in chunk}))
            minutes = [merge_meeting(_refill(c, full)) for c in part]
            drop = {m.meeting_id for m in minutes}
            if start == 0:
                drop |= stale  # meetings that are no more go with the first batch
            if transactions:
                with self.transaction():
                    self._replace_minutes(drop, minutes)
            else:
                self._replace_minutes(drop, minutes)
            written += len(minutes)
        return written

    def _replace_minutes(self, drop: set[str], minutes: Sequence[Minutes]) -> None:
        conn = self.db.conn
        for chunk in _chunks(sorted(drop)):
            for table in reversed(MINUTES_TABLES):
                conn.execute(f"delete from [{table}] where meeting_id in ({_marks(len(chunk))})", chunk)
        for m in minutes:
            for table, rows in minutes_rows(m).items():
                if not rows:
                    continue
                cols = list(rows[0])
                conn.executemany(
                    f"insert into [{table}] ({', '.join(f'[{c}]' for c in cols)}) "
                    f"values ({_marks(len(cols))})",
                    [[row[c] for c in cols] for row in rows],
                )

    # -- reading ----------------------------------------------------------------------------------
    def stored_minutes(self, meeting_id: str) -> dict[str, list[dict[str, Any]]]:
        """A meeting's rows, table by table, in order (for tests and tools)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for table in MINUTES_TABLES:
            order = {
                "minutes": "",
                "minutes_sources": " order by decision_position, report_id, report_position",
                "minutes_coverage": " order by published_at, report_id",
            }.get(table, " order by position")
            out[table] = list(
                self.db.query(f"select * from [{table}] where meeting_id = ?{order}", [meeting_id])
            )
        return out

    def meeting_for(self, value: str) -> str | None:
        """The meeting a link names: a meeting id as it is, else the meeting whose reports give that
        date (the ordinary meeting first), else None. A plain date keeps working when reporters
        disagreed on the day."""
        if self.db.execute("select 1 from minutes where meeting_id = ?", [value]).fetchone():
            return value
        row = self.db.execute(
            "select meeting_id from minutes_dates where date = ? limit 1", [value]
        ).fetchone()
        return row[0] if row else None

    def meeting_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("select meeting_id from minutes order by meeting_id")]


def _refill(meeting: Sequence[Copies], full: dict[str, ReportInput]) -> list[Copies]:
    """A meeting's report groups with each report's full record in place of its light row."""
    return [Copies(full[g.lead.id], tuple(full[r.id] for r in g.copies)) for g in meeting]
