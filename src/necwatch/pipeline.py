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
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from necwatch import dedupe
from necwatch.config import Config, SourceConfig
from necwatch.errors import StoreError
from necwatch.extract import EXTRACTOR_VERSION
from necwatch.extract.sanitize import clean_html
from necwatch.fetch import Fetcher, HttpClient, ResponseCache
from necwatch.models import Comment, Failure, Outcome, Post, PostObservation, SourceObservation
from necwatch.normalize import Classification, canonical_author, classify, content_hash, normalized_text
from necwatch.schedule import effective_interval, next_poll_at
from necwatch.sources import SourceContext, source_class
from necwatch.store import Store
from necwatch.track import Normalized, NormalizedComment, ReportRef, Tracker, post_key, stable_id

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


@dataclass
class RunResult:
    run_id: str
    status: str  # ok, partial, failed
    sources: list[SourceSummary] = field(default_factory=list)
    feeds_written: int = 0
    delivered: int = 0

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
    return value.astimezone(UTC).isoformat(timespec="seconds")


# -- normalize: Post → what tracking compares ------------------------------------------------------
def normalize_post(
    post: Post, comments: tuple[Comment, ...] | None, source: SourceConfig, config: Config
) -> Normalized:
    """Classify, hash, sanitize and put times in UTC. Pure."""
    cls = _classify(post, source.match)
    return Normalized(
        url=post.url,
        platform_id=post.platform_id,
        title=post.title,
        title_key=normalized_text(post.title),
        author=canonical_author(post.author, config.authors, source.author),
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
    )


def normalize_comment(comment: Comment, config: Config) -> NormalizedComment:
    body_html = comment.body_html or "<p>" + html.escape(comment.body_text).replace("\n", "<br>") + "</p>"
    return NormalizedComment(
        comment=comment,
        content_hash=content_hash(comment.body_text),
        published_at=to_utc_iso(comment.published_at),
        author=canonical_author(comment.author, config.authors, None) or "Anonymous",
        clean_html=clean_html(body_html, comment.url),
    )


@functools.lru_cache(maxsize=1024)
def _classify(post: Post, match: str | None) -> Classification:
    """classify(), once per post: the adapter asks it (wants_comments) and so does normalize_post."""
    return classify(post, match)


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

    def near_candidates(self, published_at: str | None) -> list[ReportRef]:
        return [r for r in self.store.near_candidates(published_at) if r.is_nec_report]

    def report_for_url(self, url: str) -> str | None:
        return self.store.report_for_url(url)

    def live_posts(self, report_id: str) -> int:
        return self.store.live_posts(report_id)


@functools.lru_cache(maxsize=4096)
def _shingles_of(content_hash: str, text: str) -> dedupe.Shingles:
    """Shingles of a stored report version, computed once per run and process (keyed by its hash)."""
    return dedupe.shingles(text)


def near_matcher(text: str, candidates: list[ReportRef]) -> tuple[str, float] | None:
    return dedupe.find_near_duplicate(
        text, [(c.id, _shingles_of(c.content_hash, c.body_text)) for c in candidates]
    )


# -- one source ------------------------------------------------------------------------------------
async def poll_source(source: SourceConfig, fetcher: Fetcher, store: Store) -> SourceObservation:
    """Run the adapter; an unexpected adapter bug is logged and becomes a failed listing."""
    known = {}
    for url, published in store.known_posts(source.name).items():
        known[url] = datetime.fromisoformat(published) if published else None
    ctx = SourceContext(config=source, fetcher=fetcher, wants_comments=wants_comments(source), known=known)
    adapter = source_class(source.type)(ctx)
    return await adapter.poll()


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
    """Decide and write everything one poll of one source found, in one transaction.

    `outage`: every source of the run failed at the network level at once (a local outage, not the
    sites): the failures are recorded, but the source's failure streak and health are left as they were.
    """
    previous = store.source_row(source.name) or {}
    ts = now.isoformat(timespec="seconds")
    failures = list(obs.failures)
    stored_posts = store.stored_posts(source.name)
    by_url = {p.url: p for p in stored_posts.values()}
    post_ids = [post_key(source.name, o.url) for o in obs.posts]
    stored_comments = store.stored_comments(post_ids)
    # A complete listing that suddenly shows nothing while posts are stored is a broken source (a
    # redesign, an emptied feed), not a mass deletion: the listing counts as failed and no 404 seen
    # in this poll is evidence of a removal.
    listing_complete = obs.listing_complete
    live = sum(1 for p in stored_posts.values() if p.removed_at is None)
    empty_listing = listing_complete and live > 0 and not any(o.listed for o in obs.posts)
    if empty_listing:
        failures.append(Failure(source.url, "parse_empty", f"listing empty, {live} posts stored"))
        listing_complete = False
    # An HTML page served short (a fatal error mid-render, a proxy cutting the stream) with a matching
    # Content-Length looks like a good 200: its partial text must not become a version.
    cut_pages = _cut_short(fetcher.records)
    failures += [Failure(u, "truncated", "HTML page ends before </html>", final_url=f) for u, f in cut_pages]
    cut = {u for pair in cut_pages for u in pair}
    if cut:
        listing_complete = False
    own_pages = {r.url for r in fetcher.records} | {r.final_url for r in fetcher.records}
    tracker = Tracker(
        source=source.name,
        run_id=run_id,
        now=now,
        index=_Index(store),
        near=near_matcher,
        backfill=not previous.get("last_ok_at"),
        technical=technical,
        hash_of=content_hash,
    )
    observed: list[PostObservation] = []
    for o in obs.posts:
        pid = post_key(source.name, o.url)
        stored = stored_posts.get(pid) or by_url.get(o.url)
        norm = None
        if o.outcome is Outcome.FETCHED:
            post = o.post
            assert post is not None
            if not post.body_text.strip():
                failures.append(Failure(o.url, "parse_empty", "the post page has no body text"))
                o = PostObservation(o.url, Outcome.FAILED, listed=o.listed)
            elif o.url in cut or (cut and post.via == "html" and o.url not in own_pages):
                # its own page was cut short, or it was read from a listing page and one was
                o = PostObservation(o.url, Outcome.FAILED, listed=o.listed)
            else:
                norm = normalize_post(post, o.comments, source, config)
        elif o.outcome is Outcome.NOT_MODIFIED and o.comments is not None:
            norm = _comments_only(o, source, config)
        elif o.outcome is Outcome.GONE and empty_listing:
            kind = "gone" if o.http_status == 410 else "not_found"  # FETCH_ERROR_KINDS, not http_404
            failures.append(Failure(o.url, kind, "gone, listing empty: unknown", http_status=o.http_status))
            o = PostObservation(o.url, Outcome.FAILED, listed=o.listed)
        observed.append(o)
        before = len(tracker.ops)
        tracker.observe(o, norm, stored, stored_comments.get(pid, {}), listing_complete=listing_complete)
        _count(summary, o, stored, tracker.ops[before:])
    summary.failed = len({f.url for f in failures})
    # Every post read failing (pages that parse to nothing) is a source health problem too.
    all_failed = bool(observed) and all(o.outcome is Outcome.FAILED for o in observed)
    listing_failed = not listing_complete or all_failed
    summary.status = "failed" if listing_failed else ("partial" if failures else "ok")
    summary.requests = fetcher.requests
    summary.not_modified = sum(1 for r in fetcher.records if r.status == 304)
    summary.bytes = sum(r.bytes for r in fetcher.records)
    if fetcher.deferred_until is not None:
        summary.status = "deferred" if listing_failed else summary.status

    robots_records = getattr(getattr(fetcher, "client", None), "robots_records", ())
    moved = _moved_to(source, failures, robots_records) if listing_failed else None
    if moved is not None:
        # An operator alert, pushed even on a first poll; one per new location (deterministic id).
        tracker._alert(
            "source_moved",
            f"{source.name}:{urlsplit(moved).netloc.lower()}",
            title=f"Source {source.name} moved",
            summary=f"{source.url} redirects to {moved}, a host outside the source's allow-list: not "
            "followed. Update the source's url (or allow_hosts) in the config if the move is genuine.",
            url=moved,
            backfill=0,
        )
    before = previous.get("consecutive_failures") or 0
    streak = (before if outage else before + 1) if listing_failed else 0
    unhealthy_after = config.schedule.unhealthy_after
    health = "ok" if streak == 0 else ("unhealthy" if streak >= unhealthy_after else "failing")
    if streak == unhealthy_after and streak != before:
        tracker._alert(
            "source_unhealthy",
            f"{source.name}:{run_id}",
            title=f"Source {source.name} is failing",
            summary=f"{streak} consecutive failed polls; last error: "
            + (failures[0].kind + " " + failures[0].url if failures else "unknown"),
            url=source.url,
        )
    elif streak == 0 and (previous.get("consecutive_failures") or 0) >= unhealthy_after:
        tracker._alert(
            "source_recovered",
            f"{source.name}:{run_id}",
            title=f"Source {source.name} recovered",
            summary="The source was polled successfully again",
            url=source.url,
        )
    deferred = fetcher.deferred_until
    source_row: dict[str, Any] = {
        "name": source.name,
        "type": source.type,
        "url": source.url,
        "last_polled_at": ts,
        "consecutive_failures": streak,
        "health": health,
        "last_run_id": run_id,
        "deferred_until": deferred.isoformat(timespec="seconds") if deferred else None,
        "next_check_at": next_poll_at(
            now,
            interval=effective_interval(config, store, source, now),
            consecutive_failures=streak,
            max_backoff=config.schedule.max_backoff,
            deferred_until=deferred,
        ).isoformat(timespec="seconds"),
    }
    if not listing_failed:
        source_row["last_ok_at"] = ts
    if failures:
        source_row["last_error"] = f"{failures[0].kind}: {failures[0].url}: {failures[0].message}"[:500]
        source_row["last_error_kind"] = failures[0].kind
    elif not listing_failed:
        source_row["last_error"] = None
        source_row["last_error_kind"] = None
    summary.alerts = tracker.alerts
    with store.transaction():  # any SQLite failure rolls the source back whole and raises StoreError
        store.record_fetches(fetcher.records, run_id)
        store.record_failures(failures, source=source.name, run_id=run_id, ts=ts)
        summary.writes = store.apply(tracker.ops)
        source_row["posts"] = store.db.execute(
            "select count(*) from posts where source = ? and removed_at is null", [source.name]
        ).fetchone()[0]
        store.upsert_source(source_row)


# Redirect statuses that mean "moved for good" (the fetch layer puts the refused hop's status on the
# host_not_allowed error; None, no status known, is taken as a move too).
PERMANENT_REDIRECTS = frozenset({301, 308, None})


def _moved_to(source: SourceConfig, failures: Sequence[Failure], robots: Sequence[Any]) -> str | None:
    """Where the source redirects to, when its listing (or its robots.txt) is redirected to a host
    outside its allow-list (kind host_not_allowed, final_url = the refused target)."""
    home = urlsplit(source.url).netloc.lower()
    refused = [(f.url, f.final_url, f.http_status) for f in failures if f.kind == "host_not_allowed"]
    refused += [
        (r.url, r.final_url, r.status)
        for r in robots
        if r.source == source.name and r.error_kind == "host_not_allowed"
    ]
    for url, final, status in refused:
        if status not in PERMANENT_REDIRECTS or not final:
            continue
        if urlsplit(url).netloc.lower() == home and urlsplit(final).netloc.lower() not in ("", home):
            return str(final)
    return None


def _cut_short(records: Sequence[Any]) -> list[tuple[str, str]]:
    """(url, final_url) of HTML documents fetched in full (200) that end before their </html> tag."""
    cut = []
    for r in records:
        ctype = (r.content_type or "").lower()
        if r.body is None or "html" not in ctype or "xml" in ctype:
            continue
        if b"</html" not in r.body[-4096:].lower():
            cut.append((r.url, r.final_url))
    return cut


def _comments_only(o: PostObservation, source: SourceConfig, config: Config) -> Normalized:
    comments = tuple(normalize_comment(c, config) for c in o.comments or ())
    return Normalized(
        o.url,
        None,
        "",
        "",
        None,
        None,
        None,
        (),
        "",
        "",
        "",
        False,
        False,
        None,
        None,
        None,
        "",
        EXTRACTOR_VERSION,
        comments,
    )


def _count(summary: SourceSummary, o: PostObservation, stored: Any, ops: Sequence[Any]) -> None:
    tables = {(op.table, op.action) for op in ops}
    summary.comments += sum(1 for op in ops if op.table == "comments" and op.action == "insert")
    if o.outcome is Outcome.FAILED:
        return
    if any(op.table == "posts" and "removed_at" in op.row and op.row["removed_at"] for op in ops):
        summary.removed += 1
    elif ("posts", "insert") in tables:
        summary.new += 1
    elif ("report_versions", "insert") in tables:
        summary.changed += 1
    else:
        summary.unchanged += 1


# -- a whole run -----------------------------------------------------------------------------------
def due_sources(config: Config, store: Store, now: datetime) -> list[SourceConfig]:
    """Sources whose next_check_at has passed (or that were never polled)."""
    due = []
    for s in config.sources:
        row = store.source_row(s.name) or {}
        at = row.get("next_check_at")
        if not at or datetime.fromisoformat(at) <= now:
            due.append(s)
    return due


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
) -> RunResult:
    """Poll the chosen sources concurrently and write each as it completes."""
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
    result = RunResult(run_id, "ok")
    own_client = client is None
    http = client or HttpClient(
        config.fetch,
        user_agent=config.user_agent,
        allow_private=config.allow_private_addresses,
        cache=cache if cache is not None else store,
    )
    fetchers = {s.name: http.for_source(s.name, s.allowed_hosts) for s in sources}

    async def one(s: SourceConfig) -> tuple[SourceConfig, SourceObservation, float]:
        started = time.monotonic()
        try:
            obs = await poll_source(s, fetchers[s.name], store)
        except Exception as e:  # an adapter bug must not stop the other sources
            log.exception("adapter crashed", extra={"source": s.name})
            obs = SourceObservation(
                s.name, (), False, (Failure(s.url, "unexpected_page", f"adapter error: {e!r}"),)
            )
        return s, obs, time.monotonic() - started

    tasks = [asyncio.ensure_future(one(s)) for s in sources]
    # Sources that failed only at the network level wait until every source is in: if all of them
    # failed that way, it is a local outage (RELIABILITY X4), not N site failures.
    held: list[tuple[SourceConfig, SourceObservation, float]] = []

    def write(s: SourceConfig, obs: SourceObservation, seconds: float, outage: bool = False) -> None:
        summary = SourceSummary(s.name, seconds=round(seconds, 2))
        _write(store, config, s, obs, fetchers[s.name], run_id, technical, summary, result, outage)
        if progress:
            progress(summary)

    try:
        async with asyncio.timeout(config.schedule.run_deadline):
            for fut in asyncio.as_completed(tasks):
                s, obs, seconds = await fut
                if _network_failure(obs):
                    held.append((s, obs, seconds))
                else:
                    write(s, obs, seconds)
    except TimeoutError:
        done = {x.name for x in result.sources} | {s.name for s, _, _ in held}
        for t in tasks:
            t.cancel()
        for s in sources:
            if s.name in done:
                continue
            obs = SourceObservation(
                s.name,
                (),
                False,
                (Failure(s.url, "deadline", "the run deadline passed before this source finished"),),
            )
            summary = SourceSummary(s.name)
            _write(store, config, s, obs, fetchers[s.name], run_id, technical, summary, result)
    finally:
        if own_client:
            await http.aclose()
    outage = len(sources) >= 2 and len(held) == len(sources)
    if outage:
        log.warning(
            "every source failed at the network level at once: a local outage? health streaks are kept",
            extra={"sources": len(sources), "run_id": run_id},
        )
    for s, obs, seconds in held:
        write(s, obs, seconds, outage)
    try:  # robots.txt bodies and validators, so the next run's robots.txt requests are conditional
        with store.transaction():
            take = getattr(http, "take_robots_records", None)  # ArchiveClient (reextract) has none
            store.record_fetches(take() if take is not None else [], run_id)
    except StoreError as e:
        log.warning("could not store robots.txt fetches: %s", e, extra={"kind": e.kind})
    store.link_pointers()
    statuses = {x.status for x in result.sources}
    result.status = (
        "ok" if statuses <= {"ok"} else ("failed" if statuses <= {"failed", "deferred"} else "partial")
    )
    if outage:
        result.status = "outage"
    store.finish_run(
        run_id,
        finished_at=utcnow().isoformat(timespec="seconds"),
        status=result.status,
        summary={x.name: asdict(x) for x in result.sources},
    )
    return result


def _write(
    store: Store,
    config: Config,
    s: SourceConfig,
    obs: SourceObservation,
    fetcher: Fetcher,
    run_id: str,
    technical: bool,
    summary: SourceSummary,
    result: RunResult,
    outage: bool = False,
) -> None:
    try:
        write_observation(
            store,
            config,
            s,
            obs,
            fetcher,
            run_id=run_id,
            now=utcnow(),
            technical=technical,
            summary=summary,
            outage=outage,
        )
    except StoreError as e:
        summary.status, summary.error = "failed", f"{e.kind}: {e}"
        log.error("could not store source %s: %s", s.name, e, extra={"source": s.name, "kind": e.kind})
    result.sources.append(summary)
    log.info(
        "polled",
        extra={"source": s.name, **{k: v for k, v in asdict(summary).items() if k != "name"}},
    )


# Failure kinds that say "the network between us and the site", not "the site".
NETWORK_KINDS = frozenset({"connect", "dns", "timeout", "tls", "robots_unavailable"})


def _network_failure(obs: SourceObservation) -> bool:
    """The listing failed and every failure is a network-level one (nothing was read)."""
    return (
        not obs.listing_complete
        and bool(obs.failures)
        and all(f.kind in NETWORK_KINDS for f in obs.failures)
        and not any(o.outcome in (Outcome.FETCHED, Outcome.NOT_MODIFIED) for o in obs.posts)
    )


def report_id_for(content: str) -> str:
    return stable_id("report", content_hash(content))
