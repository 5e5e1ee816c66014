"""The one list of platforms: what each knows how to detect, read and poll.

Every consumer (auto detection, `inspect`, `add`, `status`, the CLI's `--type` choices, the
extraction-method lists, the archive source's choice of post pages) reads `PLATFORMS` instead of
naming platforms itself. A platform is one package (or small module) under `necwatch.sources` that
builds a `Platform` and calls `register_platform` when imported; `necwatch.sources.__init__` imports it.

The descriptor holds plain functions and data, so a contract test can walk the registry: detect the
platform on its own fixture, read a page of it, build its config model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from selectolax.lexbor import LexborHTMLParser

    from necwatch.extract.page import MarkupReader
    from necwatch.models import Comment, Post, Response
    from necwatch.sources.base import Source

# A post page as a run of the platform reads it: (url, text, tz) → (Post, its comments or None).
SingleReader = Callable[[str, str, "ZoneInfo"], "tuple[Post, tuple[Comment, ...] | None]"]
# A page showing several posts in full (Blogger's home page): (url, text, tz) → its posts, or None
# when the page is not such a listing.
ListingReader = Callable[[str, str, "ZoneInfo"], "list[Post] | None"]

__all__ = [
    "PLATFORMS",
    "Detected",
    "PageFacts",
    "Platform",
    "Probe",
    "is_feed",
    "markup_platform",
    "origin_of",
    "page_facts",
    "page_facts_of",
    "platform",
    "platform_methods",
    "platforms",
    "register_platform",
    "title_suffixes",
]


@dataclass(frozen=True)
class PageFacts:
    """One fetched page, parsed once, as every platform's `detect` sees it."""

    url: str  # the final URL (after redirects)
    text: str
    headers: Mapping[str, str]  # lower-case names
    content_type: str | None
    tree: LexborHTMLParser
    generator: str  # <meta name="generator"> content, "" when none
    feeds: tuple[str, ...]  # absolute URLs of <link rel="alternate"> feeds, in page order
    host: str  # lower-case host name


@dataclass(frozen=True)
class Detected:
    """A platform's answer to "is this page yours?": where its adapter starts (site origin, API
    base or feed URL), the options the URL implies (tag, label, ...), and the evidence `add` prints."""

    url: str
    evidence: tuple[str, ...]
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """One extra request detection may make when the page alone does not say: `path` relative to
    the site's origin, and whether the answer proves the platform."""

    path: str
    recognise: Callable[[Response], bool]
    evidence: str  # "{url} is an Atom feed" ({url} is the probed URL)


@dataclass(frozen=True)
class Platform:
    """Everything necwatch knows about one platform, in one place."""

    name: str  # the `type:` in config.yaml, and the extraction method its markup reader records
    summary: str  # one line for `--help`, `add` and the docs
    source: type[Source]  # its adapter (registered with @register; `.options` is its config model)
    detect: Callable[[PageFacts], Detected | None] | None = None  # pure: from one page
    probes: tuple[Probe, ...] = ()  # requests to try when no platform's detect answered
    read_page: MarkupReader | None = None  # tree, url, tz → MarkupRead (None: metadata + generic only)
    post_url: re.Pattern[str] | None = None  # a post's permalink path (the archive source picks these)
    feed_paths: tuple[str, ...] = ()  # where its feeds live, relative to the origin
    methods: tuple[str, ...] = ()  # extraction method names its readers and API mapping record
    order: int = 100  # detection order, lower first: specific platforms before `feed` and `html`
    # -- optional fields added by issue 21's registry part (defaults keep every platform valid) --
    # The options a listing URL of the platform implies (`/tag/nec/` → {"tag": "nec"}), for a
    # detection made by a probe or stored from an earlier poll.
    url_options: Callable[[str], Mapping[str, str]] | None = None
    # Weaker evidence than `detect` (asset URLs, hosts) that a single page is the platform's, to pick
    # its markup reader (`extract_post`); checked after every platform's `detect` said no.
    marks: Callable[[PageFacts], bool] | None = None
    comments: str = ""  # how its comments are read, one line for `add` and `check --online`
    read_single: SingleReader | None = None  # a post page as a run reads it (inspect)
    read_listing: ListingReader | None = None  # a page of full posts as a run reads it (inspect)
    # The options a minimal config entry needs besides name, type and url (the contract test and the
    # docs build one): {} for most; html needs its selectors.
    config_example: Mapping[str, object] = field(default_factory=dict)
    # a hosting platform's name that ends its publications' titles ("Post — Publication — Medium"):
    # the generic title layer drops it and the publication's name before it
    title_suffix: str | None = None
    # -- the platform's other URL shapes, by which the web archive sorts a site's captured URLs
    # (webarchive/pick.py): compiled, bounded patterns (every repetition has an upper bound), None
    # when the platform has no such shape; platform-free shapes (dated slugs, the home page and its
    # /page/N, assets) stay in pick.py --
    # a posts feed (the site's, a tag's or label's), searched in the path with `?query` appended when
    # the URL has one; never a comment feed
    feed_url: re.Pattern[str] | None = None
    # a comment feed (the site's, or a post's), matched like `feed_url`; when the pattern has a group
    # `post` that took part in the match, the URL is a post's comment feed only if that path is a post's
    comment_feed_url: re.Pattern[str] | None = None
    # a taxonomy page showing posts whole (tag, category, label), matched against a query-less path
    listing_url: re.Pattern[str] | None = None
    # pages of the platform that are never posts (API, admin, log-in, date archives), searched in the
    # lower-cased path; every platform's apply to every site
    not_post: re.Pattern[str] | None = None
    # the tail a page of a post's comments adds to the post's URL (`comment-page-2/`), cut from a
    # comment's link to find its post
    comment_page: re.Pattern[str] | None = None
    # -- its markup on a listing page, by which the web archive reads posts a captured listing shows:
    # the element holding one post (beyond the platform-free `article`, `.hentry` and `.post`), and
    # the marks of a post cut short ("Continue reading") --
    listing_post: str | None = None
    excerpt_mark: str | None = None


PLATFORMS: dict[str, Platform] = {}


def register_platform(entry: Platform) -> Platform:
    """Add a platform (at import of its package). A second platform of the same name is a bug."""
    if entry.name in PLATFORMS and PLATFORMS[entry.name] is not entry:
        raise ValueError(f"platform {entry.name!r} is registered twice")
    PLATFORMS[entry.name] = entry
    return entry


def platforms() -> list[Platform]:
    """Every platform in detection order."""
    return sorted(PLATFORMS.values(), key=lambda p: (p.order, p.name))


def platform(name: str) -> Platform:
    """The platform called `name`; KeyError naming the known ones."""
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS)) or "none"
        raise KeyError(f"unknown platform {name!r} (known: {known})") from None


def platform_methods() -> frozenset[str]:
    """The extraction methods every platform's own readers record (`posts.extraction`): a field from
    any other method came from a fallback layer."""
    return frozenset(m for p in PLATFORMS.values() for m in (p.methods or (p.name,)) if p.read_page)


def page_facts_of(
    url: str,
    text: str,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
    tree: LexborHTMLParser | None = None,
) -> PageFacts:
    """A page parsed once into what every platform's `detect` reads. ParseError for an empty or
    pathological page (extract.select.parse_html)."""
    from urllib.parse import urlsplit

    from selectolax.lexbor import LexborHTMLParser

    from necwatch.extract.feeds import feed_links_in, is_feed_document
    from necwatch.extract.select import parse_html

    if tree is None and is_feed_document(content_type or "", text):
        tree = LexborHTMLParser("<html></html>")  # a feed is not a page: nothing to parse as one
    elif tree is None:
        tree = parse_html(text, url)
    node = tree.css_first('meta[name="generator"]')
    generator = (node.attributes.get("content") or "") if node is not None else ""
    return PageFacts(
        url=url,
        text=text,
        headers=headers or {},
        content_type=content_type,
        tree=tree,
        generator=generator.strip(),
        feeds=tuple(feed_links_in(tree, url)),
        host=(urlsplit(url).hostname or "").lower(),
    )


def page_facts(url: str, response: Response) -> PageFacts:
    """One response parsed once (`url`: where it was finally served from)."""
    return page_facts_of(url, response.text, headers=response.headers, content_type=response.content_type)


def is_feed(facts: PageFacts) -> bool:
    """Whether the response is a feed document (RSS, Atom, JSON Feed), not a page: a platform whose
    `detect` reads pages says no to it, so `feed` answers for a feed URL."""
    from necwatch.extract.feeds import is_feed_document

    return is_feed_document(facts.content_type or "", facts.text)


def markup_platform(facts: PageFacts) -> Platform | None:
    """The platform whose markup reader reads this single page: the first whose `detect` answers,
    else the first whose `marks` do; None when no platform with a page reader claims it."""
    readers = [p for p in platforms() if p.read_page is not None]
    for entry in readers:
        if entry.detect is not None and entry.detect(facts) is not None:
            return entry
    return next((p for p in readers if p.marks is not None and p.marks(facts)), None)


def origin_of(url: str) -> str:
    """`https://host:port/` of a URL: where a platform's site (and its probes) start."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def title_suffixes() -> frozenset[str]:
    """Lower-cased hosting names that end hosted publications' titles (see Platform.title_suffix)."""
    return frozenset(p.title_suffix.lower() for p in PLATFORMS.values() if p.title_suffix)
