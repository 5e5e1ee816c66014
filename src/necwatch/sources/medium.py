"""`type: medium`: a Medium writer (`medium.com/@name`, `name.medium.com`), publication
(`medium.com/publication`) or a publication on its own domain.

Detection (one page): a `medium.com` host, Medium's app metadata (`al:android:package`
`com.medium.reader`, `twitter:app:name:iphone` / `al:ios:app_name` `Medium`), `og:site_name` Medium,
or a feed whose `<generator>` is Medium. The source's `url` is the writer's profile (`…/@name`), the
publication (`medium.com/NAME`) or the origin of a subdomain or own domain.

Listing: Medium's RSS feed (`/feed/@name`, `/feed/NAME`, or `/feed` on a subdomain or own domain),
read through the `feed` source's mapping: full content of the latest posts (Medium shows about ten,
so a known post missing from it is evidence of nothing; it is re-read by its own URL only when
published after the oldest one shown). Links lose Medium's `?source=rss-…` tracking query (the
post's URL is its identity); the id is the guid's `/p/ID`. Bodies lose the title and subtitle Medium
repeats at the top, captions, the tracking pixel and the "was originally published in … on Medium"
footer.

Pages (a post the feed no longer shows): title `h1[data-testid=storyTitle]`/`.pw-post-title`/
`.graf--title`, the subtitle kept out of the body, `a[data-testid=authorName]` or the author meta,
`datePublished`/`dateModified` of the page's JSON-LD (time and offset; Medium's own headline there
ends in "- Name - Medium", which is not used), body: the article without title, subtitle, byline,
clap and response buttons, captions.

Comments: Medium's responses are loaded by script and Medium offers no public API for them, so they
are not read (None: unknown, never "none").
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.extract.feeds import parse_any_feed
from necwatch.extract.metadata import Found, ld_article
from necwatch.extract.page import MarkupRead
from necwatch.extract.select import first_of
from necwatch.extract.text import clean_name, collapse_ws, html_to_text
from necwatch.models import Post
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, register
from necwatch.sources.feed import entry_post, looks_like_excerpt
from necwatch.sources.hosted import (
    HostedSource,
    body_found,
    byline,
    drop_leading_repeats,
    feed_generator,
    ld_authors,
    meta,
    origin,
    strip_nodes,
    text_or_none,
    title_without_site,
)
from necwatch.sources.listing_poll import listing_sig
from necwatch.sources.registry import Detected, PageFacts, Platform, register_platform

__all__ = ["MediumSource", "MediumSourceConfig", "detect_medium", "feed_url", "read_medium", "site_url"]

NAME = "medium"
# how comments are read, for `add` and `check --online`
COMMENTS = "not read: Medium responses are loaded by script, with no public API"
TITLE = "h1[data-testid='storyTitle'], h1.pw-post-title, .graf--title, article h1"
SUBTITLE = "h2.pw-subtitle-paragraph, .graf--subtitle"
AUTHOR = "a[data-testid='authorName'], a.postMetaInline--author, .postMetaInline-authorLockup a[href*='/@']"
BODY = ".postArticle-content, .postField--body, article"
CHROME = (
    ".speechify-ignore",
    "[data-testid='authorPhoto']",
    "[data-testid='storyPublishDate']",
    "[data-testid='headerClapButton']",
    ".pw-multi-vote-count",
    "button",
    "figcaption",
    "header",
    "footer",
    ".postMetaHeader",
    ".postMetaInline",
    "img[src*='/_/stat?']",
    "script",
    "style",
    "noscript",
)
_ID = re.compile(r"/p/([0-9a-f]{6,16})\b|-([0-9a-f]{10,16})(?:[/?#]|$)")
_FOOTER = re.compile(r"\bwas originally published in\b.{0,300}\bon Medium\b", re.IGNORECASE | re.DOTALL)
_APP_META = (
    "meta[property='al:android:package'][content='com.medium.reader'], "
    "meta[name='twitter:app:name:iphone'][content='Medium'], "
    "meta[property='al:ios:app_name'][content='Medium']"
)


class MediumSourceConfig(SourceConfig):
    """`type: medium`: `url` is a profile (`https://medium.com/@name`), a publication or its domain."""

    type: Literal["medium"]


# -- URLs and detection -------------------------------------------------------------------------


def _medium_host(host: str) -> bool:
    return host == "medium.com" or host.endswith(".medium.com")


def site_url(url: str) -> str:
    """The writer or publication a Medium URL belongs to: `…/@name` (a profile, a post or its feed),
    `medium.com/NAME` (a publication), else the origin (a subdomain or own domain)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["feed"]:
        segments = segments[1:]
    base = origin(url)
    if segments and segments[0].startswith("@"):
        return base + segments[0]
    if segments and parts.hostname == "medium.com" and segments[0] not in ("p", "m", "tag", "feed"):
        return base + segments[0]
    return base


def feed_url(url: str) -> str:
    """The RSS feed of a Medium site URL (see `site_url`)."""
    site = site_url(url)
    path = urlsplit(site).path.strip("/")
    return origin(site) + (f"feed/{path}" if path else "feed")


def strip_tracking(url: str) -> str:
    """A post link without Medium's `?source=…` tracking query (the post's identity is its path)."""
    parts = urlsplit(url)
    if not parts.query.startswith("source="):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def detect_medium(facts: PageFacts) -> Detected | None:
    """A Medium page or feed, from the host, Medium's app metadata, the site name (pure)."""
    evidence = []
    if _medium_host(facts.host):
        evidence.append("a medium.com host")
    if facts.tree.css_first(_APP_META) is not None:
        evidence.append("Medium's app metadata")
    if (meta(facts.tree, "og:site_name") or "") == "Medium":
        evidence.append("og:site_name Medium")
    if feed_generator(facts) == "Medium":
        evidence.append("a feed generated by Medium")
    if not evidence:
        return None
    return Detected(url=site_url(facts.url), evidence=tuple(evidence))


# -- pages --------------------------------------------------------------------------------------


def _drop_byline(body: LexborNode) -> None:
    """The byline block of pages whose classes say nothing: the smallest block holding the
    author's avatar link and no paragraph of the article."""
    img = body.css_first("a[href*='/@'] img")
    if img is None:
        return
    node, top = img.parent, None
    while node is not None and node is not body and node.css_first("p") is None:
        top, node = node, node.parent
    if top is not None:
        top.decompose()


def read_medium(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> MarkupRead:
    """A Medium post page → its fields (see the module docstring); pure, the tree read once."""
    read = MarkupRead(tried={"body": BODY, "title": TITLE, "published": "JSON-LD datePublished"})
    ld = ld_article(tree)
    author = byline(text_or_none(first_of(tree, AUTHOR)), meta(tree, "author") or ld_authors(ld))
    author = clean_name(author) if author else None
    if author:
        read.fields["author"] = Found(author, NAME)
    title = text_or_none(first_of(tree, TITLE))
    if not title and (served := meta(tree, "og:title") or ld.get("headline")):
        title = title_without_site(str(served), author, "Medium", f"by {author}" if author else None)
    if title:
        read.fields["title"] = Found(title, NAME)
    subtitle = text_or_none(first_of(tree, SUBTITLE))
    if published := ld.get("datePublished") or meta(tree, "article:published_time"):
        read.fields["published"] = Found(str(published), NAME)
    if ld.get("dateModified"):
        read.fields["updated"] = Found(str(ld["dateModified"]), NAME)
    body = first_of(tree, BODY)
    if body is not None:
        if (heading := first_of(body, TITLE)) is not None:
            heading.decompose()
        strip_nodes(body, (SUBTITLE, *CHROME))
        _drop_byline(body)
        drop_leading_repeats(body, title, subtitle)
        if (found := body_found(body, NAME)) is not None:
            read.fields["body"] = found
    ident = meta(tree, "al:android:url") or meta(tree, "al:ios:url") or ""
    read.platform_id = ident.rsplit("/", 1)[-1] or None
    return read


def clean_feed_body(html: str, title: str) -> str:
    """An RSS item's content without the title (and subtitle) Medium repeats at its top, the
    captions, the tracking pixel and the "originally published" footer."""
    tree = LexborHTMLParser(f"<div id='necwatch-body'>{html}</div>")
    root = tree.css_first("#necwatch-body")
    if root is None:  # pragma: no cover - the parser always keeps the wrapper
        return html
    first = root.child
    if first is not None and first.tag == "h3" and collapse_ws(first.text()) == collapse_ws(title):
        following = first.next
        first.decompose()
        if following is not None and following.tag == "h4":
            following.decompose()  # the subtitle (Medium's graf--subtitle)
    strip_nodes(root, CHROME)
    for p in root.css("p"):
        if _FOOTER.search(p.text(deep=True)):
            previous = p.prev
            p.decompose()
            if previous is not None and previous.tag == "hr":
                previous.decompose()
    return (root.inner_html or "").strip()


# -- the source ---------------------------------------------------------------------------------


@register(NAME, options=MediumSourceConfig)
class MediumSource(HostedSource):
    """A Medium writer or publication through its RSS feed; pages for posts no longer in it."""

    config: MediumSourceConfig
    platform = NAME
    latest_only = True  # Medium's feed shows about ten posts

    async def listing_start(self) -> str:
        return feed_url(self.config.url)

    async def read_listing_page(self, url: str) -> tuple[list[ListedPost], str | None]:
        response = await self.fetcher.get(url)
        posts = []
        for fields in parse_any_feed(response.final_url, response.text):
            if not fields.link:
                continue
            post = self.feed_post(entry_post(fields, self.tz, self.config.author), fields.guid)
            sig = listing_sig(post.url, "\n".join([fields.title, fields.updated or "", fields.content]))
            # a preview ("medium-feed-snippet … Continue reading on Medium »"): the page is read
            full = "medium-feed-snippet" not in fields.content and not looks_like_excerpt(fields)
            listed = ListedPost(url=post.url, post=post if full else None, platform_id=post.platform_id)
            posts.append(replace(listed, listing_sig=sig))
        return posts, None

    def feed_post(self, post: Post, guid: str) -> Post:
        """The feed's post with its stable URL, Medium's id and a clean body."""
        body_html = clean_feed_body(post.body_html, post.title)
        m = _ID.search(guid) or _ID.search(post.url)
        return replace(
            post,
            url=strip_tracking(post.url),
            body_html=body_html,
            body_text=html_to_text(body_html),
            platform_id=next((g for g in m.groups() if g), None) if m else post.platform_id,
        )


MEDIUM = register_platform(
    Platform(
        name=NAME,
        summary="Medium writers and publications: RSS feed, post pages (responses not public)",
        source=MediumSource,
        detect=detect_medium,
        read_page=read_medium,
        post_url=re.compile(r"^/(?:@[^/?#]{1,100}/)?[^/?#]{1,300}-[0-9a-f]{10,16}/?$"),
        feed_paths=("feed",),
        methods=(NAME,),
        title_suffix="Medium",
        order=20,
        comments=COMMENTS,
    )
)
