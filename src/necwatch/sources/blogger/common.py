"""Blogger: the values its parsers return and the small pure helpers they share."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import localize, parse_words
from necwatch.extract.text import collapse_ws, html_to_text, node_text, strip_bidi
from necwatch.models import Post
from necwatch.sources.base import ListedPost
from necwatch.sources.feed import iso_when, shown_author

log = logging.getLogger("necwatch.sources.blogger")  # the package: log names kept

_OS = "{http://a9.com/-/spec/opensearchrss/1.0/}"
_GD = "{http://schemas.google.com/g/2005}"

_POST_ID = re.compile(r"\.post-(\d+)$")
_ARCHIVE = re.compile(r"/(\d{4})_(\d{2})_\d{2}_archive\.html$")
_POSTED_BY = re.compile(r"posted by\s+(.*?)\s*@", re.IGNORECASE | re.DOTALL)
_COMMENT_COUNT = re.compile(r"(\d+)\s+comments?", re.IGNORECASE)
_SAID = re.compile(r"\s*said\.\.\.\s*$")
_PARAGRAPH_BREAK = re.compile(r"(?:<br\s*/?>\s*){2,}", re.IGNORECASE)
# What Blogger prints for a profile with no name (a deleted account): the byline the page or feed
# shows, kept as the author, unless the source's `author:` says whose blog it is (feed.shown_author).
PLACEHOLDER_AUTHORS = frozenset({"Unknown"})


# -- values the parsers return ----------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    """One post entry of a posts feed. `post` is None when the entry has only a summary."""

    url: str
    platform_id: str
    post: Post | None
    comment_count: int | None  # thr:total


@dataclass(frozen=True)
class FeedPage:
    """One page of a GData feed and the paging signals it gives (never its www.blogger.com links)."""

    entries: list[Any]  # FeedEntry for posts feeds, Comment for comment feeds
    total_results: int | None
    start_index: int | None
    items_per_page: int | None
    has_next: bool


@dataclass(frozen=True)
class HtmlListingPage:
    """A home or archive page: its full posts, the archive pages it links and an older-posts link."""

    posts: list[ListedPost]
    archive_urls: list[str]
    older_url: str | None = None


# -- small pure helpers -------------------------------------------------------------------------


def clean_title(raw: str) -> tuple[str, str | None]:
    """(title with U+00A0 → space and whitespace collapsed, the served title when that differs)."""
    served = strip_bidi(raw).strip()
    title = collapse_ws(served)
    return title, (served if served != title else None)


def comment_text(html: str, node: LexborNode | None = None) -> str:
    """Comment HTML → text; a run of two or more <br> is a paragraph break (a blank line).
    `node`, the parsed element `html` came from, is read directly when there is no such run: the
    same text without parsing the comment a second time (most comments have none)."""
    if node is not None and _PARAGRAPH_BREAK.search(html) is None:
        return node_text(node)
    parts = (html_to_text(chunk) for chunk in _PARAGRAPH_BREAK.split(html))
    return "\n\n".join(p for p in parts if p)


def blogger_author(shown: str | None, default_author: str | None) -> str | None:
    """The byline a Blogger page shows (see PLACEHOLDER_AUTHORS), else the source's `author:`."""
    return shown_author(shown, default_author, PLACEHOLDER_AUTHORS)


def is_disallowed(url: str) -> bool:
    """Blogger's robots.txt disallows /search for every agent (label pages, Older Posts)."""
    path = urlsplit(url).path
    return path == "/search" or path.startswith("/search/")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _comment_date(value: str | None, url: str) -> datetime | None:
    """A comment's date; an unreadable one leaves the date unknown, not the comment."""
    try:
        return iso_when(value, url, "comment")
    except ParseError as e:
        log.warning("%s", e)
        return None


# "NAME said..." in the languages Blogger prints it (after text_of, whitespace is single spaces)
_SAID_ANY = re.compile(
    r" (?:said|hat gesagt|a dit|ha dicho|ha detto|disse|zei|sagde|skrev) ?(?:\.\.\.|…|:)?$", re.IGNORECASE
)
_SHOW_COMMENT = re.compile(r"[?&]showComment=(\d{12,14})(?:[&#]|$)")


def _stamped(text: str, href: str, tz: ZoneInfo) -> datetime | None:
    """A comment's time: the exact instant of its permalink's `showComment=<epoch ms>` (the comment
    feed's own `published`), shown in `tz`; else the printed one when it names the day (any
    language), read in `tz`; else unknown. The printed time is in the blog's zone, which the page
    does not name: read in another zone it would be hours off. A printed time without a day
    ("21:00") is never read as today."""
    m = _SHOW_COMMENT.search(href)
    if m is not None:
        try:
            return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC).astimezone(tz)
        except (OverflowError, OSError, ValueError):
            pass
    if re.search(r"\d{4}", text):
        return _comment_time(text, tz)
    return None


def _comment_time(text: str, tz: ZoneInfo) -> datetime | None:
    if not text:
        return None
    try:
        value = parse_words(text, tz)
        return (
            value
            if isinstance(value, datetime)
            else localize(datetime(value.year, value.month, value.day), tz)
        )
    except ValueError:
        return None
