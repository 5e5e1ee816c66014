"""Which captured URLs are post pages; which captures are versions; the polite client's pace."""

from __future__ import annotations

import asyncio
import re
from zoneinfo import ZoneInfo

import pytest

from necwatch.webarchive.client import ArchiveRequests, BudgetSpent
from necwatch.webarchive.emulator import reference_captures
from necwatch.webarchive.pick import Shapes, is_post_url
from necwatch.webarchive.verdict import judge, login_wall, same_post

TZ = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("url", "post"),
    [
        ("https://x.wordpress.com/2019/01/30/labour-nec-report-january-2019/", True),
        ("http://x.blogspot.com/2011/11/nec-report.html", True),
        ("https://labourlist.org/2014/11/nec-report-november-4th-2014/", True),
        ("https://x.org/blog/2016/03/nec-report/", True),
        ("https://x.org/?p=4076", True),
        ("https://x.wordpress.com/tag/general-election/", False),
        ("https://x.wordpress.com/tag/general-election/page/2/", False),
        ("https://x.wordpress.com/2019/01/30/labour-nec-report-january-2019/feed/", False),
        ("https://x.wordpress.com/2019/01/30/labour-nec-report-january-2019/comment-page-2/", False),
        ("https://x.blogspot.com/2011_11_01_archive.html", False),
        ("https://x.blogspot.com/2023/03/nec-report.html?showComment=1680251592604", False),
        ("https://x.wordpress.com/wp-json/wp/v2/posts?tags=1", False),
        ("https://x.wordpress.com/wp-login.php", False),
        ("https://x.wordpress.com/2019/01/photo.jpg", False),
        ("https://x.wordpress.com/", False),
        ("https://x.wordpress.com/about/", False),
    ],
)
def test_post_pages_by_the_heuristic(url: str, post: bool) -> None:
    assert is_post_url(url) is post


def test_a_platform_pattern_picks_pages_the_heuristic_does_not() -> None:
    assert not is_post_url("https://x.org/reports/nec-march/")
    assert is_post_url("https://x.org/reports/nec-march/", (re.compile(r"^/reports/[^/]+/$"),))
    assert not is_post_url("https://x.org/tag/nec/", (re.compile(r"^/.+/$"),))  # never a listing


def test_captures_judged_like_live_pages() -> None:
    captures, sc = reference_captures()
    by = {(c.original, c.timestamp): c for c in captures}
    post = next(c for (u, _), c in by.items() if u == sc.edited)
    ok = judge(sc.edited, 200, None, "text/html", post.body, tz=TZ, default_author=None)
    assert ok.is_version and ok.post is not None and ok.post.url == sc.edited
    assert judge(sc.edited, 404, None, "text/html", b"", tz=TZ, default_author=None).reason == "http_404"
    redirected = judge(
        sc.edited, 200, sc.not_found_capture, "text/html", post.body, tz=TZ, default_author=None
    )
    assert redirected.reason is not None and redirected.reason.startswith("redirect")
    login = next(c for (u, _), c in by.items() if u == sc.login and b"loginform" in c.body)
    assert login_wall(login.body) and judge(
        sc.login, 200, None, "text/html", login.body, tz=TZ, default_author=None
    ).reason.startswith("login")  # type: ignore[union-attr]
    listing = next(c for (u, t), c in by.items() if u == sc.other_page and t.startswith("2022"))
    other = judge(sc.other_page, 200, None, "text/html", listing.body, tz=TZ, default_author=None)
    assert other.reason is not None and other.reason.startswith("different page")
    # a post page served under another post's URL: its canonical link says so
    moved = judge(sc.login, 200, None, "text/html", post.body, tz=TZ, default_author=None)
    assert moved.reason is not None and moved.reason.startswith("different page")


def test_same_post_ignores_scheme_www_and_trailing_slash() -> None:
    assert same_post("http://www.x.org/2019/01/a", "https://x.org/2019/01/a/")
    assert not same_post("https://x.org/2019/01/a/", "https://x.org/2019/01/b/")
    assert not same_post("https://x.org/?p=1", "https://x.org/?p=2")


class _Fetcher:
    def __init__(self) -> None:
        self.records: list[object] = []
        self.requests = 0
        self.times: list[float] = []

    async def get(self, url: str, **kw: object) -> object:
        self.times.append(now[0])
        self.requests = 1
        return object()


now = [0.0]


def test_one_request_at_a_time_with_the_delay_and_a_budget() -> None:
    fetcher = _Fetcher()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def go() -> None:
        client = ArchiveRequests(fetcher, delay=3.0, budget=4, sleep=sleep, clock=lambda: now[0])
        await asyncio.gather(*(client.get(f"u{i}") for i in range(4)))
        with pytest.raises(BudgetSpent):
            await client.get("u5")
        assert client.made == 4 and client.waited == 9.0

    asyncio.run(go())
    assert [b - a for a, b in zip(fetcher.times, fetcher.times[1:], strict=False)] == [3.0, 3.0, 3.0]


# A self-hosted WordPress site's captures as the CDX API lists them (schemes, `www.`, `:80`,
# every permalink structure it had over the years), and whether each is a post page.
WORDPRESS_CAPTURES = [
    ("http://www.member.example.org:80/2012/05/nec-report-may-2012/", True),
    ("https://member.example.org/2019/01/30/labour-nec-report-january-2019/", True),
    ("http://member.example.org/archives/4076", True),
    ("http://member.example.org/?p=4077", True),
    ("http://member.example.org/index.php/2011/09/nec-report-september/", True),
    ("https://member.example.org/", False),
    ("https://member.example.org/page/3/", False),
    ("https://member.example.org/2019/", False),
    ("https://member.example.org/2019/01/", False),
    ("https://member.example.org/2019/01/30/", False),
    ("https://member.example.org/2019/01/page/2/", False),
    ("https://member.example.org/tag/nec/", False),
    ("https://member.example.org/tag/nec/page/2/", False),
    ("https://member.example.org/category/reports/", False),
    ("http://member.example.org/archives/category/nec/", False),
    ("http://member.example.org/archives/date/2012/05/", False),
    ("https://member.example.org/author/admin/", False),
    ("https://member.example.org/feed/", False),
    ("https://member.example.org/2019/01/30/labour-nec-report-january-2019/feed/", False),
    ("https://member.example.org/2019/01/30/labour-nec-report-january-2019/amp/", False),
    ("https://member.example.org/2019/01/30/labour-nec-report-january-2019/?replytocom=12", False),
    ("https://member.example.org/2019/01/30/labour-nec-report-january-2019/?share=twitter", False),
    ("https://member.example.org/2019/01/30/labour-nec-report-january-2019/attachment/nec/", False),
    ("https://member.example.org/?s=nec", False),
    ("https://member.example.org/?cat=3", False),
    ("https://member.example.org/?paged=2", False),
    ("https://member.example.org/?feed=rss2", False),
    ("https://member.example.org/?page_id=2", False),
    ("https://member.example.org/about/", False),
    ("https://member.example.org/p/members-only/", False),  # Substack's shape, on a WordPress site
    ("https://member.example.org/wp-content/uploads/2019/01/nec.jpg", False),
    ("https://member.example.org/wp-login.php?redirect_to=%2F", False),
    ("https://member.example.org/xmlrpc.php", False),
]


def test_a_wordpress_sites_captures_picked_by_its_own_pattern() -> None:
    import necwatch.sources  # noqa: F401  (registers the platforms)
    from necwatch.webarchive.pick import platform_patterns

    patterns = platform_patterns("wordpress")
    picked = [u for u, _ in WORDPRESS_CAPTURES if is_post_url(u, patterns)]
    assert picked == [u for u, post in WORDPRESS_CAPTURES if post]


def test_an_unknown_platform_is_picked_with_every_platforms_pattern() -> None:
    import necwatch.sources  # noqa: F401
    from necwatch.sources.registry import platform
    from necwatch.webarchive.pick import platform_patterns

    every = platform_patterns(None)
    assert platform("wordpress").post_url in every and platform("substack").post_url in every
    assert platform_patterns("archive") == every  # `type: archive` knows no platform
    assert platform_patterns("ghost") == every  # a platform without a pattern: every one's
    assert platform_patterns("wordpress") == (platform("wordpress").post_url,)
    # its numbered and dated posts, and now also what another platform's shape is
    picked = {u for u, _ in WORDPRESS_CAPTURES if is_post_url(u, every)}
    assert picked == {u for u, post in WORDPRESS_CAPTURES if post} | {
        "https://member.example.org/p/members-only/"
    }
    for url, post in WORDPRESS_CAPTURES:  # never a listing, feed, search or page N, whatever the site
        if not post and "/p/" not in url:
            assert not is_post_url(url, every), url


# -- a site's URL shapes come from the registry (issue 21: one registry of platforms) --
# (url, what it is on a WordPress site / on a Blogger site): post, feed, comments (a comment feed),
# listing, or "" (none of these: a page)
SITE_URLS = [
    ("https://m.example.org/2019/01/30/nec-report/", "post", "post"),
    ("https://m.example.org/archives/4076", "post", ""),
    ("https://m.example.org/?p=4076", "post", ""),
    ("https://m.example.org/index.php/2019/01/30/nec-report/", "post", ""),
    ("https://m.blogspot.com/2011/11/nec-report.html", "post", "post"),
    ("https://m.blogspot.com/2011/11/nec-report.html?showComment=1#c1", "", ""),
    ("https://m.example.org/2019/01/30/nec-report/?replytocom=5", "", ""),
    ("https://m.example.org/feed/", "feed", ""),
    ("https://m.example.org/tag/nec/feed/", "feed", ""),
    ("https://m.example.org/?feed=rss2", "feed", ""),
    ("https://m.example.org/?feed=rss2&paged=2", "feed", ""),
    ("https://m.example.org/?feed=comments-rss2", "", ""),
    ("https://m.blogspot.com/feeds/posts/default", "", "feed"),
    ("https://m.blogspot.com/feeds/posts/default/-/NEC", "", "feed"),
    ("https://m.blogspot.com/atom.xml", "", "feed"),
    ("https://m.blogspot.com/feeds/posts/default?alt=rss", "", ""),
    ("https://m.example.org/comments/feed/", "comments", ""),
    ("https://m.example.org/2019/01/30/nec-report/feed/", "comments", ""),
    ("https://m.example.org/archives/4076/feed/", "comments", ""),  # a numeric permalink's
    ("https://m.blogspot.com/feeds/7346291/comments/default", "", "comments"),
    ("https://m.blogspot.com/feeds/comments/default?alt=rss&max-results=25", "", "comments"),
    ("https://m.blogspot.com/feeds/comments/default?orderby=updated", "", ""),
    ("https://m.example.org/", "listing", "listing"),
    ("https://m.example.org/page/2/", "listing", "listing"),
    ("https://m.example.org/2018/04/", "listing", "listing"),
    ("https://m.example.org/tag/nec/page/2/", "listing", ""),
    ("https://m.example.org/category/nec-reports/", "listing", ""),
    ("https://m.blogspot.com/search/label/NEC", "", "listing"),
    ("https://m.blogspot.com/2011_11_01_archive.html", "", ""),
    ("https://m.example.org/wp-json/wp/v2/posts", "", ""),
    ("https://m.example.org/2019/01/30/nec-report/comment-page-2/", "", ""),
    ("https://m.example.org/p/members-only/", "", ""),  # Substack's shape on another platform's site
]


def _kind(url: str, shapes: Shapes) -> str:
    from necwatch.webarchive.pick import is_comment_feed_url, is_feed_url, is_listing_url

    kinds = [
        k
        for k, yes in (
            ("post", is_post_url(url, shapes)),
            ("feed", is_feed_url(url, shapes)),
            ("comments", is_comment_feed_url(url, shapes)),
            ("listing", is_listing_url(url, shapes)),
        )
        if yes
    ]
    assert len(kinds) <= 1, (url, kinds)  # one kind at most
    return kinds[0] if kinds else ""


@pytest.mark.parametrize(("url", "on_wordpress", "on_blogger"), SITE_URLS)
def test_a_sites_urls_sorted_by_its_platforms_shapes(url: str, on_wordpress: str, on_blogger: str) -> None:
    import necwatch.sources  # noqa: F401
    from necwatch.webarchive.pick import site_shapes

    assert _kind(url, site_shapes("wordpress")) == on_wordpress
    assert _kind(url, site_shapes("blogger")) == on_blogger
    # a site of no known platform: every platform's shapes (Substack's `/p/slug` is a post there)
    every = "post" if url.endswith("/p/members-only/") else on_wordpress or on_blogger
    assert _kind(url, site_shapes(None)) == every


def test_site_shapes_are_the_platforms_own_else_every_platforms() -> None:
    import necwatch.sources  # noqa: F401
    from necwatch.sources.registry import platform, platforms
    from necwatch.webarchive.pick import site_shapes

    wordpress, blogger = platform("wordpress"), platform("blogger")
    own = site_shapes("wordpress")
    assert own.post == (wordpress.post_url,) and own.feed == (wordpress.feed_url,)
    assert own.comment_feed == (wordpress.comment_feed_url,) and own.listing == (wordpress.listing_url,)
    assert site_shapes("blogger").listing == (blogger.listing_url,)
    refusals = tuple(p.not_post for p in platforms() if p.not_post is not None)
    assert own.not_post == refusals == site_shapes("blogger").not_post  # refusals: always every one's
    every = site_shapes(None)
    assert site_shapes("archive") == every == site_shapes("ghost")  # no platform, or no shapes of its own
    assert wordpress.feed_url in every.feed and blogger.feed_url in every.feed


def test_a_platform_registered_later_sorts_its_urls_without_pick_changing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A platform's URL shapes reach the archive from its registry entry alone."""
    import necwatch.sources  # noqa: F401
    from necwatch.sources.html import HtmlSource
    from necwatch.sources.registry import PLATFORMS, Platform
    from necwatch.webarchive.pick import (
        comment_post_url,
        is_comment_feed_url,
        is_feed_url,
        is_listing_url,
        site_shapes,
    )

    example = Platform(
        name="zine",
        summary="a made-up platform",
        source=HtmlSource,
        post_url=re.compile(r"^/story/\d{1,9}/?$"),
        feed_url=re.compile(r"^/zine\.rss$"),
        comment_feed_url=re.compile(r"^(?P<post>/story/\d{1,9}/)talk\.rss$"),
        listing_url=re.compile(r"^/topics/[a-z-]{1,80}/$"),
        not_post=re.compile(r"(?:^|/)zine-admin(?:/|$)"),
        comment_page=re.compile(r"talk/\d{1,4}/?$"),
    )
    monkeypatch.setitem(PLATFORMS, "zine", example)
    zine = site_shapes("zine")
    assert is_post_url("https://z.example/story/12/", zine)
    assert not is_post_url("https://z.example/zine-admin/story/12/", zine)
    assert is_feed_url("https://z.example/zine.rss", zine)
    assert is_comment_feed_url("https://z.example/story/12/talk.rss", zine)
    assert not is_comment_feed_url("https://z.example/story/x/talk.rss", zine)
    assert is_listing_url("https://z.example/topics/nec/", zine)
    assert comment_post_url("https://z.example/story/12/talk/3/#c9", zine) == "https://z.example/story/12/"
    # a WordPress site still refuses the new platform's admin pages, and knows nothing else of it
    wordpress = site_shapes("wordpress")
    assert not is_post_url("https://m.example.org/zine-admin/2019/01/30/x/", wordpress)
    assert not is_feed_url("https://m.example.org/zine.rss", wordpress)


def test_a_listings_posts_and_excerpts_are_read_by_every_platforms_markup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A captured listing page: its posts found in HTML's `article`, a Blogger `.post-outer` (the
    registry's listing_post) or a later platform's own element; a post cut short by a WordPress
    `.more-link`, a Blogger `.jump-link` or that platform's own mark (excerpt_mark)."""
    import necwatch.sources  # noqa: F401
    from necwatch.sources.html import HtmlSource
    from necwatch.sources.registry import PLATFORMS, Platform
    from necwatch.webarchive.backfill import _is_excerpt, _listing_articles

    def listing(element: str) -> bytes:
        posts = "".join(
            f'<{element}><h2><a href="https://s.example/2019/0{n}/p{n}.html">Post {n}</a></h2>'
            f"<p>{'Words of the report. ' * 30}</p></{element.split()[0]}>"
            for n in (1, 2)
        )
        return f"<html><head><title>Blog</title></head><body>{posts}</body></html>".encode()

    def found(body: bytes) -> list[str]:
        return [u for u, _, _ in _listing_articles("https://s.example/", "text/html", body)]

    two = ["https://s.example/2019/01/p1.html", "https://s.example/2019/02/p2.html"]
    assert found(listing("article")) == two
    assert found(listing('div class="post-outer"')) == two  # Blogger's, from its registry entry
    assert found(listing('section class="zine-item"')) == []
    assert _is_excerpt('<p>The start.</p><a class="more-link" href="/x/">More</a>')
    assert _is_excerpt('<p>The start.</p><a class="jump-link" href="/x/">On</a>')
    assert not _is_excerpt('<p>The start.</p><a class="zine-cut" href="/x/">On</a>')
    monkeypatch.setitem(
        PLATFORMS,
        "zine",
        Platform(
            name="zine",
            summary="a made-up platform",
            source=HtmlSource,
            listing_post=".zine-item",
            excerpt_mark=".zine-cut",
        ),
    )
    assert found(listing('section class="zine-item"')) == two
    assert _is_excerpt('<p>The start.</p><a class="zine-cut" href="/x/">On</a>')
