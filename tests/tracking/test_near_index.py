"""Near-duplicate lookup through the min-hash index (report_minhash): a new report is compared with
the stored reports sharing a band, whenever they were published, and the exact 5-word shingle
Jaccard (≥ THRESHOLD) decides, as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from necwatch import dedupe, pipeline
from necwatch.intents import NewReport
from necwatch.normalize import content_hash
from necwatch.store import Store
from necwatch.track import Normalized, Tracker
from tests.tracking.test_tracker import fetched
from tests.tracking.test_tracker import norm as report_norm

REPORTS = Path(__file__).parent.parent / "fixtures" / "normalize" / "reports"
ORIGINAL = (REPORTS / "perry-2017-07-20-labour-nec-report-july-2017.txt").read_text()
UNRELATED = (REPORTS / "baxter-2014-11-10-nec-report-november-4th-2014.txt").read_text()


def norm(body: str, url: str, published_at: str) -> Normalized:
    n = report_norm(body=body, url=url)
    return replace(n, published_at=published_at, content_hash=content_hash(body))


def write(store: Store, n: Normalized) -> dict[str, object]:
    """One post through the real seam: tracker (index + near matcher), apply, index the reports."""
    index = pipeline._Index(store)
    t = Tracker(source="blog", run_id="r", now=datetime(2024, 3, 1, tzinfo=UTC), index=index,
                near=index.near_match)  # fmt: skip
    t.observe(fetched(n), n, None, {}, listing_complete=True)
    with store.transaction():
        store.db.execute("insert or ignore into sources (name) values ('blog')")
        store.apply(t.ops)
        pipeline.index_reports(store, t.ops)
    [row] = [op.row for op in t.ops if isinstance(op, NewReport)]
    return row


def test_a_near_copy_published_years_later_is_found() -> None:
    """The old ±120-day window of candidates missed this; the index has no date limit."""
    store = Store.memory()
    original = write(store, norm(ORIGINAL, "https://a.example/2017/07/report", "2017-07-20T10:00:00+00:00"))
    assert original["duplicate_of"] is None
    write(store, norm(UNRELATED, "https://b.example/2014/11/report", "2014-11-10T10:00:00+00:00"))
    copy_text = "This report first appeared in 2017 and is republished for the archive.\n\n" + ORIGINAL
    copy = write(store, norm(copy_text, "https://c.example/2023/01/archive", "2023-01-05T10:00:00+00:00"))
    assert copy["duplicate_of"] == original["id"]
    assert copy["similarity"] == dedupe.similarity(copy_text, ORIGINAL)
    # only the report sharing a band is a candidate, not the unrelated one
    assert [rid for rid, _ in pipeline._Index(store).near_candidates(copy_text)] == [original["id"]]


def test_index_follows_edits_and_holds_nec_reports_only() -> None:
    store = Store.memory()
    row = write(store, norm(ORIGINAL, "https://a.example/r", "2017-07-20T10:00:00+00:00"))
    keys = {
        k for (k,) in store.db.execute("select band_key from report_minhash where report_id = ?", [row["id"]])
    }
    assert keys == set(dedupe.band_keys(ORIGINAL)) and len(keys) == dedupe.BANDS
    with store.transaction():  # its text becomes another report's: its bands follow
        store.index_report(str(row["id"]), dedupe.band_keys(UNRELATED))
    assert pipeline._Index(store).near_candidates(ORIGINAL) == []
    with store.transaction():
        store.index_report(str(row["id"]), [])
    assert store.db["report_minhash"].count == 0
    other = replace(norm(UNRELATED, "https://b.example/x", "2014-11-10T10:00:00+00:00"), is_nec_report=False)
    write(store, other)  # a blog's other post: not indexed, never a candidate
    assert store.db["report_minhash"].count == 0


def test_a_candidate_whose_shingles_are_kept_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.memory()
    original = write(store, norm(ORIGINAL, "https://a.example/2017/07/report", "2017-07-20T10:00:00+00:00"))
    copy_text = "Republished.\n\n" + ORIGINAL
    index = pipeline._Index(store)
    first = index.near_match(copy_text, index.near_candidates(copy_text))
    assert first is not None and first[0] == original["id"]
    monkeypatch.setattr(store, "report_text", lambda report_id: pytest.fail("read again"))
    assert index.near_match(copy_text, index.near_candidates(copy_text)) == first
