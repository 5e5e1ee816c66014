"""The one small interface every platform adapter implements, and the polling template they share.

An adapter answers three questions about its platform:
  discover()        which posts does the listing (feed, API, tag page) show?  → Listing
  fetch_post(url)   what does one post's own URL hold now?                     → PostObservation
  fetch_comments()  what comments does a listed post have?                      → tuple[Comment] | None

`Source.poll()` puts them together: complete every listed post, then re-check posts we know of that
should have been listed but were not (so a deletion is seen as a 404/410 on the post's own URL, and a
post that merely left a tag is seen as still there). Failures are collected, never raised.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from necwatch.errors import FetchError, ParseError
from necwatch.fetch import Fetcher
from necwatch.models import Comment, Failure, Outcome, Post, PostObservation, SourceObservation
from necwatch.settings import SOURCE_TYPES, SourceConfig


@dataclass(frozen=True)
class ListedPost:
    """One post as a listing shows it. `post` is set when the listing carries the full content."""

    url: str
    post: Post | None = None
    comments_url: str | None = None
    comment_count: int | None = None  # as the listing says, when it says
    platform_id: str | None = None
    # Incremental: comments already read from a site-wide feed (only the new ones), not per post.
    comments_partial: bool = False
    new_comments: tuple[Comment, ...] | None = None
    # HTML listings: a hash of what the listing shows of the post (title, date, excerpt), so an
    # incremental poll knows a known post's card is unchanged (sources/listing_poll.py).
    listing_sig: str | None = None


@dataclass
class Listing:
    """What discovery found. `complete`: every listing page was fetched and parsed.
    `exhausted`: the listing was read to its end (not cut by max_pages)."""

    posts: list[ListedPost] = field(default_factory=list)
    complete: bool = True
    exhausted: bool = True
    failures: list[Failure] = field(default_factory=list)
    # Incremental: the listing holds only what changed, so a known post's absence says nothing; only
    # `recheck` (posts a count or id sweep says are missing) are re-read by their own URL.
    partial: bool = False
    recheck: list[str] = field(default_factory=list)
    extra: list[PostObservation] = field(default_factory=list)  # e.g. new comments of unlisted posts
    # Listed posts deliberately not read this poll (known, unchanged, not due for a revisit): they
    # count as listed, so a complete listing does not re-check them as missing.
    unread: list[str] = field(default_factory=list)
    # A complete listing whose adapter schedules revisits: only these known posts missing from it
    # are re-read this poll (None: every one, as a full read does; posts awaiting a 404's
    # confirmation always are).
    due: frozenset[str] | None = None


@dataclass(frozen=True)
class SourceContext:
    """What an adapter gets besides its config: the fetcher, and what the database already knows."""

    config: SourceConfig
    fetcher: Fetcher
    # Whether a post is worth fetching comments for (candidate NEC reports and pointers).
    wants_comments: Callable[[Post], bool] = lambda post: True
    # Post URLs stored for this source → published_at, to re-check posts missing from the listing.
    known: Mapping[str, datetime | None] = field(default_factory=dict)
    # The source's stored `sources` row (health, `auto`'s detected platform), empty before its first poll.
    state: Mapping[str, Any] = field(default_factory=dict)
    # Incremental polling: the source's stored cursor, the stored posts' platform ids (live ones),
    # the platform ids of NEC reports, posts awaiting a removal confirmation, and the poll's clock.
    cursor: Mapping[str, Any] = field(default_factory=dict)
    by_platform_id: Mapping[str, str] = field(default_factory=dict)
    report_ids: frozenset[str] = frozenset()
    suspects: frozenset[str] = frozenset()
    live: int = 0
    now: datetime | None = None
    removed: frozenset[str] = frozenset()  # urls of posts marked removed (read at once when listed again)
    # time.monotonic() after which a backfill reads no further page (pipeline: a share of the run's
    # deadline), so the poll ends, and its batch is written, before the deadline; the rest next poll
    backfill_until: float | None = None

    def backfill_out_of_time(self) -> bool:
        """Whether a backfill that has read at least one page should stop here (see backfill_until)."""
        return self.backfill_until is not None and time.monotonic() >= self.backfill_until


class Source(ABC):
    """Base class of platform adapters; subclasses register with @register("type", options=Model).

    A subclass narrows `config` to its options model (e.g. `config: BloggerSourceConfig`).
    """

    type_name: ClassVar[str]
    options: ClassVar[type[SourceConfig]]  # this type's config model (common keys + its options)
    config: SourceConfig

    def __init__(self, ctx: SourceContext) -> None:
        if not isinstance(ctx.config, self.options):
            raise TypeError(f"{type(self).__name__} needs a {self.options.__name__}, got {ctx.config!r}")
        self.ctx = ctx
        self.config = ctx.config
        self.fetcher = ctx.fetcher
        self.failures: list[Failure] = []
        self.warnings: list[str] = []
        self.next_cursor: dict[str, Any] | None = None  # set by adapters that poll incrementally
        self.finished: list[PostObservation] = []  # posts read so far this poll (see salvage)
        self.listed: list[ListedPost] = []  # the poll's listing, once read

    # -- what each platform implements ------------------------------------------------------
    @abstractmethod
    async def discover(self) -> Listing:
        """Read the listing (all pages up to config.max_pages)."""

    @abstractmethod
    async def fetch_post(self, url: str) -> PostObservation:
        """Fetch one post by its permalink: content and (when wanted) comments.
        A 404/410 gives Outcome.GONE with http_status; any other failure Outcome.FAILED."""

    async def fetch_comments(self, listed: ListedPost, post: Post) -> tuple[Comment, ...] | None:
        """Comments of a listed post whose content came with the listing. None when unknown."""
        return None

    # -- the shared template ----------------------------------------------------------------
    async def poll(self) -> SourceObservation:
        try:
            listing = await self.discover()
        except (FetchError, ParseError) as e:
            listing = Listing(complete=False, exhausted=False, failures=[Failure.from_error(e)])
        self.failures.extend(listing.failures)
        listing.posts = self._web_links(listing.posts)
        self.listed = list(listing.posts)
        listed_urls = {lp.url for lp in listing.posts}
        # posts not stored yet first: a poll the run's deadline stops keeps them (salvage), and the next
        # one, reading the same listing again, gets further instead of redoing the same ones
        known = self.ctx.known
        order = sorted(range(len(listing.posts)), key=lambda i: listing.posts[i].url in known)
        done = await asyncio.gather(*(self._finish(self._complete(listing.posts[i])) for i in order))
        observations = [o for _, o in sorted(zip(order, done, strict=True), key=lambda pair: pair[0])]
        seen = {o.url for o in observations} | listed_urls | set(listing.unread)
        oldest = min(
            (lp.post.published_at for lp in listing.posts if lp.post and lp.post.published_at),
            default=None,
        )
        if listing.partial:
            wanted = [*listing.recheck, *sorted(self.ctx.suspects)]
            recheck = [u for u in dict.fromkeys(wanted) if u not in seen]
        else:
            recheck = [
                url
                for url, published in self.ctx.known.items()
                if url not in seen and _should_have_been_listed(published, oldest, listing.exhausted)
            ]
            if listing.due is not None:
                recheck = [u for u in recheck if u in listing.due or u in self.ctx.suspects]
        rechecked = await asyncio.gather(*(self._safe_fetch_post(u) for u in recheck))
        observations += [replace(o, listed=False) for o in rechecked]
        observations += [o for o in listing.extra if o.url not in seen and o.url not in recheck]
        return SourceObservation(
            source=self.config.name,
            posts=tuple(self._moves(observations)),
            listing_complete=listing.complete,
            partial=listing.partial,
            unread=len(listing.unread),
            failures=tuple(self.failures),
            cursor=self.next_cursor if listing.complete else None,
            warnings=tuple(self.warnings),
        )

    async def _finish(self, read: Awaitable[PostObservation]) -> PostObservation:
        observation = await read
        self.finished.append(observation)
        return observation

    def salvage(self, failure: Failure) -> SourceObservation:
        """What this poll had read when the run's deadline stopped it: the posts read whole, as a
        partial listing (no evidence of absence), with the cursor advanced over them only (see
        salvaged_cursor; None: the next poll starts where this one did, and finds them stored).
        `failure` says why the poll stopped."""
        read = (Outcome.FETCHED, Outcome.NOT_MODIFIED)
        posts = tuple(o for o in self.finished if o.outcome in read)
        return SourceObservation(
            source=self.config.name,
            posts=posts,
            listing_complete=True,
            partial=True,
            failures=(*self.failures, failure),
            cursor=self.salvaged_cursor({o.url for o in posts}),
            warnings=tuple(self.warnings),
        )

    def salvaged_cursor(self, kept: set[str]) -> dict[str, Any] | None:
        """The poll's cursor moved back to cover the new listed posts not kept, where its backfill
        goes by publication date (WordPress, Blogger: `backfill_before`): the next poll reads the
        posts published before the newest one not kept. None where that cannot be said (a listing
        page's URL, a post of unknown date)."""
        from necwatch.sources.incremental import iso, parse_time  # it imports this module

        cursor = self.next_cursor
        if cursor is None or cursor.get("mode") == "listing":
            return None
        try:
            parse_time(cursor.get("backfill_before"))
        except (TypeError, ValueError):  # a listing page's URL
            return None
        # posts stored before this poll need no re-reading to be kept (the sweep re-reads them)
        unread = [lp for lp in self.listed if lp.url not in kept and lp.url not in self.ctx.known]
        times = [lp.post.published_at if lp.post else None for lp in unread]
        if any(t is None for t in times):
            return None
        cursor = dict(cursor)
        if times:
            newest = max(t for t in times if t is not None)
            cursor["backfill_before"] = iso(newest + timedelta(seconds=1))  # `before` is exclusive
        return cursor

    async def _complete(self, listed: ListedPost) -> PostObservation:
        if listed.post is None:
            return await self._safe_fetch_post(listed.url)
        if listed.comments_partial:
            return PostObservation(
                listed.url,
                Outcome.FETCHED,
                post=listed.post,
                comments=listed.new_comments,
                comments_partial=True,
            )
        # None = not read (not wanted, or the fetch failed): tracking infers nothing from it.
        comments: tuple[Comment, ...] | None = None
        if self.ctx.wants_comments(listed.post):
            if listed.comment_count == 0:
                comments = ()
            else:
                try:
                    comments = await self.fetch_comments(listed, listed.post)
                except (FetchError, ParseError) as e:
                    self.record(e)
        return PostObservation(listed.url, Outcome.FETCHED, post=listed.post, comments=comments)

    def _moves(self, observations: list[PostObservation]) -> list[PostObservation]:
        """A post whose URL answered only permanent redirects (301/308) to another URL of the same
        site is the same post moved (its slug renamed): one observation of the new URL carrying
        `moved_from`, the listing's own when it lists the new URL. Tracking matches it with the post
        stored at the new URL if there is one (moved earlier, or another post), else with the post
        stored at the old URL, which keeps its id, versions and comments: no new post appears."""
        moved: Mapping[str, str] = getattr(self.fetcher, "moved", {})  # test doubles may have none
        if not moved:
            return observations
        index = {o.url: i for i, o in enumerate(observations)}
        out: list[PostObservation | None] = list(observations)
        for i, o in enumerate(observations):
            target = moved.get(o.url)
            if target is None or o.outcome not in (Outcome.FETCHED, Outcome.NOT_MODIFIED):
                continue
            if target == o.url or not _same_site(o.url, target):
                continue
            j = index.get(target)
            if j is None:
                if o.outcome is Outcome.FETCHED and o.post is not None:
                    post = replace(o.post, url=target) if o.post.url == o.url else o.post
                    out[i] = replace(o, url=target, post=post, moved_from=o.url)
            elif (new := out[j]) is not None and new.outcome in (Outcome.FETCHED, Outcome.NOT_MODIFIED):
                out[j] = replace(new, moved_from=o.url)
                out[i] = None
        return [o for o in out if o is not None]

    async def _safe_fetch_post(self, url: str) -> PostObservation:
        try:
            return await self.fetch_post(url)
        except (FetchError, ParseError) as e:
            return self.observe_error(url, e)

    def _web_links(self, posts: list[ListedPost]) -> list[ListedPost]:
        """Listed posts whose link is a web page (http or https); any other (`javascript:`,
        `mailto:`, `data:`) is no post to store: a failure of that item (unexpected_page), and the
        others go on."""
        kept = []
        for lp in posts:
            if urlsplit(lp.url).scheme.lower() in ("http", "https"):
                kept.append(lp)
            else:
                reason = "the listing links a post to a URL that is not http(s): skipped"
                self.failures.append(Failure(lp.url[:2000], "unexpected_page", reason))
        return kept

    # -- helpers for adapters ---------------------------------------------------------------
    def record(self, error: FetchError | ParseError) -> None:
        """Keep a failure for the fetch_errors table (one row per failed URL)."""
        self.failures.append(Failure.from_error(error))

    def observe_error(self, url: str, error: FetchError | ParseError) -> PostObservation:
        """A failed post fetch → GONE for 404/410, FAILED otherwise (and the failure recorded)."""
        if isinstance(error, FetchError) and error.status in (404, 410):
            return PostObservation(url, Outcome.GONE, http_status=error.status)
        self.record(error)
        return PostObservation(url, Outcome.FAILED)


def _same_site(a: str, b: str) -> bool:
    """Two URLs of one site: the same host and port, whatever the scheme or a leading `www.`."""
    return _site(a) == _site(b)


def _site(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _should_have_been_listed(published: datetime | None, oldest: datetime | None, exhausted: bool) -> bool:
    if exhausted:
        return True
    if published is None or oldest is None:
        return False
    return published >= oldest


REGISTRY: dict[str, type[Source]] = {}
S = TypeVar("S", bound=Source)


def register(type_name: str, *, options: type[SourceConfig]) -> Callable[[type[S]], type[S]]:
    """Class decorator: make an adapter available as `type: <type_name>` in config.yaml, with
    `options` (a SourceConfig subclass whose `type` is `Literal["<type_name>"]`) as its config model.
    necwatch.settings builds the sources union from this registry; there is no other list of types."""

    def deco(cls: type[S]) -> type[S]:
        cls.type_name = type_name
        cls.options = options
        REGISTRY[type_name] = cls
        SOURCE_TYPES[type_name] = options
        return cls

    return deco
