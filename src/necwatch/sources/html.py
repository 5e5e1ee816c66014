"""Generic `html` adapter: any blog, read through the CSS selectors in its config.

Discovery reads the listing page (config.url), takes one permalink per `item` and follows `next_page`
until there is none (or max_pages). Each post is then read from its own page: title, body (minus
`remove`), date, author and, when `comment` is configured, the comments printed under it.

Configured selectors are *required*: a 200 page on which one matches nothing is a ParseError
(kind parse_empty), because a redesigned template must show up as a failure, never as a site that
quietly has no posts. The parsing functions are pure (`url, html → values`); `SelectorSource` only
fetches. `HtmlSource` reads its selectors from the config; the LabourList adapter uses fixed ones.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace
from typing import Literal
from zoneinfo import ZoneInfo

from necwatch.errors import FetchError, ParseError
from necwatch.models import Comment, Outcome, Post, PostObservation, SourceObservation
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, Source, register
from necwatch.sources.listing_poll import ListingPoll, forget_failed
from necwatch.sources.registry import Platform, register_platform
from necwatch.sources.selectors import (
    HtmlSelectors,
    ListingPage,
    parse_article,
    parse_comments,
    parse_date,
    parse_listing,
    platform_id_of,
    resolve,
    split_title,
    tag_labels,
)
from necwatch.sources.wordpress import follow_comment_pages

__all__ = [
    "HtmlSelectors",
    "HtmlSource",
    "HtmlSourceConfig",
    "ListingPage",
    "SelectorSource",
    "parse_article",
    "parse_comments",
    "parse_date",
    "parse_listing",
    "platform_id_of",
    "resolve",
    "split_title",
    "tag_labels",
]


class HtmlSourceConfig(SourceConfig):
    """`type: html`: the common keys, plus the selectors that read the site (required)."""

    type: Literal["html"]
    selectors: HtmlSelectors


# -- the adapter -------------------------------------------------------------------------------


class SelectorSource(Source):
    """Polls a listing page and its `next_page` chain, then each post page, with `selectors`
    (the `html` type's from its config, LabourList's fixed ones)."""

    @property
    @abstractmethod
    def selectors(self) -> HtmlSelectors:
        """The selectors pages are read with."""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def listing_url(self) -> str:
        """Where the listing starts: config.url for the generic adapter."""
        return self.config.url

    def parse_listing_page(self, url: str, html: str) -> ListingPage:
        return parse_listing(url, html, self.selectors)

    def parse_post(self, url: str, html: str) -> Post:
        return parse_article(url, html, self.selectors, tz=self.tz, default_author=self.config.author)

    def parse_post_comments(self, url: str, html: str) -> tuple[Comment, ...] | None:
        """None when comments are not configured: nothing is known about them."""
        if not self.selectors.comment:
            return None
        return parse_comments(url, html, self.selectors, tz=self.tz)

    def _page(self, url: str, html: str) -> tuple[Comment, ...]:
        """One more page of a post's comments: it must show some (else the template changed)."""
        found = self.parse_post_comments(url, html)
        if not found:
            raise ParseError("a comment page without comments", url=url, selector=self.selectors.comment)
        return found

    async def discover(self) -> Listing:
        """Follow the listing's pages (all of them on a first read, the changed newest ones after:
        sources/listing_poll.py). A failed page ends discovery with what was read so far, marked
        incomplete (so no post's absence is taken as evidence)."""
        run = ListingPoll(self.ctx, self.config, self.listing_url(), self._read_listing_page)
        listing = await run.run()
        self.next_cursor = run.cursor
        self.warnings.extend(run.warnings)
        return listing

    async def _read_listing_page(self, url: str) -> tuple[list[ListedPost], str | None]:
        response = await self.fetcher.get(url)
        page = self.parse_listing_page(response.final_url, response.text)
        return page.posts, page.next_url

    async def poll(self) -> SourceObservation:
        """The shared poll; a post whose read failed keeps no listing signature in the cursor."""
        obs = await super().poll()
        return replace(obs, cursor=forget_failed(obs.cursor, obs.posts))

    async def fetch_post(self, url: str) -> PostObservation:
        """Fetch and parse one post page; a 304 re-parses the stored body (content as stored)."""
        try:
            response = await self.fetcher.get(url)
        except FetchError as e:
            return self.observe_error(url, e)
        try:
            post = self.parse_post(url, response.text)
            comments = self.parse_post_comments(url, response.text) if self.ctx.wants_comments(post) else None
        except ParseError as e:
            return self.observe_error(url, e)
        if comments is not None:  # WordPress's comment pages (comment-page-N/), whole or unknown
            try:
                pages = follow_comment_pages(
                    self.fetcher, response.final_url, response.text, comments, self._page
                )
                comments = await pages
            except (FetchError, ParseError) as e:
                self.record(e)  # the post is still read; its comments are unknown (None)
                comments = None
        outcome = Outcome.NOT_MODIFIED if response.not_modified else Outcome.FETCHED
        return PostObservation(url, outcome, post=post, comments=comments, http_status=response.status)


@register("html", options=HtmlSourceConfig)
class HtmlSource(SelectorSource):
    """Any blog, read through the CSS selectors in its config."""

    config: HtmlSourceConfig

    @property
    def selectors(self) -> HtmlSelectors:
        return self.config.selectors


PLATFORM = register_platform(
    Platform(
        name="html",
        summary="any other site: CSS selectors from the config, or (auto) generic extraction",
        source=HtmlSource,
        order=1000,  # the last resort: no detection, `auto` falls back to it
        comments="not read (generic extraction has no comment selectors)",
        config_example={"selectors": {"item": "article", "title": "h1", "body": ".entry-content"}},
    )
)
