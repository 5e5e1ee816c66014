"""Posts that are not NEC reports stay out of the indexes on columns they leave NULL, and the
queries that need those indexes (bound parameters, Datasette's facets) still use them."""

from __future__ import annotations

from necwatch.store import Store


def _plan(store: Store, sql: str, params: list[str] | None = None) -> str:
    rows = store.db.execute(f"explain query plan {sql}", params or []).fetchall()
    return " | ".join(r[-1] for r in rows)


def _cells(store: Store, index: str) -> int:
    """Entries stored in an index (SQLite's dbstat: cells of its b-tree pages)."""
    return int(store.db.execute("select sum(ncell) from dbstat where name = ?", [index]).fetchone()[0])


PARTIAL = ("idx_reports_meeting_date", "idx_reports_meeting_kind_published_at", "idx_posts_pointer_report_id")


def test_non_reports_are_not_in_the_meeting_and_pointer_indexes() -> None:
    store = Store.memory()
    db = store.db
    db["sources"].insert({"name": "blog"})
    nec = {"id": "nec", "title": "NEC report", "is_nec_report": 1, "meeting_date": "2024-01-23",
           "meeting_kind": "full", "published_at": "2024-01-24", "content_hash": "v1:a"}  # fmt: skip
    db["reports"].insert(nec)
    for i in range(9):
        db["reports"].insert({"id": f"other{i}", "title": "Street stall", "is_nec_report": 0,
                              "published_at": f"2024-01-1{i}", "content_hash": f"v1:o{i}"})  # fmt: skip
        db["posts"].insert({"id": f"p{i}", "source": "blog", "url": f"https://b/{i}",
                            "report_id": f"other{i}"})  # fmt: skip
    db["posts"].insert({"id": "ptr", "source": "blog", "url": "https://b/ptr", "is_pointer": 1,
                        "pointer_report_id": "nec"})  # fmt: skip
    for index in PARTIAL:
        assert _cells(store, index) == 1, index  # the NEC report's (or the pointer's) entry only
    # the queries that read them still do, with bound parameters too
    by_meeting = "select id from reports where meeting_date = ?"
    assert "idx_reports_meeting_date" in _plan(store, by_meeting, ["2024-01-23"])
    facet = (
        "select meeting_kind as value, count(*) as count from (select * from reports_list) "
        "where meeting_kind is not null group by meeting_kind"
    )
    assert "idx_reports_meeting_kind_published_at" in _plan(store, facet)
    pointer = "select id from posts where report_id = ? or pointer_report_id = ?"
    assert "idx_posts_pointer_report_id" in _plan(store, pointer, ["nec", "nec"])
