"""Which listed URLs are post pages: the platforms' own permalink patterns (`Platform.post_url` in
the registry, sources/registry.py), else a heuristic that knows the permalink shapes of blogs
(a dated path with a slug, WordPress's `?p=N`, Blogger's `/YYYY/MM/slug.html`) and refuses the
pages that are never posts (listings, feeds, APIs, log-in pages, assets). Pure."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "comment_post_url",
    "is_comment_feed_url",
    "is_feed_url",
    "is_listing_url",
    "is_post_url",
    "platform_patterns",
    "site_key",
]

# a date then a slug: /2019/01/30/slug/ (WordPress), /2011/11/slug.html (Blogger), /2013/06/slug/
_DATED = re.compile(r"^/(?:[a-z0-9_-]{1,40}/){0,2}(?:19|20)\d\d/[01]\d/(?:[0-3]\d/)?[^/]{3,300}/?$")
_NOT_POST = re.compile(
    r"(?:^|/)(?:tag|category|author|page|feed|feeds|wp-json|wp-admin|wp-content|wp-includes|search|"
    r"comment-page-\d+|trackback|attachment|amp)(?:/|$)|wp-login\.php|xmlrpc\.php|_archive\.html$|robots\.txt$"
)
_ASSET = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|pdf|xml|json|txt|zip|mp3|mp4)$")


def site_key(url: str) -> str:
    """host without `www.`, lower case: two URLs of one site have the same key, whatever the scheme."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def is_post_url(url: str, patterns: tuple[re.Pattern[str], ...] = ()) -> bool:
    """Whether `url` (as the archive captured it) is a post's permalink. `patterns`: the platforms'
    post_url patterns, matched against the path (with `?query` when it has one, and the only query
    a post URL may have is `?p=N`); any match is a post. Else the heuristic. A listing, feed, API,
    log-in page or asset is never a post, whatever a pattern says."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if _NOT_POST.search(path.lower()) or _ASSET.search(path.lower()):
        return False
    query = dict(parse_qsl(parts.query))
    if set(query) - {"p"} or (query and not query.get("p", "").isdigit()):
        return False  # ?showComment=…, ?share=…, ?replytocom=…: another view of a page
    target = f"{path}?{parts.query}" if parts.query else path  # `?p=N` is WordPress's plain permalink
    if any(p.search(target) for p in patterns):
        return True
    if query.get("p", "").isdigit() and path in ("", "/"):
        return True
    return bool(_DATED.match(path))


def platform_patterns(name: str | None = None) -> tuple[re.Pattern[str], ...]:
    """The post_url patterns to pick a site's post pages with. When the source's platform is known
    (`name`: a registered platform with a pattern) its own pattern alone: another platform's shape
    (Substack's `/p/slug`, Medium's `slug-hexid`) on this site is a page, not a post. Else (an
    `archive` source, or a platform without a pattern: Ghost, feed, html) every platform's pattern,
    in detection order. The heuristic of `is_post_url` applies either way."""
    from necwatch.sources.registry import PLATFORMS, platforms

    known = PLATFORMS.get(name) if name else None
    if known is not None and known.post_url is not None:
        return (known.post_url,)
    return tuple(p.post_url for p in platforms() if p.post_url is not None)


# A site's or a label's posts feed (WordPress /feed/, /tag/x/feed/, ?feed=rss2; Blogger
# /feeds/posts/default[/-/LABEL], atom.xml, rss.xml), never a comment feed.
_FEED = re.compile(
    r"(?:^|/)feed/?$|^/feeds/posts/(?:default|full)(?:/-/[^/]{1,200})?/?$|/(?:atom|rss2?)\.xml$"
)
_COMMENT_FEED = re.compile(r"/comments/feed/?$|^/feeds/\d+/comments/|(?:^|/)comment-page-")


def is_feed_url(url: str) -> bool:
    """Whether `url` is a posts feed whose captures may hold posts the archive has no page of."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if _COMMENT_FEED.search(path) or is_comment_feed_url(url):
        return False
    if dict(parse_qsl(parts.query)).get("feed") in ("rss2", "rss", "atom") and path in ("", "/"):
        return True
    return not parts.query and bool(_FEED.search(path))


# Comment feeds: a post's (WordPress /<post>/feed/, Blogger /feeds/<postid>/comments/default) or the
# site's (WordPress /comments/feed/, Blogger /feeds/comments/default).
_SITE_COMMENTS = re.compile(r"^/(?:[^/]{1,200}/){0,2}comments/feed/?$|^/feeds/comments/(?:default|full)/?$")
_BLOGGER_COMMENTS = re.compile(r"^/feeds/\d{1,30}/comments/(?:default|full)/?$")
_POST_FEED = re.compile(r"^(.{1,1000}?/)feed/?$")
_COMMENT_PAGE = re.compile(r"comment-page-\d{1,6}/?$")


def is_comment_feed_url(url: str, patterns: tuple[re.Pattern[str], ...] = ()) -> bool:
    """Whether `url` is a comment feed: a post's own (its permalink then `feed/`, Blogger's
    `/feeds/<postid>/comments/default`) or the site's (`/comments/feed/`, `/feeds/comments/default`)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query and dict(parse_qsl(parts.query)).keys() - {"alt", "max-results", "start-index"}:
        return False
    if _SITE_COMMENTS.match(path) or _BLOGGER_COMMENTS.match(path):
        return True
    m = _POST_FEED.match(path)
    return bool(m) and is_post_url(f"{parts.scheme}://{parts.netloc}{m.group(1)}", patterns)  # type: ignore[union-attr]


def comment_post_url(link: str) -> str | None:
    """The post a comment's own link belongs to: the link without its query (`?showComment=`), its
    fragment (`#comment-12`, `#c123`) and a trailing `comment-page-N/`; None when there is no link."""
    parts = urlsplit(link)
    if not parts.scheme or not parts.netloc:
        return None
    path = _COMMENT_PAGE.sub("", parts.path or "/")
    return f"{parts.scheme}://{parts.netloc}{path}"


# Listing pages that show posts whole or as excerpts: the home page and its pages, tag, category
# and label pages (WordPress /tag/x/, /category/x/page/2/; Blogger /search/label/X), date archives.
_LISTING = re.compile(
    r"^/(?:page/\d{1,6}/?)?$|^/(?:tag|category|label)/[^/]{1,200}/(?:page/\d{1,6}/?)?$"
    r"|^/search/label/[^/]{1,200}/?$|^/(?:19|20)\d\d/(?:[01]\d/)?(?:page/\d{1,6}/?)?$"
)


def is_listing_url(url: str) -> bool:
    """Whether `url` is a listing page whose captures may hold posts the archive has no page of."""
    parts = urlsplit(url)
    return not parts.query and bool(_LISTING.match(parts.path or "/"))
