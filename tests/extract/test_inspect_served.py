"""`necwatch inspect URL` against a local HTTP server: the page is fetched like a run fetches it
(address guard, robots.txt), read as each `--type` says, and the exit code tells extracted (0),
extraction failed (1) and usage (2) apart (issue 10)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from click.testing import CliRunner, Result

from necwatch.cli import cli
from necwatch.extract.text import collapse_ws
from necwatch.replay import ReplayWeb

LUKE = "https://lukeakehurst.blogspot.com/"
LUKE_POST = LUKE + "2024/01/nec-report-23-january-2024.html"
ALICE_FEED = "https://aliceperry.wordpress.com/tag/general-election/feed/"
LABOURLIST = "https://labourlist.org/"


@pytest.fixture(scope="module")
def served() -> Iterator[ReplayWeb]:
    """The reference web (read only here), plus one page that carries no post at all."""
    with ReplayWeb() as web:
        web.set(LUKE + "2024/02/empty.html", "<html><head><title>Nothing</title></head><body></body></html>")
        yield web


@pytest.fixture(scope="module")
def config(served: ReplayWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config allowing loopback servers, whose one `html` source reads only a body's first paragraph."""
    path = tmp_path_factory.mktemp("inspect") / "config.yaml"
    html_source = {
        "name": "ll-html",
        "type": "html",
        "url": served.local(LABOURLIST),
        "selectors": {"item": "article", "title": "article .entry-title", "body": "article .entry-content p"},
    }
    data = {
        "allow_private_addresses": True,
        "database": str(path.parent / "unused.db"),
        "sources": [html_source],
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def inspect(*args: str) -> tuple[Result, dict[str, Any] | None]:
    result = CliRunner().invoke(cli, ["inspect", *args, "--json"])
    try:
        return result, json.loads(result.stdout)
    except ValueError:
        return result, None


def _labourlist_post(expected_posts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in expected_posts.values() if p["source_host"] == "labourlist.org")


def test_a_served_post_is_fetched_and_read_like_a_run(
    served: ReplayWeb, config: Path, expected_posts: dict[str, dict[str, Any]]
) -> None:
    result, out = inspect(served.local(LUKE_POST), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert out is not None and (out["platform"], out["kind"]) == ("blogger", "post")
    (post,) = out["posts"]
    exp = expected_posts[LUKE_POST]
    assert (post["title"], post["author"], post["labels"]) == (exp["title"], exp["author"], exp["labels"])
    assert datetime.fromisoformat(post["published_at"]) == datetime.fromisoformat(exp["published"])
    assert collapse_ws(post["body_text"]).startswith(exp["body_startswith"])
    assert post["comment_count"] == exp["comment_count"]
    assert [c["author"] for c in post["comments"]] == [c["author"] for c in exp["comments"]]
    assert post["extraction"]["body"] == "blogger"
    assert served.count("lukeakehurst.blogspot.com", "/robots.txt") >= 1  # asked before the page
    # the human output names the platform and each field's method
    text = CliRunner().invoke(cli, ["inspect", served.local(LUKE_POST), "--config", str(config)])
    assert text.exit_code == 0 and "platform:  blogger   kind: post" in text.output
    assert f"title:     {exp['title']}   [blogger]" in text.output


def test_listing_and_feed_kinds(served: ReplayWeb, config: Path) -> None:
    result, out = inspect(served.local(LUKE), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert out is not None and (out["platform"], out["kind"]) == ("blogger", "listing")
    home = served.body(LUKE).decode()
    assert len(out["posts"]) == home.count("class='post-body") + home.count('class="post-body') > 1
    assert all(p["comment_count"] is None for p in out["posts"])  # a listing reads no comment list

    feed_entries = feedparser.parse(served.body(ALICE_FEED)).entries
    for args in ((), ("--type", "feed")):
        result, out = inspect(served.local(ALICE_FEED), "--config", str(config), *args)
        assert result.exit_code == 0, result.output
        assert out is not None and (out["platform"], out["kind"]) == ("feed", "feed")
        # titles as stored: U+00A0 and runs of spaces collapsed
        assert [p["title"] for p in out["posts"]] == [collapse_ws(e.title) for e in feed_entries]


def test_labourlist_and_html_types_read_with_their_selectors(
    served: ReplayWeb, config: Path, expected_posts: dict[str, dict[str, Any]]
) -> None:
    exp = _labourlist_post(expected_posts)
    url = served.local(exp["url"])
    result, out = inspect(url, "--config", str(config), "--type", "labourlist")
    assert result.exit_code == 0, result.output
    assert out is not None and (out["platform"], out["kind"]) == ("labourlist", "post")
    (fixed,) = out["posts"]
    assert (fixed["title"], fixed["author"]) == (exp["title"], exp["author"])
    assert datetime.fromisoformat(fixed["published_at"]) == datetime.fromisoformat(exp["published"])
    assert collapse_ws(fixed["body_text"]).startswith(exp["body_startswith"])
    assert collapse_ws(fixed["body_text"]).endswith(exp["body_endswith"])

    # --type html takes the config's html source: its body selector is the first paragraph only
    result, out = inspect(url, "--config", str(config), "--type", "html")
    assert result.exit_code == 0, result.output
    assert out is not None and out["platform"] == "html"
    (custom,) = out["posts"]
    assert custom["title"] == exp["title"]
    assert fixed["body_text"].startswith(custom["body_text"]) and custom["body_text"] != fixed["body_text"]


def test_exit_codes(served: ReplayWeb, config: Path) -> None:
    # 1: fetched, but no layer finds a post in it; the message names the stage and field
    result, out = inspect(served.local(LUKE + "2024/02/empty.html"), "--config", str(config))
    assert result.exit_code == 1 and out is not None and out["posts"] == []
    assert "post body" in out["error"] or "post title" in out["error"]
    # 1: robots.txt disallows /search on Blogger, and inspect obeys it like a run (no request made)
    before = served.count("lukeakehurst.blogspot.com", "/search/label/NEC")
    result, _ = inspect(served.local(LUKE + "search/label/NEC"), "--config", str(config))
    assert result.exit_code == 1 and "robots" in result.output
    assert served.count("lukeakehurst.blogspot.com", "/search/label/NEC") == before
    # 1: without a config allowing private addresses, the guard refuses the loopback server
    result, _ = inspect(served.local(LUKE_POST))
    assert result.exit_code == 1 and "fetch" in result.output
    # 2: usage errors
    result, _ = inspect(served.local(LUKE_POST), "--config", str(config), "--type", "myspace")
    assert result.exit_code == 2
    result, _ = inspect("no-such-file.html")
    assert result.exit_code == 2
