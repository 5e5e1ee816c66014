"""The demo recovers one report from the archive; its page and the export show where the text came
from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from necwatch.demo import run_demo
from necwatch.publish import build_datasette
from necwatch.store import Store
from necwatch.store.export import export_dataset
from tests.publish.conftest import Client

RECOVERED = "https://aliceperry.wordpress.com/2018/11/27/labour-nec-report-november-2018/"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("demo")
    results, store = run_demo(root / "demo.db", root / "feeds", archive=True)
    assert [r.exit_code for r in results] == [0, 0, 0]
    store.db.execute("pragma wal_checkpoint(truncate)")
    store.close()
    yield root / "demo.db"


def test_the_demo_recovers_one_report_with_its_provenance(demo: Path) -> None:
    store = Store.open(demo, readonly=True)
    (recovery,) = store.recoveries()
    assert recovery["kind"] == "pre_watch" and recovery["original_url"] == RECOVERED
    assert recovery["archive_url"] == f"https://web.archive.org/web/20181128120000/{RECOVERED}"
    (origin,) = store.version_origins(recovery["report_id"])
    assert (origin["origin"], origin["captured_at"]) == ("archive", "2018-11-28T12:00:00+00:00")
    live = store.db.execute("select count(*) from version_origin where origin = 'live'").fetchone()[0]
    assert live > 10  # every other version came from a live fetch
    # no new_report of today pushed: the recovered report's alerts are backfill alerts
    kinds = store.db.execute(
        "select kind, backfill from alerts where report_id = ?", [recovery["report_id"]]
    ).fetchall()
    assert kinds == [("new_report", 1)]
    # its record (meeting, decisions, people) is derived like any report's
    record = store.db.execute("select count(*) from records where report_id = ?", [recovery["report_id"]])
    assert record.fetchone()[0] == 1


def test_the_report_page_shows_the_recovery_and_the_capture(demo: Path) -> None:
    store = Store.open(demo, readonly=True)
    (recovery,) = store.recoveries()
    client = Client(build_datasette(demo))
    try:
        page = client.get(f"/demo/reports/{recovery['report_id']}").text
        assert "Recovered from the web archive." in page
        assert "gone from its site before necwatch first read it" in page
        assert f'href="https://web.archive.org/web/20181128120000/{RECOVERED}"' in page
        assert "version 1: from the web archive, captured" in page
        other = store.db.execute(
            "select id from reports where is_nec_report = 1 and id != ? limit 1", [recovery["report_id"]]
        ).fetchone()[0]
        assert "from the web archive" not in client.get(f"/demo/reports/{other}").text
    finally:
        client.close()


def test_the_export_carries_the_provenance(demo: Path, tmp_path: Path) -> None:
    export_dataset(demo, tmp_path / "out")
    lines = [json.loads(x) for f in (tmp_path / "out").rglob("*.ndjson") for x in f.read_text().splitlines()]
    provenance = [x["r"] for x in lines if x["t"] == "version_provenance"]
    # the recovered report's version, and the January 2019 report's text captured before its first
    # live version (an edit made before necwatch watched: docs/archive.md)
    assert sorted((p["origin"], p["original_url"]) for p in provenance) == [
        ("archive", "https://aliceperry.wordpress.com/2018/11/27/labour-nec-report-november-2018/"),
        ("archive", "https://aliceperry.wordpress.com/2019/01/30/labour-nec-report-january-2019/"),
    ]
    assert any(x["t"] == "archive_recoveries" for x in lines)
