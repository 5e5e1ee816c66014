"""The WordPress adapter: REST, then RSS, then HTML (the fallback rule is in the package docstring)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import ClassVar, Literal
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser

from necwatch.errors import FetchError, ParseError
from necwatch.extract.select import parse_html
from necwatch.models import Comment, Outcome, Post, PostObservation, Response
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, Source, SourceContext, register
from necwatch.sources.incremental import batch_full
from necwatch.sources.polling import close_full_read, poll_changes
from necwatch.sources.wordpress.api import (
    _int,
    _total_pages,
    parse_rest_comments,
    parse_rest_posts,
    parse_rest_term_id,
    parse_rest_user_name,
)
from necwatch.sources.wordpress.comments import _comment_page, follow_comment_pages, parse_html_comments
from necwatch.sources.wordpress.common import FEED_ABSENT, REST_ABSENT, VIA_ALIASES
from necwatch.sources.wordpress.feed import parse_rss
from necwatch.sources.wordpress.incremental import WordPressPoll
from necwatch.sources.wordpress.pages import parse_archive_page, parse_single_page

# -- the source ---------------------------------------------------------------------------------


class PathAbsent(Exception):
    """The first request of a path said the site does not offer it (see the module docstring)."""


class WordPressSourceConfig(SourceConfig):
    """`type: wordpress`: the common keys, plus which archive to read and which path to use."""

    type: Literal["wordpress"]
    tag: str | None = None  # tag slug whose posts are read
    category: str | None = None  # category slug
    author_slug: str | None = None  # author archive (/author/SLUG/)
    # `json` and `feed` are the Blogger names of `rest` and `rss` (VIA_ALIASES).
    via: Literal["auto", "rest", "rss", "html", "json", "feed"] = "auto"


@register("wordpress", options=WordPressSourceConfig)
class WordPressSource(Source):
    """A WordPress site's tag/category/author listing, by REST, RSS or HTML (see module docstring)."""

    config: WordPressSourceConfig

    # None: `posts?tags=ID` as is (WordPress's default 10 per page), then `&page=K`.
    rest_per_page: int | None = None
    PATHS: ClassVar[tuple[str, ...]] = ("rest", "rss", "html")

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx)
        self.tz = ZoneInfo(self.config.timezone)
        self.authors: dict[int, str] = {}
        self.path_used: str | None = None

    # -- URLs -------------------------------------------------------------------------------
    def site_url(self, path: str) -> str:
        return urljoin(self.config.url, path)

    def _scope(self) -> tuple[str, str] | None:
        """(archive prefix, slug): ('tag', x), ('category', x), ('author', x) or None for the site."""
        if self.config.tag:
            return "tag", self.config.tag
        if self.config.category:
            return "category", self.config.category
        if self.config.author_slug:
            return "author", self.config.author_slug
        return None

    def archive_url(self) -> str:
        scope = self._scope()
        return self.site_url(f"{scope[0]}/{quote(scope[1], safe='')}/") if scope else self.config.url

    def feed_url(self) -> str:
        return urljoin(self.archive_url(), "feed/")

    # -- discovery --------------------------------------------------------------------------
    async def discover(self) -> Listing:
        if self.config.via != "auto":
            path = VIA_ALIASES.get(self.config.via, self.config.via)
            return await self._discover_by(path, fallback=False)
        for path in self.PATHS:
            try:
                return await self._discover_by(path, fallback=path != self.PATHS[-1])
            except PathAbsent:
                continue
        raise AssertionError("unreachable: the html path never reports itself absent")

    async def _discover_by(self, path: str, *, fallback: bool) -> Listing:
        self.path_used = path
        if path == "rest":
            return await self._discover_rest(fallback)
        if path == "rss":
            return await self._discover_rss(fallback)
        return await self._discover_html()

    async def _first(self, url: str, absent: frozenset[int], fallback: bool) -> Response:
        try:
            return await self.fetcher.get(url, probe=fallback)
        except FetchError as e:
            if fallback and e.status in absent:
                raise PathAbsent(url) from e
            raise

    async def _discover_changes(self) -> Listing | None:
        """An incremental poll when the cursor is a REST read's (it has the query), else None."""
        if not self.config.incremental or "query" not in self.ctx.cursor:
            return None
        return await poll_changes(self, lambda: WordPressPoll(self))

    def _legacy_cursor(self, query: str, listing: Listing, cut: bool, counted: bool) -> None:
        """After a full REST read: the watermarks an incremental poll starts from, and where a
        backfill cut by max_pages or backfill_batch continues."""
        cursor = dict(self.next_cursor or self.ctx.cursor)
        if counted and cursor.get("mode") != "legacy":
            cursor["mode"] = "incremental"
        cursor.update(query=query, authors={str(k): v for k, v in sorted(self.authors.items())})
        close_full_read(self, cursor, listing, cut=cut)

    async def _discover_rest(self, fallback: bool) -> Listing:
        changes = await self._discover_changes()
        if changes is not None:
            return changes
        scope = self._scope()
        query = ""
        if scope is not None:
            kind, slug = scope
            endpoint, param = {"tag": ("tags", "tags"), "category": ("categories", "categories")}.get(
                kind, ("users", "author")
            )
            lookup = self.site_url(f"wp-json/wp/v2/{endpoint}?slug={quote(slug, safe='')}")
            response = await self._first(lookup, REST_ABSENT, fallback)
            query = f"{param}={parse_rest_term_id(response.final_url, response.text)}"
            fallback = False  # REST answered: from here on a 404 is a failure, not an absence
        listing = Listing()
        page, total, cut, counted = 1, 1, False, False
        while page <= total:
            full = self.config.incremental and batch_full(self.ctx, self.config, len(listing.posts))
            if page > self.config.max_pages or (full and bool(listing.posts)):
                listing.exhausted, cut = False, True  # the rest next poll, from backfill_before
                break
            url = self._rest_posts_url(query, page)
            try:
                if page == 1:
                    response = await self._first(url, REST_ABSENT, fallback)
                else:
                    response = await self.fetcher.get(url)
                skipped: list[ParseError] = []
                rows = parse_rest_posts(response.final_url, response.text, skipped=skipped)
            except (FetchError, ParseError) as e:
                if page == 1:
                    raise
                listing.complete = listing.exhausted = False
                self.record(e)
                break
            for error in skipped:  # a post that failed alone: listed (never missing), not read
                self.record(error)
                if error.url != response.final_url:
                    listing.unread.append(error.url)
            total = _total_pages(response)
            counted = counted or "x-wp-total" in response.headers
            for post, author_id in rows:
                listing.posts.append(await self.rest_listed(post, author_id))
            page += 1
        self._legacy_cursor(query, listing, cut, counted)
        return listing

    def _rest_posts_url(self, query: str, page: int) -> str:
        params = [query] if query else []
        if self.rest_per_page is not None:
            params += [f"per_page={self.rest_per_page}", f"page={page}"]
        elif page > 1:
            params.append(f"page={page}")
        return self.site_url("wp-json/wp/v2/posts" + ("?" + "&".join(params) if params else ""))

    async def rest_listed(self, post: Post, author_id: int | None) -> ListedPost:
        author = await self._author_name(author_id) if author_id is not None else None
        post = replace(post, author=author or self.config.author)
        comments_url = self.site_url(f"wp-json/wp/v2/comments?post={post.platform_id}")
        return ListedPost(url=post.url, post=post, comments_url=comments_url, platform_id=post.platform_id)

    async def _author_name(self, author_id: int) -> str | None:
        """users/ID once per poll; a failure is recorded and the configured author used instead."""
        if author_id not in self.authors:
            url = self.site_url(f"wp-json/wp/v2/users/{author_id}")
            try:
                response = await self.fetcher.get(url)
                self.authors[author_id] = parse_rest_user_name(response.final_url, response.text)
            except (FetchError, ParseError) as e:
                if not (isinstance(e, FetchError) and e.status in REST_ABSENT):
                    self.record(e)
                return None
        return self.authors[author_id]

    async def _discover_rss(self, fallback: bool) -> Listing:
        response = await self._first(self.feed_url(), FEED_ABSENT, fallback)
        items = parse_rss(response.final_url, response.text, tz=self.tz)
        listing = Listing()
        for item in items:
            post = item.post if item.post.author else replace(item.post, author=self.config.author)
            listing.posts.append(
                ListedPost(
                    url=post.url,
                    post=post,
                    comments_url=post.url,  # comments are read from the post's page, see docstring
                    comment_count=item.comment_count,
                    platform_id=post.platform_id,
                )
            )
        # A WordPress feed shows only the latest N posts: older ones are not evidence of absence.
        listing.exhausted = False
        return listing

    async def _discover_html(self) -> Listing:
        listing = Listing()
        url: str | None = self.archive_url()
        seen: set[str] = set()
        pages = 0
        while url and url not in seen:
            if pages >= self.config.max_pages:
                listing.exhausted = False
                break
            seen.add(url)
            try:
                response = await self.fetcher.get(url)
                page = parse_archive_page(response.final_url, response.text)
            except (FetchError, ParseError) as e:
                if pages == 0:
                    raise
                listing.complete = listing.exhausted = False
                self.record(e)
                break
            pages += 1
            known = {lp.url for lp in listing.posts}
            for permalink, post_id in page.urls:
                if permalink not in known:
                    listing.posts.append(ListedPost(url=permalink, platform_id=post_id))
            url = page.next_url
        return listing

    # -- posts and comments -----------------------------------------------------------------
    async def fetch_post(self, url: str) -> PostObservation:
        """Read a post's single page: the post and, when wanted, the comments printed under it."""
        response = await self.fetcher.get(url)
        tree = parse_html(response.text, response.final_url)  # once: the post, then its comments
        post = parse_single_page(
            response.final_url, response.text, default_author=self.config.author, tz=self.tz, tree=tree
        )
        comments: tuple[Comment, ...] | None = None
        if self.ctx.wants_comments(post):
            try:
                comments = await self._page_comments(response, tree)
            except (FetchError, ParseError) as e:
                self.record(e)  # the post is still read; its comments are unknown (None)
        return PostObservation(url, Outcome.FETCHED, post=post, comments=comments)

    async def _page_comments(
        self, response: Response, tree: LexborHTMLParser | None = None
    ) -> tuple[Comment, ...]:
        """Comments printed on a post page, plus every other comment page of the post when WordPress
        splits them (`follow_comment_pages`); printed times are read in the source's time zone."""
        if tree is None:
            tree = parse_html(response.text, response.final_url)
        url, tz = response.final_url, self.tz
        comments = list({c.platform_id: c for c in parse_html_comments(url, tree, tz)}.values())

        def comment_page(page_url: str, text: str) -> list[Comment]:
            return _comment_page(page_url, text, tz)

        return await follow_comment_pages(self.fetcher, url, tree, comments, comment_page)

    async def fetch_comments(self, listed: ListedPost, post: Post) -> tuple[Comment, ...] | None:
        """REST: the comments endpoint (all pages). RSS: the post's own page."""
        if listed.comments_url and "/wp-json/" in listed.comments_url:
            return tuple(await self._rest_comments(listed.comments_url))
        response = await self.fetcher.get(listed.comments_url or post.url)
        return await self._page_comments(response)

    async def _rest_comments(self, url: str) -> list[Comment]:
        response = await self.fetcher.get(url)
        comments = parse_rest_comments(response.final_url, response.text)
        total = _total_pages(response)
        if total > 1:
            rest = await asyncio.gather(
                *(self.fetcher.get(f"{url}&page={page}") for page in range(2, total + 1))
            )
            for r in rest:
                comments += parse_rest_comments(r.final_url, r.text)
        return sorted(comments, key=lambda c: (c.published_at is None, c.published_at, _int(c.platform_id)))
