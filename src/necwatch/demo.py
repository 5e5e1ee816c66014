"""`necwatch demo`: the main job on an embedded snapshot of the reference web, no internet needed.

The snapshot is served under the sites' real https URLs through an httpx transport (`ReplayTransport`),
so the demo database is what a live run would store: links go to the real pages, and two demo runs
give the same report ids and rows (run timestamps aside). The demo polls three states of the web
(`demo_history`): the snapshot before its newest report, the snapshot plus a later state (the new
report, an edit, a comment, a republication, a removal), then a restoration and comment changes, so
versions, diffs, `changes.atom` and every public alert kind are there to see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from necwatch.config import Config, config_from_dict
from necwatch.demo_history import DemoHistory
from necwatch.replay import ReplayTransport, ReplayWeb

# The sources of the shipped config.yaml, keyed by the real host they read.
DEMO_SOURCES: dict[str, dict[str, object]] = {
    "lukeakehurst.blogspot.com": {"name": "luke-akehurst", "type": "blogger", "author": "Luke Akehurst"},
    "aliceperry.wordpress.com": {
        "name": "alice-perry",
        "type": "wordpress",
        "author": "Alice Perry",
        "tag": "general-election",
    },
    "labourlist.org": {"name": "labourlist", "type": "labourlist", "tag": "nec"},
    "www.progressonline.org.uk": {
        "name": "progress",
        "type": "wordpress",
        "author": "Luke Akehurst",
        "author_slug": "luke-akehurst",
    },
}


def demo_config(
    web: ReplayWeb | None,
    *,
    database: str | Path = "data/demo.db",
    feeds_dir: str | Path | None = None,
    hosts: list[str] | None = None,
    **overrides: object,
) -> Config:
    """A config whose sources read the four sites with politeness delays off: through `web`'s local
    servers, or (web None) at their real https URLs, for the demo's ReplayTransport.
    Feeds go next to the database unless `feeds_dir` says otherwise."""
    if feeds_dir is None:
        feeds_dir = Path(database).parent / "feeds"
    sources = []
    for host, spec in DEMO_SOURCES.items():
        if hosts is not None and host not in hosts:
            continue
        sources.append({**spec, "url": web.base(host) if web is not None else f"https://{host}/"})
    data: dict[str, object] = {
        "database": str(database),
        "feeds_dir": str(feeds_dir),
        "allow_private_addresses": web is not None,
        "fetch": {"per_host_delay": 0, "backoff": 0.01, "connect_timeout": 2, "read_timeout": 5},
        "sources": sources,
    }
    data.update(overrides)
    return config_from_dict(data, file="<demo>")


def run_demo(database: Path, feeds_dir: Path, *, archive: bool = False) -> tuple[list[Any], Any]:
    """Poll each state of the bundled snapshot's history into a fresh `database`, writing the feeds
    after each poll. Returns the RunResult of every state and the open Store. `archive` (what
    `necwatch demo` does): Alice Perry's source also reads the demo's web archive, which recovers a
    report gone before the first poll (the tests' demo database leaves it out: their counts)."""
    from necwatch.job import run_job
    from necwatch.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    web = ReplayWeb()  # no servers: the transport answers from the corpus in memory
    config = demo_config(None, database=database.resolve(), feeds_dir=feeds_dir.resolve())
    emulated = demo_archive() if archive else None
    if archive:
        config = with_archive(config)
    results = []
    for state in DemoHistory(web).states():
        state()
        replay = ReplayTransport(web)
        transport = ArchiveOrReplay(emulated, replay) if emulated is not None else replay
        results.append(run_job(config, trigger="demo", transport=transport))
    return results, Store.open(database)


# The demo's web archive (necwatch.webarchive, docs/archive.md): captures of Alice Perry's blog at
# several times, among them a report gone before the demo's first poll, which `archive: true` on her
# source recovers (stored removed, with the capture as evidence and its provenance).
ARCHIVED_SOURCE = "alice-perry"


def demo_archive() -> Any:
    from necwatch.webarchive.emulator import EmulatedArchive, reference_captures

    return EmulatedArchive(reference_captures(with_feed=False)[0])  # answers as https://web.archive.org/


def with_archive(config: Config) -> Config:
    sources = [
        s.model_copy(update={"archive": True, "archive_delay": 0}) if s.name == ARCHIVED_SOURCE else s
        for s in config.sources
    ]
    return config.model_copy(update={"sources": sources})


class ArchiveOrReplay(httpx.AsyncBaseTransport):
    """The emulated archive for its host (web.archive.org), the replayed snapshot for the rest."""

    def __init__(self, archive: Any, replay: httpx.AsyncBaseTransport) -> None:
        self.archive, self.replay = archive.transport(), replay
        self.host = urlsplit(archive.base).hostname

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        chosen = self.archive if request.url.host == self.host else self.replay
        return await chosen.handle_async_request(request)
