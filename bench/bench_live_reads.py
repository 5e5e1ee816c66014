"""Reading while writing (RELIABILITY F17/G8): Datasette serving the live database during write-heavy runs.

A synthetic WordPress-REST web (bench/synthweb.py: thousands of posts on a few hosts) is polled into
a fresh database by `run_job`, then changed (new posts, edits, new comments on every host) and
polled again, several times. Meanwhile `necwatch serve` (a separate process, the live file opened
`mode=ro`, not immutable) is read by a client process at a fixed rate: the reports table JSON, a
report's row page, a canned search, an Atom feed and a consistency query. Measured: requests,
errors (non-200, "database is locked"), latency p50/p95/p99, torn reads (rows returned by the
consistency query), and on the writer side commits and SQLITE_BUSY failures.

    python bench/bench_live_reads.py                       # ≥ 1000 reader requests, prints a table
    python bench/bench_live_reads.py --hosts 4 --posts 500 --rate 20 --min-requests 1000
    # the configuration of tests/publish/test_live_reads.py, with the speed figures checked:
    python bench/bench_live_reads.py --hosts 3 --posts 100 --rate 20 --min-requests 300 --min-generations 2

`tests/publish/test_live_reads.py` runs the smaller configuration with the same harness and checks
behaviour only (no errors, no torn reads); the speed figures (reader requests/s, latency) are checked
here: exit status 1 when the reader managed under --min-req-per-s or p99 reached --max-p99-ms.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from synthweb import SynthWeb  # noqa: E402

DB_NAME = "necwatch"

# Every row is a violation; the client expects none. All checks compare rows that one source's
# transaction writes together, in ONE statement (one read transaction, so one snapshot): a reader
# that saw half a source's update would see a count that disagrees with its neighbour. Datasette
# passes :params as text, hence the casts (20 != '20' in SQLite).
CONSISTENCY_SQL = """
select 'source_count' as chk, s.name as detail from sources s
 where s.posts != (select count(*) from posts p where p.source = s.name and p.removed_at is null)
union all
select 'partial_batch', s.name || ' ' || (select count(*) from posts p where p.source = s.name)
 from sources s where (select count(*) from posts p where p.source = s.name) % cast(:batch as integer) != 0
union all
select 'orphan_post', p.id from posts p
 where p.report_id is not null and not exists (select 1 from reports r where r.id = p.report_id)
union all
select 'version_gap', r.id from reports r
 where r.is_nec_report = 1
   and r.version != (select max(v.version) from report_versions v where v.report_id = r.id)
union all
select 'comment_count', r.id from reports r
 where r.comment_count != (select count(*) from comments c where c.report_id = r.id and c.removed_at is null)
union all
select 'alerts_' || a.kind, a.source || ' ' || a.run_id || ' ' || count(*) from alerts a
 where a.backfill = 0 and a.kind in ('new_report', 'report_edited', 'new_comment')
 group by a.source, a.run_id, a.kind
 having count(*) != cast(case a.kind when 'new_report' then :batch when 'report_edited' then :edits
                         else :comments end as integer)
""".strip()


# -- the reader (a separate process) ----------------------------------------------------------------


def reader_paths(report_id: str | None, counts: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    """One round of the client: (kind, path, params)."""
    paths: list[tuple[str, str, dict[str, Any]]] = [
        ("table", f"/{DB_NAME}/reports.json", {"_shape": "objects", "_size": 20}),
        ("search", f"/{DB_NAME}/search_reports.json", {"q": "committee agreed"}),
        ("feed", f"/{DB_NAME}/feed_new_reports.atom", {}),
        (
            "consistency",
            f"/{DB_NAME}.json",
            {
                "sql": CONSISTENCY_SQL,
                "_shape": "array",
                **counts,
            },
        ),
    ]
    if report_id:
        paths.insert(1, ("row", f"/{DB_NAME}/reports/{report_id}", {}))
    return paths


def progress_file(out: Path) -> Path:
    """Where the client keeps its running request count (read by measure() to know when to stop)."""
    return out.with_name(out.name + ".count")


def reader_progress(out: Path) -> int:
    try:
        return int(progress_file(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0


def run_client(base: str, rate: float, stop_file: Path, out: Path, counts: dict[str, int]) -> None:
    """Request at `rate` per second (one connection, paced) until `stop_file` exists; write JSON.
    The running request count is kept in progress_file(out) after every round."""
    samples: list[dict[str, Any]] = []
    torn: list[Any] = []
    report_ids: list[str] = []
    interval = 1.0 / rate
    next_at = time.monotonic()
    i = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop_file.exists():
            rid = report_ids[i % len(report_ids)] if report_ids else None
            for kind, path, params in reader_paths(rid, counts):
                now = time.monotonic()
                if next_at > now:
                    time.sleep(next_at - now)
                next_at = max(next_at + interval, time.monotonic() - 1.0)  # no catch-up burst
                started = time.perf_counter()
                error = None
                try:
                    r = client.get(path, params=params)
                    status, text = r.status_code, r.text
                except httpx.HTTPError as e:
                    status, text, error = 0, "", f"{type(e).__name__}: {e}"
                ms = (time.perf_counter() - started) * 1000
                if "database is locked" in text or "database is busy" in text:
                    error = "database is locked"
                elif status != 200 and error is None:
                    error = f"HTTP {status}: {text[:200]}"
                if status == 200 and kind == "consistency":
                    rows = json.loads(text)
                    if rows:
                        torn.append({"at": time.time(), "rows": rows[:20]})
                if status == 200 and kind == "table":
                    report_ids = [row["id"] for row in json.loads(text)["rows"]] or report_ids
                samples.append({"kind": kind, "status": status, "ms": round(ms, 2), "error": error})
            i += 1
            count = progress_file(out).with_suffix(".tmp")
            count.write_text(str(len(samples)), encoding="utf-8")
            os.replace(count, progress_file(out))
    out.write_text(json.dumps({"samples": samples, "torn": torn}), encoding="utf-8")


# -- the writer and the orchestration (this process) ------------------------------------------------


def consistency_counts(synth: SynthWeb) -> dict[str, int]:
    """The consistency query's parameters: what every generation adds per host."""
    return {"batch": synth.new_per_gen, "edits": synth.edits_per_gen, "comments": synth.comments_per_gen}


@dataclass
class LiveReadsResult:
    """What one measurement found."""

    requests: int = 0
    errors: list[str] = field(default_factory=list)
    locked: int = 0
    http_500: int = 0
    torn_reads: list[Any] = field(default_factory=list)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    per_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    reader_seconds: float = 0.0
    req_per_s: float = 0.0
    runs: int = 0
    run_seconds: list[float] = field(default_factory=list)
    commits: int = 0
    busy_errors: list[str] = field(default_factory=list)
    source_failures: list[str] = field(default_factory=list)
    posts: int = 0
    report_versions: int = 0
    comments: int = 0
    alerts: int = 0
    db_mb: float = 0.0


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return round(s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))], 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def counting_commits(result: LiveReadsResult) -> Iterator[None]:
    """Count the writer's successful COMMITs and any busy/locked failure of its transactions."""
    from necwatch.errors import StoreError
    from necwatch.store import Store

    original = Store.transaction

    @contextmanager
    def transaction(self: Store) -> Iterator[None]:
        try:
            with original(self):
                yield
        except StoreError as e:
            if e.kind == "storage_locked":
                result.busy_errors.append(str(e))
            raise
        result.commits += 1

    Store.transaction = transaction  # type: ignore[method-assign]
    try:
        yield
    finally:
        Store.transaction = original  # type: ignore[method-assign]


@contextmanager
def serving(db: Path, port: int, log: Path) -> Iterator[str]:
    """`necwatch serve --db DB` (live file, read-only, mutable) as a separate process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "necwatch", "serve", "--db", str(db), "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/{DB_NAME}.json", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"necwatch serve did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def measure(
    workdir: Path,
    *,
    hosts: int = 4,
    posts_per_host: int = 500,
    rate: float = 20.0,
    min_requests: int = 1000,
    min_generations: int = 3,
    max_generations: int = 50,
) -> LiveReadsResult:
    """Backfill, then evolve-and-poll until the reader has made `min_requests` (at least
    `min_generations` changed polls, at most `max_generations`); the reader runs throughout.

    The stop is counted in requests, not seconds, so a slow (loaded) machine runs longer instead
    of reading less: every reader request overlaps the writer."""
    from necwatch.job import run_job
    from necwatch.replay import ReplayWeb
    from necwatch.store import Store

    result = LiveReadsResult()
    synth = SynthWeb(hosts=hosts, posts_per_host=posts_per_host)
    corpus = synth.write_corpus(workdir / "corpus")
    db = workdir / f"{DB_NAME}.db"
    for suffix in ("", "-wal", "-shm"):  # a fresh database: the hosts' ports change every time
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    Store.open(db).close()  # the schema exists before Datasette starts
    stop, out = workdir / "stop-client", workdir / "client.json"
    stop.unlink(missing_ok=True)
    progress_file(out).unlink(missing_ok=True)
    with ReplayWeb(root=corpus) as web, serving(db, _free_port(), workdir / "serve.log") as base:
        config = synth.config(web, db)
        client = subprocess.Popen(
            [sys.executable, __file__, "client", "--base", base, "--rate", str(rate), "--stop-file",
             str(stop), "--out", str(out), "--counts", json.dumps(consistency_counts(synth))]
        )  # fmt: skip
        started = time.monotonic()
        try:
            with counting_commits(result):
                generation = 0
                while True:
                    t = time.monotonic()
                    try:
                        run = run_job(config, trigger="bench")
                    except Exception as e:  # a busy BEGIN/COMMIT outside a source's transaction
                        result.busy_errors.append(f"run raised {type(e).__name__}: {e}")
                        raise
                    result.run_seconds.append(round(time.monotonic() - t, 2))
                    result.runs += 1
                    for s in run.sources:
                        if s.status != "ok":
                            result.source_failures.append(f"{s.name}: {s.status} {s.error}")
                            if s.error and "locked" in s.error:
                                result.busy_errors.append(s.error)
                    if (generation >= min_generations and reader_progress(out) >= min_requests) or (
                        generation >= max_generations
                    ):
                        break
                    synth.evolve()
                    synth.apply(web)
                    generation += 1
        finally:
            stop.write_text("stop")
            client.wait(60)
        result.reader_seconds = round(time.monotonic() - started, 1)
    data = json.loads(out.read_text(encoding="utf-8"))
    samples = data["samples"]
    result.requests = len(samples)
    result.torn_reads = data["torn"]
    result.errors = [s["error"] for s in samples if s["error"]]
    result.locked = sum(1 for e in result.errors if "locked" in e)
    result.http_500 = sum(1 for s in samples if s["status"] == 500)
    ms = [s["ms"] for s in samples]
    result.p50_ms, result.p95_ms, result.p99_ms = _pct(ms, 50), _pct(ms, 95), _pct(ms, 99)
    result.max_ms = round(max(ms, default=0.0), 1)
    result.req_per_s = round(result.requests / result.reader_seconds, 1) if result.reader_seconds else 0.0
    for kind in sorted({s["kind"] for s in samples}):
        k = [s["ms"] for s in samples if s["kind"] == kind]
        result.per_kind[kind] = {"n": len(k), "p50": _pct(k, 50), "p95": _pct(k, 95), "p99": _pct(k, 99)}
    store = Store.open(db, readonly=True)
    try:
        counts = store.counts()
        result.posts, result.comments, result.alerts = counts["posts"], counts["comments"], counts["alerts"]
        result.report_versions = counts["report_versions"]
    finally:
        store.close()
    size = sum(p.stat().st_size for p in workdir.glob(f"{DB_NAME}.db*") if p.is_file())
    result.db_mb = round(size / 1e6, 1)
    return result


def markdown(r: LiveReadsResult, args: argparse.Namespace) -> str:
    """The figures as the Markdown table in docs/publishing.md."""
    lines = [
        f"{args.hosts} hosts × {args.posts} posts, {r.runs} runs "
        f"({', '.join(f'{s:.1f}' for s in r.run_seconds)} s), reader target {args.rate:g} req/s",
        "",
        "| measure | value |",
        "|---|---|",
        f"| reader requests | {r.requests} in {r.reader_seconds} s ({r.req_per_s} req/s) |",
        f"| errors (non-200) / HTTP 500 / database is locked | {len(r.errors)} / {r.http_500} / {r.locked} |",
        f"| latency p50 / p95 / p99 / max (ms) | {r.p50_ms} / {r.p95_ms} / {r.p99_ms} / {r.max_ms} |",
        f"| torn reads (consistency rows) | {len(r.torn_reads)} |",
        f"| writer commits / SQLITE_BUSY | {r.commits} / {len(r.busy_errors)} |",
        f"| written | {r.posts} posts, {r.report_versions} versions, {r.comments} comments, "
        f"{r.alerts} alerts ({r.db_mb} MB) |",
        "",
        "| request | n | p50 | p95 | p99 (ms) |",
        "|---|---|---|---|---|",
    ]
    for kind, v in r.per_kind.items():
        lines.append(f"| {kind} | {int(v['n'])} | {v['p50']} | {v['p95']} | {v['p99']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd")
    c = sub.add_parser("client")
    c.add_argument("--base", required=True)
    c.add_argument("--rate", type=float, required=True)
    c.add_argument("--stop-file", type=Path, required=True)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--counts", type=json.loads, required=True, help="the consistency query's :params")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--posts", type=int, default=500, help="posts per host (a multiple of 10)")
    parser.add_argument("--rate", type=float, default=20.0, help="reader requests per second")
    parser.add_argument("--min-requests", type=int, default=1000)
    parser.add_argument("--min-generations", type=int, default=3)
    parser.add_argument("--max-generations", type=int, default=50)
    parser.add_argument("--min-req-per-s", type=float, default=10.0, help="fail below this reader rate")
    parser.add_argument("--max-p99-ms", type=float, default=1000.0, help="fail at or above this p99")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.cmd == "client":
        run_client(args.base, args.rate, args.stop_file, args.out, args.counts)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="necwatch-live-reads-"))
    workdir.mkdir(parents=True, exist_ok=True)
    r = measure(
        workdir,
        hosts=args.hosts,
        posts_per_host=args.posts,
        rate=args.rate,
        min_requests=args.min_requests,
        min_generations=args.min_generations,
        max_generations=args.max_generations,
    )
    (workdir / "result.json").write_text(json.dumps(asdict(r), indent=2), encoding="utf-8")
    print(markdown(r, args))
    for e in r.errors[:5] + r.busy_errors[:5] + r.source_failures[:5]:
        print("!", e)
    if r.torn_reads:
        print("! torn:", json.dumps(r.torn_reads[:3]))
    print(f"(details: {workdir / 'result.json'})")
    slow = []
    if r.req_per_s < args.min_req_per_s:
        slow.append(f"reader made {r.req_per_s} req/s, under {args.min_req_per_s:g}")
    if r.p99_ms >= args.max_p99_ms:
        slow.append(f"p99 {r.p99_ms} ms, not under {args.max_p99_ms:g} ms")
    for line in slow:
        print("! slow:", line)
    ok = not r.errors and not r.torn_reads and not r.busy_errors and not slow
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
