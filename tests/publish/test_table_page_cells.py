"""The table page's cheaper work (issue 20, "Serving, like for like"): the remembered view-table
permission answer keeps every table rule, and the cells a listing shows stay what they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.publish import build_datasette, build_metadata
from necwatch.publish.plugin import _time, listing_excerpt

from .conftest import Client


@pytest.mark.timeout(120)
def test_a_table_rule_still_closes_the_table_when_answers_are_remembered(demo_db: Path) -> None:
    meta = build_metadata("demo", authors=["Luke Akehurst"])
    meta["databases"]["demo"]["tables"]["reports"]["allow"] = {"id": "editor"}
    c = Client(build_datasette(demo_db, metadata=meta))
    try:
        for _ in range(2):  # the second answer is the remembered one
            assert c.get("/demo/reports").status_code == 403
            assert c.get("/demo/reports.json").status_code == 403
            assert c.get("/demo/alerts").status_code == 200  # no rule on this table
        allows = c.ds._table_permission_allows("demo", "reports")
        allows[0]["id"] = "anyone"  # a caller changing its answer changes no later answer
        assert c.ds._table_permission_allows("demo", "reports") == [{"id": "editor"}]
        cookie = c.ds.sign({"a": {"id": "editor"}}, "actor")
        assert c.get("/demo/reports", cookies={"ds_actor": cookie}).status_code == 200
    finally:
        c.close()


def test_times_in_words_are_the_same_when_remembered() -> None:
    first = _time("2024-01-23T18:05:00+00:00")
    assert first == '<time datetime="2024-01-23T18:05:00+00:00">23 January 2024, 18:05</time>'
    assert _time("2024-01-23T18:05:00+00:00") == first
    assert _time("not a date") is None


@pytest.mark.parametrize("markup", ["<p>{}</p>", '<p class="a"><span style="x">{}</span></p>\n', "{}"])
def test_listing_excerpt_reads_a_short_prefix_of_a_long_body_the_same(markup: str) -> None:
    words = [f"word{i}" for i in range(3000)]
    body = "".join(markup.format(" ".join(words[i : i + 7])) for i in range(0, 3000, 7))
    whole = " ".join(body.replace("<", " <").replace(">", "> ").split())
    expected_text = " ".join(w for w in whole.split() if w.startswith("word"))
    assert listing_excerpt(body, 240) == expected_text[:240].rstrip() + " …"
    assert listing_excerpt(body, 10**6) == expected_text
