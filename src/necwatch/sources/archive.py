"""`type: archive`: a site read entirely from the web archive (docs/archive.md).

    {name: old-blog, type: archive, url: https://oldblog.example.org/, archive_url: https://web.archive.org/}

The site's captures are listed through the archive's CDX API and its post pages read from their raw
captures (necwatch.webarchive.backfill). The live site is never asked anything: a blog whose host no
longer resolves is read the same. A run reads such a source through the backfill, which writes as it
goes (`pipeline` hands it over), so the adapter's own poll only says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from necwatch.models import SourceObservation
from necwatch.settings import Duration, SourceConfig
from necwatch.sources.base import Listing, Source, register

__all__ = ["DEFAULT_ARCHIVE", "DEFAULT_BUDGET", "DEFAULT_DELAY", "ArchiveSource", "ArchiveSourceConfig"]

DEFAULT_ARCHIVE = "https://web.archive.org/"
DEFAULT_DELAY = 3.0  # seconds between two requests to the archive
DEFAULT_BUDGET = 300  # requests to the archive per run (at 3 s: 15 minutes)


class ArchiveSourceConfig(SourceConfig):
    """`type: archive`: `url` is the site or URL prefix; the archive's base, the delay between two
    requests to it and the requests one run may make."""

    type: Literal["archive"]
    archive_url: str | None = DEFAULT_ARCHIVE
    delay: Duration = DEFAULT_DELAY
    budget: int = Field(DEFAULT_BUDGET, ge=1)


@register("archive", options=ArchiveSourceConfig)
class ArchiveSource(Source):
    """Registered for its config model; runs read it through necwatch.webarchive (see module doc)."""

    config: ArchiveSourceConfig

    async def discover(self) -> Listing:
        return Listing(complete=False, exhausted=False)

    async def fetch_post(self, url: str) -> object:  # type: ignore[override]
        raise NotImplementedError("archive sources are read by necwatch.webarchive")

    async def poll(self) -> SourceObservation:
        return SourceObservation(self.config.name, (), False, (), partial=True)
