"""The main job, as every entry point runs it: lock → poll and store → deliver alerts → write feeds.

Alert delivery and feed writing never fail the poll: their errors are logged and retried next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from necwatch.config import Config
from necwatch.lock import run_lock
from necwatch.pipeline import RunResult, SourceSummary, run_async
from necwatch.store import Store

log = logging.getLogger("necwatch.job")


def run_job(
    config: Config,
    *,
    names: Sequence[str] | None = None,
    due_only: bool = False,
    trigger: str = "cli",
    progress: bool = False,
) -> RunResult:
    """One poll of the chosen sources, holding the run lock (raises LockHeld if it is taken)."""
    with run_lock(config.database_path):
        store = Store.open(config.database_path)
        try:
            result = asyncio.run(_with_progress(config, store, names, due_only, trigger, progress))
            after_run(config, store, result)
            return result
        finally:
            store.close()


async def _with_progress(
    config: Config, store: Store, names: Sequence[str] | None, due_only: bool, trigger: str, progress: bool
) -> RunResult:
    if not progress:
        return await run_async(config, store, names=names, due_only=due_only, trigger=trigger)
    from rich.progress import Progress

    total = len(names) if names else len([s for s in config.sources if s.enabled])
    with Progress(transient=True) as bar:
        task = bar.add_task("polling sources", total=total)

        def tick(summary: SourceSummary) -> None:
            bar.update(task, advance=1, description=f"polled {summary.name}")

        return await run_async(config, store, names=names, due_only=due_only, trigger=trigger, progress=tick)


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


def reextract(config: Config, *, names: Sequence[str] | None = None) -> RunResult:
    """Re-run the adapters over stored raw responses; differences become technical versions."""
    from necwatch.archive import ArchiveClient

    with run_lock(config.database_path):
        store = Store.open(config.database_path)
        try:
            return asyncio.run(
                run_async(
                    config,
                    store,
                    names=names,
                    trigger="reextract",
                    technical=True,
                    client=ArchiveClient(store),  # type: ignore[arg-type]  # same shape as HttpClient
                )
            )
        finally:
            store.close()
