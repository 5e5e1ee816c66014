"""WordPress comments printed on a post's page(s): the comment list, its threads, its other comment pages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol
from urllib.parse import urldefrag, urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import localize, parse_words
from necwatch.extract.select import parse_html, text_of
from necwatch.extract.text import collapse_ws, html_to_text, strip_bidi
from necwatch.models import Comment, Response
from necwatch.sources.wordpress.api import _int
from necwatch.sources.wordpress.common import (
    _COMMENT_ID,
    _COMMENT_LIST,
    _COMMENT_PAGE,
    MAX_COMMENT_PAGES,
    _iso,
    _text,
)


def page_comments(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> tuple[Comment, ...] | None:
    """The comments printed on a post page: its comment list; () when the page has a comment area
    but no comment; None when it has neither (comments not shown), or when its comment heading
    states comments ("3 thoughts on …") but none is in the page (a plugin renders them by script):
    unknown, never "none"."""
    comments = parse_html_comments(url, tree, tz)
    if comments or any(_is_comment_item(n) for n in tree.css(_COMMENT_CANDIDATES)):
        return tuple(comments)  # () when every item is a pingback
    if tree.css_first(f"{_COMMENT_LIST}, #comments, #respond") is None or _stated_count(tree) > 0:
        return None
    return ()


def parse_html_comments(
    url: str, data: bytes | str | LexborHTMLParser, tz: ZoneInfo | str = "Europe/London"
) -> list[Comment]:
    """The comment list of a single page → comments in page order, replies with `parent_id`.

    A comment is the element WordPress's `comment_class()` marks (`comment` or `pingback` with
    `depth-N`), whatever its tag (`li`, `div` for `style => div`, `article`) and whatever list holds
    it (`ol.commentlist`, `div.commentList`, `ol#commentlist`, more than one list); or, in themes
    that print no classes, a `li#comment-ID`/`li#li-comment-ID`/`.comment#comment-ID`. Its id is
    its own or, with a custom callback, the first `#comment-ID`/`#div-comment-ID` inside it; the
    parent is the nearest comment around it (replies nest in `ol/ul/div.children`). A page without
    a comment list has no comments (`[]`); a comment without text is a ParseError (the template
    changed).
    """
    tree = parse_html(_text(data), url) if isinstance(data, bytes | str) else data
    comments = []
    seen: set[str] = set()
    visited: set[int] = set()
    for item in tree.css(_COMMENT_CANDIDATES):
        if item.mem_id in visited or not _is_comment_item(item):
            continue  # a selector group yields a node once per selector it matches
        visited.add(item.mem_id)
        cid = _item_id(item)
        if cid is None or cid in seen:
            continue  # not a comment, or the comment's own box inside its `li`
        seen.add(cid)
        body = _own_box(item, cid)
        author_node = _own_first(body, _COMMENT_AUTHOR, named=True)
        author = _author_name(author_node) if author_node is not None else ""
        if _is_pingback(item, author):
            continue  # a link notice from another site, not a reader's comment
        body_html = _comment_body_html(_text_box(item, body), url)
        author_link = author_node.css_first("a[href]") if author_node is not None else None
        if author_link is None and author_node is not None and author_node.tag == "a":
            author_link = author_node
        comments.append(
            Comment(
                platform_id=cid,
                author=author or "Anonymous",
                body_text=html_to_text(body_html),
                body_html=body_html,
                published_at=_comment_published(body, url, tz),
                parent_id=_parent_comment_id(item),
                author_url=(author_link.attributes.get("href") or None) if author_link is not None else None,
                url=f"{urldefrag(url)[0]}#comment-{cid}",
            )
        )
    return comments


# `comment_class()` output, and (themes printing no classes) the ids WordPress's walker gives
_COMMENT_CANDIDATES = "[class*='depth-'], li[id], .comment[id], .wc-comment[id]"
_WPDISCUZ_ID = re.compile(r"^wc-comm-\d{1,20}_\d{1,20}$")
_COMMENT_TYPES = frozenset({"comment", "pingback", "trackback"})
_DEPTH = re.compile(r"^depth-\d{1,3}$")
_COMMENT_AUTHOR = (
    ".fn, .comment-author-name, .comment__author-name, .comment-author .name, .wc-comment-author, "
    ".wpd-comment-author, "
    "cite.comment-author, .comment-author, .comment_author, cite, .author"
)
_DAY_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_STATED = re.compile(r"^\s*(\d{1,6})\b")


def _own_first(box: LexborNode, selectors: str, *, named: bool = False) -> LexborNode | None:
    """The first match of the first selector that matches in this comment's own box, not in a reply
    nested in it (`first_of` over the comment, replies excluded); `named`: one with text (an author
    box holding only the avatar is passed over)."""
    for selector in selectors.split(", "):
        for node in box.css(selector):
            if _belongs(node, box) and (not named or text_of(node)):
                return node
    return None


def _belongs(node: LexborNode, box: LexborNode) -> bool:
    """`node` is in `box` and in no comment nested in it."""
    holder = node if not _same(node, box) else None
    while holder is not None and not _same(holder, box):
        if _is_comment_item(holder):
            return False
        holder = holder.parent
    return True


def _author_name(node: LexborNode) -> str:
    """The author box's text; when it also holds the comment's time (`time`, a `#comment-ID` link),
    only its own text, the name."""
    if node.css_first("time, a[href*='#comment-']") is not None:
        own = collapse_ws(node.text(deep=False) or "")
        if own:
            return strip_bidi(own)
    return strip_bidi(text_of(node))


def _is_comment_item(node: LexborNode) -> bool:
    """Marked by `comment_class()` (`comment`/`pingback`/`trackback` + `depth-N`; not a `dd` that
    repeats its `dt`'s classes), or a `li`/`.comment` with a WordPress comment id, or the wpDiscuz
    plugin's own item before version 7 (`div.wc-comment#wc-comm-ID_PARENT`)."""
    classes = (node.attributes.get("class") or "").split()
    if (
        node.tag not in ("dd", "body")
        and _COMMENT_TYPES & set(classes)
        and any(_DEPTH.match(c) for c in classes)
    ):
        return True
    if _COMMENT_ID.match(node.attributes.get("id") or ""):
        return node.tag == "li" or "comment" in classes
    return "wc-comment" in classes and _WPDISCUZ_ID.match(node.attributes.get("id") or "") is not None


def _item_id(item: LexborNode) -> str | None:
    """The comment's id: the item's own, else (a custom callback) the first comment id inside it that
    belongs to no comment nested in it."""
    m = _COMMENT_ID.match(item.attributes.get("id") or "")
    if m:
        return m.group(1)
    for node in item.css("[id^='comment-'], [id^='div-comment-'], [id^='li-comment-']"):
        m = _COMMENT_ID.match(node.attributes.get("id") or "")
        if m is None:
            continue
        holder = node.parent
        while holder is not None and not _same(holder, item) and not _is_comment_item(holder):
            holder = holder.parent
        return m.group(1) if holder is None or _same(holder, item) else None
    return None


def _same(a: LexborNode, b: LexborNode) -> bool:
    return a.mem_id == b.mem_id


def _own_box(item: LexborNode, cid: str) -> LexborNode:
    """The comment's own box (`#div-comment-ID`, `article/div#comment-ID`), else the item itself."""
    for selector in (f"#div-comment-{cid}", f"#comment-{cid}"):
        box = next((n for n in item.css(selector) if not _same(n, item)), None)
        if box is not None:
            return box
    return item


def _text_box(item: LexborNode, box: LexborNode) -> LexborNode:
    """Where the comment's text is: its box, or in a definition list (`dl` of `dt.comment` +
    `dd.comment`) the `dd` after its `dt`."""
    if item.tag != "dt":
        return box
    node = item.next
    while node is not None and node.tag not in ("dd", "dt"):
        node = node.next
    return node if node is not None and node.tag == "dd" else box


def _stated_count(tree: LexborHTMLParser) -> int:
    """The number of comments the comment heading states at its start ("3 thoughts on …",
    "12 Kommentare"); 0 when it states none or no number ("One thought", "Leave a reply")."""
    heading = tree.css_first(
        ".comments-title, #comments-title, #comments h2, #comments h3, h2#comments, h3#comments"
    )
    m = _STATED.match(text_of(heading)) if heading is not None else None
    return int(m.group(1)) if m else 0


_PINGBACK = re.compile(r"^(?:pingback|trackback)\b", re.IGNORECASE)


def _is_pingback(li: LexborNode, author: str) -> bool:
    """`li.pingback`/`li.trackback`, or older themes' unmarked "Pingback von …" / "Trackback: …"."""
    classes = set((li.attributes.get("class") or "").split())
    return bool({"pingback", "trackback"} & classes) or bool(_PINGBACK.match(author))


def _comment_body_html(body: LexborNode, url: str) -> str:
    """`.comment-content`, else older themes' body classes, else (Kubrick) the comment's own
    paragraphs. ParseError when none: a comment without text means the template changed."""
    content = _own_first(body, f".comment-content, {_OLD_COMMENT_BODY}")
    if content is not None and content.css_first(_COMMENT_CHROME) is None:
        return (content.inner_html or "").strip()
    # Kubrick's `li`, or WordPress's html4 walker (`div.comment-body` holding the author and meta
    # boxes, then the text): the comment's own paragraphs, quotes and lists
    box, tags = (body, ("p",)) if content is None else (content, _COMMENT_TEXT_TAGS)
    paragraphs = [p.html or "" for p in box.iter() if p.tag in tags]
    if not paragraphs:  # inside a theme's own wrappers (`div.content`, `section`, `div.extra-wrap`)
        deep = box.css(", ".join(tags))
        paragraphs = [p.html or "" for p in deep if _own_paragraph(p, box)]
    if not paragraphs:
        raise ParseError("comment without text", url=url, selector=".comment-content")
    return "\n".join(paragraphs).strip()


def _own_paragraph(p: LexborNode, box: LexborNode) -> bool:
    """A paragraph of this comment's text: not inside a reply, the author/meta boxes, a header or
    footer, or another paragraph or quote (those come with their container)."""
    node = p.parent
    while node is not None and not _same(node, box):
        classes = set((node.attributes.get("class") or "").split())
        if node.tag in ("header", "footer", *_COMMENT_TEXT_TAGS) or classes & _CHROME_CLASSES:
            return False
        if _is_comment_item(node):
            return False
        node = node.parent
    return node is not None


def _comment_published(body: LexborNode, url: str, tz: ZoneInfo | str) -> datetime | None:
    """`time[datetime]`, else the printed date (`.comment-meta a`, the `time`'s own text), any
    language, read in `tz`. A `datetime` that is a day only ("2020-07-29") takes its time from the
    printed text ("29.07.2020 // 12:56") when that names the same day, else is that day; one that is
    no date ("2019-11-5") leaves the printed text to answer. Unreadable: the date is unknown, not
    the comment."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    time_node = _own_first(body, "time[datetime]")
    stamp = (time_node.attributes.get("datetime") or "").strip() if time_node is not None else ""
    if stamp and not _DAY_ONLY.match(stamp):
        try:
            return _iso(url, stamp, "comment time")
        except ParseError:
            stamp = ""
    printed = _own_first(
        body, ".comment-meta a, .commentmetadata a, .comment-date, .comment-time, .comment_time"
    )
    value = _printed(time_node if time_node is not None and stamp else printed or time_node, zone)
    if not stamp:
        if value is None or isinstance(value, datetime):
            return value
        return _midnight(value, zone)
    try:
        day = date.fromisoformat(stamp)
    except ValueError:
        return value if isinstance(value, datetime) else None
    return value if isinstance(value, datetime) and value.date() == day else _midnight(day, zone)


def _printed(node: LexborNode | None, zone: ZoneInfo) -> datetime | date | None:
    if node is None or not text_of(node):
        return None
    try:
        return parse_words(text_of(node), zone)
    except ValueError:
        return None


def _midnight(day: date, zone: ZoneInfo) -> datetime | None:
    try:
        return localize(datetime(day.year, day.month, day.day), zone)
    except ValueError:
        return None


_CHROME_CLASSES = frozenset({"comment-author", "comment-meta", "commentmetadata", "reply", "comment-reply"})
_COMMENT_TEXT_TAGS = ("p", "blockquote", "ul", "ol", "pre")
_COMMENT_CHROME = ".comment-author, .comment-meta, .commentmetadata"  # a box holding these is not the text
_OLD_COMMENT_BODY = (
    ".wc-comment-text, .wpd-comment-text, .comment__content, .comment_content, .comment-text, "
    ".contenttext, .commentbody, .comment-entry, .comment-body, .e-content, .entry-content"
)


def comment_page_urls(url: str, data: bytes | str | LexborHTMLParser) -> list[str]:
    """Other pages of a post's comments (WordPress `…/comment-page-N/`), in page order; [] when one page.

    Any link or `<link>` of the page counts (`.navigation`, `.comment-navigation`, `.nav-links`,
    `.comments-pagination`, `rel=prev/next`: themes print them in different places), but only to a
    comment page of the same post on the same host: `url` may itself be a comment page.
    """
    tree = parse_html(_text(data), url) if isinstance(data, bytes | str) else data
    here = urldefrag(url)[0]
    base = post_of_comment_page(here)
    origin = urlsplit(base)[:2]
    urls: list[str] = []
    for node in tree.css("a[href], link[href]"):
        target = urldefrag(urljoin(url, node.attributes.get("href") or ""))[0]
        if target == here or target in urls or not _COMMENT_PAGE.search(target):
            continue
        if urlsplit(target)[:2] == origin and post_of_comment_page(target) == base:
            urls.append(target)
    return sorted(urls, key=lambda u: int(_COMMENT_PAGE.search(u).group(1)))  # type: ignore[union-attr]


def post_of_comment_page(url: str) -> str:
    """The post's own URL for one of its comment pages: `…/post/comment-page-3/` → `…/post/`."""
    return _COMMENT_PAGE.sub("/", urldefrag(url)[0])


class CommentFetcher(Protocol):
    async def get(self, url: str) -> Response: ...


async def follow_comment_pages(
    fetcher: CommentFetcher,
    url: str,
    page: str | LexborHTMLParser,
    comments: Sequence[Comment],
    parse_page: Callable[[str, str], Sequence[Comment]],
) -> tuple[Comment, ...]:
    """`comments` (those of the post page at `url`) plus every other comment page of the post, when
    WordPress splits them ("break comments into pages": the post shows the newest page, the older
    ones move to `comment-page-N/` as comments arrive). Pages are followed from page to page (a theme
    may link only its neighbours), at most MAX_COMMENT_PAGES in all, and merged by comment id.

    The list is whole or unknown: a comment page that fails, that `parse_page` rejects (it raises
    ParseError for a page without a comment list), or a page beyond the bound raises, so no comment
    is ever inferred removed from a partial list."""
    seen = {urldefrag(url)[0]}
    wave = comment_page_urls(url, page)
    if not wave:
        return tuple(comments)
    merged = list(comments)
    while wave:
        if len(seen) + len(wave) > MAX_COMMENT_PAGES:
            raise ParseError(
                f"more than {MAX_COMMENT_PAGES} comment pages: the comment list would be partial",
                url=url,
                kind="too_complex",
            )
        seen.update(wave)
        answers = await asyncio.gather(*(fetcher.get(u) for u in wave), return_exceptions=True)
        found: list[str] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
            merged += parse_page(answer.final_url, answer.text)
            found += comment_page_urls(answer.final_url, answer.text)
        wave = [u for u in dict.fromkeys(found) if u not in seen]
    unique = {c.platform_id: c for c in merged}
    return tuple(
        sorted(unique.values(), key=lambda c: (c.published_at is None, c.published_at, _int(c.platform_id)))
    )


def _comment_page(url: str, text: str, tz: ZoneInfo | str = "Europe/London") -> list[Comment]:
    """One `comment-page-N/` of a post: its comment list is required."""
    tree = parse_html(text, url)
    comments = parse_html_comments(url, tree, tz)
    if not comments and tree.css_first(_COMMENT_LIST) is None:
        raise ParseError(
            "a comment page without a comment list: the comment list would be partial",
            url=url,
            selector=_COMMENT_LIST,
        )
    return comments


def _parent_comment_id(item: LexborNode) -> str | None:
    """The id of the nearest comment around this one (a reply nests in its parent's `.children`)."""
    own = _item_id(item)
    node = item.parent
    while node is not None:
        if _is_comment_item(node):
            parent = _item_id(node)
            if parent is not None and parent != own:
                return parent
        node = node.parent
    return None
