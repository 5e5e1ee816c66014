"""Comments of one post: new, edited, restored and removed comments, each with its versions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from necwatch.alerts import AlertKind
from necwatch.intents import CommentChange, NewComment, NewCommentVersion, RecountComments, stable_id
from necwatch.track.emit import Emitter
from necwatch.track.state import NormalizedComment, StoredComment, clip

log = logging.getLogger("necwatch.track")


def _first_of_each(observed: tuple[NormalizedComment, ...], post_id: str) -> tuple[NormalizedComment, ...]:
    """The observed comments with each platform id once (the first printed; the others are logged)."""
    kept: dict[str, NormalizedComment] = {}
    for nc in observed:
        if kept.setdefault(nc.comment.platform_id, nc) is not nc:
            log.warning(
                "comment id %s printed twice on post %s: the first is kept, the other skipped",
                nc.comment.platform_id,
                post_id,
            )
    return observed if len(kept) == len(observed) else tuple(kept.values())


class CommentTracker:
    """Decides the comment writes of one post; alerts only for NEC reports (`alert`)."""

    def __init__(self, emit: Emitter) -> None:
        self.emit = emit

    def observe(
        self,
        post_id: str,
        report_id: str,
        observed: tuple[NormalizedComment, ...],
        stored: Mapping[str, StoredComment],
        alert: bool,
        *,
        partial: bool = False,
    ) -> None:
        """`partial`: `observed` holds only new comments (a site-wide feed), so none is removed.
        A page printing one comment id twice (or more) keeps the first printed: one comment, one row."""
        observed = _first_of_each(observed, post_id)
        live = [c for c in stored.values() if c.removed_at is None]
        if not observed and len(live) >= 2:
            return  # every comment vanished at once: more likely a broken page than deletions
        changed = False
        for nc in observed:
            changed |= self._one(post_id, report_id, nc, stored.get(nc.comment.platform_id), alert)
        seen = {nc.comment.platform_id for nc in observed}
        for platform_id, old in stored.items():
            if partial or platform_id in seen or old.removed_at is not None:
                continue
            changed = True
            self._removed(post_id, report_id, old, alert)
        if changed:
            self.emit.add(RecountComments(report_id))

    def _one(
        self, post_id: str, report_id: str, nc: NormalizedComment, old: StoredComment | None, alert: bool
    ) -> bool:
        """One observed comment; returns whether anything about it changed."""
        c, ts = nc.comment, self.emit.ts
        cid = old.id if old else stable_id("comment", post_id, c.platform_id)
        row = _comment_row(post_id, report_id, nc)
        about = {"report_id": report_id, "post_id": post_id, "comment_id": cid, "url": c.url}
        if old is None:
            self.emit.add(
                NewComment({"id": cid, **row, "version": 1, "first_seen_at": ts, "last_seen_at": ts})
            )
            self._version(cid, 1, nc)
            if alert:
                self.emit.alert(
                    AlertKind.NEW_COMMENT,
                    cid,
                    title=f"Comment by {nc.author}",
                    summary=clip(c.body_text, 280),
                    **about,
                )
            return True
        if old.content_hash != nc.content_hash:
            version = old.version + 1
            self.emit.add(
                CommentChange(cid, {**row, "version": version, "removed_at": None, "last_seen_at": ts})
            )
            self._version(cid, version, nc)
            if alert:
                self.emit.alert(
                    AlertKind.COMMENT_EDITED,
                    f"{cid}:{version}",
                    title=f"Comment by {nc.author} edited",
                    summary=clip(c.body_text, 280),
                    **about,
                )
            return True
        if old.removed_at is not None:
            self.emit.add(CommentChange(cid, {"removed_at": None, "last_seen_at": ts}))
            return True
        return False

    def _removed(self, post_id: str, report_id: str, old: StoredComment, alert: bool) -> None:
        self.emit.add(CommentChange(old.id, {"removed_at": self.emit.ts}))
        if alert:
            self.emit.alert(
                AlertKind.COMMENT_REMOVED,
                f"{old.id}:{self.emit.run_id}",
                report_id=report_id,
                post_id=post_id,
                comment_id=old.id,
                title="Comment removed",
                summary="A comment is no longer shown",
            )

    def _version(self, comment_id: str, version: int, nc: NormalizedComment) -> None:
        self.emit.add(
            NewCommentVersion(
                {
                    "comment_id": comment_id,
                    "version": version,
                    "seen_at": self.emit.ts,
                    "body_text": nc.comment.body_text,
                    "content_hash": nc.content_hash,
                    "run_id": self.emit.run_id,
                }
            )
        )


def _comment_row(post_id: str, report_id: str, nc: NormalizedComment) -> dict[str, Any]:
    c = nc.comment
    return {
        "report_id": report_id,
        "post_id": post_id,
        "platform_id": c.platform_id,
        "parent_id": c.parent_id,
        "author": nc.author,
        "author_url": c.author_url,
        "published_at": nc.published_at,
        "url": c.url,
        "body_text": c.body_text,
        "body_html": nc.clean_html,
        "content_hash": nc.content_hash,
    }
