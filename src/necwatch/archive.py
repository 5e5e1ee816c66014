"""A stand-in for the HTTP client that answers from the stored raw responses (for `reextract`).

Adapters run unchanged: every URL they ask for is answered with the last body stored for it, so a
better parser can re-extract the whole history without fetching anything.
"""

from __future__ import annotations

from datetime import datetime

from necwatch.errors import FetchError
from necwatch.fetch.encoding import decode
from necwatch.models import FetchRecord, Response
from necwatch.store import Store


class ArchiveFetcher:
    def __init__(self, store: Store, source: str) -> None:
        self.store = store
        self.source = source
        self.records: list[FetchRecord] = []  # nothing is fetched, nothing is recorded
        self.deferred_until: datetime | None = None
        self.requests = 0
        self.moved: dict[str, str] = {}  # stored answers are final: no redirect, no move

    async def get(
        self, url: str, *, conditional: bool = True, accept: str | None = None, probe: bool = False
    ) -> Response:
        status = self.store.last_status(url)
        if status in (404, 410):  # the archive's answer: a probed path that does not exist, a removal
            kind = "gone" if status == 410 else "not_found"
            raise FetchError(f"HTTP {status} (archived)", url=url, kind=kind, status=status)
        found = self.store.latest_body(url)
        if found is None:
            raise FetchError("not in the archive of stored responses", url=url, kind="not_found")
        body, content_type = found
        text, encoding = decode(body, content_type)
        headers = {"content-type": content_type or ""}
        return Response(url, url, 200, headers, body, text, encoding)


class ArchiveClient:
    """Same shape as HttpClient.for_source / aclose."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def for_source(self, name: str, allowed_hosts: frozenset[str]) -> ArchiveFetcher:
        return ArchiveFetcher(self.store, name)

    async def aclose(self) -> None:
        return None
