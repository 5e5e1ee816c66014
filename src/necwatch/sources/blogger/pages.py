"""Every other Blogger template (pure): the markup reader and the threaded comment list."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborNode

from necwatch.extract.metadata import Found
from necwatch.extract.page import MarkupRead
from necwatch.extract.select import first_of, text_of
from necwatch.extract.text import clean_name, html_to_text
from necwatch.models import Comment
from necwatch.sources.blogger.classic import parse_comments_html
from necwatch.sources.blogger.common import _stamped, comment_text

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
