"""The NEC record as Popolo JSON (http://www.popoloproject.com/), for researchers.

One document with the Popolo collections `persons`, `organizations`, `memberships`, `events` (the
meetings), `motions` (the decisions), `vote_events` (with their `counts`) and `speeches` (the
statements), read from the per-report record tables (migration 15) and the meeting minutes
(migration 16). Every motion, vote event, speech and event carries `sources`: the report's own URL,
with the paragraph's stable id in the note and in `+paragraph` (and, given the site's address, a
second link to that paragraph on necwatch's report page).

Rules the export keeps, as the record does:
- A count is exported only when a report states it and no reporter disputes it: a decision whose
  count is not reported has a vote event without `counts`; a number is never inferred.
- Ids are stable: persons and organizations keep the roster's ids, a meeting is
  `meeting/<meeting_id>`, a decision `meeting/<meeting_id>/decision/<position>` (its vote event
  `…/vote`), a statement `report/<report_id>/statement/<position>`.
- A meeting with minutes is exported from them (merged: corroboration, disagreements, each
  reporter's version in `sources`); a meeting no minutes row covers yet (a database before
  migration 16 was re-derived) is exported from its reports' records, one motion per reported
  decision, nothing merged.
- Properties Popolo does not define are prefixed `+` (the spec's own convention), so a consumer
  never mistakes them for Popolo's.

Pure reads: `popolo_document(conn)` builds the document from an open connection (any sqlite3
connection, read-only is enough); `write_popolo(db_path, out)` writes it atomically, one object a
line, the statements streamed from the database rather than held. The same database gives the same
bytes (no timestamp, every list in a fixed order).
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from necwatch import __version__
from necwatch.record.roster import Roster

NEC = "nec"

# What a meeting kind is called (record/meeting.py's kinds).
KIND_NAMES = {
    "full": "NEC meeting",
    "special": "Special NEC meeting",
    "away_day": "NEC away day",
    "sub_committees": "NEC sub-committees",
    "clause_v": "Clause V meeting",
}

# The record's outcome → Popolo's result words ("pass"/"fail", the spec's examples); the others
# (noted, referred, other) were not put to a decision and keep their own word, with no vote event.
RESULTS = {"carried": "pass", "agreed": "pass", "rejected": "fail"}

# Count options, Popolo's conventional words.
OPTIONS = (("votes_for", "yes"), ("votes_against", "no"), ("abstentions", "abstain"))

_SLUG = re.compile(r"[^a-z0-9]+")
# Popolo's date pattern for memberships and events: YYYY, YYYY-MM or YYYY-MM-DD.
PARTIAL_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}){0,2}")


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "none"


def _loads(text: str | None, default: Any) -> Any:
    """A JSON column as stored; NULL or unreadable is the default (derived data, never fatal)."""
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _day(value: str | None) -> str | None:
    """'23 January 2024' for a note; a partial date as written."""
    if not value:
        return None
    try:
        if len(value) == 7:  # YYYY-MM: only the month is known
            return f"{date.fromisoformat(value + '-01'):%B %Y}"
        d = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{d.day} {d:%B %Y}"


def _http(url: str | None) -> str | None:
    """An absolute http(s) URL as it stands, else None (a link's `url` must be one)."""
    if not url or not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        return None
    return url


def meeting_id_of(meeting_date: str, kind: str | None) -> str:
    """A meeting's id as migration 16 writes it: the date, with `-kind` when not a full meeting."""
    return meeting_date if (kind or "full") == "full" else f"{meeting_date}-{kind}"


def event_id(meeting_id: str) -> str:
    return f"meeting/{meeting_id}"


def motion_id(meeting_id: str, position: int) -> str:
    return f"meeting/{meeting_id}/decision/{position}"


@dataclass(frozen=True)
class Report:
    id: str
    url: str | None
    author: str | None
    published_at: str | None
    removed_at: str | None


class _Links:
    """Builds `sources` links to a report (and its paragraph), on the original site and, given the
    site's address, on necwatch's report page."""

    def __init__(self, reports: dict[str, Report], site_url: str | None, database: str) -> None:
        self.reports = reports
        self.site = site_url.rstrip("/") if site_url else None
        self.database = database

    def to(self, report_id: str, paragraph: str | None, note: str, **extra: Any) -> list[dict[str, Any]]:
        report = self.reports.get(report_id)
        removed = bool(report and report.removed_at)
        if report and report.removed_at:
            note += f" (report removed {_day(report.removed_at)})"
        if paragraph:
            note += f", paragraph {paragraph}"
        plus: dict[str, Any] = {"+report_id": report_id}
        if paragraph:
            plus["+paragraph"] = paragraph
        if removed:
            plus["+removed"] = True
        plus.update({f"+{k}": v for k, v in extra.items() if v is not None})
        links = []
        url = _http(report.url if report else None)
        if url:
            links.append({"url": url, "note": note, **plus})
        if self.site:  # the same paragraph on necwatch's report page (its quote is on the first link)
            page = f"{self.site}/{self.database}/reports/{report_id}" + (f"#{paragraph}" if paragraph else "")
            lean = {k: v for k, v in plus.items() if k != "+quote"} if links else plus
            links.append({"url": page, "note": f"{note}, on necwatch", **lean})
        return links


def _count_words(row: dict[str, Any]) -> str | None:
    if row.get("votes_for") is None and row.get("votes_against") is None:
        return None

    def n(col: str) -> str:
        return "?" if row.get(col) is None else str(row[col])

    words = f"{n('votes_for')}–{n('votes_against')}"
    if row.get("abstentions") is not None:
        words += f" ({row['abstentions']} abstentions)"
    return words


def _version_words(row: dict[str, Any]) -> str:
    """A reporter's version of a decision in words: "carried, contested, 22–12"."""
    parts = [row.get("outcome") or "no outcome stated"]
    if row.get("manner"):
        parts.append(row["manner"])
    parts.append(_count_words(row) or "count not reported")
    return ", ".join(parts)


def _counts(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Popolo counts, only those stated."""
    return [{"option": option, "value": int(row[col])} for col, option in OPTIONS if row.get(col) is not None]


def _iter_rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
    cur = conn.execute(sql, tuple(params))
    cols = [c[0] for c in cur.description]
    for r in cur:
        yield dict(zip(cols, r, strict=True))


def _rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    return list(_iter_rows(conn, sql, params))


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}


def popolo_document(
    conn: sqlite3.Connection,
    *,
    roster: Roster | None = None,
    site_url: str | None = None,
    database: str = "necwatch",
) -> dict[str, Any]:
    """The Popolo document of the database's record (see the module's docstring), in memory.

    `roster` gives the organizations' names and the persons' other names (default: the shipped
    roster); `site_url` the published site (publish.base_url), to link each paragraph on it too;
    `database` the name the site serves the database under.
    """
    parts = popolo_parts(conn, roster=roster, site_url=site_url, database=database)
    return {k: v if isinstance(v, dict | list) else list(v) for k, v in parts.items()}


def popolo_parts(
    conn: sqlite3.Connection,
    *,
    roster: Roster | None = None,
    site_url: str | None = None,
    database: str = "necwatch",
) -> dict[str, Any]:
    """The document with `speeches` (most of its objects) left as an iterator over the open
    connection, so `write_json` writes them one by one instead of holding them all."""
    roster = roster or Roster.shipped()
    tables = _tables(conn)
    if "records" not in tables:
        raise ValueError("the database has no record tables (migration 15): run `necwatch reextract`")
    cited = "select report_id from records"  # and the reports the minutes cite (one may have lost its record)
    if "minutes" in tables:
        cited += " union select report_id from minutes_coverage union select report_id from minutes_sources"
    reports = {
        r["id"]: Report(r["id"], r["canonical_url"], r["author"], r["published_at"], r["removed_at"])
        for r in _rows(
            conn,
            f"select id, canonical_url, author, published_at, removed_at from reports where id in ({cited})",
        )
    }
    links = _Links(reports, site_url, database)
    people = _rows(conn, "select id, name from people order by id")
    memberships = _rows(conn, "select * from memberships order by person_id, position")

    minutes = _rows(conn, "select * from minutes order by date, meeting_id") if "minutes" in tables else []
    meeting_of: dict[str, str] = {}  # report id → meeting id
    duplicates: set[str] = set()  # republications merged into another report: their rows once
    coverage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if minutes:
        for c in _rows(conn, "select * from minutes_coverage order by meeting_id, published_at, report_id"):
            coverage[c["meeting_id"]].append(c)
            meeting_of[c["report_id"]] = c["meeting_id"]
            duplicates.update(str(d) for d in _loads(c["duplicates"], []))
        for m in minutes:
            for rid in _loads(m["sources"], {}):
                meeting_of.setdefault(str(rid), m["meeting_id"])
    for rid in duplicates:
        meeting_of.pop(rid, None)

    merged = {m["meeting_id"] for m in minutes}
    # Reports no minutes cover: their meetings from the records alone.
    loose: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _rows(
        conn,
        "select records.report_id, records.meeting_date, records.meeting_kind, reports.duplicate_of "
        "from records join reports on reports.id = records.report_id "
        "where coalesce(records.meeting_date, '') != '' order by reports.published_at, records.report_id",
    ):
        if r["report_id"] in meeting_of or r["report_id"] in duplicates or r["duplicate_of"]:
            continue
        mid = meeting_id_of(r["meeting_date"], r["meeting_kind"])
        if mid in merged:  # minutes of that date exist without this report (not re-derived yet)
            mid += "-unmerged"
        loose[mid].append(r)
        meeting_of[r["report_id"]] = mid

    named = _named(conn, meeting_of)
    events: list[dict[str, Any]] = []
    # per meeting, so that both kinds of meeting come out in one date order
    motions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    vote_events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if minutes:
        items = _by_meeting(_rows(conn, "select * from minutes_items order by meeting_id, position"))
        decisions = _by_meeting(_rows(conn, "select * from minutes_decisions order by meeting_id, position"))
        disagreements = _by_meeting(
            _rows(conn, "select * from minutes_disagreements order by meeting_id, position")
        )
        sources: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for s in _rows(
            conn,
            "select minutes_sources.*, reports.published_at from minutes_sources "
            "left join reports on reports.id = minutes_sources.report_id "
            "order by meeting_id, decision_position, published_at, report_id, report_position",
        ):
            sources[(s["meeting_id"], s["decision_position"])].append(s)
        for m in minutes:
            mid = m["meeting_id"]
            named_here = _merged_people(m.get("people")) or named.get(mid)
            events.append(_minutes_event(m, coverage[mid], disagreements[mid], named_here, links))
            titles = {i["position"]: i["title"] for i in items[mid]}
            for d in decisions[mid]:
                motion, vote = _minutes_motion(d, titles, sources[(mid, d["position"])], links)
                motions[mid].append(motion)
                if vote:
                    vote_events[mid].append(vote)
    unmerged = {r["report_id"] for rows in loose.values() for r in rows}
    by_report: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in _iter_rows(conn, "select * from decisions order by report_id, position"):
        if d["report_id"] in unmerged:
            by_report[d["report_id"]].append(d)
    for mid, rows in loose.items():
        events.append(_records_event(mid, rows, reports, named.get(mid), links))
        position = 0
        for r in rows:
            for d in by_report[r["report_id"]]:
                motion, vote = _records_motion(mid, position, d, links)
                motions[mid].append(motion)
                if vote:
                    vote_events[mid].append(vote)
                position += 1
    events.sort(key=lambda e: (e["start_date"] or "", e["id"]))
    order = [e["id"].removeprefix("meeting/") for e in events]

    speeches = _speeches(conn, meeting_of, duplicates, links)
    return {
        "meta": {
            "generator": f"necwatch {__version__}",
            "spec": "http://www.popoloproject.com/specs/",
            "note": "Unofficial: the NEC publishes no minutes. Each motion is a decision as NEC members "
            "reported it; counts only where a report states them and no reporter disputes them; "
            "'+' properties are necwatch's own.",
        },
        "persons": [_person(p, roster) for p in people],
        "organizations": _organizations(memberships, roster),
        "memberships": _unique([_membership(m) for m in memberships]),
        "events": events,
        "motions": [m for mid in order for m in motions[mid]],
        "vote_events": [v for mid in order for v in vote_events[mid]],
        "speeches": speeches,
    }


def _by_meeting(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["meeting_id"]].append(r)
    return out


def _person(p: dict[str, Any], roster: Roster) -> dict[str, Any]:
    person: dict[str, Any] = {"id": p["id"], "name": p["name"]}
    shipped = roster.by_id.get(p["id"]) or {}
    others = [
        {"name": o["name"]} for o in shipped.get("other_names") or () if isinstance(o, dict) and o.get("name")
    ]
    if others:
        person["other_names"] = others
    return person


def _organizations(memberships: list[dict[str, Any]], roster: Roster) -> list[dict[str, Any]]:
    known = {str(o["id"]): o for o in roster.organizations if o.get("id")}
    ids = {NEC} | {m["organization"] for m in memberships if m["organization"]}
    out = []
    for oid in sorted(ids):
        o = known.get(oid, {})
        org: dict[str, Any] = {"id": oid, "name": o.get("name") or oid}
        if o.get("classification"):
            org["classification"] = o["classification"]
        if oid == NEC:
            org["name"] = "Labour Party National Executive Committee"
            if "labour-party" in ids:
                org["parent_id"] = "labour-party"
        out.append(org)
    return out


def _membership(m: dict[str, Any]) -> dict[str, Any]:
    role = m["role"] or "member"
    org, start = _slug(m["organization"] or "none"), m["start_date"] or "undated"
    out: dict[str, Any] = {
        "id": f"{m['person_id']}/{org}/{_slug(role)}/{start}",
        "person_id": m["person_id"],
        "organization_id": m["organization"],
        "role": role,
    }
    if m["section"]:
        out["label"] = f"{role} ({m['section']})"
    for key in ("start_date", "end_date"):
        if m[key] and PARTIAL_DATE.fullmatch(m[key]):
            out[key] = m[key]
        elif m[key]:  # a config may write a date Popolo's pattern refuses: kept, marked as ours
            out[f"+{key}"] = m[key]
    source = (m["source"] or "").strip()
    url, _, rest = source.partition(" ")  # "https://… (list of leaders; read in a stored copy)"
    if _http(url):
        rest = rest.strip().removeprefix("(").removesuffix(")").strip()
        out["sources"] = [{"url": url, **({"note": rest} if rest else {})}]
    elif source:
        out["+source_note"] = source
    return out


def _unique(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ids made unique by order of occurrence (`-2`, `-3` …): two roster entries may share a
    person, organization, role and start date (one seat, two sections)."""
    seen: dict[str, int] = {}
    for o in objects:
        n = seen[o["id"]] = seen.get(o["id"], 0) + 1
        if n > 1:
            o["id"] = f"{o['id']}-{n}"
    return objects


def _named(conn: sqlite3.Connection, meeting_of: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The people each meeting's reports name: roster persons once (with their role that day),
    names no one on the roster matched once per name."""
    seen: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in _iter_rows(
        conn,
        "select report_id, name, canonical, person_id, role from mentions order by report_id, position",
    ):
        mid = meeting_of.get(r["report_id"])
        if mid is None:
            continue
        key = r["person_id"] or f"name:{r['name']}"
        if key in seen[mid]:
            continue
        entry = {"person_id": r["person_id"], "name": r["canonical"] or r["name"], "role": r["role"]}
        seen[mid][key] = {k: v for k, v in entry.items() if v is not None}
    return {
        mid: sorted(v.values(), key=lambda e: (e["name"], e.get("person_id") or ""))
        for mid, v in seen.items()
    }


def _merged_people(text: str | None) -> list[dict[str, Any]] | None:
    """The people of a meeting as the merge gives them (`minutes.people`, when the merge writes
    that column: each with the reporters naming them), else None."""
    out = []
    for p in _loads(text, []):
        if not isinstance(p, dict) or not p.get("name"):
            continue
        entry = {k: p.get(k) for k in ("person_id", "name", "role", "reporters")}
        out.append({k: v for k, v in entry.items() if v not in (None, [])})
    return out or None


def _event_base(mid: str, meeting_date: str, kind: str | None) -> dict[str, Any]:
    name = KIND_NAMES.get(kind or "full", "NEC meeting")
    return {
        "id": event_id(mid),
        "name": f"{name}, {_day(meeting_date)}",
        "start_date": meeting_date,
        "classification": kind or "full",
        "organization_id": NEC,
    }


def _minutes_event(
    m: dict[str, Any],
    coverage: list[dict[str, Any]],
    disagreements: list[dict[str, Any]],
    named: list[dict[str, Any]] | None,
    links: _Links,
) -> dict[str, Any]:
    event = _event_base(m["meeting_id"], m["date"], m["kind"])
    reporters = _loads(m["reporters"], [])
    event["description"] = (
        f"Merged from {m['reports']} report{'s' * (m['reports'] != 1)}"
        + (f" by {', '.join(reporters)}" if reporters else "")
        + f": {m['decisions']} decisions ({m['corroborated']} corroborated), "
        f"{m['disagreements']} disagreements, {m['statements']} statements."
    )
    sources: list[dict[str, Any]] = []
    for c in coverage:
        days = c["days_after"]
        after = f", {days} day{'s' * (days != 1)} after the meeting" if days is not None else ""
        note = f"Report by {c['reporter'] or 'an unnamed member'}, published {_day(c['published_at'])}{after}"
        sources += links.to(c["report_id"], None, note, only_here=_loads(c["only_here"], None) or None)
    if sources:
        event["sources"] = sources
    if disagreements:
        event["+disagreements"] = [
            {
                "field": d["field"],
                "summary": d["summary"],
                **(
                    {"motion_id": motion_id(m["meeting_id"], d["decision_position"])}
                    if d["decision_position"] is not None
                    else {}
                ),
                "versions": _loads(d["versions"], []),
            }
            for d in disagreements
        ]
    if named:
        event["+named"] = named
    return event


def _records_event(
    mid: str,
    rows: list[dict[str, Any]],
    reports: dict[str, Report],
    named: list[dict[str, Any]] | None,
    links: _Links,
) -> dict[str, Any]:
    first = rows[0]
    event = _event_base(mid, first["meeting_date"], first["meeting_kind"])
    authors = list(dict.fromkeys(reports[r["report_id"]].author or "an unnamed member" for r in rows))
    event["description"] = (
        f"From {len(rows)} report{'s' * (len(rows) != 1)} by {', '.join(authors)}; "
        "not merged into minutes (each motion is one report's account)."
    )
    sources: list[dict[str, Any]] = []
    for r in rows:
        rep = reports[r["report_id"]]
        sources += links.to(
            rep.id, None, f"Report by {rep.author or 'an unnamed member'}, published {_day(rep.published_at)}"
        )
    if sources:
        event["sources"] = sources
    if named:
        event["+named"] = named
    return event


def _motion_base(mid: str, position: int, row: dict[str, Any], text: str | None) -> dict[str, Any]:
    outcome = row.get("outcome")
    motion: dict[str, Any] = {
        "id": motion_id(mid, position),
        "organization_id": NEC,
        "legislative_session_id": event_id(mid),
        "text": text,
        "result": RESULTS.get(outcome, outcome) if outcome else None,
    }
    if row.get("manner"):
        motion["classification"] = row["manner"]
    if row.get("mover_id"):
        motion["creator_id"] = row["mover_id"]
    elif row.get("mover"):
        motion["creator"] = {"name": row["mover"]}
    motion["+outcome"] = outcome
    if row.get("seconder"):
        motion["+seconder"] = row["seconder"]
        if row.get("seconder_id"):
            motion["+seconder_id"] = row["seconder_id"]
    return motion


def _vote_event(motion: dict[str, Any], row: dict[str, Any], counted: bool) -> dict[str, Any] | None:
    """A decided motion's vote event (its result; counts only when stated and undisputed)."""
    if row.get("outcome") not in RESULTS:
        return None
    vote: dict[str, Any] = {
        "id": f"{motion['id']}/vote",
        "organization_id": NEC,
        "legislative_session_id": motion["legislative_session_id"],
        "motion_id": motion["id"],
        "result": motion["result"],
    }
    if row.get("manner"):
        vote["classification"] = row["manner"]
    counts = _counts(row) if counted else []
    if counts:
        vote["counts"] = counts
    else:
        vote["+count"] = "not reported"
    # the motion's evidence, without the quotes it already carries
    vote["sources"] = [{k: v for k, v in s.items() if k != "+quote"} for s in motion.get("sources", [])]
    return vote


def _minutes_motion(
    d: dict[str, Any], titles: dict[int, str], sources: list[dict[str, Any]], links: _Links
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    motion = _motion_base(d["meeting_id"], d["position"], d, d["summary"])
    if d["item_position"] is not None and d["item_position"] in titles:
        motion["+item"] = titles[d["item_position"]]
    motion["+corroboration"] = d["corroboration"]
    motion["+reporters"] = _loads(d["reporters"], [])
    if d["disputed"]:
        motion["+disputed"] = True
    if d["removed_only"]:
        motion["+removed_only"] = True
    out: list[dict[str, Any]] = []
    for s in sources:
        note = f"{s['reporter'] or 'An unnamed member'}: {_version_words(s)}"
        out += links.to(s["report_id"], s["paragraph"], note, quote=s["quote"])
    if out:
        motion["sources"] = out
    if d["disputed"] and d["outcome"] is None:
        return motion, None  # reporters differ on the outcome: no result to state
    # `counted` is 1 only for a stated, undisputed count (migration 16's contract)
    return motion, _vote_event(motion, d, bool(d["counted"]))


def _records_motion(
    mid: str, position: int, d: dict[str, Any], links: _Links
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    motion = _motion_base(mid, position, d, d["subject"] or d["quote"])
    if d["item"]:
        motion["+item"] = d["item"]
    report = links.reports.get(d["report_id"])
    author = (report.author if report else None) or "An unnamed member"
    out = links.to(d["report_id"], d["paragraph"], f"{author}: {_version_words(d)}", quote=d["quote"])
    if out:
        motion["sources"] = out
    stated = d["votes_for"] is not None or d["votes_against"] is not None
    return motion, _vote_event(motion, d, stated)


def _speeches(
    conn: sqlite3.Connection, meeting_of: dict[str, str], duplicates: set[str], links: _Links
) -> Iterator[dict[str, Any]]:
    """The statements, one at a time, in publication order (the speaker's role: the first mention
    of them in the same report that gives one)."""
    roles = {
        (rid, pid): role
        for rid, pid, role in conn.execute(
            "select report_id, person_id, role from mentions "
            "where person_id is not null and role is not null order by report_id, position desc"
        )
    }
    for s in _iter_rows(
        conn,
        "select statements.*, reports.author, reports.published_at from statements "
        "join reports on reports.id = statements.report_id "
        "order by reports.published_at, statements.report_id, statements.position",
    ):
        if s["report_id"] in duplicates:
            continue
        speech: dict[str, Any] = {"id": f"report/{s['report_id']}/statement/{s['position']}"}
        if s["person_id"]:
            speech["creator_id"] = s["person_id"]
            role = roles.get((s["report_id"], s["person_id"]))
            if role:
                speech["role"] = role
        speech["attribution_text"] = s["speaker"]
        speech["text"] = s["quote"]
        speech["type"] = "speech"
        speech["position"] = s["position"]
        mid = meeting_of.get(s["report_id"])
        if mid:
            speech["event_id"] = event_id(mid)
        speech["+verb"] = s["verb"]
        if s["vote"]:
            speech["+vote"] = s["vote"]
        src = links.to(s["report_id"], s["paragraph"], f"Reported by {s['author'] or 'an unnamed member'}")
        if src:
            speech["sources"] = src
        yield speech


def write_json(parts: dict[str, Any], out: IO[str]) -> dict[str, int]:
    """Write the document to `out`: one object a line inside each collection (a line per object
    reads and diffs well, and lets the iterators in `parts` be written without holding them).
    Returns how many objects each collection has."""
    counts: dict[str, int] = {}
    out.write("{")
    for i, (key, value) in enumerate(parts.items()):
        out.write(f"{',' if i else ''}\n {json.dumps(key)}: ")
        if isinstance(value, dict):
            out.write(json.dumps(value, ensure_ascii=False))
            continue
        n = 0
        out.write("[")
        for obj in value:
            out.write(f"{',' if n else ''}\n  {json.dumps(obj, ensure_ascii=False)}")
            n += 1
        out.write("\n ]" if n else "]")
        counts[key] = n
    out.write("\n}\n")
    return counts


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON text, as `write_json` writes it."""
    buffer = io.StringIO()
    write_json(document, buffer)
    return buffer.getvalue()


def write_popolo(
    db_path: str | Path,
    out: str | Path,
    *,
    roster: Roster | None = None,
    site_url: str | None = None,
    database: str = "necwatch",
) -> dict[str, int]:
    """Write the Popolo document of the database at `db_path` to `out` (a temp file renamed over it,
    so a reader never sees half a file). Returns how many objects of each collection it holds."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    conn = sqlite3.connect(f"file:{Path(db_path)}?mode=ro", uri=True)
    try:
        conn.execute("begin")  # one snapshot of a live database for every query
        parts = popolo_parts(conn, roster=roster, site_url=site_url, database=database)
        with tmp.open("w", encoding="utf-8") as f:
            counts = write_json(parts, f)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    os.replace(tmp, out)
    return counts
