"""What a poll costs against the archive's size: emulated Blogger + WordPress sites (bench/platformweb.py,
servers that answer the platforms' query parameters) with N posts each, about one in ten an NEC report.

    python bench/bench_incremental.py --posts 100 1000 10000 [--days 365]

Per N (each in its own process, for its peak RSS): the backfill (requests, seconds per post, posts
stored), an unchanged poll (requests, bytes, whether the logical checksum moved), a change poll (one new
report per site, one edit of an old report, one new comment on an old report, one deletion) and its
confirming poll, the simulated hours until an edit that kept its modified time is found (polls every
2 h, for at most --hidden-days), database bytes per NEC report (the whole file ÷ the NEC reports, and
a report's own rows alone; each also ÷ its body HTML), and with --days the git growth of a data
branch over D simulated days (one new report a week, a comment a day, one poll a day, a commit
whenever the data changed). Runs on any necwatch version: without `necwatch export` the data branch
commits the SQLite file, as the Action did. NEC reports are ~15 kB of HTML drawn from real report
paragraphs, other posts ~4 kB (bench/platformweb.py); `--short-bodies`: the 2.5 kB reports of the
first runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from platformweb import EmuSite, PlatformWeb

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


def _poll(web: PlatformWeb, config: Any, store: Store) -> dict[str, Any]:
    web.reset()
    result = asyncio.run(pipeline.run_async(config, store))
    return {
        "requests": web.requests(),
        "bytes": sum(s.bytes_sent for s in web.sites),
        "new": sum(x.new for x in result.sources),
        "changed": sum(x.changed for x in result.sources),
        "removed": sum(x.removed for x in result.sources),
        "comments": sum(x.comments for x in result.sources),
        "status": sorted({x.status for x in result.sources}),
    }


def _snapshot(store: Store) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table but `runs` and the full-text index's own tables."""
    names = [
        r[0]
        for r in store.db.execute("select name from sqlite_master where type = 'table'").fetchall()
        if r[0] != "runs" and "_fts" not in r[0] and not r[0].startswith("sqlite_")
    ]
    return {t: set(store.db.execute(f'select * from "{t}"').fetchall()) for t in names}


def _diff(a: dict[str, set[tuple[Any, ...]]], b: dict[str, set[tuple[Any, ...]]]) -> dict[str, int]:
    """Rows written per table (a changed row counts once)."""
    out = {t: len(b.get(t, set()) - a.get(t, set())) for t in b}
    return {t: n for t, n in out.items() if n}


def _alerts(store: Store) -> dict[str, int]:
    rows = store.db.execute("select kind, count(*) from alerts where backfill = 0 group by kind").fetchall()
    return dict(rows)


def _advance(sites: list[EmuSite], clock: Clock, hours: float) -> None:
    clock.now += timedelta(hours=hours)
    for s in sites:
        s.now += timedelta(hours=hours)


def measure(
    n: int, days: int, tmp: Path, hidden_days: int = 15, short_bodies: bool = False
) -> dict[str, Any]:
    clock = Clock()
    pipeline.utcnow = clock  # type: ignore[assignment]
    realistic = not short_bodies
    sites = [
        EmuSite("blogger", posts_n=n, seed=1, realistic=realistic),
        EmuSite("wordpress", posts_n=n, seed=2, realistic=realistic),
    ]
    out: dict[str, Any] = {"posts": n}
    with PlatformWeb(*sites) as web:
        config = config_from_dict(
            {
                "database": str(tmp / "b.db"),
                "feeds_dir": str(tmp / "feeds"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [
                    {"name": s.kind, "type": s.kind, "url": web.base(s), "author": "Emu"} for s in sites
                ],
            },
            file="<bench>",
        )
        store = Store.open(config.database_path)
        started, backfill = time.monotonic(), []
        for _ in range(5):  # until the archive is read (or the version stops short of it)
            before = store.db["posts"].count
            backfill.append(_poll(web, config, store))
            _advance(sites, clock, 2)
            if store.db["posts"].count in (before, 2 * n):
                break
        seconds = time.monotonic() - started
        stored = store.db["posts"].count
        out["backfill"] = {
            "polls": len(backfill),
            "requests": sum(b["requests"] for b in backfill),
            "stored": stored,
            "ms_per_post": round(1000 * seconds / max(1, stored), 2),
        }
        _poll(web, config, store)  # the first poll after the backfill (probes, cursors)
        _advance(sites, clock, 2)
        before, rows = digest(config.database_path), _snapshot(store)
        out["unchanged"] = {
            **_poll(web, config, store),
            "checksum_moved": digest(config.database_path) != before,
            "rows_changed": _diff(rows, _snapshot(store)),
        }
        _advance(sites, clock, 2)
        for s in sites:
            s.add_post(report=True)
            s.add_comment(s.posts[n // 2 - n // 2 % 10])
        sites[1].edit(sites[1].posts[10])
        sites[0].posts[30].deleted = True  # an old NEC report
        out["change"] = _poll(web, config, store)
        _advance(sites, clock, 2)
        out["confirm"] = _poll(web, config, store)
        out["alerts"] = _alerts(store)
        out["edit_found_after_h"] = _hidden_edit(web, config, store, sites, clock, hidden_days)
        out["db"] = _db_size(store, config.database_path)
        if days:
            out["branch"] = _branch(web, config, store, sites, clock, days, tmp)
        store.close()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def _hidden_edit(
    web: PlatformWeb, config: Any, store: Store, sites: list[EmuSite], clock: Clock, days: int
) -> float | None:
    """Hours (polls every 2 h) until an edit that did not move the modified time is alerted."""
    target = sites[1].posts[len(sites[1].posts) // 3 // 10 * 10]
    sites[1].edit(target, move_modified=False)
    edits = _alerts(store).get("report_edited", 0)
    for step in range(1, 12 * days + 1):
        _advance(sites, clock, 2)
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
    return {
        "bytes": size,
        "by_table": {name: pages for name, pages in tables},
        "nec_reports": reports,
        "mean_body_html": round((body or 0) / max(1, reports)),
        "bytes_per_report": round(size / max(1, reports)),
        "x_body_html": round(size / max(1, body or 1), 2),  # whole file ÷ the NEC reports' HTML
        "own_rows_per_report": round(own / max(1, reports)),
        "own_x_body_html": round(own / max(1, body or 1), 2),  # a report's own rows ÷ its HTML
    }


OWN_TABLES = ("reports", "report_versions", "report_minhash")


def _own_rows(store: Store, path: Path) -> int:
    """Bytes of the NEC reports' own rows (reports, versions, min-hash bands, full-text index and
    their indexes): measured in a vacuumed copy holding nothing else."""
    copy = path.with_name("own-rows.db")
    copy.unlink(missing_ok=True)
    store.db.execute(f"vacuum into '{copy}'")
    conn = sqlite3.connect(copy)
    names = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    nec = "select id from reports where is_nec_report = 1"
    for table in OWN_TABLES[1:]:
        if table in names:
            conn.execute(f"delete from {table} where report_id not in ({nec})")
    conn.execute("delete from reports where is_nec_report = 0")  # the triggers update the FTS index
    for table in names - set(OWN_TABLES):
        if not table.startswith(("reports_fts", "comments_fts", "sqlite_")):
            conn.execute(f'delete from "{table}"')
    conn.execute("delete from comments_fts")  # comments are not a report's own rows
    conn.execute("insert into reports_fts (reports_fts) values ('optimize')")
    conn.commit()
    conn.execute("vacuum")
    (own,) = conn.execute(
        "select sum(d.pgsize) from dbstat d join sqlite_master m on m.name = d.name "
        f"where m.tbl_name in {OWN_TABLES} or m.tbl_name like 'reports_fts%'"
    ).fetchone()
    conn.close()
    copy.unlink()
    return int(own)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _branch(
    web: PlatformWeb, config: Any, store: Store, sites: list[EmuSite], clock: Clock, days: int, tmp: Path
) -> dict[str, Any]:
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
            sites[1].add_post(report=True)
        reports = [p for p in sites[0].live() if p.report]
        sites[0].add_comment(reports[(day * 7) % len(reports)])
        _advance(sites, clock, 24)  # one poll a day: the branch holds one commit per changed day
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
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process measures one N
    ap.add_argument("--keep", help="with --one: keep the database in this directory")
    args = ap.parse_args()
    if args.one:
        if args.keep:  # leave the database there, to look into (dbstat, sqlite3)
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            print(
                json.dumps(measure(args.one, args.days, Path(args.keep), args.hidden_days, args.short_bodies))
            )
            return
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(measure(args.one, args.days, Path(d), args.hidden_days, args.short_bodies)))
        return
    for n in args.posts:
        cmd = [sys.executable, __file__, "--one", str(n), "--days", str(args.days)]
        cmd += ["--hidden-days", str(args.hidden_days)] + (["--short-bodies"] if args.short_bodies else [])
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode:
            print(f"N={n}: failed\n{res.stderr[-3000:]}")
            continue
        print(json.dumps(json.loads(res.stdout.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()
