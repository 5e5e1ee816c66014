"""Blogger's classic HTML template (pure): listing, archive and post pages, classic comment lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import parse_local, parse_words
from necwatch.extract.page import extract_post
from necwatch.extract.select import css_many, css_one, parse_html, text_of
from necwatch.extract.text import clean_name, collapse_ws, node_text
from necwatch.models import Comment, Post
from necwatch.sources.base import ListedPost
from necwatch.sources.blogger.common import (
    _ARCHIVE,
    _COMMENT_COUNT,
    _POSTED_BY,
    _SAID,
    _SAID_ANY,
    HtmlListingPage,
    _stamped,
    blogger_author,
    clean_title,
    comment_text,
    is_disallowed,
)

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
    author = blogger_author(collapse_ws(m.group(1)) if m else None, default_author)
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
        body = _comment_body(dt, cid, url)
        stamp = _next_of(body, ("dd",))
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


def _next_of(node: LexborNode, tags: tuple[str, ...]) -> LexborNode | None:
    """The first sibling after `node` that is one of `tags` (a classic comment's `dd`s)."""
    found = node.next
    while found is not None and found.tag not in tags:
        found = found.next
    return found


def _comment_body(dt: LexborNode, cid: str, url: str) -> LexborNode:
    """The `dd.comment-body` after a comment's `dt`; ParseError when the next `dd` is not one."""
    body = _next_of(dt, ("dd",))
    if body is None or "comment-body" not in (body.attributes.get("class") or ""):
        raise ParseError(f"comment {cid} has no body", url=url, selector="dd.comment-body")
    return body


def _layout_comments(block: LexborNode, url: str, tz: ZoneInfo) -> list[Comment]:
    """The layouts-era classic list: `dt.comment-author#cID`, its `dd.comment-body`, then its
    `dd.comment-footer`. A comment without a body is a template change (ParseError)."""
    comments = []
    for dt in block.css("dt.comment-author[id]"):
        cid = (dt.attributes.get("id") or "").removeprefix("c")
        if not cid.isdigit():
            continue
        body = _comment_body(dt, cid, url)
        footer = _next_of(body, ("dd", "dt"))
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
        return replace(post, author=blogger_author(post.author, default_author)), extracted.comments
    return post, parse_comments_html(url, tree, zone)
