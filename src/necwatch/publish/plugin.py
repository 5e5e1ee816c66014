"""The necwatch Datasette plugin: safe rendering, report pages, SQL helpers and security headers.

Self-contained on purpose (datasette, markupsafe, nh3): `necwatch publish` copies this file into
`--plugins-dir` for hosts where necwatch itself is not installed. Stored HTML is untrusted even
though it was sanitized when written, so it is sanitized again here before any page shows it.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import copy
import functools
import hashlib
import json
import re
import sqlite3
import tempfile
import weakref
from collections.abc import Awaitable, Callable
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import nh3
from datasette import hookimpl
from datasette.url_builder import Urls
from markupsafe import Markup

try:  # the one allow-list, when necwatch is installed
    from necwatch.extract.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES
except ImportError:  # pragma: no cover - deployed without necwatch: the same policy, restated
    ALLOWED_TAGS = {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl",
        "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }  # fmt: skip
    ALLOWED_ATTRIBUTES = {
        "a": {"href", "title"},
        "img": {"src", "alt", "title", "width", "height"},
        "td": {"colspan", "rowspan"},
        "th": {"colspan", "rowspan"},
        "blockquote": {"cite"},
        "q": {"cite"},
    }
    URL_SCHEMES = {"http", "https", "mailto"}
try:
    from necwatch.extract.chars import xml_text
except ImportError:  # pragma: no cover - deployed without necwatch: the same rule, restated
    _NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

    def xml_text(text: str) -> str:  # type: ignore[no-redef]
        return _NOT_XML.sub("", text)


NECWATCH_TABLES = {"reports", "posts", "report_versions", "comments", "alerts", "sources"}
HTML_COLUMNS = {"body_html"}
TRUNCATE_IN_TABLES = {"body_text": 240, "diff": 400, "word_diff": 400}
REPORT_ID_COLUMNS = {"report_id", "duplicate_of", "pointer_report_id"}
# Count columns of canned queries that link to the rows they count (for the row's report_id).
COUNT_LINKS = {"versions": ("report_history", "version"), "comments": ("report_comments", "comment")}
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
# Stored times (ISO 8601, UTC) a reader sees as dates in words; the value stays in <time datetime>.
TIME_COLUMNS = frozenset(
    {"published_at", "published", "first_seen_at", "updated_at", "removed_at", "seen_at", "created_at",
     "last_ok_at", "last_polled_at", "next_check_at", "delivered_at", "fetched_at", "ts", "started_at",
     "finished_at", "first_report_at"}
)  # fmt: skip
# Column names as a reader reads them (headers, glossaries, phone labels); any other column is
# written out ("some_new_column" → "Some new column"). The names stay the data's (JSON, CSV, SQL).
COLUMN_LABELS = {
    "report_id": "Report", "title": "Title", "author": "Author", "published_at": "Published",
    "published": "Published", "meeting_date": "Meeting", "meeting_kind": "Kind of meeting",
    "meeting_year": "Year", "words": "Words", "length_words": "Words", "comment_count": "Comments",
    "comments": "Comments", "version": "Version", "versions": "Versions", "canonical_url": "Original",
    "url": "Link", "seen_at": "Seen", "kind": "Kind", "word_diff": "Changed words",
    "diff": "Changed paragraphs", "created_at": "When", "summary": "What happened", "source": "Source",
    "diff_of": "Diff", "backfill": "First poll", "health": "Health", "errors_7d": "Errors in 7 days",
    "name": "Name", "count": "Reports", "report_ids": "Reports naming it", "comment_id": "Comment id",
    "body_html": "Text", "body_text": "Text", "removed_at": "Removed", "snippet": "Passage",
    "days_after_meeting": "Days after the meeting", "last_ok_at": "Last good poll",
    "last_polled_at": "Last polled", "next_check_at": "Next check",
    "consecutive_failures": "Failures in a row",
    "last_error_kind": "Last error", "last_error": "Error message", "posts": "Posts", "type": "Type",
    "is_nec_report": "NEC report", "first_seen_at": "First seen", "updated_at": "Text changed",
    "duplicate_of": "Copy of", "similarity": "Similarity", "post_count": "Places published",
    "content_hash": "Content hash", "id": "Id", "meeting_kinds": "Kinds", "reports": "Reports",
    "authors": "Reporters", "kind_of_meeting": "Kind of meeting",
}  # fmt: skip
# Addresses shown in grids as a short link (the whole address is its href and title).
URL_COLUMNS = frozenset({"url", "canonical_url"})
MEETING_KINDS = {
    "full": "full NEC", "special": "special meeting", "away_day": "away day",
    "sub_committees": "sub-committees", "clause_v": "Clause V meeting",
}  # fmt: skip
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip


def column_label(column: str) -> str:
    """A column's name as a reader reads it."""
    label = COLUMN_LABELS.get(column)
    if label is None:
        words = column.replace("_", " ").strip()
        label = words[:1].upper() + words[1:]
    return label


# YYYY-MM, YYYY-MM-DD, or a time as stored (seconds, fraction and zone optional): one anchored
# pass, each part optional only as a whole (no backtracking to speak of).
_ISO = re.compile(
    r"(\d{4})-(\d{2})(?:-(\d{2})(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?"
)


def date_words(value: str | None) -> str:
    """An ISO date or time in words: "2024-01-23" → "23 January 2024", "2020-01" → "January 2020",
    "2024-01-24T13:37:00+00:00" → "24 January 2024, 13:37" (UTC as stored); anything else unchanged.
    A regular expression: ~1 µs where slicing and checks took ~4 (a table page has hundreds)."""
    text = value or ""
    m = _ISO.fullmatch(text)
    if m is None:
        return text
    year, month, day, clock = m.groups()
    month_name = _MONTHS[int(month) - 1] if "01" <= month <= "12" else None
    if month_name is None or (day is not None and not "01" <= day <= "31"):
        return text
    if day is None:
        return f"{month_name} {year}"
    words = f"{int(day)} {month_name} {year}"
    return f"{words}, {clock}" if clock else words


@functools.lru_cache(maxsize=4096)
def _time(value: str) -> Markup | None:
    """A stored time in words, in <time datetime>; None when it is not one (shown as it is). Not
    escaped: what date_words reads is digits, "-", ":", "T", "Z", "+" and "." only. Cached: a
    table page shows four a row, and its first page is the one most asked for."""
    words = date_words(value)
    return Markup(f'<time datetime="{value}">{words}</time>') if words != value else None


# render_cell is not told which page it renders for; the ASGI wrapper records the request path.
_request_path: contextvars.ContextVar[str] = contextvars.ContextVar("necwatch_request_path", default="")


_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|\xa0|<br\s*/?>)*</p>\s*", re.I)


def sanitize(html: str) -> str:
    """Untrusted HTML → safe HTML (the write-time policy, applied again at render time), without the
    empty `<p><br></p>` paragraphs word processors leave (dropped here, not at write time, so the
    stored bodies and their content hashes do not change)."""
    return _EMPTY_PARAGRAPH.sub("", _clean(html)).strip()


# An <a>, </a> or <img> tag of sanitized HTML (quoted attribute values may hold ">"): linear, the
# two alternatives of an attribute character never start alike.
_LINK_OR_IMAGE = re.compile(r'<(/?)(a|img)\b((?:[^>"]|"[^"]*")*)>', re.I)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
_FILE_NAME = re.compile(r"[\w-]*(?:\.(?:jpe?g|png|gif|webp|svg)|[_-]?\d{2,})", re.I)


def page_html(html: str) -> str:
    """Untrusted HTML as a page shows it: sanitized, each image a placeholder (the site's CSP allows
    no third-party image, which a browser drew as a broken icon with its alt text run into the
    sentence): a boxed "Image: <alt>" linking to the image, or plain text inside a link."""
    clean = sanitize(html)
    return _placeholder_images(clean) if "<img" in clean else clean


def _report_body(html: str) -> Markup:
    """A report's body on its page: sanitized, each paragraph in its record id's span, images as
    placeholders."""
    with_ids = str(_record_pages().body_with_ids(sanitize(html)))
    return Markup(_placeholder_images(with_ids) if "<img" in with_ids else with_ids)


def _placeholder_images(html: str) -> str:
    depth = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal depth
        closing, tag = m.group(1), m.group(2).lower()
        if tag == "a":
            depth = max(depth - 1, 0) if closing else depth + 1
            return m.group(0)
        if closing:
            return ""
        attrs = {k.lower(): unescape(v) for k, v in _ATTRIBUTE.findall(m.group(3))}
        alt = " ".join((attrs.get("alt") or attrs.get("title") or "").split())
        if len(alt) < 80 and _FILE_NAME.fullmatch(alt):
            alt = ""  # a file name ("img_9901", "photo.jpg"), not a description
        label = escape(f"Image: {alt}" if alt else "Image")
        href = safe_href(attrs.get("src"))
        if depth or not href:  # inside a link already: no link in a link
            return f'<span class="nw-img">{label}</span>'
        return f'<a class="nw-img" href="{escape(href)}" rel="noopener noreferrer nofollow">{label}</a>'

    return _LINK_OR_IMAGE.sub(swap, html)


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def fts_query(q: str | None) -> str:
    """User text → an FTS5 query of quoted terms (never a syntax error); `term*` stays a prefix search."""
    terms = []
    for raw in (q or "").split():
        prefix = raw.endswith("*")
        word = raw.rstrip("*").replace('"', "")
        if word:
            terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms) or '""'


# Suffixes trimmed from a search word so its snippet also highlights the forms the porter stemmer
# matched ("motions" finds "motion"); then any word starting with what is left is highlighted.
_SUFFIXES = ("ational", "ing", "ed", "es", "ly", "s", "e")
_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=256)
def _search_terms(q: str) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """The search's words, trimmed of suffixes and lower-cased, and a pattern that marks them."""
    stems = []
    for raw in q.split():
        word = raw.strip('"*').lower()
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        if _WORD.fullmatch(word):
            stems.append(word)
    if not stems:
        return (), None
    return tuple(stems), re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.I)


def _first_word(text: str, stems: tuple[str, ...]) -> int:
    """Where the first word starting with one of `stems` (lower-, Title- or UPPER-case) starts in
    `text`, 0 if none: str.find of each form, where lower-casing a 15 KB body alone took 70 µs."""
    best = -1
    for form in (f(stem) for stem in stems for f in (str.lower, str.capitalize, str.upper)):
        i = text.find(form)
        while i > 0 and text[i - 1].isalnum():
            i = text.find(form, i + 1)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return max(best, 0)


def snippet(text: str | None, q: str | None, words: int = 24) -> str:
    """~`words` words of `text` around the first word matching the search, matches between
    MARK_OPEN/MARK_CLOSE. A string search per row instead of FTS5's snippet(), which re-tokenized
    each whole 15 KB body (5 ms for 20 rows, 15 ms for a page of 50); it finds words by prefix, so
    it may also mark a longer word ("labourer" for "labour") that the stemmer would not match."""
    text = text or ""
    if MARK_OPEN in text or MARK_CLOSE in text:
        text = text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    stems, pattern = _search_terms(q or "")
    at = _first_word(text, stems) if stems else 0
    head = text[max(0, at - 200) : at].split()
    if at > 200 and head:
        head = head[1:]  # the slice may have cut its first word
    before = head[len(head) - words // 3 :] if len(head) > words // 3 else head
    rest = text[at:].split(maxsplit=words - len(before))
    window = " ".join(before + rest[: words - len(before)])
    if pattern:
        window = pattern.sub(lambda m: MARK_OPEN + m.group(0) + MARK_CLOSE, window)
    lead = "…" if at > 200 or len(head) > len(before) else ""
    return lead + window + ("…" if len(rest) > words - len(before) else "")


def is_necwatch(datasette: Any, database: str | None) -> bool:
    """Only touch databases with necwatch metadata (the plugin is registered process-wide).
    record_pages holds the one cached check (render_cell asks once per cell)."""
    return bool(_record_pages().is_necwatch(datasette, database))


# Canned queries are served by the `canned_queries` hook, not kept in Datasette's metadata:
# Datasette 0.65 deep-copies the whole metadata on every table permission check (several a page)
# and the queries were 70% of it, ~1.5 ms of every page. `necwatch serve` hands them over in
# process; a deployment reads them from QUERIES_FILE, written next to this file in --plugins-dir.
QUERIES_FILE = "necwatch_queries.json"
_served_queries: weakref.WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def serve_queries(datasette: Any, queries: dict[str, dict[str, Any]]) -> None:
    """The canned queries of each database (by name) this Datasette instance serves."""
    _served_queries[datasette] = queries


@functools.cache
def _bundled_queries() -> dict[str, dict[str, Any]]:
    path = Path(__file__).with_name(QUERIES_FILE)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class RememberingUrls(Urls):
    """Datasette's URL builder, remembering the URL of each database, table and query it has built.

    Datasette's templates ask for the same few URLs dozens of times a page (the meeting page ~26),
    each tilde-encoded character by character (~5 µs): an eighth of the meeting page's time. These
    URLs depend only on the names and the base_url setting. Datasette builds a new Urls whenever
    it is asked (`Datasette.urls` is a property), so this one serves the plugin's own code and,
    through extra_template_vars, every template."""

    def __init__(self, ds: Any) -> None:
        super().__init__(ds)
        self._known: dict[tuple[str, str, str, str | None], Any] = {}

    def _remember(self, key: tuple[str, str, str, str | None], build: Callable[[], Any]) -> Any:
        url = self._known.get(key)
        if url is None:
            if len(self._known) > 4096:  # names come from requests too: stay bounded
                self._known.clear()
            url = self._known[key] = build()
        return url

    def database(self, database: str, format: str | None = None) -> Any:
        return self._remember(
            ("d", database, "", format), lambda: super(RememberingUrls, self).database(database, format)
        )

    def table(self, database: str, table: str, format: str | None = None) -> Any:
        return self._remember(
            ("t", database, table, format),
            lambda: super(RememberingUrls, self).table(database, table, format),
        )

    def query(self, database: str, query: str, format: str | None = None) -> Any:
        return self._remember(
            ("q", database, query, format),
            lambda: super(RememberingUrls, self).query(database, query, format),
        )


_urls: weakref.WeakKeyDictionary[Any, RememberingUrls] = weakref.WeakKeyDictionary()


def urls_of(datasette: Any) -> RememberingUrls:
    """The instance's remembering URL builder (the plugin's pages, and every template's `urls`)."""
    urls = _urls.get(datasette)
    if urls is None:
        urls = _urls[datasette] = RememberingUrls(datasette)
    return urls


@hookimpl
def canned_queries(datasette: Any, database: str, actor: Any) -> dict[str, Any] | None:
    queries = _served_queries.get(datasette)
    return (queries if queries is not None else _bundled_queries()).get(database)


# Each report row is ~30 kB (two bodies), about a page of its own plus overflow pages, so a query
# that touches many rows (a table search counting a common word's 100,000 matches) reads a page per
# row: through mmap rather than a read() call each, that count took 82 ms instead of 156 ms at
# 100,000 reports. Served connections only read; SQLite caps the size (2 GB in common builds).
MMAP_SIZE = 1 << 31


@hookimpl
def prepare_connection(conn: Any) -> None:
    """SQL helpers for the canned queries and feeds: re-sanitize, escape, safe FTS queries; and
    reads through memory-mapped I/O (MMAP_SIZE)."""
    conn.execute(f"pragma mmap_size = {MMAP_SIZE}")
    conn.create_function("necwatch_clean_html", 1, _clean_or_empty, deterministic=True)
    conn.create_function("necwatch_escape", 1, _escape_or_empty, deterministic=True)
    conn.create_function("necwatch_fts_query", 1, fts_query, deterministic=True)
    conn.create_function("necwatch_snippet", 2, snippet, deterministic=True)


def _clean_or_empty(html: str | None) -> str:
    return sanitize(html) if html else ""


def _escape_or_empty(value: object) -> str:
    return escape(str(value)) if value is not None else ""


def _render_diff(value: str) -> Markup:
    lines = []
    for line in value.splitlines():
        cls = "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"
        lines.append(f'<span class="{cls}">{escape(line)}</span>')
    return Markup('<pre class="nw-diff">' + "\n".join(lines) + "</pre>")


_WORD_DIFF = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.S)


def _render_word_diff(value: str) -> Markup:
    out, pos = [], 0
    for m in _WORD_DIFF.finditer(value):
        out.append(escape(value[pos : m.start()]))
        if m.group(1) is not None:
            out.append(f"<del>{escape(m.group(1))}</del>")
        else:
            out.append(f"<ins>{escape(m.group(2))}</ins>")
        pos = m.end()
    out.append(escape(value[pos:]))
    return Markup('<div class="nw-word-diff">' + "".join(out) + "</div>")


# Every column render_cell changes; any other cell is left to Datasette at once.
_CELL_COLUMNS = frozenset(
    {*HTML_COLUMNS, *TRUNCATE_IN_TABLES, *REPORT_ID_COLUMNS, *COUNT_LINKS, "body_text", "diff", "word_diff",
     "snippet", "meeting_date", "title", "diff_of", "report_ids", "meeting_kind", "kind", *URL_COLUMNS,
     *TIME_COLUMNS}
)  # fmt: skip


# The columns a row page shows otherwise than a listing (the only cells that ask which page it is).
_PAGE_COLUMNS = frozenset({*HTML_COLUMNS, *TRUNCATE_IN_TABLES, "body_text"})


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Bodies as sanitized HTML, diffs coloured, snippets highlighted, report ids linked."""
    if column not in _CELL_COLUMNS:  # most cells: one set lookup (a 1,000-row grid has 13,000)
        return None
    counted = table is None and column in COUNT_LINKS and isinstance(value, int)
    if counted and is_necwatch(datasette, database):
        keys = row.keys() if hasattr(row, "keys") else ()
        if "report_id" in keys and row["report_id"]:
            query, noun = COUNT_LINKS[column]
            href = urls_of(datasette).query(database, query) + "?report_id=" + quote(row["report_id"])
            return _a(href, f"{value} {noun}{'' if value == 1 else 's'}")
    if not isinstance(value, str) or not is_necwatch(datasette, database):
        return None
    if column in TIME_COLUMNS:  # the commonest (four a report row), and the same on every page
        return _time(value)
    if column in _PAGE_COLUMNS:  # only these differ between a row page and a listing
        row_page = table is not None and _is_row_page(datasette)
        in_listing = table is not None and not row_page
        if row_page and table == "reports" and column in ("body_html", "body_text"):
            if column == "body_html":
                return Markup('<a href="#report-body">shown below</a>')
            return _truncate(value, 240)
        if column in HTML_COLUMNS:
            if in_listing:
                return listing_excerpt(value, 240)
            return Markup('<div class="nw-body">' + page_html(value) + "</div>")
        if column in TRUNCATE_IN_TABLES and in_listing:
            return _truncate(value, TRUNCATE_IN_TABLES[column])
    if column == "diff":
        return _render_diff(value)
    if column == "word_diff":
        return _render_word_diff(value)
    if column == "snippet":
        html = escape(value).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        return Markup(html)
    return _link_cell(row, value, column, table, database, datasette)


def _link_cell(row: Any, value: str, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Links in listings and canned queries: a meeting date to its meeting page; in canned queries, a
    report id and a title (next to a report_id) to the report page, versions and comments to theirs."""
    urls = urls_of(datasette)
    if column == "meeting_date" and value:  # the same few dates down a page: each link built once
        return urls._remember(
            ("m", database, value, None),
            lambda: _a(
                _query_url(datasette, database, "meeting_reports") + "?meeting=" + quote(value),
                date_words(value),
            ),
        )
    if column == "meeting_kind" and value:
        return MEETING_KINDS.get(value, value.replace("_", " "))
    if column in URL_COLUMNS and value:
        href = safe_href(value)
        return _a(href, short_url(href), title=href) if href else None
    if not value or (table is not None and table != "reports_list"):
        return None
    if column == "kind" and "_" in value:  # an alert's kind: "report_removed" → "report removed"
        return value.replace("_", " ")
    keys = row.keys() if hasattr(row, "keys") else ()
    if table == "reports_list":  # "Browse all reports": each title opens its report's page
        if column == "title" and "id" in keys:
            return _a(report_url(datasette, database, row["id"]), value)
        return None
    report_id = row["report_id"] if "report_id" in keys else None
    if column in REPORT_ID_COLUMNS:
        return _a(report_url(datasette, database, value), value)
    if column == "title" and report_id:
        return _a(report_url(datasette, database, report_id), value)
    if column == "diff_of":
        return _a(urls.query(database, "report_history") + "?report_id=" + quote(value), "diff")
    if column == "report_ids":  # a JSON list of report ids (the unmatched names): one link each
        return _report_links(datasette, database, value)
    return None


def _query_url(datasette: Any, database: str, name: str) -> str:
    """A canned query's URL (a listing links a meeting date in each of its rows)."""
    return str(urls_of(datasette).query(database, name))


def _report_links(datasette: Any, database: str, value: str) -> Any:
    try:
        ids = json.loads(value)
    except ValueError:
        return None
    if not isinstance(ids, list):
        return None
    links = [_a(report_url(datasette, database, str(i)), str(i)) for i in ids if i]
    return Markup(", ").join(links)


def _a(href: str, text: str, title: str | None = None) -> Markup:
    # str(): Datasette's URLs are PrefixedUrlString, whose every str method is wrapped; escaping one
    # took ~30 µs, most of a meeting page's rendering time.
    hint = f' title="{escape(title)}"' if title else ""
    return Markup(f'<a href="{escape(str(href))}"{hint}>{escape(str(text))}</a>')


def short_url(url: str, limit: int = 48) -> str:
    """A link's text in a grid: the address without its scheme (and www.), cut at `limit`
    characters; the whole address stays the link and its title."""
    text = url.split("://", 1)[-1]
    text = text[4:] if text.startswith("www.") else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_row_page(datasette: Any) -> bool:
    """A row page's path is /<db>/<table>/<pk> (after the base URL)."""
    return _is_row_path(_request_path.get(), datasette.setting("base_url") or "/")


@functools.lru_cache(maxsize=512)
def _is_row_path(path: str, base: str) -> bool:
    """Asked for every rendered cell of a page (the same path each time): cached."""
    if path.startswith(base):
        path = path[len(base) :]
    parts = [p for p in path.split("/") if p]
    return len(parts) == 3 and not parts[-1].startswith("-")


def safe_href(url: str | None) -> str | None:
    """Only http(s) links leave the page: a scraped `javascript:` or `data:` URL is shown as text."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


_TAG = re.compile(r"<[^>]*>")


def listing_excerpt(html: str, limit: int) -> str:
    """The text of `html` (tags stripped, spaces collapsed), cut to `limit` characters, read from
    as short a prefix of `html` as gives it: a listing shows 240 characters of each ~15 kB body,
    and stripping and re-splitting the whole body for them was a third of the table page's time.

    The same string as `_truncate(" ".join(_TAG.sub(" ", html).split()), limit)`: the prefix ends
    before the first `<` after its last `>` (a tag it may have cut in two), so every tag it strips
    is one the whole body strips, and its collapsed text is a prefix of the whole body's. The first
    prefix is about twice `limit` (a report's markup is a few tags a paragraph): collapsing the
    spaces costs by the word, and 1,200 characters for 240 took most of the excerpt's time."""
    size = 2 * limit + 32
    while True:
        if size >= len(html):
            return _truncate(" ".join(_TAG.sub(" ", html).split()), limit)
        chunk = html[:size]
        cut = chunk.find("<", chunk.rfind(">") + 1)
        text = " ".join(_TAG.sub(" ", chunk if cut < 0 else chunk[:cut]).split())
        if len(text) > limit:
            return _truncate(text, limit)
        size *= 4


@hookimpl
def extra_template_vars(
    template: str, database: str | None, table: str | None, view_name: str, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def inner() -> dict[str, Any]:
        names = [n for n in datasette.databases if n != "_internal" and is_necwatch(datasette, n)]
        extra: dict[str, Any] = {"necwatch_databases": names, "urls": urls_of(datasette)}
        db = database if database in names else (names[0] if names else None)
        if db:
            extra["necwatch_feeds"] = page_feeds(datasette, db, request)
        if view_name in ("index", "database"):
            extra["necwatch_meetings"] = {n: await _recent_meetings(datasette, n) for n in names}
        # a page about one report (its versions, its comments) names it; Datasette 0.65 names its
        # query view "", hence the template
        report_id = request.args.get("report_id") if request is not None else None
        if (template or "").startswith("query") and database and database in names and report_id:
            extra["necwatch_report"] = await _report_title(datasette, database, report_id)
        return extra

    return inner


# The site's feeds, offered on every page (<link rel="alternate" type="application/atom+xml">).
SITE_FEEDS = (("feed_new_reports", "New NEC reports"), ("feed_changes", "Edits, removals and comments"))
# A page's own feed, by the page's path after /<db>/: the path's first part → its feed's title.
_PAGE_FEEDS = {"decisions_list": "New decisions", "people": "This person in the reports"}


def page_feeds(datasette: Any, database: str, request: Any) -> list[dict[str, str]]:
    """The feeds a page links to in its head: the page's own first (a search's saved-search feed,
    a person's, the decisions'), then the site's."""
    urls = urls_of(datasette)
    feeds = []
    path = _request_path.get() or (request.path if request is not None else "")
    base = str(urls.database(database)) + "/"
    rest = path[len(base) :] if path.startswith(base) else ""
    parts = [p for p in rest.split("/") if p]
    if parts == [SEARCH_QUERY] and request is not None and request.args.get("q", "").strip():
        q = request.args["q"].strip()
        href = str(urls.query(database, SEARCH_FEED, format="atom")) + "?" + urlencode({"q": q})
        feeds.append({"href": href, "title": search_feed_title(q)})
    elif _has_own_feed(parts):
        feeds.append({"href": base + "/".join(parts) + ".atom", "title": _PAGE_FEEDS[parts[0]]})
    for name, title in SITE_FEEDS:
        feeds.append({"href": str(urls.query(database, name, format="atom")), "title": title})
    return feeds


def _has_own_feed(parts: list[str]) -> bool:
    """/<db>/decisions_list and /<db>/people/<id> (the pages, not their .json or .atom)."""
    if not parts or parts[0] not in _PAGE_FEEDS or "." in parts[-1]:
        return False
    return len(parts) == (1 if parts[0] == "decisions_list" else 2)


async def _report_title(datasette: Any, database: str, report_id: str) -> dict[str, str] | None:
    """The report a page about one report (its versions, its comments) names and links to."""
    rows = await datasette.get_database(database).execute(
        "select title, author from reports where id = ?", [report_id]
    )
    row = rows.first()
    if row is None:
        return None
    href = report_url(datasette, database, report_id)
    return {"title": row["title"] or report_id, "author": row["author"] or "", "href": href}


async def _recent_meetings(datasette: Any, database: str, limit: int = 6) -> list[dict[str, Any]]:
    """The latest meetings with their authors, for the home page: one click to a meeting page."""
    db = datasette.get_database(database)
    try:
        rows = await db.execute(
            "select meeting_date, authors from meetings order by meeting_date desc limit ?", [limit]
        )
    except Exception:  # a database without the view (an older schema): no list
        return []
    urls = urls_of(datasette)
    href = urls.query(database, "meeting_reports") + "?meeting="
    return [
        {
            **dict(r),
            "authors": ", ".join((r["authors"] or "").split(",")),  # the view's group_concat
            "href": href + quote(r["meeting_date"]),
            "when": date_words(r["meeting_date"]),
        }
        for r in rows.rows
    ]


# -- the report page -------------------------------------------------------------------------------
# /<db>/reports/<id> (HTML) is necwatch's own page: a report to read (its body, every place it was
# published, versions, comments) with its fields after it, from one query. Datasette's generic row
# view did the same work and more (a foreign-key count query, a render_cell call per column, the
# report's sections in a second query) and was slower than stock's plain row page. `.json` and
# other formats, and tables of other databases, stay Datasette's.
_REPORT_ROUTE = r"^/(?P<database>[^/.]+)/(?P<table>reports)/(?P<pks>[^/.]+)$"
_REPORT_PAGE_SQL = """select r.*,
  (select json_group_array(json_object('id', id, 'url', url, 'source', source, 'published_at', published_at,
     'is_pointer', is_pointer, 'removed_at', removed_at, 'report_id', report_id,
     'pointer_to', pointer_to, 'pointer_report_id', pointer_report_id,
     'pointer_title', (select t.title from reports t where t.id = pointer_report_id)))
     from (select * from posts
     where report_id = r.id or pointer_report_id = r.id order by published_at)) as necwatch_posts,
  (select json_group_array(json_object('version', version, 'seen_at', seen_at, 'kind', kind))
     from (select version, seen_at, kind from report_versions where report_id = r.id
     order by version desc)) as necwatch_versions,
  (select json_group_array(json_object('id', id, 'author', author, 'published_at', published_at, 'url', url,
     'body_html', body_html, 'removed_at', removed_at)) from (select * from comments
     where report_id = r.id order by published_at)) as necwatch_comments,
  (select json_group_array(json_object('kind', kind, 'at', created_at, 'summary', summary))
     from (select kind, created_at, summary from alerts
     where kind in ('report_removed', 'report_restored') and report_id = r.id
     order by created_at, rowid)) as necwatch_removals
from reports r where r.id = ?"""
# necwatch_removals: the removal and restoration alerts (index on kind, created_at: the few of their
# kinds are read, not every alert), for the banner of a removed report or one that came back.
_SECTIONS = ("necwatch_posts", "necwatch_versions", "necwatch_comments", "necwatch_removals")
_HEADLINE = ("title", "author", "published_at", "meeting_date", "meeting_kind", "is_nec_report")


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    # the record pages (record_pages.py) first: the meeting page is the minutes when there are some
    return [
        *_record_pages().routes(query_page),
        (_REPORT_ROUTE, report_page),
        (_QUERY_ROUTE, query_page),
        (_POPOLO_ROUTE, popolo_json),
    ]


@functools.cache
def _record_pages() -> Any:
    """necwatch.publish.record_pages, or (deployed without necwatch) the copy `necwatch publish`
    puts beside this file."""
    try:
        from necwatch.publish import record_pages
    except ImportError:  # pragma: no cover - deployed: load the file next to this one
        import importlib.util

        path = Path(__file__).with_name("necwatch_record_pages.py")
        spec = importlib.util.spec_from_file_location("necwatch_record_pages", path)
        assert spec is not None and spec.loader is not None
        record_pages = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(record_pages)
    return record_pages


async def report_page(datasette: Any, request: Any, send: Any) -> Any:
    """A report's page, with the permission checks of Datasette's row page."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import Forbidden, NotFound, Response
    from datasette.views.row import RowView

    database = tilde_decode(request.url_vars["database"])
    if database not in datasette.databases or not is_necwatch(datasette, database):
        return await _datasettes_view(RowView, datasette, request, send)
    visible, private = await _record_pages().visibility(
        datasette,
        request.actor,
        [("view-table", (database, "reports")), ("view-database", database), "view-instance"],
    )
    if not visible:
        raise Forbidden("You do not have permission to view this table")
    report = await _report_context(datasette, database, tilde_decode(request.url_vars["pks"]))
    if report is None:
        raise NotFound("Report not found")
    context = {"database": database, "table": "reports", "private": private, "r": report}
    return Response.html(
        await datasette.render_template("necwatch_report.html", context, request=request, view_name="report")
    )


_POPOLO_ROUTE = r"^/(?P<database>[^/.]+)/-/popolo\.json$"
# A published site serves the Popolo file `necwatch publish` wrote (the snapshot's record) from this
# static mount; `necwatch serve` has no file and builds it from the live database on each request.
DOWNLOADS_MOUNT = "necwatch-downloads"
POPOLO_FILE = "popolo.json"
POPOLO_TYPE = "application/json; charset=utf-8"


async def popolo_json(datasette: Any, request: Any, send: Any) -> Any:
    """The record as Popolo JSON (docs/publishing.md, "Popolo export"), with the permission checks
    of the database page."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import Forbidden, NotFound, asgi_send_file

    database = tilde_decode(request.url_vars["database"])
    if database not in datasette.databases or not is_necwatch(datasette, database):
        raise NotFound("Database not found")
    visible, _private = await datasette.check_visibility(
        request.actor, permissions=[("view-database", database), "view-instance"]
    )
    if not visible:
        raise Forbidden("You do not have permission to view this database")
    for mount, directory in datasette.static_mounts:
        published = Path(directory) / POPOLO_FILE
        if mount == DOWNLOADS_MOUNT and published.is_file():
            await asgi_send_file(send, str(published), content_type=POPOLO_TYPE)
            return None
    try:  # in process (necwatch serve): from the database as it is now
        from necwatch.popolo import popolo_parts, write_json
    except ImportError:  # a deployment without the file: nothing to build it with
        raise NotFound("This site publishes no Popolo export") from None
    site = datasette.absolute_url(request, datasette.urls.instance()).rstrip("/")
    db = datasette.get_database(database)
    built = _popolo_built.setdefault(datasette, {})
    lock = built.setdefault(database, {"lock": asyncio.Lock()})["lock"]
    async with lock:  # one build at a time; the others wait for it and send the same file
        entry = built[database]
        state = (_file_state(db.path), site)
        path: Path | None = entry.get("path")
        if entry.get("state") != state or path is None or not path.is_file():
            target = Path(_popolo_dir().name) / f"{id(built)}-{quote(database, safe='')}.json"

            def build(conn: Any) -> None:
                parts = popolo_parts(conn, site_url=site, database=database)
                tmp = target.with_name(target.name + ".tmp")
                with tmp.open("w", encoding="utf-8") as f:
                    write_json(parts, f)
                tmp.replace(target)

            await db.execute_fn(build)
            entry.update(state=state, path=target)
            path = target
    await asgi_send_file(send, str(path), content_type=POPOLO_TYPE)
    return None


# Built Popolo files of `necwatch serve`, per instance and database: rebuilt only when the database
# file (or its WAL) changed, so a reload costs a file read, not a walk of every record table.
_popolo_built: weakref.WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()
_popolo_tmp: list[tempfile.TemporaryDirectory[str]] = []


def _popolo_dir() -> tempfile.TemporaryDirectory[str]:
    if not _popolo_tmp:
        _popolo_tmp.append(tempfile.TemporaryDirectory(prefix="necwatch-popolo-"))
    return _popolo_tmp[0]


def _file_state(path: str | None) -> tuple[tuple[int, int], ...]:
    """The database file's and its WAL's modification time and size: changes when a write commits."""
    out = []
    for p in (path, f"{path}-wal") if path else ():
        try:
            st = Path(p).stat()
        except OSError:
            continue
        out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


# -- a page's counts, until the database changes ---------------------------------------------------
# A table page counts its rows and each facet's values on every request: on the 100,000 reports of
# "Browse all reports" four facet scans and a count are most of the page, and they answer the same
# until a write commits. Those queries (Datasette's own `select count(*) from …` and facet SQL, and
# the record pages' counts, marked `/* necwatch:counts */`) are kept per database, keyed on the SQL
# and its parameters, valid while the file and its WAL keep their modification time and size
# (_file_state, taken BEFORE the query runs: an answer read during a write is kept under the state
# before it, so the next request, seeing the new state, counts again). Only file databases (an
# in-memory one has no state to check); the kept answers are small (counts, ≤ facet size + 1 rows).
_COUNTED = re.compile(
    r"\s*(?:/\* necwatch:counts \*/|select count\(\*\) from "
    r"|select \S+ as value, count\(\*\) as count from \()"
)
COUNTS_KEPT = 256  # answers kept per database (least recently used dropped)


def keep_counts(db: Any) -> None:
    """Make `db.execute` answer counting queries from its cache while the database is unchanged."""
    if getattr(db, "_necwatch_counts", None) is not None or not getattr(db, "path", None):
        return
    execute = db.execute
    kept: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    db._necwatch_counts = kept

    async def counted(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if not _COUNTED.match(sql):
            return await execute(sql, params, *args, **kwargs)
        items = sorted(params.items()) if isinstance(params, dict) else list(params or ())
        key = (sql, repr(items), repr(args), repr(sorted(kwargs.items())))
        state = _file_state(db.path)
        hit = kept.pop(key, None)
        if hit is None or hit[0] != state:
            hit = (state, await execute(sql, params, *args, **kwargs))
        kept[key] = hit  # the most recently used last
        while len(kept) > COUNTS_KEPT:
            del kept[next(iter(kept))]
        return hit[1]

    db.execute = counted


@hookimpl
def startup(datasette: Any) -> None:
    necwatch = False
    for name, db in datasette.databases.items():
        if name != "_internal" and is_necwatch(datasette, name):
            keep_counts(db)
            necwatch = True
    if necwatch:
        remember_table_permissions(datasette)


def remember_table_permissions(datasette: Any) -> None:
    """Datasette 0.65.5 answers each view-table check by deep-copying and merging the whole metadata
    (`_table_permission_allows`, twice a table page: ~0.5 ms each, 5% of the page); the answer
    depends on the metadata only. Remembered per (database, table) while the instance's metadata is
    the same object and no plugin supplies metadata (a `get_metadata` hook may change its answer:
    then every check is computed, as Datasette does)."""
    compute = getattr(datasette, "_table_permission_allows", None)
    if compute is None:  # another Datasette version: nothing to remember
        return
    from datasette.plugins import pm

    known: dict[tuple[str, str], list[Any]] = {}
    source = [datasette._metadata_local]

    def allows(database: str, table: str) -> list[Any]:
        if pm.hook.get_metadata.get_hookimpls():
            return list(compute(database, table))
        if datasette._metadata_local is not source[0]:
            known.clear()
            source[0] = datasette._metadata_local
        key = (database, table)
        answer = known.get(key)
        if answer is None:
            if len(known) > 4096:  # table names come from requests: stay bounded
                known.clear()
            answer = known[key] = copy.deepcopy(compute(database, table))
        return copy.deepcopy(answer) if answer else []

    datasette._table_permission_allows = allows


async def _datasettes_view(view: Any, datasette: Any, request: Any, send: Any) -> Any:
    """Hand a request the plugin's routes matched back to Datasette's own view (another database)."""
    request.url_vars.setdefault("format", None)  # Datasette's own routes always capture it
    return await view.as_view(datasette)(request, send)


async def _report_context(datasette: Any, database: str, report_id: str) -> dict[str, Any] | None:
    """The report page: its body, every place it was published, versions, comments, all fields."""
    row = (await datasette.get_database(database).execute(_REPORT_PAGE_SQL, [report_id])).first()
    if row is None:
        return None
    posts, versions, comments, removals = (json.loads(row[k] or "[]") for k in _SECTIONS)
    archived, recovery = await _archive_provenance(datasette.get_database(database), report_id)
    for v in versions:
        v["archive"] = archived.get(v["version"])
    captured = await _comment_provenance(datasette.get_database(database), report_id)
    urls = urls_of(datasette)
    by_report = "?report_id=" + quote(report_id)
    return {
        "id": report_id,
        **{k: row[k] for k in _HEADLINE},
        "version": row["version"],
        "removal": _removal(row["removed_at"], removals),
        "points_to": _points_to(datasette, database, report_id, posts),
        # every paragraph in a <span id="p…"> with the record's paragraph id (record_pages), ids
        # taken from the sanitized text before images become placeholders (which add words)
        "body": _report_body(row["body_html"]) if row["body_html"] else None,
        "body_text": row["body_text"],
        "posts": [
            {
                **p,
                "href": safe_href(p["url"]),
                # a post elsewhere pointing here: its own page (the pointer as necwatch stored it)
                "pointer_page": report_url(datasette, database, p["report_id"])
                if p["is_pointer"] and p["report_id"] and p["report_id"] != report_id
                else None,
            }
            for p in posts
        ],
        "versions": versions,
        "recovery": recovery,
        "comments": [
            {
                **c,
                "href": safe_href(c["url"]),
                "body": Markup(page_html(c["body_html"] or "")),
                "archive": captured.get(c["id"]),
            }
            for c in comments
        ],
        "versions_url": urls.query(database, "report_history") + by_report,
        "comments_url": urls.query(database, "report_comments") + by_report,
        "alerts_url": urls.table(database, "alerts") + by_report,
        "json_url": report_url(datasette, database, report_id, format="json"),
        "meeting_url": (
            urls.query(database, "meeting_reports") + "?meeting=" + quote(row["meeting_date"])
            if row["meeting_date"]
            else None
        ),
        # sqlite3.Row iterates over values, not names: keys() is needed
        "fields": [(k, _field(datasette, database, k, row[k])) for k in row.keys() if k not in _SECTIONS],  # noqa: SIM118
    }


_PROVENANCE_SQL = """select 'version', version, captured_at, original_url, archive_url, null
  from version_provenance where report_id = ?
union all
select 'recovery', null, captured_at, original_url, archive_url, kind
  from archive_recoveries where report_id = ?"""


async def _archive_provenance(
    db: Any, report_id: str
) -> tuple[dict[int, dict[str, Any]], dict[str, Any] | None]:
    """The versions whose text came from a web archive capture (version → capture time, original and
    archive URL) and the report's recovery from the archive, if any (docs/archive.md). A database
    older than migration 18 has neither."""
    try:
        rows = (await db.execute(_PROVENANCE_SQL, [report_id, report_id])).rows
    except sqlite3.OperationalError:  # no such table: written before the archive source
        return {}, None
    archived: dict[int, dict[str, Any]] = {}
    recovery = None
    for what, version, captured_at, original, archive_url, kind in rows:
        found = {"captured_at": captured_at, "original_url": original, "href": safe_href(archive_url or "")}
        if what == "version":
            archived[version] = found
        else:
            recovery = {**found, "kind": kind}
    return archived, recovery


_COMMENT_PROVENANCE_SQL = """select c.id, p.captured_at, p.original_url, p.archive_url
  from comments c join comment_provenance p on p.comment_id = c.id and p.version = c.version
  where c.report_id = ?"""


async def _comment_provenance(db: Any, report_id: str) -> dict[str, dict[str, Any]]:
    """The report's comments whose shown (current) version was read from a web archive capture
    (a captured page printing it, a captured comment feed): comment id → capture time, original and
    archive URL. A database older than migration 20 has none."""
    try:
        rows = (await db.execute(_COMMENT_PROVENANCE_SQL, [report_id])).rows
    except sqlite3.OperationalError:  # no such table: written before comments had provenance
        return {}
    return {
        cid: {"captured_at": captured_at, "original_url": original, "href": safe_href(archive_url or "")}
        for cid, captured_at, original, archive_url in rows
    }


def _removal(removed_at: str | None, events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the report page's banner says: removed (since when, what its address answered), or
    removed and back (when each); None for a report never removed."""
    gone = [e for e in events if e["kind"] == "report_removed"]
    back = [e for e in events if e["kind"] == "report_restored"]
    if removed_at:
        reason = gone[-1]["summary"] if gone else None
        return {"state": "removed", "removed": day(removed_at), "reason": reason}
    if gone and back and back[-1]["at"] >= gone[-1]["at"]:
        return {"state": "came back", "removed": day(gone[-1]["at"]), "came_back": day(back[-1]["at"])}
    return None


def _points_to(
    datasette: Any, database: str, report_id: str, posts: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """For a post that only points to a report published elsewhere ("my report is on the Progress
    website"): that report's page when necwatch has it, else the address it points to."""
    for p in posts:
        if p["report_id"] != report_id or not p["is_pointer"]:
            continue
        if p["pointer_report_id"]:
            return {
                "href": report_url(datasette, database, p["pointer_report_id"]),
                "title": p["pointer_title"] or p["pointer_to"] or p["pointer_report_id"],
                "outside": False,
            }
        href = safe_href(p["pointer_to"])
        if href:
            return {"href": href, "title": p["pointer_to"], "outside": True}
    return None


_TILDE_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def report_url(datasette: Any, database: str, report_id: str, format: str | None = None) -> str:
    """A report's page (or its `format`), its id tilde-encoded as Datasette writes row URLs (an id of
    letters, digits, `_` and `-` is its own encoding: tilde_encode goes character by character)."""
    from datasette.utils import tilde_encode

    row = report_id if _TILDE_SAFE.fullmatch(report_id) else tilde_encode(report_id)
    return str(urls_of(datasette).row(database, "reports", row, format=format))


def _field(datasette: Any, database: str, column: str, value: Any) -> Any:
    """One value of the page's field list: bodies are shown above, links where a value is one."""
    if value is None:
        return ""
    if column == "body_html":
        return Markup('<a href="#report-body">shown above</a>')
    if column == "body_text":
        return _truncate(str(value), 240)
    if column in REPORT_ID_COLUMNS:
        return _a(report_url(datasette, database, str(value)), str(value))
    if column in TIME_COLUMNS and isinstance(value, str):
        return _time(value) or value
    href = safe_href(value) if column == "canonical_url" and isinstance(value, str) else None
    return _a(href, value) if href else value


# -- the meeting page and the coverage grid ---------------------------------------------------------
# /<db>/meeting_reports and /<db>/coverage (HTML) are necwatch's own pages over their canned queries,
# rendered once from the query's rows: as Datasette query pages they went through a render_cell
# hook call per cell (13,000 for the grid) and the meeting page rendered Datasette's table before
# replacing it, and both were slower than stock's ?sql= page of the same SQL. Their `.json` and
# `.csv` stay Datasette's, as does any database that is not necwatch's.
MEETING_QUERY, COVERAGE_QUERY, SEARCH_QUERY = "meeting_reports", "coverage", "search_reports"
EDITED_QUERY, REMOVED_QUERY = "edited_reports", "removed_reports"
# Each page: its template and the request parameters its query takes.
_QUERY_PAGES = {
    MEETING_QUERY: ("necwatch_meeting.html", ("meeting",)),
    COVERAGE_QUERY: ("necwatch_coverage.html", ()),
    SEARCH_QUERY: ("necwatch_search.html", ("q", "page", "sort", "other")),
    EDITED_QUERY: ("necwatch_edited.html", ()),
    REMOVED_QUERY: ("necwatch_removed.html", ()),
}
_QUERY_ROUTE = r"^/(?P<database>[^/.]+)/(?P<table>" + "|".join(_QUERY_PAGES) + ")$"


async def query_page(datasette: Any, request: Any, send: Any) -> Any:
    """A reader's page over a canned query, with the permission checks of a query page."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import Forbidden, Response
    from datasette.views.table import TableView

    database, name = tilde_decode(request.url_vars["database"]), request.url_vars["table"]
    known = database in datasette.databases and is_necwatch(datasette, database)
    query = await datasette.get_canned_query(database, name, request.actor) if known else None
    if not query:
        return await _datasettes_view(TableView, datasette, request, send)
    visible, private = await _record_pages().visibility(
        datasette,
        request.actor,
        [("view-query", (database, name)), ("view-database", database), "view-instance"],
    )
    if not visible:
        raise Forbidden("You do not have permission to view this query")
    template, names = _QUERY_PAGES[name]
    params = {p: request.args.get(p, "").strip() for p in names}
    rows: list[Any] = []
    truncated, columns = False, []
    if name != SEARCH_QUERY or params["q"]:  # an empty search box is a form, not a query
        # at most max_returned_rows, as a query page (the page says so when there are more)
        results = await datasette.get_database(database).execute(query["sql"], params, truncate=True)
        rows, truncated, columns = list(results.rows), results.truncated, list(results.columns)
    own = name in (MEETING_QUERY, COVERAGE_QUERY)  # the pages that show the query's cells as they are
    cells = [[_cell(datasette, database, row, c) for c in columns] for row in rows] if own else []
    urls = urls_of(datasette)
    suffix = ("?" + urlencode({k: v for k, v in params.items() if v})) if any(params.values()) else ""
    context = {
        "database": database,
        "private": private,
        "query": query,
        "columns": columns,
        "rows": cells,
        "truncated": truncated,
        "json_url": urls.query(database, name, format="json") + suffix,
        "csv_url": urls.query(database, name, format="csv") + suffix,
        "meetings_url": urls.table(database, "meetings"),
        "coverage_url": urls.query(database, COVERAGE_QUERY),
        "names": [c for c in columns if c != "matches"],
        "descriptions": query.get("columns") or {},
        **params,
    }
    if name == MEETING_QUERY:
        labels = query.get("labels") or {}
        context["description"] = query.get("description", "").replace(":meeting", params["meeting"] or "…")
        hidden = set(query.get("hidden") or ())
        context["names"] = [c for c in columns if c not in hidden]
        context["fields"] = [
            (c, labels.get(c, c), [r[i] for r in cells]) for i, c in enumerate(columns) if c not in hidden
        ]
        context["side_by_side"] = _side_by_side(context["fields"])
    elif name == COVERAGE_QUERY:
        context["table_rows"] = _table_rows(columns, cells)
    elif name == EDITED_QUERY:
        context["entries"] = [_edited_entry(datasette, database, row) for row in rows]
    elif name == REMOVED_QUERY:
        context["entries"] = [_removed_entry(datasette, database, row) for row in rows]
    else:
        context["entries"] = [_search_entry(datasette, database, row) for row in rows]
        context["pager"] = search_pager(query, params, rows)
        context["switch"] = search_switch(params)
    return Response.html(await datasette.render_template(template, context, request=request, view_name=name))


def search_pager(query: dict[str, Any], params: dict[str, str], rows: list[Any]) -> dict[str, Any] | None:
    """Which matches a search page shows, of how many (counted up to count_cap + 1: past the cap
    the page says "more than" and still offers the next page), and its neighbours' links."""
    if not rows:
        return None
    size, cap = int(query.get("page_size") or len(rows)), int(query.get("count_cap") or 0)
    total = int(rows[0]["matches"])
    current = max(int(params["page"]) if params["page"].isdigit() else 1, 1)
    first = (current - 1) * size + 1
    last = first + len(rows) - 1
    capped = cap > 0 and total > cap
    link = "?" + urlencode({k: params[k] for k in ("q", "sort", "other") if params.get(k)}) + "&page="
    return {
        "total": total,
        "capped": capped,
        "cap": cap,
        "first": first,
        "last": last,
        "prev": link + str(current - 1) if current > 1 else None,
        "next": link + str(current + 1) if last < total or (capped and len(rows) == size) else None,
    }


def search_switch(params: dict[str, str]) -> dict[str, Any]:
    """The search page's switches, as links that keep the search: other posts in or out, newest
    first or best match first (each back to page 1)."""
    other, relevance = params.get("other") == "1", params.get("sort") == "relevance"

    def link(**change: str) -> str:
        keep = {"q": params.get("q", ""), "sort": "relevance" if relevance else ""}
        keep["other"] = "1" if other else ""
        keep.update(change)
        return "?" + urlencode({k: v for k, v in keep.items() if v})

    return {
        "other": other,
        "relevance": relevance,
        "other_href": link(other="" if other else "1"),
        "sort_href": link(sort="" if relevance else "relevance"),
    }


def day(value: Any) -> str:
    """An ISO date or time as people write a day ("23 January 2024"; a month alone: "September
    2020"), without the time of day; anything else as it is, and nothing for nothing."""
    return str(_record_pages().date_words(value))


def _words(text: str | None, limit: int) -> str:
    """The first `limit` words of `text`, with an ellipsis when there are more."""
    words = (text or "").split(maxsplit=limit)
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _meeting_href(datasette: Any, database: str, meeting_date: str | None) -> str | None:
    if not meeting_date:
        return None
    return str(datasette.urls.query(database, MEETING_QUERY)) + "?meeting=" + quote(meeting_date)


def _search_entry(datasette: Any, database: str, row: Any) -> dict[str, Any]:
    """One search result: its title linked to its page, who and when, whether it is another post
    (and which report a pointer post points to), and the passage around the first match."""
    text = row["snippet"] or ""
    marked = escape(text).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return {
        "href": report_url(datasette, database, row["report_id"]),
        "title": row["title"] or "Untitled post",
        "author": row["author"],
        "published": day(row["published_at"]),
        "meeting": day(row["meeting_date"]),
        "meeting_href": _meeting_href(datasette, database, row["meeting_date"]),
        "other": bool(row["is_other_post"]),
        "removed": day(row["removed_at"]),
        "points_to": report_url(datasette, database, row["points_to"]) if row["points_to"] else None,
        "snippet": Markup(marked) if text else None,
    }


def _report_entry(datasette: Any, database: str, row: Any) -> dict[str, Any]:
    """What a list of reports (edited, removed) says of each: its link, title, author, meeting and
    removal."""
    return {
        "href": report_url(datasette, database, row["report_id"]),
        "title": row["title"] or "Untitled report",
        "author": row["author"],
        "meeting": day(row["meeting_date"]),
        "meeting_href": _meeting_href(datasette, database, row["meeting_date"]),
        "removed": day(row["removed_at"]),
    }


def _edited_entry(datasette: Any, database: str, row: Any) -> dict[str, Any]:
    """One edit: the report, when necwatch saw the edit, and its words removed and added."""
    return {
        **_report_entry(datasette, database, row),
        "edited": day(row["edited_at"]),
        "version": row["version"],
        "current_version": row["current_version"],
        "summary": row["summary"],
        "diff": _render_word_diff(row["word_diff"]) if row["word_diff"] else None,
        "history_href": str(datasette.urls.query(database, "report_history"))
        + "?report_id="
        + quote(row["report_id"]),
    }


def _removed_entry(datasette: Any, database: str, row: Any) -> dict[str, Any]:
    """One removed report: gone, back, or gone from one place only; when, why, its last text."""
    return {
        **_report_entry(datasette, database, row),
        "state": row["state"],
        "came_back": day(row["came_back_at"]),
        "reason": row["reason"],
        "last_text": _words(row["last_text"], 60),
    }


def _side_by_side(fields: list[tuple[str, str, list[Any]]]) -> Markup:
    """The meeting page's rows: one a field (its label, then its value in each report's column),
    an empty value shown as a dash; every value escaped unless it is markup already."""
    from datasette.utils import to_css_class
    from markupsafe import escape as escape_markup

    out = []
    for column, label, values in fields:
        cls = escape_markup(to_css_class(column))
        cells = "".join(
            f'<td class="col-{cls}">'
            + ('<span class="nw-empty" title="not known">–</span>' if str(v) == "" else str(escape_markup(v)))
            + "</td>"
            for v in values
        )
        out.append(
            f'\n    <tr class="col-{cls}"><th scope="row">{escape_markup(label)}</th>\n    {cells}</tr>'
        )
    return Markup("".join(out) + "\n  ")


def _table_rows(columns: list[str], rows: list[list[Any]]) -> Markup:
    """The <tr>s of a large grid, built here: a Jinja loop over 13,000 cells took seconds."""
    from datasette.utils import to_css_class

    classes = [escape(to_css_class(c)) for c in columns]
    out = []
    for row in rows:
        cells = "".join(
            f'<td class="col-{cls}">{value if isinstance(value, Markup) else escape(str(value))}</td>'
            for cls, value in zip(classes, row, strict=True)
        )
        out.append(f"<tr>{cells}</tr>")
    return Markup("\n".join(out))


def _cell(datasette: Any, database: str, row: Any, column: str) -> Any:
    """A value as a query page shows it: the plugin's links where it has one, else the value."""
    value = row[column]
    rendered = render_cell(row, value, column, None, database, datasette)
    return rendered if rendered is not None else ("" if value is None else value)


# -- Atom feeds ------------------------------------------------------------------------------------
REPORT_PAGE, DIFF_PAGE = "the report on necwatch", "its versions and diffs on necwatch"


@hookimpl(trylast=True)
def register_output_renderer(datasette: Any) -> dict[str, Any] | None:
    """`.atom` is datasette-atom's renderer plus the links it cannot write: the feed's link to the
    site, and each entry's rel=related links to necwatch's pages (its rel=alternate stays the
    original post). Registered last, so this registration of the extension is the one kept."""
    try:
        import datasette_atom
    except ImportError:  # pragma: no cover - deployed without datasette-atom: no feeds at all
        return None
    return {"extension": "atom", "render": _render_atom, "can_render": datasette_atom.can_render_atom}


ATOM_TYPE = "application/atom+xml; charset=utf-8"
EMPTY_FEED_UPDATED = "1970-01-01T00:00:00+00:00"  # an empty feed's <updated>: valid, deterministic
SEARCH_FEED = "feed_search"


def _render_atom(
    datasette: Any,
    request: Any,
    sql: str,
    columns: list[str],
    rows: list[Any],
    database: str,
    table: str | None,
    query_name: str | None,
    view_name: str,
    data: dict[str, Any],
) -> Any:
    """The feed as application/atom+xml; a feed with nothing in it has no entry (never a
    placeholder); the saved search's feed is titled by its words."""
    import datasette_atom
    from datasette.utils.asgi import Response

    # feedgen (lxml) refuses a string with a character XML 1.0 forbids: the whole feed would be a 500
    rows = [{c: xml_text(r[c]) if isinstance(r[c], str) else r[c] for c in columns} for r in rows]
    if rows or not datasette_atom.can_render_atom(columns):
        response = datasette_atom.render_atom(
            datasette, request, sql, columns, rows, database, table, query_name, view_name, data
        )
    else:  # datasette-atom takes max() of no rows: an empty feed is written here
        response = Response(_empty_atom(datasette, request, database, query_name), status=200)
    if response.status != 200:
        return response
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    necwatch = is_necwatch(datasette, database)
    if necwatch and query_name == SEARCH_FEED:
        body = _retitle(body, search_feed_title(request.args.get("q", "")))
    if necwatch and "necwatch_report_id" in columns:
        site = datasette.absolute_url(request, datasette.urls.instance())
        pages = {str(r["atom_id"]): _entry_pages(datasette, request, database, r) for r in rows}
        body = add_atom_links(body, site, pages)
    return Response(body, content_type=ATOM_TYPE, status=200)


def search_feed_title(q: str) -> str:
    """A saved search's feed title: its words, as a feed reader lists it among others."""
    words = " ".join(xml_text(q).split())
    if not words:
        return "necwatch: a saved search with no words"
    return f"necwatch: reports matching \u201c{words}\u201d"


def _retitle(xml: bytes, title: str) -> bytes:
    """The feed with its own (first) <title> replaced: text surgery, as in add_atom_links."""
    text = xml.decode("utf-8")
    start, end = text.find("<title>"), text.find("</title>")
    if start < 0 or end < start:
        return xml
    head = text[: start + len("<title>")]
    return (head + escape(xml_text(title), quote=False) + text[end:]).encode("utf-8")


def _empty_atom(datasette: Any, request: Any, database: str, query_name: str | None) -> bytes:
    from feedgen.feed import FeedGenerator

    queries = (datasette.metadata(database=database) or {}).get("queries") or {}
    title = (queries.get(query_name) or {}).get("title") if query_name else None
    fg = FeedGenerator()
    fg.id(request.url)
    fg.link(href=request.url, rel="self")
    fg.title(title or "necwatch")
    fg.updated(EMPTY_FEED_UPDATED)
    return bytes(fg.atom_str(pretty=True))


def _entry_pages(datasette: Any, request: Any, database: str, row: Any) -> list[tuple[str, str]]:
    """An entry's necwatch pages, absolute: its diffs (for an edit), then its report."""
    pages = []
    if row["necwatch_diff_of"]:
        path = urls_of(datasette).query(database, "report_history")
        path += "?report_id=" + quote(row["necwatch_diff_of"])
        pages.append((datasette.absolute_url(request, path), DIFF_PAGE))
    if row["necwatch_report_id"]:
        path = report_url(datasette, database, row["necwatch_report_id"])
        pages.append((datasette.absolute_url(request, path), REPORT_PAGE))
    return pages


_ENTRY_ID = re.compile(r"<entry>\s*<id>([^<]*)</id>")


def add_atom_links(xml: bytes, site: str, pages: dict[str, list[tuple[str, str]]]) -> bytes:
    """The feed with a rel=alternate link to `site` and, per entry id, rel=related `pages`.

    Text insertion into feedgen's output (each entry opens with its id), not a parse and
    re-serialization: a feed of 50 full reports is ~1 MB, and this runs on every request."""
    text = xml.decode("utf-8")
    chunks = text.split("</entry>")
    out = []
    for chunk in chunks[:-1]:
        m = _ENTRY_ID.search(chunk)
        entry_id = unescape(m.group(1)) if m else ""
        links = "".join(
            f'<link href="{escape(href)}" rel="related" type="text/html" title="{escape(title)}"/>'
            for href, title in pages.get(entry_id, [])
        )
        out.append(chunk + links)
    text = "</entry>".join([*out, chunks[-1]])
    site_link = f'<link href="{escape(site)}" rel="alternate" type="text/html"/>\n  '
    at = text.find("<entry>")
    at = at if at >= 0 else text.rfind("</feed>")
    return (text[:at] + site_link + text[at:]).encode("utf-8")


# -- page layout -----------------------------------------------------------------------------------
# Datasette 0.65 puts the column glossary inside one big `content` block, with no block of its
# own; the templates render that block and move it.
_GLOSSARY_START, _GLOSSARY_END = '<dl class="column-descriptions">', "</dl>"
_AFTER_DATA = '<div id="export"'
# Plain string search, not regular expressions: a 1,000-row page is ~0.5 MB and these run on
# every request (a lookahead regex tried at every position cost more than the SQL of small pages).


def move_glossary(page: str, glossary: str) -> Markup:
    """The page without Datasette's glossary (~900 px above the data), `glossary` after the data."""
    page = str(page)
    start = page.find(_GLOSSARY_START)
    if start >= 0:
        end = page.find(_GLOSSARY_END, start)
        page = page[:start] + page[end + len(_GLOSSARY_END) :] if end >= 0 else page
    at = page.find(_AFTER_DATA)
    return Markup(page[:at] + str(glossary) + page[at:] if at >= 0 else page + str(glossary))


def table_body(rows: Any, order: list[int] | None = None, labels: list[str] | None = None) -> Markup:
    """A table page's <tr>s as Datasette's _table.html writes them (each cell's class from its column
    and value type; its value escaped unless it is Markup), built in one pass rather than in Jinja;
    the cells in `order` (column indexes) when given, each with its column's `labels` entry as
    `data-label` (a phone shows a row as a card of labelled values)."""
    from datasette.utils import to_css_class
    from markupsafe import escape as escape_markup

    classes: dict[tuple[str, str, int], str] = {}
    out = []
    for row in rows:
        cells = list(row)
        tds = []
        for i in order if order is not None else range(len(cells)):
            cell = cells[i]
            key = (cell["column"], cell["value_type"], i)
            attrs = classes.get(key)
            if attrs is None:
                column, kind = escape_markup(to_css_class(key[0])), escape_markup(key[1])
                label = f' data-label="{escape_markup(labels[i])}"' if labels else ""
                attrs = classes[key] = f'class="col-{column} type-{kind}"{label}'
            tds.append(f"<td {attrs}>{escape_markup(cell['value'])}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return Markup("\n".join(out))


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    # Templates are read once: re-checking each on every render (auto_reload) was ~14 file stats a
    # page, as many as Datasette's own template lookups (an edited template needs a restart).
    env.auto_reload = False
    env.filters["necwatch_move_glossary"] = move_glossary
    env.filters["necwatch_day"] = day
    env.filters["necwatch_label"] = column_label
    env.filters["necwatch_date"] = date_words
    env.filters["necwatch_table_body"] = table_body


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    if not _static_mounted(datasette):
        return []
    names = ("necwatch.css", "necwatch-reader.css")
    return [datasette.urls.path(f"/necwatch-static/{name}") for name in names]


def _static_mounted(datasette: Any) -> bool:
    return any(mount == "necwatch-static" for mount, _ in getattr(datasette, "static_mounts", []) or [])


# -- security headers ------------------------------------------------------------------------------


def inline_script_hashes() -> list[str]:
    """sha256 sources for Datasette's own inline <script> blocks, read from its templates.

    Allowing exactly these (instead of 'unsafe-inline') means a script injected into a page would
    not run even if sanitizing ever failed.
    """
    import datasette

    templates = Path(datasette.__file__).parent / "templates"
    bodies: set[str] = set()
    for path in templates.glob("*.html"):
        for body in re.findall(r"<script>(.*?)</script>", path.read_text(encoding="utf-8"), re.S):
            if "{{" in body or "{%" in body:
                if "datasette_allow_facet" in body:
                    for v in ("true", "false"):
                        bodies.add(body.replace("{{ datasette_allow_facet }}", v))
                continue
            bodies.add(body)
    return sorted(
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode("utf-8")).digest()).decode("ascii") + "'"
        for b in bodies
    )


def content_security_policy() -> str:
    """The strictest policy Datasette 0.65 works under: its own scripts by hash, styles inline."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(inline_script_hashes()),
            "style-src 'self' 'unsafe-inline'",  # Datasette templates use style attributes
            "img-src 'self' data:",  # no third-party images: no tracking pixels from scraped pages
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "frame-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_SEARCHED_TABLES = ("reports", "reports.json", "reports.csv")


def _search_in_fts_order(datasette: Any, scope: dict[str, Any]) -> dict[str, Any]:
    """A search of the reports table with no order chosen is listed newest stored first, in the
    order FTS5 returns matches (rowid desc), as the search page is: sorting a common word's 100,000
    matches by published_at (the table's order) took seconds under load and hit the time limit."""
    parts = [p for p in scope.get("path", "").split("/") if p]
    if len(parts) < 2 or parts[-1] not in _SEARCHED_TABLES or parts[-2] not in datasette.databases:
        return scope
    if not is_necwatch(datasette, parts[-2]):
        return scope
    query = scope.get("query_string", b"").decode("latin-1")
    keys = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
    if not any(k.startswith("_search") for k in keys) or keys & {"_sort", "_sort_desc"}:
        return scope
    return {**scope, "query_string": (query + "&_sort_desc=rowid").lstrip("&").encode("latin-1")}


async def _method_not_allowed(send: Any, policy: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 405,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"allow", b"GET, HEAD, OPTIONS"),
                (b"content-security-policy", policy),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"405: this instance is read-only"})


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    policy = content_security_policy().encode("ascii")
    extra = [
        (b"content-security-policy", policy),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
    ]

    def wrap(app: Any) -> Any:
        async def add_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            _request_path.set(scope.get("path", ""))
            scope = _search_in_fts_order(datasette, scope)
            if scope.get("method", "GET") not in READ_METHODS:
                # Nothing here is writable (no write queries, no accounts): refuse before Datasette
                # sees the body, so a POST can never reach SQL.
                await _method_not_allowed(send, policy)
                return

            async def wrapped_send(event: dict[str, Any]) -> None:
                if event["type"] == "http.response.start":
                    names = {k.lower() for k, _ in event.get("headers", [])}
                    headers = list(event.get("headers", []))
                    headers += [(k, v) for k, v in extra if k not in names]
                    event = {**event, "headers": headers}
                await send(event)

            await app(scope, receive, wrapped_send)

        return add_headers

    return wrap
