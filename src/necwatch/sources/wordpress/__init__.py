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

Package layout: `common` (helpers), `api` (REST), `feed` (RSS), `pages` (archive and single pages,
the markup reader), `comments` (a post page's comment lists), `incremental` (how the REST change
queries are asked; the poll itself is sources/polling.py), `source` (the adapter); this module
registers the platform.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from necwatch.errors import ParseError
from necwatch.extract.select import parse_html
from necwatch.models import Comment, Post
from necwatch.sources.registry import (
    Detected,
    PageFacts,
    Platform,
    Probe,
    is_feed,
    origin_of,
    register_platform,
)
from necwatch.sources.wordpress.api import (
    parse_rest_comments,
    parse_rest_post,
    parse_rest_posts,
    parse_rest_term_id,
    parse_rest_user_name,
    rest_datetime,
)
from necwatch.sources.wordpress.comments import (
    comment_page_urls,
    follow_comment_pages,
    page_comments,
    parse_html_comments,
    post_of_comment_page,
)
from necwatch.sources.wordpress.common import (
    CHROME_SELECTORS,
    MAX_COMMENT_PAGES,
    VIA_ALIASES,
    clean_body_html,
    fragment_text_raw,
    split_title,
)
from necwatch.sources.wordpress.feed import FeedItem, parse_rss
from necwatch.sources.wordpress.pages import (
    ArchivePage,
    parse_archive_page,
    parse_single_page,
    read_wordpress_markup,
)
from necwatch.sources.wordpress.source import WordPressSource, WordPressSourceConfig

__all__ = [
    "CHROME_SELECTORS",
    "MAX_COMMENT_PAGES",
    "PLATFORM",
    "VIA_ALIASES",
    "ArchivePage",
    "FeedItem",
    "WordPressSource",
    "WordPressSourceConfig",
    "clean_body_html",
    "comment_page_urls",
    "follow_comment_pages",
    "fragment_text_raw",
    "page_comments",
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
    "read_wordpress_markup",
    "rest_datetime",
    "split_title",
]


# -- the platform ---------------------------------------------------------------------------------

_ARCHIVE_PATH = re.compile(r"^/(tag|category|author)/([^/]+)/?")
_ARCHIVE_OPTION = {"tag": "tag", "category": "category", "author": "author_slug"}


def url_options(url: str) -> dict[str, str]:
    """An archive URL reads that archive: `/tag/nec/` → {"tag": "nec"} (category, author_slug)."""
    m = _ARCHIVE_PATH.match(urlsplit(url).path)
    return {_ARCHIVE_OPTION[m.group(1)]: m.group(2)} if m else {}


def detect(facts: PageFacts) -> Detected | None:
    """A WordPress generator meta, a `Link: <…/wp-json/>` header or `<link rel="https://api.w.org/">`;
    the adapter starts at the REST base the page names (a site in a subdirectory keeps it)."""
    if is_feed(facts):
        return None
    api = facts.tree.css_first('link[rel="https://api.w.org/"]')
    api_href = api.attributes.get("href") if api is not None else None
    evidence = [
        *([f"generator meta: {facts.generator}"] if facts.generator.lower().startswith("wordpress") else []),
        *(["Link header to /wp-json/"] if "wp-json" in facts.headers.get("link", "") else []),
        *([f'<link rel="https://api.w.org/"> {api_href}'] if api_href else []),
    ]
    if not evidence:
        return None
    base = urljoin(facts.url, api_href).split("wp-json", 1)[0] if api_href else origin_of(facts.url)
    return Detected(base, tuple(evidence), url_options(facts.url))


def marks(facts: PageFacts) -> bool:
    """WordPress's asset paths in the page, or a wordpress.com host."""
    return (
        "/wp-content/" in facts.text or "/wp-includes/" in facts.text or facts.host.endswith(".wordpress.com")
    )


def _read_single(url: str, text: str, tz: ZoneInfo) -> tuple[Post, tuple[Comment, ...] | None]:
    """The post as `fetch_post` reads it, with the comments printed on the page."""
    tree = parse_html(text, url)
    try:
        comments: tuple[Comment, ...] | None = page_comments(tree, url, tz)
    except ParseError:  # a comment it cannot read: the post is still read, its comments unknown
        comments = None
    return parse_single_page(url, text, tz=tz, tree=tree), comments


# A post's permalink in WordPress's permalink structures (Settings → Permalinks): Day and name
# `/2024/01/15/slug/`, Month and name `/2024/01/slug/`, Numeric `/archives/123`, Plain `/?p=123`;
# behind `/index.php` (PATHINFO permalinks) or one folder (an install in `/blog/`). Post name
# `/slug/` alone is every page's shape, so it is not a post pattern. A day archive (`/2024/01/15/`)
# and a dated path's feed, page or embed view are not posts.
POST_URL = re.compile(
    r"^(?:/[a-z0-9_-]{1,40})?(?:/index\.php)?"
    r"(?:/(?:19|20)\d\d/[01]\d(?:/[0-3]\d)?/(?![0-3]?\d/?$)(?!(?:feed|page|embed|amp|trackback)/?$)"
    r"[^/?#]{1,300}/?|/archives/\d{1,12}/?|/?\?p=\d{1,12})$"
)

# Its feeds: `/feed/` after the site, a tag, a category or an author (a post's is its comment feed),
# and Plain permalinks' `/?feed=rss2` (`rss`, `atom`), paged with `&paged=N`; never a comment page's
# or the comments' feed.
FEED_URL = re.compile(
    r"^(?![^?]{0,2000}(?:comment-page-|/comments/feed/?$))"
    r"(?:[^?]{0,2000}/feed/?|/\?(?:[^&#]{0,200}&){0,5}feed=(?:rss2|rss|atom)(?:&[^#]{0,500})?)$"
)
# Comment feeds: the site's `/comments/feed/` (behind one or two folders), and a post's, its permalink
# then `feed/`.
COMMENT_FEED_URL = re.compile(r"^/(?:[^/?]{1,200}/){0,2}comments/feed/?$|^(?P<post>[^?]{1,1000}?/)feed/?$")
# Tag and category archives (`/tag/x/`, `/category/x/page/2/`) show posts whole in most themes.
LISTING_URL = re.compile(r"^/(?:tag|category)/[^/]{1,200}/(?:page/\d{1,6}/?)?$")
# Never posts: the REST API, admin, theme and upload folders, comment pages, trackbacks, attachment
# pages, the log-in page and XML-RPC.
NOT_POST = re.compile(
    r"(?:^|/)(?:wp-json|wp-admin|wp-content|wp-includes|comment-page-\d{1,12}|trackback|attachment)(?:/|$)"
    r"|wp-login\.php|xmlrpc\.php"
)
# Paged comments: `/<post>/comment-page-2/`.
COMMENT_PAGE = re.compile(r"comment-page-\d{1,6}/?$")


PLATFORM = register_platform(
    Platform(
        name="wordpress",
        summary="WordPress.com and self-hosted WordPress: REST API, then RSS, then the HTML archive",
        source=WordPressSource,
        detect=detect,
        probes=(Probe("wp-json/", lambda r: '"namespaces"' in r.text[:4096], "{url} answers"),),
        read_page=read_wordpress_markup,
        post_url=POST_URL,
        feed_paths=("feed/",),
        feed_url=FEED_URL,
        comment_feed_url=COMMENT_FEED_URL,
        listing_url=LISTING_URL,
        not_post=NOT_POST,
        comment_page=COMMENT_PAGE,
        excerpt_mark=".more-link",  # the_content's "Continue reading" link
        methods=("wordpress",),
        order=30,
        url_options=url_options,
        marks=marks,
        comments="WordPress REST comments?post=ID, else the post page's comment list",
        read_single=_read_single,
    )
)
