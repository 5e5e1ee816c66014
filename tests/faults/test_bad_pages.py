"""Bad 200 pages in a run: a pathologically nested page is a `too_complex` failure of that URL only,
and a bot challenge, a suspended account or a parked domain is a `challenge` / `unavailable` failure,
never a new version or an edit alert. The timing target (< 5 s) is measured in bench/bench_parse.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.errors import FETCH_ERROR_KINDS
from necwatch.fetch.classify import not_the_post
from necwatch.replay import ReplayWeb
from tests.tracking.helpers import LL_POST, Timeline

LL_PATH = "%/2014/11/nec-report-november-4th-2014/"  # served from a local replay host

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1}
NESTED = (
    b"<html><body><article><h1 class='entry-title'>x</h1><div class='entry-content'>" + b"<div>" * 200_000
)


def test_too_complex_page_fails_alone_and_the_source_goes_on(web: ReplayWeb, tmp_path: Path) -> None:
    web.set(LL_POST, NESTED, content_type="text/html; charset=utf-8")
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    tl.poll()
    assert tl.count("fetch_errors", "kind = 'too_complex' and url like ?", [LL_PATH]) == 1
    assert tl.count("posts", "url like ?", [LL_PATH]) == 0
    assert tl.count("posts", "source = 'labourlist'") >= 1  # the other LabourList posts were read


CHALLENGE = b"""<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
<div class="entry-content">Checking your browser before accessing the site.</div>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>"""
SUSPENDED = (
    b"<html><head><title>Account Suspended</title></head><body><h1>This Account has been suspended.</h1>"
)
PARKED = (
    b"<html><head><title>example.org</title></head><body><p>This domain is for sale! Buy this domain.</p>"
)


@pytest.mark.parametrize(
    ("body", "kind"), [(CHALLENGE, "challenge"), (SUSPENDED, "unavailable"), (PARKED, "unavailable")]
)
def test_a_200_that_is_not_the_post_is_a_classified_failure(
    web: ReplayWeb, tmp_path: Path, body: bytes, kind: str
) -> None:
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    assert tl.poll().exit_code == 0
    before = tl.post(LL_PATH[1:])
    web.set(LL_POST, body, content_type="text/html; charset=utf-8")
    alerts = tl.step()
    assert alerts == []  # no report_edited, no report_removed
    assert tl.count("fetch_errors", "kind = ? and url like ?", [kind, LL_PATH]) >= 1
    tl.assert_post_kept(LL_PATH[1:], before)


def test_not_the_post_leaves_real_articles_alone(web: ReplayWeb) -> None:
    """A real post that quotes the words (a long page, another title) is content."""
    quoting = (
        b"<html><head><title>Why sites say 'Just a moment' - a blog</title></head><body><p>"
        + b"word " * 10_000
    )
    assert not_the_post(quoting + b"account suspended</p></body></html>") is None
    assert not_the_post(web.body(LL_POST)) is None
    assert {"challenge", "unavailable", "too_complex"} <= FETCH_ERROR_KINDS
