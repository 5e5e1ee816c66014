"""Is a fetched capture a version of the post? The same classification as a live page, then what
only an archive can serve: an archive redirect to another URL, a log-in wall, another page.

A capture is a version only when it is a 200 HTML page of the URL asked for, not a soft error
(fetch/classify.not_the_post: bot checks, suspended or removed blogs, parked domains, maintenance),
not a log-in wall, and one the same layers as a live page (extract.page.extract_post) read as a post
whose canonical URL, when it gives one, is the same post. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser

from necwatch.errors import ParseError
from necwatch.extract.page import extract_post
from necwatch.extract.select import parse_html
from necwatch.fetch.classify import not_the_post
from necwatch.models import Comment, Post
from necwatch.webarchive.pick import site_key

__all__ = ["Judged", "judge", "login_wall", "other_page", "same_post"]

_LOGIN_TITLE = re.compile(rb"<title[^>]*>\s*(?:log ?in|sign ?in)\b", re.IGNORECASE)
_PASSWORD = re.compile(rb"<input[^>]{0,300}type=[\"']?password", re.IGNORECASE)
_LOGIN_FORM = re.compile(
    rb"wp-login\.php|id=[\"']?loginform|accounts\.google\.com/ServiceLogin", re.IGNORECASE
)
_SMALL = 40_000


@dataclass(frozen=True)
class Judged:
    post: Post | None  # set when the capture is a version
    reason: str | None  # why not, when it is not
    # the comments the captured page prints, read by the platform's own page reader (None: the page
    # shows no comment list, or its comments are unknown); a page shows only some (its first page)
    comments: tuple[Comment, ...] | None = None

    @property
    def is_version(self) -> bool:
        return self.post is not None


def login_wall(body: bytes) -> bool:
    """A log-in page instead of the post (a private blog, a members' area): a password field with a
    log-in title or form, on a small page (a post that mentions logging in is long and has no form)."""
    head = body[:65536]
    if not _PASSWORD.search(head):
        return False
    return len(body) < _SMALL and bool(_LOGIN_TITLE.search(head) or _LOGIN_FORM.search(head))


def same_post(a: str, b: str) -> bool:
    """Two URLs of one post: same site (any scheme, `www.` or not), same path (a trailing slash and
    case aside), same `?p=` if any."""
    pa, pb = urlsplit(a), urlsplit(b)
    if site_key(a) != site_key(b):
        return False
    return pa.path.rstrip("/").lower() == pb.path.rstrip("/").lower() and pa.query == pb.query


def judge(
    original: str,
    status: int,
    final_original: str | None,
    content_type: str,
    body: bytes,
    *,
    tz: ZoneInfo,
    default_author: str | None,
    platform: str | None = None,
) -> Judged:
    """`final_original`: the original URL of the capture the archive finally served (after its own
    redirects), None when unknown. `platform`: the source's platform when it is known (a live
    source's `type`), whose page reader reads the comments when the page's own markup did not say."""
    if status != 200:
        kind = "redirect" if 300 <= status < 400 else f"http_{status}"
        return Judged(None, kind)
    if final_original is not None and not same_post(final_original, original):
        return Judged(None, f"redirect: the archive served {final_original}")
    if "html" not in content_type.lower():
        return Judged(None, f"not a page: {content_type or 'no content type'}")
    soft = not_the_post(body)
    if soft is not None:
        return Judged(None, f"{soft[0]}: {soft[1]}")
    if login_wall(body):
        return Judged(None, "login: a log-in page, not the post")
    text = body.decode("utf-8", "replace")
    try:
        tree = parse_html(text, original)
        other = other_page(tree, original)
        if other is not None:
            return Judged(None, f"different page: {other}")
        extracted = extract_post(text, original, None, tz=tz, tree=tree)
        post = extracted.to_post(tz=tz, default_author=default_author)
    except ParseError as e:
        return Judged(None, f"not a post: {e}")
    if extracted.url and not same_post(extracted.url, original):
        return Judged(None, f"different page: its canonical URL is {extracted.url}")
    comments = extracted.comments
    if comments is None and platform and platform != extracted.platform:
        comments = page_comments(tree, original, tz, platform)
    return Judged(_at(post, original), None, comments)


def page_comments(
    tree: LexborHTMLParser, url: str, tz: ZoneInfo, platform: str
) -> tuple[Comment, ...] | None:
    """The comments a captured page prints, read by `platform`'s own page reader (the registry's
    `read_page`: WordPress's comment list, Blogger's classic block or threaded list); None when the
    platform has no page reader or the page no comment list."""
    from necwatch.sources.registry import PLATFORMS

    entry = PLATFORMS.get(platform)
    if entry is None or entry.read_page is None:
        return None
    try:
        return entry.read_page(tree, url, tz).comments
    except ParseError:
        return None  # the page is a version by the other layers; its comments are unknown


# Permalinks a page prints for each post it shows: a post page shows one, a listing several.
_PERMALINKS = 'a[rel="bookmark"], a.timestamp-link, a[title="permanent link"]'


def other_page(tree: LexborHTMLParser, original: str) -> str | None:
    """Why the page is not the post at `original` (None: nothing says so): the URL the page claims
    for itself (canonical link, og:url) is another page's, or it is a listing (several posts'
    permalinks)."""
    for selector, name in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        claimed = (node.attributes.get(name) or "").strip() if node is not None else ""
        if claimed.startswith(("http://", "https://")) and not same_post(claimed, original):
            return f"the page says it is {claimed[:200]}"
    links = {(a.attributes.get("href") or "").strip() for a in tree.css(_PERMALINKS)}
    links.discard("")
    if len(links) > 1:
        return f"a listing ({len(links)} posts' permalinks)"
    return None


def _at(post: Post, url: str) -> Post:
    """The post under the URL the archive captured (its canonical URL may say http or www.)."""
    from dataclasses import replace

    return replace(post, url=url, via="archive")
