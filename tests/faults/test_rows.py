"""Pipeline-level checks of RELIABILITY rows not covered elsewhere: F3 (a 200 page cut short),
F11 (whitespace-only 200, a listing parsing to 0 posts while a post 404s). F12, F13 and X2 are in
tests/tracking/test_timeline.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.errors import ParseError
from necwatch.replay import ReplayWeb
from necwatch.sources.labourlist import parse_labourlist_article
from tests.tracking.helpers import LL_POST, Timeline

HOSTS = ["aliceperry.wordpress.com", "lukeakehurst.blogspot.com", "labourlist.org"]
FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1, "connect_timeout": 2, "read_timeout": 5}
LL_TAG = "https://labourlist.org/tag/nec/"


@pytest.fixture
def tl(web: ReplayWeb, tmp_path: Path) -> Timeline:
    t = Timeline.open(web, tmp_path, HOSTS, fetch=FAST)
    assert t.poll().exit_code == 0
    return t


def _cut_inside_body(url: str, page: bytes) -> bytes:
    """The longest prefix of `page` that still parses, to a shorter body (a page cut mid-article)."""
    full = parse_labourlist_article(url, page).body_text
    for end in range(len(page) - 200, 0, -500):
        try:
            if parse_labourlist_article(url, page[:end]).body_text != full:
                return page[:end]
        except ParseError:
            continue
    raise AssertionError("no cut gives a partial body")


def test_page_cut_short_mid_article_is_truncated_not_an_edit(tl: Timeline) -> None:
    """F3 (close-delimited/served-short body): a 200 post page ending before </html> is `truncated`;
    its partial text is never stored as a new version."""
    page = tl.web.body(LL_POST)
    tl.web.set(LL_POST, _cut_inside_body(LL_POST, page))
    result = tl.poll()
    assert result.exit_code == 1
    assert tl.count("report_versions", "kind = 'edit'") == 0
    assert tl.count("alerts", "kind = 'report_edited'") == 0
    [err] = tl.store.db.query(
        "select * from fetch_errors where run_id = ? and url like ?",
        [result.run_id, "%nec-report-november-4th-2014%"],
    )
    assert err["kind"] == "truncated"
    tl.web.set(LL_POST, page)
    assert tl.step() == []


def test_whitespace_only_200_on_a_post_is_a_failure(tl: Timeline) -> None:
    """F11: a 200 of only whitespace is parse_empty for that URL, not an edit to empty or a removal."""
    page = tl.web.body(LL_POST)
    tl.web.set(LL_POST, b" \n\t  \r\n ")
    result = tl.poll()
    assert result.exit_code == 1
    rows = list(
        tl.store.db.query(
            "select kind from fetch_errors where run_id = ? and url like ?",
            [result.run_id, "%nec-report-november-4th-2014%"],
        )
    )
    assert [r["kind"] for r in rows] == ["parse_empty"]
    assert tl.count("alerts", "backfill = 0") == 0
    assert tl.post("nec-report-november-4th-2014")["removed_at"] is None
    tl.web.set(LL_POST, page)
    assert tl.step() == []


def test_listing_parsing_to_zero_posts_fails_the_listing(tl: Timeline) -> None:
    """F11: a tag page that parses to 0 posts is a failed listing: no removal, even with a 404 in it."""
    tag = tl.web.body(LL_TAG)
    tl.web.set(LL_TAG, b"<html><body><main><p>No posts found.</p></main></body></html>")
    tl.web.delete(LL_POST, 404)
    result = tl.poll()
    ll = {s.name: s for s in result.sources}["labourlist"]
    assert ll.status == "failed" and result.exit_code == 1
    assert {s.status for s in result.sources if s.name != "labourlist"} == {"ok"}  # I2
    assert tl.count("posts", "removed_at is not null") == 0
    assert tl.count("alerts", "backfill = 0") == 0
    kinds = {
        r["kind"]
        for r in tl.store.db.query(
            "select kind from fetch_errors where run_id = ? and source = 'labourlist'", [result.run_id]
        )
    }
    assert "parse_empty" in kinds
    tl.web.set(LL_TAG, tag)  # the listing is back; the post still answers 404
    assert tl.step(repeat=False) == []  # the failed poll was no evidence: this is its first 404
    assert tl.post("nec-report-november-4th-2014")["missing_polls"] == 1
