"""The OS run lock: one process runs, the other skips at once; a SIGKILLed holder leaves no stale lock."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from necwatch.errors import LockHeld
from necwatch.lock import lock_path, run_lock
from necwatch.replay import ReplayWeb

# A stand-in for an entry point: wait for a shared start instant, then take the lock as the CLI does.
# The holder keeps the lock until the other process has decided (it touches `decided`), or for `hold`
# seconds at most: on a loaded machine the second process may start late, and it must still find the
# lock held. Times are time.monotonic(), one clock for every process on the machine.
HARNESS = """
import os, sys, time
from pathlib import Path
from necwatch.errors import LockHeld
from necwatch.lock import run_lock
db, start, hold = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
decided = db.parent / "decided"
time.sleep(max(0.0, start - time.time()))
try:
    with run_lock(db):
        print("locked", flush=True)
        (db.parent / f"wrote-{os.getpid()}").write_text("x")
        until = time.monotonic() + hold
        while not decided.exists() and time.monotonic() < until:
            time.sleep(0.01)
    print(f"released_at={time.monotonic():.6f}")
    print("ran")
except LockHeld as e:
    print(f"decided_at={time.monotonic():.6f}")
    decided.write_text("x")
    print(f"skipped: {e}")
"""


def _stamp(out: str, name: str) -> float:
    return float(out.split(f"{name}=", 1)[1].split()[0])


def test_a_second_holder_in_the_same_process_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    with run_lock(db):
        with pytest.raises(LockHeld, match="already running"), run_lock(db):
            pass
        assert lock_path(db).read_text() == str(os.getpid())
    with run_lock(db):  # released on exit
        pass


@pytest.mark.slow
def test_twenty_simultaneous_double_starts_run_exactly_once_each(tmp_path: Path) -> None:
    for wave in range(4):  # 4 waves of 5 pairs: 20 repetitions without starving 2 cores
        start = time.time() + 1.5  # every process is up and waiting by then
        pairs = []
        for i in range(5):
            d = tmp_path / f"pair{wave}-{i}"
            d.mkdir()
            cmd = [sys.executable, "-c", HARNESS, str(d / "n.db"), str(start), "30"]
            pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
            procs = [subprocess.Popen(cmd, **pipes) for _ in range(2)]  # type: ignore[call-overload]
            pairs.append((d, procs))
        for d, procs in pairs:
            outs = []
            for p in procs:
                out, err = p.communicate(timeout=30)
                assert p.returncode == 0, err
                outs.append(out)
            ran = [o for o in outs if o.rstrip().endswith("ran")]
            skipped = [o for o in outs if "skipped:" in o]
            assert len(ran) == 1 and len(skipped) == 1, (d, outs)
            # skipped at once: while the lock was still held, not after waiting for its release
            assert _stamp(skipped[0], "decided_at") < _stamp(ran[0], "released_at"), outs
            assert len(list(d.glob("wrote-*"))) == 1, "the skipped process wrote nothing"


@pytest.mark.slow
def test_a_sigkilled_holder_releases_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    holder = subprocess.Popen([sys.executable, "-c", HARNESS, str(db), "0", "60"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(LockHeld, match=str(holder.pid)), run_lock(db):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    # The kernel released it: taking it succeeds at once (run_lock never waits; a held lock raises).
    with run_lock(db):
        pass


class _Gated(dict):  # type: ignore[type-arg]
    """ReplayWeb.entries whose every lookup (one per request) waits until `opened` is set."""

    def __init__(self, entries: dict[str, Any], opened: threading.Event) -> None:
        super().__init__(entries)
        self.opened = opened

    def get(self, key: str, default: Any = None) -> Any:
        self.opened.wait(90)
        return super().get(key, default)


@pytest.mark.slow
def test_two_cli_runs_started_together_one_polls_the_other_skips(web: ReplayWeb, tmp_path: Path) -> None:
    import yaml

    from necwatch.demo import DEMO_SOURCES

    db = tmp_path / "necwatch.db"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": str(db), "feeds_dir": str(tmp_path / "feeds"), "allow_private_addresses": True,
        "fetch": {"per_host_delay": 0, "backoff": 0.01, "read_timeout": 90, "deadline": 120},
        "sources": [{**spec, "url": web.base(host)} for host, spec in DEMO_SOURCES.items()],
    }))  # fmt: skip
    # The web answers nothing until one process has exited: the run that took the lock is still
    # polling (holding it) when the other one tries, however late a loaded machine starts it.
    opened = threading.Event()
    web.entries = _Gated(web.entries, opened)
    cmd = [sys.executable, "-m", "necwatch", "run", "-c", str(config)]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    try:
        until = time.monotonic() + 60
        while all(p.poll() is None for p in procs) and time.monotonic() < until:
            time.sleep(0.05)
    finally:
        opened.set()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, out, err))
    skipped = [r for r in results if "skipped:" in r[2]]
    polled = [r for r in results if "skipped:" not in r[2]]
    assert len(skipped) == 1 and len(polled) == 1, results
    assert skipped[0][0] == 0
    assert not any("database is locked" in r[2] for r in results)
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from runs").fetchone()[0] == 1  # the skipped one wrote nothing
    conn.close()
