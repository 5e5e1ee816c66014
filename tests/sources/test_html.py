"""Generic `html` adapter, configured (from docs/sources.md) against two reference sites it was not
written for: Progress (author archive + article with a comment) and Alice Perry's WordPress.com tag pages.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import yaml

from necwatch.config import SourceConfig, config_from_dict
from necwatch.extract.text import collapse_ws
from necwatch.fetch import HttpClient
from necwatch.models import Outcome, SourceObservation
from necwatch.replay import ReplayWeb
from necwatch.sources import SourceContext, source_class
from necwatch.sources.html import parse_article, parse_comments, parse_date, parse_listing
from tests.conftest import one_host_web

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
PROGRESS = "www.progressonline.org.uk"
ALICE = "aliceperry.wordpress.com"
PROGRESS_POST = "https://www.progressonline.org.uk/2011/11/03/nec-report-november-2011/"
LONDON = ZoneInfo("Europe/London")


def doc_example(name: str) -> dict[str, Any]:
    """The YAML block under `<!-- necwatch-test: NAME -->` in docs/sources.md (so the docs stay true)."""
    m = re.search(
        rf"<!-- necwatch-test: {re.escape(name)} -->\s*```yaml\n(.*?)```", DOCS.read_text("utf-8"), re.S
    )
    assert m, f"docs/sources.md has no example {name!r}"
    return yaml.safe_load(m.group(1))


def local_config(web: ReplayWeb, example: str) -> SourceConfig:
    """The documented config with its real host swapped for the local replay base."""
    data = doc_example(example)
    for source in data["sources"]:
        parts = urlsplit(source["url"])
        source["url"] = web.base(parts.netloc) + parts.path.lstrip("/")
    data.update(allow_private_addresses=True, fetch={"per_host_delay": 0, "backoff": 0.01})
    return config_from_dict(data, file=f"docs/sources.md#{example}").sources[0]


def poll(web: ReplayWeb, source_config: SourceConfig) -> SourceObservation:
    config = config_from_dict(
        {"allow_private_addresses": True, "fetch": {"per_host_delay": 0, "backoff": 0.01, "read_timeout": 5}}
    )

    async def run() -> SourceObservation:
        async with HttpClient(config.fetch, user_agent="necwatch-test", allow_private=True) as client:
            fetcher = client.for_source(source_config.name, source_config.allowed_hosts)
            source = source_class(source_config.type)(SourceContext(config=source_config, fetcher=fetcher))
            return await source.poll()

    return asyncio.run(run())


@pytest.fixture
def progress_web() -> Iterator[ReplayWeb]:
    with one_host_web(PROGRESS) as w:
        yield w


@pytest.fixture
def alice_web() -> Iterator[ReplayWeb]:
    with one_host_web(ALICE) as w:
        yield w


@pytest.fixture(scope="module")
def recorded() -> ReplayWeb:
    return ReplayWeb()  # bodies only, no servers


def _sha(text: str) -> str:
    return hashlib.sha256(collapse_ws(text).encode("utf-8")).hexdigest()


# -- Progress: the worked example ------------------------------------------------------------


def test_worked_example_reads_progress_post_and_comment(
    progress_web: ReplayWeb, expected_posts: dict[str, dict[str, Any]]
) -> None:
    exp = expected_posts[PROGRESS_POST]
    obs = poll(progress_web, local_config(progress_web, "progress"))

    assert obs.listing_complete is True
    assert obs.failures == ()
    assert [progress_web.real(o.url) for o in obs.posts] == [PROGRESS_POST]
    o = obs.posts[0]
    assert o.outcome is Outcome.FETCHED
    post = o.post
    assert post is not None
    assert post.title == exp["title"]
    assert post.author == exp["author"]
    assert post.published_at == datetime.fromisoformat(exp["published"])
    assert post.updated_at == datetime.fromisoformat(exp["updated"])
    assert post.platform_id == exp["platform_id"]
    assert _sha(post.body_text) == exp["body_sha256"]
    assert collapse_ws(post.body_text).startswith(exp["body_startswith"])
    assert collapse_ws(post.body_text).endswith(exp["body_endswith"])
    assert "Progressive centre-ground" not in post.body_text  # the appeal box was removed
    assert "Printer Friendly" not in post.body_html

    assert o.comments is not None
    assert len(o.comments) == exp["comment_count"] == 1
    (comment,) = o.comments
    (want,) = exp["comments"]
    assert comment.platform_id == want["platform_id"]
    assert comment.author == want["author"]
    assert comment.published_at == datetime.fromisoformat(want["published"])
    assert comment.parent_id == want["parent_id"]
    assert comment.body_text.startswith(want["text_startswith"])

    assert {r.host for r in progress_web.requests} == {PROGRESS}
    assert all(r.status == 200 for r in progress_web.requests)


def test_progress_redesign_is_a_listing_failure(progress_web: ReplayWeb) -> None:
    archive = "https://www.progressonline.org.uk/author/luke-akehurst/"
    progress_web.set(
        archive, "<html><body><main><div class='teaser'><a href='/x/'>x</a></div></main></body></html>"
    )

    obs = poll(progress_web, local_config(progress_web, "progress"))

    assert obs.listing_complete is False
    assert obs.posts == ()
    assert [(f.kind, progress_web.real(f.url)) for f in obs.failures] == [("parse_empty", archive)]
    assert "main article.archive-item" in obs.failures[0].message


def test_post_page_without_configured_date_is_parse_empty(progress_web: ReplayWeb) -> None:
    page = progress_web.body(PROGRESS_POST).decode("utf-8")
    progress_web.set(PROGRESS_POST, page.replace('class="entry-date published"', 'class="posted"'))

    obs = poll(progress_web, local_config(progress_web, "progress"))

    assert obs.listing_complete is True
    assert obs.posts[0].outcome is Outcome.FAILED
    assert [(f.kind, progress_web.real(f.url)) for f in obs.failures] == [("parse_empty", PROGRESS_POST)]
    assert "time.entry-date.published" in obs.failures[0].message


# -- Alice Perry's WordPress.com tag pages: pagination, share block in the body, threaded comments --


def test_alice_perry_tag_pages(alice_web: ReplayWeb, expected_posts: dict[str, dict[str, Any]]) -> None:
    expected = {u: p for u, p in expected_posts.items() if p["source_host"] == ALICE}
    obs = poll(alice_web, local_config(alice_web, "alice-perry"))

    assert obs.listing_complete is True
    assert obs.failures == ()
    by_url = {alice_web.real(o.url): o for o in obs.posts}
    assert set(by_url) == set(expected)  # both tag pages ("Older posts" followed)
    for url, exp in expected.items():
        o = by_url[url]
        post = o.post
        assert post is not None, url
        assert post.title == exp["title"]
        assert post.title_raw == exp.get("title_raw")
        assert post.author == exp["author"]
        assert post.published_at == datetime.fromisoformat(exp["published"])
        assert post.platform_id == exp["platform_id"]
        assert list(post.labels) == exp["labels"]
        assert _sha(post.body_text) == exp["body_sha256"], url  # cut posts read in full, no share block
        assert o.comments is not None and len(o.comments) == exp["comment_count"]
        for got, want in zip(o.comments, exp["comments"], strict=True):
            assert (got.platform_id, got.parent_id, got.author) == (
                want["platform_id"],
                want["parent_id"],
                want["author"],
            )
            assert got.published_at == datetime.fromisoformat(want["published"])
            assert got.body_text.startswith(want["text_startswith"])
    assert {r.host for r in alice_web.requests} == {ALICE}
    assert all(r.status == 200 for r in alice_web.requests)


# -- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2011-11-03T10:15:24+00:00", "2011-11-03T10:15:24+00:00"),
        ("2024-01-24T13:37:00.000Z", "2024-01-24T13:37:00+00:00"),
        ("2019-09-19T08:05:37", "2019-09-19T08:05:37+01:00"),  # no offset: the source's zone
        ("4:15 pm, January 24, 2024", "2024-01-24T16:15:00+00:00"),
        ("Wednesday, January 24, 2024", "2024-01-24T00:00:00+00:00"),
        ("3rd November 2011", "2011-11-03T00:00:00+00:00"),
        ("10th November, 2014, 12:41 pm", "2014-11-10T12:41:00+00:00"),
        ("5 November 2011 at 2:22 pm", "2011-11-05T14:22:00+00:00"),
        ("  21st May, 2019, 8:00 am ", "2019-05-21T08:00:00+01:00"),
        ("03/11/2011", "2011-11-03T00:00:00+00:00"),  # day first
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    value = parse_date(text, LONDON)
    assert value == datetime.fromisoformat(iso)
    assert value.utcoffset() == datetime.fromisoformat(iso).utcoffset()


def test_parse_date_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        parse_date("no date here", LONDON)


def test_listing_links_resolve_against_the_page(recorded: ReplayWeb) -> None:
    config = doc_example("alice-perry")["sources"][0]
    selectors = SourceConfig.model_validate(config).selectors
    assert selectors is not None
    page1 = recorded.body(f"https://{ALICE}/tag/general-election/").decode().replace(f"https://{ALICE}/", "/")
    page = parse_listing("http://127.0.0.1:1/tag/general-election/", page1, selectors)
    assert len(page.posts) == 5
    assert all(p.url.startswith("http://127.0.0.1:1/20") for p in page.posts)
    assert "#" not in "".join(p.url for p in page.posts)
    assert page.next_url == "http://127.0.0.1:1/tag/general-election/page/2/"


def test_comments_absent_is_empty_and_unconfigured_is_unknown(
    progress_web: ReplayWeb, recorded: ReplayWeb
) -> None:
    source = local_config(progress_web, "progress")
    assert source.selectors is not None
    page = recorded.body(PROGRESS_POST).decode()
    no_comments = re.sub(r'<div id="comments".*?</div><!-- #comments -->', "", page, flags=re.S)
    assert no_comments != page
    assert parse_comments(PROGRESS_POST, no_comments, source.selectors, tz=LONDON) == ()

    unconfigured = source.model_copy(
        update={"selectors": source.selectors.model_copy(update={"comment": None})}
    )
    web_post = progress_web.local(PROGRESS_POST)
    obs = poll(progress_web, unconfigured)
    assert [o.comments for o in obs.posts if o.url == web_post] == [None]


def test_article_title_keeps_raw_nbsp(recorded: ReplayWeb) -> None:
    config = SourceConfig.model_validate(doc_example("alice-perry")["sources"][0])
    assert config.selectors is not None
    url = f"https://{ALICE}/2020/01/30/nec-away-day-report-january-2020/"
    post = parse_article(url, recorded.body(url), config.selectors, tz=LONDON)
    assert post.title == "NEC Away-day Report – January 2020"
    assert post.title_raw == "NEC Away-day Report – January\u00a02020"
    assert "Share this" not in post.body_text and "Related" not in post.body_text


def test_labels_selector_reads_a_blogs_own_label_links() -> None:
    from zoneinfo import ZoneInfo

    from necwatch.sources.html import HtmlSelectors, parse_article

    page = """<html><body><article><h1 class="t">NEC Report – 1 May 2024</h1>
    <div class="b"><p>The NEC met on 1 May.</p></div>
    <p class="post-labels">Labels: <a href="/l/NEC">NEC</a>, <a href="/l/Labour">Labour</a></p>
    <a rel="tag" href="/tag/other">Other</a></article></body></html>"""
    default = HtmlSelectors(item="article", title=".t", body=".b")
    custom = HtmlSelectors(item="article", title=".t", body=".b", labels=".post-labels a")
    zone = ZoneInfo("Europe/London")
    assert parse_article("http://127.0.0.1:1/p", page, default, tz=zone).labels == ("Other",)
    assert parse_article("http://127.0.0.1:1/p", page, custom, tz=zone).labels == ("NEC", "Labour")
