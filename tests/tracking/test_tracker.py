"""track.Tracker with plain objects: a fake ReportIndex, no database, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from necwatch.intents import Intent, KeepVersionText, NewReportVersion
from necwatch.models import Comment, Outcome, PostObservation
from necwatch.normalize import content_hash
from necwatch.track import (
    Normalized,
    NormalizedComment,
    ReportRef,
    StoredComment,
    StoredPost,
    Tracker,
    post_key,
    stable_id,
)

NOW = datetime(2024, 3, 21, 12, 0, tzinfo=UTC)
URL = "https://blog.example/nec-report-march-2024"
BODY = "The NEC met on 21 March.\n\nWe agreed the selection timetable."


@dataclass
class FakeIndex:
    reports: dict[str, ReportRef] = field(default_factory=dict)
    live: dict[str, int] = field(default_factory=dict)

    def report(self, report_id: str) -> ReportRef | None:
        return self.reports.get(report_id)

    def report_by_hash(self, h: str) -> ReportRef | None:
        return next((r for r in self.reports.values() if r.content_hash == h), None)

    def near_candidates(self, text: str) -> list[tuple[str, str]]:
        return []

    def report_for_url(self, url: str) -> str | None:
        return None

    def live_posts(self, report_id: str) -> int:
        return self.live.get(report_id, 1)


def norm(
    body: str = BODY, title: str = "NEC Report – March 2024", url: str = URL, **kw: object
) -> Normalized:
    from necwatch.normalize import normalized_text

    return Normalized(
        url=url, platform_id=None, title=title, title_key=normalized_text(title), author="A. Member",
        published_at="2024-03-21T10:00:00+00:00", updated_at=None, labels=(), body_text=body,
        clean_html=f"<p>{body}</p>", content_hash=content_hash(body), is_nec_report=True, is_pointer=False,
        pointer_to=None, meeting_date="2024-03-21", meeting_kind="full", via="feed", extractor_version="1",
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def tracker(index: FakeIndex | None = None, **kw: object) -> Tracker:
    return Tracker(source="blog", run_id="run1", now=NOW, index=index or FakeIndex(), **kw)  # type: ignore[arg-type]


def stored_from(n: Normalized, **kw: object) -> tuple[StoredPost, FakeIndex]:
    rid = stable_id("report", n.content_hash)
    sp = StoredPost(id=post_key("blog", n.url), url=n.url, report_id=rid, content_hash=n.content_hash,
                    title=n.title, removed_at=None, missing_polls=0, last_seen_at=NOW.isoformat(),
                    is_nec_report=True, published_at=n.published_at,
                    meta=tracker().post_row(n))  # fmt: skip
    sp = replace(sp, **kw)  # type: ignore[arg-type]
    ref = ReportRef(rid, n.content_hash, n.title, n.body_text, 1, n.published_at, True, 1, 0)
    return sp, FakeIndex({rid: ref})


def alerts(ops: list[Intent]) -> list[str]:
    return [op.row["kind"] for op in ops if op.table == "alerts"]


def fetched(n: Normalized, listed: bool = True) -> PostObservation:
    return PostObservation(n.url, Outcome.FETCHED, listed=listed)


def test_new_post_is_one_report_one_version_one_alert() -> None:
    t = tracker()
    n = norm()
    t.observe(fetched(n), n, None, {}, listing_complete=True)
    assert [(op.table, op.action) for op in t.ops] == [
        ("reports", "insert"), ("report_versions", "insert"), ("alerts", "insert"), ("posts", "insert"),
    ]  # fmt: skip
    assert alerts(t.ops) == ["new_report"]
    # The same text at a second URL in the same poll: same report, republished, no second new_report.
    other = norm(url="https://other.example/copy")
    t.observe(fetched(other), other, None, {}, listing_complete=True)
    assert alerts(t.ops) == ["new_report", "report_republished"]
    assert sum(1 for op in t.ops if op.table == "reports" and op.action == "insert") == 1


def test_alert_ids_are_deterministic_and_backfill_is_flagged() -> None:
    a, b = tracker(backfill=True), tracker(backfill=True)
    for t in (a, b):
        t.observe(fetched(norm()), norm(), None, {}, listing_complete=True)
    rows_a = [op.row for op in a.ops if op.table == "alerts"]
    rows_b = [op.row for op in b.ops if op.table == "alerts"]
    assert [r["id"] for r in rows_a] == [r["id"] for r in rows_b]
    assert rows_a[0]["backfill"] == 1
    assert all(op.ignore for op in a.ops if op.table == "alerts")  # insert-or-ignore


def test_failed_fetch_changes_nothing() -> None:
    sp, index = stored_from(norm())
    t = tracker(index)
    t.observe(PostObservation(URL, Outcome.FAILED), None, sp, {}, listing_complete=True)
    assert t.ops == []


def test_removal_rules() -> None:
    sp, index = stored_from(norm())
    gone404 = PostObservation(URL, Outcome.GONE, http_status=404)
    # 404 once while listed: counted, not removed.
    t = tracker(index)
    t.observe(gone404, None, sp, {}, listing_complete=True)
    assert [op.row for op in t.ops] == [{"missing_polls": 1}]
    # 404 on the next poll too: removed.
    t = tracker(index)
    t.observe(gone404, None, replace(sp, missing_polls=1), {}, listing_complete=True)
    assert alerts(t.ops) == ["report_removed"]
    assert t.ops[0].row["removed_reason"] == "http_404_twice"
    # 404 and absent from a complete listing: removed at once; from an incomplete one: not.
    unlisted = replace(gone404, listed=False)
    t = tracker(index)
    t.observe(unlisted, None, sp, {}, listing_complete=True)
    assert alerts(t.ops) == ["report_removed"]
    t = tracker(index)
    t.observe(unlisted, None, sp, {}, listing_complete=False)
    assert alerts(t.ops) == []
    # 410: removed at once.
    t = tracker(index)
    t.observe(PostObservation(URL, Outcome.GONE, http_status=410), None, sp, {}, listing_complete=False)
    assert alerts(t.ops) == ["report_removed"] and t.ops[0].row["removed_reason"] == "http_410"
    # Re-extraction never removes.
    t = tracker(index, technical=True)
    t.observe(PostObservation(URL, Outcome.GONE, http_status=410), None, sp, {}, listing_complete=True)
    assert t.ops == []


def test_restored_when_seen_again() -> None:
    sp, index = stored_from(norm(), removed_at="2024-03-20T00:00:00+00:00", missing_polls=2)
    t = tracker(index)
    t.observe(PostObservation(URL, Outcome.NOT_MODIFIED), None, sp, {}, listing_complete=True)
    assert alerts(t.ops) == ["report_restored"]
    t = tracker(index)
    t.observe(fetched(norm()), norm(), sp, {}, listing_complete=True)
    assert alerts(t.ops) == ["report_restored"]


def test_edits_noise_and_technical_versions() -> None:
    sp, index = stored_from(norm())
    # Same normalized body: nothing (last_seen_at is fresh).
    t = tracker(index)
    t.observe(fetched(norm()), norm(), sp, {}, listing_complete=True)
    assert t.ops == []
    # Typography and whitespace only: the content hash is the same, so no edit.
    noisy = norm(body=BODY.replace(" ", "  ").replace("21 March", "21\u00a0March"))
    assert noisy.content_hash == norm().content_hash
    # A real edit: version 2 with both diffs and one alert.
    edited = norm(body=BODY + "\n\nWe also heard appeals.")
    t = tracker(index)
    t.observe(fetched(edited), edited, sp, {}, listing_complete=True)
    [version] = [op.row for op in t.ops if isinstance(op, NewReportVersion)]
    assert version["version"] == 2 and version["kind"] == "edit"
    assert version["body_text"] is None  # the current text is the report's; version 1 keeps its own:
    assert [op for op in t.ops if isinstance(op, KeepVersionText)] == [KeepVersionText(sp.report_id, 1)]
    assert "+We also heard appeals." in version["diff"]
    assert version["word_diff"].endswith("{+We also heard appeals.+}")
    assert alerts(t.ops) == ["report_edited"]
    # A title-only change is an edit too.
    retitled = norm(title="NEC Report – 21 March 2024")
    t = tracker(index)
    t.observe(fetched(retitled), retitled, sp, {}, listing_complete=True)
    assert alerts(t.ops) == ["report_edited"]
    # The same difference from a re-extraction: a technical version, no alert.
    t = tracker(index, technical=True)
    t.observe(fetched(edited), edited, sp, {}, listing_complete=True)
    assert [op.row["kind"] for op in t.ops if isinstance(op, NewReportVersion)] == ["technical"]
    assert alerts(t.ops) == []


def nc(pid: str, text: str) -> NormalizedComment:
    return NormalizedComment(Comment(pid, "Sam", text), content_hash(text), None, "Sam", f"<p>{text}</p>")


def sc(pid: str, text: str, removed: str | None = None) -> StoredComment:
    return StoredComment(
        stable_id("comment", post_key("blog", URL), pid), pid, content_hash(text), 1, removed
    )


def test_comments_new_edited_removed_and_all_vanished() -> None:
    sp, index = stored_from(norm())
    stored = {"1": sc("1", "First."), "2": sc("2", "Second.")}
    n = norm(comments=(nc("1", "First, edited."), nc("3", "Third.")))
    t = tracker(index)
    t.observe(fetched(n), n, sp, stored, listing_complete=True)
    assert sorted(alerts(t.ops)) == ["comment_edited", "comment_removed", "new_comment"]
    # Every comment gone at once: more likely a broken page than deletions, so nothing.
    n = norm(comments=())
    t = tracker(index)
    t.observe(fetched(n), n, sp, stored, listing_complete=True)
    assert t.ops == []
    # Comments unknown (None: not read or failed): nothing either.
    t = tracker(index)
    t.observe(fetched(norm()), norm(), sp, stored, listing_complete=True)
    assert t.ops == []
