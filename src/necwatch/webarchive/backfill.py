"""One source's backfill from the archive: list, pick, fetch, judge, track, store, resume.

    listing    the CDX index of the site's URL prefix, collapsed by URL key, 200 HTML captures only,
               paged by resume key (the key is saved after each page: a stopped listing resumes)
    captures   for each post page picked (webarchive.pick), its own captures (collapsed by digest:
               a run of identical captures is one row), oldest first, newer than the last one read;
               each fetched raw (`id_`) unless its digest is stored (captures are immutable), judged
               (webarchive.verdict), and a version fed to the same Tracker as a live poll, whose
               clock is the capture's time: versions, first-seen times and alerts carry the capture
               time, never the publication time, and alerts are backfill alerts (recorded, never
               pushed). Each capture is written in its own transaction with its provenance and the
               post's last capture read, so a run stopped anywhere resumes at the next capture.

Two modes. `archive` (`type: archive`): every post's whole history. `recover` (`archive: true` on
a live source): a removed post whose full text was never stored gets the latest good capture
before its removal; a post the archive knows and the live site no longer serves (404/410, or a
host that no longer resolves) and necwatch never stored is stored from its captures, then marked
removed with the capture as evidence; posts the live site still serves are the live poll's, but
for their captures older than their first stored version, which become their earlier versions
(webarchive.history). `archive` also reads the captures that say a post is gone (404/410, a
permanent redirect to another page): the post is removed at that capture's time.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from necwatch import diffs
from necwatch.alerts import AlertKind
from necwatch.config import Config, SourceConfig
from necwatch.errors import FetchError, ParseError
from necwatch.extract.feeds import FeedFields
from necwatch.fetch import Fetcher
from necwatch.intents import (
    Alert,
    Intent,
    NewComment,
    NewCommentVersion,
    NewReport,
    NewReportVersion,
    PostChange,
    ReportChange,
)
from necwatch.models import Comment, Failure, Outcome, Post, PostObservation
from necwatch.record.derive import report_record, roster_of
from necwatch.sources.registry import PLATFORMS
from necwatch.store import Store
from necwatch.store.archive import StoredCapture
from necwatch.track import Tracker, post_key
from necwatch.track.state import StoredPost
from necwatch.webarchive.cdx import CdxRow, cdx_url, parse_cdx, parse_timestamp, surt, timestamp_of
from necwatch.webarchive.client import ArchiveRequests, BudgetSpent
from necwatch.webarchive.history import earlier_history
from necwatch.webarchive.memento import parse_archive_url, raw_url, replay_url
from necwatch.webarchive.pick import (
    comment_post_url,
    is_comment_feed_url,
    is_feed_url,
    is_listing_url,
    is_post_url,
    site_key,
    site_shapes,
)
from necwatch.webarchive.verdict import Judged, judge, same_post

log = logging.getLogger("necwatch.webarchive")  # the summary of each backfill, at info

__all__ = ["ArchiveSummary", "Backfill", "on_site"]

HTML_200 = ("statuscode:200", "mimetype:text/html")
# `archive`: a post's own captures with the statuses that say it is gone too (404/410, a permanent
# redirect), read for removals; a 200 is still read only as an HTML page
POST_EVIDENCE = ("statuscode:(?:200|301|308|404|410)",)
GONE = frozenset({"404", "410"})
MOVED = frozenset({"301", "308"})
FEED_TYPES = "mimetype:.*(?:rss|atom|xml).*"  # RSS and Atom, as sites label them
LIST_PAGE = 500  # CDX rows per listing page
SAVE_EVERY = 25  # posts read between two saves of the posts still to read
Mode = Literal["archive", "recover"]


@dataclass
class ArchiveSummary:
    """What one backfill run found (printed by `necwatch archive`)."""

    source: str
    captures_listed: int = 0
    posts: int = 0  # post pages picked from the listing (this run's listing, or the pending ones)
    feeds: int = 0  # posts feeds captured, read for posts whose pages were never captured
    listings: int = 0  # HTML listing pages captured (home, tag, label pages), read for such posts too
    comment_feeds: int = 0  # comment feeds captured (a post's or the site's), read last
    comments: int = 0  # new comments stored: printed on captured pages, or from comment feeds
    captures: int = 0  # captures judged this run
    fetched: int = 0  # of them, fetched from the archive (the others were stored by digest)
    versions: int = 0
    new_reports: int = 0
    recovered: int = 0
    skipped_live: int = 0  # recover: posts the live site still serves (the live poll's)
    histories: int = 0  # recover: live posts whose captures before their first version were read
    earlier_versions: int = 0  # of the versions, those put before a live post's first version
    removed: int = 0  # archive: posts the archive's own captures say are gone (404/410, redirected)
    not_versions: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    waited: float = 0.0  # seconds slept for the delay between two requests
    complete: bool = False  # the listing and every post picked were read
    stopped: str | None = None  # why the run stopped early (budget, rate limit, an error)
    failures: list[Failure] = field(default_factory=list)
    dry_run: bool = False

    def line(self) -> str:
        state = "complete" if self.complete else f"stopped: {self.stopped}" if self.stopped else "partial"
        return (
            f"{self.source}: captures listed {self.captures_listed}, posts {self.posts}, feeds {self.feeds}, "
            f"new reports {self.new_reports}, recovered reports {self.recovered}, versions {self.versions} "
            f"(captures read {self.captures}, fetched {self.fetched}, requests {self.requests}; {state})"
        )


def on_site(original: str, base: str) -> str:
    """The archive's original URL on the source's own scheme and host (the archive may hold
    `http://` or `www.` forms of the site's https URLs), so a post has one identity."""
    if site_key(original) != site_key(base):
        return original
    src, orig = urlsplit(base), urlsplit(original)
    return f"{src.scheme}://{src.netloc}{orig.path or '/'}" + (f"?{orig.query}" if orig.query else "")


def _query_url(url: str) -> str:
    """The CDX `url` of a site or prefix: without its scheme (the index ignores it)."""
    parts = urlsplit(url)
    return parts.netloc + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Backfill:
    def __init__(
        self,
        config: Config,
        store: Store,
        source: SourceConfig,
        requests: ArchiveRequests,
        *,
        archive_url: str,
        run_id: str,
        now: datetime,
        mode: Mode = "archive",
        since: str | None = None,
        until: str | None = None,
        dry_run: bool = False,
        live: Fetcher | None = None,
        known: Iterable[str] = (),
    ) -> None:
        self.config, self.store, self.source, self.requests = config, store, source, requests
        self.archive, self.run_id, self.now, self.mode = archive_url, run_id, now, mode
        self.since, self.until, self.dry_run, self.live = since, until, dry_run, live
        self.known = set(store.known_posts(source.name)) | set(known)
        self.tz = ZoneInfo(source.timezone)
        self.shapes = site_shapes(source.type)  # `recover` knows the live source's platform
        self.platform = source.type if source.type in PLATFORMS else None  # its page reader too
        self.summary = ArchiveSummary(source.name, dry_run=dry_run)
        self.roster = roster_of(config)
        self._before = store.archive_progress(source.name)
        # recover: live posts seen by this poll, not stored yet: their history waits for the next run
        self.waiting: list[str] = list(self._before.get("history") or [])

    # -- the run ----------------------------------------------------------------------------
    async def run(self) -> ArchiveSummary:
        s = self.summary
        pending: list[str] | None = None  # set once listed: saved when the run stops early
        try:
            if self.mode == "recover" and not self.dry_run:
                await self._recover_removed()
                await self._histories_waiting()
            pending = await self._listing()
            s.feeds = sum(1 for u in pending if is_feed_url(u, self.shapes))
            s.comment_feeds = sum(1 for u in pending if is_comment_feed_url(u, self.shapes))
            s.listings = sum(1 for u in pending if is_listing_url(u, self.shapes))
            s.posts = len(pending) - s.feeds - s.comment_feeds - s.listings
            if not self.dry_run:
                for i, url in enumerate(list(pending), start=1):
                    await self._post(url)
                    pending.remove(url)
                    # the list of posts to read is rewritten every SAVE_EVERY posts, not after each
                    # (each post's last capture read is saved with its writes: a post read again after
                    # a stop costs one CDX query, no capture)
                    if not pending or i % SAVE_EVERY == 0:
                        self._save_progress(phase="captures" if pending else "done", pending=pending)
                if not pending and not (s.posts or s.feeds or s.comment_feeds or s.listings):
                    # nothing to read: the listing completes it
                    self._save_progress(phase="done", pending=[])
                s.complete = not pending
        except BudgetSpent as e:
            s.stopped = str(e)
        except FetchError as e:
            s.stopped = f"{e.kind}: {e}"
            s.failures.append(Failure.from_error(e))
        if s.stopped and pending is not None and not self.dry_run:
            self._save_progress(phase="captures", pending=pending)  # the next run starts here
        s.requests, s.waited = self.requests.made, round(self.requests.waited, 2)
        return s

    # -- listing ----------------------------------------------------------------------------
    async def _listing(self) -> list[str]:
        """The post pages to read: the pending ones of a stopped run, else a listing (resumed from
        its saved key, or started: from the end of the last complete listing, incrementally)."""
        progress = self.store.archive_progress(self.source.name)
        same_range = (progress.get("range_from"), progress.get("range_to")) == (self.since, self.until)
        phase = progress.get("phase") if progress and (same_range or not (self.since or self.until)) else None
        pending: list[str] = list(progress.get("pending") or []) if phase in ("listing", "captures") else []
        if phase == "captures":
            return pending
        resume = progress.get("resume_key") if phase == "listing" else None
        since = self.since or (progress.get("listed_until") if phase == "done" else None)
        started = timestamp_of(self.now)
        listed = set(pending)
        while True:
            url = cdx_url(
                self.archive,
                _query_url(self.source.url),
                collapse="urlkey",
                filters=HTML_200,
                since=since,
                until=self.until,
                limit=LIST_PAGE,
                resume_key=resume,
            )
            page = parse_cdx((await self.requests.get(url, accept="application/json")).text)
            self.summary.captures_listed += len(page.rows)
            for row in page.rows:
                if is_post_url(row.original, self.shapes) or is_listing_url(row.original, self.shapes):
                    post = on_site(row.original, self.source.url)
                    if post not in listed:
                        listed.add(post)
                        pending.append(post)
            resume = page.resume_key
            if not self.dry_run:  # "listing" until the feeds are listed too (a stop re-lists the rest)
                self._save_progress(phase="listing", pending=pending, resume_key=resume)
            if resume is None:
                break
        feeds = await self._feed_listing(since)
        # listing pages after the post pages (a post read from its own page is not read from them)
        pending = [u for u in pending if not is_listing_url(u, self.shapes)] + [
            u for u in pending if is_listing_url(u, self.shapes)
        ]
        pending += [f for f in feeds if f not in listed]  # after the pages: their posts come first
        if not self.dry_run:
            # only a listing of everything is complete "up to now" (a --from/--to range is not)
            whole = not (self.since or self.until)
            listed_until = started if whole else progress.get("listed_until")
            self._save_progress(phase="captures", pending=pending, listed_until=listed_until)
        return pending

    async def _feed_listing(self, since: str | None) -> list[str]:
        """The site's captured feeds (one CDX listing, feed types only): posts feeds, whose entries
        may hold posts whose pages the archive never captured, then comment feeds (read last: the
        comments of the posts stored by then)."""
        url = cdx_url(
            self.archive,
            _query_url(self.source.url),
            collapse="urlkey",
            filters=("statuscode:200", FEED_TYPES),
            since=since,
            until=self.until,
            limit=LIST_PAGE,
        )
        page = parse_cdx((await self.requests.get(url, accept="application/json")).text)
        self.summary.captures_listed += len(page.rows)
        posts = [
            on_site(r.original, self.source.url) for r in page.rows if is_feed_url(r.original, self.shapes)
        ]
        comments = [
            on_site(r.original, self.source.url)
            for r in page.rows
            if is_comment_feed_url(r.original, self.shapes)
        ]
        return list(dict.fromkeys([*posts, *comments]))

    def _save_progress(self, **row: Any) -> None:
        s = self.summary
        out = {
            "source": self.source.name,
            "range_from": self.since,
            "range_to": self.until,
            "updated_at": self.now.isoformat(timespec="seconds"),
            "history": list(self.waiting),
            **row,
        }
        if row.get("phase") == "done":
            out["completed_at"] = self.now.isoformat(timespec="seconds")
            out["resume_key"] = None
        base = self._before  # counts are cumulative over the source's runs
        for key, value in (
            ("captures_listed", s.captures_listed),
            ("captures_fetched", s.fetched),
            ("versions", s.versions),
            ("new_reports", s.new_reports),
            ("recovered", s.recovered),
            ("requests", self.requests.made),
        ):
            out[key] = int(base.get(key) or 0) + value
        out["posts"] = len(out.get("pending") or []) if row.get("phase") == "listing" else s.posts
        with self.store.transaction():
            self.store.save_archive_progress(out)

    # -- one post ---------------------------------------------------------------------------
    async def _captures_of(
        self, url: str, *, after: str | None, until: str | None, filters: Sequence[str] = HTML_200
    ) -> list[CdxRow]:
        since = None
        if after:
            since = timestamp_of(parse_timestamp(after) + timedelta(seconds=1))
        if self.since and (since is None or self.since > since):
            since = self.since
        query = cdx_url(
            self.archive,
            _query_url(url),
            match_type="exact",
            collapse="digest",
            filters=filters,
            since=since,
            until=until or self.until,
            limit=10_000,
        )
        rows = parse_cdx((await self.requests.get(query, accept="application/json")).text).rows
        return sorted(rows, key=lambda r: r.timestamp)

    async def _post(self, url: str) -> None:
        if is_feed_url(url, self.shapes):
            await self._feed(url)
            return
        if is_comment_feed_url(url, self.shapes):
            await self._comment_feed(url)
            return
        if is_listing_url(url, self.shapes):
            await self._listing_page(url)
            return
        pid = post_key(self.source.name, url)
        stored = self.store.stored_posts_of(self.source.name, [pid], [url])
        if self.mode == "recover" and stored:
            # the live poll's, but for its captures from before necwatch watched it
            await self._history(url, next((p for p in stored if p.id == pid), stored[0]))
            return
        if self.mode == "recover" and url in self.known:
            if url not in self.waiting:  # seen by this poll, stored after: its history next run
                self.waiting.append(url)
            return
        last = self.store.archive_post_last(self.source.name, url)
        gone: str | None = None
        if self.mode == "recover" and not last:  # asked of the live site first: no archive request
            gone = await self._live_gone(url)
            if gone is None:  # the live site serves it (or could not say): the live poll's
                self.summary.skipped_live += 1
                return
        evidence = self.mode == "archive"  # the archive's word on removals is read only for its own posts
        rows = await self._captures_of(
            url, after=last, until=None, filters=POST_EVIDENCE if evidence else HTML_200
        )
        if not rows:
            return
        ops_all: list[Intent] = []
        previous_digest: str | None = None
        for row in rows:
            if row.digest == previous_digest:
                continue
            previous_digest = row.digest
            if row.statuscode != "200":
                judged = await self._gone_or_moved(url, row)
                if judged is None:
                    continue
            elif row.mimetype != "text/html":
                continue
            else:
                judged = await self._judge(row)
            ops_all += self._store_capture(url, row, judged)
        if gone is not None and any(isinstance(op, NewReport) for op in ops_all):
            self._mark_pre_watch(url, rows, ops_all, gone)

    async def _live_gone(self, url: str) -> str | None:
        """Whether the live site no longer serves `url`: the removal reason, or None when it does
        (or the answer says nothing: a timeout, a 5xx)."""
        if self.live is None:
            return None
        try:
            await self.live.get(url)
        except FetchError as e:
            if e.status in (404, 410):
                return f"pre_watch_http_{e.status}"
            if e.kind == "dns":
                return "pre_watch_no_host"
            return None
        return None

    async def _feed_captures(self, url: str) -> AsyncIterator[tuple[CdxRow, list[FeedFields]]]:
        """A captured feed's captures newer than the last one read, oldest first, each digest once:
        (the capture, its entries: none when it was an error page or not a feed). Each is kept."""
        from necwatch.extract.feeds import parse_any_feed

        last = self.store.archive_post_last(self.source.name, url)
        rows = await self._captures_of(url, after=last, until=None, filters=("statuscode:200",))
        seen: set[str] = set()
        for row in rows:
            if row.digest in seen:
                continue
            seen.add(row.digest)
            self.summary.captures += 1
            status, _final, _ctype, body, soft = await self._fetch(row)
            entries: list[FeedFields] = []
            if status == 200 and soft is None:
                try:
                    entries = parse_any_feed(row.original, body.decode("utf-8", "replace"))
                except ParseError:
                    self.summary.not_versions["not a feed"] += 1
            self._keep(row, status, "application/rss+xml", body, "feed", None)
            yield row, entries

    def _read_up_to(self, url: str, row: CdxRow) -> None:
        """Remember `row` as the last capture of `url` read (a later run reads only newer ones)."""
        self.store.save_archive_post(
            {
                "source": self.source.name,
                "url": url,
                "last_timestamp": row.timestamp,
                "updated_at": self.now.isoformat(timespec="seconds"),
            }
        )

    async def _feed(self, url: str) -> None:
        """A captured posts feed: its entries with full content for posts necwatch has stored no
        version of and whose pages the archive has no capture of (those were read from their pages),
        each a version at the feed capture's time. Excerpts are never a report's body."""
        from necwatch.sources.feed import entry_post, looks_like_excerpt

        async for row, entries in self._feed_captures(url):
            for fields in entries:
                if not fields.link or looks_like_excerpt(fields):
                    continue
                link = on_site(fields.link, self.source.url)
                if site_key(link) != site_key(self.source.url) or not is_post_url(link, self.shapes):
                    continue
                pid = post_key(self.source.name, link)
                if self.store.stored_posts_of(self.source.name, [pid], [link]) or link in self.known:
                    continue  # stored (from its page, or live): the page is the better source
                if self.store.archive_post_last(self.source.name, link):
                    continue
                gone = None
                if self.mode == "recover":  # only a post the live site no longer serves
                    gone = await self._live_gone(link)
                    if gone is None:
                        self.summary.skipped_live += 1
                        continue
                post = entry_post(fields, self.tz, self.source.author)
                ops = self._store_capture(link, row, Judged(_with_url(post, link), None))
                if gone is not None and any(isinstance(op, NewReport) for op in ops):
                    self._mark_pre_watch(link, [row], ops, gone)
            if not self.dry_run:
                with self.store.transaction():
                    self._read_up_to(url, row)

    async def _listing_page(self, url: str) -> None:
        """A captured listing page (home, tag, label, date archive), captures oldest first: each post it
        shows whole (never an excerpt: a "more" link, a summary) whose page the archive never captured
        and necwatch never stored is read from its article, with the same layers as a page, and
        becomes a version at the listing capture's time, whose provenance names the listing capture."""
        last = self.store.archive_post_last(self.source.name, url)
        rows = await self._captures_of(url, after=last, until=None)
        seen: set[str] = set()
        for row in rows:
            if row.digest in seen:
                continue
            seen.add(row.digest)
            self.summary.captures += 1
            status, _final, ctype, body, soft = await self._fetch(row)
            articles = _listing_articles(row.original, ctype, body) if status == 200 and soft is None else []
            if not articles:
                self.summary.not_versions["not a listing"] += 1
            self._keep(row, status, ctype, body, "listing", None)
            for link, title, html in articles:
                link = on_site(link, self.source.url)
                if site_key(link) != site_key(self.source.url) or not is_post_url(link, self.shapes):
                    continue
                pid = post_key(self.source.name, link)
                if self.store.stored_posts_of(self.source.name, [pid], [link]) or link in self.known:
                    continue  # stored (from its page, a feed, or live): the page is the better source
                if self.store.archive_post_last(self.source.name, link):
                    continue
                if _is_excerpt(html):
                    self.summary.not_versions["excerpt"] += 1
                    continue
                post = self._article_post(link, title, html)
                if post is None:
                    self.summary.not_versions["not a post"] += 1
                    continue
                gone = None
                if self.mode == "recover":
                    gone = await self._live_gone(link)
                    if gone is None:
                        self.summary.skipped_live += 1
                        continue
                ops = self._store_capture(link, row, Judged(_with_url(post, link), None))
                if gone is not None and any(isinstance(op, NewReport) for op in ops):
                    self._mark_pre_watch(link, [row], ops, gone)
            if not self.dry_run:
                with self.store.transaction():
                    self._read_up_to(url, row)

    def _article_post(self, link: str, title: str, html: str) -> Post | None:
        """A listing's article as a page of its own (its title, its permalink), read with the same
        layers as a page; None when they do not read it as a post."""
        from necwatch.extract.page import extract_post

        try:
            extracted = extract_post(_article_page(link, title, html), link, None, tz=self.tz)
            return extracted.to_post(tz=self.tz, default_author=self.source.author)
        except ParseError:
            return None

    async def _comment_feed(self, url: str) -> None:
        """A captured comment feed (a post's or the site's), captures oldest first: each entry's post
        is its link's page; the comments of a post necwatch stores (from its pages or feeds, by now)
        go through the same comment tracking as a live poll, at the capture's time, as backfill
        (alerts recorded, never pushed). A feed holds only the latest comments, so one missing from a
        capture is never taken as removed. `recover`: only posts stored as removed (the live poll
        reads the comments of the others)."""
        from necwatch.sources.feed import entry_comment  # as the live feed source reads one

        async for row, entries in self._feed_captures(url):
            by_post: dict[str, list[Comment]] = {}
            for n, fields in enumerate(entries, start=1):
                post_url = comment_post_url(fields.link or "", self.shapes)
                if post_url is None:
                    continue
                post_url = on_site(post_url, self.source.url)
                if site_key(post_url) != site_key(self.source.url):
                    continue
                by_post.setdefault(post_url, []).append(entry_comment(fields, n, self.tz))
            if self.dry_run:
                continue
            with self.store.transaction():
                for post_url, comments in sorted(by_post.items()):
                    self._store_comments(post_url, comments, row)
                self._read_up_to(url, row)

    def _store_comments(self, url: str, comments: Sequence[Comment], row: CdxRow) -> None:
        from necwatch.normalize import content_hash
        from necwatch.pipeline import _Index, normalize_comment

        pid = post_key(self.source.name, url)
        found = self.store.stored_posts_of(self.source.name, [pid], [url])
        stored = next((p for p in found if p.id == pid), None) or next(
            (p for p in found if p.url == url), None
        )
        if stored is None or not stored.report_id:
            return  # a post necwatch does not store (not picked, or not readable): its comments wait
        if self.mode == "recover" and stored.removed_at is None:
            return  # the live poll's
        index = _Index(self.store)
        tracker = Tracker(
            source=self.source.name,
            run_id=self.run_id,
            now=row.captured_at,
            index=index,
            near=index.near_match,
            backfill=True,
            hash_of=content_hash,
            record_of=functools.partial(report_record, roster=self.roster),
        )
        observed = tuple(normalize_comment(c, self.config) for c in self._not_older(stored.id, comments, row))
        before = self.store.stored_comments([stored.id]).get(stored.id, {})
        tracker.comments.observe(
            stored.id, stored.report_id, observed, before, stored.is_nec_report, partial=True
        )
        ops = tracker.ops
        if ops:
            self.store.apply(ops)
            self._comment_provenance(ops, row)

    async def _fetch(self, row: CdxRow) -> tuple[int, str | None, str, bytes, str | None]:
        """(status, the original the archive finally served, content type, body, soft error) of a
        capture: from the database when its digest is stored, else fetched raw (`id_`)."""
        cached = self.store.archive_capture(row.digest)
        if cached is not None:
            soft = cached.reason if cached.verdict == "not_a_version" and not cached.body else None
            return cached.status, None, cached.mimetype, cached.body, soft
        self.summary.fetched += 1
        return await self._fetch_raw(row)

    async def _fetch_raw(self, row: CdxRow) -> tuple[int, str | None, str, bytes, str | None]:
        """A capture fetched raw (`id_`), its redirects inside the archive followed."""
        try:
            response = await self.requests.get(raw_url(self.archive, row.timestamp, row.original))
        except FetchError as e:
            if e.kind in ("unavailable", "challenge"):  # the fetcher's own soft-error check
                return 200, None, "text/html", b"", f"{e.kind}: {e}"
            if e.status is None or e.status == 429 or e.status >= 500:
                raise  # the archive failing, not the capture: stop, resume next run
            return e.status, None, "", b"", None
        ref = parse_archive_url(response.final_url)
        return response.status, ref.original if ref else None, response.content_type, response.content, None

    def _keep(
        self, row: CdxRow, status: int, ctype: str, body: bytes, verdict: str, reason: str | None
    ) -> None:
        """A capture fetched now, kept by digest (never fetched again)."""
        if self.dry_run or self.store.archive_capture(row.digest) is not None:
            return
        with self.store.transaction():
            self.store.save_archive_capture(
                {
                    "digest": row.digest,
                    "url": row.original,
                    "timestamp": row.timestamp,
                    "captured_at": row.captured_at.isoformat(timespec="seconds"),
                    "status": status,
                    "mimetype": ctype,
                    "verdict": verdict,
                    "reason": reason,
                    "source": self.source.name,
                    "fetched_at": self.now.isoformat(timespec="seconds"),
                },
                body,
            )

    async def _judge(self, row: CdxRow) -> Judged:
        self.summary.captures += 1
        return self._verdict(row, *await self._fetch(row))

    def _verdict(
        self, row: CdxRow, status: int, final: str | None, ctype: str, body: bytes, soft: str | None
    ) -> Judged:
        """A fetched capture judged (webarchive.verdict), counted and kept by digest."""
        s = self.summary
        if soft is not None:
            judged = Judged(None, soft)
        else:
            judged = judge(
                row.original,
                status,
                final,
                ctype,
                body,
                tz=self.tz,
                default_author=self.source.author,
                platform=self.platform,
            )
        if not judged.is_version:
            s.not_versions[(judged.reason or "").split(":")[0]] += 1
        self._keep(
            row, status, ctype, body, "version" if judged.is_version else "not_a_version", judged.reason
        )
        return judged

    def reextract(self) -> int:
        """`necwatch reextract` of a `type: archive` source: each post's latest capture judged a
        version, read again from its stored body (nothing fetched), and each post whose text came
        from a captured feed or listing page, from that capture; a changed extraction is a technical
        version (no alert), whose provenance is that capture. Returns versions written."""
        latest = {
            on_site(c.url, self.source.url): c for c in self.store.archive_version_captures(self.source.name)
        }
        before = self.summary.versions
        for url, c in sorted(latest.items()):
            judged = judge(
                c.url, 200, None, c.mimetype, c.body, tz=self.tz, default_author=self.source.author
            )
            self._track_again(url, c, judged)
        # posts whose text came from a captured feed or listing page: read from that capture again
        for url, c in self.store.entry_captures(self.source.name):
            if url in latest:
                continue  # its own page was captured too: read above
            self._track_again(url, c, self._reread(url, c))
        return self.summary.versions - before

    def reextract_recovered(self) -> int:
        """`necwatch reextract` of a live source's reports recovered from the archive (`archive:
        true`: removed reports never stored in full, posts gone before the first poll): each one's
        latest version is read again from the capture it came from (a page, a feed or a listing
        page, stored by digest; nothing fetched). A changed extraction is a technical version (no
        alert) whose provenance is that capture; the post and report stay removed. Returns versions
        written."""
        before = self.summary.versions
        for recovery in self.store.recoveries(self.source.name):
            origin = self.store.latest_provenance(recovery["report_id"]) if recovery["report_id"] else None
            capture = self.store.archive_capture(origin["digest"]) if origin and origin["digest"] else None
            url = self.store.post_url(recovery["post_id"])
            if capture is not None and url is not None:
                self._track_again(url, capture, self._reread(url, capture))
        return self.summary.versions - before

    def _track_again(self, url: str, capture: StoredCapture, judged: Judged) -> None:
        """A stored capture read again by a changed extractor: a technical version (no alert) with
        that capture's provenance; a removed post stays removed."""
        if judged.post is None:
            return
        row = _row_of(capture)
        ops = self._track(url, row, judged, technical=True, keep_removed=True)
        with self.store.transaction():
            self._apply(ops, row)

    def _reread(self, url: str, capture: StoredCapture) -> Judged:
        """The post at `url` as a stored capture gives it again, by what the capture was: a page
        (judged as when it was read), a posts feed (the entry linking to it, never an excerpt) or a
        listing page (the article showing it whole)."""
        from necwatch.extract.feeds import parse_any_feed
        from necwatch.sources.feed import entry_post, looks_like_excerpt

        if capture.verdict == "version":
            return judge(
                capture.url,
                200,
                None,
                capture.mimetype,
                capture.body,
                tz=self.tz,
                default_author=self.source.author,
                platform=self.platform,
            )
        if capture.verdict == "feed":
            try:
                entries = parse_any_feed(capture.url, capture.body.decode("utf-8", "replace"))
            except ParseError:
                entries = []
            for fields in entries:
                if (
                    fields.link
                    and on_site(fields.link, self.source.url) == url
                    and not looks_like_excerpt(fields)
                ):
                    return Judged(_with_url(entry_post(fields, self.tz, self.source.author), url), None)
        if capture.verdict == "listing":
            for link, title, html in _listing_articles(capture.url, capture.mimetype, capture.body):
                if on_site(link, self.source.url) == url and not _is_excerpt(html):
                    post = self._article_post(url, title, html)
                    return Judged(_with_url(post, url), None) if post else Judged(None, "not a post")
        return Judged(None, f"not in its capture: {capture.verdict}")

    def _track(
        self, url: str, row: CdxRow, judged: Judged, *, technical: bool = False, keep_removed: bool = False
    ) -> list[Intent]:
        """The intents of one capture observed as a poll at the capture's time (re-extracting: now).
        `keep_removed`: a recovered post read again stays removed and is not seen now."""
        from necwatch.normalize import content_hash
        from necwatch.pipeline import _Index, normalize_post

        assert judged.post is not None
        post = judged.post if judged.post.url == url else _with_url(judged.post, url)
        pid = post_key(self.source.name, url)
        found = self.store.stored_posts_of(self.source.name, [pid], [url])
        stored = next((p for p in found if p.id == pid), None) or next(
            (p for p in found if p.url == url), None
        )
        removed = keep_removed and stored is not None and stored.removed_at is not None
        if removed:
            assert stored is not None
            stored = replace(stored, removed_at=None)  # read as a live post: no restoration
        index = _Index(self.store)
        tracker = Tracker(
            source=self.source.name,
            run_id=self.run_id,
            now=self.now if technical else row.captured_at,
            index=index,
            near=index.near_match,
            backfill=True,  # old news: recorded, never pushed
            technical=technical,
            hash_of=content_hash,
            record_of=functools.partial(report_record, roster=self.roster),
        )
        # the comments the captured page prints, tracked at the capture's time like a live page's; a
        # page shows only some (its first comment page, the ones approved by then): never a removal.
        # A re-extraction leaves the comments as they are (its clock is now, not the capture's).
        comments = None if technical or judged.comments is None else judged.comments
        before = {}
        if comments is not None and stored is not None:
            before = self.store.stored_comments([stored.id]).get(stored.id, {})
            comments = self._not_older(stored.id, comments, row)
        norm = normalize_post(post, comments, self.source, self.config)
        obs = PostObservation(url, Outcome.FETCHED, post=post, comments=comments, comments_partial=True)
        tracker.observe(obs, norm, stored, before, listing_complete=False)
        if not removed:
            return tracker.ops
        ops: list[Intent] = []
        for op in tracker.ops:  # a capture read again is no sighting of the post
            if isinstance(op, PostChange) and stored is not None and op.key == stored.id:
                rest = {k: v for k, v in op.row.items() if k not in ("last_seen_at", "missing_polls")}
                if rest:
                    ops.append(PostChange(op.key, rest))
                continue
            ops.append(op)
        return ops

    def _not_older(self, post_id: str, comments: Sequence[Comment], row: CdxRow) -> tuple[Comment, ...]:
        """The comments of a capture less those stored from a later capture (pages are read before
        comment feeds, so a feed captured earlier comes after): an older capture never takes a
        comment back to an older text."""
        when = row.captured_at.isoformat(timespec="seconds")
        later = self.store.comments_changed_after(post_id, when)
        return tuple(c for c in comments if c.platform_id not in later)

    def _store_capture(self, url: str, row: CdxRow, judged: Judged) -> list[Intent]:
        from necwatch.pipeline import index_reports

        ops = self._track(url, row, judged) if judged.is_version else []
        if self.dry_run:
            return ops
        with self.store.transaction():
            self._apply(ops, row)
            self._read_up_to(url, row)
            index_reports(self.store, ops)
        return ops

    def _apply(self, ops: Sequence[Intent], row: CdxRow) -> None:
        if not ops:
            return
        self.store.apply(ops)
        provenance = [
            {"report_id": op.row["report_id"], "version": op.row["version"], **self._origin(row)}
            for op in ops
            if isinstance(op, NewReportVersion)
        ]
        self.store.add_provenance(provenance)
        self._comment_provenance(ops, row)
        self.store.derive_touched(ops, self.roster)
        self.summary.versions += len(provenance)
        self.summary.new_reports += sum(
            1 for op in ops if isinstance(op, NewReport) and op.row.get("is_nec_report")
        )

    # -- the archive's word that a post is gone (`archive`) -----------------------------------
    async def _gone_or_moved(self, url: str, row: CdxRow) -> Judged | None:
        """A capture of the post that is not a 200: a 404/410 (the index's status is the evidence:
        nothing is fetched) or a permanent redirect (fetched, to see where it led). Gone, or led to
        another page: the post is removed at the capture's time (None returned: written here). A
        redirect to this same post (`http:` to `https:`, a trailing slash) is judged as its page; one
        whose target the archive cannot serve says nothing (a failed fetch is never a deletion)."""
        s = self.summary
        if row.statuscode in GONE:
            s.captures += 1
            s.not_versions[f"http_{row.statuscode}"] += 1
            self._removed_in_archive(url, row, f"archive_http_{row.statuscode}", None)
            return None
        if row.statuscode not in MOVED:
            return None
        # always fetched, never kept by digest: redirect captures share digests (an empty body's)
        s.captures += 1
        s.fetched += 1
        status, final, ctype, body, soft = await self._fetch_raw(row)
        if status == 200 and soft is None and final is not None and not same_post(final, url):
            s.not_versions["redirect"] += 1
            self._removed_in_archive(url, row, "archive_redirect", final)
            return None
        if status == 200 and soft is None:
            judged = judge(url, status, final, ctype, body, tz=self.tz, default_author=self.source.author)
            if not judged.is_version:
                s.not_versions[(judged.reason or "").split(":")[0]] += 1
            return judged
        s.not_versions["redirect"] += 1  # its target never captured: where it led is unknown
        return Judged(None, "redirect")

    def _removed_in_archive(self, url: str, row: CdxRow, reason: str, target: str | None) -> None:
        """The post's own capture says it is gone: a stored post still live is removed at the
        capture's time (its report too when no other post shows it), with a backfill
        report_removed alert and the capture as evidence (archive_removals). A post never stored,
        or already removed, only moves its last capture read on."""
        pid = post_key(self.source.name, url)
        found = self.store.stored_posts_of(self.source.name, [pid], [url])
        stored = next((p for p in found if p.id == pid), None) or (found[0] if found else None)
        at = row.captured_at.isoformat(timespec="seconds")
        if self.dry_run:
            return
        with self.store.transaction():
            if stored is not None and stored.removed_at is None:
                opened = replay_url(self.archive, row.timestamp, row.original)
                when = row.captured_at.date().isoformat()
                said = f"redirected to {target}" if target else f"answered HTTP {row.statuscode}"
                said += f" when the web archive captured it on {when} ({opened})"
                ops: list[Intent] = [PostChange(stored.id, {"removed_at": at, "removed_reason": reason})]
                if stored.report_id and self.store.live_posts(stored.report_id) <= 1:
                    ops.append(ReportChange(stored.report_id, {"removed_at": at}))
                if stored.is_nec_report:
                    ops.append(
                        Alert.new(
                            AlertKind.REPORT_REMOVED,
                            f"{stored.id}:archive:{row.timestamp}",
                            source=self.source.name,
                            run_id=self.run_id,
                            created_at=at,
                            backfill=True,  # the archive's past: recorded, never pushed
                            report_id=stored.report_id,
                            post_id=stored.id,
                            title=stored.title,
                            url=stored.url,
                            summary=f"{stored.url} {said}",
                        )
                    )
                self.store.apply(ops)
                self.store.derive_touched(ops, self.roster)
                self.store.add_archive_removal(
                    {
                        "post_id": stored.id,
                        "captured_at": at,
                        "report_id": stored.report_id,
                        "source": self.source.name,
                        "status": int(row.statuscode),
                        "reason": reason,
                        "original_url": row.original,
                        "target": target,
                        "archive_url": opened,
                        "digest": row.digest,
                    }
                )
                self.summary.removed += 1
            self._read_up_to(url, row)

    # -- a live post's captures from before necwatch watched it (`recover`) --------------------
    async def _histories_waiting(self) -> None:
        """The posts the last run's poll saw before storing them: their history now they are stored."""
        for url in list(self.waiting):
            pid = post_key(self.source.name, url)
            found = self.store.stored_posts_of(self.source.name, [pid], [url])
            if found:
                await self._history(url, next((p for p in found if p.id == pid), found[0]))
            self.waiting.remove(url)  # never stored (the poll failed it): the live poll's again

    async def _history(self, url: str, stored: StoredPost) -> None:
        """A stored live post's captures older than its report's first stored version become its
        earlier versions (webarchive.history), put before the stored ones in one transaction; read
        once (archive_posts remembers it). A blog's other posts keep no versions: nothing asked; nor
        for a report whose first version row is not 1 (a post that became an NEC report by an edit:
        its first versions were a non-report's, kept as a hash only)."""
        from necwatch.normalize import content_hash
        from necwatch.pipeline import normalize_post

        if not stored.report_id or self.store.archive_post_last(self.source.name, url):
            return
        first = self.store.first_version(stored.report_id)
        if first is None or first["version"] != 1:
            return  # no versions kept (not an NEC report), or its first ones were not a report's
        until = timestamp_of(datetime.fromisoformat(first["seen_at"]) - timedelta(seconds=1))
        rows = await self._captures_of(url, after=None, until=until)
        read = []
        previous: str | None = None
        for row in rows:
            if row.digest == previous:
                continue
            previous = row.digest
            judged = await self._judge(row)
            if judged.post is not None:
                post = judged.post if judged.post.url == url else _with_url(judged.post, url)
                read.append((row, normalize_post(post, None, self.source, self.config)))
        history = earlier_history(read, content_hash(first["body_text"] or ""), first["title"] or "")
        versions, provenance, changed = history.rows(
            stored.report_id,
            stored.id,
            self.run_id,
            first,
            lambda r: replay_url(self.archive, r.timestamp, r.original),
        )
        alerts = [
            Alert.new(
                AlertKind.REPORT_EDITED,
                f"{stored.report_id}:archive:{e.row.digest}",  # never a live edit's key (its number)
                source=self.source.name,
                run_id=self.run_id,
                created_at=v["seen_at"],
                backfill=True,  # an edit made before necwatch watched: recorded, never pushed
                report_id=stored.report_id,
                post_id=stored.id,
                title=e.norm.title,
                url=url,
                diff=v["diff"],
                summary=f"Version {v['version']}: {diffs.summary(b.norm.body_text, e.norm.body_text)}",
            )
            for b, e, v in zip(history.versions, history.versions[1:], versions[1:], strict=False)
        ]
        first_seen = (
            history.first_seen.captured_at.isoformat(timespec="seconds") if history.first_seen else None
        )
        if self.dry_run:
            return
        with self.store.transaction():
            if versions or first_seen:
                self.store.prepend_versions(
                    stored.report_id, stored.id, versions, provenance, changed, first_seen
                )
                self.store.apply(alerts)
            self.store.save_archive_post(
                {
                    "source": self.source.name,
                    "url": url,
                    "last_timestamp": rows[-1].timestamp if rows else until,
                    "versions": len(versions),
                    "updated_at": self.now.isoformat(timespec="seconds"),
                }
            )
        self.summary.histories += 1
        self.summary.versions += len(versions)
        self.summary.earlier_versions += len(versions)

    def _comment_provenance(self, ops: Sequence[Intent], row: CdxRow) -> None:
        """Each comment version written from a capture (a page printing it, a comment feed) records
        that capture (migration 20); the summary counts the new comments."""
        self.store.add_comment_provenance(
            {"comment_id": op.row["comment_id"], "version": op.row["version"], **self._origin(row)}
            for op in ops
            if isinstance(op, NewCommentVersion)
        )
        self.summary.comments += sum(1 for op in ops if isinstance(op, NewComment))

    def _origin(self, row: CdxRow) -> dict[str, Any]:
        """Where a version's text came from: this capture (a report's or a comment's provenance)."""
        return {
            "origin": "archive",
            "captured_at": row.captured_at.isoformat(timespec="seconds"),
            "original_url": row.original,
            "archive_url": replay_url(self.archive, row.timestamp, row.original),
            "digest": row.digest,
        }

    # -- recovery ---------------------------------------------------------------------------
    def _mark_pre_watch(self, url: str, rows: Sequence[CdxRow], ops: Sequence[Intent], reason: str) -> None:
        """A post gone before necwatch's first poll, now stored from its captures: removed (now, by
        `reason`), recovered, its newest capture the evidence."""
        pid = post_key(self.source.name, url)
        report_id = next((op.row["id"] for op in ops if isinstance(op, NewReport)), None)
        ts = self.now.isoformat(timespec="seconds")
        evidence = rows[-1]
        with self.store.transaction():
            changes: list[Intent] = [PostChange(pid, {"removed_at": ts, "removed_reason": reason})]
            stored = self.store.stored_posts_of(self.source.name, [pid], [url])
            report_id = stored[0].report_id if stored else report_id
            if report_id and self.store.live_posts(report_id) <= 1:
                changes.append(ReportChange(report_id, {"removed_at": ts}))
            self.store.apply(changes)
            self.store.derive_touched(changes, self.roster)
            self._recovered(pid, report_id, "pre_watch", evidence)

    def _recovered(self, pid: str, report_id: str | None, kind: str, row: CdxRow) -> None:
        self.store.add_recovery(
            {
                "post_id": pid,
                "report_id": report_id,
                "source": self.source.name,
                "kind": kind,
                "captured_at": row.captured_at.isoformat(timespec="seconds"),
                "original_url": row.original,
                "archive_url": replay_url(self.archive, row.timestamp, row.original),
                "digest": row.digest,
                "recovered_at": self.now.isoformat(timespec="seconds"),
            }
        )
        self.summary.recovered += 1

    async def _recover_removed(self) -> None:
        """Removed posts whose full text was never stored (an excerpt only): the latest good capture
        before the removal becomes the report's text; the post and report stay removed."""
        for post in self.store.removed_without_text(self.source.name):
            until = timestamp_of(datetime.fromisoformat(post["removed_at"]))
            rows = await self._captures_of(post["url"], after=None, until=until)
            for row in reversed(rows):
                judged = await self._judge(row)
                if not judged.is_version:
                    continue
                ops = [*self._track(post["url"], row, judged)]
                report_id = next(
                    (
                        op.row.get("report_id")
                        for op in ops
                        if isinstance(op, PostChange) and op.key == post["id"]
                    ),
                    None,
                )
                ops.append(
                    PostChange(
                        post["id"],
                        {"removed_at": post["removed_at"], "removed_reason": post["removed_reason"]},
                    )
                )
                if report_id:
                    ops.append(ReportChange(report_id, {"removed_at": post["removed_at"]}))
                with self.store.transaction():
                    self._apply(ops, row)
                    from necwatch.pipeline import index_reports

                    index_reports(self.store, ops)
                    self._recovered(post["id"], report_id, "removed", row)
                break


def _row_of(capture: StoredCapture) -> CdxRow:
    """A stored capture as the CDX row it was read from (its provenance names it the same way)."""
    return CdxRow(surt(capture.url), capture.timestamp, capture.url, capture.mimetype, "200", capture.digest)


def _with_url(post: Any, url: str) -> Any:
    from dataclasses import replace

    return replace(post, url=url)


# one post on a listing page, and the marks of a post cut short: HTML's and microformats' own, then
# every platform's (the registry's listing_post and excerpt_mark)
_ARTICLES = "article, .hentry, .post"
_EXCERPT_MARKS = ".entry-summary, .post-summary, .read-more, .post-excerpt"


def _with_platforms(generic: str, attribute: str) -> str:
    from necwatch.sources.registry import platforms

    return ", ".join([generic, *(getattr(p, attribute) for p in platforms() if getattr(p, attribute))])


def _listed_articles(tree: Any, url: str, cards: Sequence[Any]) -> list[tuple[str, str, str]]:
    """(post URL, title, article HTML) of each card of a listing whose post the page shows in an
    article element of its own (the outermost holding that card's link and no other card's)."""
    from urllib.parse import urljoin

    wanted = {c.url: c.title for c in cards}
    out: dict[str, tuple[str, str, str]] = {}
    for node in tree.css(_with_platforms(_ARTICLES, "listing_post"))[:200]:
        hrefs = {urljoin(url, a.attributes.get("href") or "").split("#")[0] for a in node.css("a[href]")}
        mine = [u for u in wanted if u in hrefs]
        if len(mine) != 1 or mine[0] in out:
            continue
        out[mine[0]] = (mine[0], wanted[mine[0]], node.html or "")
    return list(out.values())


def _listing_articles(original: str, ctype: str, body: bytes) -> list[tuple[str, str, str]]:
    """(post URL, title, article HTML) of the posts a captured listing page shows in article elements
    of their own; none when the capture is not an HTML page, is a soft error or has no such article."""
    from necwatch.extract.cards import post_links
    from necwatch.extract.select import parse_html
    from necwatch.fetch.classify import not_the_post

    if "html" not in ctype.lower() or not_the_post(body) is not None:
        return []
    try:
        tree = parse_html(body.decode("utf-8", "replace"), original)
        return _listed_articles(tree, original, post_links(tree, original))
    except ParseError:
        return []


def _is_excerpt(html: str) -> bool:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    if tree.css_first(_with_platforms(_EXCERPT_MARKS, "excerpt_mark")) is not None:
        return True
    text = " ".join((tree.body.text(separator=" ") if tree.body else "").split()).lower()
    return text.endswith(("continue reading", "read more", "[…]", "[...]", "…"))


def _article_page(url: str, title: str, article: str) -> str:
    """One post of a listing as a page of its own: its title, its permalink as canonical, its article."""
    from html import escape

    return (
        f"<!doctype html><html><head><title>{escape(title)}</title>"
        f'<link rel="canonical" href="{escape(url)}"></head><body>{article}</body></html>'
    )
