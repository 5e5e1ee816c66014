"""F8: a configured source whose listing answers a permanent redirect to another host.

0 requests to the new host (the hop is refused before it is sent: host_not_allowed), one operator
alert `source_moved` naming the new location (deterministic id: not repeated every run), the source
counted failed for health, and no post alert."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.replay import ReplayWeb
from tests.tracking.helpers import WP_POSTS, Timeline

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1, "connect_timeout": 2, "read_timeout": 5}
WP = "aliceperry.wordpress.com"
NEW_HOST = "labourlist.org"  # served by the same replay, but not in alice-perry's allow-list
NEW_HOME = f"https://{NEW_HOST}/tag/nec/"


def _moved_alerts(tl: Timeline) -> list[dict[str, object]]:
    return list(tl.store.db.query("select * from alerts where kind = 'source_moved'"))


def _move(web: ReplayWeb, urls: list[str], status: int) -> None:
    for url in urls:
        web.set(url, b"", status=status, headers={"location": NEW_HOME})


@pytest.mark.parametrize("status", [301, 308])
def test_listing_moved_off_the_allow_list(web: ReplayWeb, tmp_path: Path, status: int) -> None:
    tl = Timeline.open(web, tmp_path, [WP, "lukeakehurst.blogspot.com"], fetch=FAST)
    assert tl.poll().exit_code == 0
    posts = tl.count("posts")
    tag_lookup = f"https://{WP}/wp-json/wp/v2/tags?slug=general-election"
    _move(web, [tag_lookup, WP_POSTS], status)
    for run in range(2):
        with web.recording() as requests:
            result = tl.poll()
        assert result.exit_code == 1
        summary = {s.name: s for s in result.sources}
        assert summary["alice-perry"].status == "failed"
        assert summary["luke-akehurst"].status == "ok"  # I2
        assert [r for r in requests if r.host == NEW_HOST] == []  # I6: 0 requests to the new host
        errors = list(
            tl.store.db.query(
                "select * from fetch_errors where run_id = ? and source = 'alice-perry'", [result.run_id]
            )
        )
        assert [(e["kind"], e["final_url"]) for e in errors] == [("host_not_allowed", web.local(NEW_HOME))], (
            run
        )
        [alert] = _moved_alerts(tl)  # one alert, also after the second run
        assert alert["source"] == "alice-perry" and alert["backfill"] == 0
        assert alert["url"] == web.local(NEW_HOME) and web.local(NEW_HOME) in alert["summary"]
        assert alert["report_id"] is None and alert["post_id"] is None
    assert tl.source("alice-perry")["consecutive_failures"] == 2
    assert tl.count("posts") == posts and tl.count("posts", "removed_at is not null") == 0
    assert tl.count("alerts", "backfill = 0 and kind != 'source_moved'") == 0


def test_whole_site_moved_robots_included(web: ReplayWeb, tmp_path: Path) -> None:
    """robots.txt redirects too: the listing fails as robots_unavailable, the move is still named."""
    tl = Timeline.open(web, tmp_path, [WP], fetch=FAST)
    assert tl.poll().exit_code == 0
    _move(web, [u for u in web.entries if u.startswith(f"https://{WP}/")], 301)
    with web.recording() as requests:
        result = tl.poll()
    assert result.exit_code == 1
    assert [r for r in requests if r.host == NEW_HOST] == []
    [alert] = _moved_alerts(tl)
    assert alert["url"].startswith(web.base(NEW_HOST))
    assert tl.count("alerts", "backfill = 0 and kind != 'source_moved'") == 0


def test_temporary_redirect_is_not_a_move_when_the_status_is_known(web: ReplayWeb, tmp_path: Path) -> None:
    """A 302 off the allow-list (a login wall, a maintenance host) fails the listing like any refused
    hop, but is not a `source_moved`: the fetch layer reports the hop's status."""
    tl = Timeline.open(web, tmp_path, [WP], fetch=FAST)
    assert tl.poll().exit_code == 0
    _move(web, [f"https://{WP}/wp-json/wp/v2/tags?slug=general-election"], 302)
    with web.recording() as requests:
        result = tl.poll()
    assert result.exit_code == 1 and [r for r in requests if r.host == NEW_HOST] == []
    [error] = tl.store.db.query("select * from fetch_errors where run_id = ?", [result.run_id])
    assert error["kind"] == "host_not_allowed" and error["http_status"] == 302
    assert "redirected by HTTP 302" in error["message"]
    assert _moved_alerts(tl) == []
