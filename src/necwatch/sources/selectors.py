"""Reading pages through CSS selectors (pure): a listing's permalinks, a post, its comments.

The `html` adapter reads its selectors from the config, the LabourList adapter uses fixed ones.
Configured selectors are *required*: a page on which one matches nothing is a ParseError (kind
parse_empty), so a redesigned template shows up as a failure, never as a site with no posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urldefrag, urljoin
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser
from pydantic import Field
from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import OutOfRange, in_utc_range, parse_iso, parse_local, parse_local_date
from necwatch.extract.select import attr, css_first_or_none, css_many, css_one, parse_html, text_of
from necwatch.extract.text import collapse_ws, node_text, strip_bidi
from necwatch.models import Comment, Post
from necwatch.settings import Strict
from necwatch.sources.base import ListedPost
from necwatch.sources.listing_poll import listing_sig

__all__ = [
    "HtmlSelectors",
    "ListingPage",
    "parse_article",
    "parse_comments",
    "parse_date",
    "parse_listing",
    "platform_id_of",
    "resolve",
    "split_title",
    "tag_labels",
]


class HtmlSelectors(Strict):
    """CSS selectors for the generic `html` source type (see docs/sources.md)."""

    item: str  # one per post on a listing page
    link: str = "a"  # inside item: the post's permalink
    next_page: str | None = None  # on a listing page: the "Older posts" link
    title: str
    body: str
    date: str | None = None
    date_attr: str | None = None  # read the date from this attribute (e.g. datetime) instead of text
    author: str | None = None
    labels: str | None = None  # tag/label links of a post (default: a[rel~=tag])
    remove: list[str] = Field(default_factory=list)  # removed from the body before extraction
    comment: str | None = None
    comment_author: str | None = None
    comment_date: str | None = None
    comment_body: str | None = None


_POSTID = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
_ARTICLE_ID = re.compile(r"^post-(\d+)$")
_SHORTLINK = re.compile(r"[?&]p=(\d+)(?:&|$)")
_TRAILING_NUMBER = re.compile(r"(\d+)$")
_SPACES = re.compile(r"[ \t\r\n\f]+")  # ASCII whitespace only: keeps U+00A0 for title_raw


@dataclass(frozen=True)
class ListingPage:
    """One listing page: the posts it links to and the URL of the next (older) page, if any."""

    posts: list[ListedPost]
    next_url: str | None


# -- pure helpers ------------------------------------------------------------------------------


def resolve(base: str, href: str) -> str:
    """An href as found on a page → absolute URL without fragment (no host is ever assumed)."""
    return urldefrag(urljoin(base, href.strip())).url


def split_title(node: LexborNode) -> tuple[str, str | None]:
    """(title, title_raw): the title with U+00A0 → space, and the served text when that differs."""
    raw = _SPACES.sub(" ", strip_bidi(node.text(deep=True, separator=""))).strip()
    title = collapse_ws(raw)
    return title, (raw if raw != title else None)


def parse_date(text: str, tz: ZoneInfo) -> datetime:
    """A date as a page prints it (or as a datetime attribute holds it) → aware datetime.

    ISO 8601 keeps the offset it carries; printed local times ('4:15 pm, January 24, 2024',
    'Wednesday, January 24, 2024', '3rd November 2011') are read in the source's time zone. Anything
    else goes to dateutil (day first, as British blogs print '03/11/2011'). ValueError when unreadable.
    """
    text = collapse_ws(text)
    if not text:
        raise ValueError("empty date")
    for attempt in (
        lambda: parse_iso(text, default_tz=tz),
        lambda: parse_local(text, tz),
        lambda: in_utc_range(datetime.combine(parse_local_date(text), time(0), tzinfo=tz)),
    ):
        try:
            return attempt()
        except OutOfRange:
            raise  # read as written, with no UTC value: unreadable, not read again another way
        except ValueError:
            pass
    try:
        value = dateutil_parser.parse(text, fuzzy=True, dayfirst=True)
        return in_utc_range(value if value.tzinfo is not None else value.replace(tzinfo=tz))
    except (ValueError, OverflowError) as e:
        raise ValueError(f"unreadable date {text!r}") from e


def platform_id_of(tree: LexborHTMLParser, article: LexborNode | None = None) -> str | None:
    """The WordPress post id: body class `postid-N`, else `<article id="post-N">`, else the shortlink."""
    body = tree.body
    if body is not None:
        m = _POSTID.search(body.attributes.get("class") or "")
        if m:
            return m.group(1)
    for node in [article] if article is not None else tree.css("article[id]"):
        m = _ARTICLE_ID.match((node.attributes.get("id") or "").strip())
        if m:
            return m.group(1)
    link = tree.css_first('link[rel="shortlink"]')
    if link is not None:
        m = _SHORTLINK.search(link.attributes.get("href") or "")
        if m:
            return m.group(1)
    return None


def tag_labels(scope: LexborHTMLParser | LexborNode, selector: str | None = None) -> tuple[str, ...]:
    """Tags shown with the post: `selector` when configured, else WordPress's `rel="tag"` links
    (categories are `rel="category tag"` and are left out). Labels are optional: none is not an error."""
    labels: list[str] = []
    for a in scope.css(selector or 'a[rel~="tag"]'):
        if "category" in (a.attributes.get("rel") or "").split():
            continue
        name = text_of(a)
        if name and name not in labels:
            labels.append(name)
    return tuple(labels)


def _date_from(node: LexborNode, attr_name: str | None, url: str, selector: str, tz: ZoneInfo) -> datetime:
    """Read a date from an element: the named attribute, else a `datetime` attribute, else its text."""
    if attr_name:
        text = attr(node, attr_name, url, selector=selector)
    else:
        text = node.attributes.get("datetime") or node.attributes.get("content") or text_of(node)
    try:
        return parse_date(text, tz)
    except ValueError as e:
        raise ParseError(f"unreadable date: {e}", url=url, selector=selector, kind="unexpected_page") from e


def _meta_date(tree: LexborHTMLParser, prop: str, url: str, tz: ZoneInfo) -> datetime | None:
    node = tree.css_first(f'meta[property="{prop}"]')
    if node is None or not node.attributes.get("content"):
        return None
    return _date_from(node, "content", url, f'meta[property="{prop}"]', tz)


def parse_listing(url: str, html: str | bytes, selectors: HtmlSelectors) -> ListingPage:
    """A listing page → its post permalinks (in page order) and the next page's URL.

    Every `item` must contain a `link` with an href: an item without one means the template changed.
    """
    tree = parse_html(html, url)
    posts: list[ListedPost] = []
    seen: set[str] = set()
    for item in css_many(tree, selectors.item, url):
        link = css_one(item, selectors.link, url) if selectors.link else item
        permalink = resolve(url, attr(link, "href", url, selector=selectors.link))
        if permalink in seen:
            continue
        seen.add(permalink)
        m = re.search(r"(?:^|\s)post-(\d+)(?:\s|$)", item.attributes.get("class") or "")
        sig = listing_sig(permalink, text_of(item))
        posts.append(ListedPost(url=permalink, platform_id=m.group(1) if m else None, listing_sig=sig))
    next_url = None
    if selectors.next_page:
        nxt = css_first_or_none(tree, selectors.next_page)
        href = nxt.attributes.get("href") if nxt is not None else None
        if href:
            next_url = resolve(url, href)
    return ListingPage(posts, next_url)


def parse_article(
    url: str,
    html: str | bytes,
    selectors: HtmlSelectors,
    *,
    tz: ZoneInfo,
    default_author: str | None = None,
    via: str = "html",
) -> Post:
    """A post's own page → Post. `title` and `body` are required; `date`/`author` when configured.

    Without a `date` selector the Open Graph `article:published_time` meta is used when present;
    `updated_at` comes from `article:modified_time`, else `<time class="updated" datetime>`, when present.
    """
    tree = parse_html(html, url)
    title, title_raw = split_title(css_one(tree, selectors.title, url))
    if not title:
        raise ParseError("title is empty", url=url, selector=selectors.title)
    body = css_one(tree, selectors.body, url)
    for selector in selectors.remove:
        for node in body.css(selector):
            node.decompose()
    body_text = node_text(body)
    if not body_text:
        raise ParseError("body has no text", url=url, selector=selectors.body)

    published: datetime | None
    if selectors.date:
        published = _date_from(
            css_one(tree, selectors.date, url), selectors.date_attr, url, selectors.date, tz
        )
    else:
        published = _meta_date(tree, "article:published_time", url, tz)
    updated = _meta_date(tree, "article:modified_time", url, tz)
    if updated is None:  # WordPress themes print the modified time as <time class="updated">
        shown = tree.css_first("time.updated[datetime]")
        updated = _date_from(shown, "datetime", url, "time.updated", tz) if shown is not None else None

    author = default_author
    if selectors.author:
        author = text_of(css_one(tree, selectors.author, url)) or default_author

    return Post(
        url=url,
        title=title,
        title_raw=title_raw,
        body_html=body.inner_html or "",
        body_text=body_text,
        platform_id=platform_id_of(tree),
        author=author,
        published_at=published,
        updated_at=updated,
        labels=tag_labels(tree, selectors.labels),
        via=via,
    )


def parse_comments(
    url: str, html: str | bytes, selectors: HtmlSelectors, *, tz: ZoneInfo
) -> tuple[Comment, ...]:
    """The comments printed on a post page (possibly none). Replies name their parent comment.

    No `comment` match is a page without comments, a normal state. But inside a matched comment the
    configured author/date/body selectors are required, so a changed comment template is an error.
    A comment's id is the trailing number of its `id` attribute (`comment-47213`, `li-comment-1201`);
    its parent is the nearest enclosing element that the `comment` selector also matched.
    """
    if not selectors.comment:
        return ()
    tree = parse_html(html, url)
    nodes = list(tree.css(selectors.comment))
    ids: dict[int, str] = {}
    for index, node in enumerate(nodes, start=1):
        m = _TRAILING_NUMBER.search(node.attributes.get("id") or "")
        ids[node.mem_id] = m.group(1) if m else str(index)
    comments = []
    for node in nodes:
        parent_id = None
        ancestor = node.parent
        while ancestor is not None:
            if ancestor.mem_id in ids:
                parent_id = ids[ancestor.mem_id]
                break
            ancestor = ancestor.parent
        author = text_of(css_one(node, selectors.comment_author, url)) if selectors.comment_author else ""
        published = None
        if selectors.comment_date:
            date_node = css_one(node, selectors.comment_date, url)
            published = _date_from(date_node, None, url, selectors.comment_date, tz)
        body_node = css_one(node, selectors.comment_body, url) if selectors.comment_body else node
        comments.append(
            Comment(
                platform_id=ids[node.mem_id],
                author=author or "Anonymous",
                body_text=node_text(body_node),
                published_at=published,
                body_html=body_node.inner_html or "",
                parent_id=parent_id,
                url=f"{url}#comment-{ids[node.mem_id]}",
            )
        )
    return tuple(comments)
