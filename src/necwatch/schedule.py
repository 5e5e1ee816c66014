"""The long-lived scheduler (`necwatch schedule`): APScheduler 3 wiring around necwatch.policy.

When to poll is decided by the pure functions in necwatch.policy (backoff, Retry-After deferral,
adaptive intervals); polling is necwatch.job.poll_once. This module only wires them:

* one job per source, on its own interval with jitter so sources do not fire together;
* `max_instances=1`, `coalesce=True`, `misfire_grace_time` = the interval (≥ interval/2, and the
  latest missed run time is always inside it, so a late wake-up gives exactly one catch-up run);
* a MemoryJobStore: jobs are rebuilt from config, and the durable state (`next_check_at`,
  failures) lives in necwatch's `sources` table, so a restart resumes instead of polling everything;
* one worker thread plus a write lock: only one poll writes at a time;
* the OS run lock is held for the scheduler's whole life, so cron runs skip cleanly;
* every run time that did not run on time is logged and counted: past the grace time
  (EVENT_JOB_MISSED), skipped because the previous poll was still running (EVENT_JOB_MAX_INSTANCES),
  or folded into a catch-up run by coalescing (which APScheduler itself does not report).
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from necwatch.config import Config
from necwatch.job import RunningPoll, poll_once
from necwatch.pipeline import poll_interval
from necwatch.policy import next_check_from_row, parse_time
from necwatch.store import Store

log = logging.getLogger("necwatch.schedule")


# -- the daemon ------------------------------------------------------------------------------------
@dataclass
class SchedulerStats:
    """What the scheduler did; `missed` counts every run time that did not run on time."""

    polls: int = 0
    errors: int = 0
    missed: int = 0  # past the grace time, coalesced into a catch-up, or skipped while running
    skipped_running: int = 0  # of which: the previous poll of the source was still running
    coalesced: int = 0  # of which: folded into one catch-up run
    events: list[dict[str, Any]] = field(default_factory=list)


def _utcnow() -> datetime:
    return datetime.now(UTC)


PollFn = Callable[[str], datetime | None]


class SourceScheduler:
    """APScheduler jobs for every enabled source of `config`.

    `poll(name)` polls one source and returns when it should be polled next (None: keep the
    trigger's cadence). The default polls through the pipeline; tests pass their own, together with
    a scheduler they drive by hand and a fake clock.
    """

    def __init__(
        self,
        config: Config,
        *,
        scheduler: Any = None,
        poll: PollFn | None = None,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        stop_grace: float = 20.0,
    ) -> None:
        from apscheduler.events import (
            EVENT_JOB_ERROR,
            EVENT_JOB_MAX_INSTANCES,
            EVENT_JOB_MISSED,
            EVENT_JOB_SUBMITTED,
        )
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.config = config
        self.clock = clock
        self.rng = rng or random.Random()
        self.stop_grace = stop_grace
        self.stats = SchedulerStats()
        self.sources = {s.name: s for s in config.sources if s.enabled}
        self.poll: PollFn = poll or self.poll_source
        self.scheduler = scheduler or BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=1)},  # one poll at a time
            timezone=UTC,
            logger=logging.getLogger("necwatch.schedule.apscheduler"),
        )
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._expected: dict[str, datetime] = {}  # job id → the run time it is waiting for
        self._intervals: dict[str, float] = {}
        self.running = RunningPoll()  # the poll in progress, cancellable at shutdown
        self.scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self.scheduler.add_listener(self._on_max_instances, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)

    # -- jobs --------------------------------------------------------------------------------
    def _jitter(self, interval: float) -> float:
        """Never more than half the interval, so jitter cannot swallow a poll."""
        return max(0.0, min(self.config.schedule.jitter, interval / 2))

    def _trigger(self, interval: float, start: datetime) -> Any:
        from apscheduler.triggers.interval import IntervalTrigger

        jitter = self._jitter(interval)
        return IntervalTrigger(
            seconds=interval, start_date=start, timezone=UTC, jitter=round(jitter) if jitter >= 1 else None
        )

    def first_runs(self, rows: dict[str, dict[str, Any]], intervals: dict[str, float]) -> dict[str, datetime]:
        """Resume from the database: a source whose next check is ahead waits for it; overdue or
        never-polled sources run soon, each at a random point within the jitter so they spread out."""
        now = self.clock()
        out = {}
        for name in self.sources:
            at = parse_time((rows.get(name) or {}).get("next_check_at"))
            spread = self.rng.uniform(0, self._jitter(intervals[name]))
            out[name] = (at if at is not None and at > now else now) + timedelta(seconds=spread)
        return out

    def add_jobs(self, rows: dict[str, dict[str, Any]] | None = None,
                 intervals: dict[str, float] | None = None) -> None:  # fmt: skip
        """One job per source. `rows`/`intervals` default to the database's state."""
        if rows is None or intervals is None:
            rows, intervals = self._load_state()
        firsts = self.first_runs(rows, intervals)
        for name, first in firsts.items():
            interval = intervals[name]
            self._intervals[name] = interval
            self._expected[name] = first
            self.scheduler.add_job(
                self.poll_job,
                trigger=self._trigger(interval, first),
                args=[name],
                id=name,
                name=f"poll {name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, round(interval)),
                next_run_time=first,
                replace_existing=True,
            )
            log.info("scheduled", extra={"source": name, "first_run": first.isoformat(timespec="seconds"),
                                         "interval": interval})  # fmt: skip

    def _load_state(self) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
        store = Store.open(self.config.database_path)
        try:
            now = self.clock()
            rows = {n: store.source_row(n) or {} for n in self.sources}
            intervals = {n: poll_interval(self.config, store, s, now) for n, s in self.sources.items()}
            return rows, intervals
        finally:
            store.close()

    def poll_job(self, name: str) -> None:
        """The job: poll one source (serialised with every other poll), then reschedule from its state."""
        if self._stopping.is_set():
            return
        with self._write_lock:
            if self._stopping.is_set():
                return
            try:
                at = self.poll(name)
                self.stats.polls += 1
            except Exception:
                self.stats.errors += 1
                log.exception("poll failed; the source keeps its schedule", extra={"source": name})
                return
            if at is not None and not self._stopping.is_set():
                self._reschedule(name, at)

    def _reschedule(self, name: str, at: datetime) -> None:
        """Next poll at `at` (+ jitter): the source's own interval, backoff or Retry-After deferral."""
        interval = self._intervals[name]
        job = self.scheduler.reschedule_job(name, trigger=self._trigger(interval, at))
        self.scheduler.modify_job(name, misfire_grace_time=max(1, round(interval)))
        with self._state_lock:
            self._expected[name] = job.next_run_time
        next_run = job.next_run_time.isoformat(timespec="seconds")
        log.info("next poll", extra={"source": name, "next_run": next_run})

    # -- the real poll -----------------------------------------------------------------------
    def poll_source(self, name: str) -> datetime | None:
        """Poll one source through the pipeline (no lock: the scheduler holds it), deliver alerts,
        write feeds; return when to poll it next, from its stored state."""
        store = Store.open(self.config.database_path)
        try:
            result = poll_once(self.config, store, [name], trigger="schedule", running=self.running)
            if result is None:  # cancelled at shutdown
                return None
            source = self.sources[name]
            now = self.clock()
            interval = poll_interval(self.config, store, source, now)
            self._intervals[name] = interval
            at = next_check_from_row(self.config.schedule, store.source_row(name) or {}, now, interval)
            if self.config.schedule.adaptive:
                with store.transaction():  # keep `necwatch status` in step with the adaptive interval
                    store.upsert_source({"name": name, "next_check_at": at.isoformat(timespec="seconds")})
            return at
        finally:
            store.close()

    # -- events ------------------------------------------------------------------------------
    def _count(self, kind: str, job_id: str, n: int, **fields: Any) -> None:
        self.stats.missed += n
        self.stats.events.append({"event": kind, "source": job_id, "count": n, **fields})
        log.warning("missed run", extra={"event": kind, "source": job_id, "count": n,
                                         "missed_total": self.stats.missed, **fields})  # fmt: skip

    def _refresh_expected(self, job_id: str) -> None:
        job = self.scheduler.get_job(job_id)
        if job is not None and job.next_run_time is not None:
            self._expected[job_id] = job.next_run_time

    def _on_submitted(self, event: Any) -> None:
        """Coalescing folds missed run times into one silently; count and log them here."""
        with self._state_lock:
            kept = event.scheduled_run_times[-1]
            expected = self._expected.get(event.job_id)
            interval = self._intervals.get(event.job_id)
            if expected is not None and interval and kept - expected > timedelta(seconds=interval / 2):
                n = max(1, round((kept - expected).total_seconds() / interval))
                self.stats.coalesced += n
                self._count("coalesced", event.job_id, n, first_missed=expected.isoformat(timespec="seconds"),
                            catch_up=kept.isoformat(timespec="seconds"))  # fmt: skip
            self._refresh_expected(event.job_id)

    def _on_missed(self, event: Any) -> None:
        scheduled = event.scheduled_run_time.isoformat(timespec="seconds")
        self._count("missed", event.job_id, 1, scheduled=scheduled)

    def _on_max_instances(self, event: Any) -> None:
        with self._state_lock:
            self.stats.skipped_running += 1
            self._count("still_running", event.job_id, 1,
                        scheduled=event.scheduled_run_times[-1].isoformat(timespec="seconds"))  # fmt: skip
            self._refresh_expected(event.job_id)

    def _on_error(self, event: Any) -> None:
        self.stats.errors += 1

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.add_jobs()
        self.scheduler.start()

    def next_polls(self) -> dict[str, datetime]:
        """When each source is next polled (what `necwatch schedule` prints as it starts)."""
        with self._state_lock:
            return dict(self._expected)

    def shutdown(self) -> None:
        """Stop firing; let the poll in progress finish for up to stop_grace seconds, then cancel it
        (its source's transaction either committed or never began; its run row becomes 'aborted')."""
        self._stopping.set()
        self.scheduler.shutdown(wait=False)
        if not self._write_lock.acquire(timeout=self.stop_grace):
            log.warning("a poll is still running at shutdown; cancelling it")
            self.running.cancel()
            if not self._write_lock.acquire(timeout=60):
                log.error("the poll in progress did not stop; exiting anyway (transactions keep data whole)")
                return
        self._write_lock.release()


def run_scheduler(
    config: Config,
    *,
    stop_after: float | None = None,
    on_start: Callable[[dict[str, datetime]], None] | None = None,
) -> SchedulerStats:
    """Poll every enabled source on its own schedule until SIGTERM/SIGINT (or `stop_after` seconds).

    Holds the run lock for its whole life (raises LockHeld if another necwatch holds it).
    `on_start` gets each source's first poll time once the jobs are scheduled (the first poll may be
    minutes away: jitter, or a next_check_at still ahead), so the daemon is not silent meanwhile.
    """
    from necwatch.lock import run_lock

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        with run_lock(config.database_path):
            sched = SourceScheduler(config)
            sched.start()
            log.info("scheduler started", extra={"sources": len(sched.sources)})
            if on_start is not None:
                on_start(sched.next_polls())
            deadline = None if stop_after is None else _utcnow() + timedelta(seconds=stop_after)
            while not stop.is_set():
                left = 1.0 if deadline is None else min(1.0, (deadline - _utcnow()).total_seconds())
                if left <= 0:
                    break
                stop.wait(left)
            sched.shutdown()
            s = sched.stats
            log.info("scheduler stopped", extra={"polls": s.polls, "errors": s.errors, "missed": s.missed})
            return s
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
