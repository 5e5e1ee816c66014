"""Source-level decisions, as pure functions: what a poll's observation means for the source.

`screen()` and `screen_post()` decide which parts of an observation are usable (a listing that
suddenly shows nothing, a page cut short, a post page with no body are failures, never data);
`decide_source()` turns the screened outcome and the source's stored row into a `SourceVerdict`:
its status, failure streak and health, the operator alerts (moved, unhealthy, recovered) and the
`sources` row to write, with the next poll time. Posts are decided by necwatch.track; the pipeline
writes both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from necwatch import policy
from necwatch.alerts import AlertKind
from necwatch.config import ScheduleSettings, SourceConfig
from necwatch.fetch.classify import soft_error_said
from necwatch.intents import Alert
from necwatch.models import Failure, FetchRecord, Outcome, PostObservation, SourceObservation

# Redirect statuses that mean "moved for good" (the fetch layer puts the refused hop's status on the
# host_not_allowed error; None, no status known, is taken as a move too).
PERMANENT_REDIRECTS = frozenset({301, 308, None})

# Failure kinds that say "the network between us and the site", not "the site".
# A post body this short that says a soft-error sentence is that error, not the post (an NEC report
# runs to hundreds of words; a firewall's block page, details included, to about a hundred).
SOFT_ERROR_BODY_WORDS = 150
NETWORK_KINDS = frozenset({"connect", "dns", "timeout", "tls", "robots_unavailable"})


@dataclass(frozen=True)
class Screening:
    """What the whole observation says before any post is looked at."""

    listing_complete: bool
    empty_listing: bool  # a complete listing showing nothing while posts are stored
    cut: frozenset[str]  # URLs (and final URLs) of HTML pages cut short
    own_pages: frozenset[str]  # every URL fetched in this poll
    failures: tuple[Failure, ...]


def screen(
    obs: SourceObservation, records: Sequence[FetchRecord], live_stored: int, listing_url: str
) -> Screening:
    """A complete listing that suddenly shows nothing while posts are stored is a broken source (a
    redesign, an emptied feed), not a mass deletion: the listing counts as failed and no 404 seen in
    this poll is evidence of a removal. An HTML page served short (a fatal error mid-render, a proxy
    cutting the stream) with a matching Content-Length looks like a good 200: it is a failure too."""
    failures = list(obs.failures)
    listing_complete = obs.listing_complete
    empty_listing = (
        listing_complete
        and not obs.partial
        and live_stored > 0
        and not obs.unread
        and not any(o.listed for o in obs.posts)
    )
    if empty_listing:
        failures.append(Failure(listing_url, "parse_empty", f"listing empty, {live_stored} posts stored"))
        listing_complete = False
    cut_pages = cut_short(records)
    failures += [Failure(u, "truncated", "HTML page ends before </html>", final_url=f) for u, f in cut_pages]
    cut = frozenset(u for pair in cut_pages for u in pair)
    if cut:
        listing_complete = False
    own = frozenset({r.url for r in records} | {r.final_url for r in records})
    return Screening(listing_complete, empty_listing, cut, own, tuple(failures))


def screen_post(o: PostObservation, screening: Screening) -> tuple[PostObservation, Failure | None]:
    """The post's observation as tracking may use it: unusable reads become FAILED (never evidence)."""
    failed = PostObservation(o.url, Outcome.FAILED, listed=o.listed)
    if o.outcome is Outcome.FETCHED:
        post = o.post
        assert post is not None
        if not post.body_text.strip():
            return failed, Failure(o.url, "parse_empty", "the post page has no body text")
        # a body of a few sentences saying "Error establishing a database connection", a firewall's
        # block…: a soft error inside the site's own chrome (fetch/classify.py), not the post
        if len(post.body_text.split()) < SOFT_ERROR_BODY_WORDS and (said := soft_error_said(post.body_text)):
            return failed, Failure(o.url, said[0], said[1])
        cut = screening.cut
        # its own page was cut short, or it was read from a listing page (html) and one was
        if o.url in cut or (cut and post.via == "html" and o.url not in screening.own_pages):
            return failed, None
    elif o.outcome is Outcome.GONE and screening.empty_listing:
        kind = "gone" if o.http_status == 410 else "not_found"  # FETCH_ERROR_KINDS, not http_404
        return failed, Failure(o.url, kind, "gone, listing empty: unknown", http_status=o.http_status)
    return o, None


def cut_short(records: Sequence[FetchRecord]) -> list[tuple[str, str]]:
    """(url, final_url) of HTML documents fetched in full (200) that end before their </html> tag."""
    cut = []
    for r in records:
        ctype = (r.content_type or "").lower()
        if r.body is None or "html" not in ctype or "xml" in ctype:
            continue
        end = _HTML_END.get(r.body[:2], b"</html")
        if end not in r.body[-4096 * (len(end) // 6) :].lower():
            cut.append((r.url, r.final_url))
    return cut


# A UTF-16 page (its BOM says which order; fetch.encoding decodes it) spells </html> in two bytes a letter.
_HTML_END = {b"\xff\xfe": "</html".encode("utf-16-le"), b"\xfe\xff": "</html".encode("utf-16-be")}


def network_failure(obs: SourceObservation) -> bool:
    """The listing failed and every failure is a network-level one (nothing was read)."""
    return (
        not obs.listing_complete
        and bool(obs.failures)
        and all(f.kind in NETWORK_KINDS for f in obs.failures)
        and not any(o.outcome in (Outcome.FETCHED, Outcome.NOT_MODIFIED) for o in obs.posts)
    )


def moved_to(source: SourceConfig, failures: Sequence[Failure], robots: Sequence[FetchRecord]) -> str | None:
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


@dataclass(frozen=True)
class PollOutcome:
    """What the poll of one source came to, as decide_source() needs it."""

    failures: tuple[Failure, ...]
    listing_complete: bool
    all_posts_failed: bool  # every post read failed (pages that parse to nothing)
    deferred_until: datetime | None  # a Retry-After deferral
    moved_to: str | None  # a permanent redirect off the allow-list
    outage: bool = False  # every source of the run failed at the network level at once


@dataclass(frozen=True)
class SourceVerdict:
    status: str  # ok, partial, failed, deferred
    streak: int
    health: str
    alerts: tuple[Alert, ...]
    row: dict[str, Any] = field(default_factory=dict)  # the `sources` columns to write


def decide_source(
    source: SourceConfig,
    previous: Mapping[str, Any],
    outcome: PollOutcome,
    *,
    settings: ScheduleSettings,
    interval: float,
    now: datetime,
    run_id: str,
    technical: bool = False,
) -> SourceVerdict:
    """Status, failure streak, health, operator alerts and the next poll time of one source."""
    failures = outcome.failures
    listing_failed = not outcome.listing_complete or outcome.all_posts_failed
    status = "failed" if listing_failed else ("partial" if failures else "ok")
    if outcome.deferred_until is not None and listing_failed:
        status = "deferred"
    before = previous.get("consecutive_failures") or 0
    streak = policy.failure_streak(before, failed=listing_failed, outage=outcome.outage)
    alerts = (
        ()
        if technical
        else _health_alerts(source, previous, outcome, streak, settings, now, run_id, listing_failed)
    )
    ts = now.isoformat(timespec="seconds")
    deferred = outcome.deferred_until
    next_at = policy.next_poll_at(
        now,
        interval=interval,
        consecutive_failures=streak,
        max_backoff=settings.max_backoff,
        deferred_until=deferred,
    )
    row: dict[str, Any] = {
        "name": source.name,
        "type": source.type,
        "url": source.url,
        "last_polled_at": ts,
        "consecutive_failures": streak,
        "health": policy.health_of(streak, settings.unhealthy_after),
        "last_run_id": run_id,
        "deferred_until": deferred.isoformat(timespec="seconds") if deferred else None,
        "next_check_at": next_at.isoformat(timespec="seconds"),
    }
    if not listing_failed:
        row["last_ok_at"] = ts
    if failures:
        first = failures[0]
        row["last_error"] = f"{first.kind}: {first.url}: {first.message}"[:500]
        row["last_error_kind"] = first.kind
    elif not listing_failed:
        row["last_error"] = row["last_error_kind"] = None
    return SourceVerdict(status, streak, row["health"], alerts, row)


def _health_alerts(
    source: SourceConfig,
    previous: Mapping[str, Any],
    outcome: PollOutcome,
    streak: int,
    settings: ScheduleSettings,
    now: datetime,
    run_id: str,
    listing_failed: bool,
) -> tuple[Alert, ...]:
    """source_moved (pushed even on a first poll, one per new host), source_unhealthy when the streak
    reaches unhealthy_after, source_recovered when an unhealthy source succeeds again."""
    ts = now.isoformat(timespec="seconds")
    backfill = not previous.get("last_ok_at")
    common = {"source": source.name, "run_id": run_id, "created_at": ts}
    alerts = []
    if listing_failed and outcome.moved_to is not None:
        moved = outcome.moved_to
        alerts.append(
            Alert.new(
                AlertKind.SOURCE_MOVED,
                f"{source.name}:{urlsplit(moved).netloc.lower()}",
                **common,
                backfill=False,
                title=f"Source {source.name} moved",
                url=moved,
                summary=f"{source.url} redirects to {moved}, a host outside the source's allow-list: not "
                "followed. Update the source's url (or allow_hosts) in the config if the move is genuine.",
            )
        )
    before = previous.get("consecutive_failures") or 0
    limit = settings.unhealthy_after
    if streak == limit and streak != before:
        failures = outcome.failures
        last = failures[0].kind + " " + failures[0].url if failures else "unknown"
        alerts.append(
            Alert.new(
                AlertKind.SOURCE_UNHEALTHY,
                f"{source.name}:{run_id}",
                **common,
                backfill=backfill,
                title=f"Source {source.name} is failing",
                url=source.url,
                summary=f"{streak} consecutive failed polls; last error: {last}",
            )
        )
    elif streak == 0 and before >= limit:
        alerts.append(
            Alert.new(
                AlertKind.SOURCE_RECOVERED,
                f"{source.name}:{run_id}",
                **common,
                backfill=backfill,
                title=f"Source {source.name} recovered",
                url=source.url,
                summary="The source was polled successfully again",
            )
        )
    return tuple(alerts)
