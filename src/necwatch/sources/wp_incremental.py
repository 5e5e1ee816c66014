"""WordPress REST polls that cost what changed (see sources/incremental.py for the cursor).

One poll of a source whose site answers the change queries:

1. `posts?Q&orderby=modified&order=desc&per_page=100&_fields=id,link,modified_gmt,date_gmt`: the 100
   most recently modified posts (ids and times only) and, in `X-WP-Total`, how many posts there are.
2. Only when one is newer than the cursor: `posts?Q&orderby=modified&order=asc&per_page=100&
   modified_after=SINCE` (full content of exactly what changed).
3. `comments?after=SINCE&per_page=100&orderby=date&order=asc`: new comments, site-wide, not per post.
4. Only when the total dropped below what is stored: a removal sweep (sources/removals.py)
   bisecting by publication date with `after`/`before` counts (`per_page=1`, `X-WP-Total`) and
   listing ids only where the counts differ; when the counts cannot say where, the id listing of
   step 1 page by page. Stored posts it no longer shows are re-read by their own URL.
5. Rolling revalidation: the listing by date in pages of 100 with content, spread over the sweep
   period; and a backfill cut by `max_pages` continues (`before=`) until the archive is read.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Protocol

from necwatch.errors import FetchError, ParseError
from necwatch.fetch import Fetcher
from necwatch.models import Comment, Outcome, Post, PostObservation, Response
from necwatch.sources.base import ListedPost, Listing, SourceContext
from necwatch.sources.incremental import (
    UNSUPPORTED,
    Unsupported,
    backfill_warning,
    ephemeral,
    iso,
    later,
    oldest_published,
    parse_time,
    sweep_steps,
)
from necwatch.sources.removals import SECOND, removal_candidates


class WordPressSource(Protocol):
    """What the incremental poll uses of the WordPress adapter (sources.wordpress.WordPressSource)."""

    ctx: SourceContext
    config: Any  # WordPressSourceConfig
    fetcher: Fetcher
    warnings: list[str]
    next_cursor: dict[str, Any] | None
    _authors: dict[int, str]

    def _url(self, path: str) -> str: ...
    def parse_posts(self, response: Response) -> list[tuple[Post, int | None]]: ...
    def parse_comments(self, response: Response) -> list[Comment]: ...
    async def _rest_listed(self, post: Post, author_id: int | None) -> ListedPost: ...
    def record(self, error: FetchError | ParseError) -> None: ...


PAGE = 100
FIELDS = "id,link,modified_gmt,date_gmt"


def _gmt(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:  # an unreadable time is no watermark, not a failed poll
        return None


def _total(response: Response) -> int | None:
    try:
        return int(response.headers["x-wp-total"])
    except (KeyError, ValueError):
        return None


class WordPressPoll:
    """One incremental poll of one WordPress source; `run()` gives the listing and sets the cursor."""

    def __init__(self, src: WordPressSource, query: str) -> None:
        self.src, self.query = src, query
        self.ctx = src.ctx
        self.cursor: dict[str, Any] = dict(src.ctx.cursor)
        self.now = src.ctx.now or datetime.now(UTC)
        self.listing = Listing(partial=True, exhausted=False)
        self.listed: dict[str, ListedPost] = {}

    def url(self, params: str) -> str:
        return self.src._url("wp-json/wp/v2/posts?" + (f"{self.query}&" if self.query else "") + params)

    async def run(self) -> Listing:
        try:
            probe = await self.src.fetcher.get(
                self.url(f"orderby=modified&order=desc&per_page={PAGE}&_fields={FIELDS}")
            )
        except FetchError as e:
            if e.status in UNSUPPORTED:
                raise Unsupported(str(e)) from e
            raise
        items = self._items(probe)
        total = _total(probe)
        if total is None or not _ordered(items):
            raise Unsupported("the site ignores orderby=modified or gives no X-WP-Total")
        since = self.cursor.get("since")
        watermark = parse_time(since)
        changed = [
            i for i in items if watermark is None or (_gmt(i.get("modified_gmt")) or self.now) > watermark
        ]
        if changed:
            await self._changed(since)
        await self._comments()
        new = sum(1 for i in changed if str(i.get("id")) not in self.ctx.by_platform_id)
        deficit = self.ctx.live - len(self.ctx.suspects) + new - total
        if deficit > 0:
            await self._removals(items, total, deficit)
        await self._sweep(total)
        await self._backfill()
        newest = max((m for i in items if (m := _gmt(i.get("modified_gmt"))) is not None), default=None)
        self.cursor["since"] = later(since, newest)
        self.cursor.update(mode="incremental", query=self.query, authors=_authors(self.src))
        self.cursor.pop("probed_at", None)
        self.listing.posts = list(self.listed.values())
        self.src.next_cursor = self.cursor
        return self.listing

    def _items(self, response: Response) -> list[dict[str, Any]]:
        try:
            data = json.loads(response.text)
        except ValueError as e:
            raise ParseError(f"not JSON: {e}", url=response.final_url, kind="unexpected_page") from e
        if not isinstance(data, list):
            raise ParseError("expected a JSON list", url=response.final_url, kind="unexpected_page")
        return [d for d in data if isinstance(d, dict)]

    async def _posts(self, url: str) -> tuple[list[ListedPost], int]:
        """A page of full posts → listed posts (comments come site-wide), and the page count."""
        response = await self.src.fetcher.get(url)
        rows = self.src.parse_posts(response)
        if rows and ephemeral(url):  # content the raw archive will not hold (see job.reextract_config)
            self.cursor["unarchived"] = True
        listed = [await self.src._rest_listed(post, author) for post, author in rows]
        pages = int(response.headers.get("x-wp-totalpages") or 1)
        return [_partial(lp) for lp in listed], pages

    async def _changed(self, since: str | None) -> None:
        after = f"&modified_after={since}" if since else ""
        for page in range(1, self.src.config.max_pages + 1):
            posts, pages = await self._posts(
                self.url(f"orderby=modified&order=asc&per_page={PAGE}&page={page}{after}")
            )
            self._add(posts)
            if page >= pages:
                return
        self.src.warnings.append("more changes than max_pages pages: the rest is read next poll")
        self.listing.complete = False

    def _add(self, posts: list[ListedPost]) -> None:
        for lp in posts:
            self.listed.setdefault(lp.url, lp)

    async def _comments(self) -> None:
        since = self.cursor.get("comments_since")
        params = f"per_page={PAGE}&orderby=date&order=asc" + (f"&after={since}" if since else "")
        by_post: dict[str, list[Comment]] = defaultdict(list)
        newest = None
        for page in range(1, self.src.config.max_pages + 1):
            url = self.src._url(f"wp-json/wp/v2/comments?{params}&page={page}")
            response = await self.src.fetcher.get(url)
            for post_id, comment in _comments_with_posts(self.src, response):
                by_post[post_id].append(comment)
                if comment.published_at is not None:
                    newest = comment.published_at if newest is None else max(newest, comment.published_at)
            if page >= int(response.headers.get("x-wp-totalpages") or 1):
                break
        self.cursor["comments_since"] = later(since, newest)
        self._attach(by_post)

    def _attach(self, by_post: dict[str, list[Comment]]) -> None:
        """New comments go to the listed post they belong to, else to the stored NEC report."""
        listed_ids = {lp.platform_id: lp for lp in self.listed.values() if lp.platform_id}
        for post_id, comments in by_post.items():
            lp = listed_ids.get(post_id)
            if lp is not None and lp.post is not None and self.ctx.wants_comments(lp.post):
                self.listed[lp.url] = _partial(lp, tuple(comments))
            elif lp is None and post_id in self.ctx.report_ids:
                url = self.ctx.by_platform_id[post_id]
                obs = PostObservation(
                    url, Outcome.NOT_MODIFIED, comments=tuple(comments), comments_partial=True
                )
                self.listing.extra.append(obs)

    async def _removals(self, first: list[dict[str, Any]], total: int, deficit: int) -> None:
        """The count dropped: find the stored posts no longer listed (re-read by their URL). A failed
        or inconsistent sweep is recorded and names no candidate: the drop is looked for again."""
        ctx = self.ctx
        try:
            missing = await removal_candidates(
                ctx,
                deficit,
                page=PAGE,
                full_requests=math.ceil(total / PAGE) - 1,
                count=self._count,
                list_ids=self._ids,
                list_all=lambda: self._all_missing(first, total),
            )
        except (FetchError, ParseError) as e:
            self.src.record(e)
            return
        self.listing.recheck += [ctx.by_platform_id[pid] for pid in sorted(missing)]

    def _range(self, lo: datetime, hi: datetime) -> str:
        """Posts published in [lo, hi): `after` and `before` are both exclusive, to the second."""
        return f"after={iso(lo - SECOND)}&before={iso(hi)}"

    async def _count(self, lo: datetime, hi: datetime) -> int:
        response = await self.src.fetcher.get(self.url(f"{self._range(lo, hi)}&per_page=1&_fields=id"))
        total = _total(response)
        if total is None:
            raise ParseError("no X-WP-Total", url=response.final_url, kind="unexpected_page")
        return total

    async def _ids(self, lo: datetime, hi: datetime) -> set[str]:
        """The ids of the posts published in [lo, hi): every page of them, or an error (a short read
        must not make a post look missing)."""
        ids: set[str] = set()
        for page in range(1, self.src.config.max_pages + 1):
            url = self.url(f"{self._range(lo, hi)}&per_page={PAGE}&page={page}&_fields=id")
            response = await self.src.fetcher.get(url)
            ids |= {str(i.get("id")) for i in self._items(response)}
            total, pages = _total(response), int(response.headers.get("x-wp-totalpages") or 0)
            if total is None:
                raise ParseError("no X-WP-Total", url=response.final_url, kind="unexpected_page")
            if page >= pages:
                if len(ids) < total:
                    raise ParseError("id listing short of its count", url=url, kind="unexpected_page")
                return ids
        raise ParseError("id listing longer than max_pages", url=url, kind="unexpected_page")

    async def _all_missing(self, first: list[dict[str, Any]], total: int) -> set[str]:
        """Every id, pages of 100 (the first is the probe's): the stored ids not among them."""
        ids = {str(i.get("id")) for i in first}
        pages = math.ceil(total / PAGE)
        if pages > self.src.config.max_pages:
            self.src.warnings.append("removal sweep longer than max_pages: removals wait for 404 twice")
            return set()
        for page in range(2, pages + 1):
            response = await self.src.fetcher.get(
                self.url(f"orderby=modified&order=desc&per_page={PAGE}&page={page}&_fields={FIELDS}")
            )
            ids |= {str(i.get("id")) for i in self._items(response)}
        return {pid for pid in self.ctx.by_platform_id if pid not in ids}

    async def _sweep(self, total: int) -> None:
        pages = max(1, math.ceil(total / PAGE))
        state, steps = sweep_steps(self.cursor.get("sweep"), pages, self.now, self.src.config.sweep_period)
        for _ in range(min(steps, self.src.config.max_pages)):
            before = state.get("before")
            posts, _pages = await self._posts(
                self.url(f"orderby=date&order=desc&per_page={PAGE}" + (f"&before={before}" if before else ""))
            )
            self._add(posts)
            state["done"] = int(state.get("done", 0)) + 1
            oldest = oldest_published(posts)
            if len(posts) < PAGE or oldest is None:
                state.update(finished=True, before=None)
                break
            state["before"] = iso(oldest)
        self.cursor["sweep"] = state

    async def _backfill(self) -> None:
        before = self.cursor.get("backfill_before")
        if not before:
            return
        read = 0
        for _ in range(self.src.config.max_pages):
            posts, _pages = await self._posts(
                self.url(f"orderby=date&order=desc&per_page={PAGE}&before={before}")
            )
            self._add([_full(lp) for lp in posts])
            oldest = oldest_published(posts)
            if len(posts) < PAGE or oldest is None:
                self.cursor.pop("backfill_before", None)
                return
            before = iso(oldest)
            read += len(posts)
            if read >= self.src.config.backfill_batch or self.src.ctx.backfill_out_of_time():
                break  # a poll's posts are held in memory until written: the rest next poll
        self.cursor["backfill_before"] = before
        self.src.warnings.append(backfill_warning(before))


def _partial(lp: ListedPost, comments: tuple[Comment, ...] | None = None) -> ListedPost:
    """A listed post whose comments come from the site-wide feed (None: none new)."""
    return ListedPost(
        url=lp.url,
        post=lp.post,
        comments_url=lp.comments_url,
        platform_id=lp.platform_id,
        comments_partial=True,
        new_comments=comments,
    )


def _full(lp: ListedPost) -> ListedPost:
    """A backfilled post: its comments are read whole, per post (they predate the comment cursor)."""
    return ListedPost(url=lp.url, post=lp.post, comments_url=lp.comments_url, platform_id=lp.platform_id)


def _ordered(items: list[dict[str, Any]]) -> bool:
    times = [_gmt(i.get("modified_gmt")) for i in items]
    if any(t is None for t in times):
        return False
    return all(a >= b for a, b in itertools.pairwise(times))  # type: ignore[operator]


def _comments_with_posts(src: WordPressSource, response: Response) -> list[tuple[str, Comment]]:
    """A site-wide comments page → (post id, comment) pairs."""
    comments = {c.platform_id: c for c in src.parse_comments(response)}
    out = []
    for obj in json.loads(response.text):
        cid = str(obj.get("id"))
        if cid in comments and obj.get("post") is not None:
            out.append((str(obj["post"]), comments[cid]))
    return out


def _authors(src: WordPressSource) -> dict[str, str]:
    return {str(k): v for k, v in sorted(src._authors.items())}
