"""Backfills as a run or a command runs them: the archive's fetcher built from the run's HttpClient
(allow-list: the archive's host only), the source's delay and budget, and the run's deadline."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime
from typing import cast
from urllib.parse import urlsplit

from necwatch.config import Config, SourceConfig
from necwatch.fetch import Fetcher, HttpClient
from necwatch.models import SourceObservation
from necwatch.sources.archive import DEFAULT_ARCHIVE, DEFAULT_BUDGET, DEFAULT_DELAY
from necwatch.store import Store
from necwatch.webarchive.backfill import ArchiveSummary, Backfill, Mode
from necwatch.webarchive.client import ArchiveRequests, Sleep

__all__ = ["archive_backfill", "poll_archive_source", "recover_from_archive", "reextract_recovered"]

log = logging.getLogger("necwatch.webarchive")


def archive_base(source: SourceConfig) -> str:
    return getattr(source, "archive_url", None) or DEFAULT_ARCHIVE


def _delay(source: SourceConfig) -> float:
    if source.type == "archive":
        return float(getattr(source, "delay", DEFAULT_DELAY))
    return source.archive_delay if source.archive_delay is not None else DEFAULT_DELAY


async def archive_backfill(
    config: Config,
    store: Store,
    source: SourceConfig,
    http: HttpClient,
    *,
    run_id: str,
    now: datetime,
    mode: Mode | None = None,
    since: str | None = None,
    until: str | None = None,
    dry_run: bool = False,
    live: Fetcher | None = None,
    known: tuple[str, ...] = (),
    deadline: float | None = None,
    sleep: Sleep | None = None,
    delay: float | None = None,
    budget: int | None = None,
) -> ArchiveSummary:
    base = archive_base(source)
    fetcher = http.for_source(source.name, frozenset({urlsplit(base).netloc.lower()}))
    requests = ArchiveRequests(
        fetcher,
        delay=delay if delay is not None else _delay(source),
        budget=budget if budget is not None else getattr(source, "budget", DEFAULT_BUDGET),
        until=deadline,
        clock=time.monotonic,
    )
    if sleep is not None:
        requests.sleep = sleep
    backfill = Backfill(
        config,
        store,
        source,
        requests,
        archive_url=base,
        run_id=run_id,
        now=now,
        mode=mode or ("archive" if source.type == "archive" else "recover"),
        since=since,
        until=until,
        dry_run=dry_run,
        live=live,
        known=known,
    )
    return await backfill.run()


async def poll_archive_source(
    config: Config,
    store: Store,
    source: SourceConfig,
    http: HttpClient,
    *,
    run_id: str,
    now: datetime,
    deadline: float | None = None,
) -> SourceObservation:
    """A run's poll of a `type: archive` source: the backfill (written as it goes), then an
    observation with no posts (its listing is no evidence of anything) carrying the summary."""
    summary = await archive_backfill(config, store, source, http, run_id=run_id, now=now, deadline=deadline)
    return SourceObservation(
        source.name, (), True, tuple(summary.failures), partial=True, warnings=_said(summary)
    )


def _said(summary: ArchiveSummary) -> tuple[str, ...]:
    """The summary is logged (info); it is a warning of the poll only when the backfill stopped early."""
    log.info(summary.line(), extra={"source": summary.source})
    return () if summary.complete or summary.stopped is None else (summary.line(),)


async def recover_from_archive(
    config: Config,
    store: Store,
    source: SourceConfig,
    http: HttpClient,
    obs: SourceObservation,
    live: Fetcher,
    *,
    run_id: str,
    now: datetime,
    deadline: float | None = None,
) -> SourceObservation:
    """After a live poll of a source with `archive: true`: the archive's recovery (removed reports
    without their text, posts gone before the first poll). The posts this poll saw are the live
    poll's. The summary joins the poll's warnings; an archive failure is the archive's, never the
    source's (it is logged in the summary, not counted as a failure of the site)."""
    seen = tuple(o.url for o in obs.posts)
    summary = await archive_backfill(
        config, store, source, http, run_id=run_id, now=now, live=live, known=seen, deadline=deadline
    )
    return replace(obs, warnings=(*obs.warnings, *_said(summary)))


def reextract_archive_source(
    config: Config, store: Store, source: SourceConfig, *, run_id: str
) -> SourceObservation:
    """`necwatch reextract` of a `type: archive` source (Backfill.reextract): its stored captures read
    again, written here; the observation says nothing else (no post, no evidence of absence)."""
    from datetime import UTC

    now = datetime.now(UTC).replace(microsecond=0)
    requests = ArchiveRequests(http_less(), budget=0)
    backfill = Backfill(
        config, store, source, requests, archive_url=archive_base(source), run_id=run_id, now=now
    )
    versions = backfill.reextract()
    log.info("%s: re-extracted from stored captures, %d technical versions", source.name, versions)
    return SourceObservation(source.name, (), False, (), partial=True)


def reextract_recovered(config: Config, store: Store, source: SourceConfig, *, run_id: str) -> int:
    """`necwatch reextract` of a live source: its reports recovered from the archive read again from
    their stored captures (Backfill.reextract_recovered; nothing fetched). Returns versions written."""
    from datetime import UTC

    if not store.recoveries(source.name):
        return 0
    now = datetime.now(UTC).replace(microsecond=0)
    requests = ArchiveRequests(http_less(), budget=0)
    backfill = Backfill(
        config,
        store,
        source,
        requests,
        archive_url=archive_base(source),
        run_id=run_id,
        now=now,
        mode="recover",
    )
    versions = backfill.reextract_recovered()
    log.info(
        "%s: recovered reports re-extracted from stored captures, %d technical versions",
        source.name,
        versions,
    )
    return versions


def http_less() -> Fetcher:
    """No fetcher: a re-extraction asks the archive nothing (a budget of 0 refuses any request)."""
    return cast(Fetcher, None)
