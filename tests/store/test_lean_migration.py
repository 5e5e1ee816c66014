"""Migration 9 thins a database written before it: non-report bodies go, reports keep theirs, and
only superseded raw bodies of non-report pages are dropped."""

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
    versions = dict(store.db.execute("select report_id, body_text from report_versions").fetchall())
    assert versions == {"r-other": None, "r-nec": "nec met tuesday"}
    assert store.db.execute("select rowid from reports_fts where reports_fts match 'stall'").fetchall() == []
    assert (
        len(store.db.execute("select rowid from reports_fts where reports_fts match 'tuesday'").fetchall())
        == 1
    )
    bodies = {r[0] for r in store.db.execute("select hash from raw_bodies")}
    assert bodies == {"r-other-2", "r-nec-1", "r-nec-2"}
    assert store.db["responses"].count == 3
