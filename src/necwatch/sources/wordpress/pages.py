"""WordPress pages (pure): archive listings, single posts on any theme, the markup reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urldefrag, urljoin
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import localize, parse_words
from necwatch.extract.metadata import Found, read_metadata
from necwatch.extract.page import MarkupRead, extract_post
from necwatch.extract.pubdate import as_printed
from necwatch.extract.select import css_many, css_one, first_of, parse_html, text_of
from necwatch.extract.text import clean_name, node_text
from necwatch.models import Post
from necwatch.sources.selectors import tag_labels
from necwatch.sources.wordpress.comments import page_comments
from necwatch.sources.wordpress.common import _P_QUERY, _POST_ID, _iso, _strip_chrome, _text, split_title

# -- HTML ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchivePage:
    """One archive (tag/category/author) page: permalinks in page order and the older-posts page."""

    urls: list[tuple[str, str | None]]  # (permalink, WordPress post id if the markup gives it)
    next_url: str | None


_ARCHIVE_LINK = "a[rel~='bookmark'], .entry-title a, .archive-item__title a"
_NEXT_LINK = ".nav-previous a[href], a.next.page-numbers[href], .nav-links a.next[href]"


def parse_archive_page(url: str, data: bytes | str) -> ArchivePage:
    """An archive page → its posts' permalinks and the "Older posts" URL. ParseError on no posts."""
    tree = parse_html(_text(data), url)
    articles = css_many(tree, "article", url)
    urls: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for article in articles:
        link = article.css_first(_ARCHIVE_LINK)
        href = link.attributes.get("href") if link is not None else None
        if not href:
            continue
        permalink = urldefrag(urljoin(url, href))[0]
        if permalink not in seen:
            seen.add(permalink)
            urls.append((permalink, _article_post_id(article)))
    if not urls:
        raise ParseError("no post permalinks on the archive page", url=url, selector=_ARCHIVE_LINK)
    next_node = tree.css_first(_NEXT_LINK) or tree.css_first("link[rel='next'][href]")
    next_href = next_node.attributes.get("href") if next_node is not None else None
    return ArchivePage(urls=urls, next_url=urljoin(url, next_href) if next_href else None)


def _article_post_id(article: LexborNode) -> str | None:
    m = _POST_ID.match(article.attributes.get("id") or "")
    if m:
        return m.group(1)
    for cls in (article.attributes.get("class") or "").split():
        m = _POST_ID.match(cls)
        if m:
            return m.group(1)
    return None


def _time_attr(scope: LexborNode | LexborHTMLParser, selector: str, url: str) -> datetime | None:
    node = scope.css_first(selector)
    value = node.attributes.get("datetime") if node is not None else None
    return _iso(url, value, selector) if value else None


def _meta(tree: LexborHTMLParser, prop: str) -> str | None:
    node = tree.css_first(f"meta[property='{prop}']")
    return (node.attributes.get("content") or None) if node is not None else None


def parse_single_page(
    url: str,
    data: bytes | str,
    *,
    default_author: str | None = None,
    tz: ZoneInfo | str = "Europe/London",
    tree: LexborHTMLParser | None = None,
) -> Post:
    """A single post page → Post (the article's entry content only, chrome removed).

    `url` is the URL the page was served from (after redirects): the post URL is the page's canonical
    link when it has one, else `url`. Dates come from `datetime` attributes / `article:*_time` meta.
    Current themes (`article` + `.entry-title` + `.entry-content`) are read directly; older
    WordPress.com themes and custom themes go through the layered extractor (extract.page) with
    `read_wordpress_markup` first. A field no layer finds fails the post (ParseError). `tz` reads
    dates printed without an offset (the source's `timezone:`); `tree`: the page already parsed.
    """
    text = _text(data)
    if tree is None:
        tree = parse_html(text, url)
    _require_single(tree, url)
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    try:
        post = _fill_from_metadata(_parse_current_theme(tree, url), tree, zone, default_author)
        return _as_printed(post, tree, zone)
    except ParseError:
        extracted = extract_post(text, url, "wordpress", tz=zone, tree=tree)
        return extracted.to_post(tz=zone, default_author=default_author)


def _as_printed(post: Post, tree: LexborHTMLParser, tz: ZoneInfo) -> Post:
    """The published time in the zone the post's date element prints it in, when that is the same
    instant ("6:21 AM EST" for the head's `11:21:08+00:00`): extract.pubdate.as_printed."""
    value = post.published_at
    if value is None or value.utcoffset() != timedelta(0):
        return post  # a stamp in a local offset is the site's own already; a UTC one may be the head's
    printed = as_printed(tree, value, tz)
    return post if printed.utcoffset() == value.utcoffset() else replace(post, published_at=printed)


def _fill_from_metadata(post: Post, tree: LexborHTMLParser, tz: ZoneInfo, default_author: str | None) -> Post:
    """A current theme without a byline or a date in its markup: the page's metadata (JSON-LD,
    meta, rel=author) answers those, recorded per field; else the configured author."""
    methods = dict(post.extraction)
    changes: dict[str, object] = {}
    if post.author is None or post.published_at is None:
        meta = read_metadata(tree)
        if post.author is None and "author" in meta:
            changes["author"], methods["author"] = clean_name(meta["author"].value), meta["author"].method
        if post.published_at is None and "published" in meta:
            try:
                value = parse_words(str(meta["published"].value), tz)
                changes["published_at"] = (
                    value
                    if isinstance(value, datetime)
                    else localize(datetime(value.year, value.month, value.day), tz)
                )
                methods["published"] = meta["published"].method
            except ValueError:
                pass
    if changes.get("author") is None and post.author is None:
        changes["author"] = default_author
        methods.pop("author", None)
    for name, stamp in (("published", post.published_at), ("updated", post.updated_at)):
        if stamp is None and f"{name}_at" not in changes:
            methods.pop(name, None)
    if not post.labels:
        methods.pop("labels", None)
    extraction = tuple(methods.items())
    if not changes and extraction == post.extraction:
        return post  # dataclasses.replace costs as much as the text walk
    return replace(post, **changes, extraction=extraction)  # type: ignore[arg-type]  # fields vary


def _parse_current_theme(tree: LexborHTMLParser, url: str) -> Post:
    """`article` + `.entry-title` + `.entry-content`: the themes of the last decade (and the
    reference web), read exactly as before the layered extractor existed."""
    article = css_one(tree, "article[id^='post-'], article.post, article.hentry, article", url)
    title_node = css_one(article, ".entry-title", url)
    title, title_raw = split_title(title_node.text(deep=True, separator=""))
    content = css_one(article, ".entry-content", url)
    _strip_chrome(content)
    body_html = (content.inner_html or "").strip()
    canonical = tree.css_first("link[rel='canonical'][href]")
    post_url = urljoin(url, canonical.attributes["href"] or url) if canonical is not None else url

    published = _meta(tree, "article:published_time")
    updated = _meta(tree, "article:modified_time")
    # The post's visible date element first, then the head's meta (issue 21: plugins often write
    # the UTC time labelled local there); a datetime without an offset is not the visible one's.
    try:
        published_at = _time_attr(
            article, "time.entry-date, time.published, time[itemprop~='datePublished']", url
        )
    except ParseError:
        published_at = None
    if published_at is None and published:
        published_at = _iso(url, published, "article:published_time")
    updated_at = _iso(url, updated, "article:modified_time") if updated else None
    if updated_at is None:
        updated_at = _time_attr(article, "time.updated", url)

    author_node = article.css_first(".author.vcard .fn, .author.vcard a, a[rel~='author']")
    author = clean_name(author_node.text(deep=True, separator=" ")) if author_node is not None else None

    labels = tag_labels(article)  # rel="tag" links, categories left out

    platform_id = _article_post_id(article)
    if platform_id is None:
        shortlink = tree.css_first("link[rel='shortlink'][href]")
        m = _P_QUERY.search(shortlink.attributes.get("href") or "") if shortlink is not None else None
        platform_id = m.group(1) if m else None

    return Post(
        url=post_url,
        title=title,
        title_raw=title_raw,
        body_html=body_html,
        body_text=node_text(content),  # the parsed node: no second parse of the body
        platform_id=platform_id,
        author=author,
        published_at=published_at,
        updated_at=updated_at,
        labels=labels,
        via="html",
        extraction=_CURRENT_THEME,
    )


_CURRENT_THEME = tuple(
    (name, "wordpress") for name in ("title", "author", "published", "updated", "labels", "body")
)


# -- older WordPress.com themes and custom themes ----------------------------------------------------

_WP_SCOPE = (
    "article[id^='post-'], div[id^='post-'].post, div.post[id^='post-'], article.post, article.hentry, "
    "div.hentry, div.type-post, div.post, article"
)
_WP_TITLE = ".entry-title, .posttitle, .post-title, .storytitle, .pagetitle, h1.title, h2.title, h1"
_WP_BODY = (
    ".entry-content, .contenttext, .post-content, .storycontent, .entry-body, .post-entry, .postentry, "
    ".entrytext, .article-content, .post-body, .entry"
)
_WP_DATE = (
    "time.entry-date[datetime], time.published[datetime], abbr.published[title], time[datetime], "
    ".entry-date, .post-date, .postdate, .date, .posted-on, .postmetadata"
)
_WP_AUTHOR = (
    ".author.vcard .fn, .author.vcard a, a[rel~='author'], .byline .author, .post-author, .entry-author"
)


def _date_part(text: str) -> str:
    """ "Thursday, 20 June 2019 — View all posts by Ed" → the part with the date (digits in it)."""
    parts = [p.strip() for p in re.split(r"\s[—–|·]\s|\bby\b|\bvon\b|\bpar\b", text) if p.strip()]
    return next((p for p in parts if any(c.isdigit() for c in p)), text)


def read_wordpress_markup(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> MarkupRead:
    """WordPress's own markup on themes without `article` + `.entry-title` + `.entry-content`:
    Kubrick-era and older WordPress.com themes (`div.post`, `.posttitle`, `.contenttext`,
    `.storycontent`, `.postmetadata`) and custom themes that keep some WordPress class names."""
    read = MarkupRead(tried={"body": _WP_BODY, "title": _WP_TITLE, "published": _WP_DATE})
    scope = first_of(tree, _WP_SCOPE) or first_of(tree, "#content, main, #main") or tree.body
    if scope is None:
        return read
    body = first_of(scope, _WP_BODY)
    if body is not None:
        _strip_chrome(body)
        read.fields["body"] = Found(body, "wordpress")
    title = first_of(scope, _WP_TITLE)
    if title is not None and (raw := title.text(deep=True, separator="").strip()):
        read.fields["title"] = Found(raw, "wordpress")
    date = first_of(scope, _WP_DATE)
    if date is not None:
        attrs = date.attributes
        value = attrs.get("datetime") or attrs.get("title") or _date_part(text_of(date))
        if value:
            read.fields["published"] = Found(value, "wordpress")
    author = first_of(scope, _WP_AUTHOR)
    if author is not None and (name := clean_name(author.text(deep=True, separator=" "))):
        read.fields["author"] = Found(name, "wordpress")
    labels = [
        text_of(a) for a in scope.css("a[rel~='tag']") if "category" not in (a.attributes.get("rel") or "")
    ]
    if labels:
        read.fields["labels"] = Found(tuple(dict.fromkeys(t for t in labels if t)), "wordpress")
    read.platform_id = _article_post_id(scope)
    try:
        read.comments = page_comments(tree, url, tz)
    except ParseError as e:  # the post is still read; its comments are unknown
        read.warnings.append(f"comments: {e}")
    return read


def _require_single(tree: LexborHTMLParser, url: str) -> None:
    """A post URL that now serves a listing (a moved post redirected to the home page) is not the post."""
    body = tree.css_first("body")
    classes = set((body.attributes.get("class") or "").split()) if body is not None else set()
    listing = classes & {"archive", "home", "blog", "search", "error404"} and not classes & {
        "single",
        "singular",
    }
    if listing or len(tree.css("article[id^='post-']")) > 1:
        raise ParseError("not a single post page", url=url, selector="body.single", kind="unexpected_page")
