"""Archive URLs (pure): the raw capture `…/web/<timestamp>id_/<original>` (the body as captured,
no toolbar, links not rewritten) and the replay page a reader opens `…/web/<timestamp>/<original>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ArchiveRef", "parse_archive_url", "raw_url", "replay_url"]

_WEB = re.compile(r"^/web/(\d{4,14})([a-z]{2}_)?/(.+)$")
_HOSTLIKE = re.compile(
    r"^(?:https?:/{1,2})?[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+(?::\d{1,5})?(?:[/?]|$)"
)


@dataclass(frozen=True)
class ArchiveRef:
    timestamp: str
    original: str


def raw_url(archive: str, timestamp: str, original: str) -> str:
    """(Joined by hand: urljoin would collapse the `//` of the original URL.)"""
    return f"{archive.rstrip('/')}/web/{timestamp}id_/{original}"


def replay_url(archive: str, timestamp: str, original: str) -> str:
    return f"{archive.rstrip('/')}/web/{timestamp}/{original}"


def parse_archive_url(url: str) -> ArchiveRef | None:
    """`https://web.archive.org/web/20190130120000/https://x.org/p/` (any modifier, `id_`, `if_`)
    → (timestamp, original); None for any other URL."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    m = _WEB.match(path)
    if m is None:
        return None
    original = m.group(3)
    if not _HOSTLIKE.match(original):
        return None  # a site's own /web/2019/… path, not an archive URL
    if not original.startswith(("http://", "https://")):
        # the archive collapses `//` in paths of some links: `https:/x.org/` → `https://x.org/`
        original = re.sub(r"^(https?):/+", r"\1://", original)
        if not original.startswith(("http://", "https://")):
            original = "http://" + original
    return ArchiveRef(m.group(1), original)
