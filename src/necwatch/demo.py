"""`necwatch demo`: the main job on an embedded snapshot of the reference web, no internet needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from necwatch.config import Config, config_from_dict
from necwatch.replay import ReplayWeb

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
    web: ReplayWeb,
    *,
    database: str | Path = "data/demo.db",
    feeds_dir: str | Path | None = None,
    hosts: list[str] | None = None,
    **overrides: object,
) -> Config:
    """A config whose sources read `web` (local servers), with politeness delays off.
    Feeds go next to the database unless `feeds_dir` says otherwise."""
    if feeds_dir is None:
        feeds_dir = Path(database).parent / "feeds"
    sources = []
    for host, spec in DEMO_SOURCES.items():
        if hosts is not None and host not in hosts:
            continue
        sources.append({**spec, "url": web.base(host)})
    data: dict[str, object] = {
        "database": str(database),
        "feeds_dir": str(feeds_dir),
        "allow_private_addresses": True,
        "fetch": {"per_host_delay": 0, "backoff": 0.01, "connect_timeout": 2, "read_timeout": 5},
        "sources": sources,
    }
    data.update(overrides)
    return config_from_dict(data, file="<demo>")


def run_demo(database: Path, feeds_dir: Path) -> tuple[Any, Any]:
    """Serve the bundled snapshot locally, poll it into a fresh `database`, write feeds."""
    from necwatch.job import run_job
    from necwatch.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    with ReplayWeb() as web:
        config = demo_config(web, database=database.resolve(), feeds_dir=feeds_dir.resolve())
        result = run_job(config, trigger="demo")
    return result, Store.open(database)
