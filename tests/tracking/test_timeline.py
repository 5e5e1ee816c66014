"""Replay the reference web through states over time and assert the exact alerts, versions and diffs.

Every state is polled twice: the second poll of an unchanged state must write nothing to the data
tables (posts, reports, versions, comments, alerts).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from necwatch.replay import ReplayWeb
from tests.tracking.helpers import (
    LL_POST,
    NEW_POST_BODY,
    NEW_POST_ID,
    NEW_POST_LINK,
    WP_POSTS,
    Timeline,
    wp_comment,
)

HOSTS = ["aliceperry.wordpress.com", "lukeakehurst.blogspot.com", "labourlist.org"]


def kinds(alerts: list[dict[str, Any]]) -> Counter[str]:
    return Counter(a["kind"] for a in alerts)


@pytest.fixture
def tl(web: ReplayWeb, tmp_path: Path) -> Timeline:
    t = Timeline.open(web, tmp_path, HOSTS)
    first = t.step()
    assert first and all(a["backfill"] == 1 for a in first), "a new source's first poll is backfill"
    assert {a["kind"] for a in first} <= {"new_report", "new_comment", "report_republished"}
    return t


def test_report_lifecycle_on_wordpress(tl: Timeline) -> None:
    # A new post appears: one new_report, pushed (not backfill), version 1.
    tl.add_wp_post()
    alerts = tl.step()
    assert kinds(alerts) == {"new_report": 1}
    assert alerts[0]["backfill"] == 0
    post = tl.post("labour-nec-report-march-2024")
    rid = post["report_id"]
    assert tl.one("select version from reports where id = ?", [rid])["version"] == 1

    # A typo fix: one report_edited, version 2, with a unified and a word diff of just that word.
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(
        rendered=p["content"]["rendered"].replace("Commitee", "Committee")))  # fmt: skip
    alerts = tl.step()
    assert kinds(alerts) == {"report_edited": 1}
    v2 = tl.one("select * from report_versions where report_id = ? and version = 2", [rid])
    assert v2["kind"] == "edit"
    assert "-The NEC met on 21 March 2024. The Organisation Commitee reported on selections." in v2["diff"]
    assert "+The NEC met on 21 March 2024. The Organisation Committee reported on selections." in v2["diff"]
    assert "[-Commitee-] {+Committee+}" in v2["word_diff"]
    assert alerts[0]["diff"] == v2["diff"]

    # An added paragraph: version 3, the diff adds exactly that paragraph.
    added = "The Disputes Panel heard three appeals."
    tl.edit_wp(NEW_POST_ID, lambda p: p["content"].update(
        rendered=p["content"]["rendered"] + f"\n<p>{added}</p>"))  # fmt: skip
    alerts = tl.step()
    assert kinds(alerts) == {"report_edited": 1}
    v3 = tl.one("select * from report_versions where report_id = ? and version = 3", [rid])
    plus = [line for line in v3["diff"].splitlines() if line.startswith("+") and not line.startswith("+++")]
    minus = [line for line in v3["diff"].splitlines() if line.startswith("-") and not line.startswith("---")]
    assert plus == [f"+{added}"] and minus == []
    assert v3["word_diff"].endswith("{+" + added + "+}")

    # Whitespace, curly quotes, dashes, nbsp and a tracking parameter only: not an edit.
    def noise(p: dict[str, Any]) -> None:
        body = p["content"]["rendered"]
        body = body.replace("'Labour Women's Network'", "‘Labour Women’s Network’")
        body = body.replace(". ", ".&nbsp; ").replace("<p>", "<p>\n  ")
        p["content"]["rendered"] = body

    tl.edit_wp(NEW_POST_ID, noise)
    assert tl.step() == []
    assert tl.count("report_versions", "report_id = ?", [rid]) == 3

    # Comments: two new, then one edited and one removed.
    tl.set_wp_comments(NEW_POST_ID, [wp_comment(1, NEW_POST_ID, "Thanks Alice."),
                                     wp_comment(2, NEW_POST_ID, "What about the timetable?")])  # fmt: skip
    alerts = tl.step()
    assert kinds(alerts) == {"new_comment": 2}
    tl.set_wp_comments(NEW_POST_ID, [wp_comment(1, NEW_POST_ID, "Thanks Alice, very useful.")])
    alerts = tl.step()
    assert kinds(alerts) == {"comment_edited": 1, "comment_removed": 1}
    assert tl.count("comments", "post_id = ? and removed_at is not null", [post["id"]]) == 1
    assert tl.count("comment_versions") >= 3
    assert tl.one("select comment_count from reports where id = ?", [rid])["comment_count"] == 1

    # The listing answers 503 for a poll: the source is failing, nothing is removed.
    listing = tl.web.body(WP_POSTS)
    tl.web.set(WP_POSTS, b"<h1>Service Unavailable</h1>", status=503)
    assert tl.step(repeat=False) == []
    assert tl.source("alice-perry")["health"] == "failing"
    assert tl.count("posts", "removed_at is not null") == 0
    tl.web.set(WP_POSTS, listing, content_type="application/json; charset=UTF-8")
    assert tl.step() == []
    assert tl.source("alice-perry")["health"] == "ok"

    # 410 on the permalink and gone from the listing: removed, one report_removed.
    tl.set_wp_posts([p for p in tl.wp_posts() if p["id"] != NEW_POST_ID])
    tl.web.delete(NEW_POST_LINK, 410)
    alerts = tl.step()
    assert kinds(alerts) == {"report_removed": 1}
    removed = tl.post("labour-nec-report-march-2024")
    assert removed["removed_at"] and removed["removed_reason"] == "http_410"
    assert tl.one("select removed_at from reports where id = ?", [rid])["removed_at"]

    # It comes back: restored, once.
    tl.web.set(WP_POSTS, listing, content_type="application/json; charset=UTF-8")
    tl.web.set(
        NEW_POST_LINK,
        tl.web.body("https://aliceperry.wordpress.com/2019/03/27/labour-nec-report-march-2019/"),
    )
    alerts = tl.step()
    assert kinds(alerts) == {"report_restored": 1}
    assert tl.post("labour-nec-report-march-2024")["removed_at"] is None
    assert tl.one("select removed_at from reports where id = ?", [rid])["removed_at"] is None
    # Nothing was ever deleted: all versions and comments are still there.
    assert tl.count("report_versions", "report_id = ?", [rid]) == 3
    assert tl.count("comments", "post_id = ?", [post["id"]]) == 2


def test_republished_on_a_second_site_is_one_report(tl: Timeline) -> None:
    tl.add_wp_post()
    assert kinds(tl.step()) == {"new_report": 1}
    reports = tl.count("reports")
    tl.add_blogger_entry(post_id="1111111111111111111", path="2024/03/nec-report-march-2024.html",
                         title="Labour NEC Report – 21 March 2024", body_html=NEW_POST_BODY)  # fmt: skip
    alerts = tl.step()
    assert kinds(alerts) == {"report_republished": 1}
    assert tl.count("reports") == reports
    rid = tl.post("labour-nec-report-march-2024")["report_id"]
    assert tl.post("nec-report-march-2024.html")["report_id"] == rid
    assert tl.one("select post_count from reports where id = ?", [rid])["post_count"] == 2
    assert tl.count("alerts", "kind = 'new_report' and report_id = ?", [rid]) == 1


def test_404_twice_removes_empty_200_fails(tl: Timeline) -> None:
    body = tl.web.body(LL_POST)
    # An empty 200: a failed fetch, not an edit to empty and not a removal.
    tl.web.set(LL_POST, b"")
    assert tl.step(repeat=False) == []
    assert tl.post("nec-report-november-4th-2014")["removed_at"] is None
    assert tl.count("report_versions", "kind = 'edit'") == 0
    assert tl.count("fetch_errors", "url like ?", ["%nec-report-november-4th-2014%"]) >= 1

    # 404 once: suspect, no alert. 404 again on the next poll: removed, one alert.
    tl.web.delete(LL_POST, 404)
    assert tl.step(repeat=False) == []
    post = tl.post("nec-report-november-4th-2014")
    assert post["removed_at"] is None and post["missing_polls"] == 1
    alerts = tl.step()
    assert kinds(alerts) == {"report_removed": 1}
    post = tl.post("nec-report-november-4th-2014")
    assert post["removed_reason"] == "http_404_twice"

    # The page comes back: restored.
    tl.web.set(LL_POST, body)
    assert kinds(tl.step()) == {"report_restored": 1}
    assert tl.post("nec-report-november-4th-2014")["removed_at"] is None


def test_404_once_then_200_is_nothing(tl: Timeline) -> None:
    body = tl.web.body(LL_POST)
    tl.web.delete(LL_POST, 404)
    assert tl.step(repeat=False) == []
    tl.web.set(LL_POST, body)
    assert tl.step() == []
    post = tl.post("nec-report-november-4th-2014")
    assert post["removed_at"] is None and post["missing_polls"] == 0


def test_source_yielding_nothing_is_unhealthy_not_a_mass_removal(tl: Timeline) -> None:
    listing = tl.web.body(WP_POSTS)
    links = [p["link"] for p in tl.wp_posts()]
    pages = {u: tl.web.body(u) for u in links}
    tl.set_wp_posts([])  # the feed/API suddenly lists nothing …
    for u in links:
        tl.web.delete(u, 404)  # … and every permalink 404s (a site move, a broken theme)
    tl.web.set("https://labourlist.org/tag/nec/", "<html><body><p>A redesigned page</p></body></html>")
    alerts: list[dict[str, Any]] = []
    for _ in range(3):
        alerts += tl.step(repeat=False)
    assert kinds(alerts) == {"source_unhealthy": 2}
    assert {a["source"] for a in alerts} == {"alice-perry", "labourlist"}
    assert tl.count("posts", "removed_at is not null") == 0
    assert tl.count("posts", "missing_polls > 0") == 0
    row = tl.source("alice-perry")
    assert row["health"] == "unhealthy" and row["last_error_kind"] == "parse_empty"
    assert tl.step(repeat=False) == []  # a fourth failed poll alerts nothing more

    tl.web.set(WP_POSTS, listing, content_type="application/json; charset=UTF-8")
    for u, body in pages.items():
        tl.web.set(u, body)
    alerts = tl.step()
    assert kinds(alerts) == {"source_recovered": 1}
    assert tl.source("alice-perry")["health"] == "ok"


def test_republished_with_a_standfirst_is_a_linked_near_duplicate(tl: Timeline) -> None:
    tl.add_wp_post()
    assert kinds(tl.step()) == {"new_report": 1}
    original = tl.post("labour-nec-report-march-2024")["report_id"]
    standfirst = (
        "<p><em>This report first appeared on Alice Perry’s blog and is republished with thanks.</em></p>"
    )
    chrome = "<p>Share this: Twitter · Facebook</p>"
    tl.add_blogger_entry(
        post_id="2222222222222222222",
        path="2024/03/alice-perry-nec-report.html",
        title="Labour NEC Report – 21 March 2024",
        body_html=standfirst + NEW_POST_BODY + chrome,
    )
    alerts = tl.step()
    assert kinds(alerts) == {"report_republished": 1}
    copy = tl.one("select * from reports where id = ?", [tl.post("alice-perry-nec-report.html")["report_id"]])
    assert copy["id"] != original  # different text: its own report row …
    assert copy["duplicate_of"] == original  # … linked to the original with its score
    assert 0.3 <= copy["similarity"] < 1.0
    assert tl.count("alerts", "kind = 'new_report' and report_id = ?", [copy["id"]]) == 0
    # the meetings view counts the original only
    assert (
        original in tl.one("select report_ids from meetings where meeting_date = '2024-03-21'")["report_ids"]
    )
    assert (
        copy["id"]
        not in tl.one("select report_ids from meetings where meeting_date = '2024-03-21'")["report_ids"]
    )
