"""Where the minutes live: the six minutes tables, written in the transaction that writes the reports
(`derive_touched`), re-merged before and after every change (a new report, an edit, a date that
moves, a removal, a near-copy), rebuilt by reextract and on import, never exported.

The reports are composed for these tests in the genre and read by the real extractors.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from necwatch.intents import NewReport, ReportChange
from necwatch.job import reextract
from necwatch.record.roster import Roster
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from necwatch.store.checksum import digest
from necwatch.store.export import export_dataset, import_dataset
from necwatch.store.minutes import MINUTES_TABLES
from necwatch.store.records import RecordStore
from necwatch.store.schema import MIGRATIONS, _apply, migrate
from tests.tracking.helpers import NEW_POST_ID, NEW_POST_LINK, Timeline

ROSTER = Roster.shipped()


def _hash(body: str) -> str:
    return "v1:" + hashlib.sha256(body.encode()).hexdigest()[:16]


AKEHURST = (
    "The NEC met on Tuesday 23 January 2024.\n\n"
    "General Secretary's report\n\n"
    "David Evans reported on the party's finances.\n\n"
    "Forde Report\n\n"
    "Following a vote, the NEC agreed to adopt the action plan on the Forde report, carried 22-12.\n\n"
    "Leader's report\n\n"
    "Keir Starmer spoke about the coming general election."
)
HENDERSON = (
    "My report of the NEC meeting of 24 January 2024.\n\n"
    "GS report\n\n"
    "The General Secretary reported on finances and staffing.\n\n"
    "Forde\n\n"
    "The NEC agreed the Forde action plan by {count} votes to 12.\n\n"
    "Local government\n\n"
    "We noted the report from the LGA Labour Group."
)


def row(rid: str, body: str, *, author: str, published: str, **more: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "title": more.pop("title", "NEC report"),
        "author": author,
        "published_at": published,
        "is_nec_report": 1,
        "body_text": body,
        "content_hash": _hash(body),
        "version": 1,
        "source": author.lower().replace(" ", "-"),
        **more,
    }


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.memory()
    yield s
    s.close()


def poll(store: Store, *ops: Any) -> None:
    """What a poll does with its intents: apply them, then derive, in one transaction."""
    with store.transaction():
        store.apply(ops)
        store.derive_touched(ops, ROSTER)


def edit(rid: str, body: str) -> ReportChange:
    return ReportChange(rid, {"body_text": body, "content_hash": _hash(body)})


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.db.execute(f"select * from [{t}] order by 1, 2, 3").fetchall() for t in MINUTES_TABLES}


def meeting(store: Store, mid: str) -> dict[str, list[dict[str, Any]]]:
    return store.stored_minutes(mid)


def two_reports(store: Store, count: int = 21) -> None:
    poll(store, NewReport(row("a", AKEHURST, author="Luke Akehurst", published="2024-01-25T10:00:00+00:00")))
    poll(
        store,
        NewReport(
            row(
                "h",
                HENDERSON.format(count=count),
                author="Ann Henderson",
                published="2024-01-26T10:00:00+00:00",
            )
        ),
    )


def test_a_second_report_of_the_meeting_is_merged_in_the_poll_that_stores_it(store: Store) -> None:
    poll(store, NewReport(row("a", AKEHURST, author="Luke Akehurst", published="2024-01-25T10:00:00+00:00")))
    [m] = meeting(store, "2024-01-23")["minutes"]
    assert (m["reports"], json.loads(m["reporters"]), m["corroborated"], m["disagreements"]) == (
        1,
        ["Luke Akehurst"],
        0,
        0,
    )
    poll(
        store,
        NewReport(
            row(
                "h", HENDERSON.format(count=21), author="Ann Henderson", published="2024-01-26T10:00:00+00:00"
            )
        ),
    )
    assert store.meeting_ids() == ["2024-01-23"], "a day apart: one meeting"
    rows = meeting(store, "2024-01-23")
    [m] = rows["minutes"]
    assert json.loads(m["reporters"]) == ["Luke Akehurst", "Ann Henderson"]
    assert (m["reports"], m["items"], m["decisions"], m["corroborated"]) == (2, 4, 2, 1)
    assert json.loads(m["sources"]) == {r: store.db["reports"].get(r)["content_hash"] for r in ("a", "h")}
    titles = [(i["title"], json.loads(i["reporters"]), i["single_source"]) for i in rows["minutes_items"]]
    assert titles == [
        ("General Secretary's report", ["Luke Akehurst", "Ann Henderson"], 0),
        ("Forde Report", ["Luke Akehurst", "Ann Henderson"], 0),
        ("Local government", ["Ann Henderson"], 1),  # after the item it follows in her report
        ("Leader's report", ["Luke Akehurst"], 1),
    ]
    forde, noted = rows["minutes_decisions"]
    assert (forde["outcome"], forde["counted"], forde["votes_for"], forde["disputed"]) == (
        "carried",
        0,
        None,
        1,
    )
    assert (forde["corroboration"], forde["item_position"]) == ("corroborated", 1)
    assert (noted["outcome"], noted["corroboration"], noted["item_position"]) == ("noted", "single-source", 2)
    sources = [(s["decision_position"], s["report_id"], s["votes_for"]) for s in rows["minutes_sources"]]
    assert sources == [(0, "a", 22), (0, "h", 21), (1, "h", None)]
    record_paragraphs = {r[0] for r in store.db.execute("select paragraph from decisions")}
    assert {s["paragraph"] for s in rows["minutes_sources"]} <= record_paragraphs, (
        "links to the report's paragraph"
    )
    fields = [(d["field"], d["summary"], d["decision_position"]) for d in rows["minutes_disagreements"]]
    assert fields == [("date", "23 January 2024 or 24 January 2024", None), ("count", "22-12 or 21-12", 0)]
    coverage = [
        (c["report_id"], c["days_after"], json.loads(c["only_here"])) for c in rows["minutes_coverage"]
    ]
    assert coverage == [("a", 2, ["Leader's report"]), ("h", 3, ["Local government"])]


def test_a_plain_date_any_reporter_gave_finds_the_meeting(store: Store) -> None:
    two_reports(store)
    assert store.meeting_for("2024-01-23") == "2024-01-23"
    assert store.meeting_for("2024-01-24") == "2024-01-23", "Ann Henderson's day is in the merged meeting"
    assert store.meeting_for("2024-01-25") is None
    rows = store.db.execute("select date, meeting_id, kind, reports from minutes_dates").fetchall()
    assert rows == [("2024-01-23", "2024-01-23", "full", 1), ("2024-01-24", "2024-01-23", "full", 1)]


def test_an_edit_updates_the_minutes(store: Store) -> None:
    two_reports(store)
    poll(store, edit("h", HENDERSON.format(count=22)))  # she corrects her count
    rows = meeting(store, "2024-01-23")
    forde = rows["minutes_decisions"][0]
    assert (forde["votes_for"], forde["votes_against"], forde["counted"], forde["disputed"]) == (22, 12, 1, 0)
    assert [d["field"] for d in rows["minutes_disagreements"]] == ["date"]


def test_a_report_whose_meeting_date_changed_leaves_the_old_meeting(store: Store) -> None:
    two_reports(store)
    moved = HENDERSON.format(count=21).replace("24 January 2024", "10 January 2024")
    poll(store, edit("h", moved))
    assert store.meeting_ids() == ["2024-01-10", "2024-01-23"]
    [old] = meeting(store, "2024-01-23")["minutes"]
    assert (json.loads(old["reporters"]), old["disagreements"]) == (["Luke Akehurst"], 0)
    assert [c["report_id"] for c in meeting(store, "2024-01-10")["minutes_coverage"]] == ["h"]
    assert dump(store) == rebuilt(store), "incremental and whole merges agree"


def test_a_removed_report_keeps_its_contribution_marked_removed(store: Store) -> None:
    two_reports(store)
    poll(store, ReportChange("h", {"removed_at": "2024-02-01T00:00:00+00:00"}))
    rows = meeting(store, "2024-01-23")
    assert [(c["report_id"], c["removed"]) for c in rows["minutes_coverage"]] == [("a", 0), ("h", 1)]
    assert [s["removed"] for s in rows["minutes_sources"]] == [0, 1, 1]
    assert [d["removed_only"] for d in rows["minutes_decisions"]] == [0, 1]
    versions = json.loads(rows["minutes_disagreements"][1]["versions"])
    assert [(v["value"], v["removed"]) for v in versions] == [("22-12", False), ("21-12", True)]
    # it comes back
    poll(store, ReportChange("h", {"removed_at": None}))
    assert [c["removed"] for c in meeting(store, "2024-01-23")["minutes_coverage"]] == [0, 0]


def test_a_near_copy_counts_once(store: Store) -> None:
    two_reports(store)
    before = meeting(store, "2024-01-23")["minutes_decisions"]
    labourlist = row(
        "ll",
        AKEHURST + "\n\nLuke Akehurst is a member of Labour's NEC.",
        author="Luke Akehurst",
        published="2024-01-26T12:00:00+00:00",
        duplicate_of="a",
        similarity=0.97,
    )
    poll(store, NewReport(labourlist))
    rows = meeting(store, "2024-01-23")
    assert rows["minutes"][0]["reports"] == 2
    assert [(c["report_id"], json.loads(c["duplicates"])) for c in rows["minutes_coverage"]] == [
        ("a", ["ll"]),
        ("h", []),
    ]
    assert set(json.loads(rows["minutes"][0]["sources"])) == {"a", "h", "ll"}
    assert rows["minutes_decisions"] == before


def test_a_post_that_is_no_longer_a_report_leaves_its_meeting(store: Store) -> None:
    two_reports(store)
    poll(store, ReportChange("a", {"is_nec_report": 0}))
    assert [c["report_id"] for c in meeting(store, "2024-01-23")["minutes_coverage"]] == []
    [(mid, reporters)] = store.db.execute("select meeting_id, reporters from minutes").fetchall()
    assert (mid, json.loads(reporters)) == ("2024-01-24", ["Ann Henderson"])
    assert dump(store) == rebuilt(store)


def rebuilt(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """The minutes merged again from every record, in a copy of the database."""
    copy = Store.memory()
    store.db.conn.backup(copy.db.conn)
    with copy.transaction():
        copy.rebuild_minutes()
    out = dump(copy)
    copy.close()
    return out


def test_incremental_merges_equal_the_whole_merge_after_any_sequence(store: Store) -> None:
    two_reports(store)
    poll(
        store,
        NewReport(
            row(
                "s",
                "The special NEC meeting on 30 January 2024 agreed the timetable for the leadership "
                "election.",
                author="Ann Black",
                published="2024-01-31T10:00:00+00:00",
                title="Special NEC meeting",
            )
        ),
        NewReport(
            row(
                "m",
                "The January NEC agreed the new code of conduct unanimously.",
                author="Mish Rahman",
                published="2024-02-02T10:00:00+00:00",
                title="NEC report – January 2024",
            )
        ),
    )
    assert store.meeting_ids() == ["2024-01-23", "2024-01-30-special"]
    assert "m" in json.loads(meeting(store, "2024-01-23")["minutes"][0]["sources"]), "January's one meeting"
    assert dump(store) == rebuilt(store)
    poll(store, edit("a", AKEHURST.replace("23 January 2024", "9 January 2024")))
    # two ordinary meetings in January now: the report giving only the month is a meeting of its own
    assert store.meeting_ids() == ["2024-01", "2024-01-09", "2024-01-24", "2024-01-30-special"]
    assert dump(store) == rebuilt(store)
    poll(store, ReportChange("h", {"removed_at": "2024-03-01T00:00:00+00:00"}))
    assert dump(store) == rebuilt(store)


# -- the real pipeline: two blogs, reextract, export and import -------------------------------------
WP_BODY = (
    "<p>The NEC met on 21 March 2024 at Labour Central in Manchester.</p>\n"
    "<p>General Secretary's report</p>\n"
    "<p>David Evans reported on the party's finances.</p>\n"
    "<p>Rule changes</p>\n"
    "<p>Following a vote, the NEC agreed to send the rule changes on the youth wing to conference, "
    "carried 22-12.</p>\n"
    "<p>Disputes</p>\n"
    "<p>The NEC agreed unanimously to suspend the Brighton Kemptown CLP AGM.</p>"
)
BLOGGER_BODY = (
    "<p>Report of Thursday's NEC, 21 March 2024.</p>\n"
    "<p>Rule changes</p>\n"
    "<p>The NEC agreed by 21 votes to 12 to send the youth wing rule changes to conference.</p>\n"
    "<p>Selections</p>\n"
    "<p>We agreed the shortlist for the Blackpool South by-election.</p>"
)


@pytest.fixture
def tl(web: ReplayWeb, tmp_path: Path) -> Timeline:
    t = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com", "lukeakehurst.blogspot.com"])
    t.step(repeat=False)
    t.add_wp_post(body=WP_BODY)
    t.add_blogger_entry(
        post_id="7700000000000000001",
        path="2024/03/nec-report-21-march-2024.html",
        title="NEC Report – 21 March 2024",
        body_html=BLOGGER_BODY,
    )
    t.step(repeat=False)
    return t


def test_two_blogs_reporting_one_meeting_through_the_real_pipeline(tl: Timeline, tmp_path: Path) -> None:
    rows = tl.store.stored_minutes("2024-03-21")
    [m] = rows["minutes"]
    assert json.loads(m["reporters"]) == ["Alice Perry", "Luke Akehurst"]
    [count] = [d for d in rows["minutes_disagreements"] if d["field"] == "count"]
    assert count["summary"] == "22-12 or 21-12"
    rules = rows["minutes_decisions"][count["decision_position"]]
    assert (rules["corroboration"], rules["outcome"]) == ("corroborated", "carried")
    assert rows["minutes_items"][rules["item_position"]]["title"] == "Rule changes"
    # every meeting of every NEC report has its minutes, and nothing else does
    covered = {r[0] for r in tl.store.db.execute("select report_id from minutes_coverage")}
    dated = {
        r[0]
        for r in tl.store.db.execute(
            "select report_id from records join reports on reports.id = records.report_id "
            "where records.meeting_date is not null and duplicate_of is null"
        )
    }
    assert covered == dated

    # a republication of Luke's text with a standfirst (a near-copy, duplicate_of): counted once
    tl.add_blogger_entry(
        post_id="7700000000000000002",
        path="2024/03/republished-nec-report.html",
        title="NEC Report – 21 March 2024 (republished)",
        body_html="<p>This report first appeared on LabourList.</p>\n" + BLOGGER_BODY,
    )
    tl.step(repeat=False)
    copy_id = tl.one("select id, duplicate_of from reports where title like '%(republished)'")
    assert copy_id["duplicate_of"] is not None
    rows = tl.store.stored_minutes("2024-03-21")
    assert rows["minutes"][0]["reports"] == 2 and copy_id["id"] in json.loads(rows["minutes"][0]["sources"])
    luke = next(c for c in rows["minutes_coverage"] if c["reporter"] == "Luke Akehurst")
    assert json.loads(luke["duplicates"]) == [copy_id["id"]]

    # Alice's post is taken down (410, gone from the listing): her contribution stays, marked removed
    tl.set_wp_posts([p for p in tl.wp_posts() if p["id"] != NEW_POST_ID])
    tl.web.delete(NEW_POST_LINK, 410)
    tl.step(repeat=False)
    rows = tl.store.stored_minutes("2024-03-21")
    assert [(c["reporter"], c["removed"]) for c in rows["minutes_coverage"]] == [
        ("Alice Perry", 1),
        ("Luke Akehurst", 0),
    ]
    assert json.loads(rows["minutes"][0]["reporters"]) == ["Alice Perry", "Luke Akehurst"]
    [count] = [d for d in rows["minutes_disagreements"] if d["field"] == "count"]
    assert [(v["value"], v["removed"]) for v in json.loads(count["versions"])] == [
        ("22-12", True),
        ("21-12", False),
    ]
    before = dump(tl.store)

    # reextract: the same minutes, merged again from the records derived again
    assert reextract(tl.config).records
    assert dump(tl.store) == before

    # export/import: the minutes are not exported, and the import merges them again
    tl.store.db.execute("pragma wal_checkpoint(truncate)")
    out, copy = tmp_path / "export", tmp_path / "copy.db"
    export_dataset(tl.config.database_path, out)
    text = "".join(p.read_text(encoding="utf-8") for p in out.glob("**/*.ndjson"))
    for table in MINUTES_TABLES:
        assert f'"t":"{table}"' not in text, f"{table} is derived: not exported"
    import_dataset(out, copy)
    assert digest(copy) == digest(tl.config.database_path)
    imported = Store.open(copy)
    assert dump(imported) == before
    imported.close()


def test_incremental_merges_equal_the_whole_merge_in_a_random_history(store: Store) -> None:
    """Forty polls of a random history (reports of meetings a day or a month apart, some giving only
    the month, special meetings, edits moving dates, removals and returns, near-copies, posts that
    stop being reports): after each, the minutes equal those merged from scratch."""
    rng = random.Random(20)
    days = ["2024-01-09", "2024-01-10", "2024-01-12", "2024-01-23", "2024-01-24", "2024-02-20", "2024-02-21"]
    authors = ["Luke Akehurst", "Ann Henderson", "Ann Black", "Mish Rahman"]

    def body(day: str, k: int) -> str:
        d = date.fromisoformat(day)
        when = f"{d.day} {d.strftime('%B %Y')}"
        opening = rng.choice(
            [
                f"The NEC met on {when}.",
                f"The special NEC meeting on {when} was called at short notice.",
                f"The {d.strftime('%B')} NEC met in London.",
            ]
        )
        return (
            f"{opening}\n\nForde Report\n\n"
            f"The NEC agreed the Forde action plan by {20 + k % 3} votes to 12.\n\n"
            "Selections\n\nWe agreed the selection procedures for Scotland by consensus."
        )

    live: list[str] = []
    for step in range(40):
        choice = rng.random()
        if choice < 0.4 or not live:
            rid = f"r{step}"
            day = rng.choice(days)
            extra: dict[str, Any] = {}
            if live and rng.random() < 0.2:
                extra = {"duplicate_of": rng.choice(live), "similarity": 0.95}
            published = (date.fromisoformat(day) + timedelta(days=rng.randint(1, 5))).isoformat()
            op: Any = NewReport(
                row(
                    rid,
                    body(day, step),
                    author=rng.choice(authors),
                    published=published + "T10:00:00+00:00",
                    **extra,
                )
            )
            live.append(rid)
        elif choice < 0.65:
            rid = rng.choice(live)
            published = store.db["reports"].get(rid)["published_at"][:10]
            day = rng.choice([d for d in days if d < published] or [days[0]])
            op = edit(rid, body(day, step))
        elif choice < 0.85:
            rid = rng.choice(live)
            gone = store.db["reports"].get(rid)["removed_at"]
            op = ReportChange(rid, {"removed_at": None if gone else "2024-03-01T00:00:00+00:00"})
        else:
            rid = rng.choice(live)
            op = ReportChange(rid, {"is_nec_report": 1 - store.db["reports"].get(rid)["is_nec_report"]})
        poll(store, op)
        assert dump(store) == rebuilt(store), f"step {step}: {op}"
    ids = store.meeting_ids()
    assert len(ids) >= 4 and any(i.endswith("-special") for i in ids), ids
    assert store.db.execute("select count(*) from minutes_coverage where removed = 1").fetchone()[0]
    assert store.db.execute("select count(*) from minutes_disagreements").fetchone()[0]


def test_migration_16_merges_the_records_a_database_already_holds() -> None:
    db = sqlite_utils.Database(memory=True)
    for number, migration in enumerate(MIGRATIONS[:15], start=1):
        _apply(db, number, migration)
    old = RecordStore(db)
    for r in (
        row("a", AKEHURST, author="Luke Akehurst", published="2024-01-25T10:00:00+00:00"),
        row("h", HENDERSON.format(count=21), author="Ann Henderson", published="2024-01-26T10:00:00+00:00"),
    ):
        db["reports"].insert(r)
    old.derive_records(["a", "h"], ROSTER)
    db.conn.commit()
    assert migrate(db) == len(MIGRATIONS)  # 16, and any after it
    store = Store(db)
    assert store.meeting_ids() == ["2024-01-23"]
    assert dump(store) == rebuilt(store)
