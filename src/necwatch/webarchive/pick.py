"""Which listed URLs are post pages, posts feeds, comment feeds and listing pages. The platforms' own
URL shapes come from the registry (`Platform.post_url`, `feed_url`, `comment_feed_url`,
`listing_url`, `not_post`, `comment_page` in sources/registry.py), composed into a site's `Shapes`;
only platform-free shapes live here: a dated path with a slug, assets, the home page and its
`/page/N`, date archives, and the words of blog URLs that are never posts. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

__all__ = [
    "Shapes",
    "comment_post_url",
    "is_comment_feed_url",
    "is_feed_url",
    "is_listing_url",
    "is_post_url",
    "platform_patterns",
    "site_key",
    "site_shapes",
]

# a date then a slug, behind two folders at most: /2019/01/30/slug/, /2011/11/slug.html, /blog/2013/06/slug/
_DATED = re.compile(r"^/(?:[a-z0-9_-]{1,40}/){0,2}(?:19|20)\d\d/[01]\d/(?:[0-3]\d/)?[^/]{3,300}/?$")
# the words of blog URLs that name a listing, a feed, a search or another view, never a post
_NOT_POST = re.compile(r"(?:^|/)(?:tag|category|author|page|feed|search|amp)(?:/|$)|robots\.txt$")
_ASSET = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|pdf|xml|json|txt|zip|mp3|mp4)$")
# the home page and its pages, and date archives (/2018/, /2018/04/, /2018/04/page/2/)
_LISTING = re.compile(r"^/(?:page/\d{1,6}/?)?$|^/(?:19|20)\d\d/(?:[01]\d/)?(?:page/\d{1,6}/?)?$")

Patterns = tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Shapes:
    """A site's URL shapes from the registry (`site_shapes`): each kind is the source's own
    platform's when it has one, else every platform's; `not_post` is always every platform's, since
    refusing another platform's API or admin path costs a site nothing."""

    post: Patterns = ()
    feed: Patterns = ()
    comment_feed: Patterns = ()
    listing: Patterns = ()
    not_post: Patterns = ()
    comment_page: Patterns = ()


def site_key(url: str) -> str:
    """host without `www.`, lower case: two URLs of one site have the same key, whatever the scheme."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def site_shapes(name: str | None = None) -> Shapes:
    """The shapes to sort a site's captured URLs by. When the source's platform is known (`name`: a
    registered platform) each kind is its own when it has one: another platform's post shape
    (Substack's `/p/slug`, Medium's `slug-hexid`) on this site is a page, not a post. Else (an
    `archive` source, or a platform without that kind: Ghost, feed, html) every platform's, in
    detection order."""
    from necwatch.sources.registry import PLATFORMS, platforms

    every = platforms()
    known = PLATFORMS.get(name) if name else None

    def kind(field: str) -> Patterns:
        own = getattr(known, field, None) if known is not None else None
        if own is not None:
            return (own,)
        return tuple(p for p in (getattr(e, field) for e in every) if p is not None)

    return Shapes(
        post=kind("post_url"),
        feed=kind("feed_url"),
        comment_feed=kind("comment_feed_url"),
        listing=kind("listing_url"),
        not_post=tuple(e.not_post for e in every if e.not_post is not None),
        comment_page=kind("comment_page"),
    )


def platform_patterns(name: str | None = None) -> Patterns:
    """The post_url patterns to pick a site's post pages with (`site_shapes(name).post`)."""
    return site_shapes(name).post


def _shapes(shapes: Shapes | Patterns | None) -> Shapes:
    """`shapes` as given; None: every platform's; a tuple: those post patterns, with every
    platform's other shapes."""
    if isinstance(shapes, Shapes):
        return shapes
    every = site_shapes()
    return every if shapes is None else replace(every, post=shapes)


def _target(path: str, query: str) -> str:
    """What a platform's pattern is matched against: the path, with `?query` when there is one."""
    return f"{path}?{query}" if query else path


def is_post_url(url: str, shapes: Shapes | Patterns | None = None) -> bool:
    """Whether `url` (as the archive captured it) is a post's permalink. `shapes`: the site's (a
    tuple: post patterns, with every platform's refusals; None: every platform's). A post pattern
    matching the path, with `?query` when it has one (a platform's post URL with a query, such as
    WordPress's `/?p=N`, is its pattern's), makes a post; else a query-less dated slug path. A
    listing, feed, API, log-in page or asset is never a post, whatever a pattern says, nor another
    view of a page (`?showComment=`, `?share=`, `?replytocom=`: no pattern takes their query)."""
    s = _shapes(shapes)
    parts = urlsplit(url)
    path = parts.path or "/"
    lower = path.lower()
    if _NOT_POST.search(lower) or _ASSET.search(lower) or any(p.search(lower) for p in s.not_post):
        return False
    if any(p.search(_target(path, parts.query)) for p in s.post):
        return True
    return not parts.query and bool(_DATED.match(path))


def is_feed_url(url: str, shapes: Shapes | Patterns | None = None) -> bool:
    """Whether `url` is a posts feed (a platform's `feed_url`) whose captures may hold posts the
    archive has no page of; never a comment feed."""
    s = _shapes(shapes)
    parts = urlsplit(url)
    if is_comment_feed_url(url, s):
        return False
    target = _target(parts.path or "/", parts.query)
    return any(p.search(target) for p in s.feed)


def is_comment_feed_url(url: str, shapes: Shapes | Patterns | None = None) -> bool:
    """Whether `url` is a comment feed (a platform's `comment_feed_url`): the site's, or a post's
    own, whose `post` group must then be a post's URL."""
    s = _shapes(shapes)
    parts = urlsplit(url)
    target = _target(parts.path or "/", parts.query)
    for pattern in s.comment_feed:
        m = pattern.search(target)
        if m is None:
            continue
        post = m.groupdict().get("post")
        if post is None or is_post_url(f"{parts.scheme}://{parts.netloc}{post}", s):
            return True
    return False


def comment_post_url(link: str, shapes: Shapes | Patterns | None = None) -> str | None:
    """The post a comment's own link belongs to: the link without its query (`?showComment=`), its
    fragment (`#comment-12`, `#c123`) and a platform's page of comments (`comment_page`); None when
    there is no link."""
    parts = urlsplit(link)
    if not parts.scheme or not parts.netloc:
        return None
    path = parts.path or "/"
    for pattern in _shapes(shapes).comment_page:
        path = pattern.sub("", path)
    return f"{parts.scheme}://{parts.netloc}{path}"


def is_listing_url(url: str, shapes: Shapes | Patterns | None = None) -> bool:
    """Whether `url` is a listing page whose captures may hold posts the archive has no page of: the
    home page and its pages, date archives, and a platform's `listing_url` (tag, category, label)."""
    parts = urlsplit(url)
    if parts.query:
        return False
    path = parts.path or "/"
    return bool(_LISTING.match(path)) or any(p.search(path) for p in _shapes(shapes).listing)
