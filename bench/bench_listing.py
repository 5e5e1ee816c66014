"""What a poll of a listing without change parameters costs: an emulated LabourList-like tag listing
(bench/listingweb.py: 10 cards a page, newest first, ETag/304) with N posts, one in ten an NEC report.

    python bench/bench_listing.py --posts 1000 [--incremental off] [--hidden-days 9]

Prints, as JSON: the backfill (polls, requests, posts stored), an unchanged poll 2 h later (requests:
listing pages, post pages, 304s; whether the logical checksum moved), a change poll (one new report,
one hidden edit of an old report that leaves its card unchanged, one deletion of an old post) and its
confirming poll, then the simulated hours (polls every 2 h) until the hidden edit is alerted, with the
requests per poll meanwhile. `--incremental off` is the full read every poll (the behaviour before
listing polls were incremental). Request counts are what matter; the machine's load moves times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listingweb import ListingSite, ListingWeb

from necwatch import pipeline
from necwatch.config import config_from_dict
from necwatch.store import Store
from necwatch.store.checksum import digest


def _poll(web: ListingWeb, config: Any, store: Store) -> dict[str, Any]:
    web.reset()
    result = asyncio.run(pipeline.run_async(config, store)).sources[0]
    paths = web.paths()
    return {
        "requests": len(paths),
        "listing_pages": sum(1 for p in paths if p.startswith("/tag/")),
        "post_pages": sum(1 for p in paths if not p.startswith("/tag/")),
        "not_modified": result.not_modified,
        "bytes": web.site.bytes_sent,
        "new": result.new,
        "changed": result.changed,
        "removed": result.removed,
        "status": result.status,
        "warnings": len(result.warnings),
    }


def _alerts(store: Store, kind: str) -> int:
    sql = "select count(*) from alerts where kind = ? and backfill = 0"
    return int(store.db.execute(sql, [kind]).fetchone()[0])


def measure(n: int, incremental: bool, hidden_days: int, tmp: Path) -> dict[str, Any]:
    site = ListingSite(posts_n=n, per_page=10)
    clock = [site.now]
    pipeline.utcnow = lambda: clock[0]  # type: ignore[assignment]

    def advance(hours: float) -> None:
        clock[0] += timedelta(hours=hours)
        site.now += timedelta(hours=hours)

    out: dict[str, Any] = {"posts": n, "incremental": incremental}
    with ListingWeb(site) as web:
        source = {
            "name": "ll",
            "type": "labourlist",
            "url": web.base,
            "tag": "nec",
            "incremental": incremental,
        }
        config = config_from_dict(
            {
                "database": str(tmp / "l.db"),
                "feeds_dir": str(tmp / "feeds"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [source],
            },
            file="<bench>",
        )
        store = Store.open(config.database_path)
        backfill = []
        for _ in range(5):  # until the archive is read (or the version stops short of it)
            before = store.db["posts"].count
            backfill.append(_poll(web, config, store))
            advance(2)
            if store.db["posts"].count in (before, n):
                break
        out["backfill"] = {
            "polls": len(backfill),
            "requests": sum(b["requests"] for b in backfill),
            "stored": store.db["posts"].count,
        }
        before_digest = digest(config.database_path)
        out["unchanged"] = {
            **_poll(web, config, store),
            "checksum_moved": digest(config.database_path) != before_digest,
        }
        advance(2)
        reports = [p for p in site.listed() if p.title.startswith("NEC report")]
        hidden = reports[len(reports) // 2]  # an old report in the middle of the archive
        site.add_post(report=True)
        site.edit(hidden)
        site.listed()[n // 3].deleted = True
        out["change"] = _poll(web, config, store)
        advance(2)
        out["confirm"] = _poll(web, config, store)
        out["alerts"] = {k: _alerts(store, k) for k in ("new_report", "report_edited", "report_removed")}
        out["hidden_edit"] = _hidden(web, config, store, advance, hidden_days)
        out["alerts_end"] = {k: _alerts(store, k) for k in ("new_report", "report_edited", "report_removed")}
        removed = store.db.execute("select removed_reason from posts where removed_at is not null").fetchall()
        out["posts_removed_end"] = [r[0] for r in removed]  # the deleted post, once revisited and confirmed
        store.close()
    return out


def _hidden(web: ListingWeb, config: Any, store: Store, advance: Any, days: int) -> dict[str, Any]:
    """Hours after the edit (made at the change poll; polls every 2 h) until it is alerted."""
    requests: list[int] = []
    hours = 2.0  # the change poll and its confirming poll have run
    while not _alerts(store, "report_edited") and hours < 24 * days:
        advance(2)
        hours += 2
        requests.append(_poll(web, config, store)["requests"])
    found = bool(_alerts(store, "report_edited"))
    mean = round(sum(requests) / len(requests), 1) if requests else None
    return {
        "found_after_h": hours if found else None,
        "polls_after_confirm": len(requests),
        "requests_per_poll": mean,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--incremental", choices=["on", "off"], default="on")
    ap.add_argument("--hidden-days", type=int, default=9, help="give up on the hidden edit after this")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(measure(args.posts, args.incremental == "on", args.hidden_days, Path(d)), indent=1))


if __name__ == "__main__":
    main()
