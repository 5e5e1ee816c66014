"""The main job, as every entry point runs it: lock → re-extract the sources a changed extractor
left behind (catch_up_extraction) → poll and store → deliver alerts → write feeds.

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
from necwatch.extract import EXTRACTOR_VERSION
from necwatch.lock import run_lock
from necwatch.pipeline import RunResult, SourceSummary, due_sources, run_async, utcnow
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
            chosen = _chosen(config, store, names, due_only)
            errors = catch_up_extraction(config, store, chosen)
            polling = _with_progress(config, store, names, due_only, trigger, progress, transport, errors)
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
    catch_up_errors: dict[str, str] | None = None,
) -> RunResult:
    kw: dict[str, Any] = {
        "names": names,
        "due_only": due_only,
        "trigger": trigger,
        "transport": transport,
        "catch_up_errors": catch_up_errors,
    }
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

    errors = catch_up_extraction(config, store, names)

    async def main() -> RunResult:
        if running is not None:
            task = asyncio.current_task()
            assert task is not None
            running.attach(asyncio.get_running_loop(), task)
        return await run_async(config, store, names=names, trigger=trigger, catch_up_errors=errors)

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
    roster changes the record tables and raises no alert). Each source re-extracted (not failed)
    is recorded as read by the current extractor.

    Raises ConfigError when a name is not a source of this database."""
    with run_lock(config.database_path):
        store = Store.open(config.database_path)
        try:
            replay = reextract_config(config, store)
            for name in names or ():
                replay.source(name)
            result = _replay(config, replay, store, names, trigger="reextract")
            _record_versions(store, [x.name for x in result.sources if x.status != "failed"])
            return result
        finally:
            store.close()


def _replay(
    config: Config, replay: Config, store: Store, names: Sequence[str] | None, *, trigger: str
) -> RunResult:
    """The replay itself (the caller holds the run lock): `replay`'s sources (reextract_config) read
    again from their stored responses as technical versions, then the records derived again with
    the roster of `config` (the config file's people, not a stored source's)."""
    from necwatch.archive import ArchiveClient

    roster = roster_of(config)
    result = asyncio.run(
        run_async(
            replay,
            store,
            names=names,
            trigger=trigger,
            technical=True,
            client=ArchiveClient(store),  # type: ignore[arg-type]  # same shape as HttpClient
        )
    )
    # every record again, from the stored texts (the sources the archive cannot replay too)
    result.records = store.rederive_records(roster, sources=names)
    log.info("re-derived %d records", result.records)
    return result


def _record_versions(store: Store, names: Sequence[str]) -> None:
    """Record that these sources' stored text is now as the current extractor reads it."""
    if not names:
        return
    with store.transaction():
        for name in names:
            if store.source_row(name) is not None:
                store.upsert_source({"name": name, "extractor_version": EXTRACTOR_VERSION})


def _chosen(config: Config, store: Store, names: Sequence[str] | None, due_only: bool) -> list[str]:
    """The sources a run polls (as run_async chooses them)."""
    if names:
        return list(names)
    chosen = [s.name for s in config.sources if s.enabled]
    if due_only:
        due = {s.name for s in due_sources(config, store, utcnow())}
        chosen = [n for n in chosen if n in due]
    return chosen


def catch_up_extraction(config: Config, store: Store, names: Sequence[str]) -> dict[str, str]:
    """Before a run polls `names`: each source whose stored text was read by another extractor
    (sources.extractor_version ≠ EXTRACTOR_VERSION) is re-extracted from its stored responses, as
    `necwatch reextract --source NAME` does (technical versions, no alerts, records derived again),
    and then recorded as read by this one, so the poll that follows compares like with like and a
    changed extractor is never reported as an edit. A source that cannot be replayed (content read
    through change queries, not archived) or has nothing stored yet is only recorded, with a
    warning.

    Never raises: a failed re-extraction is logged, its source's version is left as it was (tried
    again next run) and the poll goes on. Returns source → the failure, for the run's summary
    (run_async `catch_up_errors`)."""
    stale: list[str] = []
    nothing: list[str] = []
    for name in dict.fromkeys(names):
        row = store.source_row(name)
        version = row.get("extractor_version") if row else None
        if row is None or version is None or version == EXTRACTOR_VERSION:
            continue  # never stored, or first read by this extractor (pipeline stamps it)
        (stale if row.get("last_ok_at") else nothing).append(name)
    if not stale and not nothing:
        return {}
    errors: dict[str, str] = {}
    try:
        replay = reextract_config(config, store)
        replayable = {s.name for s in replay.sources}
        for name in stale:
            if name not in replayable:  # reextract_config logged why
                log.warning(
                    "source %s: cannot be re-extracted for extractor %s; recorded as read by it",
                    name,
                    EXTRACTOR_VERSION,
                    extra={"source": name},
                )
                nothing.append(name)
        todo = [n for n in stale if n in replayable]
        _record_versions(store, nothing)
        if not todo:
            return {}
        log.info(
            "extractor changed to %s: re-extracting %s before polling",
            EXTRACTOR_VERSION,
            ", ".join(todo),
            extra={"sources": todo},
        )
        result = _replay(config, replay, store, todo, trigger="upgrade")
    except Exception as e:  # the catch-up must never cost the poll
        log.exception("re-extraction for extractor %s failed; polling anyway", EXTRACTOR_VERSION)
        message = f"re-extraction for extractor {EXTRACTOR_VERSION} failed ({e!r}); tried again next run"
        return {n: message for n in stale if n not in nothing}
    done: list[str] = []
    for summary in result.sources:
        if summary.status == "failed":
            errors[summary.name] = (
                f"re-extraction for extractor {EXTRACTOR_VERSION} failed "
                f"({summary.error or 'see the run ' + result.run_id}); tried again next run"
            )
            log.error(errors[summary.name], extra={"source": summary.name})
        else:
            done.append(summary.name)
    try:
        _record_versions(store, done)
    except Exception as e:
        log.exception("could not record the extractor version of %s", ", ".join(done))
        message = f"could not record its extractor version ({e!r}); tried again next run"
        errors.update({n: message for n in done})
    return errors
