"""The record pages: a meeting's minutes, the meetings, a person (+ feed), the decisions (+ feed),
and paragraph ids on the report page; on the demo database with minutes rows composed here
(tests/publish/minutes_rows.py) for its 28 March 2023 meeting and a second, composed report of it."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import pytest

from necwatch.publish.plugin import sanitize
from necwatch.publish.record_pages import body_with_ids, date_words, decision_headline
from necwatch.record.text import paragraph_id, split_paragraphs

from .conftest import serving
from .minutes_rows import Decision, Disagreement, Item, Minutes, Report, Version, clear_minutes, write_minutes
from .scan import html_payloads

LUKE = "178e840b7642e585"  # Luke Akehurst, NEC Report – 28 March 2023 (the demo's)
SECOND = "5ec0d0000a11b1ac"  # composed here: a second member's report of that meeting
JAN = "5d2fed3db43821ad"  # Luke Akehurst, NEC Report – 23 January 2024
# Written for these tests in the genre of an NEC report (not copied from any report).
SECOND_PARAGRAPHS = [
    "Report of the NEC meeting, 28 March 2023",
    "Keir Starmer's motion on the candidacy of Jeremy Corbyn was carried by 21 votes to 12 after a long"
    " debate.",
    "I voted against the motion.",
    "Amendment to our parliamentary selection procedures",
    "The amendment was agreed unanimously.",
    "Ann Black said that members deserved a clear timetable for selections.",
]
MOTION = "There was a very passionate debate, resulting in the motion passing by 22 votes to 12."


def _pid(text: str) -> str:
    return paragraph_id(text)


def add_second_report(
    conn: sqlite3.Connection,
    *,
    title: str = "NEC report: 28 March 2023",
    author: str = "Ann Black",
    extra: str = "",
) -> None:
    body_text = "\n\n".join(SECOND_PARAGRAPHS) + extra
    body_html = "".join(f"<p>{p}</p>" for p in SECOND_PARAGRAPHS) + extra
    conn.execute(
        "insert into reports (id, title, author, published_at, meeting_date, meeting_kind, is_nec_report, "
        "canonical_url, source, post_count, comment_count, version, content_hash, first_seen_at, body_text, "
        "body_html, words) values (?, ?, ?, '2023-03-31T09:00:00+00:00', '2023-03-28', 'full', 1, "
        "'https://example.org/demo-fixture', 'demo-fixture', 1, 0, 1, 'v1:demo', "
        "'2023-03-31T09:00:00+00:00', "
        "?, ?, 60)",
        [SECOND, title, author, body_text, body_html],
    )
    conn.execute(
        "insert into statements (report_id, position, version, paragraph, speaker, person_id, quote, verb, "
        "vote) values (?, 0, 1, ?, ?, 'ann-black', ?, 'voted', 'against'), "
        "(?, 1, 1, ?, ?, 'ann-black', ?, 'said', null)",
        [
            SECOND,
            _pid(SECOND_PARAGRAPHS[2]),
            author,
            SECOND_PARAGRAPHS[2],
            SECOND,
            _pid(SECOND_PARAGRAPHS[5]),
            author,
            SECOND_PARAGRAPHS[5],
        ],
    )
    conn.execute(
        "insert into mentions (report_id, position, version, paragraph, name, canonical, person_id, role, "
        "paragraphs, written) values (?, 0, 1, ?, 'Keir Starmer', 'Keir Starmer', 'keir-starmer', 'Leader', "
        "'[]', '[]')",
        [SECOND, _pid(SECOND_PARAGRAPHS[1])],
    )
    conn.execute(
        "insert into decisions (report_id, position, version, paragraph, item, quote, outcome, manner, "
        "votes_for, "
        "votes_against, mover, mover_id) values (?, 0, 1, ?, null, ?, 'carried', 'contested', 21, 12, "
        "'Keir Starmer', 'keir-starmer')",
        [SECOND, _pid(SECOND_PARAGRAPHS[1]), SECOND_PARAGRAPHS[1]],
    )


def march_minutes(
    reporter: str = "Ann Black",
    summary: str = "the motion on the candidacy of Jeremy Corbyn",
    removed: bool = False,
) -> Minutes:
    amendment = Item(
        "Amendment to our parliamentary selection procedures",
        (
            (LUKE, "Amendment to our parliamentary selection procedures", "p338410a601"),
            (SECOND, SECOND_PARAGRAPHS[3], _pid(SECOND_PARAGRAPHS[3])),
        ),
    )
    safeguarding = Item("New safeguarding policies", ((LUKE, "New safeguarding policies", "pda90d1a6a2"),))
    return Minutes(
        meeting_id="2023-03-28",
        date="2023-03-28",
        kind="full",
        reports=(
            Report(
                LUKE,
                "Luke Akehurst",
                "2023-03-30T10:20:00+00:00",
                2,
                only_here=("New safeguarding policies",),
            ),
            Report(SECOND, reporter, "2023-03-31T09:00:00+00:00", 3, removed=removed),
        ),
        items=(amendment, safeguarding),
        decisions=(
            Decision(
                summary,
                (
                    Version(LUKE, "p8f98347986", MOTION, "carried", "contested", 22, 12),
                    Version(
                        SECOND,
                        _pid(SECOND_PARAGRAPHS[1]),
                        SECOND_PARAGRAPHS[1],
                        "carried",
                        "contested",
                        21,
                        12,
                    ),
                ),
                outcome="carried",
                manner="contested",
                votes_for=22,
                votes_against=12,
                mover="Keir Starmer",
                mover_id="keir-starmer",
            ),
            Decision(
                "the amendment to the selection procedures",
                (
                    Version(
                        LUKE,
                        "p338410a601",
                        "This proposal was agreed unanimously.",
                        "agreed",
                        "unanimous",
                        report_position=1,
                    ),
                    Version(SECOND, _pid(SECOND_PARAGRAPHS[4]), SECOND_PARAGRAPHS[4], "agreed", "unanimous"),
                ),
                item=0,
                outcome="agreed",
                manner="unanimous",
            ),
            Decision(
                "a suite of new safeguarding policies",
                (
                    Version(
                        LUKE,
                        "pda90d1a6a2",
                        "Finally, we agreed a suite of new safeguarding policies.",
                        "agreed",
                        report_position=5,
                    ),
                ),
                item=1,
                outcome="agreed",
            ),
        ),
        disagreements=(
            Disagreement(
                "count",
                "22-12 or 21-12",
                (
                    {
                        "value": "22-12",
                        "reporters": ["Luke Akehurst"],
                        "report_ids": [LUKE],
                        "paragraphs": ["p8f98347986"],
                        "quotes": [MOTION],
                        "removed": False,
                        "removed_reports": [],
                    },
                    {
                        "value": "21-12",
                        "reporters": [reporter],
                        "report_ids": [SECOND],
                        "paragraphs": [_pid(SECOND_PARAGRAPHS[1])],
                        "quotes": [SECOND_PARAGRAPHS[1]],
                        "removed": removed,
                        "removed_reports": [SECOND] if removed else [],
                    },
                ),
                decision=0,
            ),
        ),
        statements=2,
    )


def january_minutes() -> Minutes:
    return Minutes(
        meeting_id="2024-01-23",
        date="2024-01-23",
        kind="full",
        reports=(Report(JAN, "Luke Akehurst", "2024-01-24T12:00:00+00:00", 1),),
        items=(
            Item("NEC's work on the Forde Report", ((JAN, "NEC's work on the Forde Report", "pa033ac323b"),)),
        ),
    )


@pytest.fixture
def minutes_db(db_copy: Path) -> Path:
    """The demo with only the minutes composed here (the merge's own, once it writes them, cleared)."""
    conn = sqlite3.connect(db_copy)
    clear_minutes(conn)
    add_second_report(conn)
    write_minutes(conn, march_minutes())
    write_minutes(conn, january_minutes())
    conn.commit()
    conn.close()
    return db_copy


def _text(html: str) -> str:
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([:,.;)])", r"\1", text)


def _readable(html: str) -> None:
    """A reader's page: no snake_case words, no SQL, no raw ISO dates in its text."""
    text = _text(html.split("<body", 1)[1].split(">", 1)[1].split("<script", 1)[0])
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\bselect\b.*\bfrom\b", text, re.I)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), re.findall(r"\d{4}-\d{2}-\d{2}", text)


def test_words_a_reader_reads() -> None:
    assert date_words("2024-01-23") == "23 January 2024"
    assert date_words("2017-07") == "July 2017"
    assert date_words("2023-03-30T10:20:00+00:00") == "30 March 2023"
    carried = {
        "outcome": "carried",
        "manner": "contested",
        "votes_for": 22,
        "votes_against": 12,
        "counted": 1,
    }
    assert decision_headline(carried) == ("Carried 22–12", False)
    assert decision_headline({"outcome": "agreed", "manner": "unanimous", "counted": 0}) == (
        "Agreed unanimously",
        False,
    )
    assert decision_headline({"outcome": "carried", "manner": "contested", "counted": 0}) == (
        "Carried on a vote",
        True,
    )
    assert decision_headline({"outcome": None, "counted": 0}) == ("Outcome disputed", False)


def test_meeting_page_reads_like_minutes(client_for: Any, minutes_db: Path) -> None:
    html = client_for(minutes_db).get("/demo/meeting_reports?meeting=2023-03-28").text
    text = _text(html)
    assert "<h1>NEC meeting, 28 March 2023</h1>" in html
    assert "Merged from 2 reports by Luke Akehurst and Ann Black" in text
    assert "Agreed unanimously: the amendment to the selection procedures" in text
    assert "Corroborated by Luke Akehurst and Ann Black" in text
    assert "Agreed: a suite of new safeguarding policies" in text and "Single source: Luke Akehurst" in text
    # the count is disputed: no count in the line, both versions side by side, attributed and quoted
    assert "Outcome disputed" not in text and "Carried on a vote: the motion on the candidacy" in text
    assert "Count not reported." not in text.split("Carried on a vote")[1][:80]
    assert "The reports differ on the count: 22-12 or 21-12" in text
    side = html.split('class="nw-side-versions"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "22–12" in side and "21–12" in side and "22 votes to 12" in side and "21 votes to 12" in side
    # every version links to its paragraph with the link text "paragraph"
    para = _pid(SECOND_PARAGRAPHS[1])
    assert f'<a href="/demo/reports/{SECOND}#{para}">paragraph</a>' in html
    assert f'<a href="/demo/reports/{LUKE}#p8f98347986">paragraph</a>' in html
    # names link to person pages; statements by speaker; stated votes; coverage
    assert '<a href="/demo/people/keir-starmer">Keir Starmer</a>' in html
    assert "Ann Black voted against: “I voted against the motion.”" in text.replace('"', "“", 1).replace(
        '"', "”", 1
    ) or ("voted against" in text and "I voted against the motion." in text)
    assert "Only Luke Akehurst's report mentions: New safeguarding policies." in text
    assert f'<a href="/demo/report_history?report_id={LUKE}">' in html
    _readable(html)  # dates in words (the meeting id only in URLs), no snake_case


def test_count_not_reported_and_a_plain_date_and_fallback(client_for: Any, minutes_db: Path) -> None:
    conn = sqlite3.connect(minutes_db)
    m = march_minutes()
    undisputed = Minutes(
        **{
            **m.__dict__,
            "disagreements": (),
            "decisions": (
                Decision("the motion", m.decisions[0].versions, outcome="carried", manner="contested"),
            ),
        }
    )
    write_minutes(conn, undisputed)
    conn.commit()
    conn.close()
    c = client_for(minutes_db)
    text = _text(c.get("/demo/meeting_reports?meeting=2023-03-28").text)
    assert "Carried on a vote: the motion Count not reported." in text
    jan = _text(c.get("/demo/meeting_reports?meeting=2024-01-23").text)
    assert "NEC's work on the Forde Report Reported by Luke Akehurst" in jan and "0 decisions." in jan
    # a meeting with no minutes is still the reports side by side

    conn.close()
    old = c.get("/demo/meeting_reports?meeting=2017-07").text
    assert 'class="table-wrapper nw-side-by-side"' in old and "nw-minutes" not in old


def test_a_removed_reports_contribution_stays_marked(client_for: Any, minutes_db: Path) -> None:
    conn = sqlite3.connect(minutes_db)
    conn.execute("update reports set removed_at = '2023-04-02T00:00:00+00:00' where id = ?", [SECOND])
    write_minutes(conn, march_minutes(removed=True))
    conn.commit()
    conn.close()
    text = _text(client_for(minutes_db).get("/demo/meeting_reports?meeting=2023-03-28").text)
    assert "21 votes to 12" in text and "(from a removed report)" in text and "removed 2 April 2023" in text


def test_disagreements_as_the_merge_writes_them(client_for: Any, minutes_db: Path) -> None:
    """Versions as record.minutes writes them: distinct report ids and reporters, one quote and one
    paragraph per statement (a report may state it twice), a vote against "noted only"; the merged
    people of `minutes.people` when the merge wrote that column; a date one reporter gave."""
    conn = sqlite3.connect(minutes_db)
    if "people" not in {c[1] for c in conn.execute("pragma table_info(minutes)")}:
        conn.execute("alter table minutes add column people text")  # the merge's column (migration 16)
    conn.execute("update reports set meeting_date = '2023-03-29' where id = ?", [SECOND])
    m = march_minutes()
    twice = (MOTION, "The motion was carried on a vote.")
    vote_held = Disagreement(
        "vote_held",
        "carried on a vote or only noted",
        (
            {"value": "a vote", "reporters": ["Luke Akehurst"], "report_ids": [LUKE],
             "paragraphs": ["p8f98347986", "p8f98347986"], "quotes": list(twice), "removed": False,
             "removed_reports": []},
            {"value": "noted only", "reporters": ["Ann Black"], "report_ids": [SECOND],
             "paragraphs": [_pid(SECOND_PARAGRAPHS[1])], "quotes": [SECOND_PARAGRAPHS[1]], "removed": False,
             "removed_reports": []},
        ),
        decision=0,
    )  # fmt: skip
    source = {"report_id": SECOND, "paragraph": _pid(SECOND_PARAGRAPHS[5]), "removed": False}
    people = [{"person_id": None, "name": "Jo Bloggs-Smith", "role": "Treasurer", "reporters": ["Ann Black"],
               "sources": [source]}]  # fmt: skip
    write_minutes(
        conn,
        Minutes(**{**m.__dict__, "disagreements": (vote_held,), "extra": {"people": json.dumps(people)}}),
    )
    conn.commit()
    conn.close()
    html = client_for(minutes_db).get("/demo/meeting_reports?meeting=2023-03-29").text  # Ann Black's date
    text = _text(html)
    assert "<h1>NEC meeting, 28 March 2023</h1>" in html
    assert "The reports differ on whether a vote was held: carried on a vote or only noted" in text
    side = _text(html.split('class="nw-side-versions"', 1)[1].split("</div>\n</div>", 1)[0])
    assert side.count("Luke Akehurst:") == 2 and "The motion was carried on a vote." in side
    assert "a vote" in side and "noted only" in side
    assert side.count("paragraph") == 3
    assert "Jo Bloggs-Smith (not on necwatch's roster), Treasurer (named by Ann Black, paragraph)" in text


def test_meetings_list(client_for: Any, minutes_db: Path) -> None:
    html = client_for(minutes_db).get("/demo/meetings").text
    assert '<a href="/demo/meeting_reports?meeting=2024-01-23">23 January 2024</a>' in html
    assert '<a href="/demo/meeting_reports?meeting=2023-03-28">28 March 2023</a>' in html
    row = html.split("28 March 2023</a>", 1)[1].split("</tr>", 1)[0]
    assert "Luke Akehurst and Ann Black" in row and "(2 reports)" in row and "3 <span" in row
    assert "1 point" in row
    assert html.index("23 January 2024") < html.index("28 March 2023")  # newest first
    _readable(html)
    c = client_for(minutes_db)
    filtered = c.get("/demo/meetings?meeting_date=2024-01-23").text  # Datasette's filters: its page
    assert "nw-meetings" not in filtered and "2024-01-23" in filtered


def test_meetings_list_without_minutes_is_datasettes_view(client: Any) -> None:
    assert 'href="/demo/meeting_reports?meeting=2024-01-23"' in client.get("/demo/meetings").text


def test_person_page_and_feed(client_for: Any, minutes_db: Path) -> None:
    c = client_for(minutes_db)
    html = c.get("/demo/people/ann-black").text
    text = _text(html)
    assert "<h1>Ann Black</h1>" in html
    assert "Roles over time" in text and "NEC member" in text
    assert "Voted against: “I voted against the motion.”" in text.replace('"', "“", 1).replace(
        '"', "”", 1
    ) or ("Voted against:" in text)
    assert "members deserved a clear timetable" in text
    assert f'href="/demo/reports/{SECOND}"' in html  # reports written
    assert '<link rel="alternate" type="application/atom+xml"' in html
    _readable(html)
    keir = _text(c.get("/demo/people/keir-starmer").text)
    assert "Moved: Carried 22–12:" in keir or "Moved: Carried" in keir
    r = c.get("/demo/people/ann-black.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo and feed.feed.title == "necwatch: Ann Black"
    titles = [e.title for e in feed.entries]
    assert "Ann Black voted against at the NEC meeting, 28 March 2023" in titles
    assert all(e.link.startswith("http://localhost/demo/reports/") for e in feed.entries)
    assert all(e.updated[:4] in ("2023", "2024") for e in feed.entries)  # dated by the reports, no 2000
    assert c.get("/demo/people/no-one-at-all").status_code == 404
    assert c.get("/demo/people/ann-black.json").json()["rows"]  # Datasette's JSON stays


def test_decisions_list_search_facets_and_feed(client_for: Any, minutes_db: Path) -> None:
    c = client_for(minutes_db)
    html = c.get("/demo/decisions_list").text
    text = _text(html)
    assert "3 decisions: showing 1–3." in text
    assert "Agreed unanimously: the amendment to the selection procedures" in text
    assert (
        '<a href="/demo/meeting_reports?meeting=2023-03-28#decision-1">NEC meeting, 28 March 2023</a>' in html
    )
    for facet in ("Outcome", "Year", "Meeting", "Count"):
        assert f"<h2>{facet}</h2>" in html
    assert 'href="/demo/decisions_list?outcome=agreed"' in html
    _readable(html)
    agreed = _text(c.get("/demo/decisions_list?outcome=agreed").text)
    assert "2 decisions match" in agreed and "Carried" not in agreed.split("match", 1)[1]
    found = _text(c.get("/demo/decisions_list?q=safeguarding").text)
    assert "1 decision match" in found and "a suite of new safeguarding policies" in found
    by_quote = _text(c.get("/demo/decisions_list?q=21+votes").text)  # a reporter's own words
    assert "1 decision match" in by_quote
    # the disputed count is not a stated count
    assert "3 decisions match" in _text(c.get("/demo/decisions_list?counted=0&year=2023").text)
    assert "No decision matches." in _text(c.get("/demo/decisions_list?counted=1").text)
    r = c.get("/demo/decisions_list.atom?q=safeguarding")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo and [e.title for e in feed.entries] == [
        "Agreed: a suite of new safeguarding policies"
    ]
    assert feed.entries[0].link == "http://localhost/demo/meeting_reports?meeting=2023-03-28#decision-2"
    assert feed.entries[0].updated == "2023-03-30T10:20:00+00:00"  # when it was first reported
    assert len(feedparser.parse(c.get("/demo/decisions_list.atom").content).entries) == 3


def test_report_page_paragraph_ids_are_the_records(client: Any, demo_db: Path) -> None:
    """Every paragraph id the record tables store is an element id on its report page."""
    conn = sqlite3.connect(demo_db)
    wanted: dict[str, set[str]] = {}
    for table in ("items", "decisions", "statements", "mentions"):
        for rid, pid in conn.execute(f"select report_id, paragraph from {table}"):
            wanted.setdefault(rid, set()).add(pid)
    assert sum(map(len, wanted.values())) > 100
    for rid, pids in wanted.items():
        html = client.get(f"/demo/reports/{rid}").text
        ids = set(re.findall(r'<span class="nw-para" id="([^"]+)"', html))
        assert pids <= ids, (rid, pids - ids)
    body = client.get(f"/demo/reports/{LUKE}").text
    assert '<span class="nw-para" id="p8f98347986">There was a very passionate debate' in body


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<p>One.</p><p>Two <b>bold</b> and <a href='https://x.org'>a link</a>.</p>",
            "One.\n\nTwo bold and a link.",
        ),
        (
            "<p><b>Leader's report</b></p><p>Line one.<br>Line two.</p>",
            "Leader's report\n\nLine one.\nLine two.",
        ),
        ("<ul><li>First item</li><li>Second item</li></ul>", "First item\n\nSecond item"),
        ("<p><a href='https://x.org'>Linked</a> start.</p>", "Linked start."),
        ("<div>Loose text<p>Inner.</p>tail text</div>", "Loose text\n\nInner.\n\ntail text"),
        (
            "<p><b>Across<br>two lines.</b></p><p>Same.</p><p>Same.</p>",
            "Across\ntwo lines.\n\nSame.\n\nSame.",
        ),
    ],
)
def test_body_with_ids_wraps_every_paragraph_with_its_record_id(html: str, text: str) -> None:
    out = str(body_with_ids(sanitize(html)))
    ids = re.findall(r'<span class="nw-para" id="([^"]+)"', out)
    assert ids == [p.id for p in split_paragraphs(text)]
    assert _text(out) == _text(sanitize(html))  # the text is untouched
    assert out.count("<span") == out.count("</span>")  # well nested


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>\"'><svg onload=alert(2)>"


def test_untrusted_text_is_escaped_on_every_record_page(client_for: Any, db_copy: Path) -> None:
    """Quotes, names, headings and reporters as an attacker would write them: every record page
    shows them as text (the browser XSS test opens the same pages in Chromium)."""
    conn = sqlite3.connect(db_copy)
    hostile_minutes(conn)
    conn.commit()
    conn.close()
    c = client_for(db_copy)
    for path in RECORD_PAGES:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        if path.endswith(".atom"):
            from .scan import atom_payloads

            assert atom_payloads(r.content) == [], path
            assert not feedparser.parse(r.content).bozo
            continue
        assert html_payloads(r.text) == [], path
        assert "&lt;script&gt;" in r.text, path  # the hostile text was rendered, as text


RECORD_PAGES = [
    "/demo/meeting_reports?meeting=2023-03-28",
    "/demo/meetings",
    "/demo/people/ann-black",
    "/demo/people/ann-black.atom",
    "/demo/decisions_list",
    "/demo/decisions_list?q=alert",
    "/demo/decisions_list.atom",
    f"/demo/reports/{SECOND}",
]


def hostile_minutes(conn: sqlite3.Connection) -> None:
    """The composed second report and its minutes with hostile names, quotes and headings."""
    clear_minutes(conn)
    add_second_report(conn, title="Evil " + HOSTILE, author="Ann Black", extra="<p>" + HOSTILE + "</p>")
    conn.execute(
        "update statements set quote = ?, speaker = ? where report_id = ?", [HOSTILE, HOSTILE, SECOND]
    )
    conn.execute(
        "update mentions set name = ?, canonical = ?, role = ? where report_id = ?",
        [HOSTILE, HOSTILE, HOSTILE, SECOND],
    )
    m = march_minutes(reporter=HOSTILE, summary=HOSTILE)
    items = (Item(HOSTILE, m.items[0].sources), *m.items[1:])
    versions = tuple({**v, "quotes": [HOSTILE], "value": HOSTILE} for v in m.disagreements[0].versions)
    dis = (Disagreement("count", HOSTILE, versions, decision=0), Disagreement("date", HOSTILE, versions))
    decisions = (
        Decision(
            HOSTILE,
            (Version(SECOND, HOSTILE, HOSTILE, "carried"),),
            item=0,
            outcome="carried",
            mover=HOSTILE,
            mover_id='x"><script>alert(3)</script>',
        ),
        *m.decisions[1:],
    )
    write_minutes(
        conn, Minutes(**{**m.__dict__, "items": items, "disagreements": dis, "decisions": decisions})
    )


# -- in a real browser (Playwright with Debian's Chromium, as test_browser.py) -----------------------


@contextlib.contextmanager
def _serving(db: Path, tmp_path: Path) -> Iterator[str]:
    """`datasette serve` as deployed (bundle with the plugin and record_pages copies) on `db`."""
    with serving(db, tmp_path / "bundle") as base:
        assert (tmp_path / "bundle" / "plugins" / "necwatch_record_pages.py").is_file()
        yield base


def _browser_problems(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    return problems


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_minutes_to_the_highlighted_paragraph_in_a_browser(minutes_db: Path, tmp_path: Path) -> None:
    """Meetings → a meeting's minutes → a decision's "paragraph": the report page scrolls to that
    paragraph and highlights it; the record pages fit a 390 px phone without sideways scrolling."""
    from playwright.sync_api import sync_playwright

    from .test_browser import ARGS, CHROMIUM, SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    with _serving(minutes_db, tmp_path) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = _browser_problems(page)
        page.goto(server + "/demo/meetings")
        page.screenshot(path=str(SHOTS / "r1-meetings.png"), full_page=True)
        page.click("a:text-is('28 March 2023')")
        page.wait_for_load_state()
        assert "meeting=2023-03-28" in page.url
        assert page.locator("li.nw-decision").count() == 3
        assert page.locator(".nw-disagreement .nw-side-version").count() == 2
        page.screenshot(path=str(SHOTS / "r2-minutes.png"), full_page=True)
        page.locator("#decision-0 .nw-versions a:text-is('paragraph')").nth(1).click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/demo/reports/{SECOND}#{_pid(SECOND_PARAGRAPHS[1])}")
        target = page.locator(":target")
        assert target.count() == 1 and "21 votes to 12" in target.inner_text()
        assert target.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 241, 168)"
        box = target.bounding_box()
        assert box is not None and 0 <= box["y"] < 900  # scrolled to it
        page.screenshot(path=str(SHOTS / "r3-paragraph.png"))
        for path, shot in [("/demo/people/ann-black", "r4-person"), ("/demo/decisions_list", "r5-decisions")]:
            page.goto(server + path)
            page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        problems += _browser_problems(phone)
        for path in (
            "/demo/meeting_reports?meeting=2023-03-28",
            "/demo/meetings",
            "/demo/people/ann-black",
            "/demo/decisions_list",
        ):
            phone.goto(server + path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        phone.goto(server + "/demo/meeting_reports?meeting=2023-03-28")
        phone.screenshot(path=str(SHOTS / "r6-minutes-390.png"), full_page=True)
        browser.close()
    assert problems == [], problems


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_no_script_runs_on_any_record_page_in_a_browser(db_copy: Path, tmp_path: Path) -> None:
    """The hostile names, quotes and headings of test_untrusted_text_is_escaped_on_every_record_page,
    opened in Chromium: no dialog, no CSP violation, no error, and the text is shown."""
    from playwright.sync_api import sync_playwright

    from .test_browser import ARGS, CHROMIUM

    conn = sqlite3.connect(db_copy)
    hostile_minutes(conn)
    conn.commit()
    conn.close()
    with _serving(db_copy, tmp_path) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = _browser_problems(page)
        for path in RECORD_PAGES:
            if path.endswith(".atom"):
                continue
            page.goto(server + path)
            page.wait_for_load_state("load")
            assert "<script>alert('x')</script>" in page.locator("body").inner_text(), path
        browser.close()
    # the hostile body's <img src=x> (kept by the sanitizer, a relative image) answers 404: not a script
    assert [m for m in problems if "status of 404" not in m] == [], problems


BLOCK_NECWATCH = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "necwatch" or name.startswith("necwatch."):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
from datasette.utils import module_from_path
plugin = module_from_path(sys.argv[1], "necwatch_plugin")
pages = plugin._record_pages()
assert pages.__name__ == "necwatch_record_pages", pages.__name__
print(pages.body_with_ids(plugin.sanitize("<p>One.</p><p>Two <b>words</b>.</p>")))
print(len(pages.routes(plugin.query_page)))
"""


def test_the_deployed_plugin_loads_the_record_pages_beside_it_without_necwatch(
    demo_db: Path, tmp_path: Path
) -> None:
    """`datasette publish` installs neither necwatch nor its record module: the bundle's plugin loads
    the record pages from the copy beside it, and paragraphs still get the record's ids."""
    from necwatch.publish import write_bundle

    plugins = write_bundle(demo_db, tmp_path / "bundle")["plugins"]
    out = subprocess.run(
        [sys.executable, "-c", BLOCK_NECWATCH, str(plugins / "necwatch_plugin.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.splitlines()
    assert out[0] == (
        f'<p><span class="nw-para" id="{_pid("One.")}">One.</span></p>'
        f'<p><span class="nw-para" id="{_pid("Two words.")}">Two <b>words</b>.</span></p>'
    )
    assert out[1] == "6"
