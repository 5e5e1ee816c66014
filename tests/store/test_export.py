"""`necwatch export` / `necwatch import`: the text dataset rebuilds a database with the same logical
checksum, and exporting an unchanged database rewrites no file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.demo import run_demo
from necwatch.store.checksum import digest


def test_export_import_round_trip_keeps_the_checksum(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _result, store = run_demo(db, tmp_path / "feeds")
    store.close()
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "--db", str(db), str(tmp_path / "ds")])
    assert out.exit_code == 0, out.output
    reports = list((tmp_path / "ds" / "reports").glob("*/*.ndjson"))
    assert len(reports) >= 3  # one file per month of reports (NEC and others)
    back = tmp_path / "back.db"
    out = runner.invoke(cli, ["import", "--db", str(back), str(tmp_path / "ds")])
    assert out.exit_code == 0, out.output
    assert digest(back) == digest(db)
    # the rebuilt database exports to the same bytes, and re-exporting touches no file
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "ds").rglob("*.ndjson")}
    runner.invoke(cli, ["export", "--db", str(back), str(tmp_path / "ds")])
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "ds").rglob("*.ndjson")} == mtimes
    biggest = max(p.stat().st_size for p in mtimes)
    assert biggest < 50 * 1024 * 1024


def test_round_trip_with_archive_versions_before_live_ones(tmp_path: Path) -> None:
    """The demo with the archive: a recovered report, and a live report whose captures from before
    its first live version were put before it (versions renumbered, provenance, first_seen_at)."""
    db = tmp_path / "demo.db"
    _result, store = run_demo(db, tmp_path / "feeds", archive=True)
    earlier = store.db.execute(
        "select count(*) from version_origin o join version_origin l on l.report_id = o.report_id "
        "where o.origin = 'archive' and l.origin = 'live' and o.version < l.version"
    ).fetchone()[0]
    assert earlier >= 1
    store.close()
    runner = CliRunner()
    assert runner.invoke(cli, ["export", "--db", str(db), str(tmp_path / "ds")]).exit_code == 0
    back = tmp_path / "back.db"
    out = runner.invoke(cli, ["import", "--db", str(back), str(tmp_path / "ds")])
    assert out.exit_code == 0, out.output
    assert digest(back) == digest(db)
