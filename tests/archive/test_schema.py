"""Migration 17: the archive's tables, the version_origin view, and their round trip."""

from __future__ import annotations

from pathlib import Path

from necwatch.store import Store
from necwatch.store.export import export_dataset, import_dataset
from necwatch.store.schema import MIGRATIONS


def test_migration_17_creates_the_archive_tables(tmp_path: Path) -> None:
    assert MIGRATIONS[16].__name__ == "_m17_archive"
    store = Store.open(tmp_path / "a.db")
    names = set(store.db.table_names())
    assert {"version_provenance", "archive_captures", "archive_posts", "archive_progress"} <= names
    assert "archive_recoveries" in names and "version_origin" in store.db.view_names()


def test_captures_are_cached_by_digest_and_progress_round_trips(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    with store.transaction():
        store.save_archive_capture(
            {
                "digest": "D1",
                "url": "https://x.org/p/",
                "timestamp": "20190101000000",
                "status": 200,
                "mimetype": "text/html",
                "verdict": "version",
                "reason": None,
                "source": "s",
            },
            b"<html>body</html>",
        )
        store.save_archive_progress({"source": "s", "phase": "captures", "pending": ["https://x.org/p/"]})
    got = store.archive_capture("D1")
    assert got is not None and got.body == b"<html>body</html>" and got.verdict == "version"
    assert store.archive_capture("D2") is None
    assert store.archive_progress("s")["pending"] == ["https://x.org/p/"]
    assert store.archive_progress("other") == {}


def test_provenance_is_exported_with_its_report(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    with store.transaction():
        store.db.table("reports").insert(
            {"id": "r1", "title": "NEC report", "first_seen_at": "2019-02-01T12:00:00+00:00"}
        )
        store.db.table("report_versions").insert(
            {"report_id": "r1", "version": 1, "seen_at": "2019-02-01T12:00:00+00:00", "kind": "initial"}
        )
        store.add_provenance(
            [
                {
                    "report_id": "r1",
                    "version": 1,
                    "origin": "archive",
                    "captured_at": "2019-02-01T12:00:00+00:00",
                    "original_url": "https://x.org/p/",
                    "archive_url": "https://web.archive.org/web/20190201120000/https://x.org/p/",
                    "digest": "D1",
                }
            ]
        )
    assert store.version_origins("r1")[0]["origin"] == "archive"
    store.db.conn.close()
    export_dataset(tmp_path / "a.db", tmp_path / "out")
    assert "version_provenance" in (tmp_path / "out" / "reports" / "2019" / "02.ndjson").read_text()
    import_dataset(tmp_path / "out", tmp_path / "b.db")
    again = Store.open(tmp_path / "b.db")
    assert again.version_origins("r1")[0]["archive_url"].endswith("/https://x.org/p/")


def test_archive_keys_are_validated() -> None:
    import pytest

    from necwatch.config import config_from_dict
    from necwatch.errors import ConfigError

    ok = config_from_dict(
        {"sources": [{"name": "a", "type": "archive", "url": "https://old.example.org/"}]}, file="t"
    ).sources[0]
    assert (ok.archive_url, ok.delay, ok.budget) == ("https://web.archive.org/", 3.0, 300)  # type: ignore[attr-defined]
    live = config_from_dict(
        {"sources": [{"name": "b", "type": "wordpress", "url": "https://x.org/", "archive": True}]}, file="t"
    ).sources[0]
    assert live.archive and live.archive_url is None and live.archive_delay is None
    for bad in ({"archive_url": "ftp://x/"}, {"delay": "soon"}, {"budget": 0}):
        with pytest.raises(ConfigError):
            config_from_dict(
                {"sources": [{"name": "a", "type": "archive", "url": "https://o.example.org/", **bad}]},
                file="t",
            )
