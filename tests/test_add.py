"""`necwatch add URL` and `necwatch check --online` against local servers: the probe's findings, the
entry written with the file's comments kept, `check` accepting it and `run` polling it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.config import load_config
from necwatch.replay import ReplayWeb
from necwatch.store import Store

CONFIG = """\
# my necwatch config: this comment must survive `necwatch add`
database: {db}
allow_private_addresses: true   # local test servers
fetch:
  per_host_delay: 0
  retries: 0
sources: []   # filled by necwatch add
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "n.db"), encoding="utf-8")
    return path


def test_add_writes_a_config_that_check_accepts_and_run_polls(web: ReplayWeb, tmp_path: Path) -> None:
    path = _config(tmp_path)
    url = web.base("lukeakehurst.blogspot.com")
    runner = CliRunner()
    added = runner.invoke(cli, ["add", url, "--name", "luke", "--author", "Luke Akehurst", "-c", str(path)])
    assert added.exit_code == 0, added.output
    assert "platform: blogger" in added.output and "generator meta: Blogger" in added.output
    assert "look like NEC reports" in added.output and "NEC Report – 23 January 2024" in added.output
    text = path.read_text(encoding="utf-8")
    assert "# my necwatch config: this comment must survive" in text and "# local test servers" in text
    assert text.index("database:") < text.index("sources:")  # order kept
    (source,) = load_config(path).sources
    assert (source.name, source.type, source.url, source.author) == ("luke", "blogger", url, "Luke Akehurst")

    checked = runner.invoke(cli, ["check", "-c", str(path)])
    assert checked.exit_code == 0 and "luke" in checked.output
    ran = runner.invoke(cli, ["run", "-c", str(path)])
    assert ran.exit_code == 0, ran.output
    store = Store.open(tmp_path / "n.db")
    assert (store.source_row("luke") or {})["health"] == "ok"
    assert store.db.execute("select count(*) from reports where is_nec_report = 1").fetchone()[0] == 2


def test_add_dry_run_writes_nothing_and_duplicates_are_refused(web: ReplayWeb, tmp_path: Path) -> None:
    path = _config(tmp_path)
    before = path.read_text(encoding="utf-8")
    url = web.local("https://aliceperry.wordpress.com/tag/general-election/")
    runner = CliRunner()
    dry = runner.invoke(cli, ["add", url, "--name", "alice", "-c", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "type: wordpress" in dry.output and "tag: general-election" in dry.output
    assert path.read_text(encoding="utf-8") == before
    assert runner.invoke(cli, ["add", url, "--name", "alice", "-c", str(path)]).exit_code == 0
    again = runner.invoke(cli, ["add", url, "--name", "alice", "-c", str(path)])
    assert again.exit_code == 2 and "exists already" in again.output


def test_add_says_what_it_tried_on_a_site_it_cannot_read(web: ReplayWeb, tmp_path: Path) -> None:
    path = _config(tmp_path)
    url = web.base("labourlist.org") + "no-such-page/"
    result = CliRunner().invoke(cli, ["add", url, "-c", str(path)])
    assert result.exit_code == 1
    assert f"cannot read {url}" in result.output and "tried:" in result.output
    assert f"404 {url}" in result.output
    assert load_config(path).sources == []


def test_check_online_shows_what_each_source_reads(web: ReplayWeb, tmp_path: Path) -> None:
    path = _config(tmp_path)
    text = path.read_text(encoding="utf-8").replace("sources: []   # filled by necwatch add\n", "")
    url = web.local("https://labourlist.org/tag/nec/")
    path.write_text(text + f"sources:\n  - name: ll\n    type: auto\n    url: {url}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--online", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "platform: labourlist" in result.output and "posts: 5 listed (complete)" in result.output
    assert "comments: not collected" in result.output
