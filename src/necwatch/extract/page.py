"""One post page of an unknown platform → Post: the single seam page extraction goes through.

`extract_post(html, url)` is what the `feed` type (excerpt feeds) and `auto`'s generic `html` path call
when they only have a page and no platform rules. Today it reads the generic article selectors
(`.entry-content`, `.post-body`, `[itemprop=articleBody]`, `<article>`, ...) plus JSON-LD and Open
Graph metadata; the layered extractor of the real-pages work replaces its inside, not its signature.
A page with no recognisable article body is a ParseError (kind parse_empty), never an empty post.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser
from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import parse_iso
from necwatch.extract.select import parse_html, text_of
from necwatch.extract.text import collapse_ws, node_text
from necwatch.models import Post

__all__ = ["BODY_SELECTORS", "extract_post", "json_ld_article"]

# The article body of common platforms and themes, most specific first (the first with text wins).
BODY_SELECTORS = (
    "article .entry-content",
    ".entry-content",
    ".post-body",  # Blogger
    "[itemprop=articleBody]",
    ".gh-content",  # Ghost
    ".post-content",
    ".article-content",
    ".article-body",
    "article .content",
    "main article",
    "article",
)
TITLE_SELECTORS = (
    "article .entry-title",
    "h1.entry-title",
    "h1.post-title",
    ".post-title",
    "article h1",
    "h1",
)
# Removed from the body before reading it: sharing, likes, related posts, author boxes, comments.
NOISE = (
    "#jp-post-flair",
    ".sharedaddy",
    ".share",
    ".sharing",
    ".related",
    ".author-box",
    ".comments",
    "#comments",
    "script",
    "style",
    "form",
)
_ARTICLE_TYPES = {"Article", "BlogPosting", "NewsArticle", "Report", "WebPage"}


def extract_post(
    html: str | bytes, url: str, *, tz: ZoneInfo | str = "Europe/London", default_author: str | None = None
) -> Post:
    """A post page → Post (via="page"). ParseError when no title or no article body is found."""
    tree = parse_html(html, url)
    meta = json_ld_article(tree)
    body = _body(tree, url)
    title = _title(tree, meta)
    if not title:
        raise ParseError("no post title (JSON-LD headline, og:title or h1)", url=url, kind="parse_empty")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return Post(
        url=url,
        title=title,
        body_html=body.inner_html or "",
        body_text=node_text(body),
        author=_author(tree, meta) or default_author,
        published_at=_date(meta.get("datePublished") or _meta(tree, "article:published_time"), zone)
        or _time_attr(
            tree, "time.published[datetime], time.entry-date[datetime], article time[datetime]", zone
        ),
        updated_at=_date(meta.get("dateModified") or _meta(tree, "article:modified_time"), zone),
        labels=_labels(tree),
        via="page",
    )


def _body(tree: LexborHTMLParser, url: str) -> LexborNode:
    for selector in BODY_SELECTORS:
        for node in tree.css(selector):
            for noise in NOISE:
                for n in node.css(noise):
                    n.decompose()
            if node_text(node):
                return node
    raise ParseError(
        "no article body (tried " + ", ".join(BODY_SELECTORS) + ")", url=url, selector=BODY_SELECTORS[0]
    )


def json_ld_article(tree: LexborHTMLParser) -> dict[str, Any]:
    """The page's JSON-LD Article/BlogPosting object (first one), or {}; malformed JSON-LD is ignored."""
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text(deep=True) or "null")
        except ValueError:
            continue
        items = (
            data.get("@graph", [data]) if isinstance(data, dict) else data if isinstance(data, list) else []
        )
        for item in items:
            if not isinstance(item, dict):
                continue
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(k in _ARTICLE_TYPES for k in kinds) and (
                item.get("headline") or item.get("datePublished")
            ):
                return item
    return {}


def _meta(tree: LexborHTMLParser, prop: str) -> str | None:
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    value = node.attributes.get("content") if node is not None else None
    return value.strip() if value and value.strip() else None


def _title(tree: LexborHTMLParser, meta: dict[str, Any]) -> str:
    for selector in TITLE_SELECTORS:
        node = tree.css_first(selector)
        if node is not None and text_of(node):
            return text_of(node)
    headline = meta.get("headline")
    if isinstance(headline, str) and headline.strip():
        return collapse_ws(headline)
    return collapse_ws(_meta(tree, "og:title") or "")


def _author(tree: LexborHTMLParser, meta: dict[str, Any]) -> str | None:
    author = meta.get("author")
    if isinstance(author, list) and author:
        author = author[0]
    if isinstance(author, dict):
        author = author.get("name")
    if isinstance(author, str) and author.strip():
        return collapse_ws(author)
    node = tree.css_first('a[rel~="author"]') or tree.css_first(".byline .author, .author .fn")
    if node is not None and text_of(node):
        return text_of(node)
    return _meta(tree, "author")


def _date(value: object, tz: ZoneInfo) -> datetime | None:
    """An ISO 8601 date (JSON-LD, meta, datetime attributes), else a printed one read in `tz`."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_iso(value.strip(), default_tz=tz)
    except ValueError:
        pass
    try:
        parsed = dateutil_parser.parse(value, dayfirst=True)
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def _time_attr(tree: LexborHTMLParser, selector: str, tz: ZoneInfo) -> datetime | None:
    node = tree.css_first(selector)
    return _date(node.attributes.get("datetime"), tz) if node is not None else None


def _labels(tree: LexborHTMLParser) -> tuple[str, ...]:
    labels: list[str] = []
    for a in tree.css('a[rel~="tag"]'):
        name = text_of(a)
        if name and name not in labels:
            labels.append(name)
    return tuple(labels)
