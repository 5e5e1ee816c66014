"""Incremental polling shared by the platform adapters: the cursor they keep between polls, the
rolling revalidation schedule, and which responses are too ephemeral to archive.

A cursor is a small JSON object stored per source (`source_cursors`), written only when it changes:

  mode            "incremental" once the site answered the platform's change queries; "legacy" when
                  it did not (re-probed after a sweep period, `probed_at`)
  since           the newest modified/updated time seen (UTC ISO): the next change query starts there
  comments_since  the newest comment time seen: the next site-wide comment query starts there
  backfill_before a backfill cut by `max_pages`: the next poll reads the posts published before this
                  (listing sources, sources/listing_poll.py: the listing page it goes on from)
  sweep          {"started": ISO, "done": steps, "before": ISO|None}: rolling revalidation progress
  unarchived      true once content came through a change query (not archived): `reextract` skips
                  the source, whose archive no longer holds the text the dataset has

Rolling revalidation: the whole listing (oldest included) is re-read in pages spread over the sweep
period: after a fraction f of the period, floor(f × pages) pages of this sweep must be done. Content
comes with the listing pages, so tracking compares hashes: an edit that did not move the modified
time is found within one period, and an unchanged post writes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from necwatch.models import Post
from necwatch.settings import SourceConfig
from necwatch.sources.base import ListedPost, SourceContext

# Query parameters that make a URL a moving window (change queries, counts, sweeps): their answers
# are not archived and their fetch rows are not kept (a new URL every poll would grow both forever).
_EPHEMERAL = re.compile(
    r"[?&](?:modified_after|after|before|updated-min|published-min|published-max|orderby|_fields)=",
    re.IGNORECASE,
)


UNSUPPORTED = frozenset({400, 401, 403, 404, 410})


class Unsupported(Exception):
    """The site does not answer the change queries: poll it the legacy way."""


def backfill_warning(before: str) -> str:
    return (
        f"backfill stopped at posts before {before} (max_pages, backfill_batch or the run's time a poll): "
        "the next poll continues"
    )


def batch_full(ctx: SourceContext, config: SourceConfig, read: int) -> bool:
    """Whether a poll reading the archive page by page (a first read, a backfill) has read enough
    for one poll: `read` posts reach the source's `backfill_batch`, or the run's share of time for
    backfills is used. A poll's posts are held in memory until written: the rest next poll."""
    return read >= config.backfill_batch or ctx.backfill_out_of_time()


def oldest_published(posts: Sequence[ListedPost]) -> datetime | None:
    """The earliest publication time among listed posts: where the next page back starts."""
    return min((p.post.published_at for p in posts if p.post and p.post.published_at), default=None)


def after_full_read(cursor: dict[str, Any], posts: Sequence[Post], *, now: datetime, cut: bool) -> str | None:
    """Update `cursor` after a full (legacy) read of the listing: the watermarks an incremental poll
    starts from, a fresh sweep, and where a backfill cut by max_pages or backfill_batch goes on.
    Returns the warning for a cut backfill, else None."""
    for post in posts:
        cursor["since"] = later(cursor.get("since"), post.updated_at or post.published_at)
        cursor["comments_since"] = later(cursor.get("comments_since"), post.published_at)
    cursor.setdefault("sweep", fresh_sweep(now))
    oldest = min((p.published_at for p in posts if p.published_at), default=None)
    if cut and oldest is not None:
        cursor["backfill_before"] = iso(oldest)
        return backfill_warning(iso(oldest))
    cursor.pop("backfill_before", None)
    return None


def ephemeral(url: str) -> bool:
    """A change/count/sweep query: neither its body nor its fetch row is kept."""
    return bool(_EPHEMERAL.search(url))


def iso(value: datetime) -> str:
    """UTC ISO 8601 with a Z, to the second: the form change queries are built with."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def later(a: str | None, b: datetime | None) -> str | None:
    """The later of a stored watermark and a time just seen (as the watermark's ISO form)."""
    if b is None:
        return a
    old = parse_time(a)
    return iso(b) if old is None or b > old else a


def legacy_due(cursor: Mapping[str, Any], now: datetime, period: float) -> bool:
    """Whether a source remembered as not answering change queries should be probed again."""
    probed = parse_time(cursor.get("probed_at"))
    return probed is None or (now - probed).total_seconds() >= period


def sweep_steps(
    sweep: Mapping[str, Any] | None, pages: int, now: datetime, period: float
) -> tuple[dict[str, Any], int]:
    """(the sweep state to continue from, how many listing pages to re-read in this poll).

    Sweeps run back to back, each one period long: pages are owed in proportion to the time since
    the sweep started, so page k of P is re-read about k/P of a period into every sweep and no post
    goes longer than about one period (plus a poll interval) without being read."""
    state = dict(sweep or {})
    started = parse_time(state.get("started"))
    if started is None:
        state, started = fresh_sweep(now), now
    elif state.get("finished"):
        if (now - started).total_seconds() < period:
            return state, 0  # this period's sweep is done: wait for the next one
        started = started + timedelta(seconds=period)
        state = {"started": iso(started), "done": 0, "before": None}
    elapsed = max(0.0, (now - started).total_seconds())
    owed = math.floor(max(1, pages) * min(1.0, elapsed / period)) if period > 0 else pages
    return state, max(0, owed - int(state.get("done", 0)))


def fresh_sweep(now: datetime) -> dict[str, Any]:
    """A sweep starting now (after a backfill: the first one re-reads its first pages soonest)."""
    return {"started": iso(now), "done": 0, "before": None}
