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

from necwatch.errors import ParseError
from necwatch.models import Comment, Post, Response
from necwatch.sources.base import ListedPost
from necwatch.sources.incremental import (
    Unsupported,
    ephemeral,
    iso,
    later,
)
from necwatch.sources.polling import IncrementalPoll, PollingSource, Stamp, site_wide
from necwatch.sources.removals import SECOND
from necwatch.sources.wordpress.api import parse_rest_comments, parse_rest_posts


class WordPressAdapter(PollingSource, Protocol):
    """What the incremental poll uses of the WordPress adapter (wordpress/source.py's
    WordPressSource): the site's URLs, its author names and how a REST post becomes a listed post
    (the REST answers are parsed by wordpress/api.py)."""

    authors: dict[int, str]

    def site_url(self, path: str) -> str: ...
    async def rest_listed(self, post: Post, author_id: int | None) -> ListedPost: ...


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


class WordPressPoll(IncrementalPoll):
    """One incremental poll of one WordPress source (the steps are in sources/polling.py)."""

    src: WordPressAdapter

    def __init__(self, src: WordPressAdapter) -> None:
        """A poll from a REST read's cursor: its query and the author names it kept."""
        super().__init__(src)
        self.query = str(self.cursor["query"])
        src.authors.update({int(k): v for k, v in (self.cursor.get("authors") or {}).items()})
        self.first: list[dict[str, Any]] = []  # the probe's id listing (page 1 of `all_missing`)

    def url(self, params: str) -> str:
        return self.src.site_url("wp-json/wp/v2/posts?" + (f"{self.query}&" if self.query else "") + params)

    async def probe(self) -> tuple[list[Stamp], int]:
        probe = await self.src.fetcher.get(
            self.url(f"orderby=modified&order=desc&per_page={PAGE}&_fields={FIELDS}")
        )
        items = self._items(probe)
        total = _total(probe)
        if total is None or not _ordered(items):
            raise Unsupported("the site ignores orderby=modified or gives no X-WP-Total")
        self.first = items
        return [Stamp(str(i.get("id")), _gmt(i.get("modified_gmt"))) for i in items], total

    def cursor_extra(self) -> dict[str, Any]:
        return {"query": self.query, "authors": {str(k): v for k, v in sorted(self.src.authors.items())}}

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
        rows = parse_rest_posts(response.final_url, response.text)
        if rows and ephemeral(url):  # content the raw archive will not hold (see job.reextract_config)
            self.cursor["unarchived"] = True
        listed = [await self.src.rest_listed(post, author) for post, author in rows]
        pages = int(response.headers.get("x-wp-totalpages") or 1)
        return [site_wide(lp) for lp in listed], pages

    async def read_changed(self, since: str | None) -> None:
        after = f"&modified_after={since}" if since else ""
        for page in range(1, self.src.config.max_pages + 1):
            posts, pages = await self._posts(
                self.url(f"orderby=modified&order=asc&per_page={PAGE}&page={page}{after}")
            )
            self.add(posts)
            if page >= pages:
                return
        self.src.warnings.append("more changes than max_pages pages: the rest is read next poll")
        self.listing.complete = False

    async def read_comments(self) -> None:
        since = self.cursor.get("comments_since")
        params = f"per_page={PAGE}&orderby=date&order=asc" + (f"&after={since}" if since else "")
        by_post: dict[str, list[Comment]] = defaultdict(list)
        newest = None
        for page in range(1, self.src.config.max_pages + 1):
            url = self.src.site_url(f"wp-json/wp/v2/comments?{params}&page={page}")
            response = await self.src.fetcher.get(url)
            for post_id, comment in _comments_with_posts(response):
                by_post[post_id].append(comment)
                if comment.published_at is not None:
                    newest = comment.published_at if newest is None else max(newest, comment.published_at)
            if page >= int(response.headers.get("x-wp-totalpages") or 1):
                break
        self.cursor["comments_since"] = later(since, newest)
        self.attach_comments({post_id: tuple(comments) for post_id, comments in by_post.items()})

    def removal_page(self) -> int:
        return PAGE

    def removal_full_requests(self, total: int) -> int:
        return math.ceil(total / PAGE) - 1  # the probe read page 1

    def _range(self, lo: datetime, hi: datetime) -> str:
        """Posts published in [lo, hi): `after` and `before` are both exclusive, to the second."""
        return f"after={iso(lo - SECOND)}&before={iso(hi)}"

    async def count(self, lo: datetime, hi: datetime) -> int:
        response = await self.src.fetcher.get(self.url(f"{self._range(lo, hi)}&per_page=1&_fields=id"))
        total = _total(response)
        if total is None:
            raise ParseError("no X-WP-Total", url=response.final_url, kind="unexpected_page")
        return total

    async def ids(self, lo: datetime, hi: datetime) -> set[str]:
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

    async def all_missing(self, total: int) -> set[str]:
        """Every id, pages of 100 (the first is the probe's): the stored ids not among them."""
        ids = {str(i.get("id")) for i in self.first}
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

    def sweep_size(self) -> int:
        return PAGE

    async def sweep_page(self, before: str | None) -> list[ListedPost]:
        url = self.url(f"orderby=date&order=desc&per_page={PAGE}" + (f"&before={before}" if before else ""))
        return (await self._posts(url))[0]

    def backfill_size(self) -> int:
        return PAGE

    async def backfill_page(self, before: str) -> list[ListedPost]:
        url = self.url(f"orderby=date&order=desc&per_page={PAGE}&before={before}")
        return [_full(lp) for lp in (await self._posts(url))[0]]


def _full(lp: ListedPost) -> ListedPost:
    """A backfilled post: its comments are read whole, per post (they predate the comment cursor)."""
    return ListedPost(url=lp.url, post=lp.post, comments_url=lp.comments_url, platform_id=lp.platform_id)


def _ordered(items: list[dict[str, Any]]) -> bool:
    times = [_gmt(i.get("modified_gmt")) for i in items]
    if any(t is None for t in times):
        return False
    return all(a >= b for a, b in itertools.pairwise(times))  # type: ignore[operator]


def _comments_with_posts(response: Response) -> list[tuple[str, Comment]]:
    """A site-wide comments page → (post id, comment) pairs."""
    comments = {c.platform_id: c for c in parse_rest_comments(response.final_url, response.text)}
    out = []
    for obj in json.loads(response.text):
        cid = str(obj.get("id"))
        if cid in comments and obj.get("post") is not None:
            out.append((str(obj["post"]), comments[cid]))
    return out
