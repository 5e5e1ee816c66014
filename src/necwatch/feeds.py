"""Atom 1.0 feeds written to config.feeds_path after each run (docs/tracking.md, "Feeds").

* `reports.atom`: the newest NEC reports, full sanitized HTML, author, meeting date, links to the
  original and (when publish.base_url is set) to the report's Datasette row.
* `changes.atom`: every non-backfill alert of a public kind (`AlertKind.public()`, an allow-list:
  reports and comments; edits as a readable diff).
* `source-<name>.atom`: one per configured source, that source's alerts (backfill included, so a
  subscriber to one blog sees its reports), operator (source health) alerts too.

The XML is written with ElementTree rather than feedgen: feedgen 1.0 drops `rel`/`type` from entry
links (two rel-less links read as two "alternate" links, invalid per RFC 4287 4.1.1). Entry ids are
tag: URIs built from report and alert ids, so they never change between runs. The output is a pure
function of the database (no "now" anywhere), and a file is only replaced (atomically, tmp + rename)
when its bytes changed, so a static host's ETag and Last-Modified stay stable and a conditional GET
answers 304 until something really happened.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from necwatch import diffs
from necwatch.alerts import AlertKind
from necwatch.config import Config
from necwatch.extract.sanitize import clean_html
from necwatch.store import Store

log = logging.getLogger("necwatch.feeds")

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG = "tag:necwatch,2024:"
DATASETTE_DB = "necwatch"  # the database name the published Datasette serves
MAX_ENTRIES = 50
EPOCH = "1970-01-01T00:00:00+00:00"  # `updated` of a feed with no entries: deterministic, valid


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
        # An allow-list: an operator kind, or one a newer version adds, never reaches the public.
        "changes.atom": alerts_feed(
            store.feed_alerts(limit=MAX_ENTRIES, kinds=AlertKind.public(), include_backfill=False),
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
            store.feed_alerts(limit=MAX_ENTRIES, source=source.name),
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
    rows = store.feed_reports(MAX_ENTRIES)
    updated = [r["updated_at"] or r["first_seen_at"] for r in rows]
    feed = _feed(TAG + "feed:reports", title, self_url, base_url, max(updated, key=_ts, default=EPOCH))
    for r, up in zip(rows, updated, strict=True):
        entry = _entry(feed, TAG + f"report:{r['id']}", r["title"] or "(untitled)", up, r["published_at"])
        if r["author"]:
            ET.SubElement(ET.SubElement(entry, "author"), "name").text = r["author"]
        if r["canonical_url"]:
            _link(entry, r["canonical_url"], "alternate", "text/html")
        row_url = report_row_url(base_url, r["id"])
        if row_url:
            _link(entry, row_url, "related", "text/html", "necwatch dataset row")
        if r["meeting_date"]:
            _category(entry, f"meeting:{r['meeting_date']}", f"NEC meeting {r['meeting_date']}")
        if r["meeting_kind"]:
            _category(entry, r["meeting_kind"])
        _content(entry, _meta_html(r) + (r["body_html"] or ""))
    return _serialize(feed)


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
    updated = max((r["created_at"] for r in rows), key=_ts, default=EPOCH)
    feed = _feed(feed_id, title, self_url, base_url or home, updated)
    for r in rows:
        label = f"{AlertKind.label_of(r['kind'])}: {r['title'] or ''}".rstrip(": ")
        entry = _entry(feed, TAG + f"alert:{r['id']}", label, r["created_at"], r["created_at"])
        _category(entry, r["kind"])
        if r["url"]:
            _link(entry, r["url"], "alternate", "text/html")
        row_url = report_row_url(base_url, r["report_id"])
        if row_url:
            _link(entry, row_url, "related", "text/html", "necwatch dataset row")
        _content(entry, alert_html(r, store))
    return _serialize(feed)


def alert_html(alert: Mapping[str, Any], store: Store) -> str:
    """An alert as HTML (sanitized again by the caller): summary, then the diff or the content."""
    parts = [f"<p>{html.escape(alert['summary'] or '')}</p>"]
    kind = AlertKind.known(alert["kind"])
    if kind is AlertKind.REPORT_EDITED and alert["diff"]:
        parts.append(diffs.html(alert["diff"]))
    elif kind in (AlertKind.NEW_COMMENT, AlertKind.COMMENT_EDITED) and alert["comment_id"]:
        body = store.comment_body(alert["comment_id"])
        if body:
            parts.append(f"<blockquote>{body}</blockquote>")
    elif kind in (AlertKind.NEW_REPORT, AlertKind.REPORT_REPUBLISHED) and alert["report_id"]:
        body = store.report_body(alert["report_id"])
        if body:
            parts.append(body)
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
def _feed(feed_id: str, title: str, self_url: str | None, home: str | None, updated: str) -> ET.Element:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    ET.SubElement(feed, "id").text = feed_id
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "updated").text = _rfc3339(updated)
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "necwatch"
    ET.SubElement(feed, "generator").text = "necwatch"
    if home:
        _link(feed, home, "alternate", "text/html")
    if self_url:
        _link(feed, self_url, "self", "application/atom+xml")
    return feed


def _entry(feed: ET.Element, entry_id: str, title: str, updated: str, published: str | None) -> ET.Element:
    entry = ET.SubElement(feed, "entry")
    ET.SubElement(entry, "id").text = entry_id
    ET.SubElement(entry, "title").text = title
    ET.SubElement(entry, "updated").text = _rfc3339(updated)
    if published:
        ET.SubElement(entry, "published").text = _rfc3339(published)
    return entry


def _link(parent: ET.Element, href: str, rel: str, mime: str, title: str | None = None) -> None:
    attrs = {"href": href, "rel": rel, "type": mime}
    if title:
        attrs["title"] = title
    ET.SubElement(parent, "link", attrs)


def _category(parent: ET.Element, term: str, label: str | None = None) -> None:
    ET.SubElement(parent, "category", {"term": term, **({"label": label} if label else {})})


def _content(entry: ET.Element, untrusted_html: str) -> None:
    """type="html" content: the sanitized HTML as escaped text (what every Atom reader expects)."""
    ET.SubElement(entry, "content", {"type": "html"}).text = clean_html(untrusted_html)


def _serialize(feed: ET.Element) -> bytes:
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


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


def _rfc3339(value: str) -> str:
    """RFC 3339 date-time in UTC, as Atom requires (stored times may lack a zone)."""
    return _ts(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _join(base: str | None, name: str) -> str | None:
    return f"{base}/{name}" if base else None


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "source"
