"""The merge's speed: one meeting's minutes from its reports' records, and the minutes a poll writes.

    python bench/bench_minutes.py                 # everything
    python bench/bench_minutes.py --meetings 100  # a smaller database
    python bench/bench_minutes.py --json

1. `merge` (pure) on meetings of realistic size: three composed reports of one meeting read by the
   real extractors (tests/record/test_minutes.py), and synthetic meetings of n reports of d decisions
   (each act stated by every report in its own words: 5 of its 8 words and 2 others), up to the bound
   the issue names, 30 reports of 500 decisions.
2. The store: a database of --meetings meetings, each reported by the three composed reports (dates
   shifted a week apart, so every meeting is chained to none of its neighbours), built through
   `derive_touched` as a poll writes; then the minutes of the whole database rebuilt
   (`rebuild_minutes`, what reextract and import run), and one report edited in a poll's transaction
   (its record derived again and its meeting merged again), both timed.
CPU time (`time.process_time`), median of --repeats; the machine is shared (2 cores, other work
running): quote medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.record.test_minutes import AKEHURST, BLACK, HENDERSON, big_meeting, three

from necwatch.intents import NewReport, ReportChange
from necwatch.record.minutes import merge
from necwatch.record.roster import Roster
from necwatch.store import Store


def cpu(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def database(meetings: int) -> Store:
    roster = Roster.shipped()
    store = Store.memory()
    start = date(2010, 1, 5)
    for k in range(meetings):
        day = start + timedelta(days=7 * k)
        ops = []
        for rid, body, author in (
            ("a", AKEHURST, "Luke Akehurst"),
            ("h", HENDERSON, "Ann Henderson"),
            ("b", BLACK, "Ann Black"),
        ):
            text = (
                body.replace("Tuesday 23 January 2024", day.strftime("%-d %B %Y"))
                .replace("24 January 2024", (day + timedelta(days=1)).strftime("%-d %B %Y"))
                .replace("23 January 2024", day.strftime("%-d %B %Y"))
            )
            ops.append(
                NewReport(
                    {
                        "id": f"{rid}{k}",
                        "title": "NEC report",
                        "author": author,
                        "published_at": f"{(day + timedelta(days=2)).isoformat()}T10:00:00+00:00",
                        "is_nec_report": 1,
                        "body_text": text,
                        "content_hash": f"v1:{rid}{k}",
                        "version": 1,
                        "source": rid,
                    }
                )
            )
        with store.transaction():
            store.apply(ops)
            store.derive_touched(ops, roster)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    composed = three()
    out["composed_3_reports_ms"] = round(cpu(lambda: merge(composed), args.repeats * 20) * 1000, 3)
    for n, d in ((3, 20), (5, 40), (10, 100), (30, 500)):
        reports = big_meeting(n, d)
        out[f"synthetic_{n}x{d}_s"] = round(
            cpu(lambda r=reports: merge(r), 1 if n * d > 5000 else args.repeats), 4
        )
    store = database(args.meetings)
    out["db_meetings"] = len(store.meeting_ids())
    out["db_reports"] = store.db["records"].count

    def rebuild() -> None:
        with store.transaction():
            store.rebuild_minutes()

    out["rebuild_all_s"] = round(cpu(rebuild, args.repeats), 4)
    roster = Roster.shipped()
    mid = args.meetings // 2
    texts = [store.db["reports"].get(f"h{mid}")["body_text"]]

    def one_edit() -> None:  # she changes her count, and back
        body = texts[-1]
        edited = (
            body.replace("21 votes", "22 votes")
            if "21 votes" in body
            else body.replace("22 votes", "21 votes")
        )
        texts.append(edited)
        op = ReportChange(f"h{mid}", {"body_text": edited, "content_hash": f"v1:{len(texts)}"})
        with store.transaction():
            store.apply([op])
            store.derive_touched([op], roster)

    def merge_only() -> None:
        with store.transaction():
            store.merge_meetings_of([f"h{mid}"])

    out["poll_edit_derive_and_merge_ms"] = round(cpu(one_edit, args.repeats) * 1000, 2)
    out["poll_merge_only_ms"] = round(cpu(merge_only, args.repeats) * 1000, 2)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        for k, v in out.items():
            print(f"{k:36} {v}")


if __name__ == "__main__":
    main()
