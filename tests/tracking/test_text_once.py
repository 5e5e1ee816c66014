"""A report's current text is stored once (in `reports`), yet every version's text stays readable:
through the store, through Datasette's pages, after `necwatch export` / `import`, with its diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from necwatch.normalize import content_hash
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from necwatch.store.checksum import digest
from necwatch.store.export import export_dataset, import_dataset
from tests.publish.conftest import Client
from tests.tracking.helpers import NEW_POST_ID, Timeline

HOSTS = ["aliceperry.wordpress.com"]
ADDED = "The Disputes Panel heard three appeals."


@pytest.fixture
def three_versions(web: ReplayWeb, tmp_path: Path) -> tuple[Timeline, str, list[str]]:
    """A new WordPress report edited twice: (timeline, report id, its three texts oldest first)."""
    tl = Timeline.open(web, tmp_path, HOSTS)
    tl.step(repeat=False)
    tl.add_wp_post()
    tl.step(repeat=False)
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(
        rendered=p["content"]["rendered"].replace("Commitee", "Committee")))  # fmt: skip
    tl.step()
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(
        rendered=p["content"]["rendered"] + f"\n<p>{ADDED}</p>"))  # fmt: skip
    tl.step()
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    texts = [r["body_text"] for r in tl.store.report_versions(rid)]
    return tl, rid, texts


def test_every_version_is_readable_and_the_current_text_is_stored_once(
    three_versions: tuple[Timeline, str, list[str]],
) -> None:
    tl, rid, texts = three_versions
    versions = tl.store.report_versions(rid)
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert "Commitee" in texts[0] and "Committee" in texts[1] and ADDED not in texts[1]
    assert texts[2].endswith(ADDED)
    assert [v["content_hash"] for v in versions] == [content_hash(t) for t in texts]
    stored = tl.store.db.execute(
        "select version, body_text from report_versions where report_id = ? order by version", [rid]
    ).fetchall()
    assert stored == [(1, texts[0]), (2, texts[1]), (3, None)]  # the current one is the report's
    assert tl.one("select body_text from reports where id = ?", [rid])["body_text"] == texts[2]
    hits = tl.store.db.execute("select rowid from reports_fts where reports_fts match 'disputes'")
    assert len(hits.fetchall()) == 1  # full-text search reads the one copy


def _get(client: Client, path: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(path, params={**params, "_shape": "objects"})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


def test_datasette_shows_every_version_text_and_the_diffs(
    three_versions: tuple[Timeline, str, list[str]],
) -> None:
    from necwatch.publish import build_datasette

    tl, rid, texts = three_versions
    tl.store.db.execute("pragma wal_checkpoint(truncate)")
    client = Client(build_datasette(Path(tl.config.database_path)))
    try:
        rows = _get(client, "/t/report_versions_full.json", report_id=rid, _sort="version")
        assert [r["body_text"] for r in rows] == texts
        history = _get(client, "/t/report_history.json", report_id=rid)
        assert [h["version"] for h in history] == [3, 2, 1]
        assert "[-Commitee-] {+Committee+}" in history[1]["word_diff"]
        assert f"+{ADDED}" in history[0]["diff"]
        page = client.get(f"/t/reports/{rid}")
        assert page.status_code == 200 and ADDED in page.text  # the report page's body
    finally:
        client.close()


def test_export_import_round_trip_keeps_every_version(
    three_versions: tuple[Timeline, str, list[str]], tmp_path: Path
) -> None:
    tl, rid, texts = three_versions
    db = Path(tl.config.database_path)
    tl.store.db.execute("pragma wal_checkpoint(truncate)")
    export_dataset(db, tmp_path / "ds")
    import_dataset(tmp_path / "ds", tmp_path / "back.db")
    assert digest(tmp_path / "back.db") == digest(db)
    back = Store.open(tmp_path / "back.db")
    try:
        assert [v["body_text"] for v in back.report_versions(rid)] == texts
        sql = "select body_text from report_versions where report_id = ? and version = 3"
        stored = back.db.execute(sql, [rid])
        assert stored.fetchone() == (None,)
    finally:
        back.close()


def test_a_non_report_stays_lean_until_an_edit_makes_it_a_report(web: ReplayWeb, tmp_path: Path) -> None:
    tl = Timeline.open(web, tmp_path, HOSTS)
    tl.step(repeat=False)
    tl.add_wp_post(title="Thoughts after a weekend of campaigning", body="<p>We knocked on doors.</p>")
    assert tl.step() == []  # not a report: no alert
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    lean = tl.one("select is_nec_report, body_text, body_html, content_hash from reports where id = ?", [rid])
    assert lean["is_nec_report"] == 0 and lean["body_text"] is None and lean["body_html"] is None
    assert lean["content_hash"] == content_hash("We knocked on doors.")  # what notices its edits
    assert tl.one("select count(*) as n from reports_fts where reports_fts match 'knocked'")["n"] == 0
    assert tl.count("report_versions", "report_id = ?", [rid]) == 0
    # an edit that makes it an NEC report: its text is stored (once), with a diff from nothing
    tl.edit_wp(NEW_POST_ID, lambda p: p.update(title={"rendered": "Labour NEC Report – 21 March 2024"}))
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(rendered=f"<p>The NEC met. {ADDED}</p>"))
    alerts = tl.step()
    assert [a["kind"] for a in alerts] == ["report_edited"]
    report = tl.one("select is_nec_report, body_text, body_html from reports where id = ?", [rid])
    assert report["is_nec_report"] == 1 and report["body_text"] == f"The NEC met. {ADDED}"
    assert ADDED in report["body_html"]
    versions = tl.store.report_versions(rid)
    # its first stored version: version 1 (a non-report's) was only ever its reports row
    assert [(v["version"], v["body_text"]) for v in versions] == [(2, report["body_text"])]
    assert f"+The NEC met. {ADDED}" in versions[0]["diff"]
    assert tl.one("select count(*) as n from reports_fts where reports_fts match 'disputes'")["n"] == 1
