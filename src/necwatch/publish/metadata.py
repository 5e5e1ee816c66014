"""Datasette metadata: what each table and column means, facets, sort orders, canned queries and feeds.

Everything a reader sees about the dataset is described here, in one dict, so `serve` and
`publish` show the same instance. Queries call two SQL functions the plugin registers
(`necwatch_clean_html`, `necwatch_fts_query`) so stored HTML is re-sanitized and user search text
can never be a syntax error.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from necwatch.alerts import AlertKind

# The kinds the Datasette changes feed shows: the public allow-list, as in changes.atom (feeds.py), so
# both list the same alerts and an operator kind never leaks into either.
_PUBLIC_KINDS = ", ".join(f"'{k.value}'" for k in AlertKind.public())

DEFAULT_TITLE = "necwatch: Labour NEC reports"
DESCRIPTION_HTML = (
    "<p>Reports that members of Labour's National Executive Committee publish after its meetings, "
    "collected from their blogs and from LabourList, with every later edit, removal and comment "
    "kept as a version. Search them, compare the reports of one meeting side by side, and "
    "subscribe to the Atom feeds.</p>"
)
SOURCE = "NEC members' blogs and LabourList (see the sources table)"
LICENSE = "Reports © their authors; quoted for reporting. Dataset structure: Apache-2.0"

# Columns never shown in table listings: a report body is ~15 KB; the row page shows it rendered.
BODY_COLUMNS = ("body_text", "body_html")

REPORT_COLUMNS = {
    "id": "Stable id of the report (one report may be published in several places).",
    "title": "Title as first published.",
    "author": "NEC member who wrote it (canonical spelling).",
    "published_at": "When the author published it (UTC).",
    "meeting_date": (
        "Date of the NEC meeting it reports on (YYYY-MM-DD, or YYYY-MM when only the month is known)."
    ),
    "meeting_kind": "full, special, away_day, sub_committees, clause_v …",
    "is_nec_report": "1 if this post is a report of an NEC meeting; 0 for other posts by the same authors.",
    "canonical_url": "Where the report was first published.",
    "source": "The source (blog or site) it was first found on.",
    "post_count": "Number of places it was published (see posts).",
    "comment_count": "Comments collected from every place it was published.",
    "version": "Current version number (see report_versions).",
    "content_hash": "Versioned hash of the normalized text; a change means a new version.",
    "first_seen_at": "When necwatch first saw it.",
    "updated_at": "When its text last changed.",
    "removed_at": "When it disappeared from every place it was published (empty while online).",
    "duplicate_of": "Id of the report this one republishes, when it is a copy.",
    "similarity": "Similarity to duplicate_of (shingle Jaccard).",
    "body_text": "Plain text of the report.",
    "body_html": "The report as HTML, sanitized (no scripts, no event handlers, no iframes).",
    "words": "Word count.",
    "meeting_year": "Year of the meeting.",
    "days_after_meeting": "Days between the meeting and the report's publication.",
}

# The reports table's own columns (REPORT_COLUMNS also describes reports_list's computed ones).
REPORT_SORTABLE = [c for c in REPORT_COLUMNS if c not in ("meeting_year", "days_after_meeting")]

# The search page counts matches up to this many, then says "more than": an exact count of a common
# word's 100,000 matches is a full doclist walk (seconds under load), and no reader pages that far.
# 1,000, not 10,000: NEC reports only are counted, a row read per match (1,000 in ~3 ms at 100,000
# reports; 10,000 took ~20 ms, most of the page).
SEARCH_COUNT_CAP = 1_000

# What the columns of the canned queries mean (each page lists only the columns it shows).
QUERY_COLUMNS = {
    **{k: v for k, v in REPORT_COLUMNS.items() if k not in BODY_COLUMNS},
    "report_id": "The report's id: opens the report page.",
    "published": "When the author published it (UTC).",
    "length_words": "Length of the report in words.",
    "versions": "How many versions necwatch has kept: opens them, with diffs.",
    "comments": "Comments collected: opens them.",
    "snippet": "Where the search words occur, highlighted.",
    "seen_at": "When necwatch saw this version.",
    "kind": "initial, edit (the author changed the text) or technical (necwatch's extractor changed).",
    "diff": "Paragraph-level changes from the previous version.",
    "word_diff": "Word-level changes from the previous version.",
    "created_at": "When the alert was raised (UTC).",
    "summary": "What happened.",
    "url": "The original page.",
    "diff_of": "For an edit: its versions with the diff.",
    "backfill": "1: recorded on a source's first poll, not pushed to subscribers.",
    "health": "ok, failing or unhealthy.",
    "errors_7d": "Failed fetches in the last 7 days.",
    "reports": "Reports of the meeting.",
    "comment_id": "The comment's id.",
    "matches": (
        f"How many reports match the search, in all pages, counted up to {SEARCH_COUNT_CAP + 1:,} "
        f"(more than {SEARCH_COUNT_CAP:,})."
    ),
    "name": "The name as the reports write it.",
    "count": "How many reports name it.",
    "report_ids": "The reports naming it: each opens its report page.",
    "is_other_post": "1: not an NEC report (another post of the same blog, an explainer, a pointer).",
    "points_to": "For a post that only points to a report published elsewhere: that report's id.",
    "edited_at": "When necwatch saw the edit (UTC).",
    "current_version": "The report's current version number.",
    "state": "removed (gone from every place it was published), came back, or still published elsewhere.",
    "came_back_at": "When it answered again after its removal.",
    "reason": "What the address answered when it was removed.",
    "last_text": "The start of the last text necwatch saw (the report page shows all of it).",
}

# The reports' records (necwatch.record; docs/record.md): derived from each NEC report's current text.
_PLACE = {
    "report_id": "The report it comes from.",
    "position": "Its place in the report's record (0 first).",
    "version": "The report version it was derived from (the current one).",
    "paragraph": "Stable id of the paragraph it comes from (derived from that paragraph's text).",
}
RECORD_TABLES: dict[str, dict[str, Any]] = {
    "records": {
        "description": (
            "One row per NEC report: the meeting its record found and how many items, decisions, "
            "people and statements it holds (derived from the current text, re-derived by reextract)."
        ),
        "facets": ["meeting_kind"],
        "columns": {
            "version": "The report version the record was derived from.",
            "content_hash": "That version's content hash.",
            "meeting_date": "The meeting the text reports on (YYYY-MM-DD, or YYYY-MM).",
            "unmatched": "Names in it no one on the roster matched.",
        },
    },
    "items": {
        "description": "The agenda items of each report, in order.",
        "columns": {**_PLACE, "title": "The item's heading.", "paragraphs": "The paragraphs it covers."},
    },
    "decisions": {
        "description": (
            "Every act of the NEC (or a sub-committee reported to it) a report states, with the sentence "
            "that states it. Vote counts only when the text states them: empty is 'count not reported'."
        ),
        "facets": ["outcome", "manner"],
        "columns": {
            **_PLACE,
            "quote": "The sentence that states it, exactly as written.",
            "subject": "What was decided, when one sentence holds several decisions.",
            "outcome": "carried, agreed, rejected, noted, referred or other.",
            "manner": "unanimous, acclamation, consensus, contested, or empty.",
            "votes_for": "Votes for, as stated.",
            "votes_against": "Votes against, as stated.",
            "abstentions": "Abstentions, as stated.",
            "item": "The agenda item it belongs to.",
        },
    },
    "mentions": {
        "description": (
            "Every person each report names, resolved on the meeting date (person_id empty: no one matched)."
        ),
        "facets": ["role"],
        "columns": {
            **_PLACE,
            "paragraph": "The first paragraph naming them.",
            "name": "The fullest form the report writes.",
            "canonical": "The roster's name for them.",
            "person_id": "Who they are on the roster (empty: unmatched).",
            "role": "Their role on the meeting date.",
            "paragraphs": "Every paragraph naming them.",
            "written": "Every form the report writes.",
        },
    },
    "statements": {
        "description": "'X said / asked / reported …' sentences, and members' own stated votes.",
        "facets": ["verb", "vote"],
        "columns": {
            **_PLACE,
            "quote": "The sentence, exactly as written.",
            "vote": "A stated vote (for, against, abstained).",
        },
    },
    "people": {
        "description": "The roster's persons the reports name.",
        "label_column": "name",
    },
    "memberships": {
        "description": "Their roster memberships: NEC seats by section, offices, with dates.",
        "facets": ["organization", "role", "section"],
        "columns": {
            "section": "An NEC member's section, or the post held.",
            "end_date": "Empty: still held.",
            "source": "Where the period comes from.",
        },
    },
    "unmatched_names": {
        "description": "Names no one on the roster matched: how many reports name each, and which (a view).",
    },
}


# The meeting page shows one column per report and one labelled row per field.
MEETING_LABELS = {
    "author": "Author", "title": "Report", "published": "Published",
    "days_after_meeting": "Days after the meeting", "length_words": "Length (words)",
    "versions": "Versions", "comments": "Comments", "report_id": "Report id", "canonical_url": "Original",
}  # fmt: skip
# Columns of the meeting page's JSON it does not show as a row (the source's short name reads as a
# person's: "Published on: luke-akehurst"; the address it was published at, "Original", instead).
MEETING_HIDDEN = ("source",)


SEARCH_PAGE_SIZE = 50
# Below this many matches a search page reads and sorts every match (a row read each); above it, when
# newest first, it walks the reports in date order (an index) and keeps those that match.
_SEARCH_FEW = 1_000
# Above this many matches (at 100,000 reports: one in ten or more), the walk checks each report against
# the search by its rowid (~40 µs, stopping after a page) instead of collecting every match first.
_SEARCH_DENSE = 10_000
_SEARCH_DENSE_PAGES = 10


def search_sql(count_cap: int, page_size: int = SEARCH_PAGE_SIZE) -> str:
    """The search page's one query: a page of matches, NEC reports only unless `:other` is '1', newest
    published first, or best match first (FTS5's bm25) when `:sort` is 'relevance'; `:page` is 1 when
    not given. Each row says whether it is another post and which report a pointer post points to;
    `matches` counts matching reports up to `count_cap` + 1.

    The way to the page depends on how many reports match (counted to _SEARCH_DENSE + 1 in the FTS
    index, no row read): few, every match is read and sorted (sorting a common word's 100,000
    matches by date took 170 ms); many, the reports are walked in date order (an index) keeping those
    in the set of matches; very many, each walked report is checked against the search by rowid,
    stopping after the page (2 ms for a word in every report). Each branch is a compound member whose
    LIMIT is 0 unless it is the one: SQLite evaluates a LIMIT once, before its loop (a subquery in a
    WHERE term is evaluated per row). Best match first reads every match's rank: ~1 s for a word in
    every one of 100,000 reports, the reader's choice, never the default."""
    match = "reports_fts match necwatch_fts_query(:q)"
    page = "max(coalesce(cast(nullif(:page, '') as integer), 1), 1)"
    offset = f"{page_size} * ({page} - 1)"
    raw = "(select raw from n)"
    dense = f"{raw} > {_SEARCH_DENSE} and {page} <= {_SEARCH_DENSE_PAGES}"
    branches = [
        f"""select * from (
    select case when :sort = 'relevance' then f.rank else 0 end as rk, r.published_at as published,
      r.rowid as rid
    from reports_fts f join reports r on r.rowid = f.rowid
    where {match} and (r.is_nec_report = 1 or :other = '1')
    order by rk, r.published_at desc, r.rowid desc
    limit case when :sort = 'relevance' or {raw} <= {_SEARCH_FEW} then {page_size} else 0 end
    offset {offset}
  )"""
    ]
    checks = (
        ("exists (select 1 from reports_fts f where " + match + " and f.rowid = r.rowid)", dense),
        ("r.rowid in (select rowid from reports_fts where " + match + ")", f"not ({dense})"),
    )
    for other, index, where in (
        ("!=", "idx_reports_is_nec_report_published_at", "r.is_nec_report = 1"),
        ("=", "idx_reports_published_at", "1"),
    ):
        for check, when in checks:
            many = f":sort != 'relevance' and :other {other} '1' and {raw} > {_SEARCH_FEW} and {when}"
            branches.append(
                f"""select * from (
    select 0 as rk, r.published_at as published, r.rowid as rid
    from reports r indexed by {index}
    where {where} and {check}
    order by r.published_at desc, r.rowid desc
    limit case when {many} then {page_size} else 0 end offset {offset}
  )"""
            )
    hits = "\n  union all\n  ".join(branches)
    return f"""with n as (
  select count(*) as raw from (select 1 from reports_fts where {match} limit {_SEARCH_DENSE + 1})
), hits as (
  {hits}
)
select r.id as report_id, r.title, r.author, r.published_at, r.meeting_date,
  1 - coalesce(r.is_nec_report, 0) as is_other_post, r.removed_at,
  (select p.pointer_report_id from posts p where p.report_id = r.id and p.pointer_report_id is not null
    limit 1) as points_to,
  necwatch_snippet(r.body_text, :q) as snippet,
  (select count(*) from (select 1 from reports_fts f join reports r on r.rowid = f.rowid
    where {match} and (r.is_nec_report = 1 or :other = '1') limit {count_cap + 1})) as matches
from hits
join reports r on r.rowid = hits.rid
order by hits.rk, hits.published desc, hits.rid desc"""


def _canned_queries(authors: list[str], count_cap: int) -> dict[str, dict[str, Any]]:
    """The queries linked from the home page; `authors` make the coverage grid's columns, and the
    search page counts matches up to `count_cap` (then says "more than")."""
    queries: dict[str, dict[str, Any]] = {
        "latest_reports": {
            "title": "Latest NEC reports",
            "description": "The 50 most recently published reports of NEC meetings.",
            "sql": """select r.id as report_id, r.published_at, r.author, r.title, r.meeting_date,
  r.meeting_kind, r.words, r.comment_count, r.version, r.canonical_url
from reports r
where r.is_nec_report = 1 and r.duplicate_of is null
order by r.published_at desc
limit 50""",
        },
        "meeting_reports": {
            "title": "An NEC meeting: every report of it, side by side",
            "description": (
                "Every member's report of one NEC meeting, side by side: who wrote it, where, when, how "
                "long after the meeting and how long it is, with links to the report, its versions and "
                "its comments."
            ),
            "sql": """select r.author as author, r.title as title, r.source as source,
  r.published_at as published,
  case when length(r.meeting_date) = 10
    then cast(julianday(substr(r.published_at, 1, 10)) - julianday(r.meeting_date) as integer)
  end as days_after_meeting,
  r.words as length_words, r.version as versions, r.comment_count as comments, r.id as report_id,
  r.canonical_url as canonical_url
from reports r
where r.meeting_date = :meeting and r.is_nec_report = 1 and r.duplicate_of is null
order by r.published_at""",
        },
        "coverage": {
            "title": "Who reported on which meeting",
            "description": (
                "One row per NEC meeting, one column per member: how many days after the meeting "
                "they published a report (✓ when only the month of the meeting is known)."
            ),
            "sql": _coverage_sql(authors),
        },
        "report_history": {
            "title": "A report's versions, with diffs",
            "description": (
                "Every version of the report, newest first, with what changed in each: words and paragraphs."
            ),
            "sql": """select v.version, v.seen_at, v.kind, v.title, v.report_id, v.word_diff, v.diff
from report_versions v
where v.report_id = :report_id
order by v.version desc""",
        },
        "report_comments": {
            "title": "Comments on a report",
            "description": "Comments on the report from every place it was published, oldest first.",
            "sql": """select c.published_at, c.author, c.body_html, c.url, c.version, c.removed_at,
  c.id as comment_id
from comments c
where c.report_id = :report_id
order by c.published_at""",
        },
        "source_health": {
            "title": "Sources and their health",
            "description": "Each source's last successful poll, last error and failures in the last 7 days.",
            "sql": """select s.name, s.type, s.url, s.health, s.last_ok_at, s.last_polled_at, s.next_check_at,
  s.consecutive_failures, s.last_error_kind, s.last_error, s.posts,
  (select count(*) from fetch_errors e
    where e.source = s.name and e.ts >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days')) as errors_7d
from sources s
order by s.health != 'ok' desc, s.name""",
        },
        "recent_alerts": {
            "title": "Recent alerts",
            "description": "New, edited, removed and restored reports and comments, newest first.",
            "sql": """select a.created_at, a.kind, a.source, a.title, a.summary, a.url, a.report_id,
  case when a.kind = 'report_edited' then a.report_id end as diff_of, a.backfill
from alerts a
order by a.created_at desc, a.rowid desc
limit 100""",
        },
        "edited_reports": {
            "title": "Edited reports",
            "description": (
                "Reports their authors changed after publishing them, the latest edit first: the words "
                "removed and added, highlighted, with a link to every version of the report."
            ),
            # From the edit alerts (index on kind, created_at), newest first, each joined to its
            # version row by the report's key and the run that saw it: no scan of report_versions.
            "sql": """select min(a.created_at) as edited_at, r.id as report_id, r.title, r.author,
  r.meeting_date, v.version, r.version as current_version, r.removed_at, min(a.summary) as summary,
  v.word_diff
from alerts a
join report_versions v on v.report_id = a.report_id and v.run_id = a.run_id and v.kind = 'edit'
join reports r on r.id = a.report_id
where a.kind = 'report_edited'
group by v.report_id, v.version
order by edited_at desc, v.version desc
limit 100""",
        },
        "removed_reports": {
            "title": "Removed reports",
            "description": (
                "NEC reports that disappeared from a place they were published: those gone from every "
                "place first (the date they went, what the address answered, the start of the last text "
                "necwatch saw), then those that came back, then those still published elsewhere."
            ),
            # From the removal and restoration alerts (index on kind, created_at); SQLite gives the
            # bare `summary` of the row holding max(created_at): the latest removal's reason.
            "sql": """with gone as (
  select a.report_id, max(a.created_at) as removed_on, a.summary as reason
  from alerts a where a.kind = 'report_removed' and a.report_id is not null
  group by a.report_id
), back as (
  select a.report_id, max(a.created_at) as back_on
  from alerts a where a.kind = 'report_restored' and a.report_id is not null
  group by a.report_id
)
select r.id as report_id, r.title, r.author, r.meeting_date,
  case when r.removed_at is not null then 'removed'
    when b.back_on >= g.removed_on then 'came back'
    else 'still published elsewhere' end as state,
  coalesce(r.removed_at, g.removed_on) as removed_at, b.back_on as came_back_at, g.reason,
  r.version, substr(r.body_text, 1, 600) as last_text
from gone g
join reports r on r.id = g.report_id
left join back b on b.report_id = g.report_id
order by r.removed_at is null, b.back_on is null, coalesce(r.removed_at, g.removed_on) desc
limit 500""",
        },
        "search_reports": {
            "title": "Search reports",
            "description": (
                "Full-text search of the NEC reports' titles, bodies and authors: how many match, then 50 "
                "a page, newest first or best match first, with the matching passage highlighted. Other "
                "posts (a blog's other posts, explainers, posts pointing to a report) only when asked for."
            ),
            "sql": search_sql(count_cap),
            "count_cap": count_cap,
            "page_size": SEARCH_PAGE_SIZE,
        },
        "unmatched": {
            "title": "Names no one on the roster matched",
            "description": (
                "People the reports name whom necwatch could not resolve to anyone on its roster of NEC "
                "members and party officers, as written, with how many reports name each and which. "
                "Complete the roster (people: in config.yaml) and re-extract to resolve them."
            ),
            "sql": """select u.name, u.count, u.report_ids
from unmatched_names u
order by u.count desc, u.name""",
        },
        "search_comments": {
            "title": "Search comments",
            "description": "Full-text search of comments, best matches first.",
            "sql": """select c.report_id, c.author, c.published_at,
  snippet(comments_fts, 0, char(2), char(3), '…', 24) as snippet, c.url, c.id as comment_id
from comments_fts
join comments c on c.rowid = comments_fts.rowid
where comments_fts match necwatch_fts_query(:q)
order by rank
limit 50""",
        },
    }
    for query in queries.values():
        query["columns"] = QUERY_COLUMNS  # the page lists only the columns it shows
    queries["meeting_reports"]["labels"] = MEETING_LABELS
    queries["meeting_reports"]["hidden"] = list(MEETING_HIDDEN)
    queries.update(_feeds())
    for query in queries.values():
        query["hide_sql"] = True  # a reader sees the title and description; "Show SQL" reveals it
    return queries


def _coverage_sql(authors: list[str]) -> str:
    """Pivot: meetings × members. SQLite has no dynamic pivot, so the columns come from the data."""
    if not authors:
        return """select meeting_date, meeting_kinds, reports, authors from meetings"""
    cells = []
    for a in authors:
        lit = "'" + a.replace("'", "''") + "'"
        ident = '"' + a.replace('"', '""') + '"'
        cells.append(
            f"  max(case when r.author = {lit} then "
            "case when length(r.meeting_date) = 10 "
            "then cast(julianday(substr(r.published_at, 1, 10)) - julianday(r.meeting_date) as integer) "
            f"|| ' d' else '✓' end end) as {ident}"
        )
    return (
        "select r.meeting_date, group_concat(distinct r.meeting_kind) as kind, count(*) as reports,\n"
        + ",\n".join(cells)
        + "\nfrom reports r\n"
        "where r.is_nec_report = 1 and r.meeting_date is not null and r.duplicate_of is null\n"
        "group by r.meeting_date\norder by r.meeting_date desc"
    )


def _feed(select: str) -> str:
    """A feed query. `necwatch_report_id` and `necwatch_diff_of` are not Atom columns: the plugin's
    feed renderer turns them into each entry's `rel=related` links to the report page and to its
    diffs. No rows is an empty feed (the renderer writes it; no placeholder entry)."""
    return select.strip("\n")


_REPORT_ENTRY = """select 'tag:necwatch,2024:report:' || r.id as atom_id,
  r.title as atom_title,
  coalesce(r.published_at, r.first_seen_at) as atom_updated,
  necwatch_clean_html('<p>' || necwatch_escape(r.author)
    || coalesce(', on the NEC meeting of ' || necwatch_escape(r.meeting_date), '')
    || '</p>' || coalesce(r.body_html, '')) as atom_content_html,
  case when r.canonical_url like 'http%' then r.canonical_url
    else 'https://github.com/necwatch/necwatch' end as atom_link,
  r.author as atom_author_name,
  r.id as necwatch_report_id,
  null as necwatch_diff_of"""


def _feeds() -> dict[str, dict[str, Any]]:
    return {
        "feed_new_reports": {
            "title": "necwatch: new NEC reports",
            "description": "Atom feed of the 50 newest NEC reports (add .atom to the URL).",
            "sql": _feed(
                _REPORT_ENTRY
                + """
from reports r
where r.is_nec_report = 1 and r.duplicate_of is null
order by r.published_at desc
limit 50"""
            ),
        },
        "feed_changes": {
            "title": "necwatch: changes to reports and comments",
            "description": "Atom feed of new, edited, removed, restored and republished reports and of "
            "comments, the same alerts as changes.atom (add .atom); backfill (a source's first poll) "
            "and operator alerts about sources never appear here.",
            "sql": _feed(
                """select 'tag:necwatch,2024:alert:' || a.id as atom_id,
  replace(a.kind, '_', ' ') || ': ' || coalesce(a.title, '') as atom_title,
  a.created_at as atom_updated,
  '<p>' || necwatch_escape(coalesce(a.summary, '')) || '</p>'
    || case when trim(coalesce(a.diff, '')) != '' then '<pre>' || necwatch_escape(a.diff) || '</pre>'
      else '' end as atom_content_html,
  case when a.url like 'http%' then a.url
    when c.url like 'http%' then c.url
    when r.canonical_url like 'http%' then r.canonical_url
    else 'https://github.com/necwatch/necwatch' end as atom_link,
  case when a.comment_id is null then r.author end as atom_author_name,
  a.report_id as necwatch_report_id,
  case when a.kind = 'report_edited' then a.report_id end as necwatch_diff_of
from alerts a
left join reports r on r.id = a.report_id
left join comments c on c.id = a.comment_id
where a.kind in ("""
                + _PUBLIC_KINDS
                + """) and a.backfill = 0
order by a.created_at desc, a.id
limit 100"""
            ),
        },
        "feed_search": {
            "title": "necwatch: a saved search",
            "description": (
                "Atom feed of the NEC reports matching the search words (and other posts too when "
                "other is 1, as on the search page), newest first (add .atom to subscribe)."
            ),
            "sql": _feed(
                _REPORT_ENTRY
                + """
from reports_fts
join reports r on r.rowid = reports_fts.rowid
where reports_fts match necwatch_fts_query(:q) and (r.is_nec_report = 1 or :other = '1')
order by r.published_at desc
limit 50"""
            ),
        },
    }


FEED_QUERIES = ("feed_new_reports", "feed_changes", "feed_search")


def nec_authors(path: Path) -> list[str]:
    """Authors of NEC reports, for the coverage grid (read-only; empty for a fresh database)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        rows = conn.execute(
            "select author from reports where is_nec_report = 1 and author is not null "
            "group by author order by count(*) desc, author limit 30"
        ).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [r[0] for r in rows]


def build_metadata(
    database: str,
    *,
    authors: list[str] | None = None,
    title: str = DEFAULT_TITLE,
    source_url: str | None = None,
    search_count_cap: int = SEARCH_COUNT_CAP,
) -> dict[str, Any]:
    """Metadata for one necwatch database served under the name `database`."""
    hidden = {"hidden": True}
    return {
        "title": title,
        "description_html": DESCRIPTION_HTML,
        "source": SOURCE,
        **({"source_url": source_url} if source_url else {}),
        "license": LICENSE,
        "about": "necwatch",
        "about_url": "https://github.com/necwatch/necwatch",
        # The feeds' HTML is sanitized once, in their SQL (necwatch_clean_html: nh3 with the site's
        # allow-list), so datasette-atom's own Bleach pass, which cost more than the rest of a feed,
        # is skipped for exactly these queries; any other .atom (a ?sql= query) is still bleached.
        "plugins": {"datasette-atom": {"allow_unsafe_html_in_canned_queries": {database: [*FEED_QUERIES]}}},
        "databases": {
            database: {
                "description": (
                    "Reports, the places they were published, their versions and comments, and each "
                    "report's record: the decisions, people and statements it states."
                ),
                "tables": {
                    "reports": {
                        "description": "One row per report, however many places it was published in.",
                        "sort_desc": "published_at",
                        # No facets here: a table search of a common word matches ~every report, and
                        # counting them by author etc. means a row read per match (seconds at 100k, so
                        # they timed out); reports_list is the faceted listing, served by indexes.
                        "fts_table": "reports_fts",
                        "fts_pk": "rowid",
                        "searchmode": "escaped",
                        # rowid too: a search without a chosen order is listed in FTS (rowid) order
                        # (the plugin adds _sort_desc=rowid), as sorting a common word's 100,000
                        # matches by published_at hit the 2 s limit under load.
                        "sortable_columns": [*REPORT_SORTABLE, "rowid"],
                        "label_column": "title",
                        "columns": REPORT_COLUMNS,
                    },
                    "reports_list": {
                        "description": "Reports without their bodies: the fast listing to browse and facet.",
                        "sort_desc": "published_at",
                        "facets": ["author", "source", "meeting_year", "meeting_kind"],
                        "columns": REPORT_COLUMNS,
                    },
                    "posts": {
                        "description": (
                            "Every place a report was published (a blog post, a LabourList article …)."
                        ),
                        "sort_desc": "published_at",
                        "facets": ["source", "is_nec_report", "is_excerpt", "removed_reason"],
                        "label_column": "url",
                        "columns": {
                            "url": "The post's address.",
                            "report_id": "The report it publishes.",
                            "is_pointer": "1 if the post only points to a report published elsewhere.",
                            "via": "How it was found: feed, rest, html …",
                            "removed_reason": (
                                "http_410, http_404_twice, http_404_unlisted; from the web archive "
                                "pre_watch_http_404/410, pre_watch_no_host, archive_http_404/410, "
                                "archive_redirect."
                            ),
                            "missing_polls": "Consecutive polls that answered 404.",
                            "is_excerpt": (
                                "1: only the feed's excerpt could be read (its page failed); no report "
                                "and no alert until the full text is read."
                            ),
                            "extraction": "Which layer gave each field (platform markup, metadata, generic).",
                            "moved_from": "The post's previous address, when that one now redirects here.",
                        },
                    },
                    "report_versions": {
                        "description": (
                            "Each version of each report; diff and word_diff compare it with the previous."
                        ),
                        "sort_desc": "seen_at",
                        "facets": ["kind"],
                        "columns": {
                            "kind": (
                                "initial, edit (the author changed the text) "
                                "or technical (necwatch's extractor changed)."
                            ),
                            "diff": "Unified diff by paragraph from the previous version.",
                            "word_diff": "Word-level changes: [-removed-] {+added+}.",
                            "body_text": (
                                "The text of a superseded version. Empty on the current version: its "
                                "text is the report's (stored once); report_versions_full shows every "
                                "version with its text."
                            ),
                        },
                    },
                    "report_versions_full": {
                        "description": "Every version of every report with its text (a view).",
                        "sort_desc": "seen_at",
                        "facets": ["kind"],
                    },
                    "comments": {
                        "description": "Comments on reports, from every place the report was published.",
                        "sort_desc": "published_at",
                        "facets": ["author"],
                        "fts_table": "comments_fts",
                        "fts_pk": "rowid",
                        "searchmode": "escaped",
                        "columns": {
                            "body_html": "The comment as sanitized HTML.",
                            "version": "Current version (see comment_versions).",
                            "removed_at": "When it disappeared from the page.",
                        },
                    },
                    "comment_versions": {
                        "description": "Each version of each comment.",
                        "sort_desc": "seen_at",
                    },
                    "alerts": {
                        "description": (
                            "Events: new, edited, removed and restored reports and comments, source health."
                        ),
                        "sort_desc": "created_at",
                        "facets": ["kind", "source"],
                        "columns": {
                            "backfill": "1: recorded on a source's first poll, not pushed to subscribers.",
                            "delivered_at": "When notifications for it were sent.",
                        },
                    },
                    "sources": {
                        "description": "The sites necwatch polls, and how each poll went.",
                        "facets": ["health", "type"],
                        "columns": {
                            "health": "ok, failing or unhealthy.",
                            "next_check_at": "When it will be polled next.",
                        },
                    },
                    "fetches": {
                        "description": (
                            "The last response for each URL, and the validators for conditional requests."
                        ),
                        "sort_desc": "fetched_at",
                        "facets": ["source", "status"],
                    },
                    "fetch_errors": {
                        "description": "Every failed fetch, typed.",
                        "sort_desc": "ts",
                        "facets": ["source", "kind"],
                    },
                    "runs": {
                        "description": "Each polling run and its per-source summary.",
                        "sort_desc": "started_at",
                    },
                    "meetings": {"description": "NEC meetings and the reports of each (a view)."},
                    **RECORD_TABLES,
                    "raw_bodies": hidden,
                    "responses": hidden,
                },
                "queries": _canned_queries(authors or [], search_count_cap),
            }
        },
    }
