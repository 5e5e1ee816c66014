"""`type: feed`: any blog with an RSS 2.0, RSS 1.0, Atom or JSON Feed, whatever its platform.

`url` is the feed, or a page that advertises it with `<link rel="alternate" type="…">` (the blog's
home page): the feed is found there on every poll, so a blog that moves its feed is followed.

Full content (`content:encoded`, Atom `content`, JSON Feed `content_html`) is stored as served. An
entry that is only an excerpt (no full content, or text ending in "[…]", "…", "Read more",
"Continue reading", with the "The post … appeared first on …" footer ignored) is read from its own
page with the generic page extractor (`necwatch.extract.page.read_post`), and the page wins only
when its text is longer than the excerpt. When the page cannot be read the excerpt is kept flagged
`is_excerpt`: tracking stores the post without a report and raises no new_report until the full
body is read. Comments come from the entry's comment feed (`wfw:commentRss`, Atom `replies`, a
WordPress post's `/feed/`), and `slash:comments`/`thr:total` of 0 means none; otherwise unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from necwatch.errors import FetchError, ParseError
from necwatch.extract.dates import OutOfRange, in_utc_range, parse_any, parse_iso
from necwatch.extract.feeds import FeedFields, feed_links, is_feed_document, parse_any_feed
from necwatch.extract.page import read_post
from necwatch.extract.text import collapse_ws, html_to_text, strip_bidi
from necwatch.models import Comment, Outcome, Post, PostObservation, SourceObservation
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, Source, SourceContext, register
from necwatch.sources.listing_poll import (
    due_now,
    forget_failed,
    listed_changed,
    listing_cursor,
    listing_sig,
    stored_items,
)
from necwatch.sources.registry import Detected, PageFacts, Platform, is_feed, register_platform

__all__ = [
    "FEED_RULES",
    "EntryRules",
    "FeedSource",
    "FeedSourceConfig",
    "entry_comment",
    "entry_post",
    "find_feed",
    "iso_when",
    "looks_like_excerpt",
    "read_feed",
    "shown_author",
]


class FeedSourceConfig(SourceConfig):
    """`type: feed`: `url` is a feed (RSS/Atom/JSON Feed) or a page advertising one; no other options."""

    type: Literal["feed"]


_FOOTER = re.compile(r"\s*The post .{1,300}? appeared first on .{1,200}?\.?\s*$", re.IGNORECASE | re.DOTALL)
_CUT = re.compile(
    r"(?:\[\s*(?:…|\.\.\.|&hellip;)\s*\]|…|\.\.\.|read\s+more|continue\s+reading)[^.!?\n]{0,80}[»›→.]*\s*$",
    re.IGNORECASE,
)
_POST_ID = re.compile(r"[?&]p=(\d+)|post-(\d+)$")
_TRAILING_NUMBER = re.compile(r"(\d+)\D*$")
LONGER = 1.2  # a page must have this much more text than the feed's entry to replace it


def looks_like_excerpt(fields: FeedFields) -> bool:
    """The entry may be cut: no full content, or its text ends in an ellipsis / "Read more" link."""
    if not fields.full_content:
        return True
    return bool(_CUT.search(_FOOTER.sub("", html_to_text(fields.content))))


def _when(value: str | None, tz: ZoneInfo, *, strict: bool = False, url: str = "") -> datetime | None:
    """A feed date: ISO 8601 or RFC 2822, else any reading dateutil finds (a time without an offset
    is in `tz`). Unreadable: unknown (None), or, `strict`, a ParseError naming it; a date with no
    UTC value (years 1-9999) is unknown either way."""
    if not value:
        return None
    try:
        return parse_any(value, default_tz=tz)
    except OutOfRange:
        return None
    except ValueError:
        pass
    try:
        parsed = dateutil_parser.parse(value)
        return in_utc_range(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz))
    except OutOfRange:
        return None
    except (ValueError, OverflowError) as e:
        if strict:
            raise ParseError(f"bad date {value!r}: {e}", url=url, selector="item/pubDate") from e
        return None


def iso_when(value: str | None, url: str, what: str) -> datetime | None:
    """An `iso_dates` feed's date: ISO 8601 with an offset, in years 1-9999, or a ParseError."""
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError as e:
        raise ParseError(f"bad {what} date {value!r}", url=url, kind="feed_unparseable") from e


def _shown_in(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """An aware datetime shown in `tz` with a fixed offset (so isoformat() is stable)."""
    if value is None:
        return None
    try:
        local = value.astimezone(tz)
    except OverflowError:  # the calendar's last or first hours: kept with the offset given
        return value
    return local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))


@dataclass(frozen=True)
class EntryRules:
    """What a platform's feed adds to the one reading of an entry (`entry_post`): its `via`, the
    chrome its content carries, whether a bad date fails the feed, whether dates are shown in the
    source's zone rather than the offset the feed wrote (RSS `pubDate` is always +0000).

    `iso_dates`: the feed writes ISO 8601 with an offset and nothing else (Blogger's GData), so
    any other date, one without an offset or one with no UTC value is that entry's ParseError
    (`feed_unparseable`, "bad published date …"), whatever `strict_dates` says: the caller decides
    what it costs (Blogger reads that entry's page). `post_id`: where the id is in the guid (its
    first non-empty group). `placeholder_authors`: the names a platform shows for a profile with no
    name (Blogger's "Unknown"): kept as the author, since that is what the feed shows, unless the
    source's `author:` says who writes there (`shown_author`). `strip_footer`: the "The post …
    appeared first on …" footer is left out of the text (WordPress's; a Blogger post's own words
    are kept whole)."""

    via: str = "feed"
    clean_html: Callable[[str], str] | None = None
    strict_dates: bool = False
    show_in_zone: bool = False
    iso_dates: bool = False
    post_id: re.Pattern[str] = _POST_ID
    placeholder_authors: frozenset[str] = frozenset()
    strip_footer: bool = True


FEED_RULES = EntryRules()


def _shown(fields: FeedFields) -> str:
    """What the feed shows of an entry, for its listing signature: title, dates, text, comments."""
    parts = [fields.title, fields.published or "", fields.updated or "", fields.content]
    return "\n".join([*parts, str(fields.comment_count)])


def entry_post(
    fields: FeedFields,
    tz: ZoneInfo,
    default_author: str | None = None,
    *,
    rules: EntryRules = FEED_RULES,
    url: str = "",
) -> Post:
    """A feed entry → Post: the one mapping every feed path uses (the `feed` source, WordPress RSS,
    `inspect --type feed`, Blogger's Atom and JSON feeds). The body is the entry's content as served
    (less the platform's chrome); the title has its whitespace collapsed and bidi controls dropped,
    the served one kept in `title_raw` when it differs; the id is found in the guid by
    `rules.post_id` (by default WordPress's `?p=N` or a `post-N` guid)."""
    assert fields.link is not None
    m = rules.post_id.search(fields.guid)
    served = strip_bidi(fields.title).strip()
    title = collapse_ws(served)
    body_html = rules.clean_html(fields.content) if rules.clean_html is not None else fields.content
    if rules.iso_dates:
        published = iso_when(fields.published, url, "published")
        updated = iso_when(fields.updated, url, "updated")
    else:
        published = _when(fields.published, tz, strict=rules.strict_dates, url=url)
        updated = _when(fields.updated, tz, strict=rules.strict_dates, url=url)
    if rules.show_in_zone:
        published, updated = _shown_in(published, tz), _shown_in(updated, tz)
    return Post(
        url=fields.link,
        title=title,
        title_raw=served if served != title else None,
        body_html=body_html,
        body_text=html_to_text(_FOOTER.sub("", body_html) if rules.strip_footer else body_html),
        platform_id=next((g for g in m.groups() if g), None) if m else None,
        author=shown_author(fields.author, default_author, rules.placeholder_authors),
        published_at=published,
        updated_at=updated,
        labels=fields.labels,
        via=rules.via,
    )


def shown_author(
    shown: str | None, default_author: str | None, placeholders: frozenset[str] = frozenset()
) -> str | None:
    """The author a feed or page shows, as shown: any name it prints is a real value ("admin",
    "Unknown"), the source's `author:` standing in only when it shows none, or only a platform's
    placeholder for a profile with no name (`placeholders`)."""
    if not shown or (shown in placeholders and default_author):
        return default_author
    return shown


def read_feed(url: str, text: str, tz: ZoneInfo, default_author: str | None = None) -> list[Post]:
    """A feed document → its entries as posts (entries without a link are skipped), in feed order:
    what a `feed` source lists, and what `inspect --type feed` prints."""
    return [entry_post(f, tz, default_author) for f in parse_any_feed(url, text) if f.link]


async def find_feed(source: Source, url: str) -> tuple[str, str]:
    """(feed URL, feed text): `url` itself when it is a feed, else the first feed its page advertises."""
    response = await source.fetcher.get(url)
    if is_feed_document(response.content_type, response.text):
        return response.final_url, response.text
    links = feed_links(response.final_url, response.text)
    if not links:
        raise ParseError(
            'neither a feed nor a page advertising one (no <link rel="alternate" type="application/rss+xml|'
            'atom+xml|feed+json">)',
            url=url,
            selector='link[rel="alternate"]',
        )
    feed = await source.fetcher.get(links[0])
    return feed.final_url, feed.text


@register("feed", options=FeedSourceConfig)
class FeedSource(Source):
    """Reads a feed; excerpt entries are completed from their pages."""

    config: FeedSourceConfig

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx)
        self.excerpts: dict[str, Post] = {}  # permalink → the feed's excerpt, kept if the page fails
        self.comment_feeds: dict[str, str] = {}
        self.feed_url: str | None = None
        self.kept_excerpts: set[str] = set()

    async def discover(self) -> Listing:
        """The feed's entries. After the first poll an excerpt entry shown as before (same title,
        dates, text) is read from its page only when its revisit is due, and so is a known post the
        feed no longer shows (sources/revisit.py); the feed itself is still complete evidence."""
        self.feed_url, text = await find_feed(self, self.config.url)
        items = stored_items(self.ctx, self.config)
        due = due_now(self.ctx, self.config) if items is not None else None
        listing = Listing(due=frozenset(due) if due is not None else None)
        shown: dict[str, str | None] = {}
        for fields in parse_any_feed(self.feed_url, text):
            if not fields.link:
                continue
            post = entry_post(fields, self.tz, self.config.author)
            sig = listing_sig(post.url, _shown(fields))
            shown[post.url] = sig
            excerpt = looks_like_excerpt(fields)
            unchanged = items is not None and not listed_changed(self.ctx, items, post.url, sig)
            if excerpt and unchanged and due is not None and post.url not in due:
                listing.unread.append(post.url)  # shown as before: its page is read when due
                continue
            if fields.comments_feed:
                self.comment_feeds[post.url] = fields.comments_feed
            if excerpt:
                self.excerpts[post.url] = replace(post, is_excerpt=True)
            listing.posts.append(
                ListedPost(
                    url=post.url,
                    post=None if excerpt else post,
                    comments_url=fields.comments_feed,
                    comment_count=fields.comment_count,
                    platform_id=post.platform_id,
                )
            )
        if self.config.incremental:
            self.next_cursor = listing_cursor(items or {}, shown, self.ctx.known)
        return listing

    async def poll(self) -> SourceObservation:
        """The shared poll; a post whose read failed keeps no listing signature in the cursor."""
        obs = await super().poll()
        return replace(obs, cursor=forget_failed(obs.cursor, obs.posts, also=self.kept_excerpts))

    async def fetch_post(self, url: str) -> PostObservation:
        """The post's page (an excerpt entry, or a post the feed no longer lists)."""
        excerpt = self.excerpts.get(url)
        try:
            response = await self.fetcher.get(url)
            page = read_post(response.text, url, tz=self.tz, default_author=self.config.author)
        except (FetchError, ParseError) as e:
            if excerpt is None or (isinstance(e, FetchError) and e.status in (404, 410)):
                return self.observe_error(url, e)
            self.record(e)  # the page failed: keep the excerpt, flagged (never a report's body)
            self.kept_excerpts.add(url)  # and read the page again next poll
            return PostObservation(url, Outcome.FETCHED, post=excerpt, comments=None)
        post = self._merge(excerpt, page)
        comments = await self._comments(url, post) if self.ctx.wants_comments(post) else None
        outcome = Outcome.NOT_MODIFIED if response.not_modified else Outcome.FETCHED
        return PostObservation(url, outcome, post=post, comments=comments, http_status=response.status)

    def _merge(self, excerpt: Post | None, page: Post) -> Post:
        """The page's body with the feed's metadata; the feed's text when the page adds nothing to it."""
        if excerpt is None:
            return page
        if len(page.body_text) <= len(excerpt.body_text) * LONGER:
            return replace(excerpt, is_excerpt=False)  # the "excerpt" was the whole post
        return replace(
            excerpt,
            body_html=page.body_html,
            body_text=page.body_text,
            is_excerpt=False,
            updated_at=excerpt.updated_at or page.updated_at,
            platform_id=excerpt.platform_id,
            via="feed+page",
        )

    async def fetch_comments(self, listed: ListedPost, post: Post) -> tuple[Comment, ...] | None:
        return await self._comments(listed.url, post)

    async def _comments(self, url: str, post: Post) -> tuple[Comment, ...] | None:
        feed = self.comment_feeds.get(url)
        if feed is None:
            return None  # the feed links no comments: unknown, not none
        try:
            response = await self.fetcher.get(feed)
            items = parse_any_feed(feed, response.text)
        except (FetchError, ParseError) as e:
            self.record(e)
            return None
        return tuple(self._comment(i, n) for n, i in enumerate(items, start=1))

    def _comment(self, item: FeedFields, index: int) -> Comment:
        return entry_comment(item, index, self.tz)


def entry_comment(item: FeedFields, index: int, tz: ZoneInfo) -> Comment:
    """One comment feed entry as a comment (the live `feed` source's and the web archive's captured
    comment feeds'): its id is the number ending its link or guid, else its place in the feed
    (`index`, from 1); its author the entry's, else its title less "Comment on … by"; a date without
    an offset is in `tz`."""
    m = _TRAILING_NUMBER.search(item.link or item.guid or "")
    author = item.author or re.sub(r"^(?:comment\s+on\s+.*?\s+)?by\s+", "", item.title, flags=re.I)
    return Comment(
        platform_id=m.group(1) if m else str(index),
        author=collapse_ws(author) or "Anonymous",
        body_text=html_to_text(item.content),
        published_at=_when(item.published, tz),
        body_html=item.content,
        url=item.link,
    )


# -- the platform ---------------------------------------------------------------------------------


def detect(facts: PageFacts) -> Detected | None:
    """The URL is a feed, or its page advertises one with `<link rel="alternate">`."""
    if is_feed(facts):
        how = facts.content_type or "by content"
        return Detected(facts.url, (f"{facts.url} is a feed ({how})",))
    if facts.feeds:
        return Detected(facts.feeds[0], (f'<link rel="alternate"> to {facts.feeds[0]}',))
    return None


PLATFORM = register_platform(
    Platform(
        name="feed",
        summary="any RSS, Atom or JSON feed; cut entries are read from their pages",
        source=FeedSource,
        detect=detect,
        order=90,  # after every platform: most platforms also advertise a feed
    )
)
