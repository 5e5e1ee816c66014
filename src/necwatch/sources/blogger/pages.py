"""Every other Blogger template (pure): the markup reader and the threaded comment list."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborNode

from necwatch.extract.metadata import Found
from necwatch.extract.page import MarkupRead
from necwatch.extract.select import first_of, text_of
from necwatch.extract.text import clean_name, html_to_text
from necwatch.models import Comment
from necwatch.sources.blogger.classic import parse_comments_html
from necwatch.sources.blogger.threaded import threaded_comments

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
    """Classic `dl#comments-block`, else the threaded list of every later template (see
    blogger.threaded): replies counted, Dynamic Views' rendered blocks, the thread's script data."""
    if tree.css_first("#comments-block, dt.comment-poster") is not None:
        return parse_comments_html(url, tree, tz)
    return threaded_comments(tree, url, tz)
