"""WordPress adapter (WordPress.com blogs and self-hosted sites): REST API, then RSS, then HTML.

Which posts: the `tag`, else the `category`, else the `author_slug` of the config, else the whole site.

Paths, tried in this order when `via: auto` (`via: rest|rss|html` forces one, with no fallback;
`json` and `feed` are read as `rest` and `rss`):

1. **REST** (`via="rest"`): `/wp-json/wp/v2/tags?slug=TAG` (or `categories?slug=`, `users?slug=`) → id;
   `/wp-json/wp/v2/posts?tags=ID` (plus `&per_page=N&page=K` when `rest_per_page` is set, else
   `&page=K` from page 2), paged by the `X-WP-TotalPages` header. Authors come from
   `/wp-json/wp/v2/users/ID` (once per id per poll); comments from `/wp-json/wp/v2/comments?post=ID`,
   threaded by `parent` (0 → None). Labels: a post object carries tag *ids* only and resolving them
   needs `tags?include=…` or `_embed`, which the reference web does not hold, so REST posts have
   `labels=()` (read as "not given by this path", not "no tags").
2. **RSS** (`via="rss"`): `/tag/TAG/feed/` (`/category/…/feed/`, `/author/…/feed/`, `/feed/`), one
   document with `content:encoded`. Labels are the feed's `<category>` values, which WordPress fills
   with categories *and* tags (it cannot tell them apart). `slash:comments` gives the count; when it is
   not 0, comments are read from the post's own page (threaded, with ids), not from the `wfw:commentRss`
   feed: that feed has no parent ids, and is absent on the reference web. No `updated_at` on this path.
3. **HTML** (`via="html"`): the archive `/tag/TAG/` (or `/category/…/`, `/author/…/`, `/`) followed
   through "Older posts" (`.nav-previous a`, `a.next.page-numbers`, `link[rel=next]`) up to
   `max_pages`, used only to *discover* permalinks: every post is read from its single page, so an
   excerpt cut at "Continue reading" (`a.more-link`) is never stored as the post. Comments come from
   the same page (`li#comment-ID` / `li#li-comment-ID`, nested `.children` lists for replies).

Fallback rule (auto): a path is skipped only when its *first* request says the path does not exist:
404 or 410 (and, for REST, 401/403, what REST-disabling plugins answer). Anything else (5xx, 429, a
timeout, an unparseable answer) fails the listing (`listing_complete=False`, failure recorded) instead
of falling back, because a different path gives differently shaped data (labels, `updated_at`, body
markup) and switching paths on a transient error would look like edits and risk a partial listing.
A 404 after the first request (page 2 of the API, one post's comments) is a failure of that request.

`fetch_post(url)` (posts the store knows but the listing no longer shows) always reads the single
page: a 404/410 there is what marks a post GONE.

Bodies: the article only. Sharing/likes/related (`#jp-post-flair`), Progress's membership appeal
(`.progress-appeal`), the "Print Friendly" button (`.printfriendly`) and author boxes are removed from
the entry content on every path (REST/RSS content is cleaned with the same selectors); the more tag
(`<span id="more-ID"></span>`, no text) stays in `body_html` on every path, as served. Titles keep
U+00A0 in `title_raw`; `title` has plain spaces. Dates keep the source's offset: REST from
`date`/`date_gmt`, HTML from `datetime` attributes; RSS `pubDate` (always +0000) is shown in the
configured time zone.

The parsing functions are pure (`url, bytes|str → values`) and public: the LabourList adapter may reuse
the REST ones.
"""

from __future__ import annotations

import asyncio
import html as html_lib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import quote, urldefrag, urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import FetchError, ParseError
from necwatch.extract.chars import clean_json
from necwatch.extract.dates import OutOfRange, in_utc_range, localize, parse_iso, parse_words
from necwatch.extract.feeds import entry_fields, feed_date, parse_feed
from necwatch.extract.metadata import Found, read_metadata
from necwatch.extract.page import MarkupRead, extract_post, register_markup
from necwatch.extract.select import css_many, css_one, first_of, parse_html, text_of
from necwatch.extract.text import clean_name, html_to_text, node_text, strip_bidi
from necwatch.models import Comment, Outcome, Post, PostObservation, Response
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, Source, SourceContext, register
from necwatch.sources.incremental import Unsupported, after_full_read, iso, legacy_due
from necwatch.sources.wp_incremental import WordPressPoll

__all__ = [
    "CHROME_SELECTORS",
    "ArchivePage",
    "FeedItem",
    "WordPressSource",
    "clean_body_html",
    "comment_page_urls",
    "follow_comment_pages",
    "fragment_text_raw",
    "parse_archive_page",
    "parse_html_comments",
    "parse_rest_comments",
    "parse_rest_post",
    "parse_rest_posts",
    "parse_rest_term_id",
    "parse_rest_user_name",
    "parse_rss",
    "parse_single_page",
    "post_of_comment_page",
    "rest_datetime",
    "split_title",
]

# Inside the entry content, but not the article (plugins and WordPress.com append them).
CHROME_SELECTORS: tuple[str, ...] = (
    "#jp-post-flair",
    ".sharedaddy",
    "#jp-relatedposts",
    ".jp-relatedposts",
    ".wpcnt",  # WordPress.com ads
    ".wpl-likebox",
    ".progress-appeal",
    ".printfriendly",
    ".pf-button",
    ".author-box",
    "script",
    "style",
    "noscript",
)

# Status codes that, on a path's first request, mean "this site does not offer this path".
REST_ABSENT = frozenset({401, 403, 404, 410})
FEED_ABSENT = frozenset({404, 410})
# config `via` values shared with other platforms → this adapter's path names.
VIA_ALIASES = {"json": "rest", "feed": "rss"}

_POST_ID = re.compile(r"^post-(\d+)$")
_COMMENT_ID = re.compile(r"^(?:li-|div-)?comment-(\d+)$")
_P_QUERY = re.compile(r"[?&]p=(\d+)(?:&|$)")
_COMMENT_PAGE = re.compile(r"/comment-page-(\d+)/?$")
_COMMENT_LIST = "ol.commentlist, ol.comment-list, ul.commentlist, ul.comment-list"
MAX_COMMENT_PAGES = 50  # a post's comment pages read in one poll, the post's own page included


# -- small pure helpers -------------------------------------------------------------------------


def split_title(raw: str) -> tuple[str, str | None]:
    """A served title → (title with U+00A0 as spaces, the raw title when it differs)."""
    raw = strip_bidi(raw).strip()
    title = re.sub(r"[ \t\r\n\f\u00a0]+", " ", raw).strip()
    return title, (raw if raw != title else None)


def fragment_text_raw(fragment: str) -> str:
    """An HTML fragment (a REST `title.rendered`) → its text, entities decoded, U+00A0 kept."""
    tree = LexborHTMLParser(f"<div id='necwatch-title'>{fragment}</div>")
    root = tree.css_first("#necwatch-title")
    return root.text(deep=True, separator="") if root is not None else html_lib.unescape(fragment)


def clean_body_html(fragment: str) -> str:
    """Entry content HTML → the same HTML without sharing/related/appeal/print/author chrome."""
    tree = LexborHTMLParser(f"<div id='necwatch-body'>{fragment}</div>")
    root = tree.css_first("#necwatch-body")
    if root is None:  # pragma: no cover - the parser always keeps the wrapper
        return fragment
    _strip_chrome(root)
    return (root.inner_html or "").strip()


def _strip_chrome(node: LexborNode) -> None:
    for selector in CHROME_SELECTORS:
        for junk in node.css(selector):
            junk.decompose()


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def _json(url: str, data: bytes | str) -> Any:
    try:
        return clean_json(json.loads(_text(data)))  # "\ud800" decodes to a lone surrogate
    except ValueError as e:
        raise ParseError(f"not JSON: {e}", url=url, kind="unexpected_page") from e


def _localize(value: datetime, tz: ZoneInfo | None) -> datetime:
    """An aware datetime shown in `tz` with a fixed offset (so isoformat() is stable)."""
    if tz is None:
        return value
    try:
        local = value.astimezone(tz)
    except OverflowError:  # the calendar's last or first hours: kept with the offset given
        return value
    offset = local.utcoffset() or timedelta(0)
    return local.replace(tzinfo=timezone(offset))


def _iso(url: str, text: str, what: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError as e:
        raise ParseError(f"bad {what}: {e}", url=url) from e


# -- REST API -----------------------------------------------------------------------------------


def rest_datetime(local: str | None, gmt: str | None, *, url: str = "") -> datetime | None:
    """WordPress REST `date` + `date_gmt` (both without offset) → aware datetime with the site's offset.

    The offset is the difference of the two, so the value reads as the site printed it
    ("2019-09-19T08:05:37+01:00"). With only one of them: `date_gmt` as UTC; neither → None.
    """
    try:
        naive_gmt = datetime.fromisoformat(gmt) if gmt else None
        naive_local = datetime.fromisoformat(local) if local else None
    except (TypeError, ValueError) as e:  # TypeError: a number or an object where a string belongs
        raise ParseError(f"bad REST date {local!r}/{gmt!r}", url=url) from e
    if naive_gmt is None:
        return None
    if naive_local is None:
        return naive_gmt.replace(tzinfo=UTC)
    try:  # a difference of a day or more is no UTC offset: the GMT time alone is certain
        return in_utc_range(naive_local.replace(tzinfo=timezone(naive_local - naive_gmt)))
    except ValueError:
        return naive_gmt.replace(tzinfo=UTC)


def parse_rest_term_id(url: str, data: bytes | str) -> int:
    """`tags?slug=X` / `categories?slug=X` / `users?slug=X` → the id. ParseError when nothing matched."""
    items = _json(url, data)
    if not isinstance(items, list):
        raise ParseError("expected a JSON list", url=url, kind="unexpected_page")
    if not items:
        raise ParseError("no term or user with this slug", url=url, selector="slug")
    try:
        return int(items[0]["id"])
    except (KeyError, TypeError, ValueError) as e:
        raise ParseError("no id in the first item", url=url, kind="unexpected_page") from e


def parse_rest_user_name(url: str, data: bytes | str) -> str:
    """`users/ID` → the display name."""
    obj = _json(url, data)
    name = obj.get("name") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ParseError("user has no name", url=url, selector="name")
    return name.strip()


def parse_rest_post(
    obj: Mapping[str, Any],
    *,
    url: str,
    author: str | None = None,
    labels: Sequence[str] = (),
) -> Post:
    """One REST post object → Post. `url` is the API URL it came from (for errors and relative links).

    `author` is the display name (the object only has an id); `labels` the tag names if resolved.
    """
    try:
        link = urljoin(url, str(obj["link"]))
        rendered_title = str(obj["title"]["rendered"])
        content = str(obj["content"]["rendered"])
    except (KeyError, TypeError) as e:
        raise ParseError(f"post object without {e}", url=url, kind="unexpected_page") from e
    title, title_raw = split_title(fragment_text_raw(rendered_title))
    body_html = clean_body_html(content)
    return Post(
        url=link,
        title=title,
        title_raw=title_raw,
        body_html=body_html,
        body_text=html_to_text(body_html),
        platform_id=str(obj["id"]) if obj.get("id") is not None else None,
        author=author,
        published_at=rest_datetime(obj.get("date"), obj.get("date_gmt"), url=url),
        updated_at=rest_datetime(obj.get("modified"), obj.get("modified_gmt"), url=url),
        labels=tuple(labels),
        via="rest",
    )


def parse_rest_posts(
    url: str,
    data: bytes | str,
    *,
    authors: Mapping[int, str] | None = None,
    default_author: str | None = None,
    skipped: list[ParseError] | None = None,
) -> list[tuple[Post, int | None]]:
    """A `posts?…` page → [(Post, author id)]; the author name is taken from `authors` when known.

    With `skipped`, a post object that cannot be read (a value of the wrong type) is left out and
    its error, naming the post's link when it has one, appended there: one odd post fails alone.
    Without it, the whole page fails."""
    items = _json(url, data)
    if not isinstance(items, list):
        raise ParseError("expected a JSON list of posts", url=url, kind="unexpected_page")
    out = []
    for obj in items:
        try:
            if not isinstance(obj, dict):
                raise ParseError("post is not an object", url=url, kind="unexpected_page")
            author_id = obj.get("author") if isinstance(obj.get("author"), int) else None
            name = (authors or {}).get(author_id, default_author) if author_id is not None else default_author
            out.append((parse_rest_post(obj, url=url, author=name), author_id))
        except ParseError as e:
            if skipped is None or e.kind == "too_complex":
                raise
            link = obj.get("link") if isinstance(obj, dict) else None
            where = urljoin(url, link) if isinstance(link, str) and link else url
            skipped.append(ParseError(f"post object unreadable: {e}", url=where, kind="unexpected_page"))
    return out


def parse_rest_comments(url: str, data: bytes | str) -> list[Comment]:
    """A `comments?post=ID` page → comments, oldest first, `parent` 0 → None."""
    items = _json(url, data)
    if not isinstance(items, list):
        raise ParseError("expected a JSON list of comments", url=url, kind="unexpected_page")
    comments = []
    for obj in items:
        try:
            body_html = str(obj["content"]["rendered"])
            cid = str(obj["id"])
        except (KeyError, TypeError) as e:
            raise ParseError(f"comment without {e}", url=url, kind="unexpected_page") from e
        parent = obj.get("parent") or None
        comments.append(
            Comment(
                platform_id=cid,
                author=html_lib.unescape(str(obj.get("author_name") or "")).strip() or "Anonymous",
                body_text=html_to_text(body_html),
                body_html=body_html,
                published_at=rest_datetime(obj.get("date"), obj.get("date_gmt"), url=url),
                parent_id=str(parent) if parent else None,
                author_url=obj.get("author_url") or None,
                url=urljoin(url, obj["link"]) if obj.get("link") else None,
            )
        )
    return sorted(comments, key=lambda c: (c.published_at is None, c.published_at, _int(c.platform_id)))


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _total_pages(response: Response) -> int:
    try:
        return max(1, int(response.headers.get("x-wp-totalpages", "1")))
    except ValueError:
        return 1


# -- RSS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """One RSS item: the full post, where its comments are, and how many the feed says it has."""

    post: Post
    comments_feed: str | None
    comment_count: int | None


def parse_rss(url: str, data: bytes | str, *, tz: ZoneInfo | None = None) -> list[FeedItem]:
    """A WordPress RSS2 feed → items with full content (`content:encoded`, else `description`).

    ParseError when the document is not a feed. An empty channel is a valid, empty list.
    """
    parsed = parse_feed(url, data, kind="RSS")
    items = []
    for entry in parsed.entries:
        fields = entry_fields(url, entry)
        if not fields.link:
            raise ParseError("feed item without <link>", url=url, selector="item/link")
        title, title_raw = split_title(fields.title)
        published = None
        if fields.published:
            try:
                published = _localize(feed_date(fields.published), tz)  # RSS or Atom (FeedBurner)
            except OutOfRange:
                published = None  # readable, but no UTC value in years 1-9999: the date is unknown
            except ValueError as e:
                raise ParseError(f"bad pubDate: {e}", url=url, selector="item/pubDate") from e
        m = _P_QUERY.search(fields.guid)
        body_html = clean_body_html(fields.content)
        post = Post(
            url=fields.link,
            title=title,
            title_raw=title_raw,
            body_html=body_html,
            body_text=html_to_text(body_html),
            platform_id=m.group(1) if m else None,
            author=fields.author,
            published_at=published,
            labels=fields.labels,
            via="rss",
        )
        items.append(
            FeedItem(post=post, comments_feed=fields.comments_feed, comment_count=fields.comment_count)
        )
    return items


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
    url: str, data: bytes | str, *, default_author: str | None = None, tz: ZoneInfo | str = "Europe/London"
) -> Post:
    """A single post page → Post (the article's entry content only, chrome removed).

    `url` is the URL the page was served from (after redirects): the post URL is the page's canonical
    link when it has one, else `url`. Dates come from `datetime` attributes / `article:*_time` meta.
    Current themes (`article` + `.entry-title` + `.entry-content`) are read directly; older
    WordPress.com themes and custom themes go through the layered extractor (extract.page) with
    `read_wordpress_markup` first. A field no layer finds fails the post (ParseError).
    """
    text = _text(data)
    tree = parse_html(text, url)
    _require_single(tree, url)
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    try:
        return _fill_from_metadata(_parse_current_theme(tree, url), tree, zone, default_author)
    except ParseError:
        extracted = extract_post(text, url, "wordpress", tz=zone, tree=tree)
        return extracted.to_post(tz=zone, default_author=default_author)


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

    labels: list[str] = []
    for a in article.css("a[rel~='tag']"):
        if "category" in (a.attributes.get("rel") or "").split():
            continue
        name = text_of(a)
        if name and name not in labels:
            labels.append(name)

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
        labels=tuple(labels),
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
    if tree.css_first("ol.commentlist, ol.comment-list, ul.commentlist, ul.comment-list") is not None:
        try:
            read.comments = tuple(parse_html_comments(url, tree, tz))
        except ParseError as e:  # the post is still read; its comments are unknown
            read.warnings.append(f"comments: {e}")
    elif tree.css_first("#comments, #respond") is not None:
        read.comments = ()
    return read


register_markup("wordpress", read_wordpress_markup)


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


def parse_html_comments(
    url: str, data: bytes | str | LexborHTMLParser, tz: ZoneInfo | str = "Europe/London"
) -> list[Comment]:
    """The comment list of a single page → comments in page order, replies with `parent_id`.

    Comment ids come from `li#comment-ID` / `li#li-comment-ID`; the parent is the nearest enclosing
    comment `li`. A page without a comment list has no comments (`[]`); a comment without
    `.comment-content` is a ParseError (the template changed).
    """
    tree = parse_html(_text(data), url) if isinstance(data, bytes | str) else data
    comment_list = tree.css_first("ol.commentlist, ol.comment-list, ul.commentlist, ul.comment-list")
    if comment_list is None:
        return []
    comments = []
    for li in comment_list.css("li"):
        m = _COMMENT_ID.match(li.attributes.get("id") or "")
        if not m:
            continue
        cid = m.group(1)
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
    if content is not None:
        return (content.inner_html or "").strip()
    paragraphs = [p.html or "" for p in body.iter() if p.tag == "p"]
    if not paragraphs:
        raise ParseError("comment without text", url=url, selector=".comment-content")
    return "\n".join(paragraphs).strip()


def _comment_published(body: LexborNode, url: str, tz: ZoneInfo | str) -> datetime | None:
    """`time[datetime]`, else the printed date of older themes (`.comment-meta a`), any language."""
    time_node = body.css_first("time[datetime]")
    stamp = time_node.attributes.get("datetime") if time_node is not None else None
    if stamp:
        return _iso(url, stamp, "comment time")
    printed = body.css_first(".comment-meta a, .commentmetadata a, .comment-date, .comment-time")
    if printed is None or not text_of(printed):
        return None
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
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


def _comment_page(url: str, text: str) -> list[Comment]:
    """One `comment-page-N/` of a post: its comment list is required."""
    tree = parse_html(text, url)
    if tree.css_first(_COMMENT_LIST) is None:
        raise ParseError(
            "a comment page without a comment list: the comment list would be partial",
            url=url,
            selector=_COMMENT_LIST,
        )
    return parse_html_comments(url, tree)


def _parent_comment_id(li: LexborNode) -> str | None:
    node = li.parent
    while node is not None:
        if node.tag == "li":
            m = _COMMENT_ID.match(node.attributes.get("id") or "")
            if m:
                return m.group(1)
        node = node.parent
    return None


# -- the source ---------------------------------------------------------------------------------


class PathAbsent(Exception):
    """The first request of a path said the site does not offer it (see the module docstring)."""


class WordPressSourceConfig(SourceConfig):
    """`type: wordpress`: the common keys, plus which archive to read and which path to use."""

    type: Literal["wordpress"]
    tag: str | None = None  # tag slug whose posts are read
    category: str | None = None  # category slug
    author_slug: str | None = None  # author archive (/author/SLUG/)
    # `json` and `feed` are the Blogger names of `rest` and `rss` (VIA_ALIASES).
    via: Literal["auto", "rest", "rss", "html", "json", "feed"] = "auto"


@register("wordpress", options=WordPressSourceConfig)
class WordPressSource(Source):
    """A WordPress site's tag/category/author listing, by REST, RSS or HTML (see module docstring)."""

    config: WordPressSourceConfig

    # None: `posts?tags=ID` as is (WordPress's default 10 per page), then `&page=K`.
    rest_per_page: int | None = None
    PATHS: ClassVar[tuple[str, ...]] = ("rest", "rss", "html")

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx)
        self.tz = ZoneInfo(self.config.timezone)
        self._authors: dict[int, str] = {}
        self.path_used: str | None = None

    # -- URLs -------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return urljoin(self.config.url, path)

    def _scope(self) -> tuple[str, str] | None:
        """(archive prefix, slug): ('tag', x), ('category', x), ('author', x) or None for the site."""
        if self.config.tag:
            return "tag", self.config.tag
        if self.config.category:
            return "category", self.config.category
        if self.config.author_slug:
            return "author", self.config.author_slug
        return None

    def archive_url(self) -> str:
        scope = self._scope()
        return self._url(f"{scope[0]}/{quote(scope[1], safe='')}/") if scope else self.config.url

    def feed_url(self) -> str:
        return urljoin(self.archive_url(), "feed/")

    # -- discovery --------------------------------------------------------------------------
    async def discover(self) -> Listing:
        if self.config.via != "auto":
            path = VIA_ALIASES.get(self.config.via, self.config.via)
            return await self._discover_by(path, fallback=False)
        for path in self.PATHS:
            try:
                return await self._discover_by(path, fallback=path != self.PATHS[-1])
            except PathAbsent:
                continue
        raise AssertionError("unreachable: the html path never reports itself absent")

    async def _discover_by(self, path: str, *, fallback: bool) -> Listing:
        self.path_used = path
        if path == "rest":
            return await self._discover_rest(fallback)
        if path == "rss":
            return await self._discover_rss(fallback)
        return await self._discover_html()

    async def _first(self, url: str, absent: frozenset[int], fallback: bool) -> Response:
        try:
            return await self.fetcher.get(url, probe=fallback)
        except FetchError as e:
            if fallback and e.status in absent:
                raise PathAbsent(url) from e
            raise

    async def _discover_changes(self) -> Listing | None:
        """An incremental poll when the cursor says the site answers change queries, else None."""
        cursor, now = self.ctx.cursor, self.ctx.now or datetime.now(UTC)
        if not self.config.incremental or "query" not in cursor:
            return None
        if cursor.get("mode") == "legacy" and not legacy_due(cursor, now, self.config.sweep_period):
            return None
        self._authors.update({int(k): v for k, v in (cursor.get("authors") or {}).items()})
        try:
            return await WordPressPoll(self, str(cursor["query"])).run()
        except Unsupported:
            self.next_cursor = {**cursor, "mode": "legacy", "probed_at": iso(now)}
            return None

    def parse_posts(self, response: Response) -> list[tuple[Post, int | None]]:
        return parse_rest_posts(response.final_url, response.text)

    def parse_comments(self, response: Response) -> list[Comment]:
        return parse_rest_comments(response.final_url, response.text)

    def _legacy_cursor(self, query: str, listing: Listing, cut: bool, counted: bool) -> None:
        """After a full REST read: the watermarks an incremental poll starts from, and where a
        backfill cut by max_pages or backfill_batch continues."""
        cursor = dict(self.next_cursor or self.ctx.cursor)
        if counted and cursor.get("mode") != "legacy":
            cursor["mode"] = "incremental"
        posts = [lp.post for lp in listing.posts if lp.post is not None]
        cursor.update(query=query, authors={str(k): v for k, v in sorted(self._authors.items())})
        now = self.ctx.now or datetime.now(UTC)
        warning = after_full_read(cursor, posts, now=now, cut=cut)
        if warning:
            self.warnings.append(warning)
        self.next_cursor = cursor

    async def _discover_rest(self, fallback: bool) -> Listing:
        changes = await self._discover_changes()
        if changes is not None:
            return changes
        scope = self._scope()
        query = ""
        if scope is not None:
            kind, slug = scope
            endpoint, param = {"tag": ("tags", "tags"), "category": ("categories", "categories")}.get(
                kind, ("users", "author")
            )
            lookup = self._url(f"wp-json/wp/v2/{endpoint}?slug={quote(slug, safe='')}")
            response = await self._first(lookup, REST_ABSENT, fallback)
            query = f"{param}={parse_rest_term_id(response.final_url, response.text)}"
            fallback = False  # REST answered: from here on a 404 is a failure, not an absence
        listing = Listing()
        page, total, cut, counted = 1, 1, False, False
        batch = self.config.backfill_batch if self.config.incremental else None
        while page <= total:
            full = batch is not None and (len(listing.posts) >= batch or self.ctx.backfill_out_of_time())
            if page > self.config.max_pages or (full and bool(listing.posts)):
                listing.exhausted, cut = False, True  # the rest next poll, from backfill_before
                break
            url = self._rest_posts_url(query, page)
            try:
                if page == 1:
                    response = await self._first(url, REST_ABSENT, fallback)
                else:
                    response = await self.fetcher.get(url)
                skipped: list[ParseError] = []
                rows = parse_rest_posts(response.final_url, response.text, skipped=skipped)
            except (FetchError, ParseError) as e:
                if page == 1:
                    raise
                listing.complete = listing.exhausted = False
                self.record(e)
                break
            for error in skipped:  # a post that failed alone: listed (never missing), not read
                self.record(error)
                if error.url != response.final_url:
                    listing.unread.append(error.url)
            total = _total_pages(response)
            counted = counted or "x-wp-total" in response.headers
            for post, author_id in rows:
                listing.posts.append(await self._rest_listed(post, author_id))
            page += 1
        self._legacy_cursor(query, listing, cut, counted)
        return listing

    def _rest_posts_url(self, query: str, page: int) -> str:
        params = [query] if query else []
        if self.rest_per_page is not None:
            params += [f"per_page={self.rest_per_page}", f"page={page}"]
        elif page > 1:
            params.append(f"page={page}")
        return self._url("wp-json/wp/v2/posts" + ("?" + "&".join(params) if params else ""))

    async def _rest_listed(self, post: Post, author_id: int | None) -> ListedPost:
        author = await self._author_name(author_id) if author_id is not None else None
        post = replace(post, author=author or self.config.author)
        comments_url = self._url(f"wp-json/wp/v2/comments?post={post.platform_id}")
        return ListedPost(url=post.url, post=post, comments_url=comments_url, platform_id=post.platform_id)

    async def _author_name(self, author_id: int) -> str | None:
        """users/ID once per poll; a failure is recorded and the configured author used instead."""
        if author_id not in self._authors:
            url = self._url(f"wp-json/wp/v2/users/{author_id}")
            try:
                response = await self.fetcher.get(url)
                self._authors[author_id] = parse_rest_user_name(response.final_url, response.text)
            except (FetchError, ParseError) as e:
                if not (isinstance(e, FetchError) and e.status in REST_ABSENT):
                    self.record(e)
                return None
        return self._authors[author_id]

    async def _discover_rss(self, fallback: bool) -> Listing:
        response = await self._first(self.feed_url(), FEED_ABSENT, fallback)
        items = parse_rss(response.final_url, response.text, tz=self.tz)
        listing = Listing()
        for item in items:
            post = item.post if item.post.author else replace(item.post, author=self.config.author)
            listing.posts.append(
                ListedPost(
                    url=post.url,
                    post=post,
                    comments_url=post.url,  # comments are read from the post's page, see docstring
                    comment_count=item.comment_count,
                    platform_id=post.platform_id,
                )
            )
        # A WordPress feed shows only the latest N posts: older ones are not evidence of absence.
        listing.exhausted = False
        return listing

    async def _discover_html(self) -> Listing:
        listing = Listing()
        url: str | None = self.archive_url()
        seen: set[str] = set()
        pages = 0
        while url and url not in seen:
            if pages >= self.config.max_pages:
                listing.exhausted = False
                break
            seen.add(url)
            try:
                response = await self.fetcher.get(url)
                page = parse_archive_page(response.final_url, response.text)
            except (FetchError, ParseError) as e:
                if pages == 0:
                    raise
                listing.complete = listing.exhausted = False
                self.record(e)
                break
            pages += 1
            known = {lp.url for lp in listing.posts}
            for permalink, post_id in page.urls:
                if permalink not in known:
                    listing.posts.append(ListedPost(url=permalink, platform_id=post_id))
            url = page.next_url
        return listing

    # -- posts and comments -----------------------------------------------------------------
    async def fetch_post(self, url: str) -> PostObservation:
        """Read a post's single page: the post and, when wanted, the comments printed under it."""
        response = await self.fetcher.get(url)
        post = parse_single_page(response.final_url, response.text, default_author=self.config.author)
        comments: tuple[Comment, ...] | None = None
        if self.ctx.wants_comments(post):
            try:
                comments = await self._page_comments(response)
            except (FetchError, ParseError) as e:
                self.record(e)  # the post is still read; its comments are unknown (None)
        return PostObservation(url, Outcome.FETCHED, post=post, comments=comments)

    async def _page_comments(self, response: Response) -> tuple[Comment, ...]:
        """Comments printed on a post page, plus every other comment page of the post when WordPress
        splits them (`follow_comment_pages`)."""
        tree = parse_html(response.text, response.final_url)
        comments = list({c.platform_id: c for c in parse_html_comments(response.final_url, tree)}.values())
        return await follow_comment_pages(self.fetcher, response.final_url, tree, comments, _comment_page)

    async def fetch_comments(self, listed: ListedPost, post: Post) -> tuple[Comment, ...] | None:
        """REST: the comments endpoint (all pages). RSS: the post's own page."""
        if listed.comments_url and "/wp-json/" in listed.comments_url:
            return tuple(await self._rest_comments(listed.comments_url))
        response = await self.fetcher.get(listed.comments_url or post.url)
        return await self._page_comments(response)

    async def _rest_comments(self, url: str) -> list[Comment]:
        response = await self.fetcher.get(url)
        comments = parse_rest_comments(response.final_url, response.text)
        total = _total_pages(response)
        if total > 1:
            rest = await asyncio.gather(
                *(self.fetcher.get(f"{url}&page={page}") for page in range(2, total + 1))
            )
            for r in rest:
                comments += parse_rest_comments(r.final_url, r.text)
        return sorted(comments, key=lambda c: (c.published_at is None, c.published_at, _int(c.platform_id)))
