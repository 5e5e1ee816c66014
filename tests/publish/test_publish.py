"""`necwatch publish`: the exact datasette publish command (dry run), snapshots and the static site."""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
from html.parser import HTMLParser
from pathlib import Path

import feedparser
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
    assert conn.execute("select count(*) from reports").fetchone()[0] == 25
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


class _Alternates(HTMLParser):
    """The <link rel="alternate"> elements of a page's <head>."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "alternate":
            self.links.append(a)


def test_static_site_advertises_its_feeds(db_copy: Path, demo_db: Path, tmp_path: Path) -> None:
    """The demo's real feeds: each is advertised in index.html's head, at a file the site has."""
    site = tmp_path / "site"
    publish(_config(db_copy, demo_db.parent / "feeds"), target="static", out_dir=site)  # type: ignore[arg-type]
    parser = _Alternates()
    parser.feed((site / "index.html").read_text())
    feeds = sorted(p.name for p in (site / "feeds").iterdir())
    assert "changes.atom" in feeds and "reports.atom" in feeds and len(feeds) >= 4
    assert sorted(str(link["href"]) for link in parser.links) == [f"feeds/{f}" for f in feeds]
    for link in parser.links:
        assert link["type"] == "application/atom+xml"
        target = site / str(link["href"])
        assert target.is_file(), link
        parsed = feedparser.parse(target.read_bytes())
        assert not parsed.bozo and link["title"] == parsed.feed.title


@pytest.mark.parametrize("feeds_url", ["https://x.example/necwatch", "https://x.example/necwatch/feeds/"])
def test_static_index_links_the_snapshot_under_either_spelling_of_feeds_url(feeds_url: str) -> None:
    from necwatch.publish import static_index

    page = static_index("t", [("reports.atom", "New reports")], feeds_url)
    assert "url=https://x.example/necwatch/necwatch.db" in page
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New reports" href="feeds/reports.atom">'
        in page
    )
