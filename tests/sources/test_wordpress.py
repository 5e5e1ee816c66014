"""WordPress adapter against the reference web: Alice Perry's WordPress.com blog by REST, RSS and HTML,
and Progress (REST and RSS absent → author archive → article page).

Every test polls real loopback servers through the real HttpClient; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from necwatch.demo import demo_config
from necwatch.errors import ParseError
from necwatch.extract.text import collapse_ws
from necwatch.fetch import HttpClient
from necwatch.models import Comment, Outcome, Post, PostObservation, SourceObservation
from necwatch.replay import ReplayWeb
from necwatch.sources import SourceContext, source_class
from necwatch.sources.wordpress import (
    WordPressSource,
    clean_body_html,
    parse_archive_page,
    parse_html_comments,
    parse_rest_comments,
    parse_rest_term_id,
    rest_datetime,
    split_title,
)
from tests.conftest import one_host_web

ALICE = "aliceperry.wordpress.com"
PROGRESS = "www.progressonline.org.uk"
A = f"https://{ALICE}"
TAGS_LOOKUP = f"{A}/wp-json/wp/v2/tags?slug=general-election"
POSTS_ALL = f"{A}/wp-json/wp/v2/posts?tags=3464"
POSTS_P1 = f"{A}/wp-json/wp/v2/posts?tags=3464&per_page=5&page=1"
POSTS_P2 = f"{A}/wp-json/wp/v2/posts?tags=3464&per_page=5&page=2"
FEED = f"{A}/tag/general-election/feed/"
ARCHIVE_1 = f"{A}/tag/general-election/"
ARCHIVE_2 = f"{A}/tag/general-election/page/2/"
SEPT = f"{A}/2019/09/19/labour-nec-report-17-september/"
CLAUSE5 = f"{A}/2017/05/12/nec-report-clause-5-manifesto-meeting/"
PROGRESS_POST = f"https://{PROGRESS}/2011/11/03/nec-report-november-2011/"
# Alice Perry's blog has one category; RSS <category> lists it among the tags.
ALICE_CATEGORIES = {"Labour NEC"}


@pytest.fixture
def web() -> Iterator[ReplayWeb]:
    """conftest's `web`, serving only Alice Perry's blog."""
    with one_host_web(ALICE) as w:
        yield w


@pytest.fixture
def progress_web() -> Iterator[ReplayWeb]:
    with one_host_web(PROGRESS) as w:
        yield w


def site_requests(web: ReplayWeb, host: str | None = None) -> list[tuple[str, int]]:
    """(path, status) of every request but robots.txt (the fetcher's business, not the adapter's)."""
    return [(r.path, r.status) for r in web.requests if r.path != "/robots.txt" and host in (None, r.host)]


def poll(
    web: ReplayWeb,
    host: str,
    *,
    via: str = "auto",
    per_page: int | None = None,
    known: Mapping[str, datetime | None] | None = None,
    max_pages: int | None = None,
) -> tuple[SourceObservation, WordPressSource]:
    """One poll of the demo config's source for `host` (optionally forcing a path) against `web`."""
    config = demo_config(web, hosts=[host])
    update: dict[str, Any] = {"via": via}
    if max_pages is not None:
        update["max_pages"] = max_pages
    source_config = config.sources[0].model_copy(update=update)

    async def run() -> tuple[SourceObservation, WordPressSource]:
        async with HttpClient(config.fetch, user_agent="necwatch-test", allow_private=True) as client:
            fetcher = client.for_source(source_config.name, source_config.allowed_hosts)
            ctx = SourceContext(config=source_config, fetcher=fetcher, known=dict(known or {}))
            source = source_class(source_config.type)(ctx)
            assert isinstance(source, WordPressSource)
            if per_page is not None:
                source.rest_per_page = per_page
            return await source.poll(), source

    return asyncio.run(run())


def sha(post: Post) -> str:
    return hashlib.sha256(collapse_ws(post.body_text).encode()).hexdigest()


def by_real_url(web: ReplayWeb, obs: SourceObservation) -> dict[str, PostObservation]:
    return {web.real(o.url): o for o in obs.posts}


def site_expected(expected_posts: dict[str, dict[str, Any]], host: str) -> dict[str, dict[str, Any]]:
    return {u: p for u, p in expected_posts.items() if p["source_host"] == host}


def assert_comments(comments: tuple[Comment, ...] | None, exp: dict[str, Any]) -> None:
    assert comments is not None, "comments should have been read"
    got = [
        {
            "author": c.author,
            "published": c.published_at.isoformat() if c.published_at else None,
            "text_startswith": c.body_text[:40],
            "platform_id": c.platform_id,
            "parent_id": c.parent_id,
        }
        for c in comments
    ]
    want = [
        {k: c[k] for k in ("author", "published", "text_startswith", "platform_id", "parent_id")}
        for c in exp["comments"]
    ]
    assert got == want


def assert_post(web: ReplayWeb, o: PostObservation, exp: dict[str, Any], *, updated: bool) -> Post:
    assert o.outcome is Outcome.FETCHED
    post = o.post
    assert post is not None
    assert web.real(post.url) == exp["url"]
    assert post.title == exp["title"]
    assert post.title_raw == (exp.get("title_raw") if exp.get("title_raw") != exp["title"] else None)
    assert post.author == exp["author"]
    assert post.platform_id == exp["platform_id"]
    assert post.published_at is not None and post.published_at.isoformat() == exp["published"]
    if updated:
        assert post.updated_at is not None and post.updated_at.isoformat() == exp["updated"]
    else:
        assert post.updated_at is None
    assert sha(post) == exp["body_sha256"], collapse_ws(post.body_text)[:200]
    assert "Share this" not in post.body_text and "jp-post-flair" not in post.body_html
    assert_comments(o.comments, exp)
    return post


# -- REST ----------------------------------------------------------------------------------------


def test_rest_path_gives_every_post_with_comments(web: ReplayWeb, expected_posts: dict) -> None:
    obs, source = poll(web, ALICE)
    assert source.path_used == "rest"
    assert obs.listing_complete and obs.failures == ()
    got = by_real_url(web, obs)
    want = site_expected(expected_posts, ALICE)
    assert set(got) == set(want)
    for url, exp in want.items():
        post = assert_post(web, got[url], exp, updated=True)
        assert post.via == "rest"
        assert post.labels == ()  # REST gives tag ids only; see the module docstring
    assert web.count(ALICE, "/wp-json/wp/v2/users/58771532") == 1  # once per author per poll
    assert web.count(ALICE, "/tag/general-election/feed/") == 0
    assert web.count(ALICE, "/tag/general-election/") == 0


def test_rest_pagination_follows_total_pages(web: ReplayWeb, expected_posts: dict) -> None:
    obs, _ = poll(web, ALICE, per_page=5)
    assert obs.listing_complete
    assert web.count(ALICE, "/wp-json/wp/v2/posts?tags=3464&per_page=5&page=1") == 1
    assert web.count(ALICE, "/wp-json/wp/v2/posts?tags=3464&per_page=5&page=2") == 1
    assert web.count(ALICE, "/wp-json/wp/v2/posts?tags=3464") == 0
    got = by_real_url(web, obs)
    assert set(got) == set(site_expected(expected_posts, ALICE))
    assert_comments(got[SEPT].comments, expected_posts[SEPT])


def test_rest_503_fails_the_listing_instead_of_falling_back(web: ReplayWeb) -> None:
    web.set(TAGS_LOOKUP, "<h1>Service Unavailable</h1>", status=503)
    obs, _ = poll(web, ALICE)
    assert not obs.listing_complete
    assert obs.posts == ()
    assert [(web.real(f.url), f.http_status) for f in obs.failures] == [(TAGS_LOOKUP, 503)]
    assert web.count(ALICE, "/tag/general-election/feed/") == 0
    assert web.count(ALICE, "/tag/general-election/") == 0


def test_rest_503_on_page_two_keeps_page_one_but_marks_listing_incomplete(web: ReplayWeb) -> None:
    web.set(POSTS_P2, "{}", status=503)
    obs, _ = poll(web, ALICE, per_page=5)
    assert not obs.listing_complete
    assert len(obs.posts) == 5
    assert [web.real(f.url) for f in obs.failures] == [POSTS_P2]
    assert web.count(ALICE, "/tag/general-election/feed/") == 0


def test_deleted_post_known_to_the_store_is_gone(web: ReplayWeb, expected_posts: dict) -> None:
    items = json.loads(web.body(POSTS_ALL))
    web.set(POSTS_ALL, json.dumps([p for p in items if p["id"] != 3398]), content_type="application/json")
    web.delete(CLAUSE5)
    published = datetime.fromisoformat(expected_posts[CLAUSE5]["published"])
    obs, _ = poll(web, ALICE, known={web.local(CLAUSE5): published})
    got = by_real_url(web, obs)
    assert len(got) == 10
    assert got[CLAUSE5].outcome is Outcome.GONE and got[CLAUSE5].http_status == 404
    assert obs.listing_complete


# -- RSS -----------------------------------------------------------------------------------------


def test_rss_path_gives_every_post_and_reads_comments_from_the_page(
    web: ReplayWeb, expected_posts: dict
) -> None:
    obs, source = poll(web, ALICE, via="rss")
    assert source.path_used == "rss"
    assert obs.listing_complete and obs.failures == ()
    got = by_real_url(web, obs)
    want = site_expected(expected_posts, ALICE)
    assert set(got) == set(want)
    for url, exp in want.items():
        post = assert_post(web, got[url], exp, updated=False)
        assert post.via == "rss"
        # WordPress RSS lists categories and tags together: every tag, plus at most the category.
        assert set(exp["labels"]) <= set(post.labels) <= set(exp["labels"]) | ALICE_CATEGORIES
    # The feed + the one post with comments (slash:comments 2); no per-post comment feeds.
    assert site_requests(web) == [("/tag/general-election/feed/", 200), (urlsplit(SEPT).path, 200)]
    assert web.count(ALICE, "/wp-json/wp/v2/tags?slug=general-election") == 0


# -- HTML ----------------------------------------------------------------------------------------


def test_html_path_follows_older_posts_and_reads_single_pages(web: ReplayWeb, expected_posts: dict) -> None:
    obs, source = poll(web, ALICE, via="html")
    assert source.path_used == "html"
    assert obs.listing_complete and obs.failures == ()
    assert web.count(ALICE, "/tag/general-election/") == 1
    assert web.count(ALICE, "/tag/general-election/page/2/") == 1
    got = by_real_url(web, obs)
    want = site_expected(expected_posts, ALICE)
    assert set(got) == set(want)
    for url, exp in want.items():
        post = assert_post(web, got[url], exp, updated=False)
        assert post.via == "html"
        assert list(post.labels) == exp["labels"]


def test_html_max_pages_cuts_the_listing_as_not_exhausted(web: ReplayWeb) -> None:
    obs, _ = poll(web, ALICE, via="html", max_pages=1)
    assert len(obs.posts) == 5
    assert web.count(ALICE, "/tag/general-election/page/2/") == 0


def test_archive_excerpt_is_never_the_stored_body(web: ReplayWeb, expected_posts: dict) -> None:
    """The archive shows a manual excerpt for 17 September and a "Continue reading" cut for others:
    the stored bodies are the full single pages."""
    page = web.body(ARCHIVE_1).decode()
    start = page.index('<article id="post-4215"')
    content_at = page.index('<div class="entry-content">', start)
    end = page.index("</div><!-- .entry-content -->", content_at)
    excerpt = '<div class="entry-content"><p>A short manual excerpt, not the post.</p>\n'
    web.set(ARCHIVE_1, page[:content_at] + excerpt + page[end:])
    assert "more-link" in page  # the corpus' cut excerpts are on this page too
    obs, _ = poll(web, ALICE, via="html")
    got = by_real_url(web, obs)
    for url in (
        SEPT,
        f"{A}/2020/09/10/nec-report-special-meeting-on-2019-election-defeat-and-lessons-for-the-future/",
    ):
        post = got[url].post
        assert post is not None
        assert sha(post) == expected_posts[url]["body_sha256"]
        assert "Continue reading" not in post.body_text and "manual excerpt" not in post.body_text


def test_html_deleted_post_is_gone(web: ReplayWeb, expected_posts: dict) -> None:
    page = web.body(ARCHIVE_2).decode()
    start = page.index('<article id="post-3398"')
    end = page.index("</article>", start) + len("</article>")
    web.set(ARCHIVE_2, page[:start] + page[end:])
    web.delete(CLAUSE5, status=410)
    obs, _ = poll(web, ALICE, via="html", known={web.local(CLAUSE5): None})
    got = by_real_url(web, obs)
    assert got[CLAUSE5].outcome is Outcome.GONE and got[CLAUSE5].http_status == 410
    assert sum(o.outcome is Outcome.FETCHED for o in obs.posts) == 9


# -- Progress ------------------------------------------------------------------------------------


def test_progress_falls_back_to_the_author_archive(progress_web: ReplayWeb, expected_posts: dict) -> None:
    web = progress_web
    obs, source = poll(web, PROGRESS)
    assert source.path_used == "html"
    assert obs.listing_complete and obs.failures == ()
    # One 404 per absent path, then the archive and the article: cheap and explicit.
    assert site_requests(web) == [
        ("/wp-json/wp/v2/users?slug=luke-akehurst", 404),
        ("/author/luke-akehurst/feed/", 404),
        ("/author/luke-akehurst/", 200),
        ("/2011/11/03/nec-report-november-2011/", 200),
    ]
    got = by_real_url(web, obs)
    assert set(got) == {PROGRESS_POST}
    post = assert_post(web, got[PROGRESS_POST], expected_posts[PROGRESS_POST], updated=True)
    assert "Become a member" not in post.body_text and "Print Friendly" not in post.body_html
    assert "director of We Believe in Israel" not in post.body_text  # the author box
    assert post.body_text.endswith("Photo: Scottish Labour")
    assert post.labels == ()  # the page names its tag only in a class (tag-nec)


def test_progress_shortlink_redirects_to_the_article(progress_web: ReplayWeb) -> None:
    web = progress_web
    config = demo_config(web, hosts=[PROGRESS])
    source_config = config.sources[0]

    async def run() -> PostObservation:
        async with HttpClient(config.fetch, user_agent="necwatch-test", allow_private=True) as client:
            fetcher = client.for_source(source_config.name, source_config.allowed_hosts)
            source = source_class("wordpress")(SourceContext(config=source_config, fetcher=fetcher))
            return await source.fetch_post(web.local(f"https://{PROGRESS}/?p=8123"))

    o = asyncio.run(run())
    assert o.post is not None and web.real(o.post.url) == PROGRESS_POST
    assert o.post.platform_id == "8123"


# -- pure parsers --------------------------------------------------------------------------------


def test_rest_datetime_keeps_the_site_offset() -> None:
    assert rest_datetime("2019-09-19T08:05:37", "2019-09-19T07:05:37").isoformat() == (  # type: ignore[union-attr]
        "2019-09-19T08:05:37+01:00"
    )
    assert rest_datetime(None, "2019-01-30T22:03:51").isoformat() == "2019-01-30T22:03:51+00:00"  # type: ignore[union-attr]
    assert rest_datetime(None, None) is None


def test_split_title_keeps_the_raw_title_only_when_it_differs() -> None:
    assert split_title("Labour NEC Report – March\u00a02019") == (
        "Labour NEC Report – March 2019",
        "Labour NEC Report – March\u00a02019",
    )
    assert split_title("NEC report – November 2011") == ("NEC report – November 2011", None)


def test_unknown_tag_slug_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_rest_term_id("https://x/wp-json/wp/v2/tags?slug=nope", b"[]")
    assert parse_rest_term_id("u", b'[{"id":3464,"name":"General election"}]') == 3464


def test_rest_comments_are_threaded_and_oldest_first(corpus: Any) -> None:
    data = (corpus / "aliceperry.wordpress.com/wp-json/wp/v2/comments__post=4215.json").read_bytes()
    comments = parse_rest_comments("u", data)
    assert [(c.platform_id, c.parent_id, c.author) for c in comments] == [
        ("1201", None, "Sam Example"),
        ("1202", "1201", "Pat Placeholder"),
    ]


def test_html_comments_in_older_markup() -> None:
    """Older WordPress themes: `li#comment-ID > div#div-comment-ID`, replies in `ul.children`."""
    page = """<ol class="commentlist">
      <li id="comment-7"><div id="div-comment-7"><div class="comment-author vcard">
        <cite class="fn"><a href="https://example.org/">Ann</a></cite></div>
        <div class="comment-meta"><a href="#comment-7">
          <time datetime="2012-01-02T03:04:05+00:00">x</time></a></div>
        <div class="comment-content"><p>First.</p></div></div>
        <ul class="children"><li id="comment-8"><div id="div-comment-8">
          <div class="comment-author vcard"><b class="fn">Bob</b></div>
          <div class="comment-content"><p>Reply.</p></div></div></li></ul>
      </li></ol>"""
    comments = parse_html_comments("https://example.org/post/", page)
    assert [(c.platform_id, c.parent_id, c.author, c.body_text) for c in comments] == [
        ("7", None, "Ann", "First."),
        ("8", "7", "Bob", "Reply."),
    ]
    assert comments[0].author_url == "https://example.org/"
    assert comments[1].published_at is None


def test_clean_body_html_drops_plugin_chrome() -> None:
    body = (
        '<p>Text.</p><div id="jp-post-flair"><h3>Share this:</h3></div>'
        '<div class="progress-appeal"><p>Become a member</p></div>'
        '<div class="printfriendly"><a>Print Friendly</a></div>'
    )
    assert clean_body_html(body) == "<p>Text.</p>"


def test_archive_without_posts_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_archive_page("https://example.org/tag/x/", "<html><body><p>Nothing here</p></body></html>")


def test_archive_permalinks_drop_fragments(corpus: Any) -> None:
    page = parse_archive_page(
        ARCHIVE_2, (corpus / "aliceperry.wordpress.com/tag/general-election/page/2/index.html").read_bytes()
    )
    assert len(page.urls) == 5 and page.next_url is None
    assert all("#" not in u and re.match(rf"{A}/\d{{4}}/", u) for u, _ in page.urls)


def test_auto_falls_back_to_rss_when_rest_is_absent(web: ReplayWeb, expected_posts: dict) -> None:
    web.delete(TAGS_LOOKUP)
    obs, source = poll(web, ALICE)
    assert source.path_used == "rss"
    assert obs.listing_complete and obs.failures == ()
    assert set(by_real_url(web, obs)) == set(site_expected(expected_posts, ALICE))
    assert site_requests(web)[:2] == [
        ("/wp-json/wp/v2/tags?slug=general-election", 404),
        ("/tag/general-election/feed/", 200),
    ]


def test_rest_404_after_rest_answered_is_a_failure_not_an_absence(web: ReplayWeb) -> None:
    web.delete(POSTS_ALL)
    obs, _ = poll(web, ALICE)
    assert not obs.listing_complete
    assert [(web.real(f.url), f.http_status) for f in obs.failures] == [(POSTS_ALL, 404)]
    assert web.count(ALICE, "/tag/general-election/feed/") == 0


def test_post_url_serving_a_listing_is_a_failure_not_a_post(web: ReplayWeb) -> None:
    """A moved post redirected to an archive must not be read as the archive's first post."""
    web.set(SEPT, web.body(ARCHIVE_1))
    obs, _ = poll(web, ALICE, via="html")
    got = by_real_url(web, obs)
    assert got[SEPT].outcome is Outcome.FAILED and got[SEPT].post is None
    assert [(web.real(f.url), f.kind) for f in obs.failures] == [(SEPT, "unexpected_page")]
    assert sum(o.outcome is Outcome.FETCHED for o in obs.posts) == 9


def test_split_comment_pages_are_all_read(web: ReplayWeb) -> None:
    """WordPress's "break comments into pages": the other pages are followed, ids deduplicated."""
    page = web.body(SEPT).decode()
    start = page.index('<ol class="children">')
    end = page.index("</ol><!-- .children -->") + len("</ol><!-- .children -->")
    reply = page[start:end].replace('<ol class="children">', "").replace("</ol><!-- .children -->", "")
    nav = f'<nav class="comment-navigation"><a href="{SEPT}comment-page-2/#comments">Newer comments</a></nav>'
    first = page[:start] + page[end:]
    first = first.replace('<ol class="commentlist">', nav + '<ol class="commentlist">')
    second = page[: page.index('<ol class="commentlist">')] + f'<ol class="commentlist">{reply}</ol></div>'
    web.set(SEPT, first)
    web.set(f"{SEPT}comment-page-2/", second)
    obs, _ = poll(web, ALICE, via="html")
    comments = by_real_url(web, obs)[SEPT].comments
    assert comments is not None
    assert [(c.platform_id, c.author) for c in comments] == [
        ("1201", "Sam Example"),
        ("1202", "Pat Placeholder"),
    ]


def test_via_aliases_and_rest_titles_with_markup() -> None:
    from necwatch.sources.wordpress import VIA_ALIASES, fragment_text_raw

    assert VIA_ALIASES == {"json": "rest", "feed": "rss"}
    assert fragment_text_raw("<em>NEC</em> Report \u2013 March&nbsp;2019") == "NEC Report – March\u00a02019"
