"""Migrations 9 and 11 thin a database written before them: non-report bodies go, reports keep
theirs, only superseded raw bodies of non-report pages are dropped, and the current version's text
is then stored once."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.store import Store, schema


def _populate(store: Store) -> None:
    db = store.db
    db["sources"].insert({"name": "blog"})
    for rid, is_report, text in (("r-other", 0, "street stall saturday"), ("r-nec", 1, "nec met tuesday")):
        db["reports"].insert({"id": rid, "title": rid, "is_nec_report": is_report,
                              "content_hash": f"v1:{rid}", "body_text": text,
                              "body_html": f"<p>{text}</p>"})  # fmt: skip
        db["report_versions"].insert({"report_id": rid, "version": 1, "body_text": text, "diff": "d",
                                      "content_hash": f"v1:{rid}"})  # fmt: skip
        url = f"https://blog.example/{rid}"
        db["posts"].insert({"id": rid, "source": "blog", "url": url, "report_id": rid,
                            "is_nec_report": is_report})  # fmt: skip
        for i in (1, 2):
            db["raw_bodies"].insert({"hash": f"{rid}-{i}", "content": b"x", "size": 1, "stored_size": 1})
            db["responses"].insert({"url": url, "source": "blog", "body_hash": f"{rid}-{i}"})
        db["fetches"].insert({"url": url, "source": "blog", "body_hash": f"{rid}-2"})


def test_migration_9_thins_non_reports_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v8.db"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:8])
        store = Store.open(path)
        with store.transaction():
            _populate(store)
        store.close()
    store = Store.open(path)
    rows = {r["id"]: r for r in store.db.query("select id, body_text, body_html, content_hash from reports")}
    assert rows["r-other"]["body_text"] is None and rows["r-other"]["body_html"] is None
    assert rows["r-other"]["content_hash"] == "v1:r-other"
    assert rows["r-nec"]["body_text"] == "nec met tuesday"
    versions = dict(store.db.execute("select report_id, body_text from report_versions_full").fetchall())
    assert versions == {"r-other": None, "r-nec": "nec met tuesday"}
    assert store.db.execute("select rowid from reports_fts where reports_fts match 'stall'").fetchall() == []
    assert (
        len(store.db.execute("select rowid from reports_fts where reports_fts match 'tuesday'").fetchall())
        == 1
    )
    bodies = {r[0] for r in store.db.execute("select hash from raw_bodies")}
    assert bodies == {"r-other-2", "r-nec-1", "r-nec-2"}
    assert store.db["responses"].count == 3


def test_migration_11_stores_the_current_text_once_and_loses_no_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report with three versions, each with its text as before migration 11: after it, only the
    current version's copy is gone (it is the report's), and the logical checksum is unchanged."""
    from necwatch.store.checksum import digest

    path = tmp_path / "v10.db"
    texts = ["nec met tuesday", "nec met on tuesday", "nec met on tuesday\n\nquorate"]
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:10])
        store = Store.open(path)
        with store.transaction():
            store.db["reports"].insert({"id": "r", "title": "NEC", "is_nec_report": 1, "version": 3,
                                        "content_hash": "v1:3", "body_text": texts[2],
                                        "body_html": "<p>nec</p>"})  # fmt: skip
            for i, text in enumerate(texts, start=1):
                store.db["report_versions"].insert({"report_id": "r", "version": i, "body_text": text,
                                                    "content_hash": f"v1:{i}", "diff": f"d{i}"})  # fmt: skip
        store.close()
    before = digest(path)
    with monkeypatch.context() as m:  # up to migration 12: a later one may add a column (13 does)
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:12])
        store = Store.open(path)
    try:
        stored = store.db.execute("select version, body_text from report_versions order by version")
        assert stored.fetchall() == [(1, texts[0]), (2, texts[1]), (3, None)]
        assert [v["body_text"] for v in store.report_versions("r")] == texts
        assert [v["diff"] for v in store.report_versions("r")] == ["d1", "d2", "d3"]
    finally:
        store.close()
    assert digest(path) == before


def test_migration_12_drops_only_the_version_rows_that_repeat_a_non_reports_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v11.db"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:11])
        store = Store.open(path)
        with store.transaction():
            for rid, is_report, version in (("plain", 0, 1), ("edited", 0, 2), ("nec", 1, 1)):
                store.db["reports"].insert({"id": rid, "title": rid, "is_nec_report": is_report,
                                            "version": version, "content_hash": f"v1:{rid}"})  # fmt: skip
                for v in range(1, version + 1):
                    title, digest = (rid, f"v1:{rid}") if v == version else ("old title", "v1:old")
                    store.db["report_versions"].insert({"report_id": rid, "version": v, "title": title,
                                                        "content_hash": digest})  # fmt: skip
        store.close()
    store = Store.open(path)
    try:
        kept = store.db.execute("select report_id, version from report_versions order by 1, 2").fetchall()
        # the never-edited non-report's version 1 said nothing its reports row does not; the edited
        # one's history (an older title and hash) and the NEC report's versions stay
        assert kept == [("edited", 1), ("edited", 2), ("nec", 1)]
        assert store.db["reports"].count == 3
    finally:
        store.close()
