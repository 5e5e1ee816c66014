"""Atom 1.0 feeds written to config.feeds_path after each run (docs/tracking.md, "Feeds").

* `reports.atom`: the newest NEC reports, full sanitized HTML, author, meeting date.
* `changes.atom`: every non-backfill alert of a public kind (`AlertKind.public()`, an allow-list:
  reports and comments; edits as a readable diff).
* `source-<name>.atom`: one per configured source, that source's alerts (backfill included, so a
  subscriber to one blog sees its reports), operator (source health) alerts too; authored by the
  source's configured `author`, else each entry by its report's author.

Links, only to what is known (`Links`): each feed links to itself (`rel=self`, when
`publish.feeds_url` is set) and to the site (`rel=alternate`: the Datasette instance at
`publish.base_url`, else the static site). An entry's `rel=alternate` is the original post (what
the entry is about, what a feed reader opens); its `rel=related` links are necwatch's pages for it
(the report page and, for an edit, its versions and diffs), when `publish.base_url` is set.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from necwatch import diffs
from necwatch.alerts import AlertKind
from necwatch.config import Config
from necwatch.extract.chars import xml_text
from necwatch.extract.sanitize import clean_html
from necwatch.store import Store

log = logging.getLogger("necwatch.feeds")

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG = "tag:necwatch,2024:"
DATASETTE_DB = "necwatch"  # the database name the published Datasette serves
MAX_ENTRIES = 50
EPOCH = "1970-01-01T00:00:00+00:00"  # `updated` of a feed with no entries: deterministic, valid


@dataclass(frozen=True)
class Links:
    """Where the dataset is published (config.publish), so feeds link only to what is known.

    `datasette` is `publish.base_url`; `feeds_url` is where the static site serves the feeds: the
    GitHub Pages URL of the site or its `/feeds` folder (the files are in `feeds/` either way). An
    unset URL yields no link, never a guessed one.
    """

    datasette: str | None = None
    feeds_url: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> Links:
        return cls(_base(config.publish.base_url), _base(config.publish.feeds_url))

    @property
    def site(self) -> str | None:
        """The site a reader browses: the Datasette instance, else the static site of the feeds."""
        if self.datasette:
            return self.datasette + "/"
        root, _ = static_locations(self.feeds_url)
        return root + "/" if root else None

    def self_url(self, name: str) -> str | None:
        _, folder = static_locations(self.feeds_url)
        return f"{folder}/{name}" if folder else None

    def report_page(self, report_id: str | None) -> str | None:
        return report_row_url(self.datasette, report_id)

    def diff_page(self, report_id: str | None) -> str | None:
        """The report's versions with their diffs (the `report_history` canned query)."""
        if not self.datasette or not report_id:
            return None
        return f"{self.datasette}/{DATASETTE_DB}/report_history?report_id={quote(report_id)}"


def static_locations(feeds_url: str | None) -> tuple[str | None, str | None]:
    """(site root, feeds folder) from `publish.feeds_url`, which may name either of them."""
    url = (feeds_url or "").rstrip("/")
    if not url:
        return None, None
    if url.endswith("/feeds"):
        return url[: -len("/feeds")], url
    return url, url + "/feeds"


def write_feeds(store: Store, config: Config) -> int:
    """Write every feed; return how many files were (re)written because their content changed."""
    out = config.feeds_path
    out.mkdir(parents=True, exist_ok=True)
    links = Links.from_config(config)
    title = config.publish.title
    feeds: dict[str, bytes] = {
        "reports.atom": reports_feed(store, title=f"{title}: new reports", links=links),
        # An allow-list: an operator kind, or one a newer version adds, never reaches the public.
        "changes.atom": alerts_feed(
            store.feed_alerts(limit=MAX_ENTRIES, kinds=AlertKind.public(), include_backfill=False),
            store,
            name="changes.atom",
            feed_id=TAG + "feed:changes",
            title=f"{title}: changes",
            links=links,
        ),
    }
    for source in config.sources:
        name = f"source-{_slug(source.name)}.atom"
        feeds[name] = alerts_feed(
            store.feed_alerts(limit=MAX_ENTRIES, source=source.name),
            store,
            name=name,
            feed_id=TAG + f"feed:source:{source.name}",
            title=f"{title}: {source.name}",
            links=links,
            source=FeedSource(source.url, source.author),
        )
    written = 0
    for name, data in feeds.items():
        if write_if_changed(out / name, data):
            written += 1
    log.info("feeds written", extra={"written": written, "feeds": len(feeds)})
    return written


@dataclass(frozen=True)
class FeedSource:
    """A source feed's blog (linked as related, or as the site when no site is known) and author."""

    url: str
    author: str | None


# -- building --------------------------------------------------------------------------------------
def reports_feed(store: Store, *, title: str, links: Links) -> bytes:
    """The newest NEC reports (not near-duplicates), newest first."""
    rows = store.feed_reports(MAX_ENTRIES)
    updated = [r["updated_at"] or r["first_seen_at"] for r in rows]
    latest = max(updated, key=_ts, default=EPOCH)
    feed = _feed(TAG + "feed:reports", title, links.self_url("reports.atom"), links.site, latest)
    for r, up in zip(rows, updated, strict=True):
        entry = _entry(feed, TAG + f"report:{r['id']}", r["title"] or "(untitled)", up, r["published_at"])
        if r["author"]:
            _author(entry, r["author"])
        _entry_links(entry, r["canonical_url"], [(links.report_page(r["id"]), REPORT_PAGE)])
        if r["meeting_date"]:
            _category(entry, f"meeting:{r['meeting_date']}", f"NEC meeting {r['meeting_date']}")
        if r["meeting_kind"]:
            _category(entry, r["meeting_kind"])
        _content(entry, _meta_html(r) + (r["body_html"] or ""))
    return _serialize(feed)


REPORT_PAGE = "the report on necwatch"
DIFF_PAGE = "its versions and diffs on necwatch"


def alerts_feed(
    rows: list[dict[str, Any]],
    store: Store,
    *,
    name: str,
    feed_id: str,
    title: str,
    links: Links,
    source: FeedSource | None = None,
) -> bytes:
    """A feed of alerts, newest first, each entry's content a sanitized HTML rendering.

    A source feed is authored by the source's configured author; its entries by that author, else
    (a site with many authors has no configured one) by the author of the report they are about.
    """
    updated = max((r["created_at"] for r in rows), key=_ts, default=EPOCH)
    blog = _http_url(source.url) if source else None
    author = source.author if source else None
    feed = _feed(feed_id, title, links.self_url(name), links.site or blog, updated, author=author)
    if blog and links.site:
        _link(feed, blog, "related", "text/html", "the source")
    authors = store.report_authors([r["report_id"] for r in rows if r["report_id"]])
    for r in rows:
        if not r["url"] and r["comment_id"]:  # a removed comment has no URL of its own any more
            r = {**r, "url": store.comment_page(r["comment_id"])}
        label = AlertKind.label_of(r["kind"])
        # the title, unless it only repeats the kind ("Comment removed: Comment removed")
        if r["title"] and r["title"].strip().lower() != label.lower():
            label = f"{label}: {r['title']}"
        entry = _entry(feed, TAG + f"alert:{r['id']}", label, r["created_at"], r["created_at"])
        # A comment's alert is not by the report's author (its comment's author is in its content).
        entry_author = author or (None if r["comment_id"] else authors.get(r["report_id"] or ""))
        if entry_author:
            _author(entry, entry_author)
        _category(entry, r["kind"])
        pages = [(links.report_page(r["report_id"]), REPORT_PAGE)]
        if AlertKind.known(r["kind"]) is AlertKind.REPORT_EDITED:
            pages.insert(0, (links.diff_page(r["report_id"]), DIFF_PAGE))
        _entry_links(entry, r["url"], pages)
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
    return f"{base_url}/{DATASETTE_DB}/reports/{quote(report_id)}"


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
def _feed(
    feed_id: str,
    title: str,
    self_url: str | None,
    site: str | None,
    updated: str,
    *,
    author: str | None = None,
) -> ET.Element:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    ET.SubElement(feed, "id").text = feed_id
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "updated").text = _rfc3339(updated)
    _author(feed, author or "necwatch")
    ET.SubElement(feed, "generator").text = "necwatch"
    if site:
        _link(feed, site, "alternate", "text/html")
    if self_url:
        _link(feed, self_url, "self", "application/atom+xml")
    return feed


def _author(parent: ET.Element, name: str) -> None:
    ET.SubElement(ET.SubElement(parent, "author"), "name").text = name


def _entry_links(entry: ET.Element, original: str | None, pages: list[tuple[str | None, str]]) -> None:
    """rel=alternate: the original post (what the entry is about); rel=related: necwatch's pages."""
    href = _http_url(original)
    if href:
        _link(entry, href, "alternate", "text/html", "the original")
    for page, title in pages:
        if page:
            _link(entry, page, "related", "text/html", title)


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
    """The feed as XML; every text and attribute without the characters XML 1.0 forbids (a title
    with ESC or U+FFFE stored before ingestion dropped them must not break the feed for everyone)."""
    for element in feed.iter():
        element.text, element.tail = xml_text(element.text), xml_text(element.tail)
        for key, value in element.attrib.items():
            element.attrib[key] = xml_text(value)
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
    """RFC 3339 date-time in UTC, as Atom requires (stored times may lack a zone). A stored time
    with no UTC value in years 1-9999 (or unreadable) is written as the epoch, never a crash."""
    try:
        return _ts(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        log.warning("unusable stored time %r written as %s", value, EPOCH)
        return "1970-01-01T00:00:00Z"


def _http_url(url: str | None) -> str | None:
    """An absolute http(s) URL, else None: a scraped `javascript:` URL or a relative path is never
    emitted as a link."""
    url = (url or "").strip()
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _base(url: str | None) -> str | None:
    """A configured base URL (http(s) only) without its trailing slash, ready to append paths to."""
    href = _http_url(url)
    return href.rstrip("/") if href else None


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "source"
