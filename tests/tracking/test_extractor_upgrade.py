"""A changed extractor is a technical change, never an alert (docs/tracking.md "When necwatch's
extractor changes"): the first run after an upgrade re-extracts each source read by another
extractor from its stored responses, records the version, then polls as usual."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from necwatch import job, pipeline
from necwatch.cli import cli
from necwatch.config import Config
from necwatch.demo import demo_config
from necwatch.extract import EXTRACTOR_VERSION
from necwatch.job import catch_up_extraction, run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store, schema
from tests.conftest import one_host_web

HOST = "labourlist.org"
SOURCE = "labourlist"
EDITED = "/2014/11/nec-report-november-4th-2014/"  # the report the author really edits
OLD_FOOTNOTE = "Share this article on social media."  # what the older extractor left in every body


@pytest.fixture
def ll_web() -> Iterator[ReplayWeb]:
    with one_host_web(HOST) as w:
        yield w


def older_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extractor of the necwatch before the upgrade: its body boundary took in the share line."""
    real = pipeline.normalize_post

    def older(post, comments, source, cfg):  # type: ignore[no-untyped-def]
        post = replace(post, body_text=post.body_text + "\n\n" + OLD_FOOTNOTE)
        return real(post, comments, source, cfg)

    monkeypatch.setattr(pipeline, "normalize_post", older)


def polled_by_older_necwatch(web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A database as the older necwatch left it: polled with the older extractor, version "1"."""
    config = demo_config(web, database=tmp_path / "n.db", hosts=[HOST])
    with monkeypatch.context() as m:
        older_extractor(m)
        assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    try:
        with store.transaction():
            store.db.execute("update sources set extractor_version = '1'")
        assert _report_bodies(store)  # the older text is what is stored
        assert all(body.endswith(OLD_FOOTNOTE) for body in _report_bodies(store).values())
    finally:
        store.close()
    return config


def rerender_report_pages(web: ReplayWeb, edit: bool = False) -> list[str]:
    """The site serves every report page anew (new ETag, same text), so the live poll reads each
    again; with `edit`, the author also really edits one of them."""
    urls = [u for u in web.entries if "nec-report" in u and web.entries[u].status == 200]
    assert urls
    for url in urls:
        body = web.body(url) + b"\n<!-- served again -->\n"
        if edit and url.endswith(EDITED):
            start = b'<div class="article-body entry-content">\n'
            assert start in body
            body = body.replace(start, start + b"<p>Update: the NEC also agreed the timetable.</p>\n", 1)
        web.set(url, body)
    return urls


def _report_bodies(store: Store) -> dict[str, str]:
    return {
        r["canonical_url"]: r["body_text"]
        for r in store.db.query("select canonical_url, body_text from reports where is_nec_report = 1")
    }


def _alerts(store: Store, kind: str) -> list[dict[str, Any]]:
    return list(store.db.query("select * from alerts where kind = ?", [kind]))


def _version(store: Store) -> str | None:
    row = store.source_row(SOURCE)
    assert row is not None
    return row["extractor_version"]


def test_an_upgraded_extractor_makes_technical_versions_and_no_alert(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)
    store = Store.open(config.database_path)
    edited_before = len(_alerts(store, "report_edited"))
    reports = len(_report_bodies(store))
    rerender_report_pages(ll_web)

    result = run_job(config)  # the upgraded necwatch's first run

    assert result.exit_code == 0, result.sources
    assert _alerts(store, "report_edited")[edited_before:] == []
    technical = list(store.db.query("select diff from report_versions where kind = 'technical'"))
    assert len(technical) == reports
    assert all(f"-{OLD_FOOTNOTE}" in v["diff"] for v in technical)
    assert not any(body.endswith(OLD_FOOTNOTE) for body in _report_bodies(store).values())
    assert _version(store) == EXTRACTOR_VERSION
    triggers = [r[0] for r in store.db.execute("select trigger from runs order by started_at, rowid")]
    assert triggers[-2:] == ["upgrade", "cli"]  # the re-extraction, then the poll
    # the next run has nothing to catch up
    assert run_job(config).exit_code == 0
    assert store.db.execute("select count(*) from runs where trigger = 'upgrade'").fetchone() == (1,)
    store.close()


def test_without_the_catch_up_the_same_run_raises_false_edits(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: what the catch-up prevents (the live poll really re-reads the pages above)."""
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)
    rerender_report_pages(ll_web)
    monkeypatch.setattr(job, "catch_up_extraction", lambda *a, **k: {})
    run_job(config)
    store = Store.open(config.database_path)
    assert _alerts(store, "report_edited")
    store.close()


def test_a_real_edit_on_the_upgrade_run_still_raises_its_alert(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)
    store = Store.open(config.database_path)
    edited_before = len(_alerts(store, "report_edited"))
    rerender_report_pages(ll_web, edit=True)

    assert run_job(config).exit_code == 0

    alerts = _alerts(store, "report_edited")[edited_before:]
    assert len(alerts) == 1
    [(url,)] = store.db.execute("select canonical_url from reports where id = ?", [alerts[0]["report_id"]])
    assert url.endswith(EDITED)
    [edit] = store.db.query(
        "select kind, diff from report_versions where report_id = ? order by version desc limit 1",
        [alerts[0]["report_id"]],
    )
    # the edit's diff is the author's sentence only: the extractor's change went into the technical version
    assert edit["kind"] == "edit" and "+Update: the NEC also agreed the timetable." in edit["diff"]
    assert OLD_FOOTNOTE not in edit["diff"]
    store.close()


def test_a_failing_re_extraction_does_not_stop_the_poll(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the archive could not be read")

    with monkeypatch.context() as m:
        m.setattr(job, "_replay", broken)
        with caplog.at_level(logging.ERROR, logger="necwatch.job"):
            result = run_job(config)

    assert any("re-extraction for extractor" in r.getMessage() for r in caplog.records)
    [summary] = result.sources
    assert summary.status == "partial" and result.exit_code == 1  # reported like a source failure
    assert "the archive could not be read" in (summary.error or "")
    store = Store.open(config.database_path)
    [run] = store.db.query(
        "select * from runs where trigger = 'cli' order by started_at desc, rowid desc limit 1"
    )
    assert "the archive could not be read" in json.loads(run["summary"])[SOURCE]["warnings"][0]
    polled = store.source_row(SOURCE)
    assert polled is not None and polled["last_run_id"] == result.run_id  # the poll went on
    assert _version(store) == "1"  # not recorded: tried again next run

    assert run_job(config).exit_code == 0  # the next run catches up
    assert _version(store) == EXTRACTOR_VERSION
    assert store.db.execute("select count(*) from report_versions where kind = 'technical'").fetchone()[0]
    store.close()


def test_a_source_that_cannot_be_replayed_is_only_recorded(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)
    store = Store.open(config.database_path)
    with store.transaction():  # part of its content came through change queries (not archived)
        store.save_cursor(SOURCE, {**store.cursor(SOURCE), "unarchived": True}, "2026-12-07T00:00:00+00:00")
    versions = store.db["report_versions"].count
    with caplog.at_level(logging.WARNING, logger="necwatch.job"):
        assert catch_up_extraction(config, store, [SOURCE]) == {}
    assert any("cannot be re-extracted" in r.getMessage() for r in caplog.records)
    assert _version(store) == EXTRACTOR_VERSION
    assert store.db["report_versions"].count == versions
    store.close()


def test_a_fresh_source_gets_the_current_version_and_status_shows_it(
    ll_web: ReplayWeb, tmp_path: Path
) -> None:
    config = demo_config(ll_web, database=tmp_path / "n.db", hosts=[HOST])
    assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    assert _version(store) == EXTRACTOR_VERSION
    assert not store.db.execute("select count(*) from runs where trigger = 'upgrade'").fetchone()[0]
    store.close()
    out = CliRunner().invoke(cli, ["status", "--db", str(config.database_path)])
    assert out.exit_code == 0, out.output
    assert f"read by extractor {EXTRACTOR_VERSION}\n" in out.output


def test_manual_reextract_records_the_version(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)
    out = CliRunner().invoke(cli, ["status", "--db", str(config.database_path)])
    assert f"read by extractor 1 (re-extracted by {EXTRACTOR_VERSION} on the next run)" in out.output
    job.reextract(config, names=[SOURCE])
    store = Store.open(config.database_path)
    assert _version(store) == EXTRACTOR_VERSION
    store.close()


def test_the_migration_counts_stored_sources_as_read_by_extractor_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    number = schema.MIGRATIONS.index(schema._m21_source_extractor_version)
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:number])
        Store.open(path).close()
    db = sqlite_utils.Database(path)
    db["sources"].insert({"name": SOURCE, "type": "wordpress", "url": "https://labourlist.org/", "posts": 3})
    db.close()
    store = Store.open(path)
    assert _version(store) == "1"
    store.close()


def test_a_source_whose_replay_fails_is_polled_and_tried_again(
    ll_web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay runs but its adapter fails for the source (a failed source of the `upgrade` run):
    the poll goes on, reports it, and the version waits for the next run."""
    config = polled_by_older_necwatch(ll_web, tmp_path, monkeypatch)
    real = pipeline.poll_source

    async def replay_fails(source, fetcher, store, now=None, *, incremental=True, **kw):  # type: ignore[no-untyped-def]
        if not incremental:  # the re-extraction (reading the archive), not the live poll
            raise RuntimeError("adapter bug on a stored page")
        return await real(source, fetcher, store, now, incremental=incremental, **kw)

    with monkeypatch.context() as m:
        m.setattr(pipeline, "poll_source", replay_fails)
        result = run_job(config)
    [summary] = result.sources
    assert summary.status == "partial" and "re-extraction for extractor" in (summary.error or "")
    store = Store.open(config.database_path)
    assert _version(store) == "1"
    assert store.db.execute("select status from runs where trigger = 'upgrade'").fetchone() == ("failed",)
    assert run_job(config).exit_code == 0
    assert _version(store) == EXTRACTOR_VERSION
    store.close()
