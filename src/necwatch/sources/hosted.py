"""What the hosted platforms (Substack, Ghost, Medium, Squarespace) share: small pure helpers for
their pages and JSON, and `HostedSource`, the polling half they have in common.

A hosted platform lists its posts through pages of an API or a feed, read with `ListingPoll`
(sources/listing_poll.py: the whole listing on a first read, then only the newest pages until one
shows nothing new or changed, known posts revisited when due). A listed post carries its full
content when the listing does (a Ghost Content API post, a Medium RSS item); otherwise its own page
is read (`fetch_post`) through `extract_post` with the platform's markup reader, parsed once, in the
source's time zone. A post's page is also what a 404/410 is read on, so a deletion is seen on the
post's own URL as everywhere else (sources/base.py).
"""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import FetchError, ParseError, RobotsDisallowed
from necwatch.extract.chars import clean_json
from necwatch.extract.dates import in_utc_range, parse_any
from necwatch.extract.feeds import FeedFields, is_feed_document
from necwatch.extract.metadata import Found
from necwatch.extract.page import extract_post
from necwatch.extract.select import parse_html
from necwatch.extract.text import clean_name, collapse_ws, html_to_text, node_text, strip_bidi
from necwatch.models import Comment, Outcome, Post, PostObservation, Response, SourceObservation
from necwatch.sources.base import ListedPost, Listing, Source
from necwatch.sources.listing_poll import ListingPoll, forget_failed, listing_sig
from necwatch.sources.registry import PageFacts

__all__ = [
    "HostedSource",
    "api_listed",
    "body_found",
    "byline",
    "clean_fragment",
    "cleaned",
    "feed_listed",
    "json_of",
    "meta",
    "names_of",
    "origin",
    "path_refused",
    "strip_nodes",
    "title_without_site",
    "when",
]

MAX_COMMENTS = 5000  # comments read for one post at most (a runaway thread must not hold a poll)


# -- pure helpers ---------------------------------------------------------------------------------


def path_refused(error: FetchError, absent: frozenset[int]) -> bool:
    """Whether an API's first answer says this path is not for us: absent (`absent` statuses) or
    disallowed by the site's robots.txt (Ghost's default one disallows `/ghost/`, its Content API)."""
    return isinstance(error, RobotsDisallowed) or error.status in absent


def origin(url: str) -> str:
    """`https://host:port/` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def json_of(url: str, text: str) -> Any:
    """An API answer → its JSON (lone surrogates cleaned); ParseError `unexpected_page` otherwise."""
    try:
        return clean_json(json.loads(text))
    except ValueError as e:
        raise ParseError(f"not JSON: {e}", url=url, kind="unexpected_page") from e


def when(value: Any, tz: ZoneInfo) -> datetime | None:
    """An API or feed date → aware datetime, offset kept as given: ISO 8601 ("2024-01-24T13:37:00.000Z",
    "…+01:00"; read in `tz` when it has no offset), RFC 2822, or epoch milliseconds (Squarespace),
    shown in `tz`. None when absent or unreadable (a date is never invented)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return in_utc_range(datetime.fromtimestamp(value / 1000, UTC).astimezone(tz))
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return parse_any(str(value), default_tz=tz)
    except ValueError:
        return None


_SEPARATORS = (" | ", " – ", " — ", " - ", " · ", " :: ")


def title_without_site(title: str, *names: str | None) -> str:
    """A served title without the site or platform names appended to it ("Title | by Jo | Medium",
    "Title - Jo Member - Medium", "Title – Site"): trailing parts equal to one of `names` (or a
    "by NAME" part) are dropped, one at a time; a dash inside the title itself is kept."""
    wanted = {collapse_ws(n).lower() for n in names if n and collapse_ws(n)}
    text = collapse_ws(strip_bidi(title))
    for _ in range(4):
        cut = max((text.rfind(sep) for sep in _SEPARATORS), default=-1)
        if cut <= 0:
            break
        sep = next(s for s in _SEPARATORS if text.startswith(s, cut))
        tail = text[cut + len(sep) :].strip().lower()
        if tail in wanted or (tail.startswith("by ") and tail[3:] in wanted):
            text = text[:cut].rstrip()
        else:
            break
    return text


def meta(tree: LexborHTMLParser, key: str) -> str | None:
    """`<meta property|name="key" content>`, stripped; None when absent or empty."""
    node = tree.css_first(f'meta[property="{key}"], meta[name="{key}"]')
    value = (node.attributes.get("content") or "").strip() if node is not None else ""
    return value or None


def ld_authors(article: Mapping[str, Any]) -> str | None:
    """JSON-LD `author` (a Person, a list of them, or a name) → "Name, Name"."""
    value = article.get("author")
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and (clean := clean_name(name)) and clean not in names:
            names.append(clean)
    return ", ".join(names) or None


def strip_nodes(node: LexborNode, selectors: Iterable[str]) -> None:
    """Remove every element matching one of `selectors` from inside `node`."""
    for selector in selectors:
        for junk in node.css(selector):
            junk.decompose()


def clean_fragment(fragment: str, selectors: Iterable[str]) -> str:
    """An HTML fragment (API or feed content) without the elements matching `selectors`."""
    tree = LexborHTMLParser(f"<div id='necwatch-body'>{fragment}</div>")
    root = tree.css_first("#necwatch-body")
    if root is None:  # pragma: no cover - the parser always keeps the wrapper
        return fragment
    strip_nodes(root, selectors)
    return (root.inner_html or "").strip()


def cleaned(post: Post, selectors: Iterable[str]) -> Post:
    """A feed's post with the platform's chrome (subscribe, share) removed from its body."""
    body_html = clean_fragment(post.body_html, selectors)
    return replace(post, body_html=body_html, body_text=html_to_text(body_html))


def api_listed(post: Post, shown: str, comment_count: int | None) -> ListedPost:
    """A post an API listing carries whole, signed by what the listing shows of it (`shown`)."""
    return ListedPost(
        url=post.url,
        post=post,
        platform_id=post.platform_id,
        comment_count=comment_count,
        listing_sig=listing_sig(post.url, shown),
    )


def feed_listed(post: Post, fields: FeedFields, *, full: bool, platform_id: str | None = None) -> ListedPost:
    """A feed entry (mapped to `post`) as a listed post: the post when the entry carries it whole
    (`full`), else its URL only (its page is read); signed by the entry's title, date and content."""
    shown = "\n".join([fields.title, fields.published or "", fields.content])
    sig = listing_sig(post.url, shown)
    return ListedPost(url=post.url, post=post if full else None, platform_id=platform_id, listing_sig=sig)


def body_found(node: LexborNode, method: str) -> Found | None:
    """A platform's body element → Found((html, text), method), None when it holds no text."""
    text = node_text(node)
    if not text:
        return None
    return Found(((node.inner_html or "").strip(), text), method)


def drop_leading_repeats(node: LexborNode, *texts: str | None) -> None:
    """Remove the body's first headings or paragraphs when they only repeat the title or the
    subtitle (a post pasted with its own heading at the top, Medium's title inside its first
    section), looking at the first few blocks only and stopping at the first that differs."""
    wanted = {collapse_ws(t).lower() for t in texts if t and collapse_ws(t)}
    if not wanted:
        return
    seen = 0
    for block in node.css("h1, h2, h3, h4, h5, h6, p"):
        text = collapse_ws(block.text(deep=True, separator=" ")).lower()
        if not text:
            continue
        if text not in wanted or seen >= len(wanted):
            return
        block.decompose()
        seen += 1


def names_of(tree: LexborHTMLParser | LexborNode, selectors: str) -> str | None:
    """Bylines: every name the first of `selectors` (comma-separated, in order of trust) that
    matches anything gives, joined ("Jo Member, Sam Reader"); a later selector is not mixed in, so
    an author card of another post elsewhere in the page is not added."""
    for selector in selectors.split(", "):
        names = [n for node in tree.css(selector) if (n := clean_name(node.text(deep=True, separator=" ")))]
        if names:
            return ", ".join(dict.fromkeys(names))
    return None


def byline(shown: str | None, structured: str | None) -> str | None:
    """The author: the byline the page shows, unless the name the page states in its metadata is
    inside it with words around it ("Von Der Spendenteddy", "Words by Jo Member"): then the name."""
    if shown and structured and structured != shown and structured.lower() in shown.lower():
        return structured
    return shown or structured


def text_or_none(node: LexborNode | None) -> str | None:
    """A node's text, whitespace collapsed; None when no node or no text."""
    if node is None:
        return None
    return collapse_ws(strip_bidi(node.text(deep=True, separator=" "))) or None


def answers_json(response: Response, key: str | None = None) -> bool:
    """Whether a probe's answer is JSON (a list, or an object holding `key`): an API that exists."""
    try:
        doc = json.loads(response.text)
    except ValueError:
        return False
    return isinstance(doc, list) if key is None else isinstance(doc, dict) and key in doc


def feed_generator(facts: PageFacts) -> str:
    """A feed document's `<generator>` text ("" when the page is no feed or names none)."""
    if not is_feed_document(facts.content_type or "", facts.text):
        return ""
    m = _GENERATOR.search(facts.text[:8192])
    return m.group(1).strip() if m else ""


_GENERATOR = re.compile(r"<generator[^>]{0,200}>([^<]{0,200})</generator>", re.IGNORECASE)


# -- polling ------------------------------------------------------------------------------------


class HostedSource(Source):
    """The polling shared by the hosted platforms (module docstring). A subclass says where its
    listing starts and how one listing page reads, and may read comments from an API."""

    platform: ClassVar[str]  # the markup reader's name (extract_post's platform hint)
    # The listing shows only the latest posts (a feed): a known post missing from it is evidence
    # of nothing, and is re-read only when published after the oldest one shown.
    latest_only = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @abstractmethod
    async def listing_start(self) -> str:
        """The URL of the first listing page (API page or feed)."""

    @abstractmethod
    async def read_listing_page(self, url: str) -> tuple[list[ListedPost], str | None]:
        """One listing page → its posts (in order, with `listing_sig`) and the next page's URL."""

    async def discover(self) -> Listing:
        run = ListingPoll(self.ctx, self.config, await self.listing_start(), self.read_listing_page)
        listing = await run.run()
        listing.exhausted = listing.exhausted and not self.latest_only
        self.next_cursor = run.cursor
        self.warnings.extend(run.warnings)
        return listing

    async def poll(self) -> SourceObservation:
        """The shared poll; a post whose read failed keeps no listing signature in the cursor."""
        obs = await super().poll()
        return replace(obs, cursor=forget_failed(obs.cursor, obs.posts))

    # -- one post's page ------------------------------------------------------------------------
    def page_post(self, url: str, response: Response) -> tuple[Post, tuple[Comment, ...] | None, str | None]:
        """A post page → (Post, comments the page shows or None, the platform's post id or None).
        The tree is parsed once and read by the platform's markup, metadata and generic layers."""
        tree = parse_html(response.text, response.final_url)
        extracted = extract_post(response.text, url, self.platform, tz=self.tz, tree=tree)
        post = extracted.to_post(tz=self.tz, default_author=self.config.author)
        post = replace(post, url=url, is_excerpt=self.paywalled(tree))
        return post, extracted.comments, extracted.platform_id

    def paywalled(self, tree: LexborHTMLParser) -> bool:
        """Whether the page shows only the free part of a members' post (never a report's body)."""
        return False

    def complete_post(self, post: Post) -> Post:
        """What the listing knew of a post read from its page (labels, ids): subclasses merge it."""
        return post

    async def fetch_post(self, url: str) -> PostObservation:
        """The post's own page: its content and, when wanted, its comments (page or API)."""
        try:
            response = await self.fetcher.get(url)
            post, comments, post_id = self.page_post(url, response)
        except (FetchError, ParseError) as e:
            return self.observe_error(url, e)
        post = self.complete_post(post)
        if self.ctx.wants_comments(post):
            try:
                comments = await self.api_comments(url, post_id or post.platform_id, comments)
            except (FetchError, ParseError) as e:
                self.record(e)  # the post is still read; its comments are unknown
                comments = None
        else:
            comments = None
        outcome = Outcome.NOT_MODIFIED if response.not_modified else Outcome.FETCHED
        return PostObservation(url, outcome, post=post, comments=comments, http_status=response.status)

    async def fetch_comments(self, listed: ListedPost, post: Post) -> tuple[Comment, ...] | None:
        return await self.api_comments(listed.url, listed.platform_id or post.platform_id, None)

    async def api_comments(
        self, url: str, post_id: str | None, shown: tuple[Comment, ...] | None
    ) -> tuple[Comment, ...] | None:
        """A post's comments: by default what its page shows (None: unknown)."""
        return shown

    def url_of(self, path: str) -> str:
        return urljoin(self.config.url, path)
