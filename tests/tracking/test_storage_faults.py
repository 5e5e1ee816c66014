"""Disk full (RELIABILITY F18/G9) and SIGKILL mid-run (F15/G6): all-or-nothing per source, no duplicates."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from necwatch.demo import demo_config
from necwatch.job import run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from tests.tracking.helpers import DATA_TABLES, Timeline


def integrity(store: Store) -> str:
    return store.db.execute("pragma integrity_check").fetchone()[0]


def test_disk_full_rolls_back_the_source_and_recovers(web: ReplayWeb, tmp_path: Path) -> None:
    tl = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com"])
    tl.poll()
    before = {t: tl.count(t) for t in DATA_TABLES}
    tl.add_wp_post()
    pages = tl.store.db.execute("pragma page_count").fetchone()[0]
    tl.store.db.execute(f"pragma max_page_count = {pages + 2}")  # room for the runs row, not the source
    result = tl.poll()
    [summary] = result.sources
    assert summary.status == "failed" and summary.error and summary.error.startswith("storage_full")
    assert result.exit_code == 1
    assert integrity(tl.store) == "ok"
    assert {t: tl.count(t) for t in DATA_TABLES} == before  # no partial source state

    tl.store.db.execute("pragma max_page_count = 1073741823")
    assert [a["kind"] for a in tl.step()] == ["new_report"]
    assert tl.count("posts") == before["posts"] + 1
    assert tl.count("alerts", "kind = 'new_report' and backfill = 0") == 1
    assert integrity(tl.store) == "ok"


CHILD = """
import json, sys
from necwatch.config import config_from_dict
from necwatch.job import run_job
run_job(config_from_dict(json.loads(sys.argv[1])), trigger="test")
"""


def _counts(path: Path) -> tuple[dict[str, int], set[str]]:
    store = Store.open(path)
    try:
        counts = {t: store.db[t].count for t in DATA_TABLES}
        alerts = {r["id"] for r in store.db.query("select id from alerts")}
        return counts, alerts
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun(web: ReplayWeb, tmp_path: Path) -> None:
    # A clean reference run.
    ref_cfg = demo_config(web, database=tmp_path / "ref.db", feeds_dir=tmp_path / "ref-feeds")
    run_job(ref_cfg, trigger="test")
    reference = _counts(ref_cfg.database_path)

    rng = random.Random(20240321)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    # How long a clean run takes in a child process, start-up included.
    probe = demo_config(web, database=tmp_path / "probe.db", feeds_dir=tmp_path / "probe-feeds")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(probe.model_dump(mode="json"))], env=env, check=True
    )
    span = time.monotonic() - started

    def trial(n: int, fraction: float) -> int:
        """Kill a run at `fraction` of a clean run's span, check, rerun, check; 1 if it died mid-run."""
        cfg = demo_config(web, database=tmp_path / f"t{n}.db", feeds_dir=tmp_path / f"f{n}")
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(cfg.model_dump(mode="json"))], env=env
        )
        time.sleep(fraction * span)
        child.send_signal(signal.SIGKILL)
        child.wait()
        died_running = 0
        if cfg.database_path.exists():
            store = Store.open(cfg.database_path)
            assert integrity(store) == "ok", f"trial {n}"
            running = "select count(*) from runs where status = 'running'"
            died_running = store.db.execute(running).fetchone()[0]
            store.close()
        run_job(cfg, trigger="test")  # the rerun completes
        store = Store.open(cfg.database_path)
        assert integrity(store) == "ok"
        assert store.db.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
        statuses = [r[0] for r in store.db.execute("select status from runs order by started_at")]
        assert statuses[-1] == "ok"
        assert all(s in ("aborted", "ok") for s in statuses)
        store.close()
        assert _counts(cfg.database_path) == reference, f"trial {n}: rows differ from a clean run"
        return died_running

    # 8 in CI; RELIABILITY G6's 100 by hand: NECWATCH_KILL_TRIALS=100 pytest -k sigkill (docs/reliability.md)
    trials = int(os.environ.get("NECWATCH_KILL_TRIALS", "8"))
    killed_running = sum(trial(n, rng.uniform(0.2, 1.0)) for n in range(trials))
    # The span is measured once; on a loaded machine every kill may land after the child finished.
    # Kill earlier until one lands mid-run (every trial still checks everything above).
    extra = trials
    while killed_running == 0 and extra < trials + 8:
        killed_running += trial(extra, rng.uniform(0.05, 0.5))
        extra += 1
    assert killed_running >= 1  # at least one kill landed mid-run (and was then marked aborted)
