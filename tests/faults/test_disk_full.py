"""F18/G9: SQLITE_FULL at 3 injection points (post insert, version insert, alert insert).

Store.apply is wrapped so the Nth write of the chosen table raises sqlite3.OperationalError
("database or disk is full"), as SQLite does: the source rolls back as a whole, integrity_check is ok,
exit code 1 with storage_full, and the recovery run stores everything once."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from necwatch.intents import Intent
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from tests.tracking.helpers import DATA_TABLES, Timeline

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1}


@pytest.mark.parametrize("table", ["posts", "report_versions", "alerts"])
def test_disk_full_at_each_write(
    web: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    tl = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com", "labourlist.org"], fetch=FAST)
    assert tl.poll().exit_code == 0
    tl.add_wp_post()  # a new post: one posts insert, one version insert, one alert insert
    before = {t: tl.count(t) for t in DATA_TABLES}
    real_apply = Store.apply

    def full_at(self: Store, ops: Sequence[Intent]) -> Any:
        if any(op.table == table and op.action == "insert" for op in ops):
            cut = next(i for i, op in enumerate(ops) if op.table == table and op.action == "insert")
            real_apply(self, ops[:cut])  # the writes before it happen, inside the transaction
            raise sqlite3.OperationalError("database or disk is full")
        return real_apply(self, ops)

    monkeypatch.setattr(Store, "apply", full_at)
    result = tl.poll()
    summary = {s.name: s for s in result.sources}
    assert result.exit_code == 1
    assert summary["alice-perry"].status == "failed"
    assert (summary["alice-perry"].error or "").startswith("storage_full")
    assert summary["labourlist"].status == "ok"  # I2: nothing to insert there, it completes
    assert tl.store.db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert {t: tl.count(t) for t in DATA_TABLES} == before  # no partial source state

    monkeypatch.setattr(Store, "apply", real_apply)
    assert [a["kind"] for a in tl.step()] == ["new_report"]
    after = {t: tl.count(t) for t in DATA_TABLES}
    assert after["posts"] == before["posts"] + 1 and after["report_versions"] == before["report_versions"] + 1
    assert tl.count("alerts", "kind = 'new_report' and backfill = 0") == 1
    dupes = tl.store.db.execute(
        "select count(*) from (select url from posts group by url having count(*) > 1)"
    )
    assert dupes.fetchone()[0] == 0
