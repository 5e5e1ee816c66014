"""`necwatch demo`: the snapshot served under the real URLs, through three states of its history."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from necwatch.alerts import AlertKind
from necwatch.cli import cli
from necwatch.demo import run_demo

DATA_TABLES = ("posts", "reports", "report_versions", "comments", "comment_versions", "alerts")
ATOM = "{http://www.w3.org/2005/Atom}"


def _rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    """The table's rows without the columns that hold the time of the run (`*_at`, `run_id`), and
    without alert ids, which for removals and restorations name the run they happened in."""
    db = sqlite3.connect(path)
    cols = [r[1] for r in db.execute(f"pragma table_info({table})")]
    keep = [
        c for c in cols if not c.endswith("_at") and c != "run_id" and not (table == "alerts" and c == "id")
    ]
    return db.execute(f"select {', '.join(keep)} from {table} order by rowid").fetchall()


@pytest.fixture(scope="module")
def two_demos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    paths = []
    for name in ("one", "two"):
        root = tmp_path_factory.mktemp(name)
        results, store = run_demo(root / "demo.db", root / "feeds")
        assert [r.exit_code for r in results] == [0, 0, 0]
        store.close()
        paths.append(root / "demo.db")
    return paths[0], paths[1]


def test_two_demo_runs_store_the_same_rows_and_ids(two_demos: tuple[Path, Path]) -> None:
    one, two = two_demos
    for table in DATA_TABLES:
        assert _rows(one, table) == _rows(two, table), table
    ids = "select id from reports order by id"
    assert sqlite3.connect(one).execute(ids).fetchall() == sqlite3.connect(two).execute(ids).fetchall()


def test_links_are_the_real_pages(two_demos: tuple[Path, Path]) -> None:
    db = sqlite3.connect(two_demos[0])
    urls = [u for (u,) in db.execute("select url from posts")]
    hosts = {u.split("/")[2] for u in urls}
    assert hosts == {
        "lukeakehurst.blogspot.com",
        "aliceperry.wordpress.com",
        "labourlist.org",
        "www.progressonline.org.uk",
    }
    assert all(u.startswith("https://") for u in urls)
    leaked = db.execute(
        "select count(*) from reports where body_html like '%127.0.0.1%' or body_text like '%127.0.0.1%'"
    ).fetchone()[0]
    assert leaked == 0


def test_history_shows_every_public_alert_kind_after_the_backfill(two_demos: tuple[Path, Path]) -> None:
    db = sqlite3.connect(two_demos[0])
    pushed = {k for (k,) in db.execute("select distinct kind from alerts where backfill = 0")}
    assert pushed == set(AlertKind.public())
    # the edit is a version with a diff holding exactly the marked sentence
    diff = db.execute(
        "select v.diff from report_versions v join reports r on r.id = v.report_id "
        "where r.title = 'NEC Report – 23 January 2024' and v.kind = 'edit'"
    ).fetchone()[0]
    assert "[Edited in the necwatch demo:" in diff
    # the republication is one report at two addresses
    posts = db.execute(
        "select count(*) from posts p join reports r on r.id = p.report_id "
        "where r.title = 'NEC Report – 28 March 2023'"
    ).fetchone()[0]
    assert posts == 2
    # the removed report came back
    removed = db.execute("select removed_at from reports where title = 'Labour NEC Report – March 2019'")
    assert removed.fetchone()[0] is None


def test_changes_feed_is_not_empty(two_demos: tuple[Path, Path]) -> None:
    feed = ET.parse(two_demos[0].parent / "feeds" / "changes.atom").getroot()
    entries = feed.findall(f"{ATOM}entry")
    kinds = ", ".join(f"'{k}'" for k in AlertKind.public())
    pushed = (
        sqlite3.connect(two_demos[0])
        .execute(f"select count(*) from alerts where backfill = 0 and kind in ({kinds})")
        .fetchone()[0]
    )
    assert len(entries) == pushed >= len(AlertKind.public())
    assert not (feed.findtext(f"{ATOM}updated") or "").startswith("1970")


def test_reextract_on_the_demo_database(two_demos: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_bytes(two_demos[0].read_bytes())
    query = "select name, health, next_check_at, consecutive_failures, last_error from sources order by name"
    before = sqlite3.connect(path).execute(query).fetchall()
    ok = CliRunner().invoke(cli, ["reextract", "--db", str(path), "--log-format", "json"])
    assert ok.exit_code == 0, ok.output
    polled = [json.loads(line) for line in ok.output.splitlines() if line.startswith('{"')]
    polled = [e for e in polled if e.get("msg") == "polled" or e.get("message") == "polled"]
    assert polled and {e["status"] for e in polled} == {"ok"}, ok.output
    # a source whose stored listing is gone fails: exit 1, and still no health or schedule change
    db = sqlite3.connect(path)
    db.execute("delete from fetches where url = 'https://labourlist.org/tag/nec/'")
    db.commit()
    failed = CliRunner().invoke(cli, ["reextract", "--db", str(path)])
    assert failed.exit_code == 1, failed.output
    assert sqlite3.connect(path).execute(query).fetchall() == before


def test_reextract_usage_errors(two_demos: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = CliRunner().invoke(cli, ["reextract", "--db", str(two_demos[0]), "--source", "nobody"])
    assert unknown.exit_code == 2
    assert "no source named 'nobody'" in unknown.output and "luke-akehurst" in unknown.output
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real(p, mode))
    readonly = CliRunner().invoke(cli, ["reextract", "--db", str(two_demos[0])])
    assert readonly.exit_code == 2
    assert "read-only" in readonly.output and "Traceback" not in readonly.output
