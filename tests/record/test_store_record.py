"""Where the record lives: the record tables, written with the report version in its transaction;
the report_edited alert in words; reextract; export/import; `status` and the Datasette page.

The extractor parts are other parts' work: these tests drive the plumbing with a small fake
extractor (`fake_extract`) that reads the genre's plainest sentences, so they stay meaningful
whatever the real extractors find.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.demo import demo_config
from necwatch.job import reextract, run_job
from necwatch.publish import build_datasette
from necwatch.record import derive
from necwatch.record.model import Decision, Meeting, PersonMention, Record, Statement
from necwatch.record.roster import Roster
from necwatch.record.text import sentences, split_paragraphs
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from necwatch.store.checksum import digest
from necwatch.store.export import export_dataset, import_dataset
from necwatch.store.records import DERIVED_TABLES, RecordStore
from tests.publish.conftest import Client
from tests.tracking.helpers import NEW_POST_ID, Timeline

HOSTS = ["aliceperry.wordpress.com", "lukeakehurst.blogspot.com"]

# -- a fake extractor: the plainest sentences of the genre --------------------------------------------
KNOWN = {"Keir Starmer": ("keir-starmer", "Leader"), "Ann Black": ("ann-black", "Chair")}
CLLR = re.compile(r"Cllr ([A-Z][a-z]+ [A-Z][a-z]+)")
VOTES = re.compile(r"by (\d+) votes to (\d+)")
OUTCOMES = ("carried", "rejected", "agreed", "noted")
ROSTER = Roster(
    persons=(
        {"id": "keir-starmer", "name": "Keir Starmer", "other_names": [{"name": "Keir"}]},
        {"id": "ann-black", "name": "Ann Black"},
        {"id": "nobody-named", "name": "Nobody Named"},
    ),
    memberships=(
        {"person_id": "keir-starmer", "role": "Leader", "start_date": "2020-04-04"},
        {"person_id": "ann-black", "organization_id": "nec", "role": "Chair", "start_date": "2009-01-01"},
        {
            "person_id": "ann-black",
            "organization_id": "nec",
            "role": "NEC member",
            "section": "CLP",
            "start_date": "2000",
            "end_date": "2024-09",
            "source": "https://example.org/nec-results",
        },
        {"person_id": "nobody-named", "role": "Treasurer", "start_date": "2000-01-01"},
    ),
)
# what the fake extractor would call a decision's outcome ("a newer extractor" may say otherwise)
outcome_words = {o: o for o in OUTCOMES}


def fake_extract(
    title: str,
    body_text: str,
    published: date | None,
    *,
    author: str | None = None,
    roster: Roster | None = None,
    version: str | None = None,
) -> Record:
    paragraphs = split_paragraphs(body_text)
    decisions: list[Decision] = []
    statements: list[Statement] = []
    named: dict[str, list[str]] = {}
    for p in paragraphs:
        for a, b in sentences(p.text):
            s = p.text[a:b]
            found = next((o for o in OUTCOMES if o in s.lower()), None)
            if found:
                m = VOTES.search(s)
                decisions.append(
                    Decision(
                        quote=s,
                        outcome=outcome_words[found],  # type: ignore[arg-type]
                        paragraph=p.id,
                        votes_for=int(m[1]) if m else None,
                        votes_against=int(m[2]) if m else None,
                    )
                )
            if " asked " in s:
                who = CLLR.search(s)
                statements.append(
                    Statement(speaker=who[1] if who else "?", quote=s, paragraph=p.id, verb="asked")
                )
        for name in [*KNOWN, *CLLR.findall(p.text)]:
            if name in p.text:
                named.setdefault(name, []).append(p.id)
    people = tuple(
        PersonMention(
            name=n,
            paragraphs=tuple(ids),
            canonical=n if n in KNOWN else None,
            person_id=KNOWN[n][0] if n in KNOWN else None,
            role=KNOWN[n][1] if n in KNOWN else None,
            written=(n,),
        )
        for n, ids in named.items()
    )
    return Record(
        meeting=Meeting(date=published.isoformat() if published else None, kind="full"),
        decisions=tuple(decisions),
        people=people,
        statements=tuple(statements),
        paragraphs=paragraphs,
        version=version,
    )


@pytest.fixture(autouse=True)
def fake_record(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """Every record is derived by fake_extract with ROSTER (derive.record_of: store, track, inspect),
    but in the tests named test_real_…, which run the extractors of the tree."""
    if request.node.name.startswith("test_real_"):
        yield
        return
    monkeypatch.setattr(derive, "extract_record", fake_extract)
    monkeypatch.setattr(derive, "roster_for", lambda people=None: ROSTER)
    yield


BODY = (
    "<p>The NEC met on 21 March 2024. Keir Starmer gave the Leader's report.</p>\n"
    "<p>The rule changes for conference were carried by 22 votes to 12.</p>\n"
    "<p>Cllr Zed Quorum asked about the selection timetable.</p>\n"
    "<p>We noted the report of the Organisation Committee.</p>"
)


def set_body(tl: Timeline, body: str) -> None:
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(rendered=body))


@pytest.fixture
def tl(web: ReplayWeb, tmp_path: Path) -> Timeline:
    t = Timeline.open(web, tmp_path, HOSTS)
    t.step(repeat=False)
    return t


def nec_reports(store: Store) -> list[dict[str, Any]]:
    sql = "select * from reports where is_nec_report = 1 and body_text is not null order by id"
    return list(store.db.query(sql))


def record_dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.db.execute(f"select * from [{t}] order by 1, 2").fetchall() for t in DERIVED_TABLES}


# -- 1. tables, written with the version ------------------------------------------------------------
def test_every_nec_report_has_its_record_keyed_to_its_version(tl: Timeline) -> None:
    reports = nec_reports(tl.store)
    assert reports
    records = {r["report_id"]: r for r in tl.store.db.query("select * from records")}
    assert set(records) == {r["id"] for r in reports}, "one record per NEC report with text, no other"
    for r in reports:
        rec = records[r["id"]]
        assert (rec["version"], rec["content_hash"]) == (r["version"], r["content_hash"])
        expected = fake_extract(r["title"], r["body_text"], derive.published_day(r["published_at"]))
        stored = tl.store.stored_record(r["id"])
        assert [d["quote"] for d in stored["decisions"]] == [d.quote for d in expected.decisions]
        assert all(row["version"] == r["version"] for t in ("decisions", "mentions") for row in stored[t])
    non_reports = tl.count("reports", "is_nec_report = 0")
    assert (
        non_reports
        and tl.count("records", "report_id in (select id from reports where is_nec_report = 0)") == 0
    )


def test_a_new_report_s_record_rows(tl: Timeline, monkeypatch: pytest.MonkeyPatch) -> None:
    derived: list[str] = []
    real = RecordStore.derive_records

    def spy(self: RecordStore, report_ids: Any, roster: Roster) -> int:
        derived.extend(report_ids)
        return real(self, report_ids, roster)

    monkeypatch.setattr(RecordStore, "derive_records", spy)
    tl.add_wp_post(body=BODY)
    tl.step()  # and polling the same state again writes nothing (Timeline.step checks the data tables)
    assert derived == [tl.post("labour-nec-report-march-2024")["report_id"]], "only the new report's"
    before = record_dump(tl.store)
    tl.poll()
    assert len(derived) == 1 and record_dump(tl.store) == before, "an unchanged poll derives nothing"
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    stored = tl.store.stored_record(rid)
    [rec] = stored["records"]
    assert rec["meeting_date"] == "2024-03-22"  # the fake's date: the publication day, in London
    assert (rec["decisions"], rec["people"], rec["statements"], rec["unmatched"]) == (2, 2, 1, 1)
    carried, noted = stored["decisions"]
    assert (carried["outcome"], carried["votes_for"], carried["votes_against"]) == ("carried", 22, 12)
    assert carried["quote"] == "The rule changes for conference were carried by 22 votes to 12."
    assert (noted["outcome"], noted["votes_for"]) == ("noted", None)
    body = tl.one("select body_text from reports where id = ?", [rid])["body_text"]
    paragraph = next(p for p in split_paragraphs(body) if "carried" in p.text)
    assert carried["paragraph"] == paragraph.id and carried["quote"] in paragraph.text
    keir, zed = stored["mentions"]
    assert (keir["name"], keir["person_id"], keir["role"]) == ("Keir Starmer", "keir-starmer", "Leader")
    assert (zed["name"], zed["person_id"]) == ("Zed Quorum", None)
    assert json.loads(zed["paragraphs"]) == [zed["paragraph"]]
    [st] = stored["statements"]
    assert (st["speaker"], st["verb"]) == ("Zed Quorum", "asked")
    # people and memberships: the roster's persons the records name, nobody else
    people = {r["id"]: r["name"] for r in tl.store.db.query("select * from people")}
    named = {r[0] for r in tl.store.db.execute("select person_id from mentions where person_id is not null")}
    assert people["keir-starmer"] == "Keir Starmer" and set(people) == named  # never "nobody-named"
    [m] = tl.store.db.query("select * from memberships where person_id = 'keir-starmer'")
    assert (m["role"], m["start_date"], json.loads(m["data"])["role"]) == ("Leader", "2020-04-04", "Leader")
    assert {r[0] for r in tl.store.db.execute("select person_id from memberships")} == named
    assert "ann-black" in named  # the reference web names her: her seat, as the roster has it
    seat = tl.one("select * from memberships where person_id = 'ann-black' and role = 'NEC member'")
    assert (seat["organization"], seat["section"], seat["start_date"], seat["end_date"]) == (
        "nec",
        "CLP",
        "2000",
        "2024-09",
    )
    assert seat["source"] == "https://example.org/nec-results"
    # the unmatched names view
    assert tl.store.unmatched_names() == [{"name": "Zed Quorum", "count": 1, "reports": [rid]}]


def test_a_failed_write_leaves_neither_the_version_nor_its_record(
    tl: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    tl.add_wp_post(body=BODY)
    tl.step(repeat=False)
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    before = record_dump(tl.store)
    set_body(tl, BODY.replace("22 votes", "21 votes"))

    def full(self: RecordStore, roster: Roster) -> None:  # the record's rows are written, then the disk fills
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(RecordStore, "sync_people", full)
    assert tl.step(repeat=False) == []
    assert tl.one("select version from reports where id = ?", [rid])["version"] == 1
    assert tl.count("report_versions", "report_id = ?", [rid]) == 1
    assert record_dump(tl.store) == before
    assert tl.one("select last_error from sources where name = 'alice-perry'")["last_error"]

    monkeypatch.undo()  # undoes the fake too: put it back
    monkeypatch.setattr(derive, "extract_record", fake_extract)
    monkeypatch.setattr(derive, "roster_for", lambda people=None: ROSTER)
    alerts = tl.step(repeat=False)
    assert [a["kind"] for a in alerts] == ["report_edited"]
    assert tl.one("select votes_for, version from decisions where report_id = ? and position = 0", [rid]) == {
        "votes_for": 21,
        "version": 2,
    }


def test_a_new_report_whose_write_fails_leaves_no_record(
    tl: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = tl.count("records")
    tl.add_wp_post(body=BODY)

    def full(self: RecordStore, roster: Roster) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(RecordStore, "sync_people", full)
    tl.step(repeat=False)
    assert tl.count("posts", "url like '%labour-nec-report-march-2024%'") == 0
    assert tl.count("records") == records and tl.count("mentions", "name = 'Zed Quorum'") == 0


# -- 3. report_edited says the record change in words ----------------------------------------------
def test_report_edited_says_what_changed_in_the_record(tl: Timeline) -> None:
    tl.add_wp_post(body=BODY)
    tl.step()
    rid = tl.post("labour-nec-report-march-2024")["report_id"]

    set_body(tl, BODY.replace("22 votes", "21 votes"))
    [alert] = tl.step()
    assert alert["kind"] == "report_edited"
    assert "vote count changed: 22–12 → 21–12" in alert["summary"]
    assert alert["summary"].startswith("Version 2: +1 −1 words; vote count changed")
    [rec] = tl.store.stored_record(rid)["records"]
    assert rec["version"] == 2

    set_body(tl, BODY.replace("22 votes", "21 votes").replace("were carried", "were rejected"))
    [alert] = tl.step()
    assert "outcome changed: carried → rejected" in alert["summary"]

    set_body(tl, BODY.replace("<p>We noted the report of the Organisation Committee.</p>", ""))
    [alert] = tl.step()
    assert "decision gone: “We noted the report of the Organisation Committee.”" in alert["summary"]

    set_body(tl, BODY + "\n<p>The NEC agreed the timetable for selections.</p>")
    [alert] = tl.step()
    assert (
        "decision added: agreed, count not reported: “The NEC agreed the timetable for selections.”"
        in (alert["summary"])
    )
    assert "decision gone" not in alert["summary"]

    # an edit that changes nothing in the record says only the words
    set_body(
        tl,
        BODY.replace("Leader's report", "Leader's report in full")
        + "\n<p>The NEC agreed the timetable for selections.</p>",
    )
    [alert] = tl.step()
    assert re.fullmatch(r"Version 6: \+\d+ −\d+ words", alert["summary"]), alert["summary"]
    assert tl.store.stored_record(rid)["records"][0]["version"] == 6


# -- 2. reextract ------------------------------------------------------------------------------------
def test_reextract_re_derives_every_record_without_fetching_or_alerting(
    web: ReplayWeb, tmp_path: Path
) -> None:
    config = demo_config(web, database=tmp_path / "n.db", hosts=["lukeakehurst.blogspot.com"])
    assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    alerts, versions = store.db["alerts"].count, store.db["report_versions"].count
    assert store.db["records"].count == len(nec_reports(store)) > 0
    before = record_dump(store)

    with web.recording() as requests:  # the same extractor: the same rows
        result = reextract(config)
    assert requests == [] and result.records == len(nec_reports(store))
    assert record_dump(store) == before

    # "a newer extractor" that calls every 'agreed' carried, on a database whose records were lost
    store.db.execute("delete from decisions")
    outcome_words["agreed"] = "carried"
    try:
        with web.recording() as requests:
            reextract(config)
    finally:
        outcome_words["agreed"] = "agreed"
    assert requests == []
    assert store.db["decisions"].count == len(before["decisions"])
    assert store.db.execute("select count(*) from decisions where outcome = 'agreed'").fetchone()[0] == 0
    assert (store.db["alerts"].count, store.db["report_versions"].count) == (alerts, versions)
    # --source: the records of the reports first found on that source
    assert reextract(config, names=["luke-akehurst"]).records == len(nec_reports(store))
    assert store.rederive_records(ROSTER, sources=["no-such-source"]) == 0
    store.close()


def test_reextract_command_says_how_many_records(web: ReplayWeb, tmp_path: Path) -> None:
    config = demo_config(web, database=tmp_path / "n.db", hosts=["lukeakehurst.blogspot.com"])
    run_job(config)
    store = Store.open(config.database_path)
    n = len(nec_reports(store))
    store.close()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps(json.loads(config.model_dump_json())), encoding="utf-8")
    r = CliRunner().invoke(cli, ["reextract", "-c", str(cfg), "--db", str(config.database_path)])
    assert f"re-derived {n} records from the stored texts" in r.output, r.output


# -- 6. export / import ------------------------------------------------------------------------------
def test_the_record_survives_the_round_trip_and_is_not_exported(tl: Timeline, tmp_path: Path) -> None:
    tl.add_wp_post(body=BODY)
    tl.step(repeat=False)
    tl.store.db.execute("pragma wal_checkpoint(truncate)")
    out, copy = tmp_path / "export", tmp_path / "copy.db"
    export_dataset(tl.config.database_path, out)
    text = "".join(p.read_text(encoding="utf-8") for p in out.glob("**/*.ndjson"))
    for table in DERIVED_TABLES:
        assert f'"t":"{table}"' not in text, f"{table} is derived: not exported"
    import_dataset(out, copy, roster=ROSTER)
    assert digest(copy) == digest(tl.config.database_path)
    imported = Store.open(copy)
    assert record_dump(imported) == record_dump(tl.store)
    assert imported.unmatched_names() == tl.store.unmatched_names() != []
    imported.close()
    # the command: with --db and no config file, the shipped roster (here ROSTER, through roster_for)
    by_cli = tmp_path / "cli.db"
    r = CliRunner().invoke(cli, ["import", "--db", str(by_cli), "-c", str(tmp_path / "none.yaml"), str(out)])
    assert r.exit_code == 0, r.output
    again = Store.open(by_cli)
    assert record_dump(again) == record_dump(tl.store)
    again.close()


# -- 5. status and the Datasette page -------------------------------------------------------------------
def test_status_lists_the_unmatched_names(tl: Timeline) -> None:
    tl.add_wp_post(body=BODY)
    tl.add_blogger_entry(
        post_id="777", path="2024/03/nec-report-march.html", title="NEC Report – 21 March 2024",
        body_html="<p>Cllr Zed Quorum asked about the budget.</p><p>Cllr Ada Nemo asked too.</p>",
    )  # fmt: skip
    tl.step(repeat=False)
    db = str(tl.config.database_path)
    r = CliRunner().invoke(cli, ["status", "--db", db])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("unmatched names (2;"))
    assert re.match(r"\s+Zed Quorum\s+2 reports: \w+, \w+", lines[start + 1])
    assert re.match(r"\s+Ada Nemo\s+1 report: \w+", lines[start + 2])
    r = CliRunner().invoke(cli, ["status", "--db", db, "--unmatched", "--json"])
    names = json.loads(r.output)
    assert [(n["name"], n["count"], len(n["reports"])) for n in names] == [
        ("Zed Quorum", 2, 2),
        ("Ada Nemo", 1, 1),
    ]
    assert all(tl.count("reports", "id = ?", [rid]) == 1 for n in names for rid in n["reports"])


def test_datasette_page_of_unmatched_names(tl: Timeline) -> None:
    tl.add_wp_post(body=BODY)
    tl.step(repeat=False)
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    tl.store.db.execute("pragma wal_checkpoint(truncate)")
    client = Client(build_datasette(tl.config.database_path))
    page = client.get("/t/unmatched")
    assert page.status_code == 200
    assert "Names no one on the roster matched" in page.text
    assert "Zed Quorum" in page.text
    assert f'href="/t/reports/{rid}"' in page.text
    data = client.get("/t/unmatched.json?_shape=objects").json()
    assert [(r["name"], r["count"], json.loads(r["report_ids"])) for r in data["rows"]] == [
        ("Zed Quorum", 1, [rid])
    ]
    assert client.get("/t/decisions").status_code == 200
    home = client.get("/t")
    assert "/t/unmatched" in home.text
    client.close()


def test_an_extractor_bug_leaves_the_report_stored_without_a_record(
    tl: Timeline, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def buggy(title: str, body_text: str, published: date | None, **kw: Any) -> Record:
        if "BOOM" in body_text:
            raise IndexError("an extractor's bug")
        return fake_extract(title, body_text, published, **kw)

    tl.add_wp_post(body=BODY)
    tl.step(repeat=False)
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    monkeypatch.setattr(derive, "extract_record", buggy)
    set_body(tl, BODY + "\n<p>BOOM: the NEC agreed something odd.</p>")
    [alert] = tl.step(repeat=False)
    assert alert["kind"] == "report_edited" and re.fullmatch(r"Version 2: \+\d+ −0 words", alert["summary"])
    assert tl.one("select version from reports where id = ?", [rid])["version"] == 2
    assert tl.store.stored_record(rid)["records"] == [] and tl.count("decisions", "report_id = ?", [rid]) == 0
    assert "its record could not be derived" in caplog.text
    monkeypatch.setattr(derive, "extract_record", fake_extract)  # fixed: reextract derives it
    tl.store.rederive_records(ROSTER)
    assert tl.store.stored_record(rid)["records"][0]["version"] == 2


# -- with the extractors of the tree (stubs or the real parts) -----------------------------------------
def test_real_records_are_deterministic_verbatim_and_traced(web: ReplayWeb, tmp_path: Path) -> None:
    """Two runs of the main job over the reference web store the same record rows; every quote is a
    verbatim substring of its paragraph, and every row points to a paragraph of its report's text."""
    dumps = []
    for name in ("a", "b"):
        config = demo_config(web, database=tmp_path / f"{name}.db", hosts=HOSTS)
        assert run_job(config).exit_code == 0
        store = Store.open(config.database_path)
        dumps.append(record_dump(store))
        if name == "b":
            reports = {r["id"]: r for r in nec_reports(store)}
            assert {r["report_id"] for r in store.db.query("select report_id from records")} == set(reports)
            for table in ("items", "decisions", "mentions", "statements"):
                for row in store.db.query(f"select * from [{table}]"):
                    report = reports[row["report_id"]]
                    paragraphs = {p.id: p.text for p in split_paragraphs(report["body_text"])}
                    assert row["paragraph"] in paragraphs, (table, row)
                    assert row["version"] == report["version"]
                    if table in ("decisions", "statements"):
                        assert row["quote"] in paragraphs[row["paragraph"]], (table, row)
        store.close()
    assert dumps[0] == dumps[1]
