"""The dataset's schema, in one place: tables, indexes, full-text search, views and migrations.

Migrations are numbered functions; `PRAGMA user_version` records the last one applied. Add a new
function at the end of MIGRATIONS to change the schema; never edit an applied one.
docs/schema.md documents every table and column for the dataset's users.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from necwatch.errors import StoreError
from necwatch.store.base import rollback

MEETINGS_VIEW = """
select
  r.meeting_date,
  group_concat(distinct r.meeting_kind) as meeting_kinds,
  count(*) as reports,
  group_concat(distinct r.author) as authors,
  min(r.published_at) as first_report_at,
  json_group_array(r.id) as report_ids
from reports r
where r.is_nec_report = 1 and r.meeting_date is not null and r.duplicate_of is null
group by r.meeting_date
order by r.meeting_date desc
"""


def _m1_initial(db: sqlite_utils.Database) -> None:
    db.table("runs").create(
        {
            "id": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running, ok, partial, failed, aborted, skipped_locked
            "trigger": str,  # cli, schedule, action, demo, reextract
            "sources": str,  # JSON list of source names
            "summary": str,  # JSON per-source summary
            "error": str,
        },
        pk="id",
    )
    db.table("sources").create(
        {
            "name": str,
            "type": str,
            "url": str,
            "last_polled_at": str,
            "last_ok_at": str,
            "last_error": str,
            "last_error_kind": str,
            "consecutive_failures": int,
            "next_check_at": str,
            "deferred_until": str,
            "health": str,  # ok, failing, unhealthy
            "last_run_id": str,
            "posts": int,
        },
        pk="name",
        defaults={"consecutive_failures": 0, "health": "ok", "posts": 0},
    )
    db.table("reports").create(
        {
            "id": str,
            "title": str,
            "author": str,
            "published_at": str,
            "meeting_date": str,
            "meeting_kind": str,
            "is_nec_report": int,
            "canonical_url": str,
            "source": str,
            "post_count": int,
            "comment_count": int,
            "version": int,
            "content_hash": str,
            "first_seen_at": str,
            "updated_at": str,
            "removed_at": str,
            "duplicate_of": str,
            "similarity": float,
            "body_text": str,
            "body_html": str,  # sanitized (nh3); raw HTML lives only in raw_bodies
            "words": int,
        },
        pk="id",
        defaults={"post_count": 0, "comment_count": 0, "version": 1, "is_nec_report": 0},
    )
    db.table("posts").create(
        {
            "id": str,
            "source": str,
            "url": str,
            "platform_id": str,
            "report_id": str,
            "title": str,
            "author": str,
            "published_at": str,
            "updated_at": str,
            "labels": str,  # JSON list
            "is_nec_report": int,
            "is_pointer": int,
            "pointer_to": str,
            "pointer_report_id": str,
            "content_hash": str,
            "via": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "removed_at": str,
            "removed_reason": str,  # http_410, http_404_twice, http_404_unlisted
            "missing_polls": int,  # consecutive polls answering 404
            "extractor_version": str,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name"), ("report_id", "reports", "id")],
        defaults={"missing_polls": 0, "is_nec_report": 0, "is_pointer": 0},
    )
    db.table("report_versions").create(
        {
            "report_id": str,
            "version": int,
            "seen_at": str,
            "kind": str,  # initial, edit, technical
            "title": str,
            "body_text": str,
            "content_hash": str,
            "diff": str,  # unified diff from the previous version
            "word_diff": str,  # word-level diff, for reading
            "post_id": str,
            "run_id": str,
            "extractor_version": str,
        },
        pk=("report_id", "version"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    db.table("comments").create(
        {
            "id": str,
            "report_id": str,
            "post_id": str,
            "platform_id": str,
            "parent_id": str,
            "author": str,
            "author_url": str,
            "published_at": str,
            "url": str,
            "body_text": str,
            "body_html": str,  # sanitized
            "content_hash": str,
            "version": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "removed_at": str,
        },
        pk="id",
        foreign_keys=[("post_id", "posts", "id"), ("report_id", "reports", "id")],
        defaults={"version": 1},
    )
    db.table("comment_versions").create(
        {
            "comment_id": str,
            "version": int,
            "seen_at": str,
            "body_text": str,
            "content_hash": str,
            "run_id": str,
        },
        pk=("comment_id", "version"),
        foreign_keys=[("comment_id", "comments", "id")],
    )
    db.table("alerts").create(
        {
            "id": str,  # deterministic: the same event always has the same id
            "kind": str,
            "created_at": str,
            "source": str,
            "report_id": str,
            "post_id": str,
            "comment_id": str,
            "title": str,
            "summary": str,
            "diff": str,
            "url": str,
            "backfill": int,  # 1: recorded on a source's first poll, not pushed
            "run_id": str,
            "delivered_at": str,
            "delivery_attempts": int,
            "delivery_error": str,
        },
        pk="id",
        defaults={"backfill": 0, "delivery_attempts": 0},
    )
    db.table("fetches").create(
        {
            "url": str,
            "source": str,
            "final_url": str,
            "status": int,
            "etag": str,
            "last_modified": str,
            "content_type": str,
            "body_hash": str,
            "fetched_at": str,
            "last_ok_at": str,
            "bytes": int,
            "elapsed_ms": int,
            "attempts": int,
            "error_kind": str,
            "error": str,
        },
        pk="url",
    )
    db.table("fetch_errors").create(
        {
            "id": int,
            "run_id": str,
            "ts": str,
            "source": str,
            "url": str,
            "final_url": str,
            "kind": str,
            "http_status": int,
            "attempts": int,
            "retry_after": float,
            "bytes_read": int,
            "message": str,
        },
        pk="id",
    )
    db.table("raw_bodies").create(
        {"hash": str, "content": bytes, "size": int, "stored_size": int, "content_type": str},
        pk="hash",
    )
    db.table("responses").create(
        {
            "id": int,
            "url": str,
            "source": str,
            "fetched_at": str,
            "status": int,
            "body_hash": str,
            "run_id": str,
            "extractor_version": str,
        },
        pk="id",
    )
    db.table("posts").create_index(["source"])
    db.table("posts").create_index(["report_id"])
    db.table("posts").create_index(["url"], unique=True)
    db.table("reports").create_index(["content_hash"])
    db.table("reports").create_index(["published_at"])
    db.table("reports").create_index(["meeting_date"])
    db.table("reports").create_index(["is_nec_report", "published_at"])
    db.table("comments").create_index(["post_id"])
    db.table("comments").create_index(["report_id", "published_at"])
    db.table("alerts").create_index(["created_at"])
    db.table("alerts").create_index(["delivered_at"])
    db.table("fetch_errors").create_index(["run_id"])
    db.table("fetch_errors").create_index(["source", "ts"])
    db.table("responses").create_index(["url", "fetched_at"])
    db.table("reports").enable_fts(["title", "body_text", "author"], create_triggers=True, tokenize="porter")
    db.table("comments").enable_fts(["body_text", "author"], create_triggers=True, tokenize="porter")
    db.create_view("meetings", MEETINGS_VIEW)


REPORTS_LIST_VIEW = """
select
  id, title, author, source, published_at, meeting_date,
  substr(meeting_date, 1, 4) as meeting_year,
  meeting_kind, is_nec_report,
  case when length(meeting_date) = 10
    then cast(julianday(substr(published_at, 1, 10)) - julianday(meeting_date) as integer)
  end as days_after_meeting,
  words, post_count, comment_count, version, first_seen_at, updated_at, removed_at, duplicate_of
from reports
"""


def _m2_publish(db: sqlite_utils.Database) -> None:
    """Serving: a listing view without the 15 KB bodies, and indexes for its facets and sort orders.

    Facets (author, source, kind, meeting year) become covering-index scans instead of scans of
    every row's leaf page; `reports_au` now re-indexes FTS only when an indexed column changes, so
    counter updates (comment_count, post_count) no longer rewrite a report's full-text entry.
    """
    db.table("reports").create_index(["author", "published_at"], if_not_exists=True)
    db.table("reports").create_index(["source", "published_at"], if_not_exists=True)
    db.table("reports").create_index(["meeting_kind", "published_at"], if_not_exists=True)
    db.table("reports").create_index(["first_seen_at"], if_not_exists=True)
    db.execute("create index if not exists idx_reports_meeting_year on reports (substr(meeting_date, 1, 4))")
    db.table("comments").create_index(["author"], if_not_exists=True)
    db.table("alerts").create_index(["kind", "created_at"], if_not_exists=True)
    db.execute("drop trigger if exists reports_au")
    db.execute(
        """create trigger reports_au after update of title, body_text, author on reports begin
  insert into reports_fts (reports_fts, rowid, title, body_text, author)
    values ('delete', old.rowid, old.title, old.body_text, old.author);
  insert into reports_fts (rowid, title, body_text, author)
    values (new.rowid, new.title, new.body_text, new.author);
end"""
    )
    db.execute("drop trigger if exists comments_au")
    db.execute(
        """create trigger comments_au after update of body_text, author on comments begin
  insert into comments_fts (comments_fts, rowid, body_text, author)
    values ('delete', old.rowid, old.body_text, old.author);
  insert into comments_fts (rowid, body_text, author) values (new.rowid, new.body_text, new.author);
end"""
    )
    db.create_view("reports_list", REPORTS_LIST_VIEW, replace=True)


def _m3_url_not_unique(db: sqlite_utils.Database) -> None:
    """Posts are identified per source: two configured sources may read the same URL (e.g. a blog's
    feed and its HTML), which a unique index on posts.url turned into a failed write."""
    db.execute("drop index if exists idx_posts_url")
    db.table("posts").create_index(["url"], index_name="idx_posts_url")


def _m4_excerpts_and_detection(db: sqlite_utils.Database) -> None:
    """Feeds that carry only excerpts, and `type: auto`: `posts.is_excerpt` marks a post stored from
    a feed's excerpt because its page could not be read (it has no report until the full body is);
    `sources.detected_type` / `detected_url` keep the platform and the path `auto` detected."""
    db.table("posts").add_column("is_excerpt", int, not_null_default=0)
    db.table("sources").add_column("detected_type", str)
    db.table("sources").add_column("detected_url", str)


def _m5_alert_links(db: sqlite_utils.Database) -> None:
    """alerts.report_id and alerts.post_id become foreign keys, so Datasette links an alert to its
    report and post. SQLite adds a foreign key only by rebuilding the table (sqlite-utils transform:
    copy, drop, rename), inside this migration's transaction; its indexes are recreated."""
    links = [("report_id", "reports", "id"), ("post_id", "posts", "id")]
    db.table("alerts").transform(add_foreign_keys=links)


def _m6_source_config(db: sqlite_utils.Database) -> None:
    """`sources.config`: the source's config as it was last polled (JSON), so `necwatch reextract`
    replays each source's stored responses with the adapter and options that fetched them, even
    when the config file has moved on (or is another database's, as with the demo)."""
    db.table("sources").add_column("config", str)


def _m7_post_extraction(db: sqlite_utils.Database) -> None:
    """Which extraction layer gave each field of a post read from its page (JSON {field: method}:
    "blogger", "wordpress", "json-ld", "microformats", …, "generic:trafilatura"), so `status` can say
    when a source relies on fallbacks. NULL for posts read from feeds and APIs."""
    db.execute("alter table posts add column extraction text")


def _m8_incremental(db: sqlite_utils.Database) -> None:
    """Incremental polling: each source's cursor (watermarks, backfill and sweep progress) survives
    between runs, so a poll asks the platform only for what changed since the last one."""
    db.table("source_cursors").create(
        {"source": str, "cursor": str, "updated_at": str}, pk="source", if_not_exists=True
    )


def _m9_lean_storage(db: sqlite_utils.Database) -> None:
    """Storage that lasts: a blog's other posts (not NEC reports, nine in ten) keep metadata and
    their content hash but no body text or HTML, in `reports` and `report_versions` (an edit is
    noticed by the hash; the text is stored once a post is a report). Only rows whose every post is
    a non-report are thinned, and superseded raw bodies of their pages dropped. VACUUM (outside
    any transaction) or export/import returns the space. And the min-hash index of NEC reports
    (`report_minhash`) replaces the date window of near-duplicate lookup."""
    never_reports = (
        "select r.id from reports r where r.is_nec_report = 0 and not exists "
        "(select 1 from posts p where p.report_id = r.id and p.is_nec_report = 1)"
    )
    db.execute(f"update reports set body_text = null, body_html = null where id in ({never_reports})")
    db.execute(
        "update report_versions set body_text = null, diff = null, word_diff = null "
        f"where report_id in ({never_reports})"
    )
    # superseded raw bodies of non-report post pages (the latest, in fetches, is kept)
    db.execute(
        "delete from responses where id in (select r.id from responses r join fetches f on f.url = r.url "
        "where r.body_hash is not f.body_hash and r.url in "
        "(select url from posts group by url having max(is_nec_report) = 0))"
    )
    db.execute(
        "delete from raw_bodies where not exists (select 1 from responses where body_hash = raw_bodies.hash) "
        "and not exists (select 1 from fetches where body_hash = raw_bodies.hash)"
    )
    _minhash_index(db)


def _minhash_index(db: sqlite_utils.Database) -> None:
    """Near-duplicate lookup that stays flat: each NEC report's min-hash band keys (dedupe.band_keys)
    → report id, so a new report is compared only with reports sharing a band, not with every report
    of a date window. Filled here for the reports already stored."""
    from necwatch.dedupe import band_keys

    db.execute(
        "create table report_minhash (band_key integer not null, report_id text not null "
        "references reports(id), primary key (band_key, report_id)) without rowid"
    )
    rows = db.execute(
        "select id, body_text from reports where is_nec_report = 1 and body_text is not null"
    ).fetchall()
    for report_id, text in rows:
        db.conn.executemany(
            "insert or ignore into report_minhash (band_key, report_id) values (?, ?)",
            [(k, report_id) for k in band_keys(text)],
        )


def _m10_pointer_index(db: sqlite_utils.Database) -> None:
    """A report's page lists the posts that point to it (`posts.pointer_report_id`): an index, so that
    lookup is not a scan of every post."""
    db.execute("create index if not exists idx_posts_pointer_report_id on posts (pointer_report_id)")


# Every version with its text: a superseded version keeps its own, the current one's is the report's.
REPORT_VERSIONS_FULL_VIEW = """
select
  v.report_id, v.version, v.seen_at, v.kind, v.title,
  coalesce(v.body_text, case when v.version = r.version then r.body_text end) as body_text,
  v.content_hash, v.diff, v.word_diff, v.post_id, v.run_id, v.extractor_version
from report_versions v
join reports r on r.id = v.report_id
"""


def _m11_text_once(db: sqlite_utils.Database) -> None:
    """Each report's current text is stored once, in `reports.body_text`: the current version's
    `report_versions.body_text` is NULL (it was the same text again: a third of an NEC report's bytes),
    a superseded version keeps its own (the store copies it there when the next version comes,
    `KeepVersionText`). The view `report_versions_full` shows every version with its text. Only a
    current version whose text equals its report's is thinned, so no version's text is lost."""
    db.execute(
        "update report_versions set body_text = null where body_text is not null and exists "
        "(select 1 from reports r where r.id = report_versions.report_id "
        "and r.version = report_versions.version and r.body_text = report_versions.body_text)"
    )
    db.create_view("report_versions_full", REPORT_VERSIONS_FULL_VIEW, replace=True)


# Indexes over columns a blog's other posts leave NULL (nine rows in ten): partial, so those rows
# cost nothing in them. `x is not null` is implied by any comparison on x, bound parameters included
# (`meeting_date = :meeting`), and Datasette's facet queries filter `x is not null` themselves.
PARTIAL_INDEXES = {
    "idx_reports_meeting_date": "reports (meeting_date) where meeting_date is not null",
    "idx_reports_meeting_kind_published_at": (
        "reports (meeting_kind, published_at) where meeting_kind is not null"
    ),
    "idx_posts_pointer_report_id": "posts (pointer_report_id) where pointer_report_id is not null",
}


def _m12_lean_non_reports(db: sqlite_utils.Database) -> None:
    """Posts that are not NEC reports cost little. Their `reports` row stays (it notices their edits
    by content_hash, links republications, and takes the text once an edit makes the post a report),
    but: the indexes on meeting date, meeting kind and pointer target leave out the rows where those
    are NULL; and a non-report has no `report_versions` rows (necwatch now writes a version only when
    the text is a report's before or after), so the version 1 rows older necwatch wrote for
    never-edited non-reports go: each repeated its reports row's title, hash and first-seen time."""
    for name, target in PARTIAL_INDEXES.items():
        db.execute(f"drop index if exists {name}")
        db.execute(f"create index {name} on {target}")
    db.execute(
        "delete from report_versions where version = 1 and body_text is null and diff is null and exists "
        "(select 1 from reports r where r.id = report_versions.report_id and r.is_nec_report = 0 "
        "and r.version = 1 and r.content_hash is report_versions.content_hash "
        "and r.title is report_versions.title)"
    )


def _m13_post_moved_from(db: sqlite_utils.Database) -> None:
    """`posts.moved_from`: the post's previous URL when its old URL answered a permanent redirect
    (301/308) to its current `url` on the same site (a slug renamed): the same post moved, keeping
    its id, versions and comments. NULL for posts never moved."""
    db.execute("alter table posts add column moved_from text")


def _m14_responses_by_source(db: sqlite_utils.Database) -> None:
    """Indexes for the archive's per-poll pruning, whose queries scanned whole tables, a cost that
    grew with the archive: `responses.source` (ResponseArchive.prune_unreplayable, `where source =
    ?`, on every poll of a source read through change queries, read every source's responses), and
    `responses.body_hash` and `fetches.body_hash` (dropping a superseded body first checks that no
    other response or latest fetch still reads it: each drop read both tables whole)."""
    db.execute("create index if not exists idx_responses_source on responses (source)")
    db.execute("create index if not exists idx_responses_body_hash on responses (body_hash)")
    db.execute("create index if not exists idx_fetches_body_hash on fetches (body_hash)")


# Names that resolved to no one on the roster, as written: how many reports name each, and which.
UNMATCHED_NAMES_VIEW = """
select
  m.name,
  count(distinct m.report_id) as count,
  json_group_array(distinct m.report_id) as report_ids
from mentions m
where m.person_id is null
group by m.name
order by count(distinct m.report_id) desc, m.name
"""


def _m15_record(db: sqlite_utils.Database) -> None:
    """The record of each NEC report (necwatch.record): its meeting (`records`), agenda items,
    decisions, person mentions and statements, one row each, keyed to the report, the version they
    were derived from and their paragraph's stable id; and the roster's `people` and their
    `memberships`, for the persons the mentions name. Derived data: written with the report version
    in one transaction, re-derived by `necwatch reextract` and on import, never exported. Only the
    current version's record has rows (every superseded version keeps its text, so its record can
    be derived again). The view `unmatched_names` lists names that resolved to no one. Databases
    from before this migration fill these tables on `necwatch reextract`."""
    report = [("report_id", "reports", "id")]
    db.table("records").create(
        {
            "report_id": str,
            "version": int,  # the report version the record was derived from
            "content_hash": str,  # that version's content hash
            "meeting_date": str,
            "meeting_kind": str,
            "items": int,
            "decisions": int,
            "people": int,
            "statements": int,
            "unmatched": int,
        },
        pk="report_id",
        foreign_keys=report,
    )
    place = {"report_id": str, "position": int, "version": int, "paragraph": str}
    db.table("items").create(
        {**place, "title": str, "paragraphs": str}, pk=("report_id", "position"), foreign_keys=report
    )
    db.table("decisions").create(
        {
            **place,
            "item": str,
            "quote": str,
            "subject": str,
            "outcome": str,
            "manner": str,
            "votes_for": int,
            "votes_against": int,
            "abstentions": int,
            "mover": str,
            "mover_id": str,
            "seconder": str,
            "seconder_id": str,
        },
        pk=("report_id", "position"),
        foreign_keys=report,
    )
    db.table("people").create({"id": str, "name": str}, pk="id")
    db.table("memberships").create(
        {
            "person_id": str,
            "position": int,  # its place among the person's memberships in the roster
            "organization": str,  # nec, labour-party, government …
            "role": str,  # NEC member, Chair, Leader, General Secretary …
            "section": str,  # an NEC member's section (CLP, trade unions …) or the post held
            "start_date": str,  # YYYY-MM-DD, or YYYY-MM / YYYY when only that much is known
            "end_date": str,  # empty: still holds it
            "source": str,  # where the period comes from
            "data": str,  # the roster's whole membership entry (JSON)
        },
        pk=("person_id", "position"),
        foreign_keys=[("person_id", "people", "id")],
    )
    db.table("mentions").create(
        {
            **place,
            "name": str,
            "canonical": str,
            "person_id": str,
            "role": str,
            "paragraphs": str,
            "written": str,
        },
        pk=("report_id", "position"),
        foreign_keys=[*report, ("person_id", "people", "id")],
    )
    db.table("statements").create(
        {
            **place,
            "speaker": str,
            "person_id": str,
            "quote": str,
            "verb": str,
            "vote": str,
        },
        pk=("report_id", "position"),
        foreign_keys=[*report, ("person_id", "people", "id")],
    )
    db.execute("create index idx_mentions_person_id on mentions (person_id) where person_id is not null")
    db.execute("create index idx_mentions_unmatched on mentions (name, report_id) where person_id is null")
    db.execute("create index idx_decisions_outcome on decisions (outcome)")
    db.execute("create index idx_statements_person_id on statements (person_id) where person_id is not null")
    db.create_view("unmatched_names", UNMATCHED_NAMES_VIEW, replace=True)


# Every meeting date a report gives (its record's, as `reports.meeting_date` has it too) and the
# meeting whose minutes it is in: a link written with the date one reporter gave ("2024-01-24") finds
# the merged meeting ("2024-01-23"). Ordinary meetings first for a date shared with a special one.
MINUTES_DATES_VIEW = """
select
  rec.meeting_date as date,
  c.meeting_id,
  m.kind,
  count(*) as reports
from minutes_coverage c
join minutes m on m.meeting_id = c.meeting_id
join records rec on rec.report_id = c.report_id
where rec.meeting_date is not null
group by rec.meeting_date, c.meeting_id
order by rec.meeting_date, m.kind != 'full', c.meeting_id
"""


def _m16_minutes(db: sqlite_utils.Database) -> None:
    """The minutes of each NEC meeting, merged from the records of every report of it
    (necwatch.record.minutes): the meeting (`minutes`), its items in agenda order, its decisions
    with the version each reporter gives (`minutes_sources`), the points where reporters differ
    (`minutes_disagreements`) and who reported it (`minutes_coverage`). Derived data like the
    report records: rewritten for every meeting a write touches, in the same transaction, re-derived
    by `necwatch reextract` and on import, never exported. A removed report's contribution stays,
    marked `removed`. The minutes of the records a database already holds are merged here."""
    meeting = [("meeting_id", "minutes", "meeting_id")]
    db.table("minutes").create(
        {
            "meeting_id": str,  # the merged meeting's date (YYYY-MM-DD or YYYY-MM), "-kind" if not full
            "date": str,
            "kind": str,
            "reports": int,  # distinct reports (near-copies and republications counted once)
            "reporters": str,  # JSON list of reporters' names, first report first
            "items": int,
            "decisions": int,
            "corroborated": int,  # decisions stated by two or more reporters
            "disagreements": int,
            "statements": int,
            "first_report_at": str,
            "last_report_at": str,
            "sources": str,  # JSON {report_id: content_hash} the minutes were merged from
            # JSON [{person_id, name, role, reporters, sources: [{report_id, paragraph, removed}]}]
            "people": str,
        },
        pk="meeting_id",
    )
    db.table("minutes_items").create(
        {
            "meeting_id": str,
            "position": int,  # agenda order
            "title": str,  # the title most reporters use (ties: the first reporter's)
            "reporters": str,  # JSON list of reporters who cover it
            "single_source": int,  # 1: only one reporter mentions it
            "sources": str,  # JSON [{report_id, reporter, title, paragraph, removed}]
        },
        pk=("meeting_id", "position"),
        foreign_keys=meeting,
    )
    db.table("minutes_decisions").create(
        {
            "meeting_id": str,
            "position": int,  # order within the meeting (by item, then by first report's order)
            "item_position": int,  # its minutes_items row, NULL when under no item
            "summary": str,  # subject or quote of the most complete version
            "outcome": str,  # the agreed outcome; NULL when reporters disagree on it
            "manner": str,
            "votes_for": int,  # only when stated and not disputed
            "votes_against": int,
            "abstentions": int,
            "counted": int,  # 1: a stated count (undisputed)
            "mover": str,
            "mover_id": str,
            "seconder": str,
            "seconder_id": str,
            "reporters": str,  # JSON list of reporters stating it
            "corroboration": str,  # corroborated | single-source
            "disputed": int,  # 1: a minutes_disagreements row concerns it
            "removed_only": int,  # 1: stated only by reports since removed
        },
        pk=("meeting_id", "position"),
        foreign_keys=meeting,
    )
    db.table("minutes_sources").create(
        {
            "meeting_id": str,
            "decision_position": int,  # minutes_decisions.position
            "report_id": str,
            "report_position": int,  # decisions.position in that report's record
            "reporter": str,
            "paragraph": str,  # the paragraph's stable id on the report page
            "quote": str,
            "outcome": str,
            "manner": str,
            "votes_for": int,
            "votes_against": int,
            "abstentions": int,
            "removed": int,  # 1: the report has since been removed
        },
        pk=("meeting_id", "decision_position", "report_id", "report_position"),
        foreign_keys=[*meeting, ("report_id", "reports", "id")],
    )
    db.table("minutes_disagreements").create(
        {
            "meeting_id": str,
            "position": int,
            "field": str,  # count, outcome, manner, vote_held, date, name, mover
            "decision_position": int,  # NULL for a meeting-wide point (the date)
            "item_position": int,
            "summary": str,  # in words: "22-12 or 21-12", "carried on a vote or only noted"
            "versions": str,  # JSON [{value, reporters, report_ids, paragraphs, quotes, removed}]
        },
        pk=("meeting_id", "position"),
        foreign_keys=meeting,
    )
    db.table("minutes_coverage").create(
        {
            "meeting_id": str,
            "report_id": str,
            "reporter": str,
            "published_at": str,
            "days_after": int,  # days from the meeting to the report's publication
            "duplicates": str,  # JSON list of report ids merged into this one (republications)
            "only_here": str,  # JSON list of item titles only this report mentions
            "removed": int,
        },
        pk=("meeting_id", "report_id"),
        foreign_keys=[*meeting, ("report_id", "reports", "id")],
    )
    db.execute("create index idx_minutes_date on minutes (date)")
    db.execute("create index idx_minutes_sources_report on minutes_sources (report_id)")
    db.execute("create index idx_minutes_coverage_report on minutes_coverage (report_id)")
    db.execute("create index idx_minutes_decisions_outcome on minutes_decisions (outcome)")
    # the merge reads the reports around a meeting date, and a report's near-copies
    db.execute(
        "create index idx_records_meeting_date on records (meeting_date) where meeting_date is not null"
    )
    db.execute(
        "create index idx_reports_duplicate_of on reports (duplicate_of) where duplicate_of is not null"
    )
    db.create_view("minutes_dates", MINUTES_DATES_VIEW, replace=True)
    # a database with records already (migration 15, filled by polls or reextract): its minutes now
    from necwatch.store.minutes import MinutesStore

    MinutesStore(db).rebuild_minutes()


# Each report version with where its text came from: a live fetch (no provenance row; the version's
# post, at its seen_at) or an archive capture (its time, its original URL, the archive URL to open).
VERSION_ORIGIN_VIEW = """
select
  v.report_id,
  v.version,
  v.seen_at,
  v.kind,
  coalesce(p.origin, 'live') as origin,
  coalesce(p.captured_at, v.seen_at) as captured_at,
  coalesce(p.original_url, po.url) as original_url,
  p.archive_url,
  p.digest
from report_versions v
left join version_provenance p on p.report_id = v.report_id and p.version = v.version
left join posts po on po.id = v.post_id
"""


def _m17_archive(db: sqlite_utils.Database) -> None:
    """The web archive as a source (issue 22, docs/archive.md).

    `version_provenance`: one row per report version whose text came from an archive capture
    (`origin` 'archive', `captured_at` the capture's time, `original_url`, `archive_url` the replay
    page a reader opens, `digest`); a version without a row came from a live fetch. The view
    `version_origin` gives every version its origin. `archive_captures`: each capture fetched, by
    digest (captures are immutable: never fetched twice), its body zlib-compressed and what it was
    judged (`verdict` 'version' or 'not_a_version', `reason`). `archive_posts`: per source and post
    URL, the last capture read (a later run reads only newer ones). `archive_progress`: per source,
    the backfill's state (resume key of the listing, posts still to read, the listed range, counts).
    `archive_recoveries`: posts whose text was recovered from the archive (`kind` 'removed': a
    removed report whose full text was never stored; 'pre_watch': a post gone before the first poll)."""
    db.table("version_provenance").create(
        {
            "report_id": str,
            "version": int,
            "origin": str,
            "captured_at": str,
            "original_url": str,
            "archive_url": str,
            "digest": str,
        },
        pk=("report_id", "version"),
    )
    db.table("archive_captures").create(
        {
            "digest": str,
            "url": str,
            "timestamp": str,
            "captured_at": str,
            "status": int,
            "mimetype": str,
            "size": int,
            "body": bytes,
            "verdict": str,
            "reason": str,
            "source": str,
            "fetched_at": str,
        },
        pk="digest",
    )
    db.table("archive_posts").create(
        {
            "source": str,
            "url": str,
            "last_timestamp": str,
            "captures": int,
            "versions": int,
            "updated_at": str,
        },
        pk=("source", "url"),
    )
    db.table("archive_progress").create(
        {
            "source": str,
            "phase": str,  # listing, captures, done
            "resume_key": str,
            "range_from": str,
            "range_to": str,
            "listed_until": str,  # the listing was complete up to this capture time (next run: from here)
            "pending": str,  # JSON list of post URLs still to read
            "captures_listed": int,
            "posts": int,
            "captures_fetched": int,
            "versions": int,
            "new_reports": int,
            "recovered": int,
            "requests": int,
            "updated_at": str,
            "completed_at": str,
        },
        pk="source",
    )
    db.table("archive_recoveries").create(
        {
            "post_id": str,
            "report_id": str,
            "source": str,
            "kind": str,
            "captured_at": str,
            "original_url": str,
            "archive_url": str,
            "digest": str,
            "recovered_at": str,
        },
        pk="post_id",
    )
    db.execute("create index idx_archive_recoveries_report on archive_recoveries (report_id)")
    db.create_view("version_origin", VERSION_ORIGIN_VIEW, replace=True)


# A decision's words (publish/record_pages.py, the decisions page's search): its summary, its item's
# title and every reporter's quote of it, as one document (rowid: the minutes_decisions row's).
_DECISION_WORDS = """coalesce({d}.summary, '') || ' ' || coalesce((select i.title from minutes_items i
  where i.meeting_id = {d}.meeting_id and i.position = {d}.item_position), '') || ' ' || coalesce((select
  group_concat(s.quote, ' ') from minutes_sources s where s.meeting_id = {d}.meeting_id
  and s.decision_position = {d}.position), '')"""


def _m18_serving_decision_words(db: sqlite_utils.Database) -> None:
    """Serving: the decisions page's search and facets at scale. `minutes_decisions_fts` indexes each
    decision's words (its summary, its item's title and every reporter's quote of it) under the
    decision's rowid, so a search is one full-text lookup instead of a LIKE over every decision,
    item and quote; triggers keep it as the minutes are rewritten (a meeting's rows are deleted and
    inserted again: items, then decisions, then their sources, each adding its quote; a changed
    item title or quote rewrites its decisions' words). The index on
    (meeting_id, outcome, counted) lets the page count its facets from the index alone; those on
    decisions' mover_id and seconder_id give a person's page the decisions they moved or seconded
    without reading every decision of every report naming them."""
    db.execute("create virtual table minutes_decisions_fts using fts5 (words)")
    db.execute(
        "create trigger minutes_decisions_fts_ai after insert on minutes_decisions begin "
        "insert into minutes_decisions_fts (rowid, words) values (new.rowid, "
        + _DECISION_WORDS.format(d="new")
        + "); end"
    )
    db.execute(
        "create trigger minutes_decisions_fts_ad after delete on minutes_decisions begin "
        "delete from minutes_decisions_fts where rowid = old.rowid; end"
    )
    db.execute(
        "create trigger minutes_decisions_fts_au after update of summary, item_position on minutes_decisions "
        "begin update minutes_decisions_fts set words = "
        + _DECISION_WORDS.format(d="new")
        + " where rowid = new.rowid; end"
    )
    # a quote added, dropped or changed; an item's title (written before its decisions by the store,
    # but any order keeps the words right)
    for table, changed, decisions_of in (
        ("minutes_sources", "quote", "position = {row}.decision_position"),
        ("minutes_items", "title", "item_position = {row}.position"),
    ):
        for event in ("insert", "delete", f"update of {changed}"):
            row = "old" if event == "delete" else "new"
            db.execute(
                f"create trigger [{table}_fts_{event[0]}] after {event} on {table} "
                "begin update minutes_decisions_fts set words = (select "
                + _DECISION_WORDS.format(d="d")
                + " from minutes_decisions d where d.rowid = minutes_decisions_fts.rowid) where rowid in "
                f"(select rowid from minutes_decisions where meeting_id = {row}.meeting_id "
                f"and {decisions_of.format(row=row)}); end"
            )
    db.execute(
        "insert into minutes_decisions_fts (rowid, words) select d.rowid, "
        + _DECISION_WORDS.format(d="d")
        + " from minutes_decisions d"
    )
    db.execute(
        "create index idx_minutes_decisions_facets on minutes_decisions (meeting_id, outcome, counted)"
    )
    # a report's meeting (the first by id: record pages' _MEETING_OF) without sorting its rows
    db.execute("create index idx_minutes_coverage_report_meeting on minutes_coverage (report_id, meeting_id)")
    # a person's page and feed: the decisions they moved or seconded, read by person
    db.execute("create index idx_decisions_mover_id on decisions (mover_id) where mover_id is not null")
    db.execute(
        "create index idx_decisions_seconder_id on decisions (seconder_id) where seconder_id is not null"
    )


def _m19_archive_removals(db: sqlite_utils.Database) -> None:
    """The archive's evidence that a post is gone (docs/archive.md, "A removed post in the archive"):
    one row per removal a `type: archive` backfill read from a post's own capture (`status` 404 or
    410 as the archive recorded it, or 301/308 with the page it led to in `target`), at that
    capture's time, with the replay URL a reader opens. Never deleted: a post a later capture shows
    again is restored (its `removed_at` cleared), its rows stay as the history of what the archive
    said. `archive_progress.history`: the URLs of live posts whose pre-watch history (their captures
    older than their first stored version, docs/archive.md) waits for their first version to be
    stored: the poll that saw them writes after the recovery runs."""
    db.table("archive_removals").create(
        {
            "post_id": str,
            "captured_at": str,
            "report_id": str,
            "source": str,
            "status": int,
            "reason": str,  # the post's removed_reason: archive_http_404, archive_http_410, archive_redirect
            "original_url": str,
            "target": str,  # a redirect's target (the page the archive served instead)
            "archive_url": str,
            "digest": str,
        },
        pk=("post_id", "captured_at"),
    )
    db.execute("create index idx_archive_removals_report on archive_removals (report_id)")
    # `archive: true`: posts the live poll saw before storing them, whose pre-watch history (their
    # captures older than their first stored version) is read at the next run (a JSON list of URLs)
    db.table("archive_progress").add_column("history", str)
    # a listing completed before this migration read no stored live post's history, and the next
    # listings are incremental (new captures only): the next run lists the site whole once more, so
    # every stored post's captures from before necwatch watched it are read (each once, as ever)
    db.execute("update archive_progress set listed_until = null where phase = 'done'")


# Each comment version with where its text came from: a live fetch (no provenance row; the comment's
# permalink, else its post's URL, at the version's seen_at) or an archive capture (its time, the
# captured page or comment feed, the archive URL to open).
COMMENT_ORIGIN_VIEW = """
select
  cv.comment_id,
  cv.version,
  cv.seen_at,
  c.report_id,
  c.post_id,
  coalesce(p.origin, 'live') as origin,
  coalesce(p.captured_at, cv.seen_at) as captured_at,
  coalesce(p.original_url, c.url, po.url) as original_url,
  p.archive_url,
  p.digest
from comment_versions cv
join comments c on c.id = cv.comment_id
left join comment_provenance p on p.comment_id = cv.comment_id and p.version = cv.version
left join posts po on po.id = c.post_id
"""


def _m20_comment_provenance(db: sqlite_utils.Database) -> None:
    """Where each comment version came from (issue 22, docs/archive.md "Comments from captures").

    `comment_provenance`: one row per comment version read from a web archive capture (a captured
    post page printing it, or a captured comment feed): `origin` 'archive', `captured_at` the
    capture's time, `original_url` the captured page or feed, `archive_url` the replay page a reader
    opens, `digest` the capture's. A version without a row came from a live fetch; the view
    `comment_origin` gives every comment version its origin ('live' or 'archive'), as
    `version_origin` does for report versions."""
    db.table("comment_provenance").create(
        {
            "comment_id": str,
            "version": int,
            "origin": str,
            "captured_at": str,
            "original_url": str,
            "archive_url": str,
            "digest": str,
        },
        pk=("comment_id", "version"),
    )
    db.create_view("comment_origin", COMMENT_ORIGIN_VIEW, replace=True)


def _m21_source_extractor_version(db: sqlite_utils.Database) -> None:
    """`sources.extractor_version`: the EXTRACTOR_VERSION the source's stored text was last read
    with. A run first re-extracts a source whose version differs (docs/tracking.md "When necwatch's
    extractor changes"), so a changed extractor makes technical versions, never `report_edited`
    alerts. Sources already stored were read by extractor "1" (the only version before this one);
    a source polled for the first time gets the current version."""
    db.table("sources").add_column("extractor_version", str)
    db.execute("update sources set extractor_version = '1'")


Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = [
    _m1_initial,
    _m2_publish,
    _m3_url_not_unique,
    _m4_excerpts_and_detection,
    _m5_alert_links,
    _m6_source_config,
    _m7_post_extraction,
    _m8_incremental,
    _m9_lean_storage,
    _m10_pointer_index,
    _m11_text_once,
    _m12_lean_non_reports,
    _m13_post_moved_from,
    _m14_responses_by_source,
    _m15_record,
    _m16_minutes,
    _m17_archive,
    _m18_serving_decision_words,
    _m19_archive_removals,
    _m20_comment_provenance,
    _m21_source_extractor_version,
]


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of the last migration applied to the database (`PRAGMA user_version`)."""
    return int(conn.execute("pragma user_version").fetchone()[0])


def _database_file(conn: sqlite3.Connection) -> str | None:
    """The main database's file, or None in memory: lets errors name the file without being told."""
    for _seq, name, file in conn.execute("pragma database_list"):
        if name == "main":
            return file or None
    return None


def refuse_newer(conn: sqlite3.Connection, path: str | Path | None = None) -> None:
    """Refuse a database written by a newer necwatch: this code cannot know what its schema means.

    Reads only (no transaction is written), so a refused file is left byte for byte as it was.
    """
    version, known = schema_version(conn), len(MIGRATIONS)
    if version <= known:
        return
    where = path if path is not None else _database_file(conn)
    raise StoreError(
        f"{where or 'the database'} has schema version {version}, but this necwatch knows versions up "
        f"to {known} only: it was written by a newer necwatch. Upgrade necwatch to open it.",
        kind="schema_too_new",
    )


@contextmanager
def _no_transaction_control(conn: sqlite3.Connection, attempts: list[str]) -> Iterator[None]:
    """Make BEGIN/COMMIT/ROLLBACK fail inside a migration, whoever issues them.

    sqlite3's `with conn:`, `conn.commit()`, `conn.executescript()`, an assignment to
    `isolation_level` and a helper's own COMMIT would all end the migration's transaction midway and
    keep half a migration. The authorizer sees every statement SQLite prepares, the driver's own
    COMMITs included, and denies them ("not authorized"); SAVEPOINTs (sqlite-utils' nested
    `atomic()`) stay allowed. Denied statements are recorded in `attempts` for the error message.
    """

    def authorize(action: int, arg1: str | None, *_: str | None) -> int:
        if action == sqlite3.SQLITE_TRANSACTION:
            attempts.append(arg1 or "?")
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)
    try:
        yield
    finally:
        conn.set_authorizer(None)  # the store sets no other authorizer


@contextmanager
def ddl_transaction(conn: sqlite3.Connection, what: str) -> Iterator[None]:
    """One explicit BEGIN IMMEDIATE … COMMIT around schema changes; ROLLBACK on any exception.

    Modelled on lemon24/reader's ddl_transaction: the transaction is ours, not the driver's, so it
    behaves the same on an `isolation_level=None` connection (Store.open) and on a default one
    (Store.memory), and nothing inside can commit it early (see _no_transaction_control).
    """
    if conn.in_transaction:
        raise RuntimeError(f"{what}: a transaction is already open; migrations need their own")
    isolation_level = conn.isolation_level
    conn.isolation_level = None  # no implicit BEGIN from the driver: the only transaction is ours
    try:
        try:
            conn.execute("begin immediate")
        except sqlite3.OperationalError as e:
            raise StoreError(f"{what}: cannot start a write transaction: {e}", kind="storage_locked") from e
        attempts: list[str] = []
        try:
            with _no_transaction_control(conn, attempts):
                yield
                if not conn.in_transaction:  # SQLite itself rolled back (full disk, I/O error)
                    raise StoreError(f"{what}: the transaction ended early", kind="storage_error")
            conn.execute("commit")
        except BaseException as e:
            rollback(conn)
            denied = f"; it tried to run {', '.join(attempts)}, which migrations must not" if attempts else ""
            e.add_note(f"{what} failed and was rolled back{denied}")
            raise
    finally:
        conn.isolation_level = isolation_level


def _apply(db: sqlite_utils.Database, number: int, migration: Migration) -> None:
    """Run one migration and record it in user_version, in one transaction."""
    what = f"migration {number} ({migration.__name__})"
    with ddl_transaction(db.conn, what):
        if schema_version(db.conn) >= number:  # another process applied it while we waited
            return
        migration(db)
        db.conn.execute(f"pragma user_version = {number}")


def migrate(db: sqlite_utils.Database, path: str | Path | None = None) -> int:
    """Apply pending migrations, each atomically with its user_version. Returns the schema version.

    A database newer than MIGRATIONS is refused (StoreError kind `schema_too_new`) before anything is
    written. An up-to-date database is only read: opening it needs no write lock.
    """
    refuse_newer(db.conn, path)
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number > schema_version(db.conn):
            _apply(db, number, migration)
    return len(MIGRATIONS)
