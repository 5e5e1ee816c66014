"""`archive: true` on a live source whose host no longer resolves: its posts are read from the archive
and marked removed (`pre_watch_no_host`), the live poll failing as it does for any dead site."""

from __future__ import annotations

from pathlib import Path

from necwatch.config import config_from_dict
from necwatch.job import run_job
from necwatch.store import Store
from necwatch.webarchive.emulator import EmulatedArchive, reference_captures

SITE = "https://gone.example.invalid/"


def test_a_live_source_whose_host_is_gone_is_recovered_from_the_archive(tmp_path: Path) -> None:
    captures, sc = reference_captures(SITE)
    with EmulatedArchive(captures) as a:
        config = config_from_dict(
            {
                "database": str(tmp_path / "n.db"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01, "retries": 0, "connect_timeout": 2},
                "sources": [
                    {"name": "gone", "type": "wordpress", "url": SITE, "author": "Alice Perry",
                     "archive": True, "archive_url": a.base, "archive_delay": 0}
                ],
            },
            file="<test>",
        )  # fmt: skip
        result = run_job(config)
        assert result.sources[0].status == "failed"  # the live site is gone: its poll fails
        store = Store.open(config.database_path)
        posts = list(store.db.query("select url, removed_reason from posts where source = 'gone'"))
        assert {p["url"] for p in posts} >= set(sc.posts) | {sc.feed_only}
        assert {p["removed_reason"] for p in posts} == {"pre_watch_no_host"}
        assert len(store.recoveries("gone")) == len(posts)
