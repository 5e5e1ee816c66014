"""The Wayback Machine's CDX server API, as documented (github.com/internetarchive/wayback,
wayback-cdx-server): query URLs, the JSON output (a header row naming the fields, then one row per
capture; with `showResumeKey=true`, an empty row and a one-item row holding the resume key when
more rows remain), and SURT url keys. Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urljoin, urlsplit

__all__ = ["FIELDS", "CdxPage", "CdxRow", "cdx_url", "parse_cdx", "parse_timestamp", "surt", "timestamp_of"]

FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True)
class CdxRow:
    """One capture as the CDX index lists it."""

    urlkey: str
    timestamp: str  # 14 digits, UTC: YYYYMMDDhhmmss
    original: str  # the URL as it was captured
    mimetype: str
    statuscode: str  # "200", "404", "301"; "-" for revisit records
    digest: str  # base32 SHA-1 of the captured body: equal digests, identical captures
    length: str = "-"

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)


@dataclass(frozen=True)
class CdxPage:
    rows: tuple[CdxRow, ...]
    resume_key: str | None  # None: the listing is complete


def timestamp_of(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_timestamp(ts: str) -> datetime:
    """A CDX timestamp (14 digits, or a shorter prefix padded with the earliest values) → aware UTC."""
    if not ts.isdigit() or not 4 <= len(ts) <= 14:
        raise ValueError(f"not a CDX timestamp: {ts!r}")
    padded = ts + "00000101000000"[len(ts) :]
    return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def surt(url: str) -> str:
    """The SURT url key the CDX index sorts by: `https://www.Example.org/a/B?x=1` →
    `org,example)/a/b?x=1` (scheme and a leading `www.` dropped, host reversed, lower case)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    key = ",".join(reversed(host.split("."))) + port + ")" + (parts.path or "/").lower()
    return key + (f"?{parts.query.lower()}" if parts.query else "")


def cdx_url(
    archive: str,
    url: str,
    *,
    match_type: str = "prefix",
    collapse: str | None = None,
    filters: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
    resume_key: str | None = None,
) -> str:
    """The CDX query for `url` under the archive base (`https://web.archive.org/`): JSON output,
    our fixed field list, paged by resume key."""
    query: list[tuple[str, str]] = [
        ("url", url),
        ("matchType", match_type),
        ("output", "json"),
        ("fl", ",".join(FIELDS)),
        ("limit", str(limit)),
        ("showResumeKey", "true"),
    ]
    if collapse:
        query.append(("collapse", collapse))
    query += [("filter", f) for f in filters]
    if since:
        query.append(("from", since))
    if until:
        query.append(("to", until))
    if resume_key:
        query.append(("resumeKey", resume_key))
    return urljoin(archive, "cdx/search/cdx") + "?" + urlencode(query)


def parse_cdx(text: str) -> CdxPage:
    """A CDX JSON answer → its rows and resume key. The header row names the fields (any order, any
    subset containing timestamp and original); an empty answer (`[]` or nothing) is no capture.
    ValueError on anything else."""
    text = text.strip()
    if not text:
        return CdxPage((), None)
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("CDX answer is not a JSON list")
    if not data:
        return CdxPage((), None)
    header = data[0]
    if not isinstance(header, list) or "timestamp" not in header or "original" not in header:
        raise ValueError(f"CDX answer has no header row: {str(header)[:80]}")
    index = {name: i for i, name in enumerate(header)}
    rows: list[CdxRow] = []
    resume: str | None = None
    body = data[1:]
    if len(body) >= 2 and body[-2] == [] and isinstance(body[-1], list) and len(body[-1]) == 1:
        resume = str(body[-1][0]) or None
        body = body[:-2]
    for raw in body:
        if not isinstance(raw, list) or len(raw) != len(header):
            raise ValueError(f"CDX row does not match its header: {str(raw)[:80]}")
        values = {name: str(raw[i]) for name, i in index.items()}
        rows.append(
            CdxRow(
                urlkey=values.get("urlkey") or surt(values["original"]),
                timestamp=values["timestamp"],
                original=values["original"],
                mimetype=values.get("mimetype", "-"),
                statuscode=values.get("statuscode", "-"),
                digest=values.get("digest", "-"),
                length=values.get("length", "-"),
            )
        )
    return CdxPage(tuple(rows), resume)
