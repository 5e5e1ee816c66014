"""The incremental poll, once and platform-free: probe, changes, comments, removal search, rolling
sweep and backfill, and the cursor they share (sources/incremental.py describes the cursor).

A platform says how to ask (its `IncrementalPoll` subclass, in its own package:
wordpress/incremental.py, blogger/incremental.py); this module says what one poll does with the answers:

1. `probe()`: the most recently modified posts (ids and times) and how many posts there are; a
   site that cannot answer raises `Unsupported` (a first request refused with 400/401/403/404/410
   counts as that too) and the adapter reads in full instead.
2. `read_changed(since)` only when one of them is newer than the cursor's `since`.
3. `read_comments()`: new comments, site-wide, attached to their posts (`attach_comments`).
4. When the live count dropped below what the probe's total explains: the removal search
   (sources/removals.py) with the platform's `count`/`ids`/`all_missing`; its candidates are
   re-read by their own URL. A failed search is recorded and names no candidate.
5. The rolling sweep (`sweep_page(before)`, pages of `sweep_size()`, spread over `sweep_period`) and
   a backfill cut by `max_pages` or `backfill_batch` (`backfill_page(before)`), newest first.

Around the poll, also once for every platform: `poll_changes` (whether the cursor allows an
incremental poll, and the switch to `legacy` when the site does not answer) and `close_full_read`
(the cursor after a full, legacy read of the listing).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from necwatch.errors import FetchError, ParseError
from necwatch.fetch import Fetcher
from necwatch.models import Comment, Outcome, PostObservation
from necwatch.sources.base import ListedPost, Listing, SourceContext
from necwatch.sources.incremental import (
    UNSUPPORTED,
    Unsupported,
    after_full_read,
    backfill_warning,
    batch_full,
    iso,
    later,
    legacy_due,
    oldest_published,
    parse_time,
    sweep_steps,
)
from necwatch.sources.removals import removal_candidates

__all__ = ["IncrementalPoll", "PollingSource", "Stamp", "close_full_read", "poll_changes", "site_wide"]


class PollingSource(Protocol):
    """What the shared poll uses of an adapter: public members of `sources.base.Source` only."""

    ctx: SourceContext
    config: Any  # the adapter's SourceConfig (max_pages, sweep_period, backfill_batch)
    fetcher: Fetcher
    warnings: list[str]
    next_cursor: dict[str, Any] | None

    def record(self, error: FetchError | ParseError) -> None: ...


@dataclass(frozen=True)
class Stamp:
    """One post as the probe shows it: its platform id and last modification (None: unreadable)."""

    id: str
    modified: datetime | None


class IncrementalPoll(ABC):
    """One incremental poll of one source; `run()` gives the listing and sets the cursor."""

    def __init__(self, src: PollingSource) -> None:
        self.src, self.ctx = src, src.ctx
        self.cursor: dict[str, Any] = dict(src.ctx.cursor)
        self.now = src.ctx.now or datetime.now(UTC)
        self.listing = Listing(partial=True, exhausted=False)
        self.listed: dict[str, ListedPost] = {}

    # -- what the platform says -------------------------------------------------------------------
    @abstractmethod
    async def probe(self) -> tuple[list[Stamp], int]:
        """The most recently modified posts, newest first, and the number of posts (Unsupported when
        the site cannot say)."""

    @abstractmethod
    async def read_changed(self, since: str | None) -> None:
        """Read the posts modified since `since` (all when None) into `self.listed`."""

    @abstractmethod
    async def read_comments(self) -> None:
        """Read the comments newer than the cursor's `comments_since`, then `attach_comments`."""

    @abstractmethod
    async def count(self, lo: datetime, hi: datetime) -> int:
        """How many posts were published in [lo, hi)."""

    @abstractmethod
    async def ids(self, lo: datetime, hi: datetime) -> set[str]:
        """The ids of the posts published in [lo, hi), all of them or an error."""

    @abstractmethod
    async def all_missing(self, total: int) -> set[str]:
        """The stored ids the full id listing does not show (empty when it is too long to read)."""

    @abstractmethod
    def removal_page(self) -> int:
        """Posts per page of the id listings the removal search reads."""

    @abstractmethod
    def removal_full_requests(self, total: int) -> int:
        """Requests the full id listing would cost (the search bisects only when cheaper)."""

    @abstractmethod
    def sweep_size(self) -> int:
        """Posts per sweep page."""

    @abstractmethod
    async def sweep_page(self, before: str | None) -> list[ListedPost]:
        """One sweep page: posts published before `before` (the newest when None), full content."""

    @abstractmethod
    def backfill_size(self) -> int:
        """Posts per backfill page."""

    @abstractmethod
    async def backfill_page(self, before: str) -> list[ListedPost]:
        """One backfill page before `before`, comments read per post (they predate the cursor)."""

    def cursor_extra(self) -> Mapping[str, Any]:
        """What the platform keeps in the cursor besides the shared keys."""
        return {}

    # -- what one poll does -----------------------------------------------------------------------
    async def run(self) -> Listing:
        try:
            stamps, total = await self.probe()
        except FetchError as e:
            if e.status in UNSUPPORTED:
                raise Unsupported(str(e)) from e
            raise
        since = self.cursor.get("since")
        watermark = parse_time(since)
        changed = [s for s in stamps if watermark is None or (s.modified or self.now) > watermark]
        if changed:
            await self.read_changed(since)
        await self.read_comments()
        new = sum(1 for s in changed if s.id not in self.ctx.by_platform_id)
        deficit = self.ctx.live - len(self.ctx.suspects) + new - total
        if deficit > 0:
            await self._removals(total, deficit)
        await self._sweep(total)
        await self._backfill()
        newest = max((s.modified for s in stamps if s.modified is not None), default=None)
        self.cursor["since"] = later(since, newest)
        self.cursor.update(mode="incremental", **self.cursor_extra())
        self.cursor.pop("probed_at", None)
        self.listing.posts = list(self.listed.values())
        self.src.next_cursor = self.cursor
        return self.listing

    def add(self, posts: list[ListedPost]) -> None:
        for lp in posts:
            self.listed.setdefault(lp.url, lp)

    def attach_comments(self, by_post: Mapping[str, tuple[Comment, ...]]) -> None:
        """New comments go to the listed post they belong to (when its comments are wanted), else,
        for a stored NEC report the poll did not list, to an observation of that report."""
        listed_ids = {lp.platform_id: lp for lp in self.listed.values() if lp.platform_id}
        for post_id, comments in by_post.items():
            lp = listed_ids.get(post_id)
            if lp is not None and lp.post is not None and self.ctx.wants_comments(lp.post):
                self.listed[lp.url] = site_wide(lp, comments)
            elif lp is None and post_id in self.ctx.report_ids:
                url = self.ctx.by_platform_id[post_id]
                obs = PostObservation(url, Outcome.NOT_MODIFIED, comments=comments, comments_partial=True)
                self.listing.extra.append(obs)

    async def _removals(self, total: int, deficit: int) -> None:
        """The count dropped: find the stored posts no longer listed (re-read by their URL). A failed
        or inconsistent search is recorded and names no candidate: the drop is looked for again."""
        try:
            missing = await removal_candidates(
                self.ctx,
                deficit,
                page=self.removal_page(),
                full_requests=self.removal_full_requests(total),
                count=self.count,
                list_ids=self.ids,
                list_all=lambda: self.all_missing(total),
            )
        except (FetchError, ParseError) as e:
            self.src.record(e)
            return
        self.listing.recheck += [self.ctx.by_platform_id[pid] for pid in sorted(missing)]

    async def _sweep(self, total: int) -> None:
        size = self.sweep_size()
        pages = max(1, math.ceil(total / size))
        state, steps = sweep_steps(self.cursor.get("sweep"), pages, self.now, self.src.config.sweep_period)
        for _ in range(min(steps, self.src.config.max_pages)):
            posts = await self.sweep_page(state.get("before"))
            self.add(posts)
            state["done"] = int(state.get("done", 0)) + 1
            oldest = oldest_published(posts)
            if len(posts) < size or oldest is None:
                state.update(finished=True, before=None)
                break
            state["before"] = iso(oldest)
        self.cursor["sweep"] = state

    async def _backfill(self) -> None:
        before = self.cursor.get("backfill_before")
        if not before:
            return
        size, read = self.backfill_size(), 0
        for _ in range(self.src.config.max_pages):
            posts = await self.backfill_page(before)
            self.add(posts)
            oldest = oldest_published(posts)
            if len(posts) < size or oldest is None:
                self.cursor.pop("backfill_before", None)
                return
            before = iso(oldest)
            read += len(posts)
            if batch_full(self.ctx, self.src.config, read):
                break
        self.cursor["backfill_before"] = before
        self.src.warnings.append(backfill_warning(before))


def site_wide(lp: ListedPost, comments: tuple[Comment, ...] | None = None) -> ListedPost:
    """A listed post whose comments come from the site-wide comment query, not per post: only the
    new ones, `comments` (None: none new)."""
    return ListedPost(
        url=lp.url,
        post=lp.post,
        comments_url=lp.comments_url,
        platform_id=lp.platform_id,
        comments_partial=True,
        new_comments=comments,
    )


async def poll_changes(src: PollingSource, poll: Callable[[], IncrementalPoll]) -> Listing | None:
    """The incremental poll `poll()` builds, when the cursor allows one; None: read the listing in
    full. A source remembered as `legacy` (its site did not answer the change queries) is probed
    again only after a sweep period; a site that does not answer now is remembered as `legacy`.
    Whether the cursor is the platform's at all is the caller's to say before calling."""
    cursor, now = src.ctx.cursor, src.ctx.now or datetime.now(UTC)
    if cursor.get("mode") == "legacy" and not legacy_due(cursor, now, src.config.sweep_period):
        return None
    try:
        return await poll().run()
    except Unsupported:
        src.next_cursor = {**cursor, "mode": "legacy", "probed_at": iso(now)}
        return None


def close_full_read(src: PollingSource, cursor: dict[str, Any], listing: Listing, *, cut: bool) -> None:
    """After a full (legacy) read of the listing: `cursor` (the platform's keys already set) gets the
    watermarks an incremental poll starts from and where a backfill cut by max_pages or
    backfill_batch goes on (sources/incremental.py `after_full_read`), and becomes the next cursor."""
    posts = [lp.post for lp in listing.posts if lp.post is not None]
    warning = after_full_read(cursor, posts, now=src.ctx.now or datetime.now(UTC), cut=cut)
    if warning:
        src.warnings.append(warning)
    src.next_cursor = cursor
