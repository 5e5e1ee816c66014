"""Record and minutes rows for bench_serve's database: the record pages at 100,000 reports.

bench_serve.py generates reports whose bodies are the demo's real paragraphs in random order: no
extractor finds a consistent record in them, and merging 100,000 reports' records takes far longer
than a benchmark should wait. This writes, straight into the tables, the rows a record and its
minutes would have, consistent with the reports: one `records` row per NEC report (its meeting
date and kind), 6 agenda items and 20 decisions a report (the decision's paragraph a real paragraph
id of the report's body, necwatch.record.text), 8 person mentions and 3 statements (persons of the
shipped roster, whose `people` and `memberships` rows are written as the store writes them); and
the minutes of every meeting (the NEC reports of one meeting date and kind): its items, each
decision with one version per report (corroborated when two or more reporters state it), a
disagreement on a count in about a third of the meetings reported more than once, and who
reported it. The sentences are composed here in the genre (a motion carried 22-12, a report noted),
with the roster's names: deterministic (seeded), nothing copied.

    python bench/bench_record_rows.py --db /tmp/s20/bench.db   # adds the rows (once)
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ITEMS_PER_REPORT = 6
DECISIONS_PER_REPORT = 20
MENTIONS_PER_REPORT = 8
STATEMENTS_PER_REPORT = 3

ITEM_TITLES = [
    "Leader's report",
    "Deputy Leader's report",
    "General Secretary's report",
    "Organisation Committee",
    "Disputes Panel",
    "Equalities Committee",
    "Finance and Audit",
    "Conference Arrangements",
    "Selections",
    "Policy and the National Policy Forum",
    "Rule changes",
    "Any other business",
]
SUBJECTS = [
    "the timetable for selecting parliamentary candidates",
    "the conference arrangements",
    "the revised code of conduct",
    "the budget for the next campaign",
    "the membership rates",
    "the report of the Disputes Panel",
    "the rule changes for annual conference",
    "the procedure for choosing the mayoral candidate",
    "the equalities audit",
    "the appointment of the new General Secretary",
    "the review of the complaints process",
    "the boundary review selections",
    "the women's conference motions",
    "the youth structures",
    "the accounts for the year",
    "the list of recommended candidates",
    "the guidelines for local government selections",
    "the party's response to the inquiry",
    "the digital strategy",
    "the reinstatement of suspended members",
]
VERBS = ["said", "argued", "reported", "told the NEC", "warned", "welcomed"]
ROLES = ["NEC member", "Chair", "Leader", "General Secretary", "Treasurer", ""]


def _sentence(rng: random.Random, subject: str, outcome: str, manner: str, counts: tuple[int, int]) -> str:
    votes_for, votes_against = counts
    if outcome == "carried":
        return rng.choice(
            [
                f"A motion on {subject} was carried by {votes_for} votes to {votes_against}.",
                f"The motion on {subject} was carried {votes_for}-{votes_against}.",
            ]
        )
    if outcome == "rejected":
        return f"A proposal to refer back {subject} was rejected {votes_against}-{votes_for}."
    if outcome == "noted":
        return rng.choice([f"The NEC noted {subject}.", f"We noted {subject} without discussion."])
    if outcome == "referred":
        return f"The NEC referred {subject} to the Organisation Committee."
    if manner == "unanimous":
        return rng.choice(
            [f"The NEC unanimously agreed {subject}.", f"{subject.capitalize()} was agreed unanimously."]
        )
    return f"The NEC agreed {subject} by consensus."


def _day(value: str) -> float:
    return time.mktime(time.strptime(value[:10], "%Y-%m-%d"))


def _decision_plan(rng: random.Random) -> list[dict[str, Any]]:
    """A meeting's 20 decisions: subject, outcome, manner, count (the same for every reporter)."""
    plan = []
    for k in range(DECISIONS_PER_REPORT):
        outcome = rng.choice(["agreed", "agreed", "carried", "noted", "noted", "rejected", "referred"])
        manner = {"carried": "contested", "rejected": "contested"}.get(outcome) or (
            rng.choice(["unanimous", "consensus"]) if outcome == "agreed" else None
        )
        votes = (rng.randrange(18, 30), rng.randrange(2, 17)) if manner == "contested" else (0, 0)
        plan.append(
            {
                "subject": SUBJECTS[(k + rng.randrange(len(SUBJECTS))) % len(SUBJECTS)],
                "outcome": outcome,
                "manner": manner,
                "votes": votes,
                "item": k * ITEMS_PER_REPORT // DECISIONS_PER_REPORT,
            }
        )
    return plan


def add_record_rows(db: Path, seed: int = 7) -> None:
    """Write the rows (see the module docstring) into `db`, whose reports have none yet."""
    from necwatch.record.roster import Roster
    from necwatch.record.text import split_paragraphs
    from necwatch.store.records import roster_rows

    t0 = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    if conn.execute("select count(*) from minutes").fetchone()[0]:
        print("record rows already there", file=sys.stderr)
        return
    conn.execute("pragma synchronous = off")
    roster = Roster.shipped()
    persons = [(str(p["id"]), str(p["name"])) for p in roster.persons if p.get("id") and p.get("name")]
    rows = roster_rows(roster, dict(persons))
    conn.execute("begin")
    conn.executemany("insert into people (id, name) values (:id, :name)", rows["people"])
    cols = "person_id, position, organization, role, section, start_date, end_date, source, data"
    conn.executemany(
        f"insert into memberships ({cols}) values ({', '.join(':' + c.strip() for c in cols.split(','))})",
        rows["memberships"],
    )
    meetings: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
    query = (
        "select id, author, published_at, meeting_date, coalesce(meeting_kind, 'full'), content_hash, "
        "body_text from reports where is_nec_report = 1 and duplicate_of is null "
        "and meeting_date is not null order by published_at, id"
    )
    paragraphs: dict[str, list[str]] = {}
    for rid, author, published, date, kind, chash, body in conn.execute(query):
        meetings[(date, kind)].append((rid, author, published, chash))
        ids = [p.id for p in split_paragraphs(body)]
        paragraphs[rid] = ids or ["p0000000000"]
    print(f"read {len(paragraphs)} reports in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    ins = {
        t: []
        for t in (
            "records",
            "items",
            "decisions",
            "mentions",
            "statements",
            "minutes",
            "minutes_items",
            "minutes_decisions",
            "minutes_sources",
            "minutes_disagreements",
            "minutes_coverage",
        )
    }

    def flush(force: bool = False) -> None:
        for table, batch in ins.items():
            if batch and (force or len(batch) >= 5000):
                marks = ", ".join("?" * len(batch[0]))
                conn.executemany(f"insert into {table} values ({marks})", batch)
                batch.clear()

    columns = {t: [r[1] for r in conn.execute(f"pragma table_info({t})")] for t in ins}

    def row(table: str, **values: Any) -> None:
        ins[table].append(tuple(values.get(c) for c in columns[table]))

    for (date, kind), reports in sorted(meetings.items()):
        rng = random.Random(f"{seed}:{date}:{kind}")
        mid = date if kind == "full" else f"{date}-{kind}"
        plan = _decision_plan(rng)
        items = rng.sample(ITEM_TITLES, ITEMS_PER_REPORT)
        disputed = 3 if len(reports) > 1 and rng.random() < 0.35 else None
        reporters = [a for a in dict.fromkeys(r[1] for r in reports)]
        people_seen: dict[str, dict[str, Any]] = {}
        statements_n = 0
        per_report: list[dict[str, Any]] = []
        for j, (rid, author, published, chash) in enumerate(reports):
            paras = paragraphs[rid]
            pick = random.Random(f"{seed}:{rid}")

            def para(k: int, paras: list[str] = paras) -> str:
                return paras[k % len(paras)]

            row(
                "records",
                report_id=rid,
                version=1,
                content_hash=chash,
                meeting_date=date,
                meeting_kind=kind,
                items=ITEMS_PER_REPORT,
                decisions=DECISIONS_PER_REPORT,
                people=MENTIONS_PER_REPORT,
                statements=STATEMENTS_PER_REPORT,
                unmatched=0,
            )
            for i, title in enumerate(items):
                row(
                    "items",
                    report_id=rid,
                    position=i,
                    version=1,
                    paragraph=para(i * 8),
                    title=title,
                    paragraphs=json.dumps([para(i * 8)]),
                )
            mine = []
            for k, d in enumerate(plan):
                votes = d["votes"]
                if k == disputed and j % 2:  # this reporter counts one vote more
                    votes = (votes[0] + 1, votes[1])
                quote = _sentence(pick, d["subject"], d["outcome"], d["manner"] or "", votes)
                mover, mover_id = (
                    (persons[(k * 7 + len(date)) % len(persons)][::-1]) if k % 5 == 0 else (None, None)
                )
                counted = d["manner"] == "contested"
                rec = {
                    "paragraph": para(k * 2 + 1),
                    "quote": quote,
                    "outcome": d["outcome"],
                    "manner": d["manner"],
                    "for": votes[0] if counted else None,
                    "against": votes[1] if counted else None,
                }
                mine.append(rec)
                row(
                    "decisions",
                    report_id=rid,
                    position=k,
                    version=1,
                    paragraph=rec["paragraph"],
                    item=items[d["item"]],
                    quote=quote,
                    subject=d["subject"],
                    outcome=d["outcome"],
                    manner=d["manner"],
                    votes_for=rec["for"],
                    votes_against=rec["against"],
                    abstentions=None,
                    mover=mover,
                    mover_id=mover_id,
                )
            for k in range(MENTIONS_PER_REPORT):
                pid, name = persons[pick.randrange(len(persons))]
                role = ROLES[k % len(ROLES)] or None
                row(
                    "mentions",
                    report_id=rid,
                    position=k,
                    version=1,
                    paragraph=para(k * 5 + 2),
                    name=name,
                    canonical=name,
                    person_id=pid,
                    role=role,
                    paragraphs=json.dumps([para(k * 5 + 2)]),
                    written=json.dumps([name]),
                )
                seen = people_seen.setdefault(
                    pid, {"person_id": pid, "name": name, "role": role, "reporters": [], "sources": []}
                )
                if author not in seen["reporters"]:
                    seen["reporters"].append(author)
                seen["sources"].append({"report_id": rid, "paragraph": para(k * 5 + 2), "removed": False})
            for k in range(STATEMENTS_PER_REPORT):
                pid, name = persons[pick.randrange(len(persons))]
                vote = pick.choice([None, None, "for", "against"])
                quote = f"{name} {VERBS[k % len(VERBS)]} that {plan[k * 3]['subject']} needed more time."
                row(
                    "statements",
                    report_id=rid,
                    position=k,
                    version=1,
                    paragraph=para(k * 7 + 3),
                    speaker=name,
                    person_id=pid,
                    quote=quote,
                    verb=VERBS[k % len(VERBS)],
                    vote=vote,
                )
                statements_n += 1
            per_report.append(
                {"rid": rid, "author": author, "published": published, "decisions": mine, "paras": paras}
            )
            days = (_day(published) - _day(date)) // 86400
            row(
                "minutes_coverage",
                meeting_id=mid,
                report_id=rid,
                reporter=author,
                published_at=published,
                days_after=int(days),
                duplicates="[]",
                only_here="[]",
                removed=0,
            )
        several = len(reports) > 1
        for i, title in enumerate(items):
            sources = [
                {
                    "report_id": r["rid"],
                    "reporter": r["author"],
                    "title": title,
                    "paragraph": r["paras"][(i * 8) % len(r["paras"])],
                    "removed": False,
                }
                for r in per_report
            ]
            row(
                "minutes_items",
                meeting_id=mid,
                position=i,
                title=title,
                reporters=json.dumps(reporters),
                single_source=int(not several),
                sources=json.dumps(sources),
            )
        for k, d in enumerate(plan):
            counted = d["manner"] == "contested" and k != disputed
            row(
                "minutes_decisions",
                meeting_id=mid,
                position=k,
                item_position=d["item"],
                summary=per_report[0]["decisions"][k]["quote"],
                outcome=d["outcome"],
                manner=d["manner"],
                votes_for=d["votes"][0] if counted else None,
                votes_against=d["votes"][1] if counted else None,
                abstentions=None,
                counted=int(counted),
                mover=persons[(k * 7 + len(date)) % len(persons)][1] if k % 5 == 0 else None,
                mover_id=persons[(k * 7 + len(date)) % len(persons)][0] if k % 5 == 0 else None,
                seconder=None,
                seconder_id=None,
                reporters=json.dumps(reporters),
                corroboration="corroborated" if several else "single-source",
                disputed=int(k == disputed),
                removed_only=0,
            )
            for r in per_report:
                v = r["decisions"][k]
                row(
                    "minutes_sources",
                    meeting_id=mid,
                    decision_position=k,
                    report_id=r["rid"],
                    report_position=k,
                    reporter=r["author"],
                    paragraph=v["paragraph"],
                    quote=v["quote"],
                    outcome=v["outcome"],
                    manner=v["manner"],
                    votes_for=v["for"],
                    votes_against=v["against"],
                    abstentions=None,
                    removed=0,
                )
        if disputed is not None:
            versions: dict[str, dict[str, Any]] = {}
            for r in per_report:
                v = r["decisions"][disputed]
                value = f"{v['for']}-{v['against']}"
                entry = versions.setdefault(
                    value,
                    {
                        "value": value,
                        "reporters": [],
                        "report_ids": [],
                        "paragraphs": [],
                        "quotes": [],
                        "removed": False,
                    },
                )
                entry["reporters"].append(r["author"])
                entry["report_ids"].append(r["rid"])
                entry["paragraphs"].append(v["paragraph"])
                entry["quotes"].append(v["quote"])
            row(
                "minutes_disagreements",
                meeting_id=mid,
                position=0,
                field="count",
                decision_position=disputed,
                item_position=plan[disputed]["item"],
                summary=" or ".join(versions),
                versions=json.dumps(list(versions.values())),
            )
        row(
            "minutes",
            meeting_id=mid,
            date=date,
            kind=kind,
            reports=len(reports),
            reporters=json.dumps(reporters),
            items=ITEMS_PER_REPORT,
            decisions=DECISIONS_PER_REPORT,
            corroborated=DECISIONS_PER_REPORT if several else 0,
            disagreements=int(disputed is not None),
            statements=statements_n,
            first_report_at=reports[0][2],
            last_report_at=reports[-1][2],
            sources=json.dumps({r[0]: r[3] for r in reports}),
            people=json.dumps(list(people_seen.values())),
        )
        flush()
    flush(force=True)
    conn.execute("commit")
    conn.execute("analyze")
    conn.close()
    print(
        f"record rows for {len(paragraphs)} reports, {len(meetings)} meetings in "
        f"{time.perf_counter() - t0:.0f}s",
        file=sys.stderr,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    add_record_rows(ap.parse_args().db)


if __name__ == "__main__":
    main()
