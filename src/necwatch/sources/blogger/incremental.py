"""Blogger feed polls that cost what changed (see sources/incremental.py for the cursor).

1. `feeds/posts/summary?orderby=updated&max-results=100`: the most recently updated posts (ids and
   times, no bodies) and, in `openSearch:totalResults`, how many posts there are.
2. Only when one is newer than the cursor: `feeds/posts/default?orderby=updated&updated-min=SINCE&
   max-results=500` (full content of what changed; `updated-min` is inclusive, so the newest known
   post comes back too and tracking finds it unchanged).
3. `feeds/comments/default?orderby=updated&updated-min=SINCE&max-results=500`: new comments of the
   whole blog, each tied to its post by `thr:in-reply-to`.
4. Only when the total dropped: a removal sweep (sources/removals.py) bisecting by publication date
   with `published-min`/`published-max` counts (`max-results=1`), listing ids only where the counts
   differ; when the counts cannot say where, the summary feed by `start-index`. Stored posts it no
   longer shows are re-read by their own URL.
5. Rolling revalidation by `published-max` pages of 100 with content; a backfill cut by `max_pages`
   continues with `published-max` until the archive is read.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urljoin

from necwatch.errors import ParseError
from necwatch.extract.dates import parse_iso
from necwatch.extract.feeds import ATOM, atom_root
from necwatch.models import Comment
from necwatch.sources.base import ListedPost
from necwatch.sources.blogger.feed import atom_comment, parse_feed_atom
from necwatch.sources.incremental import (
    Unsupported,
    ephemeral,
    iso,
    later,
)
from necwatch.sources.polling import IncrementalPoll, PollingSource, Stamp


class BloggerAdapter(PollingSource, Protocol):
    """What the incremental poll uses of the Blogger adapter (blogger/source.py's BloggerSource):
    the blog's base URL and its per-post comment feed URLs (the feeds are parsed by blogger/feed.py)."""

    base: str

    def comments_url(
        self, post_id: str, fmt: str, start: int | None = None, max_results: int | None = None
    ) -> str: ...


PROBE, PAGE, BIG = 100, 100, 500
_POST_ID = re.compile(r"\.post-(\d+)$")
_OS = "{http://a9.com/-/spec/opensearchrss/1.0/}"
_THR = "{http://purl.org/syndication/thread/1.0}"


class BloggerPoll(IncrementalPoll):
    """One incremental poll of one Blogger source (the steps are in sources/polling.py)."""

    src: BloggerAdapter

    def feed(self, kind: str, params: str) -> str:
        path = f"feeds/posts/{kind}"
        if self.src.config.label:
            path += "/-/" + quote(self.src.config.label, safe="")
        return urljoin(self.src.base, path) + "?" + params

    async def probe(self) -> tuple[list[Stamp], int]:
        response = await self.src.fetcher.get(self.feed("summary", f"orderby=updated&max-results={PROBE}"))
        entries, total = _summary(response.final_url, response.text)
        times = [t for _, _, t in entries]
        if total is None or any(a < b for a, b in itertools.pairwise(times)):
            raise Unsupported("the blog ignores orderby=updated or gives no openSearch:totalResults")
        return [Stamp(pid, when) for pid, _, when in entries], total

    async def read_changed(self, since: str | None) -> None:
        await self._posts(
            f"orderby=updated&updated-min={since}&max-results={BIG}" if since else f"max-results={BIG}"
        )

    async def _posts(self, params: str, *, partial: bool = True) -> list[ListedPost]:
        """Full posts of one feed page, as listed posts (comments site-wide unless `partial` is off)."""
        url = self.feed("default", params)
        response = await self.src.fetcher.get(url)
        entries = parse_feed_atom(
            response.final_url, response.text, default_author=self.src.config.author
        ).entries
        if entries and ephemeral(url):  # content the raw archive will not hold (see job.reextract_config)
            self.cursor["unarchived"] = True
        out = [
            ListedPost(
                url=entry.url,
                post=entry.post,
                comments_url=self.src.comments_url(entry.platform_id, "feed"),
                comment_count=entry.comment_count,
                platform_id=entry.platform_id,
                comments_partial=partial,
            )
            for entry in entries
        ]
        self.add(out)
        return out

    async def read_comments(self) -> None:
        since = self.cursor.get("comments_since")
        params = f"orderby=updated&max-results={BIG}" + (f"&updated-min={since}" if since else "")
        response = await self.src.fetcher.get(urljoin(self.src.base, "feeds/comments/default?" + params))
        root = atom_root(response.final_url, response.text)
        by_post: dict[str, list[Comment]] = defaultdict(list)
        newest = None
        for element in root.findall(f"{ATOM}entry"):
            reply = element.find(f"{_THR}in-reply-to")
            m = _POST_ID.search(reply.get("ref", "")) if reply is not None else None
            if m is None:
                continue
            comment = atom_comment(element, response.final_url)
            by_post[m.group(1)].append(comment)
            if comment.published_at is not None:
                newest = comment.published_at if newest is None else max(newest, comment.published_at)
        self.cursor["comments_since"] = later(since, newest)
        self.attach_comments(
            {
                post_id: tuple(sorted(comments, key=lambda c: (c.published_at is None, c.published_at)))
                for post_id, comments in by_post.items()
            }
        )

    def removal_page(self) -> int:
        return BIG

    def removal_full_requests(self, total: int) -> int:
        return math.ceil(total / BIG)

    def _range(self, lo: datetime, hi: datetime) -> str:
        return f"published-min={iso(lo)}&published-max={iso(hi)}"

    async def count(self, lo: datetime, hi: datetime) -> int:
        """How many posts were published in [lo, hi) (`published-max` is exclusive)."""
        response = await self.src.fetcher.get(self.feed("summary", f"{self._range(lo, hi)}&max-results=1"))
        total = _summary(response.final_url, response.text)[1]
        if total is None:
            raise ParseError("no openSearch:totalResults", url=response.final_url, kind="unexpected_page")
        return total

    async def ids(self, lo: datetime, hi: datetime) -> set[str]:
        """The ids of the posts published in [lo, hi): every page of them, or an error (a short read
        must not make a post look missing)."""
        ids: set[str] = set()
        start = 1
        for _ in range(self.src.config.max_pages):
            params = f"{self._range(lo, hi)}&start-index={start}&max-results={BIG}"
            response = await self.src.fetcher.get(self.feed("summary", params))
            entries, total = _summary(response.final_url, response.text)
            ids |= {pid for pid, _, _ in entries}
            start += len(entries)
            if total is not None and start > total:
                return ids
            if not entries or total is None:
                raise ParseError(
                    "id listing short of its count", url=response.final_url, kind="unexpected_page"
                )
        raise ParseError(
            "id listing longer than max_pages", url=self.feed("summary", params), kind="unexpected_page"
        )

    async def all_missing(self, total: int) -> set[str]:
        """Every id by `start-index` pages of 500: the stored ids not among them."""
        pages = math.ceil(total / BIG)
        if pages > self.src.config.max_pages:
            self.src.warnings.append("removal sweep longer than max_pages: removals wait for 404 twice")
            return set()
        ids: set[str] = set()
        for page in range(pages):
            response = await self.src.fetcher.get(
                self.feed("summary", f"start-index={page * BIG + 1}&max-results={BIG}")
            )
            ids |= {pid for pid, _, _ in _summary(response.final_url, response.text)[0]}
        return {pid for pid in self.ctx.by_platform_id if pid not in ids}

    def sweep_size(self) -> int:
        return PAGE

    async def sweep_page(self, before: str | None) -> list[ListedPost]:
        return await self._posts(f"max-results={PAGE}" + (f"&published-max={before}" if before else ""))

    def backfill_size(self) -> int:
        return BIG

    async def backfill_page(self, before: str) -> list[ListedPost]:
        return await self._posts(f"max-results={BIG}&published-max={before}", partial=False)


def _summary(url: str, data: str) -> tuple[list[tuple[str, str, datetime]], int | None]:
    """A summary feed page → [(post id, permalink, updated)], openSearch:totalResults."""
    root = atom_root(url, data)
    out = []
    for entry in root.findall(f"{ATOM}entry"):
        m = _POST_ID.search(entry.findtext(f"{ATOM}id", ""))
        updated = entry.findtext(f"{ATOM}updated")
        link = next(
            (a.get("href", "") for a in entry.findall(f"{ATOM}link") if a.get("rel") == "alternate"), ""
        )
        if m and updated:
            try:
                when = parse_iso(updated).astimezone(UTC)
            except ValueError as e:  # a classified failure of this summary page, never an adapter crash
                raise ParseError(
                    f"bad updated date {updated!r}: {e}", url=url, kind="feed_unparseable"
                ) from e
            out.append((m.group(1), urljoin(url, link), when))
    total = root.findtext(f"{_OS}totalResults")
    return out, int(total) if total and total.strip().isdigit() else None
