"""Where did the removed posts go? A count sweep by publication date, shared by the Blogger and
WordPress incremental polls.

When the platform's post count drops, listing every id to find the missing ones costs N / page
requests (20 feed pages at 10,000 Blogger posts). Both platforms count the posts published in a date
range (Blogger `published-min`/`published-max` with `openSearch:totalResults`, WordPress `after`/
`before` with `X-WP-Total`) and the database knows when each stored post was published, so a range
whose remote count equals its stored count holds no removal: the sweep bisects only the ranges whose
counts differ, and lists ids only in ranges of at most one page. One removal costs about
log2(N / page) + 2 requests; k removals about k times that. On a small archive the full listing is
cheaper (a 1,000-post blog is 2 Blogger pages): `worth_bisecting` chooses.

Ranges are [lo, hi) in whole UTC seconds, the precision both platforms filter by. A stored post the
remote side no longer lists in its range is only a *candidate*: it is re-read by its own URL, and the
removal rules (docs/tracking.md) decide. The sweep gives up (`Unlocalised`) when the counts cannot
say where the posts went: a stored post without a publication date, a range that cannot be split
(posts published in the same second), more requests than the budget, or fewer candidates found than
the count dropped (a post that changed date, a deletion hidden by a back-dated addition); the caller
then lists every id, as before.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from necwatch.sources.base import SourceContext

log = logging.getLogger(__name__)

Count = Callable[[datetime, datetime], Awaitable[int]]
ListIds = Callable[[datetime, datetime], Awaitable[set[str]]]
SECOND = timedelta(seconds=1)


class Unlocalised(Exception):
    """The counts do not say where the removed posts were: list every id instead."""


@dataclass(frozen=True)
class Span:
    """Posts published in [lo, hi): the stored ones (sorted by time) and the remote count."""

    lo: datetime
    hi: datetime
    stored: tuple[tuple[datetime, str], ...]
    remote: int


async def removal_candidates(
    ctx: SourceContext,
    deficit: int,
    *,
    page: int,
    full_requests: int,
    count: Count,
    list_ids: ListIds,
    list_all: Callable[[], Awaitable[set[str]]],
) -> set[str]:
    """Platform ids of stored posts to re-read by URL after the count dropped by `deficit`: by
    counts when that is cheaper and the counts can say where, else by `list_all` (every id).
    Fetch and parse errors propagate: the caller must then name no candidate."""
    try:
        stored = stored_times(ctx.by_platform_id, ctx.known, ctx.suspects)
        if worth_bisecting(len(stored), page, full_requests):
            budget = ctx.config.max_pages
            return await missing_ids(
                stored, deficit, count=count, list_ids=list_ids, page=page, budget=budget
            )
    except Unlocalised as e:
        log.info(
            "removal sweep by counts gave up, listing every id: %s", e, extra={"source": ctx.config.name}
        )
    return await list_all()


def worth_bisecting(stored: int, page: int, full_requests: int) -> bool:
    """Whether one removal costs fewer requests by counts (one whole count, one count per halving
    down to a page, one listing) than by listing every id in `full_requests` pages."""
    halvings = max(0, math.ceil(math.log2(max(1, stored) / page)))
    return 2 + halvings < full_requests


def stored_times(
    by_platform_id: Mapping[str, str], known: Mapping[str, datetime | None], suspects: frozenset[str]
) -> list[tuple[datetime, str]]:
    """(publication second, platform id) of the live stored posts, oldest first. Suspects are left
    out: they are re-read every poll anyway, and the drop was counted without them."""
    out = []
    for pid, url in by_platform_id.items():
        if url in suspects:
            continue
        published = known.get(url)
        if published is None:
            raise Unlocalised(f"stored post {url} has no publication date")
        out.append((_second(published), pid))
    return sorted(out)


async def missing_ids(
    stored: Sequence[tuple[datetime, str]],
    deficit: int,
    *,
    count: Count,
    list_ids: ListIds,
    page: int,
    budget: int,
) -> set[str]:
    """Platform ids of stored posts that the remote side no longer lists (removal candidates).

    `deficit` is by how much the platform's count fell short of the stored posts; finding fewer
    candidates than that raises Unlocalised, as does needing more than `budget` requests."""
    if not stored:
        raise Unlocalised("no stored posts to compare with")
    lo, hi = stored[0][0], stored[-1][0] + SECOND
    spans = [Span(lo, hi, tuple(stored), await count(lo, hi))]
    requests, missing = 1, set()
    while spans:
        span = spans.pop()
        if span.remote == len(span.stored) or not span.stored:
            continue  # as many as stored (or nothing stored that could be missing)
        if requests >= budget:
            raise Unlocalised(f"more than {budget} requests")
        requests += 1
        if len(span.stored) <= page and span.remote <= page:
            listed = await list_ids(span.lo, span.hi)
            missing |= {pid for _, pid in span.stored if pid not in listed}
            continue
        cut = _split(span)
        left = tuple(s for s in span.stored if s[0] < cut)
        right = span.stored[len(left) :]
        remote_left = await count(span.lo, cut)
        spans += [Span(span.lo, cut, left, remote_left), Span(cut, span.hi, right, span.remote - remote_left)]
    if len(missing) < deficit:
        raise Unlocalised(f"{len(missing)} missing found, the count dropped by {deficit}")
    return missing


def _split(span: Span) -> datetime:
    """A second strictly inside (lo, hi) near the median stored post, so both halves shrink."""
    middle = span.stored[len(span.stored) // 2][0]
    if middle > span.lo:
        return middle
    later = [t for t, _ in span.stored if t > span.lo]
    if not later:
        raise Unlocalised(f"{len(span.stored)} posts published in the same second {span.lo}")
    return later[0]


def _second(value: datetime) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)
