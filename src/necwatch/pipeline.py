"""Poll sources: fetch concurrently, write serially, one transaction per source.

    config → HttpClient → sources.<type>.poll() → normalize → track.Tracker → Store.apply

`run()` is the whole main job (used by the CLI, the scheduler and the GitHub Action): it takes the
run lock, polls, writes, then delivers alerts and writes the Atom feeds. Expected failures become
per-source results; the exit code is 0 when every source was polled cleanly, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import logging
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from necwatch import decide, dedupe, nearcache, policy
from necwatch.config import Config, SourceConfig
from necwatch.errors import StoreError
from necwatch.extract import EXTRACTOR_VERSION, worker
from necwatch.extract.sanitize import clean_html
from necwatch.extract.text import strip_bidi
from necwatch.fetch import Fetcher, HttpClient, ResponseCache
from necwatch.intents import (
    Intent,
    NewComment,
    NewPost,
    NewReport,
    NewReportVersion,
    PostChange,
    ReportChange,
)
from necwatch.models import Comment, Failure, Outcome, Post, PostObservation, SourceObservation
from necwatch.normalize import Classification, canonical_author, classify, content_hash, normalized_text
from necwatch.record.derive import report_record, roster_of
from necwatch.sources import SourceContext, source_class
from necwatch.sources.base import Source
from necwatch.sources.incremental import ephemeral
from necwatch.store import Store
from necwatch.track import Normalized, NormalizedComment, ReportRef, StoredPost, Tracker, post_key, stable_id

log = logging.getLogger("necwatch.pipeline")


@dataclass
class SourceSummary:
    """One source's result in one run (printed by the CLI, stored in runs.summary)."""

    name: str
    status: str = "ok"  # ok, partial, failed, deferred, skipped
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    comments: int = 0
    alerts: int = 0
    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    writes: int = 0
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    run_id: str
    status: str  # ok, partial, failed
    sources: list[SourceSummary] = field(default_factory=list)
    feeds_written: int = 0
    delivered: int = 0
    records: int | None = None  # records re-derived (reextract), else None

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def to_utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: adapters must give timezone-aware times")
    try:
        return value.astimezone(UTC).isoformat(timespec="seconds")
    except OverflowError:  # no UTC value in years 1-9999 (extract.dates refuses these): no date
        log.warning("date out of range in UTC, stored as unknown: %s", value.isoformat())
        return None


# -- normalize: Post → what tracking compares ------------------------------------------------------
def normalize_post(
    post: Post, comments: tuple[Comment, ...] | None, source: SourceConfig, config: Config
) -> Normalized:
    """Classify, hash, sanitize and put times in UTC. Pure."""
    cls = _classify(post, source.match)
    return Normalized(
        url=post.url,
        platform_id=post.platform_id,
        title=strip_bidi(post.title),
        title_key=normalized_text(strip_bidi(post.title)),
        author=canonical_author(strip_bidi(post.author or "") or None, config.authors, source.author),
        published_at=to_utc_iso(post.published_at),
        updated_at=to_utc_iso(post.updated_at),
        labels=post.labels,
        body_text=post.body_text,
        clean_html=clean_html(post.body_html, post.url),
        content_hash=content_hash(post.body_text),
        is_nec_report=cls.is_nec_report,
        is_pointer=cls.is_pointer,
        pointer_to=cls.pointer_to,
        meeting_date=cls.meeting_date,
        meeting_kind=cls.meeting_kind,
        via=post.via,
        extractor_version=EXTRACTOR_VERSION,
        comments=None if comments is None else tuple(normalize_comment(c, config) for c in comments),
        is_excerpt=post.is_excerpt,
        extraction=json.dumps(dict(post.extraction), sort_keys=True) if post.extraction else None,
    )


def normalize_comment(comment: Comment, config: Config) -> NormalizedComment:
    body_html = comment.body_html or "<p>" + html.escape(comment.body_text).replace("\n", "<br>") + "</p>"
    return NormalizedComment(
        comment=comment,
        content_hash=content_hash(comment.body_text),
        published_at=to_utc_iso(comment.published_at),
        author=canonical_author(strip_bidi(comment.author), config.authors, None) or "Anonymous",
        clean_html=clean_html(body_html, comment.url),
    )


_CLASSIFIED: weakref.WeakKeyDictionary[Post, tuple[str | None, Classification]] = weakref.WeakKeyDictionary()


def _classify(post: Post, match: str | None) -> Classification:
    """classify(), once per post: the adapter asks it (wants_comments) and so does normalize_post.

    Kept as long as the post itself (a weak key), not in a 1,024-entry cache that held the posts'
    bodies and, with a backfill batch of 2,000 posts a site, had dropped most of them before
    normalize_post asked again (classify is ~1.7 ms a post)."""
    found = _CLASSIFIED.get(post)
    if found is not None and found[0] == match:
        return found[1]
    cls = classify(post, match)
    _CLASSIFIED[post] = (match, cls)
    return cls


def wants_comments(source: SourceConfig) -> Callable[[Post], bool]:
    """Comments are fetched for NEC reports only: a blog's other posts cost no comment requests."""

    def decide(post: Post) -> bool:
        return _classify(post, source.match).is_nec_report

    return decide


# -- the index tracking reads through ------------------------------------------------------------
class _Index:
    """Store-backed ReportIndex, with near-duplicate matching from dedupe."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def report(self, report_id: str) -> ReportRef | None:
        return self.store.report(report_id)

    def report_by_hash(self, content_hash: str) -> ReportRef | None:
        return self.store.report_by_hash(content_hash)

    def near_candidates(self, text: str) -> list[tuple[str, str]]:
        """Only the NEC reports sharing a min-hash band with the text (report_minhash), whenever
        they were published, as (id, content hash): the exact shingle Jaccard then decides
        (near_match)."""
        return self.store.near_candidates(_band_keys(text))

    def near_match(self, text: str, candidates: list[tuple[str, str]]) -> tuple[str, float] | None:
        """The candidate the text nearly copies: each compared by its shingles, kept between lookups
        by content hash (its text is read only when they are not). The text's own shingles are kept
        too: stored, it is a later lookup's candidate (its hash, its shingles, whatever is stored)."""
        probe = _probe_shingles(text)
        _STORED_SHINGLES.put(content_hash(text), probe)
        return dedupe.find_near_duplicate(
            probe,
            [
                (rid, _STORED_SHINGLES.get(h, functools.partial(self.store.report_text, rid)))
                for rid, h in candidates
            ],
        )

    def report_for_url(self, url: str) -> str | None:
        return self.store.report_for_url(url)

    def live_posts(self, report_id: str) -> int:
        return self.store.live_posts(report_id)


_STORED_SHINGLES = nearcache.PackedShingleCache()
_BAND_KEYS = nearcache.BandKeyCache()


@functools.lru_cache(maxsize=16)
def _probe_shingles(text: str) -> dedupe.Shingles:
    """Shingles of the text being matched: computed once for its band keys and its comparisons."""
    return dedupe.shingles(text)


def _band_keys(text: str) -> list[int]:
    """The text's min-hash band keys: looked up for a new report, then indexed, computed once."""
    return _BAND_KEYS.get(text, _probe_shingles)


def index_reports(store: Store, ops: Sequence[Intent]) -> None:
    """Keep report_minhash in step with what a poll wrote: the band keys of every report created or
    whose text changed, NEC reports with text only (call after store.apply, same transaction)."""
    created = {op.row["id"] for op in ops if isinstance(op, NewReport)}
    changed = [op.key for op in ops if isinstance(op, ReportChange) and "body_text" in op.row]
    for report_id in dict.fromkeys([*created, *changed]):
        report = store.report(report_id)
        text = report.body_text if report is not None and report.is_nec_report else ""
        keys = _band_keys(text) if text else []
        store.index_report(report_id, keys, replace=report_id in changed)


# -- one source ------------------------------------------------------------------------------------
async def poll_source(
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    now: datetime | None = None,
    *,
    incremental: bool = True,
    backfill_until: float | None = None,
    started: list[Source] | None = None,
) -> SourceObservation:
    """Run the adapter; an unexpected adapter bug is logged and becomes a failed listing.
    `backfill_until` (time.monotonic()): a backfill reads no further page after it (SourceContext).
    `started` gets the adapter, whose posts read so far the run salvages at its deadline."""
    known = {}
    for url, published in store.known_posts(source.name).items():
        known[url] = datetime.fromisoformat(published) if published else None
    state = store.known_state(source.name)
    ctx = SourceContext(
        config=source,
        fetcher=fetcher,
        wants_comments=wants_comments(source),
        known=known,
        state=store.source_row(source.name) or {},
        # re-extraction reads the archive, which holds no change queries: always the full listing
        cursor=store.cursor(source.name) if incremental else {},
        by_platform_id=state.by_platform_id,
        report_ids=state.report_ids,
        suspects=state.suspects,
        live=state.live,
        now=now or utcnow(),
        removed=state.removed,
        backfill_until=backfill_until,
    )
    adapter = source_class(source.type)(ctx)
    if started is not None:
        started.append(adapter)
    obs = await adapter.poll()
    if obs.cursor is not None and BACKFILL_PENDING in obs.cursor:  # a poll that ran to its end
        obs = replace(obs, cursor={k: v for k, v in obs.cursor.items() if k != BACKFILL_PENDING})
    return obs


# In a source's stored cursor: a backfill cut by the run's deadline is under way (its posts so far were
# written, its cursor kept as it was): the next poll's posts are backfilled posts too, quiet (see
# backfilling). Removed by the first poll that runs to its end.
BACKFILL_PENDING = "backfill_pending"


def backfilling(store: Store, source: str, previous: Mapping[str, Any]) -> bool:
    """Whether a poll of `source` now is (part of) a backfill, whose posts are old: never read fully
    before, a backfill cut by max_pages or backfill_batch going on (cursor), or one the run's deadline
    cut (BACKFILL_PENDING)."""
    cursor = store.cursor(source)
    return not previous.get("last_ok_at") or bool(
        cursor.get("backfill_before") or cursor.get(BACKFILL_PENDING)
    )


def write_observation(
    store: Store,
    config: Config,
    source: SourceConfig,
    obs: SourceObservation,
    fetcher: Fetcher,
    *,
    run_id: str,
    now: datetime,
    technical: bool = False,
    summary: SourceSummary,
    outage: bool = False,
) -> None:
    """Decide (pure: decide.screen, track.Tracker, decide.decide_source), then write everything one
    poll of one source found, in one transaction.

    `outage`: every source of the run failed at the network level at once (a local outage, not the
    sites): the failures are recorded, but the source's failure streak and health are left as they were.
    """
    previous = store.source_row(source.name) or {}
    screening = decide.screen(obs, fetcher.records, store.live_post_count(source.name), source.url)
    index = _Index(store)
    roster = roster_of(config)
    tracker = Tracker(
        source=source.name,
        run_id=run_id,
        now=now,
        index=index,
        near=index.near_match,
        # a backfill cut by max_pages or the run's deadline and still going on stays quiet too
        backfill=backfilling(store, source.name, previous),
        technical=technical,
        hash_of=content_hash,
        record_of=functools.partial(report_record, roster=roster),
    )
    observed, post_failures = _track_posts(store, config, source, obs, screening, tracker, summary)
    failures = (*screening.failures, *post_failures)
    robots = getattr(getattr(fetcher, "client", None), "robots_records", ())
    outcome = decide.PollOutcome(
        failures=failures,
        listing_complete=screening.listing_complete,
        all_posts_failed=bool(observed) and all(o.outcome is Outcome.FAILED for o in observed),
        deferred_until=fetcher.deferred_until,
        moved_to=decide.moved_to(source, failures, robots),
        outage=outage,
    )
    verdict = decide.decide_source(
        source,
        previous,
        outcome,
        settings=config.schedule,
        interval=poll_interval(config, store, source, now),
        now=now,
        run_id=run_id,
        technical=technical,
    )
    _summarize(summary, verdict, failures, fetcher, tracker.alerts, obs.warnings)
    for warning in obs.warnings:
        log.warning(warning, extra={"source": source.name})
    ts = now.isoformat(timespec="seconds")
    with store.transaction():  # any SQLite failure rolls the source back whole and raises StoreError
        store.record_fetches([r for r in fetcher.records if not ephemeral(r.url)], run_id)
        if technical:  # a re-extraction fetched nothing: the source's health and schedule stay as they are
            summary.writes = store.apply(tracker.ops)
            index_reports(store, tracker.ops)
            store.derive_touched(tracker.ops, roster)
            return
        if obs.cursor is not None and verdict.status != "failed":
            store.save_cursor(source.name, dict(obs.cursor), ts)
        store.record_failures(failures, source=source.name, run_id=run_id, ts=ts)
        summary.writes = store.apply([*tracker.ops, *verdict.alerts])
        _upkeep(store, config, source.name, tracker.ops, fetcher)
        store.derive_touched(tracker.ops, roster)  # the records, with the versions they come from
        detected = {}
        if obs.detected is not None:  # `type: auto`: the platform and path read
            detected = {"detected_type": obs.detected[0], "detected_url": obs.detected[1]}
        polled_with = source.model_dump_json(exclude_defaults=True)
        # a source read for the first time is read by this extractor; a stored one keeps its version
        # until the run's catch-up re-extracts it (job.catch_up_extraction)
        version = previous.get("extractor_version") or EXTRACTOR_VERSION
        store.upsert_source(
            {
                **verdict.row,
                **detected,
                "config": polled_with,
                "posts": store.live_post_count(source.name),
                "extractor_version": version,
            }
        )


def record_write_failure(
    store: Store,
    config: Config,
    source: SourceConfig,
    error: StoreError,
    *,
    run_id: str,
    now: datetime,
    outage: bool = False,
) -> None:
    """A poll whose write was rolled back is a failed poll of its source: its health (failure streak,
    last error, next poll, `source_unhealthy` at `unhealthy_after`) and a fetch_errors row of kind
    `storage_*` are written in a transaction of their own, after the rollback, so a source whose
    writes keep failing is never shown as ok. When even that write fails (the disk is full), it is
    logged and the source's row stays as it was."""
    failure = Failure(source.url, error.kind, f"the poll's writes were rolled back: {error}"[:500])
    outcome = decide.PollOutcome(
        failures=(failure,),
        listing_complete=False,
        all_posts_failed=False,
        deferred_until=None,
        moved_to=None,
        outage=outage,
    )
    try:
        verdict = decide.decide_source(
            source,
            store.source_row(source.name) or {},
            outcome,
            settings=config.schedule,
            interval=poll_interval(config, store, source, now),
            now=now,
            run_id=run_id,
        )
        with store.transaction():
            store.record_failures(
                [failure], source=source.name, run_id=run_id, ts=now.isoformat(timespec="seconds")
            )
            store.apply(list(verdict.alerts))
            store.upsert_source(verdict.row)
    except StoreError as e:
        log.error(
            "could not record the failed write of %s either: %s",
            source.name,
            e,
            extra={"source": source.name},
        )


def _upkeep(store: Store, config: Config, source: str, ops: Sequence[Intent], fetcher: Fetcher) -> None:
    """After a poll's writes, in its transaction: the min-hash index follows the reports written,
    and raw bodies no one will read go (unless kept): superseded ones of non-report pages and of
    listings, and the listings of a source read through change queries (never re-extracted)."""
    index_reports(store, ops)
    non_reports, listings = config.storage.non_report_raw == "latest", config.storage.listing_raw == "latest"
    if non_reports or listings:
        fetched = (r.url for r in fetcher.records if r.body is not None)
        store.prune_superseded(fetched, non_reports=non_reports, listings=listings)
    if listings and store.cursor(source).get("unarchived"):
        store.prune_unreplayable(source, (r.url for r in fetcher.records))


def _summarize(
    summary: SourceSummary,
    verdict: decide.SourceVerdict,
    failures: Sequence[Failure],
    fetcher: Fetcher,
    post_alerts: int,
    warnings: Sequence[str],
) -> None:
    summary.status = verdict.status
    summary.failed = len({f.url for f in failures})
    summary.requests = fetcher.requests
    summary.not_modified = sum(1 for r in fetcher.records if r.status == 304)
    summary.bytes = sum(r.bytes for r in fetcher.records)
    summary.alerts = post_alerts + len(verdict.alerts)
    summary.warnings = list(warnings)


def _track_posts(
    store: Store,
    config: Config,
    source: SourceConfig,
    obs: SourceObservation,
    screening: decide.Screening,
    tracker: Tracker,
    summary: SourceSummary,
) -> tuple[list[PostObservation], list[Failure]]:
    """Screen, normalize and track every post of the observation; returns what was observed."""
    ids = [post_key(source.name, o.url) for o in obs.posts]
    stored_posts: dict[str, StoredPost] = {}
    by_url: dict[str, StoredPost] = {}
    urls = [u for o in obs.posts for u in (o.url, o.moved_from) if u]  # a moved post: its stored URL
    for p in store.stored_posts_of(source.name, ids, urls):
        stored_posts[p.id] = by_url[p.url] = p
    stored_comments = store.stored_comments([*ids, *stored_posts])
    observed: list[PostObservation] = []
    failures: list[Failure] = []
    for o in obs.posts:
        pid = post_key(source.name, o.url)
        stored = stored_posts.get(pid) or by_url.get(o.url) or by_url.get(o.moved_from or o.url)
        o, failure = decide.screen_post(o, screening)
        if failure is not None:
            failures.append(failure)
        norm = None
        if o.outcome is Outcome.FETCHED:
            assert o.post is not None
            norm = normalize_post(o.post, o.comments, source, config)
        elif o.outcome is Outcome.NOT_MODIFIED and o.comments is not None:
            comments = tuple(normalize_comment(c, config) for c in o.comments)
            norm = Normalized.comments_only(o.url, comments, EXTRACTOR_VERSION)
        observed.append(o)
        before = len(tracker.ops)
        # an incremental listing reads fine but is no evidence that an unlisted post is gone
        evidence = screening.listing_complete and not obs.partial
        comments_of = stored.id if stored is not None else pid  # comments belong to the stored post
        tracker.observe(o, norm, stored, stored_comments.get(comments_of, {}), listing_complete=evidence)
        _count(summary, o, tracker.ops[before:])
    return observed, failures


def poll_interval(config: Config, store: Store, source: SourceConfig, now: datetime) -> float:
    """The source's interval now: configured, or adaptive (from what the store says of its activity)."""
    settings = config.schedule
    if not settings.adaptive:
        return source.interval
    activity = store.source_activity(source.name, policy.meetings_since(settings, now))
    return policy.adaptive_interval(source, settings, now, activity)


def _count(summary: SourceSummary, o: PostObservation, intents: Sequence[Intent]) -> None:
    summary.comments += sum(1 for i in intents if isinstance(i, NewComment))
    if o.outcome is Outcome.FAILED:
        return
    if any(isinstance(i, PostChange) and i.row.get("removed_at") for i in intents):
        summary.removed += 1
    elif any(isinstance(i, NewPost) for i in intents):
        summary.new += 1
    elif any(_is_edit(i) for i in intents):
        summary.changed += 1
    else:
        summary.unchanged += 1


def _is_edit(intent: Intent) -> bool:
    """A new version: a version row, or a report row's version moving (a blog's other posts keep no
    version rows, but their edits are edits)."""
    return isinstance(intent, NewReportVersion) or (
        isinstance(intent, ReportChange) and "version" in intent.row
    )


# -- a whole run -----------------------------------------------------------------------------------
def due_sources(config: Config, store: Store, now: datetime) -> list[SourceConfig]:
    """Sources whose next_check_at has passed (or that were never polled)."""
    return [s for s in config.sources if policy.is_due(store.source_row(s.name), now)]


async def run_async(
    config: Config,
    store: Store,
    *,
    names: Sequence[str] | None = None,
    trigger: str = "cli",
    due_only: bool = False,
    technical: bool = False,
    cache: ResponseCache | None = None,
    client: HttpClient | None = None,
    progress: Callable[[SourceSummary], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    catch_up_errors: Mapping[str, str] | None = None,
) -> RunResult:
    """Poll the chosen sources concurrently and write each as it completes. `transport` (the demo's
    replay of the snapshot) replaces only the sockets of the HttpClient built here.
    `catch_up_errors`: source → why its re-extraction before this run failed (job.catch_up_extraction),
    reported in that source's summary like a failure of its poll."""
    now = utcnow()
    sources = [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    if due_only:
        due = {s.name for s in due_sources(config, store, now)}
        sources = [s for s in sources if s.name in due]
    run_id = now.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    store.start_run(
        run_id,
        started_at=now.isoformat(timespec="seconds"),
        trigger=trigger,
        sources=[s.name for s in sources],
    )
    own_client = client is None
    http = client or HttpClient(
        config.fetch,
        user_agent=config.user_agent,
        allow_private=config.allow_private_addresses,
        cache=cache if cache is not None else store,
        transport=transport,
    )
    run = _Run(config, store, http, sources, RunResult(run_id, "ok"), technical, progress)
    run.catch_up_errors = dict(catch_up_errors or {})
    try:
        held = await run.poll_all()
    finally:
        if own_client:
            await http.aclose()
    run.finish(outage=run.write_held(held))
    return run.result


Polled = tuple[SourceConfig, SourceObservation, float]

# The share of the run's deadline a backfill may spend reading pages: what it read is then extracted,
# tracked and written (about as long again) before the deadline, and the next run goes on from there.
# Without it, a backfill longer than the deadline was cancelled whole, run after run.
BACKFILL_SHARE = 0.4


class _Run:
    """One run's sources: polled concurrently, each written as it completes (serially)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        http: HttpClient,
        sources: list[SourceConfig],
        result: RunResult,
        technical: bool,
        progress: Callable[[SourceSummary], None] | None,
    ) -> None:
        self.config, self.store, self.http, self.sources = config, store, http, sources
        self.result, self.technical, self.progress = result, technical, progress
        self.fetchers = {s.name: http.for_source(s.name, s.allowed_hosts) for s in sources}
        self.backfill_until = time.monotonic() + BACKFILL_SHARE * config.schedule.run_deadline
        self.adapters: dict[str, list[Source]] = {}
        self.catch_up_errors: dict[str, str] = {}

    async def poll_one(self, s: SourceConfig) -> Polled:
        started = time.monotonic()
        try:
            if s.type == "archive" or (getattr(s, "archive", False) and not self.technical):
                obs = await self._with_archive(s)  # the web archive (necwatch.webarchive)
            else:
                obs = await self._poll(s)
                if self.technical:  # its reports recovered from the archive: their captures again
                    self._reextract_recovered(s)
        except Exception as e:  # an adapter bug must not stop the other sources
            log.exception("adapter crashed", extra={"source": s.name})
            obs = SourceObservation(
                s.name, (), False, (Failure(s.url, "unexpected_page", f"adapter error: {e!r}"),)
            )
        return s, obs, time.monotonic() - started

    async def _poll(self, s: SourceConfig) -> SourceObservation:
        return await poll_source(
            s,
            self.fetchers[s.name],
            self.store,
            incremental=not self.technical,
            backfill_until=self.backfill_until,
            started=self.adapters.setdefault(s.name, []),
        )

    def _reextract_recovered(self, s: SourceConfig) -> None:
        """Re-extraction of a live source: the reports it recovered from the web archive were never
        live responses, so they are read again from their stored captures (written here)."""
        from necwatch.webarchive.run import reextract_recovered

        try:
            reextract_recovered(self.config, self.store, s, run_id=self.result.run_id)
        except Exception:  # the recovered reports' re-reading must never cost the live ones'
            log.exception("re-extracting recovered reports crashed", extra={"source": s.name})

    async def _with_archive(self, s: SourceConfig) -> SourceObservation:
        """A `type: archive` source is read by its backfill (written as it goes); a live source
        with `archive: true` is polled, then recovered from (docs/archive.md)."""
        from necwatch.webarchive.run import poll_archive_source, recover_from_archive

        run_id, until = self.result.run_id, self.backfill_until
        if s.type == "archive":
            if self.technical or not isinstance(self.http, HttpClient):  # re-extraction fetches nothing
                from necwatch.webarchive.run import reextract_archive_source

                # the stored captures, read again (technical versions with their provenance)
                return reextract_archive_source(self.config, self.store, s, run_id=run_id)
            return await poll_archive_source(
                self.config, self.store, s, self.http, run_id=run_id, now=utcnow(), deadline=until
            )
        obs = await self._poll(s)
        if not isinstance(self.http, HttpClient):
            return obs
        fetcher = self.fetchers[s.name]
        try:
            return await recover_from_archive(
                self.config,
                self.store,
                s,
                self.http,
                obs,
                fetcher,
                run_id=run_id,
                now=utcnow(),
                deadline=until,
            )
        except Exception:  # the archive's recovery must never cost the live poll
            log.exception("archive recovery crashed", extra={"source": s.name})
            return obs

    async def poll_all(self) -> list[Polled]:
        """Write each source as it completes. Sources that failed only at the network level are held
        back until every source is in: if all of them failed that way, it is a local outage
        (RELIABILITY X4), not N site failures. Returns the held ones."""
        # the deadline also bounds the extraction trials of the tasks' pages (extract.worker): a
        # trial cannot outlast it, as the synchronous work between two awaits otherwise could
        with worker.deadline(self.config.schedule.run_deadline):
            tasks = [asyncio.ensure_future(self.poll_one(s)) for s in self.sources]
        held: list[Polled] = []
        try:
            async with asyncio.timeout(self.config.schedule.run_deadline):
                for fut in asyncio.as_completed(tasks):
                    s, obs, seconds = await fut
                    if decide.network_failure(obs):
                        held.append((s, obs, seconds))
                    else:
                        self.write(s, obs, seconds)
        except TimeoutError:
            for t in tasks:
                t.cancel()
            done = {x.name for x in self.result.sources} | {s.name for s, _, _ in held}
            for s in self.sources:
                if s.name not in done:
                    self.write(s, self.salvage(s), 0.0, report=False)
        return held

    def salvage(self, s: SourceConfig) -> SourceObservation:
        """A source the run's deadline stopped: the posts it had read, written (every run keeps what it
        finished), its cursor kept; or, having read none, its failure only."""
        failure = Failure(s.url, "deadline", "the run deadline passed before this source finished")
        started = self.adapters.get(s.name)
        adapter = started[-1] if started else None
        if adapter is None or self.technical or not adapter.finished:
            return SourceObservation(s.name, (), False, (failure,))
        message = f"{failure.message}: the {len(adapter.finished)} posts read are kept, the rest next run"
        obs = adapter.salvage(replace(failure, message=message))
        previous = self.store.source_row(s.name) or {}
        if not backfilling(self.store, s.name, previous):  # new posts: the next poll reads them again
            return replace(obs, cursor=None)
        if obs.cursor is None:  # the next poll goes on from where this one started, as quietly
            return replace(obs, cursor={**self.store.cursor(s.name), BACKFILL_PENDING: True})
        # the cursor moved over the posts kept only (Source.salvaged_cursor): a backfill goes on
        return replace(obs, cursor={k: v for k, v in obs.cursor.items() if k != BACKFILL_PENDING})

    def write_held(self, held: list[Polled]) -> bool:
        """Write the held sources; returns whether the run was a local outage."""
        outage = len(self.sources) >= 2 and len(held) == len(self.sources)
        if outage:
            log.warning(
                "every source failed at the network level at once: a local outage? health streaks are kept",
                extra={"sources": len(self.sources), "run_id": self.result.run_id},
            )
        for s, obs, seconds in held:
            self.write(s, obs, seconds, outage=outage)
        return outage

    def write(
        self,
        s: SourceConfig,
        obs: SourceObservation,
        seconds: float,
        *,
        outage: bool = False,
        report: bool = True,
    ) -> None:
        """Write one source (a storage failure fails that source only), log it, tick the progress."""
        summary = SourceSummary(s.name, seconds=round(seconds, 2))
        try:
            write_observation(
                self.store,
                self.config,
                s,
                obs,
                self.fetchers[s.name],
                run_id=self.result.run_id,
                now=utcnow(),
                technical=self.technical,
                summary=summary,
                outage=outage,
            )
        except StoreError as e:
            summary.status, summary.error = "failed", f"{e.kind}: {e}"
            log.error("could not store source %s: %s", s.name, e, extra={"source": s.name, "kind": e.kind})
            if not self.technical:
                record_write_failure(
                    self.store, self.config, s, e, run_id=self.result.run_id, now=utcnow(), outage=outage
                )
        caught = self.catch_up_errors.get(s.name)
        if caught is not None:  # polled all the same; its re-extraction is tried again next run
            summary.warnings.append(caught)
            summary.error = summary.error or caught
            if summary.status == "ok":
                summary.status = "partial"
        self.result.sources.append(summary)
        log.info(
            "polled", extra={"source": s.name, **{k: v for k, v in asdict(summary).items() if k != "name"}}
        )
        if report and self.progress:
            self.progress(summary)

    def finish(self, *, outage: bool) -> None:
        """robots.txt records, pointer links, the run's status and its row."""
        store = self.store
        try:  # robots.txt bodies and validators, so the next run's robots.txt requests are conditional
            with store.transaction():
                take = getattr(self.http, "take_robots_records", None)  # ArchiveClient (reextract) has none
                store.record_fetches(take() if take is not None else [], self.result.run_id)
        except StoreError as e:
            log.warning("could not store robots.txt fetches: %s", e, extra={"kind": e.kind})
        store.link_pointers()
        statuses = {x.status for x in self.result.sources}
        status = (
            "ok" if statuses <= {"ok"} else ("failed" if statuses <= {"failed", "deferred"} else "partial")
        )
        self.result.status = "outage" if outage else status
        store.finish_run(
            self.result.run_id,
            finished_at=utcnow().isoformat(timespec="seconds"),
            status=self.result.status,
            summary={x.name: asdict(x) for x in self.result.sources},
        )


def report_id_for(content: str) -> str:
    return stable_id("report", content_hash(content))
