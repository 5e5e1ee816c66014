"""Turning what happened into what callers see: a Response and its FetchRecord, or one public FetchError
with its FetchRecord, and the one log line per get()."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from necwatch import errors
from necwatch.errors import FetchError, rebase
from necwatch.fetch.cache import Cached
from necwatch.fetch.classify import kind_for_status
from necwatch.fetch.conditional import stored_for_304
from necwatch.fetch.encoding import decode
from necwatch.models import FetchRecord, Response

if TYPE_CHECKING:
    from necwatch.fetch.exchange import Exchange, Tally

log = logging.getLogger("necwatch.fetch")


def public_error(error: FetchError, *, url: str, attempts: int) -> FetchError:
    """The error get() raises: a public type naming the caller's URL, with the attempts it made."""
    public = type(error).__module__ == errors.__name__ and error.url == url
    result = error if public else rebase(error, url=url, final_url=error.final_url)
    result.attempts = attempts
    return result


def failure_record(source: str, error: FetchError, started: float) -> FetchRecord:
    return FetchRecord(
        source=source,
        url=error.url,
        final_url=error.final_url,
        status=error.status,
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        elapsed_ms=int((time.monotonic() - started) * 1000),
        bytes=error.bytes_read,
        attempts=error.attempts,
        error_kind=error.kind,
        error=error.message,
    )


def success_record(
    source: str, url: str, final_url: str, ex: Exchange, tally: Tally, *, body: bytes | None, size: int
) -> FetchRecord:
    return FetchRecord(
        source=source,
        url=url,
        final_url=final_url,
        status=ex.status,
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        elapsed_ms=int((time.monotonic() - tally.started) * 1000),
        bytes=size,
        attempts=tally.attempts,
        etag=ex.headers.get("etag"),
        last_modified=ex.headers.get("last-modified"),
        content_type=ex.headers.get("content-type"),
        body=body,
        headers=ex.headers,
    )


def answer(
    source: str, url: str, final_url: str, ex: Exchange, cached: Cached | None, tally: Tally, *, robots: bool
) -> tuple[Response, FetchRecord]:
    """The final hop's exchange as a Response and its record: a 2xx, or a 304 answered from the cache.

    Anything else raises. The robots.txt fetch does not decode (its caller parses the bytes).
    """
    if ex.status == 304:
        stored = stored_for_304(cached, url=url, final_url=final_url)
        text, encoding = ("", "utf-8") if robots else decode(stored.body, stored.content_type)
        record = success_record(source, url, final_url, ex, tally, body=None, size=0)
        response = Response(
            url,
            final_url,
            304,
            ex.headers,
            stored.body,
            text,
            encoding,
            not_modified=True,
            elapsed_ms=record.elapsed_ms,
            attempts=tally.attempts,
        )
        return response, record
    if not 200 <= ex.status < 300:
        kind = "protocol" if ex.status < 400 else kind_for_status(ex.status)
        raise FetchError(f"HTTP {ex.status}", url=url, kind=kind, status=ex.status, final_url=final_url)
    text, encoding = ("", "utf-8") if robots else decode(ex.body, ex.headers.get("content-type"))
    body = ex.body if ex.status == 200 else None
    record = success_record(source, url, final_url, ex, tally, body=body, size=len(ex.body))
    response = Response(
        url,
        final_url,
        ex.status,
        ex.headers,
        ex.body,
        text,
        encoding,
        elapsed_ms=record.elapsed_ms,
        attempts=tally.attempts,
    )
    return response, record


def log_failure(
    error: FetchError, *, source: str, url: str, robots: bool, probe: bool = False, capture: bool = False
) -> None:
    """404/410 are answers (a platform path that does not exist, a deleted post), not faults: info, or
    debug for robots.txt and for probes (paths asked on purpose). So is an archive capture's
    soft-error page (`capture`): what the site showed when it was captured."""
    shown = capture and error.kind in ("unavailable", "challenge")
    args: tuple[object, ...]
    answer = error.kind in ("not_found", "gone")
    if shown:
        level, message, args = logging.INFO, "capture is no post page (an answer, not a fault): %s", (error,)
    elif answer:
        # an answer is worded as one: the demo's three (a feed path and an API the snapshot lacks,
        # the removed post) must not read as breakage
        level = logging.DEBUG if robots or probe else logging.INFO
        message, args = "not there (HTTP %s, an answer, not a fault): %s", (error.status, url)
    else:
        level = logging.DEBUG if robots else logging.WARNING
        message, args = "fetch failed: %s", (error,)
    log.log(
        level,
        message,
        *args,
        extra={
            "source": source,
            "url": url,
            "status": error.status,
            "attempts": error.attempts,
            "kind": error.kind,
        },
    )


def log_success(response: Response, *, source: str, url: str) -> None:
    log.debug(
        "fetched",
        extra={
            "source": source,
            "url": url,
            "status": response.status,
            "attempts": response.attempts,
            "bytes": 0 if response.not_modified else len(response.content),
        },
    )
