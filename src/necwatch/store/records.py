"""Each NEC report's record (necwatch.record) as rows: derived from the report's stored text, written
in the transaction that writes the text, so a report and its record never disagree.

Only the current version's record has rows: every superseded version keeps its own text
(report_versions.body_text), so its record can be derived again, and a report edited ten times
would otherwise store ten copies of mostly the same decisions. Each row says which version it came
from (`version`, and `records.content_hash`). The record is derived data: re-derived by
`necwatch reextract` (a changed extractor or roster is a technical change, never an alert) and on
import, and left out of the export and the logical checksum (store/checksum.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from necwatch.intents import Intent, NewReport, ReportChange
from necwatch.record import Record
from necwatch.record.derive import record_of
from necwatch.record.roster import Roster
from necwatch.store.base import StoreBase

log = logging.getLogger("necwatch.record")

# The tables of one report's record, each keyed (report_id, position) but `records` (report_id).
RECORD_TABLES = ("records", "items", "decisions", "mentions", "statements")
# And the roster's rows, for the persons the records name.
ROSTER_TABLES = ("people", "memberships")
DERIVED_TABLES = (*RECORD_TABLES, *ROSTER_TABLES)

# A change of these report columns changes what the record is derived from.
RECORD_INPUTS = frozenset({"title", "body_text", "published_at", "author", "is_nec_report", "content_hash"})

# How many reports `rederive_records` writes per transaction: a poll waiting on the lock waits for
# one batch, not for the whole database.
BATCH = 200


def touched_reports(ops: Iterable[Intent]) -> list[str]:
    """The reports whose record a poll's intents may change: created, or a record input changed."""
    ids: dict[str, None] = {}
    for op in ops:
        if isinstance(op, NewReport):
            ids[op.row["id"]] = None
        elif isinstance(op, ReportChange) and RECORD_INPUTS & op.row.keys():
            ids[op.key] = None
    return list(ids)


def record_rows(report_id: str, version: int, record: Record) -> dict[str, list[dict[str, Any]]]:
    """The rows of one report's record, table by table (pure)."""

    def place(position: int, paragraph: str) -> dict[str, Any]:
        return {"report_id": report_id, "position": position, "version": version, "paragraph": paragraph}

    def many(values: Sequence[str]) -> str:
        return json.dumps(list(values), ensure_ascii=False)

    return {
        "records": [
            {
                "report_id": report_id,
                "version": version,
                "content_hash": record.version,
                "meeting_date": record.meeting.date,
                "meeting_kind": record.meeting.kind,
                "items": len(record.items),
                "decisions": len(record.decisions),
                "people": len(record.people),
                "statements": len(record.statements),
                "unmatched": len(record.unmatched),
            }
        ],
        "items": [
            {
                **place(i, it.paragraph),
                "title": it.title,
                "paragraphs": many(it.paragraphs or (it.paragraph,)),
            }
            for i, it in enumerate(record.items)
        ],
        "decisions": [
            {
                **place(i, d.paragraph),
                "item": d.item,
                "quote": d.quote,
                "subject": d.subject,
                "outcome": d.outcome,
                "manner": d.manner,
                "votes_for": d.votes_for,
                "votes_against": d.votes_against,
                "abstentions": d.abstentions,
                "mover": d.mover,
                "mover_id": d.mover_id,
                "seconder": d.seconder,
                "seconder_id": d.seconder_id,
            }
            for i, d in enumerate(record.decisions)
        ],
        "mentions": [
            {
                **place(i, p.paragraphs[0] if p.paragraphs else ""),
                "name": p.name,
                "canonical": p.canonical,
                "person_id": p.person_id,
                "role": p.role,
                "paragraphs": many(p.paragraphs),
                "written": many(p.written),
            }
            for i, p in enumerate(record.people)
        ],
        "statements": [
            {
                **place(i, s.paragraph),
                "speaker": s.speaker,
                "person_id": s.person_id,
                "quote": s.quote,
                "verb": s.verb,
                "vote": s.vote,
            }
            for i, s in enumerate(record.statements)
        ],
    }


def roster_rows(roster: Roster, used: dict[str, str | None]) -> dict[str, list[dict[str, Any]]]:
    """The `people` and `memberships` rows of the persons in `used` (person id → a name to fall back
    on, when the roster does not list the id)."""
    names = {str(p.get("id")): p.get("name") for p in roster.persons if p.get("id") is not None}
    people = [{"id": pid, "name": names.get(pid) or used[pid]} for pid in sorted(used)]
    memberships: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for m in roster.memberships:
        pid = m.get("person_id")
        if pid is None or str(pid) not in used:
            continue
        pid = str(pid)
        position = counts[pid] = counts.get(pid, -1) + 1
        memberships.append(
            {
                "person_id": pid,
                "position": position,
                "organization": m.get("organization_id") or m.get("organization"),
                "role": m.get("role") or m.get("office") or m.get("label"),
                "section": m.get("section") or m.get("post"),
                "start_date": _text(m.get("start_date")),
                "end_date": _text(m.get("end_date")),
                "source": _text(m.get("source")),
                "data": json.dumps(m, ensure_ascii=False, sort_keys=True, default=str),
            }
        )
    return {"people": people, "memberships": memberships}


def _text(value: Any) -> str | None:
    """A roster value as stored: text (a date or a source as written), or NULL."""
    return None if value is None else str(value)


class RecordStore(StoreBase):
    """Writes and reads of the record tables. The writes run inside the caller's transaction."""

    def write_record(self, report_id: str, version: int, record: Record) -> None:
        """Replace the report's record rows with `record`'s (derived from version `version`)."""
        self.drop_record(report_id)
        conn = self.db.conn
        for table, rows in record_rows(report_id, version, record).items():
            if not rows:
                continue
            cols = list(rows[0])
            conn.executemany(
                f"insert into [{table}] ({', '.join(f'[{c}]' for c in cols)}) "
                f"values ({', '.join('?' * len(cols))})",
                [[row[c] for c in cols] for row in rows],
            )

    def drop_record(self, report_id: str) -> None:
        for table in RECORD_TABLES:
            self.db.conn.execute(f"delete from [{table}] where report_id = ?", [report_id])

    def derive_touched(self, ops: Iterable[Intent], roster: Roster) -> int:
        """After `apply(ops)`, in its transaction: the records of the reports the intents created or
        changed (see touched_reports); nothing when none was."""
        ids = touched_reports(ops)
        return self.derive_records(ids, roster) if ids else 0

    def derive_records(self, report_ids: Iterable[str], roster: Roster) -> int:
        """Derive and write the record of each report from its stored row (an NEC report with text;
        any other loses its rows), then bring `people` and `memberships` in step. Returns the number
        of records written. Call inside a transaction (the poll's, with the versions it writes).
        A record the extractor fails on is logged and left empty: the report and its version are
        the data, the record is derived from them, and `reextract` derives it again once fixed."""
        n = 0
        for report_id in report_ids:
            row = self.db.execute(
                "select title, body_text, published_at, author, content_hash, version, is_nec_report "
                "from reports where id = ?",
                [report_id],
            ).fetchone()
            if row is None or not row[6] or not row[1]:
                self.drop_record(report_id)
                continue
            title, body, published, author, content_hash, version, _ = row
            try:
                record = record_of(title, body, published, author=author, roster=roster, version=content_hash)
            except Exception:  # an extractor's bug must not stop the report being stored
                log.exception("report %s: its record could not be derived; it has none", report_id)
                self.drop_record(report_id)
                continue
            self.write_record(report_id, version or 1, record)
            n += 1
        self.sync_people(roster)
        return n

    def sync_people(self, roster: Roster) -> None:
        """`people` and `memberships` hold exactly the persons some record names (mentions, movers,
        seconders, speakers), as the roster has them now."""
        used: dict[str, str | None] = {}
        for pid, name in self.db.execute(
            "select person_id, canonical from mentions where person_id is not null "
            "union all select mover_id, mover from decisions where mover_id is not null "
            "union all select seconder_id, seconder from decisions where seconder_id is not null "
            "union all select person_id, speaker from statements where person_id is not null"
        ):
            if used.get(pid) is None:
                used[pid] = name
        rows = roster_rows(roster, used)
        conn = self.db.conn
        current = {
            "people": [tuple(r) for r in conn.execute("select id, name from people order by id")],
            "memberships": [
                tuple(r)
                for r in conn.execute(
                    "select person_id, position, organization, role, section, start_date, end_date, "
                    "source, data "
                    "from memberships order by person_id, position"
                )
            ],
        }
        for table in ROSTER_TABLES:
            wanted = [tuple(r.values()) for r in rows[table]]
            if wanted == current[table]:
                continue  # most polls: the same persons, the same roster, nothing written
            conn.execute(f"delete from [{table}]")
            if wanted:
                cols = list(rows[table][0])
                conn.executemany(
                    f"insert into [{table}] ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                    wanted,
                )

    def rederive_records(
        self, roster: Roster, *, sources: Sequence[str] | None = None, batch: int = BATCH
    ) -> int:
        """Derive every record again from the stored texts (no fetching): every NEC report's (or only
        those first found on `sources`), `batch` reports per transaction; the rows of reports that
        are no longer NEC reports go. No alert: a changed extractor is a technical change. Returns
        the number of records written."""
        where, params = "", []
        if sources:
            where = f" and source in ({', '.join('?' * len(sources))})"
            params = list(sources)
        ids = [
            r[0]
            for r in self.db.execute(
                f"select id from reports where ((is_nec_report = 1 and body_text is not null) "
                f"or id in (select report_id from records)){where} order by id",
                params,
            )
        ]
        n = 0
        for start in range(0, len(ids), batch):
            with self.transaction():
                n += self.derive_records(ids[start : start + batch], roster)
        if not ids:
            with self.transaction():
                self.sync_people(roster)
        return n

    # -- reading -----------------------------------------------------------------------------------
    def unmatched_names(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Names that resolved to no one on the roster: name, count (of reports naming it), reports
        (their ids), most frequent first. Empty on a database from before the record tables."""
        if not self.db["mentions"].exists():
            return []
        sql = "select name, count, report_ids from unmatched_names"
        rows = self.db.execute(sql + (f" limit {int(limit)}" if limit else "")).fetchall()
        return [{"name": n, "count": c, "reports": json.loads(ids)} for n, c, ids in rows]

    def stored_record(self, report_id: str) -> dict[str, list[dict[str, Any]]]:
        """A report's record rows, table by table, in order (for tests and tools)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for table in RECORD_TABLES:
            order = "" if table == "records" else " order by position"
            out[table] = list(
                self.db.query(f"select * from [{table}] where report_id = ?{order}", [report_id])
            )
        return out
