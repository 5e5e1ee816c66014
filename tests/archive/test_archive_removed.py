"""`type: archive`: a post the archive's own captures say is gone (a 404 or 410 capture, a permanent
redirect to another page) is removed at that capture's time, with the capture as evidence; a failed
request, an unknown redirect target or a host that no longer resolves never is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from necwatch.store import Store
from necwatch.webarchive.emulator import EmulatedArchive, Scenario, reference_captures
from tests.archive.test_backfill import SITE, archive_config, backfill


@pytest.fixture
def gone_site() -> Iterator[tuple[EmulatedArchive, Scenario]]:
    captures, scenario = reference_captures(SITE, with_gone=True)
    with EmulatedArchive(captures) as a:
        yield a, scenario


def _post(store: Store, url: str) -> dict:
    return dict(next(store.db.query("select * from posts where url = ?", [url])))


def test_a_post_whose_newest_capture_is_a_404_or_410_is_removed_at_that_capture(
    gone_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = gone_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    s = backfill(config, store)
    assert s.complete and s.removed == 4  # 404, 410, the redirect away, and the 404 that came back
    post = _post(store, sc.not_found_capture)
    # 2019-03-27 + 800 days: the capture's time, never the run's
    assert (post["removed_at"], post["removed_reason"]) == ("2021-06-04T12:00:00+00:00", "archive_http_404")
    report = next(store.db.query("select * from reports where id = ?", [post["report_id"]]))
    assert report["removed_at"] == post["removed_at"]  # no other post shows it
    gone = _post(store, sc.gone_410)
    assert gone["removed_reason"] == "archive_http_410" and gone["removed_at"].startswith("2019-06-06")
    # the capture is the evidence: its replay URL a reader opens, and the alert says it
    evidence = {r["post_id"]: r for r in store.archive_removals("old-blog")}
    row = evidence[post["id"]]
    assert row["status"] == 404 and row["archive_url"] == f"{a.base}web/20210604120000/{sc.not_found_capture}"
    (alert,) = store.db.query(
        "select * from alerts where kind = 'report_removed' and post_id = ?", [post["id"]]
    )
    assert (
        alert["backfill"] == 1 and alert["created_at"] == "2021-06-04T12:00:00+00:00"
    )  # never news of today
    assert "answered HTTP 404 when the web archive captured it on 2021-06-04" in alert["summary"]
    # the index's status is the evidence: a 404 or 410 capture is never fetched
    assert not any("20210604" in h.path for h in a.requests if "id_/" in h.path)
    # posts the archive never saw go stay as they were: the archive says what was
    assert _post(store, sc.edited)["removed_at"] is None


def test_a_permanent_redirect_to_another_page_removes_the_post_an_unknown_target_does_not(
    gone_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = gone_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    backfill(config, store)
    moved = _post(store, sc.moved_away)
    assert moved["removed_reason"] == "archive_redirect" and moved["removed_at"].startswith("2021-12-30")
    (row,) = (r for r in store.archive_removals() if r["post_id"] == moved["id"])
    assert row["status"] == 301 and row["target"] == SITE + "tag/general-election/"
    # a redirect whose target the archive never captured says nothing of where it led: not a removal
    nowhere = _post(store, sc.moved_nowhere)
    assert nowhere["removed_at"] is None and nowhere["report_id"]


def test_a_post_captured_again_after_a_404_is_restored_and_the_evidence_kept(
    gone_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = gone_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    backfill(config, store)
    back = _post(store, sc.back_after_404)
    assert back["removed_at"] is None and back["removed_reason"] is None
    kinds = [
        (r["kind"], r["created_at"][:10], r["backfill"])
        for r in store.db.query(
            "select * from alerts where post_id = ? and kind in ('report_removed', 'report_restored') "
            "order by created_at",
            [back["id"]],
        )
    ]
    assert kinds == [
        ("report_removed", "2020-04-25", 1),
        ("report_restored", "2021-02-21", 1),
    ]  # back: its capture 400 days on
    assert [r["reason"] for r in store.archive_removals() if r["post_id"] == back["id"]] == [
        "archive_http_404"
    ]
    report = next(store.db.query("select removed_at, version from reports where id = ?", [back["report_id"]]))
    assert report["removed_at"] is None and report["version"] == 1  # the same text: no new version


def test_the_next_run_reads_nothing_again_and_a_failed_archive_request_removes_nothing(
    gone_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    a, sc = gone_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    # every request after the listings answers 429 with a long Retry-After: the run stops, nothing
    # read, nothing removed (a failed fetch is never a deletion)
    a.rate_limit = {n: 3600 for n in range(3, 400)}
    stopped = backfill(config, store)
    assert stopped.stopped and stopped.removed == 0
    assert store.db.execute("select count(*) from posts where removed_at is not null").fetchone()[0] == 0
    a.rate_limit = {}
    first = backfill(config, store)
    assert first.complete and first.removed == 4
    again = backfill(config, store)
    assert again.complete and again.removed == 0 and again.fetched == 0
    assert len(store.archive_removals()) == 4
    assert _post(store, sc.not_found_capture)["removed_reason"] == "archive_http_404"


def test_a_dead_host_alone_removes_nothing(tmp_path: Path) -> None:
    """The live host of a `type: archive` site is never asked (SITE is .invalid: it never resolves);
    its posts are removed only by their own captures (docs/archive.md)."""
    captures, sc = reference_captures(SITE)
    with EmulatedArchive(captures) as a:
        config = archive_config(tmp_path, a.base)
        store = Store.open(config.database_path)
        backfill(config, store)
        removed = store.db.execute(
            "select url, removed_reason from posts where removed_at is not null"
        ).fetchall()
        assert removed == [(sc.not_found_capture, "archive_http_404")]


def test_the_evidence_is_printed_and_exported(
    gone_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from necwatch.cli import cli
    from necwatch.store.checksum import digest
    from necwatch.webarchive.command import summary_lines

    a, _sc = gone_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    s = backfill(config, store)
    assert any(line.split() == ["removed", "4", "(by", "their", "own", "captures:", "404/410,", "redirected",
                                "away)"] for line in summary_lines(s))  # fmt: skip
    store.close()
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "--db", str(config.database_path), str(tmp_path / "ds")])
    assert out.exit_code == 0, out.output
    assert len((tmp_path / "ds" / "tables" / "archive_removals.ndjson").read_text().splitlines()) == 4
    out = runner.invoke(cli, ["import", "--db", str(tmp_path / "back.db"), str(tmp_path / "ds")])
    assert out.exit_code == 0, out.output
    assert digest(tmp_path / "back.db") == digest(config.database_path)


def test_the_report_page_says_when_the_archive_saw_it_go(
    gone_site: tuple[EmulatedArchive, Scenario], tmp_path: Path
) -> None:
    from necwatch.publish import build_datasette
    from tests.publish.conftest import Client

    a, sc = gone_site
    config = archive_config(tmp_path, a.base)
    store = Store.open(config.database_path)
    backfill(config, store)
    rid = _post(store, sc.gone_410)["report_id"]
    store.db.execute("pragma wal_checkpoint(truncate)")
    store.close()
    client = Client(build_datasette(config.database_path))
    try:
        page = client.get(f"/{config.database_path.stem}/reports/{rid}").text
        assert (
            "Removed on" in page
            and "answered HTTP 410 when the web archive captured it on 2019-06-06" in page
        )
    finally:
        client.close()
