"""The record's speed: reports per second on one core, its share of a poll, and a 10,000-report
database re-derived against the parse of the same posts.

    python bench/bench_record.py                      # everything: gold, synthetic, poll, database
    python bench/bench_record.py --skip-db            # without the 10,000-report database (~2 min less)
    python bench/bench_record.py --db-reports 1000    # a smaller database
    python bench/bench_record.py --json               # the figures as JSON

1. `extract_record` on the gold set's 13 real reports (bench/record_gold: each page's stored title,
   body and date, read as `necwatch inspect` reads it) and on a synthetic set of 10,000 reports made
   from them (each a gold report with its paragraphs rotated, so no two neighbours are alike):
   reports/s, median and min-max over --repeats runs, one process, pinned to one core when the OS
   allows (`--cpu`).
2. Its share of a poll: against the adapters' parse of the same 13 post pages (the parser a run
   uses, as bench/bench_parse.py times it), and against the first poll of the whole reference web
   (bench_parse.end_to_end: fetch, parse, normalize, dedupe, track, write).
3. A database of --db-reports NEC reports, backfilled from an emulated WordPress site
   (bench/platformweb.py: real report paragraphs, ~13 kB of HTML each) by the pipeline: every stored
   report's record re-derived (`extract_record` over each report's stored title, body and date)
   against the adapter's parse of the same posts (`parse_rest_posts` over every stored REST page),
   both timed in this process (CPU time, median of --repeats); then `necwatch reextract --db`
   timed as a whole process (wall), against the backfill that built the database.
The machine is shared (2 cores, other work running): quote medians and ratios, not single times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_record import ReportInput, load_gold, report_input

from necwatch.record import extract_record

Args = tuple[str, str, date | None, str | None]


def pin(cpu: int | None) -> str:
    """Run on one core (the first this process may use, or `cpu`); what the OS gave, in words."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None else allowed[0]
    os.sched_setaffinity(0, {chosen})
    return f"pinned to CPU {chosen} of {allowed}"


def timed(
    fn: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Seconds of each of `repeats` runs of `fn`, after one run not counted (imports, caches)."""
    fn()
    out = []
    for _ in range(repeats):
        start = clock()
        fn()
        out.append(clock() - start)
    return out


def spread(n: int, seconds: Sequence[float]) -> dict[str, float]:
    """n items in each run of `seconds`: items per second, median and min-max."""
    rates = [n / s for s in seconds]
    return {
        "per_s_median": round(statistics.median(rates), 1),
        "per_s_min": round(min(rates), 1),
        "per_s_max": round(max(rates), 1),
        "ms_each_median": round(1000 * statistics.median(seconds) / n, 3),
    }


def run_all(inputs: Sequence[Args]) -> None:
    for title, body, published, author in inputs:
        extract_record(title, body, published, author=author)


def gold_inputs() -> list[ReportInput]:
    return [report_input(g) for g in load_gold() if not g.get("synthetic")]


def synthetic_set(gold: Sequence[ReportInput], n: int) -> list[Args]:
    """n reports made from the gold ones: report k is gold report k mod 13 with its paragraphs
    rotated by k div 13 (same words and sizes, other neighbours and paragraph ids)."""
    out: list[Args] = []
    for k in range(n):
        g = gold[k % len(gold)]
        paras = g.body_text.split("\n\n")
        r = (k // len(gold)) % max(1, len(paras))
        out.append((g.title, "\n\n".join(paras[r:] + paras[:r]), g.published, g.author))
    return out


def parse_functions() -> dict[str, tuple[Callable[[str, bytes], object], list[tuple[str, bytes]]]]:
    """The adapters' parser for each gold page (bench_parse's platforms), with those pages."""
    from bench_parse import post_pages

    urls = {g.url for g in gold_inputs()}
    out = {}
    for name, (pages, fn, _) in post_pages().items():
        mine = [(u, b) for u, b in pages if u in urls]
        if mine:
            out[name] = (fn, mine)
    return out


def bench_gold(repeats: int) -> dict[str, Any]:
    gold = gold_inputs()
    args = [(g.title, g.body_text, g.published, g.author) for g in gold]
    record_s = timed(lambda: run_all(args), repeats)
    parsers = parse_functions()
    pages = sum(len(p) for _, p in parsers.values())

    def parse_all() -> None:
        for fn, items in parsers.values():
            for url, body in items:
                fn(url, body)

    parse_s = timed(parse_all, repeats)
    rec, par = statistics.median(record_s), statistics.median(parse_s)
    return {
        "reports": len(args),
        "body_kB_mean": round(sum(len(a[1].encode()) for a in args) / len(args) / 1000, 1),
        "record": spread(len(args), record_s),
        "parse_pages": pages,
        "parse": spread(pages, parse_s),
        "record_share_of_parse_plus_record": round(rec / (rec + par), 3),
        "record_over_parse": round(rec / par, 3),
    }


def bench_synthetic(n: int, repeats: int) -> dict[str, Any]:
    args = synthetic_set(gold_inputs(), n)
    seconds = timed(lambda: run_all(args), repeats)
    return {
        "reports": n,
        "body_kB_mean": round(sum(len(a[1].encode()) for a in args) / n / 1000, 1),
        "record": spread(n, seconds),
        "seconds_median": round(statistics.median(seconds), 2),
    }


def fifteen_kb_reports(n: int = 60, size: int = 15_000) -> list[Args]:
    """n bodies of ~15 kB (a complete report's size) assembled from the emulator's real paragraphs."""
    import random

    from platformweb import real_paragraphs

    paras = list(real_paragraphs())
    rng = random.Random(15)
    gold = gold_inputs()
    out: list[Args] = []
    for k in range(n):
        rng.shuffle(paras)
        body: list[str] = []
        for p in paras:
            body.append(p)
            if sum(map(len, body)) > size:
                break
        g = gold[k % len(gold)]
        out.append((g.title, "\n\n".join(body), g.published, g.author))
    return out


def bench_parts(repeats: int, n: int = 60) -> dict[str, Any]:
    """CPU ms a ~15 kB report spends in each part of extract_record (median of `repeats` runs over
    n reports), the steps called as extract_record calls them."""
    from necwatch.record import MAX_QUOTE_CHARS, forget_paragraphs
    from necwatch.record.decisions import find_decisions
    from necwatch.record.items import find_items
    from necwatch.record.meeting import find_meeting
    from necwatch.record.people import find_people
    from necwatch.record.roster import Roster
    from necwatch.record.statements import find_statements
    from necwatch.record.text import split_paragraphs

    reports = fifteen_kb_reports(n)
    roster = Roster.shipped()
    parts = ("text", "meeting", "items", "people", "decisions", "statements")
    runs: dict[str, list[float]] = {k: [] for k in (*parts, "total")}
    clock = time.process_time
    for rep in range(repeats + 1):
        spent = dict.fromkeys(parts, 0.0)
        started = clock()
        for title, body, published, author in reports:
            forget_paragraphs()  # as extract_record does: no split carried from another report
            t0 = clock()
            paragraphs = split_paragraphs(body)
            t1 = clock()
            meeting = find_meeting(title, paragraphs, published)
            t2 = clock()
            items = find_items(paragraphs)
            t3 = clock()
            people = find_people(paragraphs, roster, meeting.date, published, author)
            t4 = clock()
            for d in find_decisions(paragraphs, items):
                if len(d.quote) <= MAX_QUOTE_CHARS:
                    people.resolve(d.mover, d.paragraph), people.resolve(d.seconder, d.paragraph)
            t5 = clock()
            for s in find_statements(paragraphs):
                if len(s.quote) <= MAX_QUOTE_CHARS:
                    people.resolve(s.speaker, s.paragraph)
            t6 = clock()
            for k, (a, b) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6))):
                spent[parts[k]] += b - a
        total = clock() - started
        if rep == 0:
            continue  # the first run warms the roster's indexes
        for k in parts:
            runs[k].append(1000 * spent[k] / n)
        runs["total"].append(1000 * total / n)
    whole = timed(lambda: run_all(reports), repeats, clock)
    return {
        "reports": n,
        "body_kB_mean": round(sum(len(r[1].encode()) for r in reports) / n / 1000, 1),
        "ms_a_report_median": {k: round(statistics.median(v), 2) for k, v in runs.items()},
        "ms_a_report_min": {k: round(min(v), 2) for k, v in runs.items()},
        "extract_record_ms_median": round(1000 * statistics.median(whole) / n, 2),
        "extract_record_ms_min_max": [round(1000 * min(whole) / n, 2), round(1000 * max(whole) / n, 2)],
    }


def bench_poll(gold_record_s: float) -> dict[str, Any]:
    """The first poll of the whole reference web against the record time of its 13 reports."""
    from bench_parse import end_to_end

    e2e = end_to_end()
    return {
        "first_poll_s": e2e["first_run_s"],
        "records_of_its_13_reports_s": round(gold_record_s, 4),
        "record_share_of_poll": round(gold_record_s / e2e["first_run_s"], 3),
    }


# ---------------------------------------------------------------- the 10,000-report database


def build_database(n: int, tmp: Path, kind: str = "blogger") -> dict[str, Any]:
    """Backfill an emulated site (`kind`: blogger or wordpress) of `n` NEC reports into tmp/r.db,
    and write the config file `necwatch reextract` reads."""
    from platformweb import RemoteWeb

    from necwatch import pipeline
    from necwatch.config import config_from_dict
    from necwatch.store import Store

    with RemoteWeb((kind, 0, 7)) as web:  # the emulated site in its own process
        for _ in range(n):  # n NEC reports, one an hour of the site's clock (all in the past)
            web.call("add_post", 0, report=True)
            web.call("advance", hours=1)
        raw = {
            "database": str(tmp / "r.db"),
            "feeds_dir": str(tmp / "feeds"),
            "allow_private_addresses": True,
            "fetch": {"per_host_delay": 0, "backoff": 0.01},
            # the whole backfill in one poll of full listing pages: content read later through
            # change queries is not archived, and `reextract` replays only the archive
            "schedule": {"run_deadline": 36_000},
            "sources": [
                {
                    "name": "emu",
                    "type": kind,
                    "url": web.bases[0],
                    "author": "Emu",
                    "max_pages": n // 20 + 10,
                    "backfill_batch": n + 100,
                }
            ],
        }
        config = config_from_dict(raw, file="<bench>")
        (tmp / "config.yaml").write_text(json.dumps(raw))  # JSON is YAML
        store = Store.open(config.database_path)
        started, polls = time.perf_counter(), 0
        while polls < 2 + n // 1000:
            before = store.db["posts"].count
            asyncio.run(pipeline.run_async(config, store))
            polls += 1
            if store.db["posts"].count in (before, n):
                break
        backfill_s = time.perf_counter() - started
        stored = store.db["posts"].count
        store.close()
    return {"reports": n, "stored": stored, "polls": polls, "backfill_wall_s": round(backfill_s, 1)}


def stored_reports(db: Path) -> list[Args]:
    import sqlite3

    con = sqlite3.connect(db)
    rows = con.execute(
        "select title, body_text, published_at, author from reports where is_nec_report = 1"
    ).fetchall()
    con.close()
    return [(t or "", b or "", datetime.fromisoformat(p).date() if p else None, a) for t, b, p, a in rows]


def stored_listing_pages(db: Path) -> list[tuple[str, bytes]]:
    """Every stored raw response that carries posts: Blogger's posts feed, WordPress's REST posts."""
    import sqlite3
    import zlib

    con = sqlite3.connect(db)
    rows = con.execute(
        "select f.url, b.content from fetches f join raw_bodies b on b.hash = f.body_hash "
        "where f.url like '%/feeds/posts/default%' or f.url like '%/wp-json/wp/v2/posts%'"
    ).fetchall()
    con.close()
    return [(u, zlib.decompress(c)) for u, c in rows]


def parse_listing(url: str, body: bytes) -> int:
    """The adapter's parse of one stored page of posts (what a backfill parses): posts read."""
    from necwatch.sources.blogger import parse_feed_atom, parse_feed_json
    from necwatch.sources.wordpress import parse_rest_posts

    if "/wp-json/" in url:
        return len(parse_rest_posts(url, body, default_author="Emu"))
    page = (parse_feed_json if "alt=json" in url else parse_feed_atom)(url, body, default_author="Emu")
    return len(page.entries)


def bench_database(n: int, repeats: int, keep: Path | None, kind: str) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_record_"))
    try:
        out = build_database(n, tmp, kind)
        db = tmp / "r.db"
        reports = stored_reports(db)
        pages = stored_listing_pages(db)
        parsed = sum(parse_listing(u, b) for u, b in pages)
        cpu = time.process_time
        record_s = timed(lambda: run_all(reports), repeats, cpu)
        parse_s = timed(lambda: [parse_listing(u, b) for u, b in pages], repeats, cpu)
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "necwatch",
                "reextract",
                "--config",
                str(tmp / "config.yaml"),
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        reextract_s = time.perf_counter() - started
        rec, par = statistics.median(record_s), statistics.median(parse_s)
        out.update(
            {
                "platform": kind,
                "nec_reports_stored": len(reports),
                "listing_pages": len(pages),
                "posts_parsed": parsed,
                "rederive_records_cpu_s": round(rec, 2),
                "rederive_min_max_s": [round(min(record_s), 2), round(max(record_s), 2)],
                "parse_same_posts_cpu_s": round(par, 2),
                "parse_min_max_s": [round(min(parse_s), 2), round(max(parse_s), 2)],
                "rederive_over_parse": round(rec / par, 2),
                "reextract_wall_s": round(reextract_s, 1),
                "reextract_exit": proc.returncode,
                "reextract_over_backfill": round(reextract_s / out["backfill_wall_s"], 2),
            }
        )
        if proc.returncode:
            out["reextract_stderr"] = proc.stderr[-500:]
        if keep:
            shutil.copy(db, keep)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=10_000, metavar="N")
    parser.add_argument("--db-reports", type=int, default=10_000, metavar="N")
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument(
        "--parts", action="store_true", help="only the CPU ms a 15 kB report spends in each part"
    )
    parser.add_argument(
        "--db-platform",
        choices=("blogger", "wordpress"),
        default="blogger",
        help="the emulated site's platform",
    )
    parser.add_argument("--keep-db", type=Path, help="copy the built database here")
    parser.add_argument("--cpu", type=int, help="the core to pin to (default: the first allowed)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": pin(args.cpu),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    if args.parts:
        out["parts"] = bench_parts(args.repeats)
        out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(out, indent=2))
        return
    out["parts"] = bench_parts(args.repeats)
    out["gold"] = bench_gold(args.repeats)
    out["synthetic"] = bench_synthetic(args.synthetic, max(1, args.repeats // 2))
    gold_s = out["gold"]["reports"] * out["gold"]["record"]["ms_each_median"] / 1000
    out["poll"] = bench_poll(gold_s)
    if not args.skip_db:
        out["database"] = bench_database(
            args.db_reports, max(1, args.repeats // 2), args.keep_db, args.db_platform
        )
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(out, indent=2))
        return
    g, s, p = out["gold"], out["synthetic"], out["poll"]
    print(f"{out['cpu']}; load average {out['load_average_start']} → {out['load_average_end']}")
    parts = out["parts"]
    print(
        f"{parts['reports']} reports of {parts['body_kB_mean']} kB: extract_record "
        f"{parts['extract_record_ms_median']} ms CPU a report {parts['extract_record_ms_min_max']}; by part "
        + ", ".join(f"{k} {v}" for k, v in parts["ms_a_report_median"].items())
    )
    print("| set | reports | body kB (mean) | extract_record reports/s, median (min-max) | ms a report |")
    print("|---|---|---|---|---|")
    for name, v in (("gold (13 real)", g), (f"synthetic ({s['reports']:,})", s)):
        r = v["record"]
        print(
            f"| {name} | {v['reports']:,} | {v['body_kB_mean']} | {r['per_s_median']:,.0f} "
            f"({r['per_s_min']:,.0f}-{r['per_s_max']:,.0f}) | {r['ms_each_median']} |"
        )
    print(
        f"\nparse of the same {g['parse_pages']} pages: {g['parse']['per_s_median']:,.0f} pages/s; "
        f"record ÷ parse {g['record_over_parse']}, record's share of parse + record "
        f"{g['record_share_of_parse_plus_record']:.1%}"
    )
    print(
        f"first poll of the reference web {p['first_poll_s']} s; records of its 13 reports "
        f"{p['records_of_its_13_reports_s']} s = {p['record_share_of_poll']:.1%} of it"
    )
    if "database" in out:
        d = out["database"]
        print(
            f"\ndatabase ({d['platform']}): {d['nec_reports_stored']:,} NEC reports, backfill "
            f"{d['backfill_wall_s']} s wall in {d['polls']} polls"
        )
        print(
            f"re-derive every record: {d['rederive_records_cpu_s']} s CPU {d['rederive_min_max_s']}; "
            f"parse of the "
            f"same {d['posts_parsed']:,} posts: {d['parse_same_posts_cpu_s']} s CPU {d['parse_min_max_s']}; "
            f"ratio {d['rederive_over_parse']}"
        )
        print(
            f"`necwatch reextract`: {d['reextract_wall_s']} s wall (exit {d['reextract_exit']}), "
            f"{d['reextract_over_backfill']} × the backfill"
        )


if __name__ == "__main__":
    main()
