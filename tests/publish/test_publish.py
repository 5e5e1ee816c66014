"""`necwatch publish`: the exact datasette publish command (dry run), snapshots and the static site."""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from necwatch.config import config_from_dict
from necwatch.publish import datasette_executable, publish, snapshot


def _config(db: Path, feeds: Path) -> object:
    return config_from_dict({"database": str(db), "feeds_dir": str(feeds)}, base_dir=str(db.parent))


@pytest.mark.parametrize("target", ["cloudrun", "vercel", "fly"])
def test_dry_run_prints_the_exact_command(
    db_copy: Path, tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(_config(db_copy, tmp_path / "feeds"), target=target, dry_run=True)  # type: ignore[arg-type]
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("# snapshot: VACUUM INTO")
    cmd = shlex.split(out[-1])
    assert Path(cmd[0]).name == "datasette" and cmd[1:3] == ["publish", target]
    beside = Path(sys.executable).parent / "datasette"  # the venv's, found even when not on PATH
    assert cmd[0] == (str(beside) if beside.exists() else "datasette")
    assert cmd[3].endswith("snapshot/necwatch.db")
    for opt in ("--metadata", "--plugins-dir", "--template-dir", "--static", "--install", "--extra-options"):
        assert opt in cmd, opt
    extra = cmd[cmd.index("--extra-options") + 1]
    assert "default_allow_sql off" in extra and "suggest_facets off" in extra
    assert "datasette-atom==0.9" in cmd
    meta = json.loads(Path(cmd[cmd.index("--metadata") + 1]).read_text())
    assert "necwatch" in meta["databases"]  # keyed by the snapshot's name
    plugin = Path(cmd[cmd.index("--plugins-dir") + 1]) / "necwatch_plugin.py"
    assert plugin.exists()
    assert not (db_copy.parent / "snapshot" / "necwatch.db").exists()  # dry run: nothing published


def test_snapshot_is_consistent_and_strips_raw_bodies(db_copy: Path, tmp_path: Path) -> None:
    dest = snapshot(db_copy, tmp_path / "out" / "necwatch.db")
    conn = sqlite3.connect(dest)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("select count(*) from reports").fetchone()[0] == 24
    assert conn.execute("select count(*) from raw_bodies").fetchone()[0] == 0
    assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
    assert not (tmp_path / "out" / "necwatch.db.tmp").exists()


def test_static_site(db_copy: Path, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "reports.xml").write_text("<feed xmlns='http://www.w3.org/2005/Atom'/>")
    site = tmp_path / "site"
    publish(_config(db_copy, feeds), target="static", out_dir=site)  # type: ignore[arg-type]
    assert (site / "necwatch.db").exists() and (site / "feeds" / "reports.xml").exists()
    index = (site / "index.html").read_text()
    assert "https://lite.datasette.io/" in index and 'href="feeds/reports.xml"' in index
    assert json.loads((site / "metadata.json").read_text())["databases"]["necwatch"]["queries"]


def test_cli_serve_and_publish_wired(db_copy: Path, tmp_path: Path) -> None:
    from necwatch.cli import cli

    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"database: {db_copy}\nfeeds_dir: {tmp_path / 'feeds'}\n")
    r = CliRunner().invoke(cli, ["publish", "-c", str(cfg), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "datasette publish cloudrun" in r.output
    assert shlex.split(r.output.strip().splitlines()[-1])[0] == datasette_executable()
