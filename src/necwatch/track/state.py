"""What tracking compares: the stored state of posts, reports and comments, and a normalized post."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from necwatch.intents import stable_id
from necwatch.models import Comment

# How often an unchanged post's last_seen_at is refreshed: writing it every poll would make
# "nothing changed" polls write a row per post.
LAST_SEEN_REFRESH = timedelta(hours=20)


@dataclass(frozen=True)
class StoredPost:
    id: str
    url: str
    report_id: str | None
    content_hash: str | None
    title: str | None
    removed_at: str | None
    missing_polls: int
    last_seen_at: str | None
    is_nec_report: bool
    published_at: str | None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_excerpt(self) -> bool:
        """Stored from a feed excerpt only (no report yet)."""
        return bool(self.meta.get("is_excerpt"))

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> StoredPost:
        return cls(
            id=r["id"],
            url=r["url"],
            report_id=r["report_id"],
            content_hash=r["content_hash"],
            title=r["title"],
            removed_at=r["removed_at"],
            missing_polls=r["missing_polls"] or 0,
            last_seen_at=r["last_seen_at"],
            is_nec_report=bool(r["is_nec_report"]),
            published_at=r["published_at"],
            meta=dict(r),
        )


@dataclass(frozen=True)
class ReportRef:
    id: str
    content_hash: str
    title: str
    body_text: str
    version: int
    published_at: str | None
    is_nec_report: bool
    post_count: int
    comment_count: int
    duplicate_of: str | None = None
    removed_at: str | None = None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> ReportRef:
        return cls(
            id=r["id"],
            content_hash=r["content_hash"],
            title=r["title"],
            body_text=r["body_text"] or "",
            version=r["version"] or 1,
            published_at=r["published_at"],
            is_nec_report=bool(r["is_nec_report"]),
            post_count=r["post_count"] or 0,
            comment_count=r["comment_count"] or 0,
            duplicate_of=r.get("duplicate_of"),
            removed_at=r.get("removed_at"),
        )


@dataclass(frozen=True)
class StoredComment:
    id: str
    platform_id: str
    content_hash: str
    version: int
    removed_at: str | None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> StoredComment:
        return cls(r["id"], r["platform_id"], r["content_hash"], r["version"] or 1, r["removed_at"])


@dataclass(frozen=True)
class Normalized:
    """A post after the normalize stage: what tracking compares and stores."""

    url: str
    platform_id: str | None
    title: str
    title_key: str  # normalized title, for comparing
    author: str | None
    published_at: str | None  # UTC ISO 8601
    updated_at: str | None
    labels: tuple[str, ...]
    body_text: str
    clean_html: str
    content_hash: str
    is_nec_report: bool
    is_pointer: bool
    pointer_to: str | None
    meeting_date: str | None
    meeting_kind: str | None
    via: str
    extractor_version: str
    comments: tuple[NormalizedComment, ...] | None = None
    is_excerpt: bool = False  # the body is a feed excerpt: a post row only, no report, no alert
    extraction: str | None = None  # JSON {field: method} from page extraction; None on feed/API paths

    @classmethod
    def comments_only(cls, url: str, comments: tuple[NormalizedComment, ...], extractor_version: str
                      ) -> Normalized:  # fmt: skip
        """An unchanged post (304) whose comments were read: only `comments` is compared."""
        return cls(url, None, "", "", None, None, None, (), "", "", "", False, False, None, None, None, "",
                   extractor_version, comments)  # fmt: skip


@dataclass(frozen=True)
class NormalizedComment:
    comment: Comment
    content_hash: str
    published_at: str | None
    author: str
    clean_html: str


class ReportIndex(Protocol):
    """What tracking may ask the database (read only)."""

    def report(self, report_id: str) -> ReportRef | None: ...
    def report_by_hash(self, content_hash: str) -> ReportRef | None: ...
    def near_candidates(self, text: str) -> list[tuple[str, str]]: ...  # (id, hash): worth comparing
    def report_for_url(self, url: str) -> str | None: ...
    def live_posts(self, report_id: str) -> int: ...


class NearMatcher(Protocol):
    def __call__(self, text: str, candidates: list[tuple[str, str]]) -> tuple[str, float] | None: ...


def post_key(source: str, url: str) -> str:
    """Posts are identified by source + path (host-independent: a base may move)."""
    parts = urlsplit(url)
    return stable_id(source, parts.path + ("?" + parts.query if parts.query else ""))


def title_key(title: str) -> str:
    from necwatch.normalize import normalized_text

    return normalized_text(title)


def stale(last_seen: str | None, now: datetime) -> bool:
    """Is the stored last_seen_at old enough to be refreshed?"""
    if not last_seen:
        return True
    try:
        return now - datetime.fromisoformat(last_seen) >= LAST_SEEN_REFRESH
    except ValueError:
        return True


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
