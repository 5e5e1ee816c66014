"""The web archive as a source (docs/archive.md): what a backfill costs the archive and how long it takes.

    python bench/bench_archive.py [--posts 1000] [--json]

1. Requests to the archive per recovered report, on the reference scenario (the emulated archive of
   src/necwatch/webarchive/emulator.py on a loopback server): `archive: true` on the live WordPress
   source recovering the report deleted before the first poll; a removed report stored only as an
   excerpt recovered from its captures; and `type: archive` reading the whole dead site.
2. A backfill of N captured posts (default 1,000; a fifth edited between two captures, a tenth captured
   twice byte for byte) from the emulated archive with the delay at 0: its requests R and its
   processing time T (fetching on loopback, judging, extracting, tracking, writing, measured). At
   the default delay d (3 s) the backfill takes at most R × d + T (the delay counts from the end of
   one request to the start of the next, so processing between two requests is partly hidden in
   it) and at least max(R × d, T). A short run at a small real delay checks that formula.
Figures depend on the machine's load: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from necwatch.config import Config, config_from_dict  # noqa: E402
from necwatch.demo import demo_config  # noqa: E402
from necwatch.fetch import HttpClient  # noqa: E402
from necwatch.job import run_job  # noqa: E402
from necwatch.replay import ReplayWeb  # noqa: E402
from necwatch.sources.archive import DEFAULT_DELAY  # noqa: E402
from necwatch.store import Store  # noqa: E402
from necwatch.webarchive.backfill import ArchiveSummary  # noqa: E402
from necwatch.webarchive.cdx import timestamp_of  # noqa: E402
from necwatch.webarchive.emulator import (  # noqa: E402
    Capture,
    EmulatedArchive,
    _corpus,
    reference_captures,
)
from necwatch.webarchive.run import archive_backfill  # noqa: E402

HOST = "aliceperry.wordpress.com"
DEAD = "https://oldnec.example.invalid/"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
_VOCABULARY = (
    "the committee agreed that labour members report meeting party vote policy general secretary "
    "conference national executive selections disputes rule changes local government elections "
    "budget campaign women equalities organisation membership candidates councils motion"
)
_WORDS = _VOCABULARY.split()
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip


def archive_config(db: Path, base: str, site: str = DEAD) -> Config:
    return config_from_dict(
        {
            "database": str(db),
            "allow_private_addresses": True,
            "fetch": {"per_host_delay": 0, "backoff": 0.01},
            "sources": [{"name": "old-blog", "type": "archive", "url": site, "archive_url": base,
                         "delay": 0, "author": "Composed Author", "budget": 100_000}],
        },
        file="<bench>",
    )  # fmt: skip


def backfill(config: Config, store: Store, **kw: Any) -> ArchiveSummary:
    async def go() -> ArchiveSummary:
        async with HttpClient(config.fetch, user_agent="bench", allow_private=True, cache=store) as http:
            return await archive_backfill(
                config, store, config.sources[0], http, run_id="bench", now=NOW, **kw
            )

    return asyncio.run(go())


def archive_requests(a: EmulatedArchive) -> int:
    return sum(1 for h in a.requests if h.path != "/robots.txt")


# -- 1. requests per recovered report ------------------------------------------------------------
def recovery_costs(tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with ReplayWeb() as web:
        web.entries = {u: e for u, e in web.entries.items() if HOST in u}
        captures, sc = reference_captures(web.base(HOST))
        with EmulatedArchive(captures) as a:
            config = demo_config(web, database=tmp / "live.db", hosts=[HOST])
            live = config.sources[0].model_copy(
                update={"archive": True, "archive_url": a.base, "archive_delay": 0}
            )
            run_job(config.model_copy(update={"sources": [live]}))
            store = Store.open(tmp / "live.db")
            recovered = len(store.recoveries())
            out["pre_watch"] = {
                "recovered": recovered,
                "archive_requests": archive_requests(a),
                "requests_per_recovered": round(archive_requests(a) / max(recovered, 1), 2),
                "note": "first run: the site's listings (pages, feeds: 1 CDX page each), then per "
                "recovered post its captures (1 CDX) and 1 raw capture; the 10 live posts cost the "
                "archive nothing",
            }
            before = archive_requests(a)
            run_job(config.model_copy(update={"sources": [live]}))
            out["pre_watch"]["next_run_requests"] = archive_requests(a) - before
    captures, sc = reference_captures()
    with EmulatedArchive(captures) as a:
        config = demo_config(None, database=tmp / "excerpt.db", hosts=[HOST], allow_private_addresses=True)
        live = config.sources[0].model_copy(
            update={"archive": True, "archive_url": a.base, "archive_delay": 0}
        )
        config = config.model_copy(update={"sources": [live]})
        store = Store.open(tmp / "excerpt.db")
        with store.transaction():
            store.db.table("posts").insert(
                {"id": "p1", "source": "alice-perry", "url": sc.edited, "title": "x", "is_excerpt": 1,
                 "removed_at": "2019-03-01T00:00:00+00:00", "removed_reason": "http_410", "missing_polls": 1},
                pk="id",
            )  # fmt: skip

        async def go() -> ArchiveSummary:
            async with HttpClient(config.fetch, user_agent="bench", allow_private=True, cache=store) as http:
                return await archive_backfill(config, store, live, http, run_id="b", now=NOW)

        s = asyncio.run(go())
        path = sc.edited.split("/", 3)[3]
        encoded = quote(path, safe="")  # as the CDX query's url= carries it
        for_it = sum(1 for h in a.requests if path in h.path or encoded in h.path)  # its CDX, raw captures
        out["removed_excerpt"] = {
            "recovered": s.recovered,
            "archive_requests_for_it": for_it,
            "other_requests": archive_requests(a) - for_it,
            "note": "one CDX query of the post's captures before its removal, then raw captures newest "
            "first until one is a version; the others list the site (pages, feeds): no live fetcher "
            "here, so no post is taken for a vanished one",
        }
    captures, sc = reference_captures(DEAD)
    with EmulatedArchive(captures) as a:
        store = Store.open(tmp / "dead.db")
        s = backfill(archive_config(tmp / "dead.db", a.base), store)
        out["dead_site"] = {
            "posts": s.posts,
            "nec_reports": s.new_reports,
            "versions": s.versions,
            "archive_requests": archive_requests(a),
            "requests_per_report": round(archive_requests(a) / max(s.new_reports, 1), 2),
        }
    return out


# -- 2. a backfill of N captured posts -----------------------------------------------------------
def synthetic_captures(n: int, seed: int = 22) -> list[Capture]:
    """N posts in the reference blog's template under a dead host, with composed text."""
    rng = random.Random(seed)
    template = (_corpus() / HOST / "2019/01/30/labour-nec-report-january-2019/index.html").read_text("utf-8")
    start = template.index('<div class="entry-content">') + len('<div class="entry-content">')
    end = template.index('<div id="jp-post-flair"')
    head, tail = template[:start], template[end:]
    captures: list[Capture] = []
    day = datetime(2010, 1, 5, tzinfo=UTC)
    for i in range(n):
        day += timedelta(days=rng.randint(3, 6))
        slug = f"nec-report-{_MONTHS[day.month - 1].lower()}-{day.year}-{i}"
        path = f"{day:%Y/%m/%d}/{slug}/"
        title = f"NEC Report – {day.day} {_MONTHS[day.month - 1]} {day.year}"
        paragraphs = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."
            for _ in range(rng.randint(6, 14))
        ]
        body = "".join(f"<p>{p}</p>\n" for p in paragraphs)

        def page(text: str, path: str = path, title: str = title, day: datetime = day) -> bytes:
            html = head + text + tail
            for old, new in (
                ("2019/01/30/labour-nec-report-january-2019/", path),
                ("Labour NEC Report – January&nbsp;2019", title),
                ("Labour NEC Report – January 2019", title),
                ("2019-01-30T", f"{day:%Y-%m-%d}T"),
                ("https://aliceperry.wordpress.com/", DEAD),
            ):
                html = html.replace(old, new)
            return html.encode()

        url = DEAD + path
        first = day + timedelta(days=2)
        captures.append(Capture(timestamp_of(first), url, body=page(body)))
        if i % 5 == 0:  # an edit between two captures
            edited = body + "<p>Update: the minutes were agreed at the next meeting.</p>\n"
            captures.append(Capture(timestamp_of(first + timedelta(days=30)), url, body=page(edited)))
        if i % 10 == 3:  # captured again byte for byte
            captures.append(Capture(timestamp_of(first + timedelta(days=400)), url, body=page(body)))
    return captures


def backfill_time(n: int, tmp: Path) -> dict[str, Any]:
    captures = synthetic_captures(n)
    with EmulatedArchive(captures) as a:
        store = Store.open(tmp / "n.db")
        started, cpu = time.perf_counter(), time.process_time()
        s = backfill(archive_config(tmp / "n.db", a.base), store)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    requests = s.requests
    return {
        "posts": s.posts,
        "captures_listed": s.captures_listed,
        "captures_read": s.captures,
        "nec_reports": s.new_reports,
        "versions": s.versions,
        "archive_requests": requests,
        "requests_per_post": round(requests / max(s.posts, 1), 2),
        "processing_seconds": round(seconds, 1),
        "processing_cpu_seconds": round(cpu_seconds, 1),
        "default_delay_seconds": DEFAULT_DELAY,
        "estimate_hours_upper": round((requests * DEFAULT_DELAY + seconds) / 3600, 2),
        "estimate_hours_lower": round(max(requests * DEFAULT_DELAY, seconds) / 3600, 2),
        "runs_at_default_budget": -(-requests // 300),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def delay_check(tmp: Path, n: int = 30, delay: float = 0.1) -> dict[str, Any]:
    """A short backfill at a real delay: its wall time is the delay slept plus the processing, and
    the delay slept is at most R × d (processing between two requests is hidden in the gap)."""
    captures = synthetic_captures(n, seed=7)
    with EmulatedArchive(captures) as a:
        store = Store.open(tmp / "slow.db")
        t0 = time.perf_counter()
        s = backfill(archive_config(tmp / "slow.db", a.base), store, delay=delay)
        measured = time.perf_counter() - t0
    return {
        "posts": n,
        "delay": delay,
        "requests": s.requests,
        "measured_seconds": round(measured, 2),
        "slept_seconds": s.waited,
        "R_times_d": round(s.requests * delay, 2),
        "processing_seconds": round(measured - s.waited, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--recovery-only", action="store_true", help="Only the requests per recovered report."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "r").mkdir()
        (tmp / "b").mkdir()
        (tmp / "c").mkdir()
        result = {"recovery": recovery_costs(tmp / "r")}
        if not args.recovery_only:
            result["backfill"] = backfill_time(args.posts, tmp / "b")
            result["delay_check"] = delay_check(tmp / "c")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for section, values in result.items():
        print(f"{section}:")
        for k, v in values.items():
            print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
