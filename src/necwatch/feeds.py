"""Atom 1.0 feeds written to config.feeds_path after each run (docs/tracking.md, "Feeds").

* `reports.atom`: the newest NEC reports, full sanitized HTML, author, meeting date, links to the
  original and (when publish.base_url is set) to the report's Datasette row.
* `changes.atom`: every non-backfill alert about reports and comments (edits as a readable diff).
* `source-<name>.atom`: one per configured source, that source's alerts (backfill included, so a
  subscriber to one blog sees its reports), health alerts too.

Entry ids are tag: URIs built from report and alert ids, so they never change between runs. The
output is a pure function of the database (no "now" anywhere), and a file is only replaced (atomically,
tmp + rename) when its bytes changed, so a static host's ETag and Last-Modified stay stable and a
conditional GET answers 304 until something really happened.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator

from necwatch import diffs
from necwatch.config import Config
from necwatch.extract.sanitize import clean_html
from necwatch.store import Store

log = logging.getLogger("necwatch.feeds")

TAG = "tag:necwatch,2024:"
DATASETTE_DB = "necwatch"  # the database name the published Datasette serves
MAX_ENTRIES = 50
EPOCH = "1970-01-01T00:00:00+00:00"  # `updated` of a feed with no entries: deterministic, valid

KIND_LABELS: Mapping[str, str] = {
    "new_report": "New report",
    "report_edited": "Report edited",
    "report_removed": "Report removed",
    "report_restored": "Report restored",
    "report_republished": "Report republished",
    "new_comment": "New comment",
    "comment_edited": "Comment edited",
    "comment_removed": "Comment removed",
    "source_unhealthy": "Source unhealthy",
    "source_recovered": "Source recovered",
}
SOURCE_HEALTH = ("source_unhealthy", "source_recovered")


def write_feeds(store: Store, config: Config) -> int:
    """Write every feed; return how many files were (re)written because their content changed."""
    out = config.feeds_path
    out.mkdir(parents=True, exist_ok=True)
    base_url = (config.publish.base_url or "").rstrip("/") or None
    self_base = (config.publish.feeds_url or "").rstrip("/") or None
    title = config.publish.title
    feeds: dict[str, bytes] = {
        "reports.atom": reports_feed(
            store, title=f"{title}: new reports", base_url=base_url, self_url=_join(self_base, "reports.atom")
        ),
        "changes.atom": alerts_feed(
            _alerts(store, "backfill = 0 and kind not in (?, ?)", list(SOURCE_HEALTH)),
            store,
            feed_id=TAG + "feed:changes",
            title=f"{title}: changes",
            base_url=base_url,
            self_url=_join(self_base, "changes.atom"),
        ),
    }
    for source in config.sources:
        name = f"source-{_slug(source.name)}.atom"
        feeds[name] = alerts_feed(
            _alerts(store, "source = ?", [source.name]),
            store,
            feed_id=TAG + f"feed:source:{source.name}",
            title=f"{title}: {source.name}",
            base_url=base_url,
            self_url=_join(self_base, name),
            home=source.url,
        )
    written = 0
    for name, data in feeds.items():
        if write_if_changed(out / name, data):
            written += 1
    log.info("feeds written", extra={"written": written, "feeds": len(feeds)})
    return written


# -- building --------------------------------------------------------------------------------------
def reports_feed(store: Store, *, title: str, base_url: str | None, self_url: str | None) -> bytes:
    """The newest NEC reports (not near-duplicates), newest first."""
    rows = list(
        store.db.query(
            "select * from reports where is_nec_report = 1 and duplicate_of is null "
            "order by coalesce(published_at, first_seen_at) desc, id limit ?",
            [MAX_ENTRIES],
        )
    )
    fg = _feed(TAG + "feed:reports", title, self_url, base_url)
    updated = [_ts(r["updated_at"] or r["first_seen_at"]) for r in rows]
    fg.updated(max(updated, default=_ts(EPOCH)))
    for r, up in zip(rows, updated, strict=True):
        fe = fg.add_entry(order="append")
        fe.id(TAG + f"report:{r['id']}")
        fe.title(r["title"] or "(untitled)")
        fe.updated(up)
        if r["published_at"]:
            fe.published(_ts(r["published_at"]))
        if r["author"]:
            fe.author({"name": r["author"]})
        if r["canonical_url"]:
            fe.link(href=r["canonical_url"], rel="alternate", type="text/html")
        row_url = report_row_url(base_url, r["id"])
        if row_url:
            fe.link(href=row_url, rel="related", type="text/html", title="necwatch dataset row")
        if r["meeting_date"]:
            fe.category(term=f"meeting:{r['meeting_date']}", label=f"NEC meeting {r['meeting_date']}")
        if r["meeting_kind"]:
            fe.category(term=r["meeting_kind"])
        head = _meta_html(r)
        fe.content(clean_html(head + (r["body_html"] or "")), type="html")
    return fg.atom_str(pretty=True)


def alerts_feed(
    rows: list[dict[str, Any]],
    store: Store,
    *,
    feed_id: str,
    title: str,
    base_url: str | None,
    self_url: str | None,
    home: str | None = None,
) -> bytes:
    """A feed of alerts, newest first, each entry's content a sanitized HTML rendering."""
    fg = _feed(feed_id, title, self_url, base_url or home)
    fg.updated(max((_ts(r["created_at"]) for r in rows), default=_ts(EPOCH)))
    for r in rows:
        fe = fg.add_entry(order="append")
        fe.id(TAG + f"alert:{r['id']}")
        fe.title(f"{KIND_LABELS.get(r['kind'], r['kind'])}: {r['title'] or ''}".rstrip(": "))
        fe.updated(_ts(r["created_at"]))
        fe.published(_ts(r["created_at"]))
        fe.category(term=r["kind"])
        if r["url"]:
            fe.link(href=r["url"], rel="alternate", type="text/html")
        row_url = report_row_url(base_url, r["report_id"])
        if row_url:
            fe.link(href=row_url, rel="related", type="text/html", title="necwatch dataset row")
        fe.content(clean_html(alert_html(r, store)), type="html")
    return fg.atom_str(pretty=True)


def alert_html(alert: Mapping[str, Any], store: Store) -> str:
    """An alert as HTML (sanitized again by the caller): summary, then the diff or the content."""
    parts = [f"<p>{html.escape(alert['summary'] or '')}</p>"]
    kind = alert["kind"]
    if kind == "report_edited" and alert["diff"]:
        parts.append(diffs.html(alert["diff"]))
    elif kind in ("new_comment", "comment_edited") and alert["comment_id"]:
        row = store.db.execute(
            "select body_html from comments where id = ?", [alert["comment_id"]]
        ).fetchone()
        if row and row[0]:
            parts.append(f"<blockquote>{row[0]}</blockquote>")
    elif kind in ("new_report", "report_republished") and alert["report_id"]:
        row = store.db.execute("select body_html from reports where id = ?", [alert["report_id"]]).fetchone()
        if row and row[0]:
            parts.append(row[0])
    if alert["url"]:
        url = html.escape(alert["url"], quote=True)
        parts.append(f'<p><a href="{url}">{url}</a></p>')
    return "\n".join(parts)


def report_row_url(base_url: str | None, report_id: str | None) -> str | None:
    """The report's row in the published Datasette, or None when publish.base_url is unset."""
    if not base_url or not report_id:
        return None
    return f"{base_url}/{DATASETTE_DB}/reports/{report_id}"


# -- writing ---------------------------------------------------------------------------------------
def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that. True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


# -- helpers ---------------------------------------------------------------------------------------
def _alerts(store: Store, where: str, params: Iterable[Any]) -> list[dict[str, Any]]:
    return list(
        store.db.query(
            f"select * from alerts where {where} order by created_at desc, id limit {MAX_ENTRIES}",
            list(params),
        )
    )


def _feed(feed_id: str, title: str, self_url: str | None, home: str | None) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.author({"name": "necwatch"})
    fg.generator("necwatch")
    fg.language("en")
    if home:
        fg.link(href=home, rel="alternate")
    if self_url:
        fg.link(href=self_url, rel="self", type="application/atom+xml")
    return fg


def _meta_html(r: Mapping[str, Any]) -> str:
    bits = []
    if r["author"]:
        bits.append(f"By {html.escape(r['author'])}")
    if r["meeting_date"]:
        kind = f" ({html.escape(r['meeting_kind'].replace('_', ' '))})" if r["meeting_kind"] else ""
        bits.append(f"NEC meeting {html.escape(r['meeting_date'])}{kind}")
    return f"<p><em>{' · '.join(bits)}</em></p>\n" if bits else ""


def _ts(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _join(base: str | None, name: str) -> str | None:
    return f"{base}/{name}" if base else None


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "source"
