"""Blogger's GData feeds, Atom and `?alt=json` → posts and comments (pure)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from necwatch.errors import ParseError
from necwatch.extract.chars import clean_json
from necwatch.extract.feeds import ATOM, AtomEntry, FeedFields, atom_entry, atom_link, atom_root
from necwatch.models import Comment, Post
from necwatch.sources.blogger.common import (
    _OS,
    _POST_ID,
    PLACEHOLDER_AUTHORS,
    FeedEntry,
    FeedPage,
    _comment_date,
    _int,
    comment_text,
    log,
)
from necwatch.sources.feed import EntryRules, entry_post

_UTC = ZoneInfo("UTC")  # unused by ISO dates, which carry their offset


def _post_from_raw(raw: AtomEntry, url: str, default_author: str | None, via: str) -> FeedEntry | None:
    m = _POST_ID.search(raw.id)
    href = atom_link(raw, "alternate", "text/html") or atom_link(raw, "alternate")
    if not m or not href:
        return None  # not a published post (no permalink): nothing to observe
    permalink = urljoin(url, href)
    post: Post | None = None
    if raw.content is not None:
        try:
            post = _entry_post(raw, url, permalink, default_author, via)
        except ParseError as e:  # one entry's bad value: that post is read from its page instead
            if e.kind == "too_complex":
                raise
            log.warning("feed entry %s unreadable (%s): reading its page", permalink, e)
    return FeedEntry(permalink, m.group(1), post, _int(raw.thr_total))


# Blogger's GData entries: ISO dates only (a bad one sends the entry to its page), the id in
# `….post-N`, "Unknown" for a profile that shows no name, the body as written (no footer to drop).
BLOGGER_RULES = EntryRules(
    iso_dates=True, post_id=_POST_ID, placeholder_authors=PLACEHOLDER_AUTHORS, strip_footer=False
)


def _entry_post(raw: AtomEntry, url: str, permalink: str, default_author: str | None, via: str) -> Post:
    """The entry through the one feed-entry mapping (`sources.feed.entry_post`), by Blogger's rules."""
    fields = FeedFields(
        link=permalink,
        title=raw.title,
        content=raw.content or "",
        published=raw.published,
        updated=raw.updated,
        labels=tuple(raw.categories),
        guid=raw.id,
        author=raw.author_name,
        comment_count=_int(raw.thr_total),
        comments_feed=None,
        full_content=True,
    )
    return entry_post(fields, _UTC, default_author, rules=replace(BLOGGER_RULES, via=via), url=url)


def _comment_from_raw(raw: AtomEntry, url: str) -> Comment:
    m = _POST_ID.search(raw.id)
    if not m:
        raise ParseError(f"comment id {raw.id!r} has no .post-ID", url=url, kind="feed_unparseable")
    related = atom_link(raw, "related")
    parent = related.rstrip("/").rsplit("/", 1)[-1] if related else None
    alternate = atom_link(raw, "alternate")
    html = raw.content if raw.content is not None else (raw.summary or "")
    return Comment(
        platform_id=m.group(1),
        author=raw.author_name or "Anonymous",
        author_url=raw.author_uri,
        published_at=_comment_date(raw.published, url),
        body_text=comment_text(html),
        body_html=html,
        parent_id=parent if parent and parent.isdigit() else None,
        url=urljoin(url, alternate) if alternate else None,
    )


# -- Atom ----------------------------------------------------------------------------------------


def _atom_page(root: ET.Element, entries: list[Any]) -> FeedPage:
    has_next = any(link.get("rel") == "next" for link in root.findall(f"{ATOM}link"))
    return FeedPage(
        entries=entries,
        total_results=_int(root.findtext(f"{_OS}totalResults")),
        start_index=_int(root.findtext(f"{_OS}startIndex")),
        items_per_page=_int(root.findtext(f"{_OS}itemsPerPage")),
        has_next=has_next,
    )


def parse_feed_atom(url: str, data: str | bytes, *, default_author: str | None = None) -> FeedPage:
    """A posts feed page (Atom) → FeedPage of FeedEntry. Permalinks resolve against `url`."""
    root = atom_root(url, data)
    entries = [
        _post_from_raw(atom_entry(e), url, default_author, "feed") for e in root.findall(f"{ATOM}entry")
    ]
    return _atom_page(root, [e for e in entries if e is not None])


def atom_comment(element: ET.Element, url: str) -> Comment:
    """One comment feed `<entry>` (a post's comment feed or the blog's site-wide one) → Comment."""
    return _comment_from_raw(atom_entry(element), url)


def parse_comments_atom(url: str, data: str | bytes) -> FeedPage:
    """A comment feed page (Atom) → FeedPage of Comment (feed precision: seconds, milliseconds)."""
    root = atom_root(url, data)
    return _atom_page(root, [atom_comment(e, url) for e in root.findall(f"{ATOM}entry")])


# -- JSON (?alt=json) ------------------------------------------------------------------------------


def _t(obj: Any) -> str | None:
    """GData JSON wraps every text value as {"$t": value}."""
    if isinstance(obj, dict):
        value = obj.get("$t")
        return value if isinstance(value, str) else None
    return None


def _json_feed(url: str, data: str | bytes) -> dict[str, Any]:
    try:
        doc = clean_json(json.loads(data))  # "\ud800" decodes to a lone surrogate
    except (ValueError, UnicodeDecodeError) as e:
        raise ParseError(f"feed is not valid JSON: {e}", url=url, kind="feed_unparseable") from e
    feed = doc.get("feed") if isinstance(doc, dict) else None
    if not isinstance(feed, dict):
        raise ParseError("JSON has no 'feed' object", url=url, kind="feed_unparseable")
    return feed


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json_raw(entry: dict[str, Any]) -> AtomEntry:
    """A JSON entry's fields; a value of the wrong type reads as absent."""
    authors = _list(entry.get("author"))
    author = authors[0] if authors and isinstance(authors[0], dict) else {}
    return AtomEntry(
        id=_t(entry.get("id")) or "",
        published=_t(entry.get("published")),
        updated=_t(entry.get("updated")),
        title=_t(entry.get("title")) or "",
        content=_t(entry.get("content")),
        summary=_t(entry.get("summary")),
        links=[
            {k: str(v) for k, v in link.items()}
            for link in _list(entry.get("link"))
            if isinstance(link, dict)
        ],
        author_name=_t(author.get("name")),
        author_uri=_t(author.get("uri")),
        categories=[
            c["term"]
            for c in _list(entry.get("category"))
            if isinstance(c, dict) and isinstance(c.get("term"), str)
        ],
        thr_total=_t(entry.get("thr$total")),
    )


def _json_page(feed: dict[str, Any], entries: list[Any]) -> FeedPage:
    links = _list(feed.get("link"))
    return FeedPage(
        entries=entries,
        total_results=_int(_t(feed.get("openSearch$totalResults"))),
        start_index=_int(_t(feed.get("openSearch$startIndex"))),
        items_per_page=_int(_t(feed.get("openSearch$itemsPerPage"))),
        has_next=any(isinstance(link, dict) and link.get("rel") == "next" for link in links),
    )


def _json_entries(feed: dict[str, Any], url: str) -> list[dict[str, Any]]:
    entries = feed.get("entry", [])
    if not isinstance(entries, list):
        raise ParseError("'feed.entry' is not a list", url=url, kind="feed_unparseable")
    return [e for e in entries if isinstance(e, dict)]


def parse_feed_json(url: str, data: str | bytes, *, default_author: str | None = None) -> FeedPage:
    """A posts feed page (`?alt=json`) → FeedPage of FeedEntry; `\\/`, `\\u0026` are json's job."""
    feed = _json_feed(url, data)
    entries = [_post_from_raw(_json_raw(e), url, default_author, "json") for e in _json_entries(feed, url)]
    return _json_page(feed, [e for e in entries if e is not None])


def parse_comments_json(url: str, data: str | bytes) -> FeedPage:
    """A comment feed page (`?alt=json`) → FeedPage of Comment."""
    feed = _json_feed(url, data)
    return _json_page(feed, [_comment_from_raw(_json_raw(e), url) for e in _json_entries(feed, url)])
