"""LabourList adapter: the tag listing (`/tag/<tag>/`, `/tag/<tag>/page/N/`), then each article page.

LabourList is WordPress with a news theme: cards on tag pages, `the_posts_pagination` links
(`a.next.page-numbers`), and article pages whose body (`div.article-body.entry-content`) sits among
share bars, a newsletter box, a donate box and "More from LabourList" (all outside or removed).
It is the generic `html` adapter with these selectors fixed, so a redesign fails the same loud way.

Comments: LabourList's comments are Disqus threads loaded by script; they are not in the page HTML
(and its REST `comments` endpoint is always empty), so they are not collected: every observation
carries `comments=None` ("not read"), never `()` ("read, there are none").
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

from necwatch.models import Comment, Post
from necwatch.settings import SourceConfig
from necwatch.sources.base import register
from necwatch.sources.html import HtmlSelectors, ListingPage, SelectorSource, parse_article, parse_listing
from necwatch.sources.registry import Detected, PageFacts, Platform, register_platform

__all__ = [
    "SELECTORS",
    "LabourListSource",
    "LabourListSourceConfig",
    "parse_labourlist_article",
    "parse_tag_page",
    "tag_url",
]

SELECTORS = HtmlSelectors(
    item=".post-grid article.card",
    link=".card__title a[href]",
    next_page="nav.pagination a.next[href]",
    title="article .entry-title",
    body="article .entry-content",
    date="article time.entry-date.published",
    date_attr="datetime",
    author='article .byline a[rel="author"]',
    # Inside the body only if a plugin puts them there; the theme prints them around it.
    remove=[
        ".share",
        ".newsletter-box",
        ".donate-box",
        ".more-from",
        "#comments",
        "#disqus_thread",
        "script",
        "style",
        "noscript",
    ],
)


def tag_url(base: str, tag: str) -> str:
    """The first page of a tag's listing under the site base (any host, e.g. a local replay)."""
    return urljoin(base, f"tag/{quote(tag, safe='')}/")


def parse_tag_page(url: str, html: str | bytes) -> ListingPage:
    """A `/tag/<tag>/[page/N/]` page → article permalinks and the next page. ParseError on no cards."""
    return parse_listing(url, html, SELECTORS)


def parse_labourlist_article(url: str, html: str | bytes, *, tz: ZoneInfo | None = None) -> Post:
    """An article page → Post (title, byline, published/updated with the page's offset, tags, body)."""
    return parse_article(url, html, SELECTORS, tz=tz or ZoneInfo("Europe/London"))


class LabourListSourceConfig(SourceConfig):
    """`type: labourlist`: the common keys, plus the tag whose listing is read."""

    type: Literal["labourlist"]
    tag: str | None = None  # tag slug: /tag/<tag>/ under url (without one, url is the listing)


@register("labourlist", options=LabourListSourceConfig)
class LabourListSource(SelectorSource):
    """LabourList tag listing + article pages, through the fixed SELECTORS above."""

    config: LabourListSourceConfig

    @property
    def selectors(self) -> HtmlSelectors:
        return SELECTORS

    def listing_url(self) -> str:
        """`/tag/<config.tag>/` under config.url; without a tag, config.url is taken as the listing."""
        return tag_url(self.config.url, self.config.tag) if self.config.tag else self.config.url

    def parse_post(self, url: str, html: str) -> Post:
        return parse_article(url, html, SELECTORS, tz=self.tz, default_author=self.config.author)

    def parse_post_comments(self, url: str, html: str) -> tuple[Comment, ...] | None:
        """Disqus comments are not in the page: not available (None), see the module docstring."""
        return None


# -- the platform ---------------------------------------------------------------------------------


def detect(facts: PageFacts) -> Detected | None:
    """A LabourList tag listing: its card selectors match, every card with a link."""
    cards = facts.tree.css(SELECTORS.item)
    link = SELECTORS.link or "a[href]"
    if not cards or any(card.css_first(link) is None for card in cards):
        return None
    return Detected(facts.url, ("LabourList tag listing (its card selectors match)",))


def _read_single(url: str, text: str, tz: ZoneInfo) -> tuple[Post, tuple[Comment, ...] | None]:
    return parse_article(url, text, SELECTORS, tz=tz), None


PLATFORM = register_platform(
    Platform(
        name="labourlist",
        summary="LabourList: a tag listing and its article pages, through fixed selectors",
        source=LabourListSource,
        detect=detect,
        order=20,  # before wordpress: LabourList runs on WordPress
        # its articles: WordPress's Month and name permalinks (`/2014/11/nec-report-november-2014/`)
        post_url=re.compile(r"^/(?:19|20)\d\d/[01]\d/(?!(?:feed|page|embed|amp)/?$)[^/?#]{3,300}/?$"),
        comments="not collected (Disqus threads are loaded by script)",
        read_single=_read_single,
    )
)
