"""The Popolo export (necwatch.popolo): every object it writes is valid against the Popolo JSON
schemas (vendored in tests/fixtures/popolo/, `$ref`s resolved between them by a referencing
registry, never from the network), on the demo database and on composed minutes rows."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from jsonschema import Draft3Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from necwatch.cli import cli
from necwatch.popolo import dumps, popolo_document, write_popolo
from necwatch.record.text import split_paragraphs
from necwatch.store import Store

SCHEMAS = Path(__file__).parent / "fixtures" / "popolo"
BASE = "http://www.popoloproject.com/schemas/"

# Each collection of the document and the Popolo class (schema file) of its objects.
CLASSES = {
    "persons": "person",
    "organizations": "organization",
    "memberships": "membership",
    "events": "event",
    "motions": "motion",
    "vote_events": "vote_event",
    "speeches": "speech",
}


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        assert contents["id"] == f"{BASE}{path.name}#"
        resources.append(
            (f"{BASE}{path.name}", Resource.from_contents(contents, default_specification=DRAFT3))
        )
    return Registry().with_resources(resources)


REGISTRY = _registry()

# Formats checked for real (jsonschema skips `uri` and `date-time` without optional packages).
FORMATS = FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(f"not an absolute http(s) URL: {value!r}")
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        if "T" not in value:
            raise ValueError(f"a date, not a date-time: {value!r}")
    return True


def validator(cls: str) -> Draft3Validator:
    schema = REGISTRY.contents(f"{BASE}{cls}.json")
    return Draft3Validator(schema, registry=REGISTRY, format_checker=FORMATS)


VALIDATORS = {collection: validator(cls) for collection, cls in CLASSES.items()}


def check_document(doc: dict[str, Any]) -> int:
    """Validate every object of every collection (and each count, through vote_event's `$ref`);
    ids unique. Returns how many objects were checked."""
    assert set(CLASSES) <= set(doc)
    n = 0
    ids: set[str] = set()
    for collection, v in VALIDATORS.items():
        for obj in doc[collection]:
            errors = sorted(v.iter_errors(obj), key=lambda e: list(e.path))
            assert not errors, f"{collection} {obj.get('id')}: {[e.message for e in errors]}"
            assert obj["id"] not in ids, f"duplicate id {obj['id']}"
            ids.add(obj["id"])
            n += 1
    return n


# --- the validator itself: it resolves $refs and rejects what Popolo rejects ------------------


def test_the_validator_follows_refs_between_schemas_and_rejects_bad_objects() -> None:
    person = VALIDATORS["persons"]
    person.validate({"id": "jo-bloggs", "name": "Jo Bloggs", "other_names": [{"name": "Jo"}]})
    # other_name.json, reached by $ref: a name is a string
    with pytest.raises(ValidationError, match="is not of type 'string'"):
        person.validate({"id": "jo-bloggs", "other_names": [{"name": 5}]})
    vote = VALIDATORS["vote_events"]
    vote.validate({"id": "v", "counts": [{"option": "yes", "value": 22}]})
    with pytest.raises(ValidationError):  # count.json: value is an integer, and required
        vote.validate({"id": "v", "counts": [{"option": "yes", "value": "22"}]})
    with pytest.raises(ValidationError):
        vote.validate({"id": "v", "counts": [{"option": "yes"}]})
    with pytest.raises(ValidationError):  # link.json: url required, an absolute URL
        VALIDATORS["motions"].validate({"id": "m", "sources": [{"note": "no url"}]})
    with pytest.raises(ValidationError):
        VALIDATORS["motions"].validate({"id": "m", "sources": [{"url": "/demo/reports/x"}]})
    with pytest.raises(ValidationError):  # event.json: a date pattern
        VALIDATORS["events"].validate({"id": "e", "start_date": "23 January 2024"})
    with pytest.raises(ValidationError):  # speech.json: date is a date-time
        VALIDATORS["speeches"].validate({"id": "s", "date": "2024-01-23"})


# --- the demo database ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from necwatch.demo import run_demo

    root = tmp_path_factory.mktemp("popolo-demo")
    _, store = run_demo(root / "demo.db", root / "feeds")
    store.db.execute("pragma wal_checkpoint(truncate)")
    store.close()
    return root / "demo.db"


def _document(path: Path, **kwargs: Any) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return popolo_document(conn, **kwargs)
    finally:
        conn.close()


MINUTES_TABLES = (
    "minutes_sources",
    "minutes_disagreements",
    "minutes_coverage",
    "minutes_decisions",
    "minutes_items",
    "minutes",
)


@pytest.fixture(scope="module")
def demo_without_minutes(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as a database whose minutes are not derived yet (empty migration-16 tables)."""
    path = tmp_path_factory.mktemp("popolo-no-minutes") / "demo.db"
    shutil.copyfile(demo_db, path)
    conn = sqlite3.connect(path)
    for table in MINUTES_TABLES:
        conn.execute(f"delete from {table}")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("minutes", ["as built", "empty"])
def test_the_demo_exports_valid_popolo(demo_db: Path, demo_without_minutes: Path, minutes: str) -> None:
    """With the demo's minutes (once the merge writes them) and with none: the same meetings,
    decisions and statements, all valid."""
    path = demo_db if minutes == "as built" else demo_without_minutes
    doc = _document(path, site_url="https://necwatch.example.org", database="demo")
    assert check_document(doc) > 100
    conn = sqlite3.connect(path)
    if minutes == "empty":
        assert all("not merged" in e["description"] for e in doc["events"])
    meetings = {
        (d, k)
        for d, k in conn.execute("select meeting_date, meeting_kind from records where meeting_date != ''")
    }
    assert len(doc["events"]) == len(meetings) == 13
    dates = [e["start_date"] for e in doc["events"]]
    assert dates == sorted(dates) and dates[0] == "2011-11-01"
    order = {e["id"]: i for i, e in enumerate(doc["events"])}
    sessions = [order[m["legislative_session_id"]] for m in doc["motions"]]
    assert sessions == sorted(sessions)  # motions in meeting order
    if minutes == "empty" or not conn.execute("select count(*) from minutes").fetchone()[0]:
        assert len(doc["motions"]) == conn.execute("select count(*) from decisions").fetchone()[0]
    else:
        assert len(doc["motions"]) == conn.execute("select count(*) from minutes_decisions").fetchone()[0]
    assert len(doc["speeches"]) == conn.execute("select count(*) from statements").fetchone()[0]
    assert {p["id"] for p in doc["persons"]} == {r[0] for r in conn.execute("select id from people")}
    event = next(e for e in doc["events"] if e["id"] == "meeting/2024-01-23")
    assert event["name"] == "NEC meeting, 23 January 2024" and event["start_date"] == "2024-01-23"
    assert (
        event["sources"][0]["url"]
        == "https://lukeakehurst.blogspot.com/2024/01/nec-report-23-january-2024.html"
    )
    assert any(e["id"] == "meeting/2014-11-04-away_day" for e in doc["events"])
    assert {o["id"] for o in doc["organizations"]} >= {"nec", "labour-party"}
    events = {e["id"] for e in doc["events"]}
    persons = {p["id"] for p in doc["persons"]}
    for m in doc["motions"]:
        assert m["legislative_session_id"] in events
        assert m.get("creator_id") is None or m["creator_id"] in persons
    for s in doc["speeches"]:
        assert s["event_id"] in events
        assert s.get("creator_id") is None or s["creator_id"] in persons
    for ms in doc["memberships"]:
        assert ms["person_id"] in persons
    conn.close()


@pytest.mark.parametrize("minutes", ["as built", "empty"])
def test_every_source_points_to_the_report_and_a_paragraph_it_has(
    demo_db: Path, demo_without_minutes: Path, minutes: str
) -> None:
    path = demo_db if minutes == "as built" else demo_without_minutes
    doc = _document(path, site_url="https://necwatch.example.org", database="demo")
    conn = sqlite3.connect(path)
    reports = {
        rid: (url, {p.id for p in split_paragraphs(body or "")}, body)
        for rid, url, body in conn.execute("select id, canonical_url, body_text from reports")
    }
    conn.close()
    checked = 0
    for collection in ("motions", "vote_events", "speeches"):
        for obj in doc[collection]:
            sources = obj["sources"]  # each version: the report's URL, then its page on necwatch
            assert sources and len(sources) % 2 == 0
            for original, page in zip(sources[::2], sources[1::2], strict=True):
                rid, pid = original["+report_id"], original["+paragraph"]
                assert pid in reports[rid][1], f"{obj['id']}: {pid} is not a paragraph of {rid}"
                assert original["url"] == reports[rid][0]
                assert page["url"] == f"https://necwatch.example.org/demo/reports/{rid}#{pid}"
                assert pid in original["note"]
                if collection == "motions":  # the quote of each version is the report's own words
                    assert original["+quote"] in reports[rid][2]
                    assert "+quote" not in page  # once a version
                checked += 1
    assert checked > 100


def test_a_count_only_when_stated(demo_without_minutes: Path) -> None:
    """Unmerged, one motion a report's decision: a count exactly where the report states one.
    (Merged counts, disputed or not: the composed minutes below.)"""
    doc = _document(demo_without_minutes)
    conn = sqlite3.connect(demo_without_minutes)
    stated = conn.execute("select count(*) from decisions where votes_for is not null").fetchone()[0]
    conn.close()
    counted = [v for v in doc["vote_events"] if "counts" in v]
    assert len(counted) == stated
    for v in doc["vote_events"]:
        assert ("counts" in v) != (v.get("+count") == "not reported")
    # a decision not put to a decision (noted, referred) is a motion without a vote event
    noted = [m for m in doc["motions"] if m["+outcome"] in ("noted", "referred")]
    assert noted
    assert not {m["id"] for m in noted} & {v["motion_id"] for v in doc["vote_events"]}
    # without a site address, only the report's own URL
    assert all(len(m["sources"]) == 1 for m in doc["motions"])


def test_the_same_database_gives_the_same_bytes(demo_db: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    counts = write_popolo(demo_db, a)
    write_popolo(demo_db, b)
    assert a.read_bytes() == b.read_bytes()
    assert counts["events"] == 13 and counts["motions"] > 0
    assert json.loads(a.read_text(encoding="utf-8"))["meta"]["generator"].startswith("necwatch")
    assert not (tmp_path / "a.json.tmp").exists()


# --- composed minutes (migration 16 rows, as the merge writes them) ----------------------------

MEETING = "2024-07-23"
ALPHA, BETA, GAMMA = "aaaa000000000001", "bbbb000000000002", "cccc000000000003"


def _composed(path: Path) -> Path:
    """A meeting reported by two members (a third report a republication of the first), merged:
    a corroborated counted decision, a disputed count, a disputed outcome, a noted paper, and a
    statement in each report; one report since removed."""
    store = Store.open(path)
    db = store.db

    def report(
        rid: str, author: str, url: str, published: str, *, removed: str | None = None, dup: str | None = None
    ) -> None:
        db["reports"].insert(
            {
                "id": rid,
                "title": f"NEC report – {MEETING}",
                "author": author,
                "published_at": published,
                "meeting_date": MEETING,
                "meeting_kind": "full",
                "is_nec_report": 1,
                "canonical_url": url,
                "content_hash": f"v1:{rid}",
                "removed_at": removed,
                "duplicate_of": dup,
                "body_text": "",
            }
        )
        db["records"].insert(
            {
                "report_id": rid,
                "version": 1,
                "content_hash": f"v1:{rid}",
                "meeting_date": MEETING,
                "meeting_kind": "full",
                "items": 2,
                "decisions": 2,
                "people": 2,
                "statements": 1,
                "unmatched": 0,
            }
        )

    report(
        ALPHA, "Priya Shah", "https://priyashah.example.org/2024/07/nec-report", "2024-07-24T09:00:00+00:00"
    )
    report(
        BETA,
        "Tom Ellis",
        "https://tomellis.example.org/nec-july-2024/",
        "2024-07-26T18:30:00+00:00",
        removed="2024-08-02T10:00:00+00:00",
    )
    report(
        GAMMA,
        "Priya Shah",
        "https://news.example.org/priya-nec-report",
        "2024-07-25T08:00:00+00:00",
        dup=ALPHA,
    )
    db["people"].insert_all(
        [{"id": "sam-carter", "name": "Sam Carter"}, {"id": "priya-shah", "name": "Priya Shah"}]
    )
    db["memberships"].insert_all(
        [
            {
                "person_id": "sam-carter",
                "position": 0,
                "organization": "nec",
                "role": "Chair",
                "section": None,
                "start_date": "2023-11",
                "end_date": None,
                "source": "general knowledge; to verify",
                "data": "{}",
            },
            {
                "person_id": "priya-shah",
                "position": 0,
                "organization": "nec",
                "role": "NEC member",
                "section": "CLP",
                "start_date": "2022-09",
                "end_date": "2024-09-17",
                "source": "https://results.example.org/nec-2022",
                "data": "{}",
            },
        ]
    )
    statement = "Sam said the rule changes would go to conference in September."
    for rid, pos in ((ALPHA, 0), (BETA, 0), (GAMMA, 0)):
        db["statements"].insert(
            {
                "report_id": rid,
                "position": pos,
                "version": 1,
                "paragraph": f"p{rid[:4]}stat01",
                "speaker": "Sam Carter",
                "person_id": "sam-carter",
                "quote": statement,
                "verb": "said",
                "vote": None,
            }
        )
    db["mentions"].insert(
        {
            "report_id": ALPHA,
            "position": 0,
            "version": 1,
            "paragraph": "paaaastat01",
            "name": "Sam",
            "canonical": "Sam Carter",
            "person_id": "sam-carter",
            "role": "Chair",
            "paragraphs": '["paaaastat01"]',
            "written": '["Sam"]',
        }
    )
    db["statements"].insert(
        {
            "report_id": ALPHA,
            "position": 1,
            "version": 1,
            "paragraph": "paaaavote01",
            "speaker": "Priya Shah",
            "person_id": "priya-shah",
            "quote": "I voted against the timetable.",
            "verb": "voted",
            "vote": "against",
        }
    )
    db["minutes"].insert(
        {
            "meeting_id": MEETING,
            "date": MEETING,
            "kind": "full",
            "reports": 2,
            "reporters": '["Priya Shah", "Tom Ellis"]',
            "items": 2,
            "decisions": 4,
            "corroborated": 2,
            "disagreements": 2,
            "statements": 3,
            "first_report_at": "2024-07-24T09:00:00+00:00",
            "last_report_at": "2024-07-26T18:30:00+00:00",
            "sources": json.dumps({ALPHA: f"v1:{ALPHA}", BETA: f"v1:{BETA}"}),
        }
    )
    db["minutes_items"].insert_all(
        [
            {
                "meeting_id": MEETING,
                "position": 0,
                "title": "Rule changes",
                "reporters": '["Priya Shah", "Tom Ellis"]',
                "single_source": 0,
                "sources": "[]",
            },
            {
                "meeting_id": MEETING,
                "position": 1,
                "title": "Selections timetable",
                "reporters": '["Priya Shah"]',
                "single_source": 1,
                "sources": "[]",
            },
        ]
    )
    decisions = [
        # corroborated, counted 22-12
        dict(
            position=0,
            item_position=0,
            summary="rule changes on CLP nominations",
            outcome="carried",
            manner="contested",
            votes_for=22,
            votes_against=12,
            abstentions=None,
            counted=1,
            mover="Sam Carter",
            mover_id="sam-carter",
            seconder="Jo Lane",
            seconder_id=None,
            reporters='["Priya Shah", "Tom Ellis"]',
            corroboration="corroborated",
            disputed=0,
            removed_only=0,
        ),
        # reporters differ on the count: outcome agreed, no count
        dict(
            position=1,
            item_position=1,
            summary="the selections timetable",
            outcome="carried",
            manner="contested",
            votes_for=None,
            votes_against=None,
            abstentions=None,
            counted=0,
            mover=None,
            mover_id=None,
            seconder=None,
            seconder_id=None,
            reporters='["Priya Shah", "Tom Ellis"]',
            corroboration="corroborated",
            disputed=1,
            removed_only=0,
        ),
        # reporters differ on whether a vote happened: no agreed outcome
        dict(
            position=2,
            item_position=1,
            summary="the Forde paper",
            outcome=None,
            manner=None,
            votes_for=None,
            votes_against=None,
            abstentions=None,
            counted=0,
            mover=None,
            mover_id=None,
            seconder=None,
            seconder_id=None,
            reporters='["Priya Shah", "Tom Ellis"]',
            corroboration="corroborated",
            disputed=1,
            removed_only=0,
        ),
        # single-source, from the removed report only, agreed with no count
        dict(
            position=3,
            item_position=None,
            summary="a by-election panel",
            outcome="agreed",
            manner=None,
            votes_for=None,
            votes_against=None,
            abstentions=None,
            counted=0,
            mover=None,
            mover_id=None,
            seconder=None,
            seconder_id=None,
            reporters='["Tom Ellis"]',
            corroboration="single-source",
            disputed=0,
            removed_only=1,
        ),
    ]
    db["minutes_decisions"].insert_all([{"meeting_id": MEETING, **d} for d in decisions])
    src = [
        (
            0,
            ALPHA,
            0,
            "Priya Shah",
            "paaaa000001",
            "The rule changes were carried by 22 votes to 12.",
            "carried",
            "contested",
            22,
            12,
        ),
        (
            0,
            BETA,
            0,
            "Tom Ellis",
            "pbbbb000001",
            "The NEC backed the rule changes 22–12.",
            "carried",
            "contested",
            22,
            12,
        ),
        (
            1,
            ALPHA,
            1,
            "Priya Shah",
            "paaaa000002",
            "The timetable was agreed by 22 votes to 12.",
            "carried",
            "contested",
            22,
            12,
        ),
        (
            1,
            BETA,
            1,
            "Tom Ellis",
            "pbbbb000002",
            "The timetable passed 21–12.",
            "carried",
            "contested",
            21,
            12,
        ),
        (2, ALPHA, 2, "Priya Shah", "paaaa000003", "We noted the Forde paper.", "noted", None, None, None),
        (
            2,
            BETA,
            2,
            "Tom Ellis",
            "pbbbb000003",
            "The Forde paper was carried on a vote.",
            "carried",
            "contested",
            None,
            None,
        ),
        (
            3,
            BETA,
            3,
            "Tom Ellis",
            "pbbbb000004",
            "A panel was agreed for the by-election.",
            "agreed",
            None,
            None,
            None,
        ),
    ]
    db["minutes_sources"].insert_all(
        [
            {
                "meeting_id": MEETING,
                "decision_position": dp,
                "report_id": rid,
                "report_position": rp,
                "reporter": who,
                "paragraph": pid,
                "quote": q,
                "outcome": o,
                "manner": mn,
                "votes_for": vf,
                "votes_against": va,
                "abstentions": None,
                "removed": int(rid == BETA),
            }
            for dp, rid, rp, who, pid, q, o, mn, vf, va in src
        ]
    )
    db["minutes_disagreements"].insert_all(
        [
            {
                "meeting_id": MEETING,
                "position": 0,
                "field": "count",
                "decision_position": 1,
                "item_position": 1,
                "summary": "22-12 or 21-12",
                "versions": json.dumps(
                    [
                        {
                            "value": "22-12",
                            "reporters": ["Priya Shah"],
                            "report_ids": [ALPHA],
                            "paragraphs": ["paaaa000002"],
                            "quotes": ["The timetable was agreed by 22 votes to 12."],
                            "removed": False,
                        },
                        {
                            "value": "21-12",
                            "reporters": ["Tom Ellis"],
                            "report_ids": [BETA],
                            "paragraphs": ["pbbbb000002"],
                            "quotes": ["The timetable passed 21–12."],
                            "removed": True,
                        },
                    ]
                ),
            },
            {
                "meeting_id": MEETING,
                "position": 1,
                "field": "vote_held",
                "decision_position": 2,
                "item_position": 1,
                "summary": "carried on a vote or only noted",
                "versions": "[]",
            },
        ]
    )
    db["minutes_coverage"].insert_all(
        [
            {
                "meeting_id": MEETING,
                "report_id": ALPHA,
                "reporter": "Priya Shah",
                "published_at": "2024-07-24T09:00:00+00:00",
                "days_after": 1,
                "duplicates": json.dumps([GAMMA]),
                "only_here": "[]",
                "removed": 0,
            },
            {
                "meeting_id": MEETING,
                "report_id": BETA,
                "reporter": "Tom Ellis",
                "published_at": "2024-07-26T18:30:00+00:00",
                "days_after": 3,
                "duplicates": "[]",
                "only_here": '["By-election panel"]',
                "removed": 1,
            },
        ]
    )
    store.close()
    return path


@pytest.fixture
def composed(tmp_path: Path) -> Iterator[dict[str, Any]]:
    path = _composed(tmp_path / "composed.db")
    doc = _document(path, site_url="https://necwatch.example.org/", database="necwatch")
    check_document(doc)
    yield doc


def test_minutes_become_one_event_with_merged_motions(composed: dict[str, Any]) -> None:
    (event,) = composed["events"]
    assert event["id"] == "meeting/2024-07-23" and event["name"] == "NEC meeting, 23 July 2024"
    assert "Merged from 2 reports by Priya Shah, Tom Ellis" in event["description"]
    notes = [s["note"] for s in event["sources"] if "on necwatch" not in s["note"]]
    assert notes == [
        "Report by Priya Shah, published 24 July 2024, 1 day after the meeting",
        "Report by Tom Ellis, published 26 July 2024, 3 days after the meeting"
        " (report removed 2 August 2024)",
    ]
    assert [d["field"] for d in event["+disagreements"]] == ["count", "vote_held"]
    assert event["+disagreements"][0]["motion_id"] == "meeting/2024-07-23/decision/1"
    assert [v["value"] for v in event["+disagreements"][0]["versions"]] == ["22-12", "21-12"]
    assert [m["id"] for m in composed["motions"]] == [f"meeting/2024-07-23/decision/{i}" for i in range(4)]


def test_counts_only_when_stated_and_undisputed(composed: dict[str, Any]) -> None:
    votes = {v["motion_id"].rsplit("/", 1)[1]: v for v in composed["vote_events"]}
    assert votes["0"]["counts"] == [{"option": "yes", "value": 22}, {"option": "no", "value": 12}]
    assert votes["0"]["result"] == "pass" and votes["0"]["classification"] == "contested"
    # the count is disputed (22-12 or 21-12): a vote event with its result, no count
    assert (
        "counts" not in votes["1"]
        and votes["1"]["+count"] == "not reported"
        and votes["1"]["result"] == "pass"
    )
    # whether a vote happened is disputed: the motion stands, with no result and no vote event
    assert "2" not in votes
    forde = composed["motions"][2]
    assert forde["result"] is None and forde["+disputed"] is True
    # agreed, count not reported
    assert "counts" not in votes["3"]


def test_each_reporters_version_is_a_source_with_its_paragraph(composed: dict[str, Any]) -> None:
    motion = composed["motions"][1]
    assert motion["+item"] == "Selections timetable" and motion["+corroboration"] == "corroborated"
    originals = [s for s in motion["sources"] if "on necwatch" not in s["note"]]
    assert [s["note"] for s in originals] == [
        "Priya Shah: carried, contested, 22–12, paragraph paaaa000002",
        "Tom Ellis: carried, contested, 21–12 (report removed 2 August 2024), paragraph pbbbb000002",
    ]
    assert originals[0]["url"] == "https://priyashah.example.org/2024/07/nec-report"
    assert originals[1]["+removed"] is True and originals[1]["+quote"] == "The timetable passed 21–12."
    pages = [s["url"] for s in motion["sources"] if "on necwatch" in s["note"]]
    assert pages == [
        f"https://necwatch.example.org/necwatch/reports/{ALPHA}#paaaa000002",
        f"https://necwatch.example.org/necwatch/reports/{BETA}#pbbbb000002",
    ]
    first = composed["motions"][0]
    assert first["creator_id"] == "sam-carter" and first["+seconder"] == "Jo Lane"
    assert "+seconder_id" not in first
    assert composed["motions"][3]["+removed_only"] is True
    # without the merge's people, the meeting's people are its reports' mentions
    assert composed["events"][0]["+named"] == [
        {"person_id": "sam-carter", "name": "Sam Carter", "role": "Chair"}
    ]


def test_the_people_the_merge_lists_are_the_meetings_named(tmp_path: Path) -> None:
    path = _composed(tmp_path / "composed.db")
    conn = sqlite3.connect(path)
    if "people" not in {r[1] for r in conn.execute("pragma table_info(minutes)")}:
        conn.execute("alter table minutes add column people text")  # the merge's column, if not yet here
    people = [
        {"person_id": "sam-carter", "name": "Sam Carter", "role": "Chair",
         "reporters": ["Priya Shah", "Tom Ellis"],
         "sources": [{"report_id": ALPHA, "paragraph": "paaaastat01", "removed": False}]},
        {"person_id": None, "name": "Jo Lane", "role": None, "reporters": ["Priya Shah"], "sources": []},
    ]  # fmt: skip
    conn.execute("update minutes set people = ?", [json.dumps(people)])
    conn.commit()
    conn.close()
    (event,) = _document(path)["events"]
    assert event["+named"] == [
        {
            "person_id": "sam-carter",
            "name": "Sam Carter",
            "role": "Chair",
            "reporters": ["Priya Shah", "Tom Ellis"],
        },
        {"name": "Jo Lane", "reporters": ["Priya Shah"]},
    ]


def test_statements_once_and_linked_to_their_meeting(composed: dict[str, Any]) -> None:
    ids = [s["id"] for s in composed["speeches"]]
    # the republication's (GAMMA) copy is left out: the report it copies is exported
    assert ids == [f"report/{ALPHA}/statement/0", f"report/{ALPHA}/statement/1", f"report/{BETA}/statement/0"]
    sam = composed["speeches"][0]
    assert sam["creator_id"] == "sam-carter" and sam["role"] == "Chair"
    assert sam["event_id"] == "meeting/2024-07-23" and sam["attribution_text"] == "Sam Carter"
    assert composed["speeches"][1]["+vote"] == "against"
    membership = {m["person_id"]: m for m in composed["memberships"]}
    assert membership["priya-shah"]["label"] == "NEC member (CLP)"
    assert membership["priya-shah"]["sources"] == [{"url": "https://results.example.org/nec-2022"}]
    assert membership["sam-carter"]["+source_note"] == "general knowledge; to verify"
    assert membership["sam-carter"]["start_date"] == "2023-11" and "end_date" not in membership["sam-carter"]


def test_reports_no_minutes_cover_still_get_their_meeting(tmp_path: Path) -> None:
    path = _composed(tmp_path / "composed.db")
    conn = sqlite3.connect(path)
    conn.execute(
        "insert into reports (id, title, author, published_at, is_nec_report, canonical_url, content_hash) "
        "values ('dddd000000000004', 'NEC report', 'Ann Other', '2024-09-20T10:00:00+00:00', 1, "
        "'https://annother.example.org/nec-september', 'v1:d')"
    )
    conn.execute(
        "insert into records (report_id, version, content_hash, meeting_date, meeting_kind) "
        "values ('dddd000000000004', 1, 'v1:d', '2024-09', 'special')"
    )
    conn.execute(
        "insert into decisions "
        "(report_id, position, version, paragraph, quote, outcome, votes_for, votes_against) "
        "values ('dddd000000000004', 0, 1, 'pdddd000001', 'The NEC agreed the timetable by 20 votes to 9.', "
        "'agreed', 20, 9)"
    )
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path)  # and one of the July meeting's date the minutes do not include yet
    conn.execute(
        "insert into reports (id, title, author, published_at, is_nec_report, canonical_url, content_hash) "
        "values ('eeee000000000005', 'NEC report', 'Late Writer', '2024-07-30T10:00:00+00:00', 1, "
        "'https://late.example.org/nec-july', 'v1:e')"
    )
    conn.execute(
        "insert into records (report_id, version, content_hash, meeting_date, meeting_kind) "
        "values ('eeee000000000005', 1, 'v1:e', '2024-07-23', 'full')"
    )
    conn.commit()
    conn.close()
    doc = _document(path)
    check_document(doc)  # ids unique: the late report's meeting is not the minutes' meeting
    assert [e["id"] for e in doc["events"]] == [
        "meeting/2024-07-23",
        "meeting/2024-07-23-unmerged",
        "meeting/2024-09-special",
    ]
    del doc["events"][1]
    assert doc["events"][1]["name"] == "Special NEC meeting, September 2024"
    assert doc["events"][1]["sources"][0]["note"] == "Report by Ann Other, published 20 September 2024"
    motion = doc["motions"][-1]
    assert motion["id"] == "meeting/2024-09-special/decision/0" and "+corroboration" not in motion
    vote = doc["vote_events"][-1]
    assert vote["motion_id"] == motion["id"]
    assert vote["counts"] == [{"option": "yes", "value": 20}, {"option": "no", "value": 9}]


# --- the command and the site ---------------------------------------------------------------


def test_export_popolo_command(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "popolo.json"
    r = CliRunner().invoke(cli, ["export", "--db", str(demo_db), "--popolo", str(out)])
    assert r.exit_code == 0, r.output
    assert "popolo" in r.output and "13 events" in r.output
    check_document(json.loads(out.read_text(encoding="utf-8")))
    # the dataset export is unchanged, and both can be written in one call
    r = CliRunner().invoke(
        cli, ["export", "--db", str(demo_db), str(tmp_path / "dataset"), "--popolo", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "exported" in r.output and (tmp_path / "dataset").is_dir()
    r = CliRunner().invoke(cli, ["export", "--db", str(demo_db)])
    assert r.exit_code == 2 and "DIRECTORY" in r.output
    old = tmp_path / "old.db"  # a database from before the record tables (migration 15)
    sqlite3.connect(old).execute("create table reports (id text primary key)").connection.close()
    r = CliRunner().invoke(cli, ["export", "--db", str(old), "--popolo", str(tmp_path / "old.json")])
    assert r.exit_code == 2 and "necwatch reextract" in r.output
    assert not (tmp_path / "old.json").exists() and not (tmp_path / "old.json.tmp").exists()


def test_the_file_is_json_with_one_object_a_line(demo_db: Path, tmp_path: Path) -> None:
    doc = _document(demo_db)
    text = dumps(doc)
    assert json.loads(text) == doc and text.endswith("\n")
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert sum(line.startswith('  {"id": ') for line in lines) == sum(
        len(v) for v in doc.values() if isinstance(v, list)
    )
    write_popolo(demo_db, tmp_path / "p.json")  # streamed, the same text
    assert (tmp_path / "p.json").read_text(encoding="utf-8") == text


def test_the_site_serves_popolo_json(demo_db: Path, tmp_path: Path) -> None:
    from necwatch.publish import build_datasette
    from tests.publish.conftest import Client

    db = tmp_path / "demo.db"
    shutil.copyfile(demo_db, db)
    client = Client(build_datasette(db))
    try:
        r = client.get("/demo/-/popolo.json")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        doc = r.json()
        check_document(doc)
        assert len(doc["events"]) == 13
        assert doc["motions"][0]["sources"][1]["url"].startswith("http://localhost/demo/reports/")
        again = client.get("/demo/-/popolo.json")  # built once, sent again while nothing changed
        assert again.content == r.content
        conn = sqlite3.connect(db)  # a write (a re-derived roster name) is in the next answer
        conn.execute("update people set name = 'Keir Rodney Starmer' where id = 'keir-starmer'")
        conn.commit()
        conn.close()
        after = client.get("/demo/-/popolo.json").json()
        assert {"id": "keir-starmer", "name": "Keir Rodney Starmer"}.items() <= next(
            p for p in after["persons"] if p["id"] == "keir-starmer"
        ).items()
    finally:
        client.close()


def _site_config(db: Path, feeds: Path, base_url: str | None = None) -> Any:
    from necwatch.config import config_from_dict

    data: dict[str, Any] = {"database": str(db), "feeds_dir": str(feeds)}
    if base_url:
        data["publish"] = {"base_url": base_url}
    return config_from_dict(data, base_dir=str(db.parent))


def test_the_static_site_publishes_popolo_json_beside_its_database(demo_db: Path, tmp_path: Path) -> None:
    from necwatch.publish import publish

    db = tmp_path / "necwatch.db"
    shutil.copyfile(demo_db, db)
    site = tmp_path / "site"
    publish(_site_config(db, tmp_path / "feeds", "https://nec.example.org"), target="static", out_dir=site)
    doc = json.loads((site / "popolo.json").read_text(encoding="utf-8"))
    assert check_document(doc) > 100 and len(doc["events"]) == 13
    page = doc["motions"][0]["sources"][1]["url"]
    assert page.startswith("https://nec.example.org/necwatch/reports/")  # the snapshot's name
    assert 'href="popolo.json"' in (site / "index.html").read_text(encoding="utf-8")


def test_publish_ships_popolo_json_and_the_site_serves_that_file(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shlex

    from necwatch.publish import build_datasette, publish, write_site_popolo
    from necwatch.publish.plugin import DOWNLOADS_MOUNT
    from tests.publish.conftest import Client

    db = tmp_path / "necwatch.db"
    shutil.copyfile(demo_db, db)
    config = _site_config(db, tmp_path / "feeds")
    publish(config, target="cloudrun", dry_run=True)
    out = capsys.readouterr().out.strip().splitlines()
    downloads = tmp_path / "snapshot" / "downloads"
    assert f"# popolo: the snapshot's record as Popolo JSON to {downloads / 'popolo.json'}" in out
    cmd = shlex.split(out[-1])
    mounts = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--static"]
    assert f"{DOWNLOADS_MOUNT}:{downloads}" in mounts
    # what publish writes there before deploying, and what the deployed plugin answers with
    written = write_site_popolo(config, db, downloads / "popolo.json")
    assert written is not None
    ds = build_datasette(db, immutable=True)
    ds.static_mounts.append((DOWNLOADS_MOUNT, str(downloads)))
    client = Client(ds)
    try:
        r = client.get("/necwatch/-/popolo.json")
        assert r.status_code == 200 and r.headers["content-type"] == "application/json; charset=utf-8"
        assert r.content == written.read_bytes()
        assert client.get("/nosuchdb/-/popolo.json").status_code == 404
        home = client.get("/").text
        assert 'href="/necwatch/-/popolo.json"' in home
    finally:
        client.close()


def test_a_roster_date_popolo_refuses_is_kept_as_ours(tmp_path: Path) -> None:
    path = _composed(tmp_path / "composed.db")
    conn = sqlite3.connect(path)
    conn.execute(
        "insert into memberships (person_id, position, organization, role, start_date, end_date, source) "
        "values ('sam-carter', 1, 'labour-party', 'Party Chair', '2019-09-xx', '2020', "
        "'https://en.example.org/wiki/Party_chair (list of chairs; read in a stored copy)')"
    )
    conn.commit()
    conn.close()
    doc = _document(path)
    check_document(doc)
    chair = next(m for m in doc["memberships"] if m["role"] == "Party Chair")
    assert chair["+start_date"] == "2019-09-xx" and "start_date" not in chair and chair["end_date"] == "2020"
    assert chair["sources"] == [
        {"url": "https://en.example.org/wiki/Party_chair", "note": "list of chairs; read in a stored copy"}
    ]
