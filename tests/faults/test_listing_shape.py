"""X5: a listing's shape is not change.

Posts reordered within and across pages, paginated differently (WordPress REST pages of 4 with
`X-WP-TotalPages: 3` instead of one page of 10; LabourList tag pages 2+2+1 instead of 4+1) and a
pinned / sticky post moved to the top give no new, removed or edited alert and change no data row:
identity comes from the permalink / post id, never from a position in a listing.

Also X4's local-outage case (every host refusing connections at once), which needs the same
three-source timeline.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from necwatch.replay import ReplayWeb
from tests.faults.sim import content_rows
from tests.tracking.helpers import BLOGGER_FEED, WP_POSTS, Timeline

HOSTS = ["aliceperry.wordpress.com", "labourlist.org", "lukeakehurst.blogspot.com"]
FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1, "connect_timeout": 2, "read_timeout": 5}
LL_TAG = "https://labourlist.org/tag/nec/"
_CARD = re.compile(r"[ \t]*<article class=\"card\b.*?</article>\s*", re.S)
_NAV = re.compile(r'<div class="nav-links">.*?</div>', re.S)


def _ll_cards(web: ReplayWeb) -> list[str]:
    cards = _CARD.findall(web.body(LL_TAG).decode()) + _CARD.findall(web.body(LL_TAG + "page/2/").decode())
    assert len(cards) == 5
    return cards


def set_ll_pages(web: ReplayWeb, template: str, pages: list[list[str]]) -> None:
    """Write the LabourList tag listing as `pages` (cards per page), on page 1's template."""
    for n, cards in enumerate(pages, start=1):
        first = _CARD.search(template)
        assert first is not None
        last = list(_CARD.finditer(template))[-1]
        html = template[: first.start()] + "".join(cards) + template[last.end() :]
        links = "".join(
            f'<a class="page-numbers" href="{LL_TAG}page/{i}/">{i}</a>'
            if i != n
            else f'<span class="current">{i}</span>'
            for i in range(1, len(pages) + 1)
        )
        if n < len(pages):
            links += f'<a class="next page-numbers" href="{LL_TAG}page/{n + 1}/">Next</a>'
        html = _NAV.sub(f'<div class="nav-links">{links}</div>', html)
        web.set(LL_TAG if n == 1 else f"{LL_TAG}page/{n}/", html)
    for n in range(len(pages) + 1, 4):
        web.delete(f"{LL_TAG}page/{n}/", 404)  # like WordPress past the last page


def set_wp_pages(web: ReplayWeb, posts: list[dict[str, object]], per_page: int) -> None:
    """The REST listing served `per_page` at a time, with X-WP-Total / X-WP-TotalPages."""
    pages = [posts[i : i + per_page] for i in range(0, len(posts), per_page)]
    headers = {"x-wp-total": str(len(posts)), "x-wp-totalpages": str(len(pages))}
    for n, chunk in enumerate(pages, start=1):
        url = WP_POSTS if n == 1 else f"{WP_POSTS}&page={n}"
        web.set(url, json.dumps(chunk), content_type="application/json; charset=UTF-8", headers=headers)


def shuffle_blogger_feed(web: ReplayWeb, rng: random.Random) -> None:
    feed = web.body(BLOGGER_FEED).decode()
    entries = re.findall(r"<entry>.*?</entry>", feed, re.S)
    start, end = feed.index(entries[0]), feed.index(entries[-1]) + len(entries[-1])
    rng.shuffle(entries)
    web.set(BLOGGER_FEED, feed[:start] + "".join(entries) + feed[end:])


@pytest.mark.slow
def test_listing_reordered_and_repaginated_is_not_change(web: ReplayWeb, tmp_path: Path) -> None:
    """Three listing shapes, then the original again: 0 alerts, 0 data rows changed."""
    tl = Timeline.open(web, tmp_path, HOSTS, fetch=FAST)
    assert tl.poll().exit_code == 0
    baseline = content_rows(tl.store)
    n_alerts = tl.count("alerts")
    rng = random.Random(5)
    template = web.body(LL_TAG).decode()
    cards = _ll_cards(web)
    posts = tl.wp_posts()
    assert len(posts) == 10

    def check(label: str) -> None:
        result = tl.poll()
        assert result.exit_code == 0, (label, [(s.name, s.status, s.error) for s in result.sources])
        new = list(tl.store.db.query("select kind, url from alerts where rowid > ?", [n_alerts]))
        assert new == [], label
        assert content_rows(tl.store) == baseline, label
        assert tl.count("posts", "removed_at is not null") == 0, label

    # 1. Reordered within and across pages (same page sizes); Blogger feed entries shuffled.
    shuffled = rng.sample(cards, len(cards))
    set_ll_pages(web, template, [shuffled[:4], shuffled[4:]])
    set_wp_pages(web, rng.sample(posts, len(posts)), per_page=10)
    shuffle_blogger_feed(web, rng)
    check("reordered")

    # 2. Paginated differently: REST 4+4+2 (X-WP-TotalPages: 3), LabourList 2+2+1, shuffled.
    with web.recording() as requests:
        set_ll_pages(web, template, [shuffled[:2], shuffled[2:4], shuffled[4:]])
        set_wp_pages(web, rng.sample(posts, len(posts)), per_page=4)
        check("repaginated")
    paths = {r.path for r in requests}
    assert "/tag/nec/page/3/" in paths and "/wp-json/wp/v2/posts?tags=3464&page=3" in paths, paths

    # 3. The oldest post pinned / sticky at the top of page 1, the rest in order after it.
    oldest = min(posts, key=lambda p: str(p["date"]))
    sticky = [{**oldest, "sticky": True}] + [p for p in posts if p["id"] != oldest["id"]]
    set_wp_pages(web, sticky, per_page=4)
    pinned = [cards[-1], *cards[:-1]]
    set_ll_pages(web, template, [pinned[:2], pinned[2:4], pinned[4:]])
    check("sticky")

    # 4. Back to the recorded shape.
    set_ll_pages(web, template, [cards[:4], cards[4:]])
    set_wp_pages(web, posts, per_page=10)
    check("original")


def test_local_outage_every_source_refused(web: ReplayWeb, tmp_path: Path) -> None:
    """X4: all servers stopped (connection refused everywhere) → every source failed, kind
    `robots_unavailable` (cause `connect`), exit 1, nothing lost or removed; and because every source
    failed at the network level at once, the run is an `outage`: no source's failure streak grows, so
    no `source_unhealthy` alerts, however many runs it lasts."""
    tl = Timeline.open(web, tmp_path, HOSTS, fetch=FAST)
    assert tl.poll().exit_code == 0
    baseline = content_rows(tl.store)
    n_alerts = tl.count("alerts")
    web.stop()  # every port closed: connection refused
    for _ in range(4):
        result = tl.poll()
        assert result.exit_code == 1 and result.status == "outage"
        assert {s.status for s in result.sources} == {"failed"} and len(result.sources) == 3
        rows = list(tl.store.db.query("select * from fetch_errors where run_id = ?", [result.run_id]))
        # Classified as robots_unavailable (robots.txt is the first request to each host), the
        # underlying `connect` error in the message: one row per failed URL, as for any failure.
        assert {r["source"] for r in rows} == {s.name for s in result.sources}
        assert {r["kind"] for r in rows} == {"robots_unavailable"}, rows
        assert all("connect" in r["message"] for r in rows), rows
        assert content_rows(tl.store) == baseline
        assert tl.count("posts", "removed_at is not null") == 0
        assert tl.one("select status from runs where id = ?", [result.run_id])["status"] == "outage"
    assert tl.count("alerts") == n_alerts  # no source_unhealthy: the outage is ours, not the sites'
    assert {r["consecutive_failures"] for r in tl.store.db.query("select * from sources")} == {0}
    assert all(r["last_error"] for r in tl.store.db.query("select * from sources"))  # but it is visible


def test_one_site_down_is_not_an_outage(web: ReplayWeb, tmp_path: Path) -> None:
    """Only one of three sites refusing connections is that site's failure: its streak grows."""
    tl = Timeline.open(web, tmp_path, HOSTS, fetch=FAST)
    assert tl.poll().exit_code == 0
    for url in list(web.entries):
        if url.startswith("https://labourlist.org/"):
            web.set(url, "<h1>down</h1>", status=503)
    result = tl.poll()
    assert result.status == "partial"
    streaks = {r["name"]: r["consecutive_failures"] for r in tl.store.db.query("select * from sources")}
    assert streaks == {"alice-perry": 0, "labourlist": 1, "luke-akehurst": 0}
