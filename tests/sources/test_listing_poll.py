"""Listing polls against an emulated LabourList-like tag listing (bench/listingweb.py, on loopback):
after the first read, a poll reads the newest listing page(s) and the posts due for a revisit, finds
new posts and hidden edits, and never takes a post missing from an unread page as removed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from necwatch import pipeline
from necwatch.config import Config, config_from_dict
from necwatch.models import Outcome, PostObservation
from necwatch.pipeline import SourceSummary, run_async
from necwatch.replay import ReplayWeb
from necwatch.sources.labourlist import parse_tag_page
from necwatch.sources.listing_poll import forget_failed, url_key
from necwatch.sources.revisit import due_posts
from necwatch.store import Store
from necwatch.store.checksum import digest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from listingweb import ListingSite, ListingWeb

LISTING = ["/tag/nec/", *(f"/tag/nec/page/{n}/" for n in range(2, 7))]


@dataclass
class Emu:
    web: ListingWeb
    site: ListingSite
    config: Config
    store: Store
    clock: list[datetime]

    def poll(self) -> SourceSummary:
        self.web.reset()
        return asyncio.run(run_async(self.config, self.store)).sources[0]

    def advance(self, hours: float) -> None:
        self.clock[0] += timedelta(hours=hours)
        self.site.now += timedelta(hours=hours)

    def alerts(self, kind: str) -> int:
        sql = "select count(*) from alerts where kind = ? and backfill = 0"
        return int(self.store.db.execute(sql, [kind]).fetchone()[0])

    def listing_paths(self) -> list[str]:
        return [p for p in self.web.paths() if p.startswith("/tag/")]

    def post_paths(self) -> set[str]:
        return {p for p in self.web.paths() if not p.startswith("/tag/")}

    def due_now(self) -> set[str]:
        """The stored posts revisit.py says are due in the next poll (the pure schedule)."""
        last = self.store.source_row("ll") or {}
        since = datetime.fromisoformat(last["last_ok_at"])
        rows = self.store.db.execute("select url, published_at from posts where source = 'll'")
        known = {u: datetime.fromisoformat(p) if p else None for u, p in rows}
        period = self.config.sources[0].sweep_period
        return {_path(u) for u in due_posts(known, since, self.clock[0], period)}


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _source(base: str, options: dict[str, Any]) -> dict[str, Any]:
    """A LabourList source on the emulated site, or another type with `url` given as "{base}…"."""
    source = {"name": "ll", "type": "labourlist", "url": base, "tag": "nec", **options}
    if source["type"] != "labourlist":
        source.pop("tag")
        source["url"] = str(source["url"]).format(base=base)
    return source


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    yield from _emu(tmp_path, monkeypatch)


def _emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **source: Any) -> Iterator[Emu]:
    site = ListingSite(posts_n=60, per_page=10)
    clock = [site.now.replace(microsecond=0)]
    monkeypatch.setattr(pipeline, "utcnow", lambda: clock[0])
    with ListingWeb(site) as web:
        config = config_from_dict(
            {
                "database": str(tmp_path / "t.db"),
                "feeds_dir": str(tmp_path / "feeds"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [_source(web.base, source)],
            },
            file="<test>",
        )
        store = Store.open(config.database_path)
        yield Emu(web, site, config, store, clock)
        store.close()


def test_a_card_keeps_its_signature_when_it_moves_and_loses_it_when_it_changes(web: ReplayWeb) -> None:
    tag = "https://labourlist.org/tag/nec/"
    html = web.body(tag).decode()
    sigs = {lp.url: lp.listing_sig for lp in parse_tag_page(tag, html).posts}
    moved = {lp.url: lp.listing_sig for lp in parse_tag_page(tag + "page/2/", html).posts}
    assert moved == sigs and len(set(sigs.values())) == 4  # same cards on another page: unchanged
    edited = html.replace("These reports are personal", "These reports are private")
    changed = {
        u for u, lp in ((p.url, p) for p in parse_tag_page(tag, edited).posts) if lp.listing_sig != sigs[u]
    }
    assert changed == {"https://labourlist.org/2023/06/explainer-where-to-find-nec-members-reports/"}


def test_a_failed_read_forgets_the_post_s_signature() -> None:
    cursor = {"mode": "listing", "items": {url_key("https://x/a"): "1", url_key("https://x/b"): "2"}}
    posts = [PostObservation("https://x/a", Outcome.FAILED), PostObservation("https://x/b", Outcome.FETCHED)]
    assert forget_failed(cursor, posts) == {"mode": "listing", "items": {url_key("https://x/b"): "2"}}
    assert forget_failed(None, posts) is None


def test_first_poll_reads_all_then_an_unchanged_poll_reads_page_one_and_due_posts(emu: Emu) -> None:
    first = emu.poll()
    assert first.status == "ok" and first.new == 60
    assert emu.listing_paths() == LISTING and len(emu.post_paths()) == 60
    emu.advance(2)
    due = emu.due_now()
    page_one = {p.path for p in emu.site.listed()[:10]}
    before = digest(emu.config.database_path)
    summary = emu.poll()
    assert summary.status == "ok" and summary.new == summary.changed == summary.writes == 0
    assert emu.listing_paths() == ["/tag/nec/"]  # page 1 holds only known, unchanged posts: stop
    assert emu.post_paths() == page_one | due  # the newest page, and the posts due for a revisit
    assert len(due - page_one) < 10  # 50 older posts over a week of 2-hourly polls: a few a poll
    assert emu.web.paths().count("/tag/nec/") == 1
    rows = emu.store.db.execute("select count(*) from posts where removed_at is not null").fetchone()[0]
    assert rows == 0
    assert digest(emu.config.database_path) == before  # nothing but the run's own record changed


HTML_SOURCE = {
    "type": "html",
    "url": "{base}tag/nec/",
    "selectors": {
        "item": ".post-grid article.card",
        "link": ".card__title a",
        "next_page": "nav.pagination a.next",
        "title": "article .entry-title",
        "body": "article .entry-content",
        "date": "article time.entry-date.published",
        "date_attr": "datetime",
    },
}


def test_a_generic_html_source_polls_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for emu in _emu(tmp_path, monkeypatch, **HTML_SOURCE):
        assert emu.poll().new == 60 and emu.listing_paths() == LISTING
        emu.advance(2)
        due = emu.due_now()
        emu.site.add_post(report=False)
        summary = emu.poll()
        assert summary.new == 1 and emu.listing_paths() == LISTING[:2]
        assert emu.post_paths() == {p.path for p in emu.site.listed()[:10]} | due


def test_a_new_post_is_found_reading_the_first_pages_only(emu: Emu) -> None:
    emu.poll()
    emu.advance(3)
    post = emu.site.add_post(report=True)
    summary = emu.poll()
    assert summary.new == 1 and emu.alerts("new_report") == 1
    assert post.path in emu.post_paths()
    # page 1 had a new post; page 2 only the card pushed down from page 1, known and unchanged
    assert emu.listing_paths() == ["/tag/nec/", "/tag/nec/page/2/"]


def test_a_card_changed_on_a_page_read_is_read_at_once(emu: Emu) -> None:
    emu.poll()
    emu.advance(2)
    due = emu.due_now()
    old = next(p for p in emu.site.listed()[10:20] if p.path not in due)  # on page 2, not due
    emu.site.edit(old, card=True)  # its excerpt in the listing shows the edit
    emu.site.add_post(report=False)  # page 1 changes, so page 2 is read
    summary = emu.poll()
    # page 2 held the changed card, so page 3 is read too; it holds nothing new: stop
    assert emu.listing_paths() == LISTING[:3]
    assert old.path in emu.post_paths() and (summary.new, summary.changed) == (1, 1)


def test_a_hidden_edit_of_an_old_post_is_found_within_the_sweep_period(emu: Emu) -> None:
    emu.poll()
    period_h = emu.config.sources[0].sweep_period / 3600
    # an NEC report years old, on page 5; the edit leaves its card as it was
    target = next(p for p in emu.site.listed()[40:50] if p.title.startswith("NEC report"))
    emu.advance(2)
    emu.site.edit(target)
    hours, reads = 0.0, 0
    while emu.alerts("report_edited") == 0 and hours <= period_h + 6:
        emu.poll()
        reads += len(emu.web.paths())
        hours += 6
        emu.advance(6)
    assert emu.alerts("report_edited") == 1 and hours <= period_h + 6
    assert reads < (hours / 6) * 30  # a full read is 66 requests (6 pages + 60 posts) a poll


def test_a_post_missing_from_an_unread_page_is_not_removed(emu: Emu) -> None:
    emu.poll()
    untagged, deleted = emu.site.listed()[41], emu.site.listed()[52]
    untagged.tagged = False  # leaves the listing (page 5), its page still answers
    deleted.deleted = True  # gone from page 6 and 404 on its own URL
    for _ in range(3):
        emu.advance(2)
        summary = emu.poll()
        assert summary.status == "ok" and emu.listing_paths() == ["/tag/nec/"]
    removed = dict(emu.store.db.execute("select url, removed_reason from posts where removed_at is not null"))
    assert all(_path(u) != untagged.path for u in removed)  # never: it answers 200
    # the deleted post: only once its own URL answered 404 on two polls (revisited, then a suspect)
    assert set(removed.values()) <= {"http_404_twice"}
    emu.advance(24 * 8)
    emu.poll()  # a sweep period later: revisited by now (then 404 again: confirmed)
    emu.advance(2)
    emu.poll()
    removed = dict(emu.store.db.execute("select url, removed_reason from posts where removed_at is not null"))
    assert {_path(u): r for u, r in removed.items()} == {deleted.path: "http_404_twice"}


def test_backfill_continues_past_max_pages_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for emu in _emu(tmp_path, monkeypatch, max_pages=2):
        first = emu.poll()
        assert first.status == "ok" and first.new == 20
        assert any("max_pages" in w for w in first.warnings)
        assert emu.store.cursor("ll")["backfill_before"].endswith("/tag/nec/page/3/")
        emu.advance(2)
        second = emu.poll()
        assert second.new == 20 and any("max_pages" in w for w in second.warnings)
        assert "/tag/nec/page/3/" in emu.listing_paths() and "/tag/nec/page/4/" in emu.listing_paths()
        emu.advance(2)
        third = emu.poll()
        assert third.new == 20 and not third.warnings
        assert "backfill_before" not in emu.store.cursor("ll")
        assert emu.store.db["posts"].count == 60
        assert emu.alerts("new_report") == 0  # a backfill is quiet, however many polls it takes


def test_backfill_lists_at_most_a_batch_of_posts_a_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """backfill_batch bounds a poll's posts (held in memory until written): whole listing pages up
    to the batch, then the next poll carries on from the page where this one stopped."""
    for emu in _emu(tmp_path, monkeypatch, backfill_batch=25):
        first = emu.poll()
        assert first.new == 30 and any("backfill_batch" in w for w in first.warnings)  # 3 pages of 10
        assert emu.store.cursor("ll")["backfill_before"].endswith("/tag/nec/page/4/")
        news = [first.new]
        while "backfill_before" in emu.store.cursor("ll") and len(news) < 6:
            emu.advance(2)
            news.append(emu.poll().new)
        # a batch a poll (the first page, read every poll, counts in it), every post in the end
        assert emu.store.db["posts"].count == 60 and len(news) >= 3 and max(news) <= 30
        assert emu.alerts("new_report") == 0


def test_incremental_off_reads_everything_every_poll(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for emu in _emu(tmp_path, monkeypatch, incremental=False):
        emu.poll()
        emu.advance(2)
        emu.poll()
        assert emu.listing_paths() == LISTING and len(emu.post_paths()) == 60
        assert emu.store.cursor("ll") == {}
