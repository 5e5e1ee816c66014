"""Change tracking, as a pure function: stored state + a new observation → write intents and alerts.

Nothing here does I/O. `Tracker.observe()` is given what the database holds (through the small
`ReportIndex` interface) and what a poll found, and collects typed intents (necwatch.intents) that
the store applies in one transaction. The rules (docs/tracking.md):

* A failed fetch is never evidence: FAILED outcomes change nothing.
* A post is removed only on 410 (no same-run confirmation: see docs/tracking.md), on 404 in two polls
  in a row, or on 404 while it is also absent from a complete listing fetched in the same poll. A
  removed post that comes back is restored.
* An edit is a change of the normalized body (content_hash) or the normalized title; whitespace,
  typography and tracking parameters are not edits. Re-extraction (`technical=True`) records a
  technical version and raises no alert.
* Each real event gives exactly one alert, with a deterministic id.

    state.py     what is compared: stored posts, reports, comments; a normalized post
    emit.py      where intents and alerts collect
    posts.py     Tracker: posts and their reports (new, edited, removed, restored)
    comments.py  CommentTracker: the comments of one post
"""

from necwatch.intents import stable_id
from necwatch.track.comments import CommentTracker
from necwatch.track.emit import Emitter
from necwatch.track.posts import Tracker
from necwatch.track.state import (
    NearMatcher,
    Normalized,
    NormalizedComment,
    ReportIndex,
    ReportRef,
    StoredComment,
    StoredPost,
    post_key,
)

__all__ = [
    "CommentTracker",
    "Emitter",
    "NearMatcher",
    "Normalized",
    "NormalizedComment",
    "ReportIndex",
    "ReportRef",
    "StoredComment",
    "StoredPost",
    "Tracker",
    "post_key",
    "stable_id",
]
