"""LabourList adapter against the reference web: tag listing (2 pages) → article pages.

Every test polls real loopback servers through the real HttpClient; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from necwatch.config import SourceConfig
from necwatch.demo import demo_config
from necwatch.extract.text import collapse_ws
from necwatch.fetch import Cached, DictCache, HttpClient
from necwatch.models import Outcome, SourceObservation
from necwatch.replay import ReplayWeb
from necwatch.sources import SourceContext, source_class
from necwatch.sources.labourlist import parse_labourlist_article, parse_tag_page, tag_url
from tests.conftest import one_host_web

HOST = "labourlist.org"
TAG_1 = f"https://{HOST}/tag/nec/"
TAG_2 = f"https://{HOST}/tag/nec/page/2/"
FIXTURES = Path(__file__).parent / "fixtures" / "labourlist"


def poll(web: ReplayWeb, cache: DictCache | None = None) -> SourceObservation:
    """One poll of the demo config's LabourList source (tag `nec`) against `web`.

    With a `cache`, requests are conditional and every 200 read is stored in it (as the store would).
    """
    config = demo_config(web, hosts=[HOST])
    source_config: SourceConfig = config.source("labourlist")

    async def run() -> SourceObservation:
        async with HttpClient(
            config.fetch, user_agent="necwatch-test", allow_private=True, cache=cache
        ) as client:
            fetcher = client.for_source(source_config.name, source_config.allowed_hosts)
            source = source_class(source_config.type)(SourceContext(config=source_config, fetcher=fetcher))
            observation = await source.poll()
            if cache is not None:
                for r in fetcher.records:
                    if r.status == 200 and r.body is not None:
                        cache.entries[r.url] = Cached(r.etag, r.last_modified, r.body, r.content_type)
            return observation

    return asyncio.run(run())


@pytest.fixture
def labourlist_expected(expected_posts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {url: p for url, p in expected_posts.items() if p["source_host"] == HOST}


@pytest.fixture
def web() -> Iterator[ReplayWeb]:
    """conftest's `web`, serving only LabourList: one server to stop instead of four (faster teardown),
    and any request for another site has nowhere to go."""
    with one_host_web(HOST) as w:
        yield w


@pytest.fixture(scope="module")
def recorded() -> ReplayWeb:
    """The corpus bodies without servers: for the pure parsing tests (server teardown is slow)."""
    return ReplayWeb()


def _sha(text: str) -> str:
    return hashlib.sha256(collapse_ws(text).encode("utf-8")).hexdigest()


def test_poll_reads_every_listed_article(
    web: ReplayWeb, labourlist_expected: dict[str, dict[str, Any]]
) -> None:
    obs = poll(web)

    assert obs.listing_complete is True
    assert obs.failures == ()
    by_url = {web.real(o.url): o for o in obs.posts}
    assert set(by_url) == set(labourlist_expected)  # across both tag pages
    for url, exp in labourlist_expected.items():
        o = by_url[url]
        assert o.outcome is Outcome.FETCHED, url
        post = o.post
        assert post is not None
        assert web.real(post.url) == url
        assert post.title == exp["title"]
        assert post.title_raw == exp.get("title_raw")
        assert post.author == exp["author"]
        # Same instant as expected.json; the offset is the one the page prints (UTC here).
        assert post.published_at == datetime.fromisoformat(exp["published"])
        assert post.published_at is not None and post.published_at.utcoffset() is not None
        assert post.updated_at == datetime.fromisoformat(exp["updated"])
        assert post.platform_id == exp["platform_id"]
        assert list(post.labels) == exp["labels"]
        assert post.via == "html"
        assert _sha(post.body_text) == exp["body_sha256"], url
        assert collapse_ws(post.body_text).startswith(exp["body_startswith"])
        assert collapse_ws(post.body_text).endswith(exp["body_endswith"])
        # Disqus comments are not in the page: unknown, never "none".
        assert o.comments is None


def test_poll_stays_on_the_site_and_off_chrome_links(web: ReplayWeb) -> None:
    poll(web)

    assert {r.host for r in web.requests} == {HOST}
    pages = [r for r in web.requests if r.path != "/robots.txt"]  # robots.txt: the fetcher's business
    paths = [r.path for r in pages]
    assert paths[:2] == ["/tag/nec/", "/tag/nec/page/2/"]
    assert all(r.status == 200 for r in pages)  # no guessed URLs, no "More from" or share links
    assert not any(p.startswith("/wp-json") for p in paths)
    assert len(paths) == len(set(paths)) == 7  # 2 listing pages + 5 articles, each once


def test_body_excludes_share_newsletter_donate_and_more_from(recorded: ReplayWeb) -> None:
    url = "https://labourlist.org/2023/06/explainer-where-to-find-nec-members-reports/"
    post = parse_labourlist_article(url, recorded.body(url))

    for chrome in ("Share on", "Get LabourList in your inbox", "Donate", "More from LabourList", "Disqus"):
        assert chrome not in post.body_text
        assert chrome not in post.body_html
    assert "Explainer: what happens at an NEC away day?" not in post.body_text  # a "More from" headline


def test_share_blocks_inside_the_body_are_removed(recorded: ReplayWeb) -> None:
    url = "https://labourlist.org/2014/11/nec-report-november-4th-2014/"
    page = recorded.body(url).decode("utf-8")
    injected = page.replace(
        '<div class="article-body entry-content">',
        '<div class="article-body entry-content"><div class="share"><a href="#">Share on X</a></div>'
        '<aside class="newsletter-box"><p>Sign up</p></aside>',
    )
    assert injected != page
    assert parse_labourlist_article(url, injected).body_text == parse_labourlist_article(url, page).body_text


def test_tag_pages_parse_to_permalinks_relative_to_where_found(recorded: ReplayWeb) -> None:
    # Host-independence: the same bytes under another base resolve against that base.
    body = recorded.body(TAG_1).decode("utf-8").replace("https://labourlist.org/", "/")
    page = parse_tag_page("http://127.0.0.1:9/tag/nec/", body)
    assert [p.url for p in page.posts] == [
        "http://127.0.0.1:9/2023/06/explainer-where-to-find-nec-members-reports/",
        "http://127.0.0.1:9/2019/05/explainer-what-happens-at-an-nec-away-day/",
        "http://127.0.0.1:9/2016/08/explainer-how-nec-members-are-elected/",
        "http://127.0.0.1:9/2014/11/nec-report-november-4th-2014/",
    ]
    assert [p.platform_id for p in page.posts] == ["110874", "95117", "73302", "62410"]
    assert page.next_url == "http://127.0.0.1:9/tag/nec/page/2/"

    last = parse_tag_page(TAG_2, recorded.body(TAG_2))
    assert [p.url for p in last.posts] == [
        "https://labourlist.org/2013/06/explainer-what-is-labours-national-executive-committee/"
    ]
    assert last.next_url is None  # page 2 has only "Previous"


def test_tag_url_is_built_on_any_base() -> None:
    assert tag_url("http://127.0.0.1:8080/", "nec") == "http://127.0.0.1:8080/tag/nec/"
    assert (
        tag_url("https://labourlist.org/", "general election")
        == "https://labourlist.org/tag/general%20election/"
    )


def test_redesigned_tag_page_is_a_parse_failure_not_an_empty_listing(web: ReplayWeb) -> None:
    web.set(TAG_1, (FIXTURES / "tag-redesigned.html").read_bytes())

    obs = poll(web)

    assert obs.listing_complete is False
    assert obs.posts == ()
    assert [(f.kind, web.real(f.url)) for f in obs.failures] == [("parse_empty", TAG_1)]
    assert ".post-grid article.card" in obs.failures[0].message  # names the selector


def test_redesigned_article_fails_that_post_only(web: ReplayWeb) -> None:
    url = "https://labourlist.org/2014/11/nec-report-november-4th-2014/"
    web.set(url, (FIXTURES / "article-redesigned.html").read_bytes())

    obs = poll(web)

    assert obs.listing_complete is True  # the listing itself was read
    by_url = {web.real(o.url): o for o in obs.posts}
    assert by_url[url].outcome is Outcome.FAILED
    assert by_url[url].post is None
    assert [(f.kind, web.real(f.url)) for f in obs.failures] == [("parse_empty", url)]
    assert sum(o.outcome is Outcome.FETCHED for o in obs.posts) == 4


def test_503_on_page_two_keeps_page_one_posts_and_marks_listing_incomplete(web: ReplayWeb) -> None:
    web.set(TAG_2, "<h1>Service Unavailable</h1>", status=503)

    obs = poll(web)

    assert obs.listing_complete is False
    fetched = {web.real(o.url) for o in obs.posts if o.outcome is Outcome.FETCHED}
    assert fetched == {
        "https://labourlist.org/2023/06/explainer-where-to-find-nec-members-reports/",
        "https://labourlist.org/2019/05/explainer-what-happens-at-an-nec-away-day/",
        "https://labourlist.org/2016/08/explainer-how-nec-members-are-elected/",
        "https://labourlist.org/2014/11/nec-report-november-4th-2014/",
    }
    assert [(f.kind, f.http_status, web.real(f.url)) for f in obs.failures] == [("http_5xx", 503, TAG_2)]


def test_pagination_loop_ends(web: ReplayWeb) -> None:
    looped = web.body(TAG_2).decode("utf-8").replace('class="prev page-numbers"', 'class="next page-numbers"')
    web.set(TAG_2, looped)

    obs = poll(web)

    assert obs.listing_complete is True
    assert len(obs.posts) == 5
    assert web.count(HOST, "/tag/nec/") == 1


def test_deleted_article_is_gone(web: ReplayWeb) -> None:
    url = "https://labourlist.org/2016/08/explainer-how-nec-members-are-elected/"
    web.delete(url, status=410)

    obs = poll(web)

    by_url = {web.real(o.url): o for o in obs.posts}
    assert (by_url[url].outcome, by_url[url].http_status) == (Outcome.GONE, 410)
    assert obs.failures == ()


def test_second_poll_is_conditional_and_still_parses(web: ReplayWeb) -> None:
    cache = DictCache()
    first = poll(web, cache)
    assert all(o.outcome is Outcome.FETCHED for o in first.posts)

    second = poll(web, cache)

    assert second.listing_complete is True
    assert second.failures == ()
    assert {o.outcome for o in second.posts} == {Outcome.NOT_MODIFIED}
    assert [o.post for o in second.posts] == [o.post for o in first.posts]  # content as stored
    pages = [r for r in web.requests if r.path != "/robots.txt"]
    assert {r.status for r in pages[7:]} == {304} and len(pages) == 14
