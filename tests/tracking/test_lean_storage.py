"""Storage that lasts: a blog's other posts keep metadata and hash, not their text; superseded raw
bodies of their pages are dropped; an edit that makes one a report still stores its text."""

from __future__ import annotations

import zlib

from necwatch.models import FetchRecord
from necwatch.normalize import content_hash
from necwatch.store import Store
from necwatch.track import Normalized, ReportRef, post_key, stable_id
from tests.tracking.test_tracker import BODY, FakeIndex, alerts, fetched, stored_from, tracker
from tests.tracking.test_tracker import norm as report_norm


def norm(body: str = BODY, title: str = "NEC Report – March 2024", is_nec_report: bool = True) -> Normalized:
    """A post as normalize gives it; is_nec_report=False: one of a blog's other posts."""
    from dataclasses import replace

    return replace(report_norm(body=body, title=title), is_nec_report=is_nec_report)


OTHER = "Our street stall on Saturday was busy.\n\nThanks to everyone who came along."


def _rows(ops: list, table: str) -> list[dict]:  # type: ignore[type-arg]
    return [op.row for op in ops if op.table == table and hasattr(op, "row")]


def test_non_report_keeps_metadata_and_hash_but_no_text() -> None:
    n = norm(body=OTHER, title="Street stall", is_nec_report=False)
    t = tracker()
    t.observe(fetched(n), n, None, {}, listing_complete=True)
    [report] = _rows(t.ops, "reports")
    assert report["body_text"] is None and report["body_html"] is None
    assert report["content_hash"] == content_hash(OTHER) and report["title"] == "Street stall"
    assert report["words"] == len(OTHER.split())
    assert _rows(t.ops, "report_versions") == []  # its version 1 would repeat the reports row
    # an NEC report keeps both (its text once: the current version's is the report's)
    r = norm()
    t = tracker()
    t.observe(fetched(r), r, None, {}, listing_complete=True)
    [report] = _rows(t.ops, "reports")
    assert report["body_text"] == BODY and report["body_html"] == f"<p>{BODY}</p>"


def _stored_non_report() -> tuple:  # type: ignore[type-arg]
    n = norm(body=OTHER, title="Street stall", is_nec_report=False)
    sp, _ = stored_from(n, is_nec_report=False)
    rid = stable_id("report", n.content_hash)
    ref = ReportRef(rid, n.content_hash, n.title, "", 1, n.published_at, False, 1, 0)
    return sp, FakeIndex({rid: ref})


def test_edit_of_non_report_is_noticed_by_hash_and_text_stored_once_it_is_a_report() -> None:
    sp, index = _stored_non_report()
    # still not a report: the reports row takes the new hash and counts the version; no version
    # row, no text, no alert
    changed = norm(body=OTHER + "\n\nPhotos below.", title="Street stall", is_nec_report=False)
    t = tracker(index)
    t.observe(fetched(changed), changed, sp, {}, listing_complete=True)
    assert _rows(t.ops, "report_versions") == [] and alerts(t.ops) == []
    [change] = _rows(t.ops, "reports")
    assert change["content_hash"] == changed.content_hash and change["version"] == 2
    assert change["body_text"] is None
    # edited into an NEC report: its text is stored, and alerted
    became = norm(body=BODY, title="Street stall")
    t = tracker(index)
    t.observe(fetched(became), became, sp, {}, listing_complete=True)
    [version] = _rows(t.ops, "report_versions")
    [change] = _rows(t.ops, "reports")
    # stored once: in the report row; the version is the current one (its text is the report's)
    assert version["body_text"] is None and change["body_text"] == BODY
    assert "+We agreed the selection timetable." in version["diff"]
    assert alerts(t.ops) == ["report_edited"]


def test_hash_definition_change_does_not_make_a_textless_non_report_look_edited() -> None:
    sp, index = _stored_non_report()
    n = norm(body=OTHER, title="Street stall", is_nec_report=False)
    old_definition = sp.__class__(**{**sp.__dict__, "content_hash": "v0:" + "0" * 64})
    t = tracker(index, hash_of=content_hash)
    t.observe(fetched(n), n, old_definition, {}, listing_complete=True)
    assert _rows(t.ops, "report_versions") == []


def _record(url: str, body: bytes, at: str) -> FetchRecord:
    return FetchRecord(url=url, source="blog", final_url=url, status=200, fetched_at=at, bytes=len(body),
                       elapsed_ms=1, attempts=1, body=body, content_type="text/html")  # fmt: skip


def test_superseded_raw_bodies_of_non_report_pages_are_pruned_reports_kept() -> None:
    store = Store.memory()
    store.db["sources"].insert({"name": "blog"})
    urls = {"https://blog.example/stall": 0, "https://blog.example/nec": 1}
    for url, is_report in urls.items():
        store.db["posts"].insert({"id": post_key("blog", url), "source": "blog", "url": url,
                                  "is_nec_report": is_report})  # fmt: skip
    for i in range(3):
        records = [_record(u, f"<p>{u} v{i}</p>".encode(), f"2024-01-0{i + 1}") for u in urls]
        store.record_fetches(records, f"run{i}")
        with store.transaction():
            store.prune_superseded(r.url for r in records)
    kept = {
        u: [zlib.decompress(r[0]) for r in store.db.execute(
            "select b.content from responses r join raw_bodies b on b.hash = r.body_hash "
            "where r.url = ? order by r.id", [u])]
        for u in urls
    }  # fmt: skip
    assert kept["https://blog.example/stall"] == [b"<p>https://blog.example/stall v2</p>"]
    assert len(kept["https://blog.example/nec"]) == 3
    assert store.db["raw_bodies"].count == 4  # no orphan left behind
    assert store.latest_body("https://blog.example/stall") == (
        b"<p>https://blog.example/stall v2</p>",
        "text/html",
    )


def test_a_listing_whose_items_shifted_replaces_its_raw_body_unless_kept() -> None:
    """A listing page re-read with its items shifted (a new post on top) keeps only its latest raw
    body with `listings=True` (storage.listing_raw: latest): the archive does not grow by a page
    each time a post is added; with `listings=False` every body stays; a report's page keeps its
    history either way."""
    listing, report = "https://blog.example/tag/nec/", "https://blog.example/nec"
    for keep_all in (False, True):
        store = Store.memory()
        store.db["sources"].insert({"name": "blog"})
        store.db["posts"].insert({"id": post_key("blog", report), "source": "blog", "url": report,
                                  "is_nec_report": 1})  # fmt: skip
        for i in range(3):
            items = "".join(f"<li>post {j}</li>" for j in range(i, i + 10))
            records = [_record(listing, items.encode(), f"2024-01-0{i + 1}"),
                       _record(report, f"<p>report v{i}</p>".encode(), f"2024-01-0{i + 1}")]  # fmt: skip
            store.record_fetches(records, f"run{i}")
            with store.transaction():
                store.prune_superseded((r.url for r in records), listings=not keep_all)
        counts = {
            u: store.db.execute("select count(*) from responses where url = ?", [u]).fetchone()[0]
            for u in (listing, report)
        }
        assert counts == {listing: 3 if keep_all else 1, report: 3}
        assert store.latest_body(listing) == (b"".join(f"<li>post {j}</li>".encode() for j in range(2, 12)),
                                              "text/html")  # fmt: skip
        assert store.db["raw_bodies"].count == counts[listing] + 3  # no orphan left behind
