"""Bad input gives a clear, classified error; the other sources are still stored; nothing is lost."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.demo import DEMO_SOURCES, demo_config
from necwatch.job import run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store

ALICE_REST = "https://aliceperry.wordpress.com/wp-json/wp/v2/posts?tags=3464"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _config_with_dead_source(web: ReplayWeb, tmp_path: Path):
    sources = [{**spec, "url": web.base(host)} for host, spec in DEMO_SOURCES.items()]
    sources.append({"name": "dead", "type": "blogger", "url": f"http://127.0.0.1:{_closed_port()}/"})
    return demo_config(
        web,
        database=tmp_path / "n.db",
        sources=sources,
        fetch={"per_host_delay": 0, "retries": 1, "backoff": 0.01, "connect_timeout": 1, "read_timeout": 2},
    )


def test_unreachable_source_fails_alone(web: ReplayWeb, tmp_path: Path) -> None:
    config = _config_with_dead_source(web, tmp_path)
    result = run_job(config)
    assert result.exit_code == 1
    status = {s.name: s.status for s in result.sources}
    assert status.pop("dead") == "failed"
    assert set(status.values()) == {"ok"}
    store = Store.open(config.database_path)
    errors = list(store.db.query("select * from fetch_errors where source = 'dead'"))
    # one classified row per failed URL (the feed, then the HTML home page it falls back to)
    assert len({e["url"] for e in errors}) == len(errors) >= 1
    assert {e["kind"] for e in errors} <= {"connect", "robots_unavailable"}
    assert all("connect" in e["message"].lower() for e in errors)
    assert store.db.execute("select count(*) from posts").fetchone()[0] == 24
    row = store.source_row("dead")
    assert row["consecutive_failures"] == 1 and row["last_ok_at"] is None and "connect" in row["last_error"]


def test_500_on_a_listing_keeps_what_was_stored(web: ReplayWeb, tmp_path: Path) -> None:
    config = demo_config(web, database=tmp_path / "n.db", fetch={"per_host_delay": 0, "backoff": 0.01})
    assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    before = store.counts()
    for url in list(web.entries):
        if url.startswith("https://aliceperry.wordpress.com/wp-json/wp/v2/posts"):
            web.set(url, "<h1>Internal error</h1>", status=500)
    result = run_job(config)
    assert result.exit_code == 1
    assert {s.name: s.status for s in result.sources}["alice-perry"] == "failed"
    after = Store.open(config.database_path)
    counts = after.counts()
    assert counts["posts"] == before["posts"] and counts["reports"] == before["reports"]
    assert after.db.execute("select count(*) from posts where removed_at is not null").fetchone()[0] == 0
    assert after.db.execute("select count(*) from alerts where kind like 'report_%'").fetchone()[0] == 0
    kinds = {r["kind"] for r in after.db.query("select kind from fetch_errors where source = 'alice-perry'")}
    assert kinds == {"http_5xx"}


def test_malformed_feed_is_a_failure_not_an_empty_blog(web: ReplayWeb, tmp_path: Path) -> None:
    config = demo_config(web, database=tmp_path / "n.db", hosts=["lukeakehurst.blogspot.com"])
    assert run_job(config).exit_code == 0
    web.set(
        "https://lukeakehurst.blogspot.com/feeds/posts/default",
        "<feed><entry><title>broken",
        content_type="application/atom+xml; charset=UTF-8",
    )
    result = run_job(config)
    assert result.exit_code == 1
    store = Store.open(config.database_path)
    assert store.db.execute("select count(*) from posts where removed_at is null").fetchone()[0] == 8
    assert store.db.execute("select count(*) from fetch_errors").fetchone()[0] >= 1
    assert store.db.execute("select count(*) from report_versions where kind = 'edit'").fetchone()[0] == 0


def test_invalid_config_exits_2_naming_file_field_and_value(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text(
        yaml.safe_dump({"sources": [{"name": "x", "type": "blogspot", "url": "https://x/", "colour": 1}]})
    )
    runner = CliRunner()
    for command in (["check"], ["run"]):
        res = runner.invoke(cli, [*command, "--config", str(bad)], standalone_mode=True)
        assert res.exit_code in (1, 2)
    from necwatch.config import load_config
    from necwatch.errors import ConfigError

    try:
        load_config(bad)
    except ConfigError as e:
        text = str(e)
    assert (
        str(bad) in text
        and "sources[0] (x).type" in text
        and "'blogspot'" in text
        and "colour: unknown key" in text
    )


def test_two_sources_reading_the_same_urls_share_reports(web: ReplayWeb, tmp_path: Path) -> None:
    """The same blog configured twice (REST and HTML) is two sources' posts, one set of reports."""
    host = "aliceperry.wordpress.com"
    spec = {**DEMO_SOURCES[host], "url": web.base(host)}
    sources = [{**spec, "name": "alice-rest", "via": "rest"}, {**spec, "name": "alice-html", "via": "html"}]
    config = demo_config(web, database=tmp_path / "n.db", sources=sources)
    result = run_job(config)
    assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
    store = Store.open(config.database_path)
    per_source = dict(store.db.execute("select source, count(*) from posts group by source").fetchall())
    assert per_source == {"alice-rest": 10, "alice-html": 10}
    assert store.db.execute("select count(*) from reports").fetchone()[0] == 10
    assert store.db.execute("select count(*) from reports where post_count = 2").fetchone()[0] == 10
