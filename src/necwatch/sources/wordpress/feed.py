"""WordPress RSS → posts, through the one feed-entry mapping (`sources.feed.entry_post`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from necwatch.errors import ParseError
from necwatch.extract.feeds import entry_fields, parse_feed
from necwatch.models import Post
from necwatch.sources.feed import EntryRules, entry_post
from necwatch.sources.wordpress.common import clean_body_html

# -- RSS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """One RSS item: the full post, where its comments are, and how many the feed says it has."""

    post: Post
    comments_feed: str | None
    comment_count: int | None


RSS_RULES = EntryRules(via="rss", clean_html=lambda html: clean_body_html(html), strict_dates=True)


def parse_rss(url: str, data: bytes | str, *, tz: ZoneInfo | None = None) -> list[FeedItem]:
    """A WordPress RSS2 feed → items with full content (`content:encoded`, else `description`),
    through the one entry mapping (`feed.entry_post`) with WordPress's rules: its chrome out of the
    content, a bad `pubDate` fails the feed, dates shown in `tz` (RSS writes +0000).

    ParseError when the document is not a feed. An empty channel is a valid, empty list.
    """
    parsed = parse_feed(url, data, kind="RSS")
    rules = replace(RSS_RULES, show_in_zone=tz is not None)
    items = []
    for entry in parsed.entries:
        fields = entry_fields(url, entry)
        if not fields.link:
            raise ParseError("feed item without <link>", url=url, selector="item/link")
        post = entry_post(fields, tz or ZoneInfo("UTC"), rules=rules, url=url)
        items.append(
            FeedItem(post=post, comments_feed=fields.comments_feed, comment_count=fields.comment_count)
        )
    return items
