"""G11: a seeded 30-run fault timeline over the reference web gives no false alert and loses nothing;
then one real deletion (404 on two polls) and one real 410 give exactly one removal each."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from necwatch.replay import ReplayWeb
from tests.faults.sim import FaultPlan, content_rows, fetch_error_problems
from tests.tracking.helpers import LL_POST, Timeline

HOSTS = [
    "lukeakehurst.blogspot.com",
    "aliceperry.wordpress.com",
    "labourlist.org",
    "www.progressonline.org.uk",
]
FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1, "connect_timeout": 2, "read_timeout": 5}
RUNS = 30
SEED = 20240611
FALSE = {
    "new_report",
    "report_edited",
    "report_removed",
    "report_restored",
    "report_republished",
    "new_comment",
    "comment_edited",
    "comment_removed",
}
PROGRESS_POST = "https://www.progressonline.org.uk/2011/11/03/nec-report-november-2011/"


@pytest.mark.slow
def test_thirty_faulty_runs_then_real_removals(web: ReplayWeb, tmp_path: Path) -> None:
    tl = Timeline.open(web, tmp_path, HOSTS, fetch=FAST)
    backfill = tl.poll()
    assert backfill.exit_code == 0
    baseline = content_rows(tl.store)
    alerts_before = tl.count("alerts")

    plan = FaultPlan(web, SEED, rate=0.2, hosts=tuple(HOSTS))
    started = time.monotonic()
    statuses: Counter[str] = Counter()
    for run in range(RUNS):
        plan.inject()
        try:
            result = tl.poll()
        finally:
            plan.restore()
        assert result.exit_code in (0, 1), f"run {run}"
        statuses.update(s.status for s in result.sources)
        assert fetch_error_problems(tl.store, result.run_id) == [], f"run {run}"
        assert len(result.sources) == len(HOSTS)  # I2: every source finished its run
        new = list(
            tl.store.db.query(
                "select kind, source, url, summary from alerts where rowid > ?", [alerts_before]
            )
        )
        false = [a for a in new if a["kind"] in FALSE]
        assert false == [], f"run {run}: faults {plan.current}: false alerts {false}"
    elapsed = time.monotonic() - started
    assert sum(plan.tally.values()) > 100, plan.tally
    assert set(plan.tally) == {"404_once", "503", "empty_200", "truncated", "garbage", "429", "parse_empty"}

    # A clean poll afterwards: the dataset is what the backfill stored, row for row (I3).
    tl.poll()
    assert content_rows(tl.store) == baseline
    assert tl.count("posts", "removed_at is not null") == 0
    print(
        f"\nG11: {RUNS} runs, {sum(plan.tally.values())} faults {dict(plan.tally)}, "
        f"source results {dict(statuses)}, {elapsed:.1f} s"
    )

    # One real deletion: 404 on two polls in a row → exactly one report_removed (http_404_twice).
    tl.web.delete(LL_POST, 404)
    assert tl.step(repeat=False) == []
    [removed] = tl.step()
    assert removed["kind"] == "report_removed" and removed["url"].endswith("nec-report-november-4th-2014/")
    assert tl.post("nec-report-november-4th-2014")["removed_reason"] == "http_404_twice"

    # One real 410 → exactly one report_removed, reason http_410, at once.
    tl.web.delete(PROGRESS_POST, 410)
    alerts = tl.step()
    assert [a["kind"] for a in alerts] == ["report_removed"]
    assert tl.post("nec-report-november-2011/")["removed_reason"] == "http_410"
    assert tl.count("alerts", "kind = 'report_removed'") == 2
