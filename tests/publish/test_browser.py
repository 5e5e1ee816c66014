"""A real browser against a real `datasette` subprocess: home, search, a report, a feed; screenshots.

Screenshots go to artifacts/screenshots/ (gitignored). The page must raise no CSP violation
(Datasette's own inline scripts are allowed by hash) and no JavaScript error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest

from .conftest import serving

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture
def server(db_copy: Path, tmp_path: Path) -> Iterator[str]:
    """`datasette serve` as deployed: bundle (metadata + plugin copy), templates, static, settings."""
    with serving(db_copy, tmp_path / "bundle") as base:
        yield base


def test_browse_search_report_feed(server: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(server + "/")
        assert "necwatch" in page.title()
        page.screenshot(path=str(SHOTS / "1-home.png"), full_page=True)

        page.fill("input[name=q]", "Forde")
        page.click("form.nw-search button")
        page.wait_for_load_state()
        assert "/demo/search_reports" in page.url
        assert page.locator("mark").count() > 0
        page.screenshot(path=str(SHOTS / "2-search.png"), full_page=True)

        page.click(".nw-result-title a >> nth=0")  # the first result's title
        page.wait_for_load_state()
        assert page.locator("#report-body p").count() > 3
        assert page.locator(".nw-report-links a").count() >= 3
        page.screenshot(path=str(SHOTS / "3-report.png"))

        page.goto(server + "/demo/meeting_reports?meeting=2024-01-23")
        page.screenshot(path=str(SHOTS / "4-meeting.png"))
        page.goto(server + "/demo/coverage")
        page.screenshot(path=str(SHOTS / "5-coverage.png"), full_page=True)
        page.goto(server + "/demo/reports_list?is_nec_report=1")
        page.screenshot(path=str(SHOTS / "6-reports-list.png"))

        page.goto(server + "/")
        href = page.get_attribute("a[href$='feed_new_reports.atom']", "href")
        assert href
        feed = feedparser.parse(httpx.get(server + href, timeout=30).content)
        assert not feed.bozo and len(feed.entries) == 14
        browser.close()
    csp = [m for m in problems if "Content Security Policy" in m or "Refused" in m]
    assert csp == [], csp
    assert problems == [], problems


def test_journalists_question_in_three_clicks(server: str) -> None:
    """ "What happened at the NEC meeting of 23 January 2024, who reported it, and what changed
    since?": home → the meeting → the report → its versions with the diff, three clicks; and a phrase
    search → the report it is in."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(server + "/")
        page.click("a:text-is('23 January 2024')")  # click 1: the meeting
        page.wait_for_load_state()
        assert "meeting=2024-01-23" in page.url
        assert page.locator("td.col-author").first.inner_text().strip() == "Luke Akehurst"  # who reported it
        page.screenshot(path=str(SHOTS / "q1-meeting.png"), full_page=True)

        page.click("td.col-title a")  # click 2: the report
        page.wait_for_load_state()
        assert page.locator("h1").first.inner_text().strip() == "NEC Report – 23 January 2024"
        page.screenshot(path=str(SHOTS / "q2-report.png"))

        page.click("a[href*='report_history']")  # click 3: its versions with the diff
        page.wait_for_load_state()
        assert page.locator("pre.nw-diff .add").count() >= 1
        assert "[Edited in the necwatch demo" in page.locator("pre.nw-diff").first.inner_text()
        page.screenshot(path=str(SHOTS / "q3-versions.png"), full_page=True)

        page.goto(server + "/")
        page.fill("input[name=q]", '"trigger ballots"')
        page.click("form.nw-search button")
        page.wait_for_load_state()
        page.click(".nw-result-title a >> nth=0")
        page.wait_for_load_state()
        assert "trigger ballots" in page.locator("#report-body").inner_text().lower()
        page.screenshot(path=str(SHOTS / "q4-search-report.png"))
        browser.close()
    csp = [m for m in problems if "Content Security Policy" in m or "Refused" in m]
    assert csp == [], csp
    assert problems == [], problems


def test_readable_meeting_page_and_glossary(server: str) -> None:
    """The meeting page labels every value (one report is still a labelled column, not a bare
    card); a table's glossary is collapsed below the data, so the data is the first thing seen."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        # one report: 28 March 2023 (23 January 2024 has two, with the demo's second reporter)
        page.goto(server + "/demo/meeting_reports?meeting=2023-03-28")
        labels = page.locator(".nw-side-by-side th[scope=row]")
        assert labels.first.is_visible() and labels.count() == 9
        author = page.locator(".nw-side-by-side tr.col-author")
        assert author.inner_text().split("\t") == ["Author", "Luke Akehurst"]
        page.screenshot(path=str(SHOTS / "b1-meeting-one-report.png"), full_page=True)
        page.goto(server + "/demo/meeting_reports?meeting=2017-07")
        titles = page.locator(".nw-side-by-side tr.col-title td").count()
        # with minutes (issue 20) the month's full meeting and its sub-committees are two meetings,
        # and the full meeting's minutes link the other
        other = page.locator("a:text-is('the NEC sub-committees')").count()
        assert titles == 2 or (titles == 1 and other == 1), (titles, other)
        page.screenshot(path=str(SHOTS / "b2-meeting-two-reports.png"), full_page=True)

        page.goto(server + "/demo/reports_list?is_nec_report=1")
        glossary = page.locator("details.nw-glossary")
        table_box = page.locator("table.rows-and-columns").bounding_box()
        glossary_box = glossary.bounding_box()
        assert table_box and glossary_box and glossary_box["y"] > table_box["y"] + table_box["height"]
        assert not glossary.evaluate("d => d.open") and glossary_box["height"] < 60  # collapsed
        assert table_box["y"] < 900  # the data starts within the first screen
        page.screenshot(path=str(SHOTS / "b3-reports-list.png"), full_page=True)
        glossary.locator("summary").click()
        assert glossary.locator("dt").count() >= 10
        page.screenshot(path=str(SHOTS / "b4-glossary-open.png"), full_page=True)
        browser.close()
    assert problems == [], problems
