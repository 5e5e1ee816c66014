"""Incremental polls against emulated WordPress and Blogger sites that answer the platforms' query
parameters (bench/platformweb.py, on loopback): cost follows what changed, every change is found."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from necwatch import pipeline
from necwatch.config import Config, config_from_dict
from necwatch.demo import demo_config
from necwatch.pipeline import SourceSummary, run_async
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from necwatch.store.checksum import digest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from platformweb import EmuSite, PlatformWeb


@dataclass
class Emu:
    web: PlatformWeb
    site: EmuSite
    config: Config
    store: Store

    def poll(self) -> SourceSummary:
        self.web.reset()
        return asyncio.run(run_async(self.config, self.store)).sources[0]

    def alerts(self, kind: str) -> int:
        sql = "select count(*) from alerts where kind = ? and backfill = 0"
        return int(self.store.db.execute(sql, [kind]).fetchone()[0])


@pytest.fixture(params=["wordpress", "blogger"])
def emu(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Emu]:
    yield from _emu(request.param, tmp_path, posts=200)


def _emu(kind: str, tmp_path: Path, *, posts: int, **source: Any) -> Iterator[Emu]:
    site = EmuSite(kind, posts_n=posts)
    with PlatformWeb(site) as web:
        config = config_from_dict(
            {
                "database": str(tmp_path / "t.db"),
                "feeds_dir": str(tmp_path / "feeds"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [{"name": "emu", "type": kind, "url": web.base(site), "author": "Emu", **source}],
            },
            file="<test>",
        )
        store = Store.open(config.database_path)
        yield Emu(web, site, config, store)
        store.close()


def test_unchanged_poll_costs_a_few_requests_and_changes_no_row(emu: Emu) -> None:
    first = emu.poll()
    assert first.new == 200 and first.status == "ok"
    emu.poll()  # the first incremental poll
    before = digest(emu.config.database_path)
    summary = emu.poll()
    assert summary.status == "ok" and summary.new == summary.changed == summary.writes == 0
    assert emu.web.requests() <= 3  # 200 posts: the change query and the site-wide comments
    assert digest(emu.config.database_path) == before


def test_change_poll_finds_a_new_report_an_old_edit_a_comment_and_a_deletion(emu: Emu) -> None:
    emu.poll()
    emu.poll()
    site = emu.site
    site.now += timedelta(hours=2)
    site.add_post(report=True)
    site.edit(site.posts[10])  # an old NEC report (every tenth post is one)
    site.add_comment(site.posts[20])
    site.posts[31].deleted = True
    summary = emu.poll()
    assert emu.web.requests() <= 10
    assert (summary.new, summary.changed, summary.comments) == (1, 1, 1)
    assert emu.alerts("new_report") == emu.alerts("report_edited") == emu.alerts("new_comment") == 1
    assert emu.alerts("report_removed") == 0  # one 404: not yet evidence
    emu.poll()  # the confirming poll: a second 404
    removed = emu.store.db.execute("select url, removed_reason from posts where removed_at is not null")
    assert [r[1] for r in removed] == ["http_404_twice"]


def test_rolling_revalidation_finds_an_edit_that_kept_its_modified_time(
    emu: Emu, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.poll()
    emu.poll()
    emu.site.edit(emu.site.posts[50], move_modified=False)  # the change query cannot see it
    emu.poll()
    assert emu.alerts("report_edited") == 0
    later = datetime.now().astimezone() + timedelta(days=emu.config.sources[0].sweep_period / 86400 + 1)
    monkeypatch.setattr(pipeline, "utcnow", lambda: later.replace(microsecond=0))
    emu.poll()  # a sweep period has passed: every page of the listing is owed
    assert emu.alerts("report_edited") == 1


@pytest.mark.parametrize("kind", ["wordpress", "blogger"])
def test_backfill_continues_past_max_pages_with_a_warning(kind: str, tmp_path: Path) -> None:
    for emu in _emu(kind, tmp_path, posts=120, max_pages=2):
        first = emu.poll()
        stored = emu.store.db["posts"].count
        assert stored < 120 and first.status == "ok"
        assert any("max_pages" in w for w in first.warnings)
        assert "backfill_before" in emu.store.cursor("emu")
        second = emu.poll()
        assert emu.store.db["posts"].count == 120 and not second.warnings
        assert "backfill_before" not in emu.store.cursor("emu")
        assert second.new == 120 - stored
        assert emu.alerts("new_report") == 0  # the continued backfill is as quiet as the first read


def test_a_site_that_does_not_answer_change_queries_is_polled_the_full_way(
    web: ReplayWeb, tmp_path: Path
) -> None:
    """The recorded reference web answers 404 to any URL it did not record: after one probe the
    cursor says `legacy` and every poll reads the whole listing, finding nothing changed."""
    hosts = ["aliceperry.wordpress.com", "lukeakehurst.blogspot.com"]
    config = demo_config(web, database=tmp_path / "d.db", feeds_dir=tmp_path / "f", hosts=hosts)
    store = Store.open(config.database_path)
    asyncio.run(run_async(config, store))
    second = asyncio.run(run_async(config, store))
    assert {s.status for s in second.sources} == {"ok"}
    assert sum(s.new + s.changed + s.removed for s in second.sources) == 0
    assert {store.cursor(n)["mode"] for n in ("alice-perry", "luke-akehurst")} == {"legacy"}
    with web.recording() as requests:
        asyncio.run(run_async(config, store))
    assert not [r for r in requests if "orderby=" in r.path]  # not probed again within the period
