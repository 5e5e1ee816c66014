"""What a poll costs against the archive's size: emulated Blogger + WordPress sites (bench/platformweb.py,
servers that answer the platforms' query parameters) with N posts each, about one in ten an NEC report.

    python bench/bench_incremental.py --posts 100 1000 10000 [--days 365]
    python bench/bench_incremental.py --posts 1000 30000 --sites wordpress --backfill-only

`--sites wordpress` (or `blogger`): one emulated site instead of both. `--backfill-only`: the
backfill (wall and CPU time a post, necwatch's own CPU apart from the emulator's, the load
average), the text export's layout (files, entries of the most crowded folder, the largest file,
the time of a first and of an unchanged export) and one day with a new NEC report and an edit of an
old one (the files the day's export touches, their bytes and changed lines), nothing else.
`--one N --profile FILE`: cProfile stats of the backfill.

Per N (each in its own process, for its peak RSS): the backfill (requests, seconds per post, posts
stored), an unchanged poll (requests, bytes, whether the logical checksum moved), a change poll (one new
report per site, one edit of an old report, one new comment on an old report, one deletion) and its
confirming poll, an old WordPress report deleted alone (the removal sweep's cost) and its confirming
poll, the simulated hours until an edit that kept its modified time is found (polls every
2 h, for at most --hidden-days), database bytes per NEC report (the whole file ÷ the NEC reports, and
a report's own rows alone; each also ÷ its body HTML), and with --days the git growth of a data
branch over D simulated days (one new report a week, a comment a day, one poll a day, a commit
whenever the data changed). Runs on any necwatch version: without `necwatch export` the data branch
commits the SQLite file, as the Action did. NEC reports are ~15 kB of HTML drawn from real report
paragraphs, other posts ~4 kB (bench/platformweb.py); `--short-bodies`: the 2.5 kB reports of the
first runs.

The emulated sites run in a child process (platformweb.RemoteWeb): `peak_rss_mb` is necwatch's own
(the bench process), `emulator_rss_mb` the emulator's, serving both sites' 2N posts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from platformweb import RemoteWeb

from necwatch import pipeline
from necwatch.config import config_from_dict
from necwatch.store import Store
from necwatch.store.checksum import digest


class Clock:
    """necwatch's clock, moved by hand (the sites keep their own simulated clock in step)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def _poll(web: RemoteWeb, config: Any, store: Store) -> dict[str, Any]:
    web.call("reset")
    result = asyncio.run(pipeline.run_async(config, store))
    return {
        "requests": web.call("requests"),
        "bytes": web.call("bytes"),
        "new": sum(x.new for x in result.sources),
        "changed": sum(x.changed for x in result.sources),
        "removed": sum(x.removed for x in result.sources),
        "comments": sum(x.comments for x in result.sources),
        "status": sorted({x.status for x in result.sources}),
    }


def _snapshot(store: Store) -> dict[str, set[int]]:
    """A hash of every row of every table but `runs` and the full-text index's own tables (hashes,
    not rows: holding 20,000 posts' rows twice would dominate the bench process's peak RSS)."""
    names = [
        r[0]
        for r in store.db.execute("select name from sqlite_master where type = 'table'").fetchall()
        if r[0] != "runs" and "_fts" not in r[0] and not r[0].startswith("sqlite_")
    ]
    return {t: {hash(row) for row in store.db.execute(f'select * from "{t}"')} for t in names}


def _diff(a: dict[str, set[int]], b: dict[str, set[int]]) -> dict[str, int]:
    """Rows written per table (a changed row counts once)."""
    out = {t: len(b.get(t, set()) - a.get(t, set())) for t in b}
    return {t: n for t, n in out.items() if n}


def _alerts(store: Store) -> dict[str, int]:
    rows = store.db.execute("select kind, count(*) from alerts where backfill = 0 group by kind").fetchall()
    return dict(rows)


def _rss_mb() -> int:
    """This process's peak RSS so far: necwatch's, the emulator runs in its own process."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _advance(web: RemoteWeb, clock: Clock, hours: float) -> None:
    clock.now += timedelta(hours=hours)
    web.call("advance", hours=hours)


def measure(
    n: int,
    days: int,
    tmp: Path,
    hidden_days: int = 15,
    short_bodies: bool = False,
    sites: str = "both",
    backfill_only: bool = False,
    profile: str | None = None,
) -> dict[str, Any]:
    clock = Clock()
    pipeline.utcnow = clock  # type: ignore[assignment]
    kinds = ["blogger", "wordpress"] if sites == "both" else [sites]  # the emulator's sites 0 (and 1)
    specs = [(k, n, seed) for k, seed in (("blogger", 1), ("wordpress", 2)) if k in kinds]
    out: dict[str, Any] = {"posts": n, "sites": kinds}
    with RemoteWeb(*specs, realistic=not short_bodies) as web:
        config = config_from_dict(
            {
                "database": str(tmp / "b.db"),
                "feeds_dir": str(tmp / "feeds"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [
                    {"name": k, "type": k, "url": base, "author": "Emu"}
                    for k, base in zip(kinds, web.bases, strict=True)
                ],
            },
            file="<bench>",
        )
        store = Store.open(config.database_path)
        profiler = cProfile.Profile() if profile else None
        started, cpu, backfill = time.monotonic(), time.process_time(), []
        emulator_cpu = web.call("cpu_s")
        if profiler:
            profiler.enable()
        # until the archive is read (or the version stops short of it): a backfill reads about
        # backfill_batch (2,000) posts a poll per site
        for _ in range(2 + 2 * n // 2000):
            before = store.db["posts"].count
            backfill.append(_poll(web, config, store))
            _advance(web, clock, 2)
            if store.db["posts"].count in (before, len(kinds) * n):
                break
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        emulator_cpu = web.call("cpu_s") - emulator_cpu
        out["backfill_rss_mb"] = _rss_mb()
        stored = store.db["posts"].count
        out["backfill"] = {
            "polls": len(backfill),
            "requests": sum(b["requests"] for b in backfill),
            "stored": stored,
            "ms_per_post": round(1000 * seconds / max(1, stored), 2),  # wall: the emulator's share too
            "cpu_ms_per_post": round(1000 * cpu / max(1, stored), 2),  # necwatch's own (process time)
            "emulator_cpu_ms_per_post": round(1000 * emulator_cpu / max(1, stored), 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],  # at the backfill's end
        }
        if backfill_only:  # the backfill, the export's layout and a day's change to it
            out["export"] = _export_size(store, config.database_path, tmp / "export")
            out["day"] = _export_day(web, config, store, clock, tmp / "export")
            store.close()
            out["emulator_rss_mb"] = web.call("rss_mb")
            out["peak_rss_mb"] = _rss_mb()
            return out
        _poll(web, config, store)  # the first poll after the backfill (probes, cursors)
        _advance(web, clock, 2)
        before, rows = digest(config.database_path), _snapshot(store)
        out["unchanged"] = {
            **_poll(web, config, store),
            "checksum_moved": digest(config.database_path) != before,
            "rows_changed": _diff(rows, _snapshot(store)),
        }
        _advance(web, clock, 2)
        for site in (0, 1):
            web.call("add_post", site, report=True)
            web.call("add_comment", site, post=n // 2 - n // 2 % 10)
        web.call("edit", 1, post=10)
        web.call("delete", 0, post=30)  # an old NEC report
        out["change"] = _poll(web, config, store)
        _advance(web, clock, 2)
        out["confirm"] = _poll(web, config, store)
        out["alerts"] = _alerts(store)
        out["wp_deletion"] = _wp_deletion(web, config, store, clock, n)
        out["edit_found_after_h"] = _hidden_edit(web, config, store, clock, hidden_days)
        out["db"] = _db_size(store, config.database_path)
        out["export"] = _export_size(store, config.database_path, tmp / "export")
        if days:
            out["branch"] = _branch(web, config, store, clock, days, tmp)
        store.close()
        out["emulator_rss_mb"] = web.call("rss_mb")
    out["peak_rss_mb"] = _rss_mb()
    return out


def _export_size(store: Store, db: Path, out: Path) -> dict[str, Any]:
    """The data branch's text export of the whole database: files, bytes, the largest file."""
    try:
        from necwatch.store.export import export_dataset
    except ImportError:  # a version before `necwatch export`
        return {}
    store.db.conn.execute("pragma wal_checkpoint(truncate)")
    started = time.monotonic()
    export_dataset(db, out)
    first = time.monotonic() - started
    started = time.monotonic()
    export_dataset(db, out)  # again, nothing changed: what a day without news costs
    again = time.monotonic() - started
    sizes = sorted((f.stat().st_size, str(f.relative_to(out))) for f in out.rglob("*") if f.is_file())
    per_dir: dict[str, int] = {}
    for d, subdirs, files in os.walk(out):
        per_dir[str(Path(d).relative_to(out))] = len(subdirs) + len(files)
    crowded = max(per_dir.items(), key=lambda kv: kv[1]) if per_dir else ("", 0)
    return {
        "files": len(sizes),
        "total_mb": round(sum(size for size, _ in sizes) / 2**20, 1),
        "largest_mb": round(sizes[-1][0] / 2**20, 2) if sizes else 0,
        "largest": sizes[-1][1] if sizes else None,
        "max_entries_per_folder": crowded[1],  # files and subfolders of the most crowded folder
        "most_crowded": crowded[0],
        "folders": len(per_dir),
        "export_s": round(first, 1),
        "unchanged_export_s": round(again, 1),
    }


def _tree(out: Path) -> dict[str, tuple[int, str]]:
    """Each file of an export: its size and a digest of its bytes."""
    return {
        str(f.relative_to(out)): (f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest())
        for f in out.rglob("*")
        if f.is_file()
    }


def _export_day(web: RemoteWeb, config: Any, store: Store, clock: Clock, out: Path) -> dict[str, Any]:
    """One day with one new report and one edit of an old report on the last site, one poll, a new
    export: what the data branch's commit for that day touches (files added, changed, removed, their
    bytes: what git stores before delta compression, and the changed lines: what a diff shows)."""
    site = len(config.sources) - 1
    _advance(web, clock, 2)
    _poll(web, config, store)  # the first poll after the backfill (probes, cursors)
    store.db.conn.execute("pragma wal_checkpoint(truncate)")
    from necwatch.store.export import export_dataset

    export_dataset(config.database_path, out)
    before = _tree(out)
    copy = out.with_name(out.name + "-before")  # on disk: the export in memory would be the bench's peak
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(out, copy)
    web.call("add_post", site, report=True)
    web.call("edit", site, post=web.call("count", site) // 2 // 10 * 10)
    _advance(web, clock, 24)
    poll = _poll(web, config, store)
    store.db.conn.execute("pragma wal_checkpoint(truncate)")
    export_dataset(config.database_path, out)
    after = _tree(out)
    touched = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    lines = 0
    for name in touched:
        now = set((out / name).read_text(encoding="utf-8").splitlines()) if name in after else set()
        was = set((copy / name).read_text(encoding="utf-8").splitlines()) if name in before else set()
        lines += len(now - was) + len(was - now)
    shutil.rmtree(copy)
    return {
        "poll": {k: poll[k] for k in ("new", "changed", "comments")},
        "files_touched": len(touched),
        "touched": touched[:40],
        "bytes_of_touched_files": sum(after.get(name, (0, ""))[0] for name in touched),
        "lines_changed": lines,
    }


def _wp_deletion(web: RemoteWeb, config: Any, store: Store, clock: Clock, n: int) -> dict[str, Any]:
    """An old WordPress report deleted (nothing else changed): the poll that sweeps for it, and the
    confirming poll (the change poll's deletion is Blogger's)."""
    web.call("delete", 1, post=n // 4 // 10 * 10)
    polls = []
    for _ in range(2):
        _advance(web, clock, 2)
        polls.append(_poll(web, config, store))
    return {
        "requests": polls[0]["requests"],
        "bytes": polls[0]["bytes"],
        "confirm_requests": polls[1]["requests"],
        "removed": sum(p["removed"] for p in polls),
    }


def _hidden_edit(web: RemoteWeb, config: Any, store: Store, clock: Clock, days: int) -> float | None:
    """Hours (polls every 2 h) until an edit that did not move the modified time is alerted."""
    web.call("edit", 1, post=web.call("count", 1) // 3 // 10 * 10, move_modified=False)
    edits = _alerts(store).get("report_edited", 0)
    for step in range(1, 12 * days + 1):
        _advance(web, clock, 2)
        _poll(web, config, store)
        if _alerts(store).get("report_edited", 0) > edits:
            return 2.0 * step
    return None


def _db_size(store: Store, path: Path) -> dict[str, Any]:
    store.db.conn.execute("pragma wal_checkpoint(truncate)")
    size = path.stat().st_size
    reports, body = store.db.execute(
        "select count(*), sum(length(body_html)) from reports where is_nec_report = 1"
    ).fetchone()
    tables = store.db.execute(
        "select name, sum(pgsize) from dbstat group by name order by 2 desc limit 12"
    ).fetchall()
    own = _own_rows(store, path)
    others = store.db.execute("select count(*) from reports where is_nec_report = 0").fetchone()[0]
    raw = store.db.execute("select sum(pgsize) from dbstat where name = 'raw_bodies'").fetchone()[0]
    used = sum(pages for _, pages in store.db.execute("select name, sum(pgsize) from dbstat group by name"))
    return {
        "bytes": size,
        "bytes_used": used,  # the file less its free pages (reused as it grows; a VACUUM INTO copy's size)
        "by_table": {name: pages for name, pages in tables},
        "nec_reports": reports,
        "mean_body_html": round((body or 0) / max(1, reports)),
        "bytes_per_report": round(size / max(1, reports)),
        "x_body_html": round(size / max(1, body or 1), 2),  # whole file ÷ the NEC reports' HTML
        "used_x_body_html": round(used / max(1, body or 1), 2),
        "own_rows_per_report": round(own / max(1, reports)),
        "own_x_body_html": round(own / max(1, body or 1), 2),  # a report's own rows ÷ its HTML
        # a post that is not an NEC report: its rows, and the raw archive's bytes a post (all posts)
        "other_post_bytes": round(_non_report_rows(store, path) / max(1, others)),
        "raw_bytes_per_post": round((raw or 0) / max(1, store.db["posts"].count)),
    }


OWN_TABLES = ("reports", "report_versions", "report_minhash")


def _own_rows(store: Store, path: Path) -> int:
    """Bytes of the NEC reports' own rows (reports, versions, min-hash bands, full-text index and
    their indexes): measured in a vacuumed copy holding nothing else."""
    return _rows_bytes(store, path, nec=True, tables=OWN_TABLES)


def _non_report_rows(store: Store, path: Path) -> int:
    """Bytes of the other posts' rows (their `reports` and `posts` rows, their title in the
    full-text index, and the indexes): measured the same way."""
    return _rows_bytes(store, path, nec=False, tables=("reports", "posts"))


def _rows_bytes(store: Store, path: Path, nec: bool, tables: tuple[str, ...]) -> int:
    """Bytes of `tables` (with their indexes and the reports' full-text index) holding only the
    rows of NEC reports (`nec`) or only those of the other posts, in a vacuumed copy."""
    copy = path.with_name("rows.db")
    copy.unlink(missing_ok=True)
    store.db.execute(f"vacuum into '{copy}'")
    conn = sqlite3.connect(copy)
    names = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    keep = f"select id from reports where is_nec_report = {int(nec)}"
    for table in ("report_versions", "report_minhash", "posts"):
        if table in tables and table in names:
            conn.execute(f"delete from {table} where report_id is null or report_id not in ({keep})")
    conn.execute(f"delete from reports where is_nec_report = {int(not nec)}")  # triggers: FTS too
    for table in names - set(tables):
        if not table.startswith(("reports_fts", "comments_fts", "sqlite_")):
            conn.execute(f'delete from "{table}"')
    conn.execute("delete from comments_fts")  # comments are not a post's own rows
    conn.execute("insert into reports_fts (reports_fts) values ('optimize')")
    conn.commit()
    conn.execute("vacuum")
    (size,) = conn.execute(
        "select sum(d.pgsize) from dbstat d join sqlite_master m on m.name = d.name "
        f"where m.tbl_name in ({', '.join(repr(t) for t in tables)}) or m.tbl_name like 'reports_fts%'"
    ).fetchone()
    conn.close()
    copy.unlink()
    return int(size)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _branch(web: RemoteWeb, config: Any, store: Store, clock: Clock, days: int, tmp: Path) -> dict[str, Any]:
    """Git growth of a data branch over `days` simulated days (one poll and at most one commit a day)."""
    try:
        from necwatch.store.export import export_dataset
    except ImportError:  # the version before `necwatch export`: the SQLite file itself is committed
        export_dataset = None
    repo = tmp / "branch"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "b@example.org")
    _git(repo, "config", "user.name", "bench")

    def commit(label: str) -> None:
        store.db.conn.execute("pragma wal_checkpoint(truncate)")
        if export_dataset is not None:
            export_dataset(config.database_path, repo / "dataset")
        else:
            (repo / "necwatch.db").write_bytes(Path(config.database_path).read_bytes())
        _git(repo, "add", "-A")
        if _git(repo, "status", "--porcelain"):
            _git(repo, "commit", "-q", "-m", label)

    def size() -> int:
        _git(repo, "gc", "-q", "--aggressive")
        return sum(f.stat().st_size for f in (repo / ".git").rglob("*") if f.is_file())

    commit("initial")
    start, sizes = size(), []
    for day in range(days):
        if day % 7 == 0:
            web.call("add_post", 1, report=True)
        reports = web.call("live_reports", 0)
        web.call("add_comment", 0, post=reports[(day * 7) % len(reports)])
        _advance(web, clock, 24)  # one poll a day: the branch holds one commit per changed day
        _poll(web, config, store)
        commit(f"day {day}")
        if day in (0, days - 1):
            sizes.append(size())
    biggest = max(f.stat().st_size for f in repo.rglob("*") if f.is_file() and ".git" not in f.parts)
    return {
        "days": days,
        "git_growth_kb": round((sizes[-1] - start) / 1024),
        "first_day_kb": round((sizes[0] - start) / 1024),
        "kb_per_day": round((sizes[-1] - start) / 1024 / days, 1),
        "largest_file_mb": round(biggest / 2**20, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--days", type=int, default=0, help="simulate a data branch over this many days")
    ap.add_argument("--hidden-days", type=int, default=15, help="give up on the hidden edit after this")
    ap.add_argument("--short-bodies", action="store_true", help="the first benches' 2.5 kB NEC reports")
    ap.add_argument("--sites", choices=["both", "wordpress", "blogger"], default="both")
    ap.add_argument(
        "--backfill-only",
        action="store_true",
        help="measure the backfill, the export's layout and one day's change to it, nothing else",
    )
    ap.add_argument("--profile", help="with --one: write the backfill's cProfile stats to this file")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process measures one N
    ap.add_argument("--keep", help="with --one: keep the database in this directory")
    args = ap.parse_args()
    if args.one:
        options = {
            "hidden_days": args.hidden_days,
            "short_bodies": args.short_bodies,
            "sites": args.sites,
            "backfill_only": args.backfill_only,
            "profile": args.profile,
        }
        if args.keep:  # leave the database there, to look into (dbstat, sqlite3)
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            print(json.dumps(measure(args.one, args.days, Path(args.keep), **options)))
            return
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(measure(args.one, args.days, Path(d), **options)))
        return
    for n in args.posts:
        cmd = [sys.executable, __file__, "--one", str(n), "--days", str(args.days)]
        cmd += ["--hidden-days", str(args.hidden_days)] + (["--short-bodies"] if args.short_bodies else [])
        cmd += ["--sites", args.sites] + (["--backfill-only"] if args.backfill_only else [])
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode:
            print(f"N={n}: failed\n{res.stderr[-3000:]}")
            continue
        print(json.dumps(json.loads(res.stdout.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()
