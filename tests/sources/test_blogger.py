"""Blogger adapter against the reference web on loopback: every path gives the facts in expected.json."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from necwatch.demo import demo_config
from necwatch.errors import ParseError
from necwatch.extract.dates import parse_iso, parse_local, parse_local_date, to_minute
from necwatch.extract.select import css_many, css_one, parse_html
from necwatch.extract.text import collapse_ws
from necwatch.fetch import HttpClient
from necwatch.models import Outcome, Post, PostObservation, SourceObservation
from necwatch.replay import ReplayWeb
from necwatch.sources import source_class
from necwatch.sources.base import SourceContext
from necwatch.sources.blogger import (
    BloggerSource,
    comment_text,
    is_disallowed,
    parse_comments_atom,
    parse_feed_atom,
    parse_feed_json,
    parse_listing_page,
    parse_post_page,
)

HOST = "lukeakehurst.blogspot.com"
REAL = f"https://{HOST}/"
FEED = REAL + "feeds/posts/default"
VOTER_ID = REAL + "2023/03/voter-id.html"
LONDON = ZoneInfo("Europe/London")


# -- helpers --------------------------------------------------------------------------------------


async def _run(
    web: ReplayWeb,
    action: Callable[[BloggerSource], Any],
    *,
    page_size: int | None = None,
    known: dict[str, datetime | None] | None = None,
    wants: Callable[[Post], bool] | None = None,
    **override: object,
) -> Any:
    cfg = demo_config(web, hosts=[HOST])
    sc = cfg.sources[0].model_copy(update=override)
    async with HttpClient(cfg.fetch, user_agent=cfg.user_agent, allow_private=True) as client:
        ctx = SourceContext(
            config=sc,
            fetcher=client.for_source(sc.name, sc.allowed_hosts),
            known=known or {},
            wants_comments=wants or (lambda post: True),
        )
        return await action(BloggerSource(ctx, page_size=page_size))


def poll(web: ReplayWeb, **kwargs: Any) -> SourceObservation:
    return asyncio.run(_run(web, lambda s: s.poll(), **kwargs))


def by_real_url(web: ReplayWeb, obs: SourceObservation) -> dict[str, PostObservation]:
    return {web.real(o.url): o for o in obs.posts}


def unrewrite(web: ReplayWeb, text: str) -> str:
    """Undo the replay's rewriting of real URLs (bodies mention them) to local bases."""
    for host in web.hosts:
        text = text.replace(web.base(host).rstrip("/"), f"https://{host}")
    return text


def sha(text: str, web: ReplayWeb) -> str:
    """expected.json's body_sha256 of a body text read from the replay."""
    return hashlib.sha256(collapse_ws(unrewrite(web, text)).encode()).hexdigest()


def same_instant(got: datetime | None, want: str, *, minute: bool) -> None:
    """Equal to the second (feeds) or the minute (HTML), and with the offset the source gives."""
    assert got is not None and got.tzinfo is not None
    expected = datetime.fromisoformat(want)
    got = to_minute(got) if minute else got.replace(microsecond=0)
    assert got == (to_minute(expected) if minute else expected)
    assert got.utcoffset() == expected.utcoffset()


def blogger_posts(expected: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in expected["posts"] if p["source_host"] == HOST]


def paths(web: ReplayWeb) -> list[str]:
    """Requests the adapter made (robots.txt is the fetcher's business)."""
    return [r.path for r in web.requests if r.host == HOST and r.path != "/robots.txt"]


def feed_without(web: ReplayWeb, post_id: str) -> bytes:
    """The Atom feed with one entry removed (the post was deleted)."""
    body = web.body(FEED).decode()
    body, n = re.subn(rf"<entry><id>[^<]*\.post-{post_id}</id>.*?</entry>", "", body, flags=re.S)
    assert n == 1
    return body.replace("<openSearch:totalResults>8<", "<openSearch:totalResults>7<").encode()


# -- every path yields the expected facts -----------------------------------------------------------


@pytest.mark.parametrize("via", ["feed", "json", "html"])
def test_poll_matches_expected(web: ReplayWeb, expected: dict[str, Any], via: str) -> None:
    obs = poll(web, via=via)
    assert obs.listing_complete, obs.failures
    assert obs.failures == ()
    found = by_real_url(web, obs)
    posts = blogger_posts(expected)
    assert set(found) == {p["url"] for p in posts}
    html = via == "html"
    for want in posts:
        o = found[want["url"]]
        assert o.outcome is Outcome.FETCHED and o.post is not None
        post = o.post
        assert post.via == via
        assert web.real(post.url) == want["url"]
        assert post.title == want["title"]
        assert post.author == want["author"]
        assert post.platform_id == want["platform_id"]
        assert list(post.labels) == want["labels"]
        assert sha(post.body_text, web) == want["body_sha256"], want["url"]
        assert collapse_ws(unrewrite(web, post.body_text)).startswith(want["body_startswith"])
        same_instant(post.published_at, want["published"], minute=html)
        if html:
            assert post.updated_at is None  # the classic page does not print it
        else:
            same_instant(post.updated_at, want["updated"], minute=False)
        assert "<h3" not in post.body_html and "comment-poster" not in post.body_html
        assert o.comments is not None
        assert len(o.comments) == want["comment_count"]
        for got, c in zip(o.comments, want["comments"], strict=True):
            assert got.platform_id == c["platform_id"]
            assert got.author == c["author"]
            assert got.body_text.startswith(c["text_startswith"])
            assert got.parent_id == c["parent_id"]
            same_instant(got.published_at, c["published"], minute=html)
            assert got.url is not None and f"#c{c['platform_id']}" in got.url
            if c["author"] == "Luke Akehurst":
                assert got.author_url is not None and "/profile/07361125388720659810" in got.author_url
            else:
                assert got.author_url is None
    assert not any(p.startswith("/search") for p in paths(web))


def test_feed_and_html_paths_agree(web: ReplayWeb) -> None:
    """Same posts, titles, authors, minutes, body text and comments whichever way they were read."""
    feed = by_real_url(web, poll(web, via="feed"))
    html = by_real_url(web, poll(web, via="html"))
    assert feed.keys() == html.keys()
    for url, f in feed.items():
        h = html[url]
        assert f.post is not None and h.post is not None
        assert (f.post.title, f.post.author, f.post.labels, f.post.body_text) == (
            h.post.title,
            h.post.author,
            h.post.labels,
            h.post.body_text,
        )
        assert f.post.published_at is not None and h.post.published_at is not None
        assert to_minute(f.post.published_at) == h.post.published_at
        assert f.comments is not None and h.comments is not None
        assert [(c.platform_id, c.author, c.body_text) for c in f.comments] == [
            (c.platform_id, c.author, c.body_text) for c in h.comments
        ]


def test_registered_and_requests_stay_on_the_blog(web: ReplayWeb) -> None:
    assert source_class("blogger") is BloggerSource
    poll(web, via="feed")
    requested = paths(web)
    # thr:total = 0 → no comment feed fetched; the two commented posts → one comment feed each
    comment_feeds = [p for p in requested if "/comments/" in p]
    assert sorted(comment_feeds) == [
        "/feeds/6112840932776055163/comments/default",
        "/feeds/8520364218827419470/comments/default",
    ]
    assert requested.count("/feeds/posts/default") == 1
    assert {r.host for r in web.requests} == {HOST}


def test_html_path_reads_archives_and_fetches_only_commented_post_pages(web: ReplayWeb) -> None:
    poll(web, via="html")
    requested = paths(web)
    assert requested[0] == "/"
    assert "/2011_11_01_archive.html" in requested  # the 2011 post is only in its archive
    assert {p for p in requested if p.endswith(".html") and "_archive" not in p} == {
        "/2024/01/nec-report-23-january-2024.html",
        "/2023/03/nec-report-28-march-2023.html",
    }
    assert len(requested) == len(set(requested))  # nothing read twice
    assert not any(p.startswith("/search") or p.startswith("/feeds") for p in requested)


def test_wants_comments_false_reads_no_comments(web: ReplayWeb) -> None:
    obs = poll(web, via="feed", wants=lambda post: False)
    assert not any("/comments/" in p for p in paths(web))
    assert len(obs.posts) == 8


# -- pagination, labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("via", "first", "second"),
    [
        ("feed", "?start-index=1&max-results=5", "?start-index=6&max-results=5"),
        ("json", "?alt=json&start-index=1&max-results=5", "?alt=json&start-index=6&max-results=5"),
    ],
)
def test_pagination_is_built_on_the_blog_base(web: ReplayWeb, via: str, first: str, second: str) -> None:
    obs = poll(web, via=via, page_size=5)
    assert obs.listing_complete and obs.failures == ()
    assert len(obs.posts) == 8
    listing = [p for p in paths(web) if p.startswith("/feeds/posts/")]
    assert listing == ["/feeds/posts/default" + first, "/feeds/posts/default" + second]


def test_max_pages_cuts_the_listing(web: ReplayWeb) -> None:
    obs = poll(web, via="feed", page_size=5, max_pages=1)
    assert len(obs.posts) == 5
    assert obs.listing_complete  # every page read was read; only exhaustion is unknown


def test_a_repeated_feed_page_ends_the_listing_unexhausted(web: ReplayWeb) -> None:
    """A server that ignores start-index must not loop, and must not claim the listing was read to its end."""
    web.set(FEED + "?start-index=6&max-results=5", web.body(FEED + "?start-index=1&max-results=5"))
    obs = poll(web, via="feed", page_size=5, known={web.local(REAL + "2011/11/nec-report.html"): None})
    assert len([o for o in obs.posts if o.outcome is Outcome.FETCHED]) == 5
    assert obs.listing_complete
    # not exhausted: a known post with no date is not re-checked (nothing is inferred from its absence)
    assert web.count(HOST, "/2011/11/nec-report.html") == 0
    assert paths(web).count("/feeds/posts/default?start-index=6&max-results=5") == 1


def test_label_feed(web: ReplayWeb) -> None:
    obs = poll(web, via="feed", label="NEC")
    assert obs.listing_complete
    assert {web.real(o.url) for o in obs.posts} == {
        REAL + "2024/01/nec-report-23-january-2024.html",
        REAL + "2023/03/nec-report-28-march-2023.html",
        REAL + "2011/11/nec-report.html",
    }
    assert "/feeds/posts/default/-/NEC" in paths(web)


def test_label_over_html_filters_without_search_pages(web: ReplayWeb) -> None:
    obs = poll(web, via="html", label="NEC")
    assert len(obs.posts) == 3
    assert all(o.post is not None and "NEC" in o.post.labels for o in obs.posts)
    assert not any(p.startswith("/search") for p in paths(web))


# -- failures --------------------------------------------------------------------------------------


def test_feed_503_is_an_incomplete_listing(web: ReplayWeb) -> None:
    web.set(FEED, "busy", status=503)
    obs = poll(web, via="feed")
    assert not obs.listing_complete
    assert obs.posts == ()
    assert [f.kind for f in obs.failures] == ["http_5xx"]
    assert obs.failures[0].http_status == 503


def test_auto_falls_back_to_html_when_the_feed_fails(web: ReplayWeb, expected: dict[str, Any]) -> None:
    web.set(FEED, "busy", status=503)
    obs = poll(web, via="auto")
    # the feed's failure stays on record; the HTML listing (home + every archive) is complete
    assert [f.kind for f in obs.failures] == ["http_5xx"]
    assert obs.listing_complete
    assert {web.real(o.url) for o in obs.posts} == {p["url"] for p in blogger_posts(expected)}
    assert all(o.post is not None and o.post.via == "html" for o in obs.posts)


def test_auto_uses_the_feed_when_it_works(web: ReplayWeb) -> None:
    obs = poll(web, via="auto")
    assert obs.listing_complete and obs.failures == ()
    assert all(o.post is not None and o.post.via == "feed" for o in obs.posts)
    assert "/" not in paths(web)


def test_auto_with_feed_and_home_down(web: ReplayWeb) -> None:
    web.set(FEED, "busy", status=503)
    web.set(REAL, "busy", status=503)
    obs = poll(web, via="auto")
    assert not obs.listing_complete
    assert [f.kind for f in obs.failures] == ["http_5xx", "http_5xx"]


@pytest.mark.parametrize(
    ("via", "url", "body", "ctype"),
    [
        ("feed", FEED, "<html><body>Service moved</body></html>", "application/atom+xml"),
        ("feed", FEED, "<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "application/atom+xml"),
        ("json", FEED + "?alt=json", '{"feed": {"entry": [', "application/json"),
        ("json", FEED + "?alt=json", '{"version": "1.0"}', "application/json"),
    ],
)
def test_malformed_feed_is_a_clear_failure(web: ReplayWeb, via: str, url: str, body: str, ctype: str) -> None:
    web.set(url, body, content_type=ctype)
    obs = poll(web, via=via)
    assert not obs.listing_complete
    assert [f.kind for f in obs.failures] == ["feed_unparseable"]
    assert web.real(obs.failures[0].url) == url


def test_comment_feed_failure_is_unknown_comments(web: ReplayWeb) -> None:
    comments = REAL + "feeds/6112840932776055163/comments/default"
    web.set(comments, "busy", status=503)
    found = by_real_url(web, poll(web, via="feed"))
    o = found[REAL + "2024/01/nec-report-23-january-2024.html"]
    assert o.outcome is Outcome.FETCHED and o.comments is None
    assert found[REAL + "2023/03/nec-report-28-march-2023.html"].comments is not None


@pytest.mark.parametrize("via", ["feed", "html"])
def test_removed_post_is_gone(web: ReplayWeb, via: str) -> None:
    web.delete(VOTER_ID)
    web.set(FEED, feed_without(web, "9012746618340051257"))
    # …and from the HTML listing: home page and its March 2023 archive
    for page in (REAL, REAL + "2023_03_01_archive.html"):
        html = web.body(page).decode()
        html = re.sub(
            r'<h2 class="date-header">Tuesday, March 14, 2023</h2>\s*<!-- Begin \.post -->\s*'
            r'<div class="post"><a name="9012746618340051257">.*?<!-- End \.post -->',
            "",
            html,
            flags=re.S,
        )
        assert "9012746618340051257" not in html.split("<!-- End #main")[0]
        web.set(page, html)
    local = web.local(VOTER_ID)
    obs = poll(web, via=via, known={local: datetime(2023, 3, 14, 19, 30, tzinfo=LONDON)})
    gone = [o for o in obs.posts if o.url == local]
    assert len(gone) == 1
    assert gone[0].outcome is Outcome.GONE and gone[0].http_status == 404
    assert obs.listing_complete
    assert len([o for o in obs.posts if o.outcome is Outcome.FETCHED]) == 7


# -- single posts -----------------------------------------------------------------------------------


def test_fetch_post_html_mode_reads_page_comments(web: ReplayWeb, expected_posts: dict[str, Any]) -> None:
    url = REAL + "2023/03/nec-report-28-march-2023.html"
    obs = asyncio.run(_run(web, lambda s: s.fetch_post(web.local(url)), via="html"))
    assert obs.outcome is Outcome.FETCHED and obs.post is not None
    assert sha(obs.post.body_text, web) == expected_posts[url]["body_sha256"]
    assert obs.comments is not None
    assert [c.author for c in obs.comments] == ["Andrea", "Luke Akehurst", "Andrea"]
    assert obs.comments[0].published_at == datetime(2023, 3, 31, 9, 33, tzinfo=LONDON)
    assert paths(web) == ["/2023/03/nec-report-28-march-2023.html"]


def test_fetch_post_feed_mode_reads_the_comment_feed(web: ReplayWeb) -> None:
    url = REAL + "2024/01/nec-report-23-january-2024.html"
    obs = asyncio.run(_run(web, lambda s: s.fetch_post(web.local(url)), via="feed"))
    assert obs.comments is not None and len(obs.comments) == 3
    assert obs.comments[0].published_at is not None and obs.comments[0].published_at.second == 31
    assert paths(web) == [
        "/2024/01/nec-report-23-january-2024.html",
        "/feeds/6112840932776055163/comments/default",
    ]


def test_fetch_post_not_wanted_reads_no_comment_feed(web: ReplayWeb) -> None:
    url = REAL + "2024/01/nec-report-23-january-2024.html"
    obs = asyncio.run(_run(web, lambda s: s.fetch_post(web.local(url)), via="json", wants=lambda p: False))
    assert obs.outcome is Outcome.FETCHED and obs.comments is None
    assert paths(web) == ["/2024/01/nec-report-23-january-2024.html"]


def test_fetch_post_404_is_gone(web: ReplayWeb) -> None:
    web.delete(VOTER_ID, status=410)
    obs = asyncio.run(_run(web, lambda s: s._safe_fetch_post(web.local(VOTER_ID)), via="feed"))
    assert obs.outcome is Outcome.GONE and obs.http_status == 410


# -- pure parsers -----------------------------------------------------------------------------------


def test_parsers_are_pure(corpus: Path) -> None:
    root = corpus / HOST
    atom = parse_feed_atom(FEED, (root / "feeds/posts/default.xml").read_bytes())
    assert (atom.total_results, atom.start_index, atom.items_per_page, atom.has_next) == (8, 1, 25, False)
    page1 = parse_feed_atom(
        FEED, (root / "feeds/posts/default__start-index=1%26max-results=5.xml").read_text()
    )
    assert page1.has_next and len(page1.entries) == 5  # the next link's www.blogger.com URL is not kept
    js = parse_feed_json(FEED, (root / "feeds/posts/default__alt=json.json").read_text())
    assert {e.post.via for e in js.entries if e.post} == {"json"}
    assert [e.url for e in js.entries] == [e.url for e in atom.entries]
    assert [(e.post.body_text, e.post.published_at) for e in js.entries if e.post] == [
        (e.post.body_text, e.post.published_at) for e in atom.entries if e.post
    ]
    assert js.entries[0].comment_count == 3
    comments = parse_comments_atom("x", (root / "feeds/9012746618340051257/comments/default.xml").read_text())
    assert comments.entries == [] and comments.total_results == 0
    post, post_comments = parse_post_page(VOTER_ID, (root / "2023/03/voter-id.html").read_text())
    assert post.url == VOTER_ID and post.title == "Voter ID" and post_comments == ()


def test_listing_page_never_keeps_search_links() -> None:
    html = """<html><body><div id="main">
      <h2 class="date-header">Wednesday, January 24, 2024</h2>
      <div class="post"><a name="1"></a><h3 class="post-title">A&nbsp;title</h3>
        <div class="post-body"><p>Body</p></div>
        <p class="post-footer"><em>posted by Someone @
          <a href="/2024/01/a.html" title="permanent link">1:37 pm</a></em>
        <a class="comment-link" href="/2024/01/a.html#comments">1 comments</a></p></div>
      <a id="blog-pager-older-link" href="/search?updated-max=2024-01-01T00:00:00Z">Older Posts</a>
      </div><ul class="archive-list"><li><a href="/2024_01_01_archive.html">January 2024</a></li>
      <li><a href="/search/label/NEC">NEC</a></li></ul></body></html>"""
    page = parse_listing_page("http://127.0.0.1:9/", html, "Europe/London")
    assert page.older_url is None
    assert page.archive_urls == ["http://127.0.0.1:9/2024_01_01_archive.html"]
    (lp,) = page.posts
    assert lp.url == "http://127.0.0.1:9/2024/01/a.html" and lp.comment_count == 1
    assert lp.post is not None and lp.post.title == "A title" and lp.post.title_raw == "A\xa0title"
    assert lp.post.author == "Someone"
    assert lp.post.published_at == datetime(2024, 1, 24, 13, 37, tzinfo=LONDON)
    assert is_disallowed("http://127.0.0.1:9/search/label/NEC") and not is_disallowed(
        "http://h/searching.html"
    )


def test_template_change_is_a_parse_error() -> None:
    html = '<div id="main"><h2 class="date-header">Monday, May 1, 2023</h2>'
    html += '<div class="post"><p>x</p></div></div>'
    with pytest.raises(ParseError) as e:
        parse_listing_page("http://h/", html)
    assert e.value.url == "http://h/" and e.value.selector == "h3.post-title"


def test_comment_text_keeps_paragraph_breaks() -> None:
    assert comment_text("Hi,<br /><br />There.<br />Next line") == "Hi,\n\nThere.\nNext line"
    assert comment_text("<p>Hi,<br><br><br>There.</p>") == "Hi,\n\nThere."


# -- shared helpers (extract.dates, extract.select) --------------------------------------------------


def test_dates_helpers() -> None:
    assert parse_local("4:15 pm, January 24, 2024", LONDON).isoformat() == "2024-01-24T16:15:00+00:00"
    assert parse_local("3:39 pm, April 01, 2023", "Europe/London").isoformat() == "2023-04-01T15:39:00+01:00"
    assert parse_local("12:05 am, Wednesday, January 24, 2024", LONDON).hour == 0
    assert parse_local("Wednesday, January 24, 2024 at 1:37 pm", LONDON).hour == 13
    assert parse_local_date("Thursday, March 30, 2023").isoformat() == "2023-03-30"
    assert parse_iso("2023-03-30T11:20:00.000+01:00").utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    for bad in ("yesterday", "13:15 pm, January 24, 2024", "4:15 pm, Smarch 24, 2024"):
        with pytest.raises(ValueError):
            parse_local(bad, LONDON)
    with pytest.raises(ValueError):
        parse_iso("2024-01-24T13:37:00")  # no offset and no default zone


def test_select_helpers_raise_naming_url_and_selector() -> None:
    tree = parse_html("<div><p>a</p></div>", "http://h/x")
    assert css_one(tree, "p", "http://h/x").text() == "a"
    with pytest.raises(ParseError, match=r"h/x.*'span\.x'"):
        css_one(tree, "span.x", "http://h/x")
    with pytest.raises(ParseError):
        css_many(tree, "p", "http://h/x", min_items=2)


def test_comment_text_read_from_the_parsed_node_equals_a_fresh_parse(corpus: Path) -> None:
    """Comments are read from the page's own tree (no second parse) unless they hold a `<br><br>`
    paragraph break: on every comment body of the reference web and the extraction fixtures, and on
    made-up shapes, both ways give the same text."""
    from necwatch.sources.blogger import comment_text

    pages = [p for p in corpus.rglob("*.html") if p.read_bytes().strip()]
    pages += list((Path(__file__).resolve().parents[1] / "extract" / "fixtures").glob("blogger_*.html"))
    made_up = (
        "<div><dd class='comment-body'><p>One&nbsp;&nbsp;para <b>bold\nline</b></p>tail<br>next"
        "<!-- hidden --><img alt='x'><script>no()</script><ul><li>a</li><li>b</li></ul></dd></div>"
    )
    bodies = []
    for html in [made_up, *(p.read_text(encoding="utf-8", errors="replace") for p in pages)]:
        tree = parse_html(html, "https://x.example/")
        bodies += tree.css("dd.comment-body, .comment-content")
    assert len(bodies) > 10
    for node in bodies:
        html = (node.inner_html or "").strip()
        assert comment_text(html, node) == comment_text(html), html[:200]
