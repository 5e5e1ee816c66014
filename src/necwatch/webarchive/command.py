"""`necwatch archive SOURCE`: one source's backfill from the archive, as the CLI runs it (the run
lock held, a `runs` row, the summary printed)."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime

from necwatch.config import Config, SourceConfig
from necwatch.fetch import HttpClient
from necwatch.lock import run_lock
from necwatch.store import Store
from necwatch.webarchive.backfill import ArchiveSummary
from necwatch.webarchive.run import archive_backfill

__all__ = ["cdx_bound", "run_archive", "summary_lines"]

_DATE = re.compile(r"^(\d{4})(?:-?(\d{2}))?(?:-?(\d{2}))?(?:[T ]?(\d{2}):?(\d{2})?:?(\d{2})?)?Z?$")


def cdx_bound(value: str | None) -> str | None:
    """`2019`, `2019-01`, `2019-01-30`, `2019-01-30T12:00` or a CDX timestamp → a CDX timestamp
    prefix (the CDX server pads `from` with the earliest and `to` with the latest values).
    ValueError on anything else."""
    if value is None:
        return None
    m = _DATE.match(value.strip())
    if m is None:
        raise ValueError(f"not a date: {value!r} (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm)")
    return "".join(g for g in m.groups() if g)


def run_archive(
    config: Config, source: SourceConfig, *, since: str | None, until: str | None, dry_run: bool
) -> ArchiveSummary:
    now = datetime.now(UTC).replace(microsecond=0)
    run_id = now.strftime("%Y%m%dT%H%M%SZ-") + "archive-" + uuid.uuid4().hex[:6]
    with run_lock(config.database_path):
        store = Store.open(config.database_path)
        if not dry_run:
            store.start_run(run_id, started_at=now.isoformat(), trigger="archive", sources=[source.name])

        async def go() -> ArchiveSummary:
            async with HttpClient(
                config.fetch,
                user_agent=config.user_agent,
                allow_private=config.allow_private_addresses,
                cache=store,
            ) as http:
                live = (
                    http.for_source(source.name, source.allowed_hosts) if source.type != "archive" else None
                )
                return await archive_backfill(
                    config, store, source, http, run_id=run_id, now=now, since=since, until=until,
                    dry_run=dry_run, live=live,
                )  # fmt: skip

        summary = asyncio.run(go())
        if not dry_run:
            status = "ok" if summary.complete and not summary.failures else "partial"
            finished = datetime.now(UTC).replace(microsecond=0).isoformat()
            store.finish_run(
                run_id, finished_at=finished, status=status, summary={source.name: summary.line()}
            )
        return summary


def summary_lines(s: ArchiveSummary) -> list[str]:
    lines = [
        f"{s.source}{' (dry run: nothing fetched or written beyond the listing)' if s.dry_run else ''}",
        f"  captures listed   {s.captures_listed}",
        f"  posts             {s.posts}"
        + (f" (and {s.feeds} feeds)" if s.feeds else "")
        + (f" (and {s.listings} listing pages)" if s.listings else ""),
        f"  new reports       {s.new_reports}",
        f"  recovered reports {s.recovered}",
        f"  versions          {s.versions}",
        f"  captures read {s.captures} (fetched {s.fetched}, the rest stored by digest)",
        f"  requests to the archive {s.requests}",
    ]
    if s.comment_feeds:
        lines.append(f"  comments          {s.comments} (from {s.comment_feeds} comment feeds)")
    if s.histories:
        lines.append(
            f"  earlier versions  {s.earlier_versions} (captures of {s.histories} live posts"
            " from before their first live version)"
        )
    if s.removed:
        lines.append(f"  removed           {s.removed} (by their own captures: 404/410, redirected away)")
    if s.comments or s.comment_feeds:
        feeds = f" and {s.comment_feeds} comment feeds" if s.comment_feeds else ""
        lines.append(f"  comments          {s.comments} (from captured pages{feeds})")
    if s.not_versions:
        lines.append("  not versions: " + ", ".join(f"{k} ×{n}" for k, n in sorted(s.not_versions.items())))
    if s.skipped_live:
        lines.append(f"  {s.skipped_live} posts the live site still serves (left to its polls)")
    if s.dry_run:
        pages = s.posts + s.feeds + s.listings + s.comment_feeds
        lines.append(f"  a backfill would fetch about {pages} CDX listings and their captures")
    elif s.complete:
        lines.append("  complete")
    else:
        lines.append(f"  stopped: {s.stopped or 'incomplete'}; the next run resumes here")
    return lines
