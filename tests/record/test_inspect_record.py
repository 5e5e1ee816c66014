"""`necwatch inspect TARGET --json`: every post gains "record" (Record.as_json()), derived as a run
derives a stored report's; the human output shows it too (meeting, decisions with outcome and count
or "count not reported", people, unmatched)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.normalize import content_hash
from necwatch.record import derive
from tests.record.test_store_record import ROSTER, fake_extract

FIXTURES = Path(__file__).parent.parent / "extract" / "fixtures"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>NEC Report – 21 March 2024 | A Member's Blog</title>
<meta property="article:published_time" content="2024-03-21T23:30:00+00:00">
<meta name="author" content="Pat Member">
</head><body><main><article class="post">
<h1 class="entry-title">NEC Report – 21 March 2024</h1>
<div class="entry-content">
<p>The NEC met on 21 March 2024. Keir Starmer gave the Leader's report.</p>
<p>The rule changes for conference were carried by 22 votes to 12.</p>
<p>Cllr Zed Quorum asked about the selection timetable.</p>
<p>We noted the report of the Organisation Committee.</p>
</div></article></main></body></html>
"""
RECORD_KEYS = {"version", "meeting", "items", "decisions", "people", "statements", "unmatched"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["inspect", *args])
    return result.exit_code, result.stdout


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(PAGE, encoding="utf-8")
    return path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(derive, "extract_record", fake_extract)
    monkeypatch.setattr(derive, "roster_for", lambda people=None: ROSTER)


def test_every_post_has_a_record_of_the_contract_s_shape(page: Path) -> None:
    """With whatever extractors the tree has: the shape, and the version is the text's content hash."""
    code, out = run(str(page), "--url", "https://member.example.org/2024/03/nec-report/", "--json")
    assert code == 0
    [post] = json.loads(out)["posts"]
    record = post["record"]
    assert set(record) >= RECORD_KEYS
    assert set(record["meeting"]) >= {"date", "kind"}
    assert all(isinstance(record[k], list) for k in RECORD_KEYS - {"version", "meeting"})
    assert record["version"] == content_hash(post["body_text"])
    for d in record["decisions"]:
        assert d["quote"] in post["body_text"]


def test_the_record_is_derived_from_the_post_s_title_body_date_and_author(page: Path, fake: None) -> None:
    calls: list[dict[str, Any]] = []

    def spy(title: str, body: str, published: Any, **kw: Any) -> Any:
        calls.append({"title": title, "published": published, **kw})
        return fake_extract(title, body, published, **kw)

    derive.extract_record = spy  # type: ignore[assignment]  # undone by the fixture's monkeypatch
    code, out = run(str(page), "--url", "https://member.example.org/2024/03/nec-report/", "--json")
    assert code == 0
    [post] = json.loads(out)["posts"]
    [call] = calls
    assert call["title"] == "NEC Report – 21 March 2024"
    assert str(call["published"]) == "2024-03-21"  # 23:30 UTC is still the 21st in London (GMT)
    assert call["author"] == post["author"] and call["roster"] is ROSTER
    record = post["record"]
    assert record["meeting"] == {"date": "2024-03-21", "kind": "full"}
    carried, noted = record["decisions"]
    assert (carried["outcome"], carried["votes_for"], carried["votes_against"]) == ("carried", 22, 12)
    assert carried["quote"] == "The rule changes for conference were carried by 22 votes to 12."
    assert noted["votes_for"] is None
    assert [(p["name"], p["person_id"]) for p in record["people"]] == [
        ("Keir Starmer", "keir-starmer"),
        ("Zed Quorum", None),
    ]
    assert record["unmatched"] == ["Zed Quorum"]
    assert record["statements"][0]["speaker"] == "Zed Quorum"


def test_the_human_output_shows_the_record(page: Path, fake: None) -> None:
    code, out = run(str(page), "--url", "https://member.example.org/2024/03/nec-report/")
    assert code == 0
    lines = out.splitlines()
    assert "meeting:   2024-03-21 (full)" in lines
    assert "decisions: 2" in lines
    assert "  - carried, 22–12: The rule changes for conference were carried by 22 votes to 12." in lines
    assert "  - noted, count not reported: We noted the report of the Organisation Committee." in lines
    assert "people:    2" in lines
    assert "  - Keir Starmer → Keir Starmer, Leader (1 paragraph)" in lines
    assert "  - Zed Quorum → unmatched (1 paragraph)" in lines
    assert "unmatched: Zed Quorum" in lines


def test_a_saved_blogger_page_and_a_feed_have_records(tmp_path: Path) -> None:
    code, out = run(
        str(FIXTURES / "blogger_contempo.html"),
        "--url",
        "https://member.blogspot.com/2024/01/nec.html",
        "--json",
    )
    assert code == 0 and all(set(p["record"]) >= RECORD_KEYS for p in json.loads(out)["posts"])
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><link>https://m.example.org/</link>'
        "<item><title>NEC report</title><link>https://m.example.org/nec/</link>"
        "<pubDate>Tue, 23 Jan 2024 20:00:00 +0000</pubDate>"
        "<description>&lt;p&gt;The NEC agreed the budget.&lt;/p&gt;</description></item></channel></rss>",
        encoding="utf-8",
    )
    code, out = run(str(feed), "--url", "https://m.example.org/feed/", "--json")
    posts = json.loads(out)["posts"]
    assert code == 0 and posts and all(set(p["record"]) >= RECORD_KEYS for p in posts)
