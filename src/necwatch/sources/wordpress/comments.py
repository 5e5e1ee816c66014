"""WordPress comments printed on a post's page(s): the comment list, its threads, its other comment pages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import datetime, time
from typing import Protocol
from urllib.parse import urldefrag, urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import localize, parse_words
from necwatch.extract.select import first_of, parse_html, text_of
from necwatch.extract.text import html_to_text, strip_bidi
from necwatch.models import Comment, Response
from necwatch.sources.wordpress.api import _int
from necwatch.sources.wordpress.common import (
    _COMMENT_ID,
    _COMMENT_ITEM,
    _COMMENT_LIST,
    _COMMENT_PAGE,
    MAX_COMMENT_PAGES,
    _iso,
    _text,
)


def page_comments(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> tuple[Comment, ...] | None:
    """The comments printed on a post page: its comment list, () when the page has a comment area
    but no comment, None when it has neither (comments not shown)."""
    if tree.css_first(_COMMENT_LIST) is not None:
        return tuple(parse_html_comments(url, tree, tz))
    if tree.css_first("#comments, #respond") is not None:
        return ()
    return None


def parse_html_comments(
    url: str, data: bytes | str | LexborHTMLParser, tz: ZoneInfo | str = "Europe/London"
) -> list[Comment]:
    """The comment list of a single page → comments in page order, replies with `parent_id`.

    Comment ids come from `li#comment-ID` / `li#li-comment-ID`, or `div.comment#comment-ID` in themes
    that list comments as divs; the parent is the nearest enclosing comment of another id. A page
    without a comment list has no comments (`[]`); a comment without text is a ParseError (the
    template changed).
    """
    tree = parse_html(_text(data), url) if isinstance(data, bytes | str) else data
    comment_list = tree.css_first(_COMMENT_LIST)
    if comment_list is None:
        return []
    comments = []
    seen: set[str] = set()
    for li in comment_list.css(_COMMENT_ITEM):
        m = _COMMENT_ID.match(li.attributes.get("id") or "")
        if not m or m.group(1) in seen:
            continue  # not a comment, or the comment's own box inside its `li`
        cid = m.group(1)
        seen.add(cid)
        body = li.css_first(f"#div-comment-{cid}, article#comment-{cid}, div#comment-{cid}") or li
        author_node = body.css_first(".fn") or first_of(
            body, "cite.comment-author, .comment-author, cite", skip_comments=False
        )
        author = strip_bidi(text_of(author_node)) if author_node is not None else ""
        if _is_pingback(li, author):
            continue  # a link notice from another site, not a reader's comment
        body_html = _comment_body_html(body, url)
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
                parent_id=_parent_comment_id(li),
                author_url=(author_link.attributes.get("href") or None) if author_link is not None else None,
                url=f"{urldefrag(url)[0]}#comment-{cid}",
            )
        )
    return comments


_PINGBACK = re.compile(r"^(?:pingback|trackback)\b", re.IGNORECASE)


def _is_pingback(li: LexborNode, author: str) -> bool:
    """`li.pingback`/`li.trackback`, or older themes' unmarked "Pingback von …" / "Trackback: …"."""
    classes = set((li.attributes.get("class") or "").split())
    return bool({"pingback", "trackback"} & classes) or bool(_PINGBACK.match(author))


def _comment_body_html(body: LexborNode, url: str) -> str:
    """`.comment-content`, else older themes' body classes, else (Kubrick) the comment's own
    paragraphs. ParseError when none: a comment without text means the template changed."""
    content = body.css_first(".comment-content") or first_of(body, _OLD_COMMENT_BODY, skip_comments=False)
    if content is not None and content.css_first(_COMMENT_CHROME) is None:
        return (content.inner_html or "").strip()
    # Kubrick's `li`, or WordPress's html4 walker (`div.comment-body` holding the author and meta
    # boxes, then the text): the comment's own paragraphs, quotes and lists
    box, tags = (body, ("p",)) if content is None else (content, _COMMENT_TEXT_TAGS)
    paragraphs = [p.html or "" for p in box.iter() if p.tag in tags]
    if not paragraphs:
        raise ParseError("comment without text", url=url, selector=".comment-content")
    return "\n".join(paragraphs).strip()


def _comment_published(body: LexborNode, url: str, tz: ZoneInfo | str) -> datetime | None:
    """`time[datetime]`, else the printed date of older themes (`.comment-meta a`), any language."""
    time_node = body.css_first("time[datetime]")
    stamp = time_node.attributes.get("datetime") if time_node is not None else None
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if stamp:
        try:
            return _iso(url, stamp, "comment time")
        except ParseError:  # a theme's `datetime="2020-12-24"`: a day, read in the source's zone
            try:
                value = parse_words(stamp, zone)
            except ValueError:
                return None  # an unreadable comment date leaves the date unknown, not the page
            return value if isinstance(value, datetime) else localize(datetime.combine(value, time()), zone)
    printed = body.css_first(".comment-meta a, .commentmetadata a, .comment-date, .comment-time")
    if printed is None or not text_of(printed):
        return None
    try:
        value = parse_words(text_of(printed), zone)
    except ValueError:
        return None  # an unreadable comment date leaves the date unknown, not the comment
    if isinstance(value, datetime):
        return value
    try:
        return localize(datetime(value.year, value.month, value.day), zone)
    except ValueError:
        return None


_COMMENT_TEXT_TAGS = ("p", "blockquote", "ul", "ol", "pre")
_COMMENT_CHROME = ".comment-author, .comment-meta, .commentmetadata"  # a box holding these is not the text
_OLD_COMMENT_BODY = ".comment-text, .contenttext, .commentbody, .comment-entry, .comment-body"


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
    if tree.css_first(_COMMENT_LIST) is None:
        raise ParseError(
            "a comment page without a comment list: the comment list would be partial",
            url=url,
            selector=_COMMENT_LIST,
        )
    return parse_html_comments(url, tree, tz)


def _parent_comment_id(li: LexborNode) -> str | None:
    own = _COMMENT_ID.match(li.attributes.get("id") or "")
    node = li.parent
    while node is not None:
        if node.tag == "li" or (
            node.tag in ("div", "article") and "comment" in (node.attributes.get("class") or "").split()
        ):
            m = _COMMENT_ID.match(node.attributes.get("id") or "")
            if m and (own is None or m.group(1) != own.group(1)):
                return m.group(1)
        node = node.parent
    return None
