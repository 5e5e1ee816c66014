"""`type: substack`: a Substack publication (`*.substack.com` or its own domain).

Detection (one page): a `*.substack.com` host, Substack's app bundle from `substackcdn.com`
(`<script src="https://substackcdn.com/bundle/…">`), a `Substack` generator, or a feed whose
`<generator>` is Substack. The source's `url` is the publication's origin.

Listing (`via: auto|api`): the archive API, `/api/v1/archive?sort=new&offset=N&limit=50`, paged by
offset until a page is empty: every post (id, canonical URL, title, subtitle, `post_date`, bylines,
tags, `comment_count`, `audience`), but no body. Each post is then read from its own page
(conditional request), so a deletion is a 404 there. `via: feed` (or an archive answering 404/403 on
its first page, with `auto`) reads `/feed` instead, RSS with the full content of the latest posts
(one mapping with the `feed` source: sources/feed.entry_post).

Pages: title `h1.post-title`, subtitle `h3.subtitle` (never part of the body, and dropped when the
body repeats the title or subtitle at its start), bylines, the page's own JSON-LD `datePublished`/
`dateModified` (time and offset; the printed "Jan 24, 2024" when it has none), body
`.available-content .body.markup` without subscribe widgets, share/subscribe buttons and the paywall.
A paid post's page shows only its free part: stored flagged `is_excerpt`, never as a report's body.

Comments: `/api/v1/post/ID/comments?all_comments=true&sort=oldest_first`, threaded by `children`
(a reply's `parent_id` is the comment it answers); deleted comments are left out. The post id comes
from the archive, else from the page's `window._preloads`. A `comment_count` of 0 reads none.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser

from necwatch.errors import FetchError, ParseError
from necwatch.extract.feeds import parse_any_feed
from necwatch.extract.metadata import Found, ld_article
from necwatch.extract.page import MarkupRead
from necwatch.extract.select import first_of
from necwatch.extract.text import collapse_ws
from necwatch.models import Comment, Post, Response
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, register
from necwatch.sources.feed import entry_post
from necwatch.sources.hosted import (
    MAX_COMMENTS,
    HostedSource,
    answers_json,
    body_found,
    byline,
    cleaned,
    drop_leading_repeats,
    feed_generator,
    feed_listed,
    json_of,
    ld_authors,
    meta,
    names_of,
    origin,
    path_refused,
    strip_nodes,
    text_or_none,
    when,
)
from necwatch.sources.listing_poll import listing_sig
from necwatch.sources.registry import Detected, PageFacts, Platform, Probe, register_platform

__all__ = [
    "SubstackSource",
    "SubstackSourceConfig",
    "detect_substack",
    "parse_archive",
    "parse_comments",
    "read_substack",
]

NAME = "substack"
# how comments are read, for `add` and `check --online`
COMMENTS = "Substack comments API (/api/v1/post/ID/comments), threaded; posts with none skipped"
PAGE_SIZE = 50
ABSENT = frozenset({403, 404, 410})
TITLE = "h1.post-title, .post-header h1, article h1"
SUBTITLE = "h3.subtitle, .post-header h3, .subtitle"
BODY = ".available-content .body.markup, div.body.markup, .available-content"
BYLINE = ".post-header .byline-wrapper a[href], .profile-hover-card-target a[href], .byline-names a"
DATE = ".post-header time[datetime], .post-date time[datetime], .post-date, .post-header .meta-EgzBVA"
CHROME = (
    ".subscription-widget-wrap",
    ".subscription-widget-wrap-editor",
    ".subscribe-widget",
    ".captioned-button-wrap",
    "p.button-wrapper",
    ".button-wrapper",
    ".share-dialog",
    ".post-ufi",
    ".paywall",
    ".paywall-jump",
    # a card of another post (its title, date, likes and comment counts): not this post's text, and
    # its counts change every day
    ".embedded-post-wrap",
    ".embedded-publication-wrap",
    ".image-link-expand",
    "figcaption",
    "script",
    "style",
    "noscript",
)
_PRELOAD_ID = re.compile(r'\\?"post(?:MetaData)?\\?"\s*:\s*\{\s*\\?"id\\?"\s*:\s*(\d{1,20})')
_PREVIEW_ID = re.compile(r"post_preview(?:/|%2F)(\d{1,20})(?:/|%2F)")


class SubstackSourceConfig(SourceConfig):
    """`type: substack`: `url` is the publication (https://name.substack.com/ or its own domain)."""

    type: Literal["substack"]
    via: Literal["auto", "api", "feed"] = "auto"


# -- detection ----------------------------------------------------------------------------------


def detect_substack(facts: PageFacts) -> Detected | None:
    """A Substack page or feed, from the host, the app bundle's CDN, the generator (pure)."""
    evidence = []
    if facts.host.endswith(".substack.com") and facts.host != "www.substack.com":
        evidence.append("a substack.com host")
    bundle = facts.tree.css_first(
        "script[src*='substackcdn.com/bundle/'], link[href*='substackcdn.com/bundle/']"
    )
    if bundle is not None:
        evidence.append("Substack's app bundle from substackcdn.com")
    if facts.generator.lower().startswith("substack"):
        evidence.append(f"generator meta: {facts.generator}")
    if feed_generator(facts).lower().startswith("substack"):
        evidence.append("a feed generated by Substack")
    if not evidence:
        return None
    return Detected(url=origin(facts.url), evidence=tuple(evidence))


# -- pages --------------------------------------------------------------------------------------


def read_substack(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> MarkupRead:
    """A Substack post page → its fields (see the module docstring); pure, the tree read once."""
    read = MarkupRead(tried={"body": BODY, "title": TITLE, "published": "JSON-LD datePublished, " + DATE})
    ld = ld_article(tree)
    title = text_or_none(first_of(tree, TITLE))
    if title:
        read.fields["title"] = Found(title, NAME)
    subtitle = text_or_none(first_of(tree, SUBTITLE))
    author = byline(names_of(tree, BYLINE), ld_authors(ld))
    if author:
        read.fields["author"] = Found(author, NAME)
    published = ld.get("datePublished") or meta(tree, "article:published_time")
    if not published and (node := first_of(tree, DATE)) is not None:
        published = node.attributes.get("datetime") or text_or_none(node)
    if published:
        read.fields["published"] = Found(str(published), NAME)
    if ld.get("dateModified"):
        read.fields["updated"] = Found(str(ld["dateModified"]), NAME)
    body = first_of(tree, BODY)
    if body is not None:
        strip_nodes(body, CHROME)
        drop_leading_repeats(body, title, subtitle)
        if (found := body_found(body, NAME)) is not None:
            read.fields["body"] = found
    # the id of the comments API: in the preview image's URL, else in the page's preloaded state
    m = _PREVIEW_ID.search(meta(tree, "twitter:image") or "")
    for script in () if m else tree.css("script:not([src])"):
        text = script.text(deep=True) or ""
        if "_preloads" in text and (m := _PRELOAD_ID.search(text)):
            break
    read.platform_id = m.group(1) if m else None
    return read


def paywalled(tree: LexborHTMLParser) -> bool:
    """A paid post's page: the paywall is shown, or the page says the post is not free."""
    if tree.css_first(".paywall, [data-testid='paywall']") is not None:
        return True
    return ld_article(tree).get("isAccessibleForFree") in (False, "False", "false")


# -- the archive API and comments ---------------------------------------------------------------


def archive_url(base: str, offset: int) -> str:
    return f"{base}api/v1/archive?sort=new&offset={offset}&limit={PAGE_SIZE}"


def parse_archive(url: str, text: str) -> list[dict[str, Any]]:
    """An archive page → its post objects (those with a canonical URL). ParseError when not a list."""
    items = json_of(url, text)
    if not isinstance(items, list):
        raise ParseError("the archive is not a JSON list", url=url, kind="unexpected_page")
    return [i for i in items if isinstance(i, dict) and isinstance(i.get("canonical_url"), str)]


def _shown(item: dict[str, Any]) -> str:
    keys = ("title", "subtitle", "post_date", "updated_at", "wordcount", "comment_count", "audience")
    return "\n".join(str(item.get(k)) for k in keys)


def item_labels(item: dict[str, Any]) -> tuple[str, ...]:
    tags = item.get("postTags")
    return tuple(str(t["name"]) for t in tags or () if isinstance(t, dict) and t.get("name"))


def item_author(item: dict[str, Any]) -> str | None:
    bylines = item.get("publishedBylines") or ()
    names = [str(b["name"]) for b in bylines if isinstance(b, dict) and b.get("name")]
    return ", ".join(dict.fromkeys(names)) or None


def comments_url(base: str, post_id: str) -> str:
    return f"{base}api/v1/post/{post_id}/comments?all_comments=true&sort=oldest_first"


def parse_comments(url: str, text: str, post_url: str, tz: ZoneInfo) -> list[Comment]:
    """A comments answer → comments in thread order, replies with `parent_id` (deleted ones left out)."""
    doc = json_of(url, text)
    top = doc.get("comments") if isinstance(doc, dict) else None
    if not isinstance(top, list):
        raise ParseError("no comments list", url=url, kind="unexpected_page")
    out: list[Comment] = []
    stack: list[tuple[Any, str | None]] = [(c, None) for c in reversed(top)]
    while stack and len(out) < MAX_COMMENTS:
        obj, parent = stack.pop()
        if not isinstance(obj, dict) or obj.get("id") is None:
            continue
        cid = str(obj["id"])
        children = obj.get("children")
        children = children if isinstance(children, list) else []
        stack.extend((child, cid) for child in reversed(children))
        body = obj.get("body")
        if obj.get("deleted") or not isinstance(body, str) or not body.strip():
            continue
        paragraphs = [collapse_ws(p) for p in re.split(r"\n\s*\n", body) if p.strip()]
        out.append(
            Comment(
                platform_id=cid,
                author=collapse_ws(str(obj.get("name") or "")) or "Anonymous",
                body_text="\n\n".join(paragraphs),
                body_html="".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs),
                published_at=when(obj.get("date"), tz),
                parent_id=parent,
                url=f"{post_url.rstrip('/')}/comment/{cid}",
            )
        )
    return out


# -- the source ---------------------------------------------------------------------------------


@register(NAME, options=SubstackSourceConfig)
class SubstackSource(HostedSource):
    """A Substack publication: the archive API (or the feed), each post's page, comments by API."""

    config: SubstackSourceConfig
    platform = NAME

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items: dict[str, dict[str, Any]] = {}  # post URL → its archive object
        self.use_feed = self.config.via == "feed"
        self.base = origin(self.config.url)
        self.first: Response | None = None  # the archive's first page, read to see if it exists

    async def listing_start(self) -> str:
        """The archive; the feed when configured, or when the archive's first page says it is absent."""
        if self.config.via == "auto":
            try:
                self.first = await self.fetcher.get(archive_url(self.base, 0), probe=True)
            except FetchError as e:
                if not path_refused(e, ABSENT):
                    raise
                self.use_feed = True
        self.latest_only = self.use_feed  # the feed shows the latest posts only
        return self.base + "feed" if self.use_feed else archive_url(self.base, 0)

    async def read_listing_page(self, url: str) -> tuple[list[ListedPost], str | None]:
        first, self.first = self.first, None
        response = first if first is not None and first.url == url else await self.fetcher.get(url)
        if self.use_feed:
            return self._feed_page(response.final_url, response.text), None
        items = parse_archive(response.final_url, response.text)
        posts = []
        for item in items:
            link = str(item["canonical_url"])
            self.items[link] = item
            count = item.get("comment_count")
            posts.append(
                ListedPost(
                    url=link,
                    platform_id=str(item["id"]) if item.get("id") is not None else None,
                    comment_count=count if isinstance(count, int) else None,
                    listing_sig=listing_sig(link, _shown(item)),
                )
            )
        offset = int(url.split("offset=", 1)[1].split("&", 1)[0])
        return posts, (archive_url(self.base, offset + len(items)) if items else None)

    def _feed_page(self, url: str, text: str) -> list[ListedPost]:
        posts = []
        for fields in parse_any_feed(url, text):
            if not fields.link:
                continue
            post = cleaned(entry_post(fields, self.tz, self.config.author), CHROME)
            full = fields.full_content and "paywall" not in fields.content
            posts.append(feed_listed(post, fields, full=full))
        return posts

    def paywalled(self, tree: LexborHTMLParser) -> bool:
        return paywalled(tree)

    def complete_post(self, post: Post) -> Post:
        """The archive's tags, bylines and id on a post read from its page."""
        item = self.items.get(post.url)
        if item is None:
            return post
        return replace(
            post,
            labels=post.labels or item_labels(item),
            author=item_author(item) or post.author,
            platform_id=str(item["id"]) if item.get("id") is not None else post.platform_id,
            is_excerpt=post.is_excerpt or item.get("audience") not in (None, "everyone"),
        )

    async def api_comments(
        self, url: str, post_id: str | None, shown: tuple[Comment, ...] | None
    ) -> tuple[Comment, ...] | None:
        if post_id is None:
            return shown
        item = self.items.get(url)
        if item is not None and item.get("comment_count") == 0:
            return ()
        api = comments_url(self.base, post_id)
        response = await self.fetcher.get(api)
        return tuple(parse_comments(response.final_url, response.text, url, self.tz))


SUBSTACK = register_platform(
    Platform(
        name=NAME,
        summary="Substack publications: archive API, post pages, comments API",
        source=SubstackSource,
        detect=detect_substack,
        read_page=read_substack,
        probes=(
            Probe(
                "api/v1/archive?sort=new&offset=0&limit=1",
                lambda r: answers_json(r),
                "{url} answers Substack's archive API",
            ),
        ),
        post_url=re.compile(r"^/p/[^/?#]{1,300}/?$"),
        feed_paths=("feed",),
        methods=(NAME,),
        order=20,
        comments=COMMENTS,
    )
)
