"""`necwatch reextract`: a newer extractor's different text is a technical version, never an alert,
and nothing is fetched."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from necwatch import pipeline
from necwatch.demo import demo_config
from necwatch.job import reextract, run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store


def test_reextract_records_technical_versions_without_alerts_or_requests(
    web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = demo_config(web, database=tmp_path / "n.db", hosts=["lukeakehurst.blogspot.com"])
    assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    alerts_before = store.db["alerts"].count
    versions_before = store.db["report_versions"].count

    # Unchanged extractor: re-extraction from the archive changes nothing.
    with web.recording() as requests:
        result = reextract(config)
    assert requests == [] and result.exit_code == 0
    assert store.db["report_versions"].count == versions_before

    # A "newer extractor" that now keeps a footnote in one report's text.
    real = pipeline.normalize_post

    def newer(post, comments, source, cfg):  # type: ignore[no-untyped-def]
        if post.title == "NEC Report – 23 January 2024":
            post = replace(post, body_text=post.body_text + "\n\nFootnote kept by the newer extractor.")
        return real(post, comments, source, cfg)

    monkeypatch.setattr(pipeline, "normalize_post", newer)
    with web.recording() as requests:
        reextract(config)
    assert requests == []
    rows = list(store.db.query("select kind, version, diff from report_versions where kind = 'technical'"))
    assert (
        len(rows) == 1
        and rows[0]["version"] == 2
        and "+Footnote kept by the newer extractor." in rows[0]["diff"]
    )
    assert store.db["alerts"].count == alerts_before
    assert store.db.execute("select count(*) from posts where removed_at is not null").fetchone()[0] == 0
    # and running it again is idempotent
    reextract(config)
    assert store.db["report_versions"].count == versions_before + 1


def test_post_without_an_archived_body_is_not_reextracted(web: ReplayWeb, tmp_path: Path) -> None:
    """A post page whose raw body is not in the archive (never kept, or pruned) is left as it is:
    no version, no removal, no missed-poll count, whatever the archive lacks."""
    config = demo_config(web, database=tmp_path / "n.db", hosts=["labourlist.org"])
    assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    [(url,)] = store.db.execute("select url from posts where url like '%nec-report-november-4th-2014%'")
    with store.transaction():
        store.db.execute("delete from responses where url = ?", [url])
        store.db.execute("delete from fetches where url = ?", [url])
    before = store.db.execute("select * from posts where url = ?", [url]).fetchall()
    versions = store.db["report_versions"].count
    result = reextract(config)
    assert result.status == "partial"  # the unreadable post is a failure of the replay, not a 404
    assert store.db.execute("select * from posts where url = ?", [url]).fetchall() == before
    assert store.db["report_versions"].count == versions
