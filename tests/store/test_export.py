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


def test_comment_provenance_goes_with_its_comments_report_and_round_trips(tmp_path: Path) -> None:
    """Migration 20: a comment version read from an archive capture is exported in its comment's
    report's month file, beside the comment's versions; import restores it exactly."""
    from necwatch.store import Store
    from necwatch.store.export import export_dataset, import_dataset

    db = tmp_path / "a.db"
    store = Store.open(db)
    with store.transaction():
        store.db.table("reports").insert(
            {"id": "ab12", "title": "NEC report", "published_at": "2018-11-27T19:00:00+00:00"}
        )
        store.db.table("posts").insert({"id": "p1", "report_id": "ab12", "url": "https://x.org/2018/11/r/"})
        for cid, report in (("c1", "ab12"), ("c2", None)):  # c2: a comment of no report
            store.db.table("comments").insert(
                {"id": cid, "report_id": report, "post_id": "p1", "platform_id": cid[1:]}
            )
            store.db.table("comment_versions").insert(
                {"comment_id": cid, "version": 1, "seen_at": "2019-09-23T12:00:00+00:00"}
            )
        store.add_comment_provenance(
            {
                "comment_id": cid,
                "version": 1,
                "origin": "archive",
                "captured_at": "2019-09-23T12:00:00+00:00",
                "original_url": "https://x.org/2018/11/r/",
                "archive_url": "https://web.archive.org/web/20190923120000/https://x.org/2018/11/r/",
                "digest": "D1",
            }
            for cid in ("c1", "c2")
        )
    store.close()
    export_dataset(db, tmp_path / "ds")
    month = (tmp_path / "ds" / "reports" / "2018" / "11.ndjson").read_text()
    assert '"t":"comment_provenance"' in month and '"comment_id":"c1"' in month
    assert '"comment_id":"c2"' in (tmp_path / "ds" / "tables" / "comment_provenance.ndjson").read_text()
    import_dataset(tmp_path / "ds", tmp_path / "b.db")
    assert digest(tmp_path / "b.db") == digest(db)
    again = Store.open(tmp_path / "b.db")
    assert [o["origin"] for o in again.comment_origins("ab12")] == ["archive"]
