"""Frozen values passed between the pipeline's stages. No I/O here.

fetch → sources.<type> (Post, Comment, PostObservation, SourceObservation) → normalize → track → store.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from necwatch.errors import FetchError, ParseError
from necwatch.extract.chars import clean_label, title_text, xml_text


@dataclass(frozen=True)
class Comment:
    """One reader comment as the platform serves it."""

    platform_id: str
    author: str
    body_text: str
    published_at: datetime | None = None  # timezone-aware
    body_html: str = ""  # raw, untrusted
    parent_id: str | None = None
    author_url: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        _clean_fields(
            self, ("platform_id", "author", "body_text", "body_html", "parent_id", "author_url", "url")
        )


@dataclass(frozen=True)
class Post:
    """One post as extracted from one page, feed entry or API object.

    `body_html` is the article only (no sidebars, share buttons, author boxes), raw and untrusted;
    `body_text` is its text with paragraphs separated by blank lines (see extract.text).
    """

    url: str
    title: str
    body_html: str
    body_text: str
    platform_id: str | None = None
    author: str | None = None
    published_at: datetime | None = None  # timezone-aware, as the source gives it
    updated_at: datetime | None = None
    labels: tuple[str, ...] = ()
    title_raw: str | None = None  # when the served title differs (e.g. U+00A0)
    via: str = ""  # which path produced it: feed, json, rss, rest, html
    # The body is a feed's excerpt (the page could not be read): never stored as a report's body.
    is_excerpt: bool = False
    # Which extraction layer gave each field (field, method), from page extraction (extract.page);
    # () on feed/API paths. Not part of a post's identity: two paths giving equal fields are equal.
    extraction: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        _clean_fields(self, ("url", "title", "body_html", "body_text", "platform_id", "author", "title_raw"))
        if "<" in self.title:
            object.__setattr__(self, "title", title_text(self.title))
        labels = tuple(dict.fromkeys(x for x in (clean_label(str(label)) for label in self.labels) if x))
        if labels != self.labels:
            object.__setattr__(self, "labels", labels)


def _clean_fields(obj: object, names: tuple[str, ...]) -> None:
    """Text as stored: no character XML 1.0 forbids (extract.chars), whatever the adapter read."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            clean = xml_text(value)
            if clean is not value:
                object.__setattr__(obj, name, clean)


class Outcome(StrEnum):
    """What happened when a post's own URL (or its feed entry) was read this poll."""

    FETCHED = "fetched"  # content read and parsed
    NOT_MODIFIED = "not_modified"  # 304: content as stored
    GONE = "gone"  # 404 or 410 on the post's own URL (http_status says which)
    FAILED = "failed"  # anything else: never evidence of a change


@dataclass(frozen=True)
class PostObservation:
    """A source's finding about one post in one poll."""

    url: str
    outcome: Outcome
    post: Post | None = None
    # None: comments not read or their fetch failed (nothing is inferred); () : read, there are none.
    comments: tuple[Comment, ...] | None = None
    http_status: int | None = None
    listed: bool = True  # False: not in this poll's listing, re-checked by its own URL
    # True: `comments` are only the comments new since the last poll (a site-wide comment feed), so a
    # stored comment missing from them is not evidence of a removal.
    comments_partial: bool = False
    # The post's previous URL when its old URL now answers a permanent redirect to `url` on the same
    # site (a slug renamed): the same post moved, tracked under its stored identity.
    moved_from: str | None = None


@dataclass(frozen=True)
class Failure:
    """One classified failure: becomes exactly one fetch_errors row."""

    url: str
    kind: str
    message: str
    http_status: int | None = None
    final_url: str | None = None
    attempts: int = 1
    retry_after: float | None = None
    bytes_read: int = 0

    @classmethod
    def from_error(cls, error: FetchError | ParseError) -> Failure:
        if isinstance(error, FetchError):
            return cls(
                url=error.url,
                kind=error.kind,
                message=error.message,
                http_status=error.status,
                final_url=error.final_url,
                attempts=error.attempts,
                retry_after=error.retry_after,
                bytes_read=error.bytes_read,
            )
        return cls(url=error.url, kind=error.kind, message=str(error))


@dataclass(frozen=True)
class SourceObservation:
    """Everything one poll of one source found.

    `listing_complete` is True only when every listing page (feed, API page, tag page) was fetched
    and parsed: only then may the absence of a post from the listing count as evidence.
    """

    source: str
    posts: tuple[PostObservation, ...]
    listing_complete: bool
    failures: tuple[Failure, ...] = ()
    # `type: auto`: (platform, URL) detected and read this poll, stored on the sources row.
    detected: tuple[str, str] | None = None
    # True: the listing held only what changed (incremental): read fine, but no evidence of absence.
    partial: bool = False
    # The adapter's incremental state to store for the next poll (None: keep the stored one).
    cursor: Mapping[str, Any] | None = None
    warnings: tuple[str, ...] = ()  # e.g. a backfill stopped by max_pages (continued next poll)
    unread: int = 0  # posts the listing showed but this poll did not read (known, unchanged, not due)


@dataclass(frozen=True)
class Response:
    """A successful fetch: a 2xx, or a 304 answered from the stored body."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]  # lower-case names
    content: bytes
    text: str
    encoding: str
    not_modified: bool = False
    elapsed_ms: int = 0
    attempts: int = 1

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        import json

        return json.loads(self.text)


@dataclass
class FetchRecord:
    """One URL's fetch in one run, for the `fetches` table and the raw archive."""

    source: str
    url: str
    final_url: str
    status: int | None
    fetched_at: str
    elapsed_ms: int
    bytes: int
    attempts: int
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    body: builtins.bytes | None = None  # new body (200) to archive; None on 304 or error
    error_kind: str | None = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
