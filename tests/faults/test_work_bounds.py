"""A page's work is bounded by what it costs, and the run's deadline is real (issue 18, "Every
attack held"): every shape of pathological markup fails that page (or item) as `too_complex` with
its reason, in a real run against local servers, while another source of the same run stores its
posts. The attack pages are generated here, not committed.

The cost estimate (extract.limits) refuses each shape at once; the worker (extract.worker) is the
proof behind it, tested with the estimate's limits lifted so that only the worker's time budget, its
memory cap or the run's deadline can stop the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.extract import limits, worker
from necwatch.replay import ReplayWeb
from tests.tracking.helpers import LL_POST, NEW_POST_ID, Timeline, wp_comment

pytestmark = pytest.mark.timeout(180)

LL_PATH = "%/2014/11/nec-report-november-4th-2014/"
FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1}
N = 200_000
HEAD = b"<html><body><article><h1 class='entry-title'>NEC report</h1><div class='entry-content'><p>x</p>"


def _page(body: bytes) -> bytes:
    return HEAD + body + b"</div></article></body></html>"


# Each shape the regex guard missed (issue 18): 200,000 nested elements written as parsers read them,
# one element with 1,000,000 attributes, and formatting elements reconstructed under every block.
SHAPES = {
    "self-closing divs nest": b"<div/>" * N,
    "a '<' in a quoted attribute": b'<div title="<">' * N,
    "nested inside noscript": b"<noscript>" + b"<div>" * N + b"</noscript>",
    "a million attributes": b"<div " + b" ".join(b"a%d" % i for i in range(1_000_000)) + b">x</div>",
    "formatting reconstruction": b"<p>" + b"".join(b"<b i=%d>" % i for i in range(2900)) + b"</p><p>x" * 3000,
}


def _two_sources(web: ReplayWeb, tmp_path: Path, **overrides: object) -> Timeline:
    return Timeline.open(
        web, tmp_path, ["labourlist.org", "aliceperry.wordpress.com"], fetch=FAST, **overrides
    )


def _held(tl: Timeline, kind: str = "too_complex") -> None:
    assert tl.count("fetch_errors", "kind = ? and url like ?", [kind, LL_PATH]) == 1
    assert tl.count("posts", "url like ?", [LL_PATH]) == 0
    assert tl.count("posts", "source = 'labourlist'") >= 1  # the source's other posts were read
    assert tl.count("posts", "source = 'alice-perry'") >= 1  # and the other source was written


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_fails_its_page_alone(web: ReplayWeb, tmp_path: Path, shape: str) -> None:
    web.set(LL_POST, _page(SHAPES[shape]), content_type="text/html; charset=utf-8")
    tl = _two_sources(web, tmp_path, schedule={"run_deadline": "30s"})
    tl.poll()
    _held(tl)
    message = tl.one("select message from fetch_errors where url like ?", [LL_PATH])["message"]
    assert "too complex" in message


def test_nesting_inside_a_comment_body_fails_that_comment_not_the_source(
    web: ReplayWeb, tmp_path: Path
) -> None:
    tl = _two_sources(web, tmp_path)
    tl.add_wp_post()
    bad = wp_comment(1, NEW_POST_ID, "ok")
    bad["content"]["rendered"] = "<p>" + "<div/>" * N + "</p>"
    tl.set_wp_comments(NEW_POST_ID, [bad, wp_comment(2, NEW_POST_ID, "Thanks Alice.")])
    tl.poll()
    assert tl.count("posts", "source = 'alice-perry'") >= 1
    assert tl.count("posts", "source = 'labourlist'") >= 1
    assert tl.count("fetch_errors", "kind = 'too_complex'") >= 1


def test_nesting_inside_a_feed_entry_fails_that_entry_not_the_source(web: ReplayWeb, tmp_path: Path) -> None:
    tl = Timeline.open(web, tmp_path, ["lukeakehurst.blogspot.com", "aliceperry.wordpress.com"], fetch=FAST)
    tl.add_blogger_entry(
        post_id="9999",
        path="2024/03/nec-report-march-2024.html",
        title="NEC report March 2024",
        body_html="<p>The NEC met.</p>" + '<div title="<">' * N,
    )
    tl.poll()
    assert tl.count("fetch_errors", "kind = 'too_complex'") >= 1
    assert tl.count("posts", "url like '%nec-report-march-2024%'") == 0
    assert tl.count("posts", "source = 'luke-akehurst'") >= 1
    assert tl.count("posts", "source = 'alice-perry'") >= 1


@pytest.fixture
def estimate_fooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimate's limits lifted: a page it cannot clear goes to the worker, whatever it costs."""
    for name in ("MAX_DEPTH", "MAX_ELEMENTS", "MAX_ATTRIBUTES", "MAX_RECONSTRUCTED"):
        monkeypatch.setattr(limits, name, 10**12)
    worker.shutdown()
    worker._verdicts.clear()
    yield
    worker.shutdown()


@pytest.mark.usefixtures("estimate_fooled")
@pytest.mark.parametrize("shape", ["self-closing divs nest", "formatting reconstruction"])
def test_the_worker_stops_what_the_estimate_lets_through(
    web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setattr(worker, "PAGE_SECONDS", 3.0)
    monkeypatch.setattr(worker, "MEMORY", 512 * 1024 * 1024)
    web.set(LL_POST, _page(SHAPES[shape]), content_type="text/html; charset=utf-8")
    tl = _two_sources(web, tmp_path, schedule={"run_deadline": "30s"})
    tl.poll()
    _held(tl)
    message = tl.one("select message from fetch_errors where url like ?", [LL_PATH])["message"]
    assert "its extraction" in message  # the worker's verdict (time or memory), not the estimate's


@pytest.mark.usefixtures("estimate_fooled")
def test_the_run_deadline_stops_one_page_s_work(
    web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page whose work would outlast the run: the run ends near its deadline, not after the page."""
    monkeypatch.setattr(worker, "PAGE_SECONDS", 600.0)  # only the run's deadline can stop it
    web.set(LL_POST, _page(SHAPES["self-closing divs nest"]), content_type="text/html; charset=utf-8")
    tl = _two_sources(web, tmp_path, schedule={"run_deadline": "8s"})
    result = tl.poll()  # the page alone takes minutes: the module's timeout is the safety net
    assert result.exit_code == 1
    page_failed = tl.count("fetch_errors", "kind = 'too_complex' and url like ?", [LL_PATH]) == 1
    source_deadline = tl.count("fetch_errors", "kind = 'deadline' and source = 'labourlist'") == 1
    assert page_failed or source_deadline
    assert tl.count("posts", "url like ?", [LL_PATH]) == 0
    assert tl.count("posts", "source = 'alice-perry'") >= 1
