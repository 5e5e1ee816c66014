"""A backfill longer than the run's deadline makes progress (issue 18, "Every attack held"): 1,200
posts at ~40 ms each with `run_deadline: 15s` stored 0 posts in each of three runs, because the
source's poll was cancelled whole at the deadline. A backfill now reads pages only for a share of the
run's deadline (pipeline.BACKFILL_SHARE), so the batch it read is written before the deadline and the
next run goes on from its cursor: every run keeps what it finished, the cursor advances only over
what was written, and the backfill completes with the same posts and the same (quiet) alerts as one
unhurried run.

The sites are emulated (bench/platformweb.py) with a cost per post served, as a slow site has; the
scale is smaller than the issue's (the test's time), the shape the same."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from necwatch.config import config_from_dict
from necwatch.pipeline import RunResult, run_async
from necwatch.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from platformweb import EmuSite, PlatformWeb

pytestmark = pytest.mark.timeout(300)

# (platform, posts, seconds a post costs in a listing page, seconds a comment request costs, deadline)
CASES = {
    # the shape, smaller: listing pages of posts slow to serve; a run reads pages for a share
    # of its deadline, and the next run goes on from the cursor
    "wordpress, slow listing": ("wordpress", 300, 0.01, 0.0, "4s"),
    "blogger, slow listing": ("blogger", 600, 0.003, 0.0, "4s"),
    # slow per-post work after the listing (the comments of each report): the deadline stops the poll
    # with posts read; they are written and the cursor moves over them only
    "wordpress, slow comments": ("wordpress", 300, 0.001, 0.3, "4s"),
}


def _slow(site: EmuSite, per_post: float, per_comments: float) -> None:
    serve = site.serve

    def slow(base: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = serve(base, path, query)
        if status != 200:
            return status, headers, body
        if path.endswith("/posts/default"):  # Blogger: entries with content
            time.sleep(per_post * body.count(b"<entry>"))
        elif path.endswith("/posts") and "_fields" not in query:  # WordPress
            time.sleep(per_post * len(json.loads(body)))
        elif "comments" in path:
            time.sleep(per_comments)
        return status, headers, body

    site.serve = slow  # type: ignore[method-assign]


def _config(web: PlatformWeb, site: EmuSite, kind: str, db: Path, deadline: str) -> Any:
    return config_from_dict(
        {
            "database": str(db),
            "feeds_dir": str(db.parent / "feeds"),
            "allow_private_addresses": True,
            "fetch": {"per_host_delay": 0, "backoff": 0.01},
            "schedule": {"run_deadline": deadline},
            "sources": [{"name": "emu", "type": kind, "url": web.base(site), "author": "Emu"}],
        },
        file="<test>",
    )


def _facts(store: Store) -> tuple[set[str], Counter[tuple[str, int]]]:
    posts = {r["url"] for r in store.db.query("select url from posts")}
    alerts = Counter((r["kind"], r["backfill"]) for r in store.db.query("select kind, backfill from alerts"))
    return posts, alerts


@pytest.mark.parametrize("case", CASES)
def test_a_backfill_longer_than_the_deadline_progresses_run_by_run(case: str, tmp_path: Path) -> None:
    kind, n, per_post, per_comments, deadline = CASES[case]
    site = EmuSite(kind, posts_n=n)
    _slow(site, per_post, per_comments)
    with PlatformWeb(site) as web:
        (tmp_path / "ref").mkdir()
        reference = Store.open(tmp_path / "ref" / "r.db")
        asyncio.run(run_async(_config(web, site, kind, tmp_path / "ref" / "r.db", "15m"), reference))
        want_posts, want_alerts = _facts(reference)
        assert len(want_posts) == n  # one unhurried run reads the whole archive

        config = _config(web, site, kind, tmp_path / "t.db", deadline)
        store = Store.open(config.database_path)
        counts: list[int] = []
        results: list[RunResult] = []
        for _ in range(30):
            results.append(asyncio.run(run_async(config, store)))
            counts.append(store.db.execute("select count(*) from posts").fetchone()[0])
            if counts[-1] == n and results[-1].status == "ok":
                break
        assert counts[0] > 0, counts  # the first run kept what it read
        assert all(b > a for a, b in itertools.pairwise(counts[:-1])), counts  # and so did every run
        assert len(counts) >= 2, counts  # the backfill was longer than one run's deadline
        assert counts[-1] == n and results[-1].status == "ok", counts  # and it completed
        posts, alerts = _facts(store)
        assert posts == want_posts  # every post once: none missing, none twice (posts.url is unique)
        # backfilled posts alert quietly, as in one unhurried backfill (which of two near-identical
        # reports is the first and which its republication depends on the batches, as with max_pages)
        assert not [a for a in alerts if a[1] == 0] and not [a for a in want_alerts if a[1] == 0]
        assert sum(alerts.values()) == sum(want_alerts.values())
        assert store.cursor("emu").get("backfill_before") is None
        assert "backfill_pending" not in store.cursor("emu")
