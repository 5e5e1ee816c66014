"""Feed parsing any adapter can use: feedparser for RSS/Atom, ElementTree for strict Atom.

Platform rules (which id is the post id, how bodies are cleaned, paging) stay in the adapters; this
module only turns a feed document into plain fields, and refuses documents that are not feeds with
a ParseError (kind feed_unparseable), so a broken feed is a failure and never an empty blog.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import feedparser

from necwatch.errors import ParseError
from necwatch.extract.chars import clean_json, drop_bad_charrefs
from necwatch.extract.dates import parse_any

__all__ = [
    "ATOM",
    "THR",
    "AtomEntry",
    "FeedFields",
    "atom_entry",
    "atom_link",
    "atom_root",
    "entry_fields",
    "feed_date",
    "feed_links",
    "is_feed_document",
    "parse_any_feed",
    "parse_feed",
    "parse_json_feed",
]

ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"  # RFC 4685 threading (comment counts)


# -- feedparser (RSS 2.0 and Atom, forgiving) ---------------------------------------------------


def parse_feed(url: str, data: bytes | str, *, kind: str = "RSS") -> Any:
    """A feed document → feedparser's result. ParseError when it is not a feed at all.

    An empty channel is a valid feed with no entries. `kind` names the feed in the error.
    """
    data = drop_bad_charrefs(data)  # `&#xD800;` made feedparser raise UnicodeEncodeError
    if isinstance(data, bytes):
        raw, headers = data, {}
    else:
        # Already decoded (the fetcher's deterministic decoding: valid UTF-8 wins over a wrong
        # declaration). Say so, or feedparser re-decodes these UTF-8 bytes by the XML declaration.
        raw, headers = data.encode("utf-8"), {"content-type": "application/rss+xml; charset=utf-8"}
    parsed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False, response_headers=headers)
    if parsed.get("bozo") and not parsed.get("entries") and not parsed.get("feed"):
        raise ParseError(f"not a feed: {parsed.get('bozo_exception')}", url=url, kind="feed_unparseable")
    if "title" not in parsed.feed and not parsed.entries:
        raise ParseError(f"not an {kind} feed", url=url, kind="feed_unparseable")
    return parsed


@dataclass(frozen=True)
class FeedFields:
    """One feedparser entry as plain values. `link` and `comments_feed` are resolved against the
    feed's URL; `published` is the text as served (adapters parse it with their own rules)."""

    link: str | None
    title: str
    content: str  # full content (content:encoded / atom:content), else the summary
    published: str | None
    labels: tuple[str, ...]  # category/tag terms, first spelling kept, in order
    guid: str
    author: str | None
    comment_count: int | None  # slash:comments (Atom: thr:total)
    comments_feed: str | None  # wfw:commentRss (Atom: link rel="replies")
    full_content: bool = False  # `content` is the entry's full content, not a summary/description
    updated: str | None = None


def entry_fields(url: str, entry: Any) -> FeedFields:
    """A feedparser entry → FeedFields. A feed served through FeedBurner points its links at
    FeedBurner's redirector; `feedburner:origLink` is the post's own URL and wins."""
    link = entry.get("feedburner_origlink") or entry.get("link")
    labels: list[str] = []
    for tag in entry.get("tags", []):
        term = (tag.get("term") or "").strip()
        if term and term not in labels:
            labels.append(term)
    count = entry.get("slash_comments") or entry.get("thr_total")
    comments_feed = entry.get("wfw_commentrss")
    for other in entry.get("links", []):
        if not comments_feed and other.get("rel") == "replies" and "html" not in (other.get("type") or ""):
            comments_feed = other.get("href")
    return FeedFields(
        link=urljoin(url, link) if link else None,
        title=entry.get("title", ""),
        content=entry.content[0].value if entry.get("content") else entry.get("summary", ""),
        published=entry.get("published") or None,
        labels=tuple(labels),
        guid=entry.get("id", ""),
        author=(entry.get("author") or "").strip() or None,
        comment_count=int(count) if count is not None and str(count).strip().isdigit() else None,
        comments_feed=urljoin(url, comments_feed) if comments_feed else None,
        full_content=bool(entry.get("content")),
        updated=dict.get(entry, "updated") or None,  # entry.get would fall back to `published`
    )


# -- JSON Feed (https://jsonfeed.org, versions 1 and 1.1), which feedparser does not read ------------


def parse_json_feed(url: str, data: str | bytes) -> list[FeedFields]:
    """A JSON Feed document → its items as FeedFields. ParseError when it is not a JSON Feed."""
    try:
        doc = clean_json(json.loads(data))
    except ValueError as e:
        raise ParseError(f"not JSON: {e}", url=url, kind="feed_unparseable") from e
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError("not a JSON Feed (no jsonfeed.org version)", url=url, kind="feed_unparseable")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError("JSON Feed without an items list", url=url, kind="feed_unparseable")
    return [_json_item(url, item) for item in items if isinstance(item, dict)]


def _str(value: Any) -> str:
    """A JSON Feed text field: a string as is, a number as written; any other type (a list, an
    object, null, a boolean) is no value."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _only_str(value: Any) -> str:
    """A JSON Feed URL or date: a string, or no value (a number is neither)."""
    return value if isinstance(value, str) else ""


def _json_author(item: dict[str, Any]) -> str | None:
    """`authors` (1.1) or `author` (1.0): the first name; a bare string is taken as the name."""
    for authors in (item.get("authors"), item.get("author")):
        for a in authors if isinstance(authors, list) else [authors]:
            name = _str(a.get("name")) if isinstance(a, dict) else (a if isinstance(a, str) else "")
            if name.strip():
                return name.strip()
    return None


def _json_item(url: str, item: dict[str, Any]) -> FeedFields:
    """One item; a field of the wrong type reads as absent (an int date is no date, a list title no
    title), so one odd item neither fails the feed nor leaks `[1, 2]` into a title."""
    content = _str(item.get("content_html")) or html.escape(_str(item.get("content_text")))
    link = _only_str(item.get("url")) or _only_str(item.get("external_url"))
    tags = item.get("tags")
    tags = tags if isinstance(tags, list) else [tags] if isinstance(tags, str) else []
    return FeedFields(
        link=urljoin(url, link) if link else None,
        title=_str(item.get("title")),
        content=content or _str(item.get("summary")),
        published=_only_str(item.get("date_published")) or None,
        labels=tuple(dict.fromkeys(t for t in (_str(t).strip() for t in tags) if t)),
        guid=_str(item.get("id")) or link or "",
        author=_json_author(item),
        comment_count=None,
        comments_feed=None,
        full_content=bool(content),
        updated=_only_str(item.get("date_modified")) or None,
    )


def feed_date(text: str, *, default_tz: ZoneInfo | None = None) -> datetime:
    """An entry's date as its format writes it: Atom's RFC 3339 (`2020-04-28T21:11:00.001+02:00`,
    also what FeedBurner serves for a Blogger feed) or RSS's RFC 2822 (`Tue, 28 Apr 2020 19:11:00
    +0000`), told apart by the text itself, not by which reader the feed was handed to. The offset
    is kept as written. ValueError (OutOfRange included) when it is neither."""
    return parse_any(text, default_tz=default_tz)


def is_feed_document(content_type: str, text: str) -> bool:
    """Whether a response is a feed (RSS, RDF, Atom or JSON Feed) rather than a page."""
    if any(t in content_type for t in ("rss", "atom", "rdf", "feed+json")):
        return True
    head = text[:1024].lstrip("\ufeff \t\r\n").lower()
    if head.startswith("{"):
        return "jsonfeed.org/version" in text[:4096]
    roots = ("<rss", "<feed", "<rdf:rdf")
    return head.startswith(roots) or (head.startswith("<?xml") and any(t in head for t in roots))


def parse_any_feed(url: str, text: str) -> list[FeedFields]:
    """RSS 2.0, RSS 1.0 (RDF), Atom (feedparser) or JSON Feed → FeedFields, in document order."""
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        return parse_json_feed(url, text)
    parsed = parse_feed(url, text, kind="RSS/Atom")
    return [entry_fields(url, e) for e in parsed.entries]


_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")


def feed_links(url: str, html_text: str) -> list[str]:
    """Feeds a page advertises with <link rel="alternate" type="…">, resolved; comment feeds last."""
    from necwatch.extract.select import parse_html  # selectolax only where pages are read

    return feed_links_in(parse_html(html_text, url), url)


def feed_links_in(tree: Any, url: str) -> list[str]:
    """feed_links on a page already parsed (a LexborHTMLParser)."""
    posts: list[str] = []
    comments: list[str] = []
    for link in tree.css('link[rel~="alternate"][href]'):
        kind = (link.attributes.get("type") or "").lower().split(";")[0].strip()
        if kind not in _FEED_TYPES and not (
            kind == "application/json" and "feed" in (link.attributes.get("title") or "").lower()
        ):
            continue
        href = urljoin(url, (link.attributes.get("href") or "").strip())
        title = (link.attributes.get("title") or "").lower()
        target = comments if "comment" in title or "/comments/" in href else posts
        if href not in target:
            target.append(href)
    return posts + comments


# -- Atom with ElementTree (strict: exactly what the feed says, no DTDs) -------------------------


def atom_root(url: str, data: str | bytes) -> ET.Element:
    """An Atom document → its <feed> element. DOCTYPE/ENTITY declarations are refused outright."""
    head = data[:2048] if isinstance(data, str) else data[:2048].decode("utf-8", "replace")
    if "<!DOCTYPE" in head or "<!ENTITY" in head:
        raise ParseError("feed declares a DOCTYPE/ENTITY (refused)", url=url, kind="feed_unparseable")
    try:
        root = ET.fromstring(drop_bad_charrefs(data))  # one bad character is not a bad feed
    except ET.ParseError as e:
        raise ParseError(f"feed is not well-formed XML: {e}", url=url, kind="feed_unparseable") from e
    if root.tag != f"{ATOM}feed":
        raise ParseError(f"not an Atom feed (root {root.tag!r})", url=url, kind="feed_unparseable")
    return root


@dataclass
class AtomEntry:
    """An Atom entry's fields, before an adapter makes it a Post or a Comment (Blogger's JSON feed
    fills the same fields)."""

    id: str = ""
    published: str | None = None
    updated: str | None = None
    title: str = ""
    content: str | None = None
    summary: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    author_name: str | None = None
    author_uri: str | None = None
    categories: list[str] = field(default_factory=list)
    thr_total: str | None = None


def atom_entry(entry: ET.Element) -> AtomEntry:
    """An <entry> element → AtomEntry."""
    author = entry.find(f"{ATOM}author")
    return AtomEntry(
        id=entry.findtext(f"{ATOM}id", ""),
        published=entry.findtext(f"{ATOM}published"),
        updated=entry.findtext(f"{ATOM}updated"),
        title=entry.findtext(f"{ATOM}title", ""),
        content=entry.findtext(f"{ATOM}content"),
        summary=entry.findtext(f"{ATOM}summary"),
        links=[dict(link.attrib) for link in entry.findall(f"{ATOM}link")],
        author_name=author.findtext(f"{ATOM}name") if author is not None else None,
        author_uri=author.findtext(f"{ATOM}uri") if author is not None else None,
        categories=[c.get("term", "") for c in entry.findall(f"{ATOM}category") if c.get("term")],
        thr_total=entry.findtext(f"{THR}total"),
    )


def atom_link(entry: AtomEntry, rel: str, type_: str | None = None) -> str | None:
    """The href of the entry's first link with this rel (and type, when given)."""
    for link in entry.links:
        if link.get("rel") == rel and (type_ is None or link.get("type") == type_) and link.get("href"):
            return link["href"]
    return None
