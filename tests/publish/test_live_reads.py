"""F17/G8: Datasette (a separate `necwatch serve` process, live file, `mode=ro`) read (paced at up to
20 req/s) while write-heavy runs poll a synthetic WordPress web into the same database.

The harness is bench/bench_live_reads.py (the benchmark runs it bigger); the consistency query it
sends through Datasette's JSON API is checked here to catch a half-written source. This test checks
behaviour only; the speed figures (reader requests/s, p99 under 1 s) are the benchmark's, for the
same configuration: `python bench/bench_live_reads.py --hosts 3 --posts 100 --rate 20
--min-requests 300 --min-generations 2`.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_live_reads import CONSISTENCY_SQL, measure

PARAMS = {"batch": "10", "edits": "10", "comments": "20"}  # as Datasette passes them: text


@pytest.mark.slow
def test_readers_during_writes_see_no_errors_and_no_torn_reads(tmp_path: Path) -> None:
    # The writer keeps polling until the reader has made 300 requests, however slow a loaded machine.
    r = measure(tmp_path, hosts=3, posts_per_host=100, rate=20, min_requests=300, min_generations=2,
                max_generations=500)  # fmt: skip
    assert r.requests >= 300
    assert r.errors == [] and r.http_500 == 0 and r.locked == 0
    assert r.p99_ms < 10_000, r.per_kind  # generous: no reader waits seconds on the writer
    assert r.torn_reads == []
    assert r.busy_errors == [] and r.source_failures == []
    assert r.runs >= 3  # a backfill and at least two polls that changed every source
    assert r.commits >= r.runs * (3 + 3)  # per run: start, 3 sources, pointers, finish
    assert r.report_versions > r.posts  # the later runs wrote edits, not only inserts


def test_consistency_query_catches_a_half_written_source(tmp_path: Path) -> None:
    """Negative control: rows a source's transaction writes together, written halfway, are reported."""
    from necwatch.store import Store

    db = tmp_path / "necwatch.db"
    store = Store.open(db)
    store.close()
    conn = sqlite3.connect(db)
    assert conn.execute(CONSISTENCY_SQL, PARAMS).fetchall() == []
    conn.execute("insert into sources (name, posts) values ('member-1', 10)")
    conn.executemany(
        "insert into posts (id, source, url) values (?, 'member-1', ?)",
        [(f"p{i}", f"https://x/{i}") for i in range(10)],
    )
    conn.execute(
        "insert into alerts (id, kind, source, run_id, backfill) "
        "values ('a1', 'report_edited', 'member-1', 'r2', 0)"
    )
    found = {row[0] for row in conn.execute(CONSISTENCY_SQL, PARAMS)}
    assert found == {"alerts_report_edited"}  # 1 of the run's 10 edits visible
    conn.execute("insert into posts (id, source, url) values ('p10', 'member-1', 'https://x/10')")
    found = {row[0] for row in conn.execute(CONSISTENCY_SQL, PARAMS)}
    assert {"source_count", "partial_batch"} <= found  # a post without its source's count update
    conn.close()
