"""A newcomer's journeys on `necwatch demo`, in a real browser (Playwright + Debian's Chromium).

Each journey starts on the home page and follows links by the texts and URLs the home page and the
record pages give (docs/publishing.md, "Journeys"): the 23 January 2024 meeting's minutes within 2
clicks, the paragraph a decision came from (highlighted as the URL's :target) within 3, a person's
page within 2, every
edited report with its diff and every removed report within 2. Every page a journey reaches is
shown at 1280 px and at 390 px (a phone) without horizontal scrolling (the document's scrollWidth
is its clientWidth), with a screenshot of each in artifacts/screenshots/ (gitignored).

What a page must show is worked out from the database (the records, the minutes tables, the
versions and alerts), not from the page.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from necwatch.demo_history import SECOND_REPORT_AUTHOR, SECOND_REPORT_TITLE

from .conftest import serving

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
WIDTHS = (1280, 390)
MEETING_DAY = "2024-01-23"
MEETING_WORDS = "23 January 2024"

browser_only = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"
)


# -- the site and the browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo database for this module's server (named demo.db: URLs are /demo/…)."""
    dest = tmp_path_factory.mktemp("journeys") / "demo.db"
    shutil.copyfile(demo_db, dest)
    return dest


@pytest.fixture(scope="module")
def server(site_db: Path) -> Iterator[str]:
    """`datasette serve` as deployed (bundle, templates, static, settings), as test_browser runs it."""
    with serving(site_db, site_db.parent / "bundle") as base:
        yield base


class Journey:
    """A reader on one page, from the home page, counting the links they follow."""

    def __init__(self, page: Any, base: str, name: str) -> None:
        self.page, self.base, self.name = page, base, name
        self.clicks = 0
        self.shown: list[str] = []
        page.goto(base + "/")
        self.check_fits("home")

    def click(self, text: str | re.Pattern[str] | None = None, *, href: str | None = None) -> None:
        """Follow the first link with exactly this text (or matching it), and/or whose href
        matches `href` (a regular expression), as a reader would see it."""
        links = self.page.locator("a:visible")
        if text is not None:
            pattern = text if isinstance(text, re.Pattern) else re.compile(rf"^\s*{re.escape(text)}\s*$")
            links = links.filter(has_text=pattern)
        if href is not None:
            hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
            matching = [i for i, h in enumerate(hrefs) if re.search(href, h)]
            assert matching, f"{self.name}: no link {text!r} to {href!r} on {self.page.url}: {hrefs[:20]}"
            link = links.nth(matching[0])
        else:
            assert links.count(), f"{self.name}: no link {text!r} on {self.page.url}"
            link = links.first
        link.click()
        self.page.wait_for_load_state()
        self.clicks += 1
        self.check_fits(f"{self.clicks}")

    def check_fits(self, step: str) -> None:
        """The page at each width: no horizontal scrolling, and a screenshot."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            scroll, client = self.page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll <= client, (
                f"{self.name} step {step} at {width} px scrolls sideways: {self.page.url}"
            )
            self.page.screenshot(path=str(SHOTS / f"journey-{self.name}-{step}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        self.shown.append(self.page.url)

    def text(self) -> str:
        return " ".join(str(self.page.inner_text("body")).split())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; no JavaScript error or CSP violation may happen on it."""
    p = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
    problems: list[str] = []
    p.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: problems.append(str(e)))
    yield p
    p.close()
    assert not [m for m in problems if "Content Security Policy" in m or "Refused" in m], problems


def _db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _words(text: str) -> str:
    return " ".join(text.split())


# -- the demo's two reporters (runs now) ----------------------------------------------------------


def test_the_demo_meeting_has_two_reporters_the_second_a_marked_fixture(site_db: Path) -> None:
    """The demo's 23 January 2024 meeting: Luke Akehurst's report and the demo's second reporter's,
    clearly marked, which agrees on the items and disagrees on one point: whether the NEC voted on
    the final Forde paper (the fixture: carried 24 to 8; his: the NEC received it)."""
    db = _db(site_db)
    reports = {
        r["author"]: r
        for r in db.execute(
            "select id, author, title, body_text, source from reports "
            "where meeting_date = ? and is_nec_report = 1 and duplicate_of is null",
            [MEETING_DAY],
        )
    }
    assert set(reports) == {"Luke Akehurst", SECOND_REPORT_AUTHOR}
    fixture = reports[SECOND_REPORT_AUTHOR]
    assert fixture["title"] == SECOND_REPORT_TITLE and "demo fixture" in fixture["title"]
    assert fixture["body_text"].startswith("[Demo fixture: this report was written for the necwatch demo")

    def items(report_id: str) -> list[str]:
        return [
            r[0]
            for r in db.execute("select title from items where report_id = ? order by position", [report_id])
        ]

    def decisions(report_id: str) -> list[sqlite3.Row]:
        return list(db.execute("select * from decisions where report_id = ? order by position", [report_id]))

    akehurst, second = reports["Luke Akehurst"]["id"], fixture["id"]
    # the same agenda: the Forde Report, the General Secretary's and the Deputy Leader's reports
    for title in ("Forde", "General Secretary's report", "Deputy Leader's report"):
        assert any(title in t for t in items(akehurst)) and any(title in t for t in items(second)), title
    # the one point of disagreement: a vote on the Forde paper in one, none in the other
    forde = [d for d in decisions(second) if d["item"] == "Forde Report"]
    assert [(d["outcome"], d["votes_for"], d["votes_against"]) for d in forde] == [("carried", 24, 8)]
    # his states no vote on it (today his record holds no Forde decision; were "receiving" ever read
    # as "noted", it would still be no vote)
    his = [d for d in decisions(akehurst) if "Forde" in (d["item"] or "")]
    assert all(d["outcome"] == "noted" and d["votes_for"] is None for d in his), [tuple(d) for d in his]
    assert "receiving a final paper" in reports["Luke Akehurst"]["body_text"]
    # and decisions for the minutes to show: agreed unanimously, carried 22-12
    assert {(d["outcome"], d["manner"], d["votes_for"], d["votes_against"]) for d in decisions(second)} >= {
        ("agreed", "unanimous", None, None),
        ("carried", "contested", 22, 12),
    }


@browser_only
def test_the_meeting_and_both_its_reports_are_one_click_from_home(
    server: str, site_db: Path, page: Any
) -> None:
    """Today's site: the home page's recent meetings link the 23 January 2024 meeting, whose page
    links both reports (the second marked as the demo's fixture)."""
    journey = Journey(page, server, "meeting-reports")
    journey.click(re.compile(rf"^\s*({MEETING_WORDS}|{MEETING_DAY})\s*$"), href=r"meeting_reports\?meeting=")
    assert journey.clicks == 1 and "/demo/meeting_reports?meeting=" in page.url
    ids = [r[0] for r in _db(site_db).execute("select id from reports where meeting_date = ?", [MEETING_DAY])]
    for report_id in ids:
        assert page.locator(f"a[href='/demo/reports/{report_id}']").count() >= 1, report_id
    assert SECOND_REPORT_TITLE in journey.text()


# -- the journeys of issue 20 (need the other parts' pages) ---------------------------------------


def _minutes(site_db: Path) -> sqlite3.Row:
    row = _db(site_db).execute("select * from minutes where date = ?", [MEETING_DAY]).fetchone()
    assert row is not None, "no minutes for 23 January 2024"
    return row


def test_the_demo_minutes_merge_two_reporters_with_one_disagreement(site_db: Path) -> None:
    minutes = _minutes(site_db)
    assert minutes["reports"] == 2
    assert set(json.loads(minutes["reporters"])) == {"Luke Akehurst", SECOND_REPORT_AUTHOR}
    assert minutes["disagreements"] == 1
    (point,) = _db(site_db).execute(
        "select * from minutes_disagreements where meeting_id = ?", [minutes["meeting_id"]]
    )
    versions = json.loads(point["versions"])
    assert {r for v in versions for r in v["reporters"]} == {"Luke Akehurst", SECOND_REPORT_AUTHOR}


def _to_minutes(page: Any, server: str, name: str) -> Journey:
    journey = Journey(page, server, name)
    journey.click("Meetings")
    journey.click(MEETING_WORDS, href=r"meeting_reports\?meeting=")
    assert journey.clicks == 2 and "/demo/meeting_reports?meeting=" in page.url
    return journey


@browser_only
def test_minutes_of_23_january_2024_within_two_clicks(server: str, site_db: Path, page: Any) -> None:
    journey = _to_minutes(page, server, "minutes")
    text = journey.text()
    # the Forde item, as a heading of the minutes
    headings = page.locator("h2, h3, h4").all_inner_texts()
    assert any("Forde" in h for h in headings), headings
    # its decisions, in the minutes' words
    assert "Carried 22–12" in text and "Agreed unanimously" in text
    # the Forde paper: carried 24-8 on a vote in one report, only received in the other
    assert "Outcome disputed" in text and "whether a vote was held" in text
    minutes = _minutes(site_db)
    db = _db(site_db)
    for d in db.execute(
        "select summary from minutes_decisions where meeting_id = ?", [minutes["meeting_id"]]
    ):
        assert _words(d["summary"])[:60] in text, d["summary"]
    # the disagreement side by side: each reporter's version quoted
    for point in db.execute(
        "select versions from minutes_disagreements where meeting_id = ?", [minutes["meeting_id"]]
    ):
        for version in json.loads(point["versions"]):
            for quote in version.get("quotes") or []:
                assert _words(quote)[:60] in text, quote
    assert "Luke Akehurst" in text and SECOND_REPORT_AUTHOR in text


@browser_only
def test_the_paragraph_a_decision_came_from_within_three_clicks(
    server: str, site_db: Path, page: Any
) -> None:
    journey = _to_minutes(page, server, "paragraph")
    journey.click("paragraph", href=r"/demo/reports/[^/#?]+#p[0-9a-f]+$")
    assert journey.clicks == 3
    report_id, paragraph = re.search(r"/demo/reports/([^/#?]+)#(p[0-9a-f]+)$", page.url).groups()  # type: ignore[union-attr]
    assert (
        page.evaluate("document.querySelector(':target') && document.querySelector(':target').id")
        == paragraph
    )
    # highlighted: the target looks unlike the paragraph after or before it
    style = (
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).outlineStyle,"
        " getComputedStyle(e).borderLeftStyle]"
    )
    target = page.eval_on_selector(":target", style)
    other = page.eval_on_selector(f"[id^='p']:not(#{paragraph})", style)
    assert target != other, (target, other)
    # the paragraph holds what the minutes quote from it
    quotes = [
        r[0]
        for r in _db(site_db).execute(
            "select quote from minutes_sources where report_id = ? and paragraph = ?", [report_id, paragraph]
        )
    ]
    assert quotes and all(_words(q)[:60] in _words(page.inner_text(f"#{paragraph}")) for q in quotes)


@browser_only
def test_a_persons_page_within_two_clicks(server: str, page: Any) -> None:
    journey = Journey(page, server, "person")
    journey.click("People")
    journey.click(href=r"/demo/people/[^/.?#]+$")
    assert journey.clicks == 2
    person_id = re.search(r"/demo/people/([^/.?#]+)$", page.url).group(1)  # type: ignore[union-attr]
    assert page.locator("h1").count() == 1 and page.inner_text("h1").strip()
    # its feed, advertised in the page's head or linked in it
    feeds = page.locator(
        f"link[rel=alternate][href$='/people/{person_id}.atom'], a[href$='/people/{person_id}.atom']"
    )
    assert feeds.count() >= 1


@browser_only
def test_every_edited_report_with_its_diff_within_two_clicks(server: str, site_db: Path, page: Any) -> None:
    journey = Journey(page, server, "edited")
    journey.click("Edited reports")
    assert journey.clicks <= 2 and page.url.split("?")[0].endswith("/demo/edited_reports")
    edited = [
        r[0]
        for r in _db(site_db).execute("select distinct report_id from report_versions where kind = 'edit'")
    ]
    assert edited
    for report_id in edited:
        assert page.locator(f"a[href='/demo/reports/{report_id}']").count() >= 1, report_id
    # the word diff, highlighted: the demo's edit is an insertion
    inserted = " ".join(page.locator("ins").all_inner_texts())
    assert "[Edited in the necwatch demo:" in inserted
    assert page.locator("ins, del").count() >= len(edited)


@browser_only
def test_every_removed_report_within_two_clicks(server: str, site_db: Path, page: Any) -> None:
    journey = Journey(page, server, "removed")
    journey.click("Removed reports")
    assert journey.clicks <= 2 and page.url.split("?")[0].endswith("/demo/removed_reports")
    db = _db(site_db)
    removed = [
        r[0] for r in db.execute("select distinct report_id from alerts where kind = 'report_removed'")
    ]
    assert removed
    for report_id in removed:
        assert page.locator(f"a[href='/demo/reports/{report_id}']").count() >= 1, report_id
    back = [
        r[0]
        for r in db.execute(
            "select id from reports where removed_at is null "
            "and id in (select report_id from alerts where kind = 'report_restored')"
        )
    ]
    if back:  # a report that came back says so
        assert re.search(r"came back|restored", journey.text(), re.I)
