"""Serving benchmark: necwatch's Datasette vs a stock `datasette serve` of the same 100k-report database.

Generates (once, cached) a database of 100,000 synthetic reports with ~15 KB bodies sampled from
the demo's real report paragraphs, then serves it with stock Datasette and with `necwatch serve`
(both up, loaded one at a time) and loads each action from a separate process (httpx,
`--concurrency` connections), on stock and necwatch back to back, in alternating order.

Like for like: every action is the same reader question on both servers (`actions`): the same
URL where stock has the page, else stock's own way to answer it (the canned query's SQL through
`?sql=`, its table search of the same word over the whole table). Before timing, each action with
a check is asked once of both and must give the same answer (rows, or the number of matches: the
search page counts up to 10,001 and then says "more than 10,000", so stock's exact count is compared
capped the same way), and
any answer that is not a 200 fails the run (a 400 is an error, not a fast answer). `--rounds`
repeats the whole comparison; the table gives the median and range over rounds of each server's
p50, and the speed-up as the median over rounds of each round's ratio (two runs seconds apart:
on a shared machine the load drifts over minutes).

    python bench/bench_serve.py --db /tmp/bench/bench.db --seconds 4 --rounds 3 --concurrency 4

Prints a Markdown table (the figures in docs/publishing.md come from it) and writes JSON next to
the database; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RARE_WORD = "zeugmatic"  # put in 20 reports
COMMON_WORD = "labour"  # in nearly every report
AUTHORS = ["Alice Perry", "Luke Akehurst", "Johanna Baxter", "Ann Black", "Pete Willsman", "Jon Lansman",
           "Rhea Wolfson", "Darren Williams", "Christine Shawcroft", "Ellie Reeves"]  # fmt: skip
SOURCES = ["alice-perry", "luke-akehurst", "labourlist", "progress", "ann-black"]
KINDS = ["full", "special", "away_day", "sub_committees", "clause_v"]


def _paragraphs(demo_db: Path | None) -> list[str]:
    """Real report paragraphs (the demo database), so tokens and lengths are realistic."""
    if demo_db is None:
        from necwatch.demo import run_demo

        tmp = Path(tempfile.mkdtemp(prefix="necwatch-bench-demo-"))
        _, store = run_demo(tmp / "demo.db", tmp / "feeds")
        store.close()
        demo_db = tmp / "demo.db"
    conn = sqlite3.connect(demo_db)
    paras: list[str] = []
    for (body,) in conn.execute("select body_text from reports where body_text is not null"):
        paras += [p.strip() for p in body.split("\n") if len(p.strip()) > 40]
    conn.close()
    return paras


def generate(path: Path, n: int, demo_db: Path | None) -> None:
    """n reports, bulk-inserted with the necwatch schema; FTS rebuilt once at the end (faster)."""
    from necwatch.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    Store.open(path).close()  # schema + migrations
    paras = _paragraphs(demo_db)
    rng = random.Random(42)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    triggers = conn.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"drop trigger {name}")
    rare = set(rng.sample(range(n), 20))
    t0 = time.perf_counter()
    conn.execute("begin")
    cols = ("id, title, author, published_at, meeting_date, meeting_kind, is_nec_report, canonical_url, "
            "source, post_count, comment_count, version, content_hash, first_seen_at, updated_at, body_text, "
            "body_html, words")  # fmt: skip
    sql = f"insert into reports ({cols}) values ({', '.join('?' * 18)})"
    batch = []
    for i in range(n):
        body: list[str] = []
        size = 0
        while size < 15_000:
            p = rng.choice(paras)
            body.append(p)
            size += len(p) + 1
        if i in rare:
            body.insert(rng.randrange(len(body)), f"The {RARE_WORD} motion was withdrawn.")
        day = 1 + (i * 7) % 9000
        meeting = time.strftime("%Y-%m-%d", time.gmtime(1_000_000_000 + day * 86400))
        published = time.strftime(
            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_000_000_000 + (day + 2) * 86400 + i)
        )
        text = "\n\n".join(body)
        batch.append((f"r{i:07d}", f"NEC Report – {meeting}", rng.choice(AUTHORS), published, meeting,
                      rng.choice(KINDS), 1 if i % 5 else 0, f"https://example.org/{i}", rng.choice(SOURCES),
                      1, rng.randrange(5), 1, f"v1:{i}", published, published, text,
                      "".join(f"<p>{p}</p>" for p in body), len(text.split())))  # fmt: skip
        if len(batch) == 2000:
            conn.executemany(sql, batch)
            batch.clear()
    conn.executemany(sql, batch)
    conn.execute("commit")
    t1 = time.perf_counter()
    conn.execute("insert into reports_fts (reports_fts) values ('rebuild')")
    for _, trigger_sql in triggers:
        conn.execute(trigger_sql)
    conn.execute("analyze")
    conn.execute("pragma journal_mode = wal")
    conn.close()
    size = path.stat().st_size / 1e9
    print(f"generated {n} reports in {t1 - t0:.0f}s, FTS in {time.perf_counter() - t1:.0f}s, {size:.1f} GB",
          file=sys.stderr)  # fmt: skip


FEED_SQL = """select 'tag:necwatch,2024:report:' || r.id as atom_id, r.title as atom_title,
  r.published_at as atom_updated, r.body_html as atom_content_html, r.canonical_url as atom_link
from reports r where r.is_nec_report = 1 and r.duplicate_of is null order by r.published_at desc limit 50"""


@dataclass(frozen=True)
class Action:
    """One reader action as a URL on each server, with the same meaning on both, and how to check
    that it does mean the same (a JSON URL on each and a function that gives the compared value)."""

    stock: str
    necwatch: str
    check: tuple[str, str, Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]] | None = None


def _count(d: dict[str, Any]) -> Any:
    return d["filtered_table_rows_count"]


def _count_to_cap(d: dict[str, Any]) -> Any:
    """Stock's exact count as the search page reports it: up to the cap, then "more than" (cap + 1)."""
    from necwatch.publish.metadata import SEARCH_COUNT_CAP

    return min(d["filtered_table_rows_count"], SEARCH_COUNT_CAP + 1)


def _matches(d: dict[str, Any]) -> Any:
    return d["rows"][0]["matches"] if d["rows"] else 0


def _rows(d: dict[str, Any]) -> Any:
    return len(d["rows"])


def _sql(name: str, sql: str, **params: str) -> str:
    return f"/{name}?" + str(httpx.QueryParams({"sql": sql, **params}))


def actions(name: str, n: int, db: Path) -> dict[str, Action]:
    """The same user actions on both servers. Stock has no canned queries: where necwatch answers
    with one, stock runs the same SQL through ?sql= (its own way to answer that question), and a
    search is Datasette's table search of the same word over the whole table (same match count)."""
    from necwatch.publish.metadata import build_metadata, nec_authors

    queries = build_metadata(name, authors=nec_authors(db))["databases"][name]["queries"]
    meeting = _meeting_of(db, f"r{n // 2 + 1:07d}")  # an NEC report (every fifth is not)
    out = {
        "table page": Action(f"/{name}/reports", f"/{name}/reports"),
        "row page": Action(f"/{name}/reports/r{n // 2:07d}", f"/{name}/reports/r{n // 2:07d}"),
        "listing view": Action(f"/{name}/reports_list", f"/{name}/reports_list"),
        "table search (common)": Action(
            f"/{name}/reports?_search={COMMON_WORD}", f"/{name}/reports?_search={COMMON_WORD}"
        ),
        "feed": Action(
            _sql(name, FEED_SQL).replace(f"/{name}?", f"/{name}.atom?", 1), f"/{name}/feed_new_reports.atom"
        ),
        "coverage": Action(
            _sql(name, queries["coverage"]["sql"]),
            f"/{name}/coverage",
            (
                _sql(name, queries["coverage"]["sql"]).replace("?", ".json?", 1),
                f"/{name}/coverage.json",
                _rows,
                _rows,
            ),
        ),
        "meeting page": Action(
            _sql(name, queries["meeting_reports"]["sql"], meeting=meeting),
            f"/{name}/meeting_reports?meeting={meeting}",
            (
                _sql(name, queries["meeting_reports"]["sql"], meeting=meeting).replace("?", ".json?", 1),
                f"/{name}/meeting_reports.json?meeting={meeting}",
                _rows,
                _rows,
            ),
        ),
    }
    for label, word in (("search (common word)", COMMON_WORD), ("search (rare word)", RARE_WORD)):
        out[label] = Action(
            f"/{name}/reports?_search={word}",
            f"/{name}/search_reports?q={word}",
            (
                f"/{name}/reports.json?_search={word}",
                f"/{name}/search_reports.json?q={word}&_shape=objects",
                _count_to_cap,
                _matches,
            ),
        )
    return out


def _meeting_of(db: Path, report_id: str) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return str(conn.execute("select meeting_date from reports where id = ?", [report_id]).fetchone()[0])
    finally:
        conn.close()


LOAD_SCRIPT = r"""
import asyncio, json, sys, time
import httpx
base, path, seconds, conc = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
async def main():
    lat, codes = [], {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for _ in range(2):
            await c.get(path)
        end = time.perf_counter() + seconds
        async def worker():
            while time.perf_counter() < end or not lat:
                t = time.perf_counter()
                r = await c.get(path)
                await r.aread()
                lat.append(time.perf_counter() - t)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - t0
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print(json.dumps({"n": len(lat), "p50": q(0.5), "p95": q(0.95), "rps": len(lat) / wall, "codes": codes}))
asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


@contextlib.contextmanager
def serving(cmds: dict[str, list[str]], ports: dict[str, int]) -> Iterator[dict[str, str]]:
    """Both servers up at once (each idle while the other is loaded): base URL by server."""
    procs = {server: subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for server, cmd in cmds.items()}  # fmt: skip
    try:
        bases = {server: f"http://127.0.0.1:{ports[server]}" for server in cmds}
        for server, proc in procs.items():
            _wait(bases[server] + "/-/versions.json", proc)
        yield bases
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=10)


def load(base: str, path: str, seconds: float, conc: int) -> dict[str, Any]:
    """Load one path from a separate process (the client's work is not the server's CPU)."""
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, base, path, str(seconds), str(conc)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return dict(json.loads(out.stdout))


def check_meaning(cmds: dict[str, list[str]], ports: dict[str, int], acts: dict[str, Action]) -> list[str]:
    """Each action's check URL on both servers: both 200, and the same compared value."""
    values: dict[str, dict[str, Any]] = {}
    problems = []
    for server, cmd in cmds.items():
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{ports[server]}"
        try:
            _wait(base + "/-/versions.json", proc)
            for label, act in acts.items():
                if act.check is None:
                    continue
                url = act.check[0] if server == "stock" else act.check[1]
                r = httpx.get(base + url, timeout=120)
                if r.status_code != 200:
                    problems.append(f"{server} {label}: HTTP {r.status_code} for {url}")
                    continue
                get = act.check[2] if server == "stock" else act.check[3]
                values.setdefault(label, {})[server] = get(r.json())
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    for label, v in values.items():
        print(f"  same meaning? {label}: {v}", file=sys.stderr)
        if len(set(map(str, v.values()))) != 1:
            problems.append(f"{label}: stock and necwatch differ: {v}")
    return problems


def summarize(rounds: list[dict[str, dict[str, dict[str, Any]]]]) -> tuple[list[str], list[str]]:
    """Markdown rows (median of each round's p50 and p95, with the range over rounds) and every
    non-200 answer (a 400 or a 500 is a failure, never a latency)."""
    failures = []
    lines = [
        "| action | stock p50 ms (range) | stock p95 ms | necwatch p50 ms (range) | necwatch p95 ms "
        "| speed-up (median of each round's p50 ratio, range) |",
        "|---|---|---|---|---|---|",
    ]
    labels = list(rounds[0]["necwatch"])
    for label in labels:
        cells = []
        p50s = {}
        for server in ("stock", "necwatch"):
            runs = [r[server][label] for r in rounds]
            for run in runs:
                bad = {c: k for c, k in run["codes"].items() if str(c) != "200"}
                if bad:
                    failures.append(f"{server} {label}: {bad}")
            p50 = sorted(x["p50"] * 1000 for x in runs)
            p95 = sorted(x["p95"] * 1000 for x in runs)
            p50s[server] = statistics.median(p50)
            cells += [
                f"{statistics.median(p50):.0f} ({p50[0]:.0f}–{p50[-1]:.0f})",
                f"{statistics.median(p95):.0f}",
            ]
        ratios = sorted(r["stock"][label]["p50"] / r["necwatch"][label]["p50"] for r in rounds)
        spread = f" ({ratios[0]:.1f}–{ratios[-1]:.1f})" if len(ratios) > 1 else ""
        lines.append(f"| {label} | {' | '.join(cells)} | {statistics.median(ratios):.1f}×{spread} |")
    return lines, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/necwatch-bench/bench.db"))
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--demo-db", type=Path, default=None, help="Paragraph source (default: run the demo).")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--seconds", type=float, default=5.0, help="Load per action per round.")
    ap.add_argument("--rounds", type=int, default=3, help="Rounds (each serves both in turn): the spread.")
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.regenerate or not args.db.exists():
        generate(args.db, args.reports, args.demo_db)
    name = args.db.stem
    bin_dir = Path(sys.executable).parent
    ports = {"stock": _free_port(), "necwatch": _free_port()}
    # Stock as installed, with a query time limit that lets it answer (a limit, not a speed lever).
    cmds = {
        "stock": [str(bin_dir / "datasette"), "serve", str(args.db), "-p", str(ports["stock"]),
                  "--setting", "sql_time_limit_ms", "20000"],
        "necwatch": [str(bin_dir / "necwatch"), "serve", "--db", str(args.db),
                     "--port", str(ports["necwatch"])],
    }  # fmt: skip
    acts = actions(name, args.reports, args.db)
    problems = check_meaning(cmds, ports, acts)
    # Each action on stock and necwatch back to back, in alternating order from round to round
    # (ABBA): on a shared machine the load drifts over minutes, and a ratio of two runs seconds apart
    # is what survives it.
    rounds: list[dict[str, dict[str, dict[str, Any]]]] = []
    with serving(cmds, ports) as bases:
        for i in range(args.rounds):
            this: dict[str, dict[str, dict[str, Any]]] = {"stock": {}, "necwatch": {}}
            for j, (label, act) in enumerate(acts.items()):
                order = ("stock", "necwatch") if (i + j) % 2 == 0 else ("necwatch", "stock")
                for server in order:
                    path = getattr(act, server)
                    this[server][label] = load(bases[server], path, args.seconds, args.concurrency)
                    print(f"round {i + 1} {server:8} {label:24} {this[server][label]}", file=sys.stderr)
            rounds.append(this)
    out = args.db.with_suffix(".results.json")
    out.write_text(json.dumps({"reports": args.reports, "cores": os.cpu_count(), "rounds": rounds}, indent=2))
    lines, failures = summarize(rounds)
    print("\n".join(lines))
    for problem in problems + failures:
        print(f"FAILED: {problem}", file=sys.stderr)
    if problems or failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
