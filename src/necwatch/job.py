"""The main job, as every entry point runs it: lock → poll and store → deliver alerts → write feeds.

Alert delivery and feed writing never fail the poll: their errors are logged and retried next run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from necwatch.config import Config, SourceConfig
from necwatch.lock import run_lock
from necwatch.pipeline import RunResult, SourceSummary, run_async
from necwatch.record.derive import roster_of
from necwatch.store import Store

log = logging.getLogger("necwatch.job")


def run_job(
    config: Config,
    *,
    names: Sequence[str] | None = None,
    due_only: bool = False,
    trigger: str = "cli",
    progress: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunResult:
    """One poll of the chosen sources, holding the run lock (raises LockHeld if it is taken).
    `transport` stands in for the network (the demo's replay); every fetch guard still runs."""
    with run_lock(config.database_path):
        store = Store.open(config.database_path)
        try:
            polling = _with_progress(config, store, names, due_only, trigger, progress, transport)
            result = asyncio.run(polling)
            after_run(config, store, result)
            return result
        finally:
            store.close()


async def _with_progress(
    config: Config,
    store: Store,
    names: Sequence[str] | None,
    due_only: bool,
    trigger: str,
    progress: bool,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunResult:
    kw: dict[str, Any] = {"names": names, "due_only": due_only, "trigger": trigger, "transport": transport}
    if not progress:
        return await run_async(config, store, **kw)
    from rich.progress import Progress

    total = len(names) if names else len([s for s in config.sources if s.enabled])
    with Progress(transient=True) as bar:
        task = bar.add_task("polling sources", total=total)

        def tick(summary: SourceSummary) -> None:
            bar.update(task, advance=1, description=f"polled {summary.name}")

        return await run_async(config, store, progress=tick, **kw)


def after_run(config: Config, store: Store, result: RunResult) -> None:
    """Deliver pending alerts and rewrite the Atom feeds; never raises."""
    steps: list[tuple[str, Any]] = []
    try:
        from necwatch import feeds, notify

        steps = [("notify", notify.deliver), ("feeds", feeds.write_feeds)]
    except ImportError:  # pragma: no cover - while those modules are being built
        log.warning("feeds/notify modules unavailable")
    for name, step in steps:
        try:
            n = step(store, config)
            if name == "notify":
                result.delivered = n
            else:
                result.feeds_written = n
        except Exception:
            log.exception("%s failed after the run; it will be retried next run", name)


class RunningPoll:
    """A handle on the poll in progress, so another thread (the scheduler shutting down) can cancel
    it: the poll's event loop and task are registered while it runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None

    def attach(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        with self._lock:
            self._loop, self._task = loop, task

    def detach(self) -> None:
        with self._lock:
            self._loop = self._task = None

    def cancel(self) -> bool:
        """Cancel the poll in progress, if any (thread-safe). Returns whether one was running."""
        with self._lock:
            if self._loop is None or self._task is None:
                return False
            self._loop.call_soon_threadsafe(self._task.cancel)
            return True


def poll_once(
    config: Config,
    store: Store,
    names: list[str],
    *,
    trigger: str = "schedule",
    running: RunningPoll | None = None,
) -> RunResult | None:
    """Poll `names` once without taking the run lock (the caller holds it), then deliver alerts and
    write feeds. Returns the RunResult, or None if it was cancelled (through `running`)."""

    async def main() -> RunResult:
        if running is not None:
            task = asyncio.current_task()
            assert task is not None
            running.attach(asyncio.get_running_loop(), task)
        return await run_async(config, store, names=names, trigger=trigger)

    try:
        result = asyncio.run(main())
    except asyncio.CancelledError:
        # we hold the run lock, so every run row still 'running' is this cancelled poll's
        store.abort_running_runs(datetime.now(UTC).isoformat(timespec="seconds"), reason="shutdown")
        return None
    finally:
        if running is not None:
            running.detach()
    after_run(config, store, result)
    return result


# What re-extraction takes from the config file rather than from the stored config: how posts are
# read and classified, not where they were fetched from.
READING_KEYS = ("author", "match", "timezone")


def reextract_config(config: Config, store: Store) -> Config:
    """The sources to re-extract: every source the database holds, with the config that fetched its
    stored responses (what the adapter asks the archive for depends on it), and the config file's
    reading keys (author, match, timezone) where the file still has the source. Rows written before
    necwatch kept the config use the file's entry. Configured sources never polled into this
    database have nothing to replay and are left out, and so are sources that read content through
    incremental change queries (not archived: the archive holds older text than the dataset)."""
    configured = {s.name: s for s in config.sources}
    chosen: list[SourceConfig] = []
    for name, row in store.polled_sources().items():
        if store.cursor(name).get("unarchived"):
            # some of its content came through change queries, which are not archived: replaying
            # the archive would read older text than the dataset holds and record it as a version
            log.warning("source %s: part of its content is not in the archive; not re-extracted", name)
            continue
        current = configured.get(name)
        if row["config"]:
            stored = json.loads(row["config"])
            if current is not None:
                stored.update({k: getattr(current, k) for k in READING_KEYS})
            chosen.append(SourceConfig.model_validate(stored))
        elif current is not None:
            chosen.append(current)
        else:
            log.warning("source %s: in the database but neither stored nor configured; skipped", name)
    return config.model_copy(update={"sources": chosen})


def reextract(config: Config, *, names: Sequence[str] | None = None) -> RunResult:
    """Re-run the adapters over stored raw responses; differences become technical versions. Then
    derive every NEC report's record again from its stored text (a changed record extractor or
    roster changes the record tables and raises no alert).

    Raises ConfigError when a name is not a source of this database."""
    from necwatch.archive import ArchiveClient

    with run_lock(config.database_path):
        store = Store.open(config.database_path)
        try:
            roster = roster_of(config)  # the config file's people, not a stored source's
            config = reextract_config(config, store)
            for name in names or ():
                config.source(name)
            result = asyncio.run(
                run_async(
                    config,
                    store,
                    names=names,
                    trigger="reextract",
                    technical=True,
                    client=ArchiveClient(store),  # type: ignore[arg-type]  # same shape as HttpClient
                )
            )
            # every record again, from the stored texts (the sources the archive cannot replay too)
            result.records = store.rederive_records(roster, sources=names)
            log.info("re-derived %d records", result.records)
            return result
        finally:
            store.close()
