"""Listing polls that cost what changed, for listings without change parameters (LabourList tag
pages, `html` sources): read the newest pages until one shows only known, unchanged posts, read the
posts that are new or changed there, and revisit the others by age (sources/revisit.py).

The cursor (`source_cursors`, JSON), written only when it changes:

  mode            "listing" once the archive was read through once (the first poll, a backfill)
  items           {url key: listing signature}: what the listing last showed of each post
  page_size       posts on the first page at the last read: a site that repaginates is read through
  backfill_before the listing page where a backfill cut by `max_pages` goes on next poll

One poll, after the first:

1. Listing pages from the first, stopping after the first page whose every post is known, not marked
   removed, and shown as before (same signature: title, date, excerpt); the whole listing when the
   first page's size changed (pages no longer hold what they did).
2. Read at once: posts new or changed in the listing, a removed post listed again, every post on the
   first page (the newest: those most often edited), and any post whose revisit is due.
3. Known posts not shown by the pages read are re-read only when due (rolling revalidation).
4. A listing read to its end (no page failed) is complete, as a full read is: a known post it does
   not show is re-read and a 404 then counts as "absent from a complete listing". A listing stopped
   early is partial: no evidence of absence (removal only by 410 or 404 twice on the post's URL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from necwatch.errors import FetchError, ParseError
from necwatch.models import Failure, Outcome, PostObservation
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, Listing, SourceContext
from necwatch.sources.incremental import batch_full, parse_time
from necwatch.sources.revisit import due_posts

# A listing page read: (posts in page order, the next page's URL or None).
PageReader = Callable[[str], Awaitable[tuple[list[ListedPost], str | None]]]


def listing_sig(url: str, shown: str) -> str:
    """A short hash of what a listing shows of a post (its text: title, date, excerpt, byline): an
    edit that changes the card changes it, a listing that only moves the card does not."""
    return hashlib.sha256(f"{url}\n{shown}".encode()).hexdigest()[:16]


def url_key(url: str) -> str:
    """The cursor's short key for a post URL (keeps the cursor small at thousands of posts)."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def cut_warning(resume: str) -> str:
    return (
        f"backfill stopped at listing page {resume} (max_pages, backfill_batch or the run's time a poll): "
        "the next poll continues"
    )


def forget_failed(
    cursor: Mapping[str, Any] | None, posts: Sequence[PostObservation], also: Iterable[str] = ()
) -> dict[str, Any] | None:
    """The cursor without the signatures of posts whose read failed (and of `also`, e.g. a feed's
    excerpts kept because their page failed): shown as changed next poll, so they are read again
    then instead of waiting for their revisit."""
    if cursor is None:
        return None
    failed = {url_key(o.url) for o in posts if o.outcome is Outcome.FAILED} | {url_key(u) for u in also}
    items = {k: v for k, v in dict(cursor.get("items") or {}).items() if k not in failed}
    return {**cursor, "items": items}


def stored_items(ctx: SourceContext, config: SourceConfig) -> dict[str, str] | None:
    """The signatures a listing cursor holds, or None when this poll is a first (full) read."""
    if not config.incremental or ctx.cursor.get("mode") != "listing":
        return None
    return dict(ctx.cursor.get("items") or {})


def listed_changed(ctx: SourceContext, items: Mapping[str, str], url: str, sig: str | None) -> bool:
    """New, listed again after a removal, or shown differently than at the last read."""
    if url not in ctx.known or url in ctx.removed:
        return True
    return items.get(url_key(url)) != sig


def due_now(ctx: SourceContext, config: SourceConfig) -> set[str]:
    """Known posts whose revisit falls between the last successful poll and now."""
    now = ctx.now or datetime.now(UTC)
    return set(due_posts(ctx.known, parse_time(ctx.state.get("last_ok_at")), now, config.sweep_period))


def listing_cursor(
    items: Mapping[str, str], shown: Mapping[str, str | None], known: Iterable[str]
) -> dict[str, Any]:
    """The next cursor: the signatures just seen over the stored ones, only for posts still known
    or shown (sorted, so an unchanged listing writes an equal cursor)."""
    merged = {**items, **{url_key(u): sig or "" for u, sig in shown.items()}}
    live = {url_key(u) for u in [*known, *shown]}
    return {"mode": "listing", "items": {k: merged[k] for k in sorted(merged) if k in live}}


class ListingPoll:
    """One poll of one listing; `run()` gives the Listing and leaves the next cursor in `cursor`."""

    def __init__(self, ctx: SourceContext, config: SourceConfig, start: str, read_page: PageReader) -> None:
        self.ctx, self.config, self.start, self.read_page = ctx, config, start, read_page
        stored = dict(ctx.cursor)
        items = stored_items(ctx, config)
        self.incremental = items is not None
        self.stored_items: dict[str, str] = items or {}
        self.backfill = stored.get("backfill_before") if self.incremental else None
        self.page_size: int | None = stored.get("page_size") if self.incremental else None
        self.listing = Listing()
        self.shown: dict[str, ListedPost] = {}
        self.first_page: set[str] = set()
        self.visited: set[str] = set()
        self.warnings: list[str] = []
        self.cursor: dict[str, Any] | None = None

    async def run(self) -> Listing:
        resume = await self._pages(self.start, stop_early=self.incremental)
        ended = resume is None and self.listing.complete
        cut = None
        if not self.incremental:
            cut = resume  # a first read stopped only by max_pages: continued next poll
            self.listing.exhausted = self.listing.exhausted and cut is None
        elif self.backfill and not ended and self.listing.complete:
            cut = await self._pages(str(self.backfill), stop_early=False)
        if self.incremental and not ended:
            self.listing.partial, self.listing.exhausted = True, False
        self._choose(complete_read=ended)
        if self.config.incremental:
            self._next_cursor(cut)
        return self.listing

    async def _pages(self, url: str | None, *, stop_early: bool) -> str | None:
        """Read listing pages from `url`. Returns where reading stopped before the end (max_pages,
        or a page with nothing new or changed), None at the end, on a loop or on a failure."""
        read = 0
        while url is not None:
            if url in self.visited:  # a pagination loop: the pages read are the listing
                return None
            if read >= self.config.max_pages or self._batch_full():
                return url
            self.visited.add(url)
            try:
                posts, next_url = await self.read_page(url)
            except (FetchError, ParseError) as e:
                self.listing.failures.append(Failure.from_error(e))
                self.listing.complete = self.listing.exhausted = False
                return None
            read += 1
            if not self.shown:  # the first page
                self.first_page = {lp.url for lp in posts}
                if self.page_size is not None and len(posts) != self.page_size:
                    stop_early = False  # repaginated: read through, the signatures re-learned
                self.page_size = len(posts)
            fresh = [lp for lp in posts if lp.url not in self.shown]
            self.shown.update((lp.url, lp) for lp in fresh)
            url = next_url
            if stop_early and not any(self._changed(lp) for lp in fresh):
                return url
        return None

    def _batch_full(self) -> bool:
        """A backfill poll has listed backfill_batch posts, or used its share of the run's deadline:
        the rest next poll (a poll's posts are held in memory until written)."""
        if not self.config.incremental or not self.shown:
            return False
        return batch_full(self.ctx, self.config, len(self.shown))

    def _changed(self, lp: ListedPost) -> bool:
        return listed_changed(self.ctx, self.stored_items, lp.url, lp.listing_sig)

    def _choose(self, *, complete_read: bool) -> None:
        """Which posts this poll reads: all on a first read; else new/changed, first page, due."""
        if not self.incremental:
            self.listing.posts = list(self.shown.values())
            return
        due = due_now(self.ctx, self.config)
        for url, lp in self.shown.items():
            if url in due or url in self.first_page or self._changed(lp):
                self.listing.posts.append(lp)
            else:
                self.listing.unread.append(url)
        if not complete_read:  # partial: only due posts are re-read by their own URL
            self.listing.recheck = [u for u in self.ctx.known if u in due and u not in self.shown]

    def _next_cursor(self, resume: str | None) -> None:
        shown = {u: lp.listing_sig for u, lp in self.shown.items()}
        self.cursor = listing_cursor(self.stored_items, shown, self.ctx.known)
        if self.page_size is not None:
            self.cursor["page_size"] = self.page_size
        if resume is not None and self.listing.complete:
            self.cursor["backfill_before"] = resume
            self.warnings.append(cut_warning(resume))
