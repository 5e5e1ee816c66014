"""The Popolo export's cost: `necwatch export --popolo FILE` on a database of N synthetic reports.

    python bench/bench_popolo.py                   # 10,000 reports
    python bench/bench_popolo.py --reports 1000 --repeats 3

The database is made by the store's migrations and filled with rows shaped like the record's:
two reports a meeting, each with 3 decisions (one with a stated count), 6 statements and 10
mentions; the first `--minutes` share of the meetings also has minutes rows (merged decisions, each
with both reporters' versions, one disagreement, coverage), the rest are exported from the records.
The export runs as the command a user runs (a separate process): wall time, its CPU time and peak
RSS (getrusage of the child), and the file's size. The machine is shared: quote medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from necwatch.store import Store


def build(path: Path, reports: int, minutes_share: float) -> None:
    store = Store.open(path)
    db = store.db
    meetings = reports // 2
    with_minutes = int(meetings * minutes_share)
    rep, rec, dec, sta, men = [], [], [], [], []
    mins, mdec, msrc, mdis, mcov = [], [], [], [], []
    people = [{"id": f"person-{i}", "name": f"Person {i}"} for i in range(200)]
    body = "paragraph text " * 60
    for m in range(meetings):
        day = f"{2010 + m % 16}-{1 + m % 12:02d}-{1 + m % 28:02d}"
        mid = f"{day}-m{m}"
        ids = [f"r{m:07d}a", f"r{m:07d}b"]
        for k, rid in enumerate(ids):
            rep.append(
                {
                    "id": rid,
                    "title": f"NEC report {day}",
                    "author": f"Reporter {k}",
                    "published_at": f"{day}T12:00:00+00:00",
                    "meeting_date": day,
                    "meeting_kind": "full",
                    "is_nec_report": 1,
                    "canonical_url": f"https://blog{k}.example.org/{rid}",
                    "content_hash": f"v1:{rid}",
                    "body_text": body,
                }
            )
            rec.append(
                {
                    "report_id": rid,
                    "version": 1,
                    "content_hash": f"v1:{rid}",
                    "meeting_date": day,
                    "meeting_kind": "full",
                    "items": 3,
                    "decisions": 3,
                    "people": 10,
                    "statements": 6,
                }
            )
            for d in range(3):
                dec.append(
                    {
                        "report_id": rid,
                        "position": d,
                        "version": 1,
                        "paragraph": f"p{m:06d}{d}{k}",
                        "quote": f"The NEC agreed motion {d} of meeting {m} by 22 votes to 12.",
                        "outcome": "carried" if d else "noted",
                        "manner": "contested" if d == 1 else None,
                        "votes_for": 22 if d == 1 else None,
                        "votes_against": 12 if d == 1 else None,
                        "mover": "Person 1",
                        "mover_id": "person-1",
                    }
                )
            for s in range(6):
                pid = f"person-{(m + s) % 200}"
                sta.append(
                    {
                        "report_id": rid,
                        "position": s,
                        "version": 1,
                        "paragraph": f"p{m:06d}s{s}",
                        "speaker": pid,
                        "person_id": pid,
                        "quote": f"{pid} said something at length " * 4,
                        "verb": "said",
                    }
                )
            for n in range(10):
                pid = f"person-{(m * 3 + n) % 200}"
                men.append(
                    {
                        "report_id": rid,
                        "position": n,
                        "version": 1,
                        "paragraph": f"p{m:06d}n{n}",
                        "name": pid,
                        "canonical": pid,
                        "person_id": pid,
                        "role": "NEC member (CLP)",
                        "paragraphs": "[]",
                        "written": "[]",
                    }
                )
        if m >= with_minutes:
            continue
        mins.append(
            {
                "meeting_id": mid,
                "date": day,
                "kind": "full",
                "reports": 2,
                "reporters": '["Reporter 0", "Reporter 1"]',
                "items": 3,
                "decisions": 3,
                "corroborated": 3,
                "disagreements": 1,
                "statements": 12,
                "sources": json.dumps({i: f"v1:{i}" for i in ids}),
            }
        )
        for d in range(3):
            mdec.append(
                {
                    "meeting_id": mid,
                    "position": d,
                    "item_position": None,
                    "summary": f"motion {d}",
                    "outcome": "carried" if d else "noted",
                    "manner": None,
                    "counted": 0,
                    "reporters": '["Reporter 0", "Reporter 1"]',
                    "corroboration": "corroborated",
                    "disputed": int(d == 1),
                    "removed_only": 0,
                }
            )
            for k, rid in enumerate(ids):
                msrc.append(
                    {
                        "meeting_id": mid,
                        "decision_position": d,
                        "report_id": rid,
                        "report_position": d,
                        "reporter": f"Reporter {k}",
                        "paragraph": f"p{m:06d}{d}{k}",
                        "quote": f"The NEC agreed motion {d} of meeting {m} by {22 - k} votes to 12.",
                        "outcome": "carried",
                        "votes_for": 22 - k,
                        "votes_against": 12,
                        "removed": 0,
                    }
                )
        mdis.append(
            {
                "meeting_id": mid,
                "position": 0,
                "field": "count",
                "decision_position": 1,
                "summary": "22-12 or 21-12",
                "versions": "[]",
            }
        )
        for k, rid in enumerate(ids):
            mcov.append(
                {
                    "meeting_id": mid,
                    "report_id": rid,
                    "reporter": f"Reporter {k}",
                    "published_at": f"{day}T12:00:00+00:00",
                    "days_after": 1,
                    "duplicates": "[]",
                    "only_here": "[]",
                    "removed": 0,
                }
            )
    for table, rows in (
        ("reports", rep),
        ("records", rec),
        ("decisions", dec),
        ("statements", sta),
        ("mentions", men),
        ("people", people),
        ("minutes", mins),
        ("minutes_decisions", mdec),
        ("minutes_sources", msrc),
        ("minutes_disagreements", mdis),
        ("minutes_coverage", mcov),
    ):
        db[table].insert_all(rows, batch_size=2000)
    store.db.execute("pragma wal_checkpoint(truncate)")
    store.close()


def export_once(db: Path, out: Path) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "necwatch", "export", "--db", str(db), "--popolo", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "size_mb": round(out.stat().st_size / 1e6, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--minutes", type=float, default=0.5, help="share of meetings with minutes rows")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        build(db, args.reports, args.minutes)
        print(f"built {args.reports} reports in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        runs = [export_once(db, Path(tmp) / "popolo.json") for _ in range(args.repeats)]
        doc = json.loads((Path(tmp) / "popolo.json").read_text(encoding="utf-8"))
        result = {
            "reports": args.reports,
            "objects": {k: len(v) for k, v in doc.items() if isinstance(v, list)},
            "wall_s_median": statistics.median(r["wall_s"] for r in runs),
            "cpu_s_median": statistics.median(r["cpu_s"] for r in runs),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
            "size_mb": runs[-1]["size_mb"],
            "runs": runs,
        }
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
