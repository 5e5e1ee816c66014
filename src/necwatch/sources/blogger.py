"""Blogger adapter: GData feeds first, the classic HTML template as the other (and fallback) path.

Paths (config `via`):
  feed  Atom `/feeds/posts/default` (or `/feeds/posts/default/-/LABEL`), comments from
        `/feeds/POSTID/comments/default`.
  json  the same feeds with `?alt=json`.
  html  the home page and every classic monthly archive (`/YYYY_MM_01_archive.html`) in the sidebar;
        comments from the post page's classic comment block.
  auto  Atom; if the feed listing cannot be read completely (any fetch or parse failure), the feed's
        failures are recorded and the HTML path is read instead. `listing_complete` then says whether
        the HTML listing was complete: the archives list every post, so their absence is as good
        evidence as the feed's. `rss`/`rest` are not Blogger paths and are read as `feed`.

Comments: only for posts `ctx.wants_comments` accepts and whose listing does not say 0 (`thr:total`,
"0 comments"). `fetch_post` (a permalink) reads the post page; in html mode the page's own comment block
is returned (read anyway, no extra request); in feed/json modes the comment feed is read when wanted, so
a comment's time keeps feed precision (seconds) whichever way its post was reached.
Pages: feeds are read `max_pages` pages at most; the HTML path counts the home page and each archive.

Blogger traps handled here (see the reference web's README):
  * feed `rel=next`/`self` links point at www.blogger.com: never followed; `start-index` pages are
    built on the blog's own base (whatever host/port it is), openSearch counts and `next` only signal
    that there is more.
  * robots.txt disallows `/search` (label pages, "Older Posts" links): such URLs are never requested;
    with a label and via=html, posts are filtered by the labels printed in their footers.
  * classic pages: titles are not links; the permalink is the footer's `a[title="permanent link"]`;
    the date is in the preceding `h2.date-header` (one header per day), the time in the permalink text,
    both printed in the blog's time zone (config.timezone) to the minute.
  * comment HTML uses `<br /><br />` for paragraph breaks: those become blank lines in body_text, the
    same way from the feed and from the page.

Parsing is pure (`parse_*` functions: url + text in, values out); `BloggerSource` does the fetching.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborNode

from necwatch.errors import FetchError, ParseError
from necwatch.extract.chars import clean_json
from necwatch.extract.dates import localize, parse_iso, parse_local, parse_words
from necwatch.extract.feeds import ATOM, AtomEntry, atom_entry, atom_link, atom_root, is_feed_document
from necwatch.extract.metadata import Found
from necwatch.extract.page import MarkupRead, extract_post
from necwatch.extract.select import css_many, css_one, first_of, parse_html, text_of
from necwatch.extract.text import clean_name, collapse_ws, html_to_text, node_text, strip_bidi
from necwatch.models import Comment, Failure, Outcome, Post, PostObservation
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, Source, SourceContext, register
from necwatch.sources.blogger_incremental import BloggerPoll
from necwatch.sources.incremental import Unsupported, after_full_read, iso, legacy_due
from necwatch.sources.registry import (
    Detected,
    PageFacts,
    Platform,
    Probe,
    is_feed,
    origin_of,
    register_platform,
)

log = logging.getLogger(__name__)

_OS = "{http://a9.com/-/spec/opensearchrss/1.0/}"
_GD = "{http://schemas.google.com/g/2005}"

_POST_ID = re.compile(r"\.post-(\d+)$")
_ARCHIVE = re.compile(r"/(\d{4})_(\d{2})_\d{2}_archive\.html$")
_POSTED_BY = re.compile(r"posted by\s+(.*?)\s*@", re.IGNORECASE | re.DOTALL)
_COMMENT_COUNT = re.compile(r"(\d+)\s+comments?", re.IGNORECASE)
_SAID = re.compile(r"\s*said\.\.\.\s*$")
_PARAGRAPH_BREAK = re.compile(r"(?:<br\s*/?>\s*){2,}", re.IGNORECASE)


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


def is_disallowed(url: str) -> bool:
    """Blogger's robots.txt disallows /search for every agent (label pages, Older Posts)."""
    path = urlsplit(url).path
    return path == "/search" or path.startswith("/search/")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _date(value: str | None, url: str, what: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError as e:
        raise ParseError(f"bad {what} date {value!r}", url=url, kind="feed_unparseable") from e


def _comment_date(value: str | None, url: str) -> datetime | None:
    """A comment's date; an unreadable one leaves the date unknown, not the comment."""
    try:
        return _date(value, url, "comment")
    except ParseError as e:
        log.warning("%s", e)
        return None


def _post_from_raw(raw: AtomEntry, url: str, default_author: str | None, via: str) -> FeedEntry | None:
    m = _POST_ID.search(raw.id)
    href = atom_link(raw, "alternate", "text/html") or atom_link(raw, "alternate")
    if not m or not href:
        return None  # not a published post (no permalink): nothing to observe
    permalink = urljoin(url, href)
    post: Post | None = None
    if raw.content is not None:
        try:
            post = _entry_post(raw, url, permalink, m.group(1), default_author, via)
        except ParseError as e:  # one entry's bad value: that post is read from its page instead
            if e.kind == "too_complex":
                raise
            log.warning("feed entry %s unreadable (%s): reading its page", permalink, e)
    return FeedEntry(permalink, m.group(1), post, _int(raw.thr_total))


def _entry_post(
    raw: AtomEntry, url: str, permalink: str, post_id: str, default_author: str | None, via: str
) -> Post:
    content = raw.content or ""
    title, title_raw = clean_title(raw.title)
    return Post(
        url=permalink,
        title=title,
        title_raw=title_raw,
        body_html=content,
        body_text=html_to_text(content),
        platform_id=post_id,
        author=raw.author_name if raw.author_name and raw.author_name != "Unknown" else default_author,
        published_at=_date(raw.published, url, "published"),
        updated_at=_date(raw.updated, url, "updated"),
        labels=tuple(raw.categories),
        via=via,
    )


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


def parse_comments_atom(url: str, data: str | bytes) -> FeedPage:
    """A comment feed page (Atom) → FeedPage of Comment (feed precision: seconds, milliseconds)."""
    root = atom_root(url, data)
    return _atom_page(root, [_comment_from_raw(atom_entry(e), url) for e in root.findall(f"{ATOM}entry")])


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


# -- classic HTML template ------------------------------------------------------------------------


def _parse_post_div(
    div: LexborNode, date_header: str | None, url: str, tz: ZoneInfo, default_author: str | None
) -> tuple[Post, int | None]:
    """One `div.post` of a classic page → (Post, comment count shown in its footer or None)."""
    anchor = div.css_first("a[name]")
    platform_id = anchor.attributes.get("name") if anchor is not None else None
    title, title_raw = clean_title(css_one(div, "h3.post-title", url).text(deep=True))
    body = css_one(div, "div.post-body", url)
    link = css_one(div, 'a[title="permanent link"]', url)
    href = link.attributes.get("href")
    if not href:
        raise ParseError("permanent link has no href", url=url, selector='a[title="permanent link"]')
    if date_header is None:
        raise ParseError("post without a preceding date header", url=url, selector="h2.date-header")
    time_text = text_of(link)
    published = _classic_time(time_text, date_header, tz, url)
    footer = css_one(div, "p.post-footer", url)
    m = _POSTED_BY.search(footer.text(deep=True))
    author = collapse_ws(m.group(1)) if m and m.group(1).strip() else default_author
    count_link = footer.css_first("a.comment-link")
    count_match = _COMMENT_COUNT.search(count_link.text(deep=True)) if count_link is not None else None
    labels = tuple(text_of(a) for a in div.css("span.post-labels a") if text_of(a))
    post = Post(
        url=urljoin(url, href),
        title=title,
        title_raw=title_raw,
        body_html=body.inner_html or "",
        body_text=node_text(body),
        platform_id=platform_id if platform_id and platform_id.isdigit() else None,
        author=author,
        published_at=published,
        labels=labels,
        via="html",
        extraction=_CLASSIC,
    )
    return post, int(count_match.group(1)) if count_match else None


# What the classic template gives (no updated time on the page).
_CLASSIC = (("title", "blogger"), ("author", "blogger"), ("published", "blogger"), ("labels", "blogger"),
            ("body", "blogger"), ("comments", "blogger"))  # fmt: skip


def _classic_time(time_text: str, date_header: str, tz: ZoneInfo, url: str) -> datetime:
    """Permalink time + date header, in English by the fast regexes, else in any language
    ("Dienstag, 28. April 2020" + "21:11"). ParseError when unreadable or without a time."""
    try:
        return parse_local(f"{time_text}, {date_header}", tz)
    except ValueError:
        pass
    try:
        value = parse_words(f"{date_header} {time_text}", tz)
    except ValueError:
        value = None
    if not isinstance(value, datetime):
        raise ParseError(f"unreadable post time {time_text!r} / {date_header!r}", url=url)
    return value


def _posts_in_main(
    tree: Any, url: str, tz: ZoneInfo, default_author: str | None, *, min_items: int
) -> list[tuple[Post, int | None]]:
    main = css_one(tree, "#main", url)
    css_many(main, "div.post", url, min_items=min_items)
    out = []
    date_header: str | None = None
    for node in main.css("h2.date-header, div.post"):
        if node.tag == "h2":
            date_header = text_of(node)
        else:
            out.append(_parse_post_div(node, date_header, url, tz, default_author))
    return out


def parse_listing_page(
    url: str, data: str | bytes, tz: ZoneInfo | str = "Europe/London", *, default_author: str | None = None
) -> HtmlListingPage:
    """Home or monthly archive page → its posts (in full), archive links and an older-posts link.

    Links resolve against `url`; /search links (robots.txt) are dropped. An empty archive or home page
    is not an error (min 0 posts) but a page without `#main` is.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    tree = parse_html(data, url)
    posts = [
        ListedPost(
            url=post.url,
            post=post,
            comments_url=post.url,
            comment_count=count,
            platform_id=post.platform_id,
        )
        for post, count in _posts_in_main(tree, url, zone, default_author, min_items=0)
    ]
    archives: dict[str, tuple[int, int]] = {}
    for node in tree.css("a[href], option[value]"):
        href = node.attributes.get("href") or node.attributes.get("value") or ""
        absolute = urljoin(url, href)
        m = _ARCHIVE.search(urlsplit(absolute).path)
        if m and not is_disallowed(absolute):
            archives[absolute.split("#")[0]] = (int(m.group(1)), int(m.group(2)))
    older = tree.css_first("a#blog-pager-older-link, a.blog-pager-older-link")
    older_url = urljoin(url, older.attributes.get("href") or "") if older is not None else None
    if older_url is not None and (is_disallowed(older_url) or older_url == url):
        older_url = None
    newest_first = sorted(archives, key=lambda u: archives[u], reverse=True)
    return HtmlListingPage(posts=posts, archive_urls=newest_first, older_url=older_url)


def parse_comments_html(url: str, data: str | bytes | Any, tz: ZoneInfo | str) -> tuple[Comment, ...] | None:
    """The classic comment block (`dl#comments-block`) → comments at minute precision.

    Two generations: the classic template's `dt.comment-poster` + `dd.comment-body` +
    `dd.comment-timestamp`, and the layouts era's `dt.comment-author` + `dd.comment-body` +
    `dd.comment-footer` (its time in `.comment-timestamp a`, printed in the blog's language).
    None when the page has no comment block at all (comments off, or not a post page): unknown, not
    "no comments".
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    tree = parse_html(data, url) if isinstance(data, str | bytes) else data
    block = tree.css_first("#comments")
    if block is None:
        return None
    if block.css_first("dt.comment-poster") is None and block.css_first("dt.comment-author[id]") is not None:
        return tuple(_layout_comments(block, url, zone))
    comments = []
    for dt in block.css("dt.comment-poster"):
        cid = (dt.attributes.get("id") or "").removeprefix("c")
        if not cid.isdigit():
            raise ParseError("comment without a numeric id", url=url, selector="dt.comment-poster[id]")
        body = dt.next
        while body is not None and body.tag != "dd":
            body = body.next
        if body is None or "comment-body" not in (body.attributes.get("class") or ""):
            raise ParseError(f"comment {cid} has no body", url=url, selector="dd.comment-body")
        stamp = body.next
        while stamp is not None and stamp.tag != "dd":
            stamp = stamp.next
        if stamp is None or "comment-timestamp" not in (stamp.attributes.get("class") or ""):
            raise ParseError(f"comment {cid} has no timestamp", url=url, selector="dd.comment-timestamp")
        stamp_link = stamp.css_first("a[href]")
        stamp_text = text_of(stamp_link) if stamp_link is not None else text_of(stamp)
        try:
            published = parse_local(stamp_text, zone)
        except ValueError as e:
            raise ParseError(f"unreadable comment time {stamp_text!r}", url=url) from e
        profile = next((a for a in dt.css("a[href]") if not a.attributes.get("name")), None)
        anon = dt.css_first("span.anon-comment-author")
        if anon is not None:
            author = text_of(anon) or "Anonymous"
        elif profile is not None:
            author = text_of(profile)
        else:
            author = _SAID.sub("", text_of(dt)) or "Anonymous"
        html = (body.inner_html or "").strip()
        comments.append(
            Comment(
                platform_id=cid,
                author=author,
                author_url=profile.attributes.get("href") if profile is not None else None,
                published_at=published,
                body_text=comment_text(html, body),
                body_html=html,
                url=urljoin(url, stamp_link.attributes.get("href") or "") if stamp_link is not None else None,
            )
        )
    return tuple(comments)


# "NAME said..." in the languages Blogger prints it (after text_of, whitespace is single spaces)
_SAID_ANY = re.compile(
    r" (?:said|hat gesagt|a dit|ha dicho|ha detto|disse|zei|sagde|skrev) ?(?:\.\.\.|…|:)?$", re.IGNORECASE
)
_SHOW_COMMENT = re.compile(r"[?&]showComment=(\d{12,14})(?:[&#]|$)")


def _layout_comments(block: LexborNode, url: str, tz: ZoneInfo) -> list[Comment]:
    """The layouts-era classic list: `dt.comment-author#cID`, its `dd.comment-body`, then its
    `dd.comment-footer`. A comment without a body is a template change (ParseError)."""
    comments = []
    for dt in block.css("dt.comment-author[id]"):
        cid = (dt.attributes.get("id") or "").removeprefix("c")
        if not cid.isdigit():
            continue
        body = dt.next
        while body is not None and body.tag != "dd":
            body = body.next
        if body is None or "comment-body" not in (body.attributes.get("class") or ""):
            raise ParseError(f"comment {cid} has no body", url=url, selector="dd.comment-body")
        footer = body.next
        while footer is not None and footer.tag not in ("dd", "dt"):
            footer = footer.next
        stamp = None
        if footer is not None and footer.tag == "dd":
            stamp = footer.css_first(".comment-timestamp a[href]") or footer.css_first("a[href]")
        href = (stamp.attributes.get("href") or "") if stamp is not None else ""
        profile = next((a for a in dt.css("a[href]") if not a.attributes.get("name") and text_of(a)), None)
        anon = dt.css_first("span.anon-comment-author")
        if anon is not None:
            author = text_of(anon)
        elif profile is not None:
            author = text_of(profile)
        else:
            author = _SAID_ANY.sub("", text_of(dt))
        html = (body.inner_html or "").strip()
        comments.append(
            Comment(
                platform_id=cid,
                author=clean_name(author) or "Anonymous",
                author_url=profile.attributes.get("href") if profile is not None else None,
                published_at=_stamped(text_of(stamp) if stamp is not None else "", href, tz),
                body_text=comment_text(html, body),
                body_html=html,
                url=urljoin(url, href) if href else None,
            )
        )
    return comments


def _stamped(text: str, href: str, tz: ZoneInfo) -> datetime | None:
    """A comment's time: the printed one when it names the day (any language), else the exact
    instant of its permalink's `showComment=<epoch ms>`, shown in `tz`; else unknown. A printed time
    without a day ("21:00") is never read as today."""
    if re.search(r"\d{4}", text):
        found = _comment_time(text, tz)
        if found is not None:
            return found
    m = _SHOW_COMMENT.search(href)
    if m is None:
        return None
    try:
        return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC).astimezone(tz)
    except (OverflowError, OSError, ValueError):
        return None


def parse_post_page(
    url: str, data: str | bytes, tz: ZoneInfo | str = "Europe/London", *, default_author: str | None = None
) -> tuple[Post, tuple[Comment, ...] | None]:
    """A post's own page → (Post, its comments or None when the page has no comment block).

    The classic template (`#main div.post`, date header + permalink time) is read as before; any
    other template family goes through the layered extractor (extract.page) with this module's
    markup reader first. A field no layer finds fails the post (ParseError naming stage and field).
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    tree = parse_html(text, url)
    try:
        post = _posts_in_main(tree, url, zone, default_author, min_items=1)[0][0]
    except ParseError:
        extracted = extract_post(text, url, "blogger", tz=zone, tree=tree)
        post = extracted.to_post(tz=zone, default_author=default_author, need_published=False)
        return replace(post, author=_blogger_author(post.author, default_author)), extracted.comments
    return post, parse_comments_html(url, tree, zone)


def _blogger_author(author: str | None, default_author: str | None) -> str | None:
    return author if author else default_author


# -- every other Blogger template (Layout-era, Contempo, Soho, Emporio, Notable, Essential, custom) --

_BODY = "div.post-body, .post-body, .entry-content.post-body, [id^='post-body-']"
_TITLE = "h3.post-title, h2.post-title, h1.post-title, .post-title, .entry-title, [itemprop='headline']"
_STAMP = (
    "abbr.published[title], time.published[datetime], .published[datetime], a.timestamp-link abbr[title], "
    ".post-timestamp time[datetime], [itemprop='datePublished'], time[datetime]"
)
_AUTHOR = (
    ".post-author .fn, .post-author-name, .byline.post-author .fn, .post-author .g-profile, "
    ".post-author a, .post-author, span.fn, .author .fn"
)
_LABELS = (
    ".post-labels a, .post-footer a[rel~='tag'], .labels a[rel~='tag'], .post-labels-list a, a[rel~='tag']"
)
_POSTED_BY_ANY = re.compile(r"(?:posted by|publié par|veröffentlicht von|publicado por|pubblicato da)\s+"
                            r"(.+?)\s+(?:at|um|à|a las|alle|@|on)\b", re.IGNORECASE)  # fmt: skip


def _scope_of(body: LexborNode) -> LexborNode:
    """The post's container: the nearest ancestor that is an article or has the class post/hentry."""
    node = body.parent
    while node is not None and node.tag not in ("body", "html"):
        classes = (node.attributes.get("class") or "").split()
        if node.tag == "article" or {"post", "hentry", "post-outer", "blog-post"} & set(classes):
            return node
        node = node.parent
    return body.parent or body


def _blogger_stamp(scope: LexborNode, tree: Any) -> Found | None:
    """The post time: a machine-readable stamp, else the date header (any language) + printed time."""
    node = first_of(scope, _STAMP) or first_of(tree, _STAMP)
    if node is not None:
        value = (
            node.attributes.get("title") or node.attributes.get("datetime") or node.attributes.get("content")
        )
        if value and value[:4].isdigit():
            return Found(value, "blogger")
    header = tree.css_first("h2.date-header, .date-header, .date-outer h2")
    stamp = first_of(scope, "a.timestamp-link, .post-timestamp a, .timestamp-link, .post-timestamp")
    words = " ".join(t for t in (text_of(header) if header else "", text_of(stamp) if stamp else "") if t)
    return Found(words, "blogger") if words else None


def _blogger_author_found(scope: LexborNode) -> Found | None:
    node = first_of(scope, _AUTHOR)
    if node is not None and (name := clean_name(node.text(deep=True))):
        return Found(name, "blogger")
    footer = scope.css_first(".post-footer, .post-header, .post-meta, .byline")
    m = _POSTED_BY_ANY.search(footer.text(deep=True)) if footer is not None else None
    return Found(clean_name(m.group(1)), "blogger") if m and clean_name(m.group(1)) else None


def read_blogger_markup(tree: Any, url: str, tz: ZoneInfo) -> MarkupRead:
    """Blogger's own markup on any template family: every template keeps Blogger's class names for
    the body (`post-body`), title (`post-title`), time (`abbr.published`, `time.published`,
    `timestamp-link`), author (`post-author`, `fn`) and labels (`post-labels`), around them the
    containers differ (`#main` or not, `div.post` or `article`, `p` or `div.post-footer`)."""
    read = MarkupRead(tried={"body": _BODY, "title": _TITLE, "published": _STAMP})
    body = first_of(tree, _BODY)
    scope = _scope_of(body) if body is not None else (tree.css_first("article, .post, .hentry") or tree.body)
    if scope is None:
        return read
    template = body.css_first("script[type='text/template']") if body is not None else None
    if template is not None:  # custom templates that render the body client-side (googleblog.com)
        html = template.text(deep=True) or ""
        read.fields["body"] = Found((html.strip(), html_to_text(html)), "blogger")
    elif body is not None:
        read.fields["body"] = Found(body, "blogger")
    title = first_of(scope, _TITLE) or first_of(tree, _TITLE)
    if title is not None and (raw := title.text(deep=True, separator="").strip()):
        read.fields["title"] = Found(raw, "blogger")
    if (stamp := _blogger_stamp(scope, tree)) is not None:
        read.fields["published"] = stamp
    if (author := _blogger_author_found(scope)) is not None:
        read.fields["author"] = author
    labels = tuple(dict.fromkeys(t for a in scope.css(_LABELS) if (t := text_of(a))))
    if labels:
        read.fields["labels"] = Found(labels, "blogger")
    read.platform_id = _blogger_post_id(scope, tree)
    read.comments = _blogger_comments(tree, url, tz)
    return read


def _blogger_post_id(scope: LexborNode, tree: Any) -> str | None:
    meta = tree.css_first("meta[itemprop='postId'][content]")
    if meta is not None and (meta.attributes.get("content") or "").isdigit():
        return meta.attributes.get("content")
    for node in (scope.css_first("a[name]"), scope.css_first("[id^='post-body-']")):
        value = (node.attributes.get("name") or node.attributes.get("id") or "") if node is not None else ""
        value = value.removeprefix("post-body-")
        if value.isdigit():
            return value
    return None


def _blogger_comments(tree: Any, url: str, tz: ZoneInfo) -> tuple[Comment, ...] | None:
    """Classic `dl#comments-block`, else the threaded list of later templates (`li.comment#cID`,
    replies nested in `.comment-replies`), completed by the thread's `var items = [...]` data (the
    comments the page's script renders, replies included). None when the page has no comment area,
    or when it says it has comments but shows none a reader could see without its script (Dynamic
    Views and script-rendered threads): unknown, never "none"."""
    if tree.css_first("#comments-block, dt.comment-poster") is not None:
        return parse_comments_html(url, tree, tz)
    block = tree.css_first("#comments") or tree.css_first(".comments")
    if block is None:
        return None
    comments: dict[str, Comment] = {}
    for li in block.css("li.comment[id], div.comment[id]"):
        cid = (li.attributes.get("id") or "").removeprefix("c")
        content = li.css_first(".comment-content")
        if not cid.isdigit() or content is None or cid in comments:
            continue  # a placeholder or a deleted comment: nothing a reader sees
        user = li.css_first(".comment-header .user, .user, cite.user")
        link = user.css_first("a[href]") if user is not None else None
        stamp = li.css_first(".datetime a[href]") or li.css_first(".datetime")
        href = (stamp.attributes.get("href") or "") if stamp is not None and stamp.tag == "a" else ""
        html = (content.inner_html or "").strip()
        parent = li.parent
        while parent is not None and not (
            parent.tag == "li" and "comment" in (parent.attributes.get("class") or "")
        ):
            parent = parent.parent
        comments[cid] = Comment(
            platform_id=cid,
            author=clean_name(text_of(user) if user is not None else "") or "Anonymous",
            author_url=link.attributes.get("href") if link is not None else None,
            published_at=_stamped(text_of(stamp) if stamp is not None else "", href, tz),
            body_text=comment_text(html, content),
            body_html=html,
            parent_id=(parent.attributes.get("id") or "").removeprefix("c") or None if parent else None,
            url=urljoin(url, href) if href else None,
        )
    for item in _thread_items(block, url, tz):
        comments.setdefault(item.platform_id, item)
    if not comments and _stated_count(block) > 0:
        return None
    return tuple(comments.values())


_ITEMS = "var items = "


def _thread_items(block: LexborNode, url: str, tz: ZoneInfo) -> list[Comment]:
    """The threaded widget's data, `var items = [{"id", "body", "timestamp", "author", "parentId",
    "permalink"}, …]` in the comment block's script: one JSON value read where it starts."""
    out: list[Comment] = []
    for script in block.css("script"):
        code = script.text(deep=True) or ""
        at = code.find(_ITEMS)
        if at < 0 or not code[at + len(_ITEMS) :].lstrip().startswith("["):
            continue
        start = code.index("[", at)
        try:
            items, _ = json.JSONDecoder().raw_decode(code, start)
        except ValueError:
            continue
        for item in items if isinstance(items, list) else []:
            comment = _thread_item(item, url, tz)
            if comment is not None:
                out.append(comment)
    return out


def _thread_item(item: Any, url: str, tz: ZoneInfo) -> Comment | None:
    if not isinstance(item, dict) or not str(item.get("id") or "").isdigit():
        return None
    html = str(item.get("body") or "").strip()
    if not html or "deleted-comment" in html:
        return None
    author: dict[str, Any] = item["author"] if isinstance(item.get("author"), dict) else {}
    stamp = str(item.get("timestamp") or "")
    published = None
    if stamp.isdigit():
        try:
            published = datetime.fromtimestamp(int(stamp) / 1000, UTC).astimezone(tz)
        except (OverflowError, OSError, ValueError):
            published = None
    parent = str(item.get("parentId") or "")
    permalink = str(item.get("permalink") or "")
    return Comment(
        platform_id=str(item["id"]),
        author=clean_name(str(author.get("name") or "")) or "Anonymous",
        author_url=str(author.get("profileUrl") or "") or None,
        published_at=published,
        body_text=comment_text(html),
        body_html=html,
        parent_id=parent if parent.isdigit() else None,
        url=urljoin(url, permalink) if permalink else None,
    )


def _stated_count(block: LexborNode) -> int:
    """The number of comments the comment area's heading states ("71 comments:", "2 Kommentare:")."""
    heading = block.css_first("h4, h3, h2, .comments-title, .comment-count")
    m = re.search(r"\d+", text_of(heading)) if heading is not None else None
    return int(m.group(0)) if m else 0


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
        cursor, now = self.ctx.cursor, self.ctx.now or datetime.now(UTC)
        # another adapter's cursor (`auto` found a different platform) is not this one's: full read
        if not self.config.incremental or cursor.get("mode") not in ("incremental", "legacy"):
            return None
        if cursor.get("mode") == "legacy" and not legacy_due(cursor, now, self.config.sweep_period):
            return None
        try:
            return await BloggerPoll(self).run()
        except Unsupported:
            self.next_cursor = {**cursor, "mode": "legacy", "probed_at": iso(now)}
            return None

    def parse_posts_feed(self, url: str, text: str) -> list[FeedEntry]:
        return parse_feed_atom(url, text, default_author=self.config.author).entries

    def parse_comment_entry(self, element: ET.Element, url: str) -> Comment:
        return _comment_from_raw(atom_entry(element), url)

    def _legacy_cursor(self, listing: Listing, cut: bool) -> None:
        """After a full feed read: where an incremental poll starts, and where a cut backfill goes on."""
        stored = self.next_cursor or self.ctx.cursor
        cursor = dict(stored) if stored.get("mode") in ("incremental", "legacy") else {}
        cursor.setdefault("mode", "incremental")
        posts = [lp.post for lp in listing.posts if lp.post is not None]
        now = self.ctx.now or datetime.now(UTC)
        warning = after_full_read(cursor, posts, now=now, cut=cut)
        if warning:
            self.warnings.append(warning)
        self.next_cursor = cursor

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
            if self.config.incremental and (
                len(listing.posts) >= self.config.backfill_batch or self.ctx.backfill_out_of_time()
            ):
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


# -- the platform ---------------------------------------------------------------------------------

_LABEL_PATH = re.compile(r"^/search/label/([^/?#]+)")


def url_options(url: str) -> dict[str, str]:
    """A label listing URL reads that label: `/search/label/NEC` → {"label": "NEC"}."""
    m = _LABEL_PATH.match(urlsplit(url).path)
    return {"label": m.group(1)} if m else {}


def detect(facts: PageFacts) -> Detected | None:
    """A Blogger generator meta, a `/feeds/posts/default` feed link, or a `*.blogspot.com` host."""
    if is_feed(facts):
        return None
    evidence = [
        *(["generator meta: Blogger"] if facts.generator.lower().startswith("blogger") else []),
        *([f"feed link {f}" for f in facts.feeds if "/feeds/posts/default" in f][:1]),
        *(["a blogspot.com host"] if facts.host.endswith(".blogspot.com") else []),
    ]
    if not evidence:
        return None
    return Detected(origin_of(facts.url), tuple(evidence), url_options(facts.url))


def marks(facts: PageFacts) -> bool:
    """Blogger's static assets or feed URLs in the page, or a blogger.com host."""
    return (
        "www.blogger.com/static" in facts.text
        or "blogger.com/feeds/" in facts.text
        or facts.host.endswith(".blogger.com")
    )


def _read_single(url: str, text: str, tz: ZoneInfo) -> tuple[Post, tuple[Comment, ...] | None]:
    return parse_post_page(url, text, tz)


def _read_listing(url: str, text: str, tz: ZoneInfo) -> list[Post] | None:
    """A home or archive page of full posts (more than one post body), else None."""
    if len(parse_html(text, url).css(".post-body")) <= 1:
        return None
    return [lp.post for lp in parse_listing_page(url, text, tz).posts if lp.post is not None]


PLATFORM = register_platform(
    Platform(
        name="blogger",
        summary="Blogger / Blogspot blogs: Atom or JSON feeds, the classic HTML template as fallback",
        source=BloggerSource,
        detect=detect,
        probes=(
            Probe(
                "feeds/posts/default",
                lambda r: is_feed_document(r.content_type, r.text),
                "{url} is an Atom feed",
            ),
        ),
        read_page=read_blogger_markup,
        post_url=re.compile(r"^/\d{4}/\d{2}/[^/]+\.html$"),
        feed_paths=("feeds/posts/default",),
        methods=("blogger",),
        order=10,
        url_options=url_options,
        marks=marks,
        comments="Blogger comment feeds (/feeds/POSTID/comments/default), for NEC reports only",
        read_single=_read_single,
        read_listing=_read_listing,
    )
)
