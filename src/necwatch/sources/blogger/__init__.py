"""Blogger adapter: GData feeds first, the classic HTML template as the other (and fallback) path.

Paths (config `via`):
  feed  Atom `/feeds/posts/default` (or `/feeds/posts/default/-/LABEL`), comments from
        `/feeds/POSTID/comments/default`.
  json  the same feeds with `?alt=json`.
  html  the home page and every classic monthly archive (`/YYYY_MM_01_archive.html`) in the sidebar;
        comments from the post page's classic comment block.
  auto  Atom; if the feed listing cannot be read completely (any fetch or parse failure), the feed's
        failures are recorded and the HTML path is read instead. `listing_complete` then says whether
        the HTML listing was complete: the archives list every post, so their absence is as good
        evidence as the feed's. `rss`/`rest` are not Blogger paths and are read as `feed`.

Comments: only for posts `ctx.wants_comments` accepts and whose listing does not say 0 (`thr:total`,
"0 comments"). `fetch_post` (a permalink) reads the post page; in html mode the page's own comment block
is returned (read anyway, no extra request); in feed/json modes the comment feed is read when wanted, so
a comment's time keeps feed precision (seconds) whichever way its post was reached.
Pages: feeds are read `max_pages` pages at most; the HTML path counts the home page and each archive.

Blogger traps handled here (see the reference web's README):
  * feed `rel=next`/`self` links point at www.blogger.com: never followed; `start-index` pages are
    built on the blog's own base (whatever host/port it is), openSearch counts and `next` only signal
    that there is more.
  * robots.txt disallows `/search` (label pages, "Older Posts" links): such URLs are never requested;
    with a label and via=html, posts are filtered by the labels printed in their footers.
  * classic pages: titles are not links; the permalink is the footer's `a[title="permanent link"]`;
    the date is in the preceding `h2.date-header` (one header per day), the time in the permalink text,
    both printed in the blog's time zone (config.timezone) to the minute.
  * comment HTML uses `<br /><br />` for paragraph breaks: those become blank lines in body_text, the
    same way from the feed and from the page.

Parsing is pure (`parse_*` functions: url + text in, values out); `BloggerSource` does the fetching.

Package layout: `common` (values and helpers), `feed` (Atom and JSON feeds), `classic` (the classic
template), `pages` (every other template), `incremental` (how the feed change queries are asked; the
poll itself is sources/polling.py), `source` (the adapter); this module registers the platform.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from necwatch.extract.feeds import is_feed_document
from necwatch.extract.select import parse_html
from necwatch.models import Comment, Post
from necwatch.sources.blogger.classic import (
    parse_comments_html,
    parse_listing_page,
    parse_post_page,
)
from necwatch.sources.blogger.common import (
    FeedEntry,
    FeedPage,
    HtmlListingPage,
    clean_title,
    comment_text,
    is_disallowed,
)
from necwatch.sources.blogger.feed import (
    parse_comments_atom,
    parse_comments_json,
    parse_feed_atom,
    parse_feed_json,
)
from necwatch.sources.blogger.pages import read_blogger_markup
from necwatch.sources.blogger.source import BloggerSource, BloggerSourceConfig
from necwatch.sources.registry import (
    Detected,
    PageFacts,
    Platform,
    Probe,
    is_feed,
    origin_of,
    register_platform,
)

__all__ = [
    "PLATFORM",
    "BloggerSource",
    "BloggerSourceConfig",
    "FeedEntry",
    "FeedPage",
    "HtmlListingPage",
    "clean_title",
    "comment_text",
    "is_disallowed",
    "parse_comments_atom",
    "parse_comments_html",
    "parse_comments_json",
    "parse_feed_atom",
    "parse_feed_json",
    "parse_listing_page",
    "parse_post_page",
    "read_blogger_markup",
]


# -- the platform ---------------------------------------------------------------------------------

_LABEL_PATH = re.compile(r"^/search/label/([^/?#]+)")


def url_options(url: str) -> dict[str, str]:
    """A label listing URL reads that label: `/search/label/NEC` → {"label": "NEC"}."""
    m = _LABEL_PATH.match(urlsplit(url).path)
    return {"label": m.group(1)} if m else {}


def detect(facts: PageFacts) -> Detected | None:
    """A Blogger generator meta, a `/feeds/posts/default` feed link, or a `*.blogspot.com` host."""
    if is_feed(facts):
        return None
    evidence = [
        *(["generator meta: Blogger"] if facts.generator.lower().startswith("blogger") else []),
        *([f"feed link {f}" for f in facts.feeds if "/feeds/posts/default" in f][:1]),
        *(["a blogspot.com host"] if facts.host.endswith(".blogspot.com") else []),
    ]
    if not evidence:
        return None
    return Detected(origin_of(facts.url), tuple(evidence), url_options(facts.url))


def marks(facts: PageFacts) -> bool:
    """Blogger's static assets or feed URLs in the page, or a blogger.com host."""
    return (
        "www.blogger.com/static" in facts.text
        or "blogger.com/feeds/" in facts.text
        or facts.host.endswith(".blogger.com")
    )


def _read_single(url: str, text: str, tz: ZoneInfo) -> tuple[Post, tuple[Comment, ...] | None]:
    return parse_post_page(url, text, tz)


def _read_listing(url: str, text: str, tz: ZoneInfo) -> list[Post] | None:
    """A home or archive page of full posts (more than one post body), else None."""
    if len(parse_html(text, url).css(".post-body")) <= 1:
        return None
    return [lp.post for lp in parse_listing_page(url, text, tz).posts if lp.post is not None]


PLATFORM = register_platform(
    Platform(
        name="blogger",
        summary="Blogger / Blogspot blogs: Atom or JSON feeds, the classic HTML template as fallback",
        source=BloggerSource,
        detect=detect,
        probes=(
            Probe(
                "feeds/posts/default",
                lambda r: is_feed_document(r.content_type, r.text),
                "{url} is an Atom feed",
            ),
        ),
        read_page=read_blogger_markup,
        post_url=re.compile(r"^/\d{4}/\d{2}/[^/?#]{1,300}\.html$"),
        feed_paths=("feeds/posts/default",),
        # the posts feed `/feeds/posts/default` (`full`), a label's `/-/LABEL`, and `atom.xml`/`rss.xml`
        feed_url=re.compile(
            r"^(?!/feeds/\d{1,30}/comments/)"
            r"(?:/feeds/posts/(?:default|full)(?:/-/[^/]{1,200})?/?|[^?]{0,2000}/(?:atom|rss2?)\.xml)$"
        ),
        # a post's `/feeds/<postid>/comments/default` and the blog's `/feeds/comments/default`, with
        # the GData parameters (`?alt=rss`, `max-results`, `start-index`)
        comment_feed_url=re.compile(
            r"^/feeds/(?:\d{1,30}/)?comments/(?:default|full)/?"
            r"(?:\?(?:(?:alt|max-results|start-index)=[^&#]{0,200}(?:&|$)){1,6})?$"
        ),
        listing_url=re.compile(r"^/search/label/[^/]{1,200}/?$"),  # a label's posts
        not_post=re.compile(r"(?:^|/)feeds(?:/|$)|_archive\.html$"),  # feeds, date archives
        listing_post=".post-outer",  # each post of a home or label page
        excerpt_mark=".jump-link",  # "Read more »" after a post's jump break
        methods=("blogger",),
        order=10,
        url_options=url_options,
        marks=marks,
        comments="Blogger comment feeds (/feeds/POSTID/comments/default), for NEC reports only",
        read_single=_read_single,
        read_listing=_read_listing,
    )
)
