"""The scheduler: pure decisions, APScheduler semantics on a fake clock, real polls on loopback, SIGTERM."""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.config import Config, ScheduleSettings, SourceConfig, config_from_dict
from necwatch.demo import demo_config
from necwatch.policy import interval_for, next_poll_at
from necwatch.replay import Entry, ReplayWeb
from necwatch.schedule import SourceScheduler
from necwatch.store import Store

H = 3600.0
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _source(interval: float = 6 * H) -> SourceConfig:
    return SourceConfig(name="s", type="blogger", url="https://example.org/", interval=interval)


def _fast(config: Config, interval: float) -> Config:
    """Sources on a seconds-level interval: model_copy skips the ≥ 60 s validation on purpose."""
    return config.model_copy(
        update={"sources": [s.model_copy(update={"interval": interval}) for s in config.sources]}
    )


# -- pure: backoff and adaptive intervals ----------------------------------------------------------
def test_backoff_doubles_per_failure_and_caps_at_max_backoff() -> None:
    delays = [
        (next_poll_at(T0, interval=6 * H, consecutive_failures=n, max_backoff=24 * H) - T0).total_seconds()
        / H
        for n in range(6)
    ]
    assert delays == [6, 6, 12, 24, 24, 24]


def test_deferral_wins_when_later_but_never_shortens() -> None:
    later = T0 + timedelta(hours=9)
    assert next_poll_at(T0, interval=6 * H, deferred_until=later) == later
    assert next_poll_at(T0, interval=6 * H, deferred_until=T0 + timedelta(minutes=2)) == T0 + timedelta(
        hours=6
    )


def test_interval_unchanged_when_not_adaptive() -> None:
    settings = ScheduleSettings()
    assert interval_for(_source(), settings, T0, T0 - timedelta(days=400), [T0.date()]) == 6 * H


@pytest.mark.parametrize(
    ("quiet_days", "meetings", "expected_hours"),
    [
        (2, [], 6),  # posts often: its own interval
        (60, [], 12),  # quiet for two months: half as often
        (90, [], 18),
        (400, [], 24),  # capped by max_interval
        (90, [date(2025, 2, 27)], 1),  # a meeting two days ago: every after_meeting_interval
        (2, [date(2025, 3, 1)], 1),  # a meeting today
        (90, [date(2025, 2, 20)], 18),  # nine days ago: outside after_meeting_days
        (90, [date(2025, 3, 10)], 18),  # a future date is not "after a meeting"
        (None, [], 6),  # never posted: nothing to adapt from
    ],
)
def test_adaptive_interval(quiet_days: float | None, meetings: list[date], expected_hours: float) -> None:
    settings = ScheduleSettings(adaptive=True)
    last = None if quiet_days is None else T0 - timedelta(days=quiet_days)
    assert interval_for(_source(), settings, T0, last, meetings) == expected_hours * H


def test_adaptive_interval_stays_within_min_and_max() -> None:
    settings = ScheduleSettings(
        adaptive=True, min_interval=2 * H, max_interval=10 * H, after_meeting_interval=600
    )
    assert interval_for(_source(), settings, T0, T0, [T0.date()]) == 2 * H
    assert interval_for(_source(), settings, T0, T0 - timedelta(days=365), []) == 10 * H
    assert interval_for(_source(interval=60), settings, T0, T0, []) == 2 * H


# -- APScheduler semantics on a fake clock ---------------------------------------------------------
class ManualScheduler(BaseScheduler):
    """A scheduler whose loop the test turns by hand (as APScheduler's own tests do)."""

    def wakeup(self) -> None:
        pass

    def tick(self) -> None:
        """One pass of the scheduler loop: what a BaseScheduler subclass's main loop does."""
        self._process_jobs()

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(T0)

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return fake.now.astimezone(tz) if tz else fake.now

    import apscheduler.executors.base
    import apscheduler.schedulers.base

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", FrozenDatetime)
    monkeypatch.setattr(apscheduler.executors.base, "datetime", FrozenDatetime)
    return fake


def _config(n: int = 1, interval: float = 1800, **schedule: object) -> Config:
    sources = [{"name": f"s{i}", "type": "blogger", "url": f"https://s{i}.example/", "interval": interval}
               for i in range(n)]  # fmt: skip
    return config_from_dict({"sources": sources, "schedule": {"jitter": 0, **schedule}})


def _manual(config: Config, clock: FakeClock, poll: Any) -> SourceScheduler:
    scheduler = ManualScheduler(
        jobstores={"default": MemoryJobStore()}, executors={"default": DebugExecutor()}, timezone=UTC
    )
    return SourceScheduler(config, scheduler=scheduler, poll=poll, clock=clock)


def test_six_hours_of_downtime_give_exactly_one_catch_up_run_and_log_the_missed_ones(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[datetime] = []
    sched = _manual(_config(), clock, lambda name: ran.append(clock.now))
    sched.add_jobs(rows={}, intervals={"s0": 1800})
    sched.scheduler.start()
    sched.scheduler.tick()
    clock.advance(minutes=30)
    sched.scheduler.tick()
    assert ran == [T0, T0 + timedelta(minutes=30)]  # on time

    clock.advance(hours=6, minutes=1)  # the machine slept
    with caplog.at_level(logging.WARNING, logger="necwatch.schedule"):
        sched.scheduler.tick()
    assert len(ran) == 3, "exactly one catch-up run, not twelve"
    assert sched.stats.coalesced == 11 and sched.stats.missed == 11
    missed = [r for r in caplog.records if r.getMessage() == "missed run"]
    assert len(missed) == 1 and missed[0].count == 11 and missed[0].event == "coalesced"

    clock.advance(minutes=30)  # then back on the normal cadence
    sched.scheduler.tick()
    assert len(ran) == 4 and sched.stats.missed == 11
    sched.scheduler.shutdown(wait=False)


def test_sources_fire_on_their_own_intervals(clock: FakeClock) -> None:
    config = _config(2)
    ran: list[tuple[str, datetime]] = []
    sched = _manual(config, clock, lambda name: ran.append((name, clock.now)))
    sched.add_jobs(rows={}, intervals={"s0": 600, "s1": 1800})
    sched.scheduler.start()
    for _ in range(7):
        sched.scheduler.tick()
        clock.advance(minutes=10)
    assert [t for n, t in ran if n == "s0"] == [T0 + timedelta(minutes=10 * i) for i in range(7)]
    assert [t for n, t in ran if n == "s1"] == [T0 + timedelta(minutes=30 * i) for i in range(3)]
    assert sched.stats.missed == 0
    sched.scheduler.shutdown(wait=False)


def test_restart_resumes_from_next_check_at(tmp_path: Path) -> None:
    config = _config(3, interval=6 * H, jitter=300).model_copy(update={"database": str(tmp_path / "n.db")})
    now = datetime.now(UTC).replace(microsecond=0)
    store = Store.open(config.database_path)
    store.upsert_source(
        {"name": "s0", "next_check_at": (now + timedelta(hours=2)).isoformat(timespec="seconds")}
    )
    store.upsert_source(
        {"name": "s1", "next_check_at": (now - timedelta(hours=1)).isoformat(timespec="seconds")}
    )
    store.close()  # s2 was never polled
    sched = SourceScheduler(config, scheduler=ManualScheduler(timezone=UTC), clock=lambda: now)
    sched.add_jobs()
    sched.scheduler.start(paused=True)
    at = {j.id: j.next_run_time for j in sched.scheduler.get_jobs()}
    assert now + timedelta(hours=2) <= at["s0"] <= now + timedelta(hours=2, seconds=300)
    for name in ("s1", "s2"):  # overdue: now, each spread within the jitter
        assert now <= at[name] <= now + timedelta(seconds=300)
    assert at["s1"] != at["s2"]
    sched.scheduler.shutdown(wait=False)


# -- real threads: no overlap, serialised polls ----------------------------------------------------
def test_a_slow_job_never_overlaps_itself_and_polls_are_serialised(caplog: pytest.LogCaptureFixture) -> None:
    interval = 0.2
    config = _fast(_config(2), interval)
    running: list[int] = [0]
    peak: list[int] = [0]
    calls: list[str] = []
    guard = threading.Lock()

    def slow(name: str) -> None:
        with guard:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            calls.append(name)
        time.sleep(3 * interval)
        with guard:
            running[0] -= 1

    sched = SourceScheduler(config, poll=slow)
    sched.add_jobs(rows={}, intervals={"s0": interval, "s1": interval})
    with caplog.at_level(logging.WARNING, logger="necwatch.schedule"):
        sched.scheduler.start()
        deadline = time.monotonic() + 60  # generous: a loaded machine runs the polls late, never together
        while time.monotonic() < deadline and (len(calls) < 4 or not sched.stats.skipped_running):
            time.sleep(0.05)
        sched.shutdown()
    assert peak[0] == 1, "0 overlapping runs"
    assert len(calls) >= 3 and {"s0", "s1"} <= set(calls)
    assert sched.stats.skipped_running >= 1  # ticks that came while a poll was running...
    logged = sum(r.count for r in caplog.records if r.getMessage() == "missed run")
    assert logged == sched.stats.missed >= sched.stats.skipped_running  # ...are all logged and counted


# -- real polls against the reference web ----------------------------------------------------------
def test_scheduled_polls_happen_on_time_and_the_second_is_all_304(web: ReplayWeb, tmp_path: Path) -> None:
    interval = 1.5
    config = demo_config(web, database=tmp_path / "n.db", feeds_dir=tmp_path / "feeds",
                         hosts=["labourlist.org"], schedule={"jitter": 0})  # fmt: skip
    config = _fast(config, interval)
    sched = SourceScheduler(config)
    marks: list[tuple[datetime, datetime | None, int, int]] = []

    def timed(name: str) -> Any:
        # Wall-clock times, the scheduler's own clock (a monotonic clock may run at another rate).
        start, first = datetime.now(UTC), len(web.requests)
        at = sched.poll_source(name)
        marks.append((start, at, first, len(web.requests)))
        return at

    sched.poll = timed
    sched.start()
    deadline = time.monotonic() + 90
    while len(marks) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sched.shutdown()
    assert len(marks) >= 3
    # Each poll returns when the next is due (`interval` after it ended). Never early; late only by
    # load (generous bound).
    lateness = [
        (start - due).total_seconds() for (_, due, _, _), (start, _, _, _) in itertools.pairwise(marks)
    ]
    assert all(due is not None for _, due, _, _ in marks)
    assert all(-0.05 <= late <= 30 for late in lateness), lateness
    second = web.requests[marks[1][2] : marks[1][3]]
    statuses = {r.path: r.status for r in second if r.path != "/robots.txt"}
    assert statuses and set(statuses.values()) == {304}, statuses
    store = Store.open(config.database_path)
    runs = store.db.execute("select trigger, status from runs").fetchall()
    assert len(runs) == len(marks) and set(runs) == {("schedule", "ok")}
    assert sched.stats.errors == 0
    if max(lateness) < interval / 2:  # on time, so nothing may be counted as missed
        assert sched.stats.missed == 0
    store.close()


def test_a_failing_source_alerts_once_keeps_being_polled_with_backoff_and_recovers(
    web: ReplayWeb, tmp_path: Path
) -> None:
    host = "labourlist.org"
    config = demo_config(web, database=tmp_path / "n.db", feeds_dir=tmp_path / "feeds", hosts=[host],
                         schedule={"jitter": 0})  # fmt: skip
    name = config.sources[0].name
    sched = SourceScheduler(config)
    far = datetime.now(UTC) + timedelta(days=30)
    sched.add_jobs(
        rows={name: {"next_check_at": far.isoformat()}}, intervals={name: config.sources[0].interval}
    )
    sched.scheduler.start()
    try:
        sched.poll_job(name)  # a good baseline
        original = {u: e for u, e in web.entries.items() if host in u and not u.endswith("/robots.txt")}
        for url in original:
            web.set(url, "<h1>Service Unavailable</h1>", status=503)

        delays, health = [], []
        for _ in range(5):
            before = datetime.now(UTC)
            sched.poll_job(name)
            job = sched.scheduler.get_job(name)
            delays.append(round((job.next_run_time - before).total_seconds() / H))
            store = Store.open(config.database_path)
            health.append(store.source_row(name)["health"])
            store.close()
        assert delays == [6, 12, 24, 24, 24], "backoff doubles, capped at max_backoff (24 h)"
        assert health == ["failing", "failing", "unhealthy", "unhealthy", "unhealthy"]

        with web._lock:
            web.entries.update({u: Entry(e.status, dict(e.headers), e.body) for u, e in original.items()})
        before = datetime.now(UTC)
        sched.poll_job(name)
        assert round((sched.scheduler.get_job(name).next_run_time - before).total_seconds() / H) == 6
    finally:
        sched.shutdown()

    store = Store.open(config.database_path)
    kinds = [r[0] for r in store.db.execute("select kind from alerts where kind like 'source_%'")]
    assert sorted(kinds) == ["source_recovered", "source_unhealthy"]
    row = store.source_row(name)
    assert row["health"] == "ok" and row["consecutive_failures"] == 0
    store.close()
    config_file = tmp_path / "config.yaml"
    spec = {"name": name, "type": "labourlist", "url": web.base(host)}
    config_file.write_text(yaml.safe_dump({"database": str(tmp_path / "n.db"), "sources": [spec]}))
    out = CliRunner().invoke(cli, ["status", "-c", str(config_file), "--json"])
    assert out.exit_code == 0 and json.loads(out.output)[0]["health"] == "ok"


# -- the daemon as a process -----------------------------------------------------------------------
def _write_config(web: ReplayWeb, tmp_path: Path, **schedule: object) -> Path:
    from necwatch.demo import DEMO_SOURCES

    data = {
        "database": str(tmp_path / "necwatch.db"),
        "feeds_dir": str(tmp_path / "feeds"),
        "allow_private_addresses": True,
        "fetch": {"per_host_delay": 0, "backoff": 0.01, "connect_timeout": 2, "read_timeout": 5},
        "schedule": {"jitter": 0, **schedule},
        "sources": [{**spec, "url": web.base(host), "interval": "1h"} for host, spec in DEMO_SOURCES.items()],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def daemon(web: ReplayWeb, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, Path]]:
    config = _write_config(web, tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "necwatch", "schedule", "-c", str(config), "--log-format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        yield proc, config, tmp_path / "necwatch.db"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _runs(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("select id, status from runs").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


@pytest.mark.slow
def test_sigterm_stops_the_daemon_cleanly_and_cron_runs_skip_meanwhile(
    daemon: tuple[subprocess.Popen[str], Path, Path],
) -> None:
    proc, config, db = daemon
    deadline = time.monotonic() + 90
    while not _runs(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _runs(db), "the daemon polled at start"

    # The cron run skips (it does not wait for the lock: the daemon holds it for its whole life).
    cron = subprocess.run([sys.executable, "-m", "necwatch", "run", "-c", str(config), "--due"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert cron.returncode == 0 and "skipped" in cron.stderr, cron.stderr
    assert proc.poll() is None, "the daemon was still running while the cron run skipped"

    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=45)
    assert proc.returncode == 0, err
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    statuses = [s for (s,) in conn.execute("select status from runs")]
    assert statuses and "running" not in statuses
    conn.close()
    assert '"scheduler stopped"' in err

    # The lock went with the daemon: a cron run is no longer skipped.
    after = subprocess.run([sys.executable, "-m", "necwatch", "run", "-c", str(config), "--due"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "skipped" not in after.stderr and after.returncode == 0, after.stderr
