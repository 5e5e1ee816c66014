"""The Blogger adapter: GData feeds first, the classic HTML template as the other (fallback) path."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

from necwatch.errors import FetchError, ParseError
from necwatch.models import Comment, Failure, Outcome, Post, PostObservation
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, Source, SourceContext, register
from necwatch.sources.blogger.classic import parse_comments_html, parse_listing_page, parse_post_page
from necwatch.sources.blogger.common import FeedPage, is_disallowed, log
from necwatch.sources.blogger.feed import (
    parse_comments_atom,
    parse_comments_json,
    parse_feed_atom,
    parse_feed_json,
)
from necwatch.sources.blogger.incremental import BloggerPoll
from necwatch.sources.incremental import batch_full
from necwatch.sources.polling import close_full_read, poll_changes

# -- the adapter ----------------------------------------------------------------------------------


class BloggerSourceConfig(SourceConfig):
    """`type: blogger`: the common keys, plus which label to read and which path to use."""

    type: Literal["blogger"]
    label: str | None = None  # read only this label's feed
    via: Literal["auto", "feed", "json", "html"] = "auto"


@register("blogger", options=BloggerSourceConfig)
class BloggerSource(Source):
    """Reads one Blogger blog (see the module docstring for the paths and the fallback policy)."""

    config: BloggerSourceConfig

    def __init__(self, ctx: SourceContext, *, page_size: int | None = None) -> None:
        """`page_size`: feed `max-results` per page; None asks with no parameters (Blogger's 25)."""
        super().__init__(ctx)
        self.page_size = page_size
        self.tz = ZoneInfo(self.config.timezone)
        base = self.config.url
        self.base = base if base.endswith("/") else base + "/"

    # -- URLs, all built on the configured base ---------------------------------------------------
    @property
    def mode(self) -> str:
        return self.config.via

    def feed_url(self, fmt: str, start: int | None = None, max_results: int | None = None) -> str:
        path = "feeds/posts/default"
        if self.config.label:
            path += "/-/" + quote(self.config.label, safe="")
        return urljoin(self.base, path) + _query(fmt, start, max_results)

    def comments_url(
        self, post_id: str, fmt: str, start: int | None = None, max_results: int | None = None
    ) -> str:
        return urljoin(self.base, f"feeds/{post_id}/comments/default") + _query(fmt, start, max_results)

    # -- discovery --------------------------------------------------------------------------------
    async def discover(self) -> Listing:
        mode = self.mode
        if mode == "html":
            return await self._discover_html()
        changes = await self._discover_changes() if mode in ("auto", "feed") else None
        if changes is not None:
            return changes
        listing = await self._discover_feed("json" if mode == "json" else "feed")
        if mode != "auto" or listing.complete:
            return listing
        log.warning(
            "blogger feed listing failed, reading HTML instead",
            extra={"source": self.config.name, "failures": [f.kind for f in listing.failures]},
        )
        html = await self._discover_html()
        html.failures[:0] = listing.failures
        return html

    async def _discover_changes(self) -> Listing | None:
        """An incremental poll when the cursor says the blog answers change queries, else None."""
        # another adapter's cursor (`auto` found a different platform) is not this one's: full read
        if not self.config.incremental or self.ctx.cursor.get("mode") not in ("incremental", "legacy"):
            return None
        return await poll_changes(self, lambda: BloggerPoll(self))

    def _legacy_cursor(self, listing: Listing, cut: bool) -> None:
        """After a full feed read: where an incremental poll starts, and where a cut backfill goes on."""
        stored = self.next_cursor or self.ctx.cursor
        cursor = dict(stored) if stored.get("mode") in ("incremental", "legacy") else {}
        cursor.setdefault("mode", "incremental")
        close_full_read(self, cursor, listing, cut=cut)

    async def _discover_feed(self, fmt: str) -> Listing:
        listing = Listing()
        parse = parse_feed_json if fmt == "json" else parse_feed_atom
        seen: set[str] = set()
        start = 1
        url = self.feed_url(fmt, 1, self.page_size) if self.page_size else self.feed_url(fmt)
        for _page in range(self.config.max_pages):
            try:
                resp = await self.fetcher.get(url)
                page = parse(resp.final_url, resp.text, default_author=self.config.author)
            except (FetchError, ParseError) as e:
                listing.failures.append(Failure.from_error(e))
                listing.complete = listing.exhausted = False
                return listing
            fresh = [e for e in page.entries if e.platform_id not in seen]
            for entry in fresh:
                seen.add(entry.platform_id)
                listing.posts.append(
                    ListedPost(
                        url=entry.url,
                        post=entry.post,
                        comments_url=self.comments_url(entry.platform_id, fmt),
                        comment_count=entry.comment_count,
                        platform_id=entry.platform_id,
                    )
                )
            if not _more(page, start):
                self._legacy_cursor(listing, cut=False)
                return listing
            if not fresh:  # the server ignored start-index: what follows cannot be read
                listing.exhausted = False
                return listing
            if self.config.incremental and batch_full(self.ctx, self.config, len(listing.posts)):
                break  # the rest next poll, from backfill_before (a poll's posts are held in memory)
            start = (page.start_index or start) + len(page.entries)
            url = self.feed_url(fmt, start, self.page_size or page.items_per_page or len(page.entries))
        listing.exhausted = False
        self._legacy_cursor(listing, cut=True)
        return listing

    async def _discover_html(self) -> Listing:
        listing = Listing()
        by_url: dict[str, ListedPost] = {}
        queue = [self.base]
        done: set[str] = set()
        while queue:
            url = queue.pop(0)
            if url in done or is_disallowed(url):
                continue
            if len(done) >= self.config.max_pages:
                listing.exhausted = False
                break
            done.add(url)
            try:
                resp = await self.fetcher.get(url)
                page = parse_listing_page(
                    resp.final_url, resp.text, self.tz, default_author=self.config.author
                )
            except (FetchError, ParseError) as e:
                listing.failures.append(Failure.from_error(e))
                listing.complete = listing.exhausted = False
                continue
            for lp in page.posts:
                by_url.setdefault(lp.url, lp)
            queue += [u for u in page.archive_urls if u not in done and u not in queue]
            if page.older_url and page.older_url not in done and page.older_url not in queue:
                queue.append(page.older_url)
        posts = list(by_url.values())
        if self.config.label:
            posts = [lp for lp in posts if lp.post is not None and self.config.label in lp.post.labels]
        listing.posts = sorted(posts, key=_newest_first)
        return listing

    # -- comments and single posts ----------------------------------------------------------------
    async def fetch_comments(self, listed: ListedPost, post: Post) -> tuple[Comment, ...] | None:
        if post.via == "html":
            resp = await self.fetcher.get(listed.comments_url or listed.url)
            comments = parse_comments_html(resp.final_url, resp.text, self.tz)
            if comments is None:
                raise ParseError("post page has no comment block", url=resp.url, selector="#comments")
            return comments
        if not post.platform_id:
            return None
        return await self._comment_feed(post.platform_id, "json" if post.via == "json" else "feed")

    async def _comment_feed(self, post_id: str, fmt: str) -> tuple[Comment, ...]:
        parse = parse_comments_json if fmt == "json" else parse_comments_atom
        comments: dict[str, Comment] = {}
        start = 1
        url = self.comments_url(post_id, fmt)
        for _page in range(self.config.max_pages):
            resp = await self.fetcher.get(url)
            page = parse(resp.final_url, resp.text)
            fresh = [c for c in page.entries if c.platform_id not in comments]
            comments.update((c.platform_id, c) for c in fresh)
            if not _more(page, start) or not fresh:
                return tuple(comments.values())
            start = (page.start_index or start) + len(page.entries)
            url = self.comments_url(post_id, fmt, start, page.items_per_page or len(page.entries))
        raise ParseError(f"comment feed longer than {self.config.max_pages} pages", url=url)

    async def fetch_post(self, url: str) -> PostObservation:
        """The post page (any mode: Blogger has no per-URL feed lookup). In feed/json modes the comments
        come from the comment feed, so their times keep feed precision whichever way the post came."""
        resp = await self.fetcher.get(url)
        post, page_comments = parse_post_page(
            resp.final_url, resp.text, self.tz, default_author=self.config.author
        )
        comments = page_comments
        if self.mode != "html" and post.platform_id:
            comments = None
            if self.ctx.wants_comments(post):
                fmt = "json" if self.mode == "json" else "feed"
                try:
                    comments = await self._comment_feed(post.platform_id, fmt)
                except (FetchError, ParseError) as e:
                    self.record(e)
        return PostObservation(url, Outcome.FETCHED, post=post, comments=comments)


def _query(fmt: str, start: int | None, max_results: int | None) -> str:
    """Blogger's query order: alt first, then start-index, then max-results."""
    params = []
    if fmt == "json":
        params.append("alt=json")
    if start is not None and max_results is not None:
        params += [f"start-index={start}", f"max-results={max_results}"]
    return "?" + "&".join(params) if params else ""


def _more(page: FeedPage, start: int) -> bool:
    """Whether a next page exists: openSearch counts or a rel=next link (whose URL is never used)."""
    if not page.entries:
        return False
    first = page.start_index or start
    if page.total_results is not None:
        return first + len(page.entries) - 1 < page.total_results
    return page.has_next


def _newest_first(lp: ListedPost) -> float:
    published = lp.post.published_at if lp.post else None
    return -published.timestamp() if published else 0.0
