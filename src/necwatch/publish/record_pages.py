"""The pages built on the NEC record: a meeting's minutes, the meetings, a person, the decisions.

Each page is one SQL query (JSON sub-selects for its sections, every one served by an index: a
meeting's rows by `meeting_id`, a person's by `person_id`), rendered once with a template on
Datasette's `base.html`; the Atom feeds of a person and of the decisions are written here. Every
untrusted text (a quote, a name, a heading) reaches the page through Jinja's autoescaping or
`escape`, never as markup. Report bodies get a `<span class="nw-para" id="p…">` around every
paragraph, with the stable ids the record tables store, so a line of the minutes links to the
paragraph it came from and the report page highlights it (CSS `:target`).

Self-contained like plugin.py (datasette, markupsafe, the standard library): `necwatch publish`
copies it beside the plugin for hosts where necwatch is not installed. It imports nothing from
plugin.py; plugin.py registers its routes (`routes`) and asks it for report bodies (`body_with_ids`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import re
import weakref
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape as xml_escape

from markupsafe import Markup

try:  # the record's own paragraphs and ids, when necwatch is installed
    from necwatch.record.text import paragraph_id, split_paragraphs
except ImportError:  # pragma: no cover - deployed without necwatch: one paragraph per line, same ids
    split_paragraphs = None  # type: ignore[assignment]

    def paragraph_id(text: str) -> str:
        return "p" + hashlib.blake2b(" ".join(text.split()).encode(), digest_size=5).hexdigest()


try:
    from necwatch.extract.text import BLOCK_TAGS
except ImportError:  # pragma: no cover - deployed without necwatch: the same set, restated
    _BLOCKS = (
        "address article aside blockquote body caption center dd details dialog div dl dt fieldset "
        "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section "
        "summary table tbody td tfoot th thead tr ul"
    )
    BLOCK_TAGS = frozenset(_BLOCKS.split())

_DB = r"^/(?P<database>[^/.]+)"
MEETING_ROUTE = _DB + r"/(?P<table>meeting_reports)$"
MEETINGS_ROUTE = _DB + r"/(?P<table>meetings)$"
PERSON_ROUTE = _DB + r"/(?P<table>people)/(?P<pks>[^/.]+)$"
PERSON_FEED_ROUTE = _DB + r"/(?P<table>people)/(?P<pks>[^/.]+)\.atom$"
DECISIONS_ROUTE = _DB + r"/decisions_list$"
DECISIONS_FEED_ROUTE = _DB + r"/decisions_list\.atom$"
ATOM = "application/atom+xml; charset=utf-8"

# -- words a reader reads ---------------------------------------------------------------------------
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_words(value: Any) -> str:
    """ "2024-01-23" → "23 January 2024", "2017-07" → "July 2017", an ISO time → its date in words;
    anything else as it is."""
    if not value:
        return ""
    text = str(value)
    m = _ISO_DATE.match(text)
    if not m:
        return text
    year, month, day = m.group(1), m.group(2), m.group(3)
    if not month:
        return year
    if not 1 <= int(month) <= 12 or (day and not 1 <= int(day) <= 31):
        return text  # not a date: as it is
    if not day:
        return f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def time_words(value: Any) -> str:
    """date_words, with the time of day when the value has one: "24 January 2024, 13:37" (UTC as
    stored)."""
    text = str(value or "")
    words = date_words(text)
    clock = text[11:16] if text[10:11] in ("T", " ") and text[13:14] == ":" else ""
    return f"{words}, {clock}" if clock and words != text else words


def _original(url: Any) -> dict[str, str] | None:
    """Where a report was first published, as a link: its address (http(s) only) and a short text."""
    text = str(url or "").strip()
    if not text.lower().startswith(("http://", "https://")):
        return None
    short = text.split("://", 1)[-1].removeprefix("www.")
    return {"href": text, "text": short if len(short) <= 48 else short[:47] + "…"}


KIND_WORDS = {
    "full": "NEC meeting",
    "special": "special NEC meeting",
    "away_day": "NEC away day",
    "sub_committees": "NEC sub-committees",
    "clause_v": "Clause V meeting",
}


def kind_words(kind: Any) -> str:
    return KIND_WORDS.get(str(kind or "full"), str(kind).replace("_", " "))


@functools.lru_cache(maxsize=4096)
def _meeting_title(date: Any, kind: Any) -> str:
    return meeting_title(date, kind)


def meeting_title(date: Any, kind: Any) -> str:
    """ "NEC meeting, 23 January 2024", "Special NEC meeting, September 2020"."""
    words = kind_words(kind)
    return f"{words[0].upper()}{words[1:]}, {date_words(date)}" if date else words[0].upper() + words[1:]


OUTCOME_WORDS = {
    "carried": "Carried",
    "agreed": "Agreed",
    "rejected": "Rejected",
    "noted": "Noted",
    "referred": "Referred",
    "other": "Recorded",
}
MANNER_WORDS = {
    "unanimous": "unanimously",
    "acclamation": "by acclamation",
    "consensus": "by consensus",
    "contested": "on a vote",
}
FIELD_WORDS = {
    "count": "the count",
    "outcome": "the outcome",
    "manner": "how it was decided",
    "vote_held": "whether a vote was held",
    "date": "the date of the meeting",
    "name": "how a name is spelled",
    "mover": "who moved it",
    "seconder": "who seconded it",
}


def count_words(votes_for: Any, votes_against: Any, abstentions: Any) -> str:
    """ "22–12", "22–12, 3 abstentions"; "" when no count is stated."""
    if votes_for is None and votes_against is None:
        return ""
    text = (
        f"{votes_for if votes_for is not None else '?'}–{votes_against if votes_against is not None else '?'}"
    )
    if abstentions:
        text += f", {abstentions} abstention{'' if abstentions == 1 else 's'}"
    return text


def decision_headline(d: dict[str, Any]) -> tuple[str, bool]:
    """What a decision's line starts with ("Carried 22–12", "Agreed unanimously", "Outcome
    disputed"), and whether to say "Count not reported" (a vote or a carried/rejected motion
    with no count stated and none disputed)."""
    outcome, manner = d.get("outcome"), d.get("manner")
    if not outcome:  # the versions, side by side below, say what each reporter gives: no count here
        return "Outcome disputed", False
    counted = bool(d.get("counted")) if "counted" in d else d.get("votes_for") is not None
    head = OUTCOME_WORDS.get(str(outcome), "Outcome disputed")
    count = count_words(d.get("votes_for"), d.get("votes_against"), d.get("abstentions")) if counted else ""
    if count:
        head += " " + count
    elif manner in MANNER_WORDS and (manner != "contested" or outcome):
        head += " " + MANNER_WORDS[manner]
    quiet = manner in ("unanimous", "acclamation", "consensus")
    missing = (
        not count
        and not quiet
        and not d.get("disputed")  # a disputed count is shown side by side, not as missing
        and (manner == "contested" or outcome in ("carried", "rejected"))
    )
    return head, missing


def _loads(value: Any, default: Any) -> Any:
    """A JSON column (stored as TEXT) → its value; `default` when empty or malformed."""
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        return value
    try:
        out = json.loads(value)
    except ValueError:
        return default
    return out if isinstance(out, type(default)) else default


def names_list(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    names = [str(n) for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- paragraph ids on a report's body ---------------------------------------------------------------
_VOID = frozenset(
    {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class _Tokens(HTMLParser):
    """Already sanitized HTML as a flat list of tokens: ("start"|"void", tag, attrs), ("end", tag),
    ("text", data)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[tuple[str, str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(("void" if tag in _VOID else "start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(("void" if tag in _VOID else "start", tag, attrs))
        if tag not in _VOID:
            self.out.append(("end", tag, None))

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.out.append(("end", tag, None))

    def handle_data(self, data: str) -> None:
        self.out.append(("text", "", data))


def _serialize(token: tuple[str, str, Any]) -> str:
    kind, tag, value = token
    if kind == "text":
        return escape(value, quote=False)
    if kind == "end":
        return f"</{tag}>"
    attrs = "".join(f' {k}="{escape(v or "")}"' if v is not None else f" {k}" for k, v in value)
    return f"<{tag}{attrs}>"


def _lines(tokens: list[tuple[str, str, Any]]) -> tuple[str, list[tuple[int, int, int]]]:
    """The text of the tokens as necwatch.extract.text.node_text writes a body (block elements end
    a paragraph, <br> a line, whitespace collapsed per line, paragraphs joined by a blank line), and
    each non-empty line's (offset in that text, first token, last token)."""
    blocks: list[list[tuple[str, int, int]]] = []
    block: list[tuple[str, int, int]] = []
    line: list[tuple[int, str]] = []

    def end_line() -> None:
        text = " ".join("".join(s for _, s in line).split())
        if text:
            with_text = [i for i, s in line if s.strip()]
            block.append((text, with_text[0], with_text[-1]))
        line.clear()

    def end_block() -> None:
        nonlocal block
        end_line()
        if block:
            blocks.append(block)
        block = []

    for i, (kind, tag, value) in enumerate(tokens):
        if kind == "text":
            line.append((i, value.replace("\n", " ")))
        elif tag == "br":
            end_line()
        elif tag in BLOCK_TAGS:
            end_block()
    end_block()
    pieces, spans, at = [], [], 0
    for n, b in enumerate(blocks):
        if n:
            pieces.append("\n\n")
            at += 2
        for k, (text, first, last) in enumerate(b):
            if k:
                pieces.append("\n")
                at += 1
            spans.append((at, first, last))
            pieces.append(text)
            at += len(text)
    return "".join(pieces), spans


def _paragraphs(text: str) -> list[tuple[str, int, int]]:
    """(id, start, end) of the paragraphs of a body's text, as the record splits it."""
    if split_paragraphs is not None:
        return [(p.id, p.start or 0, (p.start or 0) + len(p.text)) for p in split_paragraphs(text)]
    out: list[tuple[str, int, int]] = []  # pragma: no cover - without necwatch: one paragraph a line
    seen: dict[str, int] = {}
    at = 0  # pragma: no cover - without necwatch: one paragraph a line
    for line in text.split("\n"):
        if line.strip():
            pid = paragraph_id(line)
            seen[pid] = seen.get(pid, 0) + 1
            out.append((pid if seen[pid] == 1 else f"{pid}-{seen[pid]}", at, at + len(line)))
        at += len(line) + 1
    return out


def _depths(tokens: list[tuple[str, str, Any]]) -> list[int]:
    """The element depth after each token (start tags +1, end tags -1), from 0 before the first."""
    out, depth = [], 0
    for kind, _, _ in tokens:
        depth += 1 if kind == "start" else -1 if kind == "end" else 0
        out.append(depth)
    return out


def _wrap(tokens: list[tuple[str, str, Any]], depths: list[int], a: int, b: int) -> tuple[int, int] | None:
    """The token range to wrap for a paragraph whose text runs from token a to token b: widened
    over the inline tags just around it until every element inside is closed inside (`<b>` at its
    start, `</a>` at its end), or None when no such range exists (an inline element that spans two
    paragraphs): the paragraph then gets an empty anchor."""

    def balance(a: int, b: int) -> tuple[int, int]:
        before = depths[a - 1] if a else 0
        return min(depths[a : b + 1]) - before, depths[b] - before

    low, final = balance(a, b)
    while low < 0 and a > 0 and tokens[a - 1][0] == "start" and tokens[a - 1][1] not in BLOCK_TAGS:
        a -= 1
        low, final = balance(a, b)
    while (
        final > 0 and b + 1 < len(tokens) and tokens[b + 1][0] == "end" and tokens[b + 1][1] not in BLOCK_TAGS
    ):
        b += 1
        low, final = balance(a, b)
    return (a, b) if low >= 0 and final == 0 else None


@functools.lru_cache(maxsize=128)
def body_with_ids(html: str) -> Markup:
    """Sanitized body HTML with each paragraph wrapped in `<span class="nw-para" id="p…">`, the id
    the record stores for it (necwatch.record.text.split_paragraphs over the same text the body's
    text is made of). Cached: a report page's body is the same until the report changes."""
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    tokens = parser.out
    text, lines = _lines(tokens)
    depths = _depths(tokens)
    opens: dict[int, list[str]] = {}
    closes: dict[int, int] = {}
    starts = [at for at, _, _ in lines]
    for pid, start, end in _paragraphs(text):
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(end - 1, start)) - 1
        if first < 0:
            continue
        span = _wrap(tokens, depths, lines[first][1], lines[last][2])
        attrs = f'class="nw-para" id="{escape(pid)}"'
        if span is None:
            opens.setdefault(lines[first][1], []).append(f"<span {attrs}></span>")
            continue
        opens.setdefault(span[0], []).append(f"<span {attrs}>")
        closes[span[1]] = closes.get(span[1], 0) + 1
    out: list[str] = []
    for i, token in enumerate(tokens):
        out.extend(opens.get(i, ()))
        out.append(_serialize(token))
        out.append("</span>" * closes.get(i, 0))
    return Markup("".join(out))


# -- plumbing shared by the pages -------------------------------------------------------------------


_necwatch_dbs: weakref.WeakKeyDictionary[Any, dict[str, bool]] = weakref.WeakKeyDictionary()


def is_necwatch(datasette: Any, database: str | None) -> bool:
    """A database with necwatch's metadata (plugin.is_necwatch asks here too; cached: Datasette
    merges its whole metadata on every call)."""
    if not database or database not in datasette.databases:
        return False
    known = _necwatch_dbs.setdefault(datasette, {})
    if database not in known:
        meta = datasette.metadata(database=database) or {}
        known[database] = "report_versions" in (meta.get("tables") or {})
    return known[database]


# What the anonymous reader may see, per instance and list of permissions: Datasette 0.65 deep-copies
# its whole metadata for every table permission check, about a third of a small page's time (a
# feed's); an instance's metadata and permission rules do not change while it runs.
_anonymous: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], bool]] = weakref.WeakKeyDictionary()


async def visibility(datasette: Any, actor: Any, permissions: list[Any]) -> tuple[bool, bool]:
    """datasette.check_visibility (visible to the actor, and private: not to everyone), with the
    anonymous reader's answer remembered."""
    from datasette.utils.asgi import Forbidden

    key = tuple(p if isinstance(p, str) else (p[0], tuple(p[1]) if isinstance(p[1], list) else p[1])
                for p in permissions)  # fmt: skip
    known = _anonymous.setdefault(datasette, {})
    if key not in known:
        try:
            await datasette.ensure_permissions(None, permissions)
            known[key] = True
        except Forbidden:
            known[key] = False
    if actor is None:
        return known[key], False
    try:
        await datasette.ensure_permissions(actor, permissions)
    except Forbidden:
        return False, False
    return True, not known[key]


async def _visible(datasette: Any, request: Any, database: str, table: str) -> bool:
    from datasette.utils.asgi import Forbidden

    visible, private = await visibility(
        datasette,
        request.actor,
        [("view-table", (database, table)), ("view-database", database), "view-instance"],
    )
    if not visible:
        raise Forbidden("You do not have permission to view this page")
    return bool(private)


async def _datasettes_view(view: Any, datasette: Any, request: Any, send: Any) -> Any:
    request.url_vars.setdefault("format", None)
    return await view.as_view(datasette)(request, send)


# URLs the pages link (a table's, the meeting page's), once per instance and database: Datasette's
# URL builder costs ~40 µs a call (and `datasette.urls` is a new object each time, so it cannot key
# a cache), and a person's page links ~1,000 paragraphs and meetings.
_base_urls: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()


def _table_url(datasette: Any, database: str, table: str) -> str:
    known = _base_urls.setdefault(datasette, {})
    url = known.get((database, table))
    if url is None:
        url = known[(database, table)] = str(datasette.urls.table(database, table))
    return url


def _report_url(datasette: Any, database: str, report_id: str, paragraph: str | None = None) -> str:
    url = _table_url(datasette, database, "reports") + "/" + _tilde(str(report_id))
    if not paragraph:
        return url
    fragment = str(paragraph)  # a paragraph id (p + hex, -n) is its own quoting
    return url + "#" + (fragment if _PLAIN.fullmatch(fragment) else quote(fragment, safe="-"))


_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def _person_url(datasette: Any, database: str, person_id: str) -> str:
    return _table_url(datasette, database, "people") + "/" + _tilde(str(person_id))


def _meeting_url(datasette: Any, database: str, meeting: str) -> str:
    known = _base_urls.setdefault(datasette, {})
    base = known.get((database, "?meeting"))
    if base is None:
        base = known[(database, "?meeting")] = (
            str(datasette.urls.path(f"/{quote(database)}/meeting_reports")) + "?meeting="
        )
    return base + _quoted_id(str(meeting))


@functools.lru_cache(maxsize=4096)
def _quoted_id(value: str) -> str:
    return quote(value)


async def _render(datasette: Any, request: Any, template: str, context: dict[str, Any], name: str) -> Any:
    from datasette.utils.asgi import Response

    return Response.html(await datasette.render_template(template, context, request=request, view_name=name))


async def _rows(datasette: Any, database: str, sql: str, params: dict[str, Any] | list[Any]) -> list[Any]:
    """The rows of `sql`; none when the database predates the tables it reads (an older schema)."""
    try:
        return list((await datasette.get_database(database).execute(sql, params)).rows)
    except Exception as e:  # sqlite3.OperationalError through Datasette's QueryInterrupted/… wrappers
        if "no such table" in str(e) or "no such column" in str(e):
            return []
        raise


# -- the meeting page: the minutes ------------------------------------------------------------------
# One row: the meeting and every section of its minutes as JSON sub-selects, each read by its
# primary key's meeting_id prefix (statements and people through minutes_coverage's report ids).
MINUTES_SQL = """select m.*,
  (select json_group_array(json_object('position', position, 'title', title, 'reporters', reporters,
     'single_source', single_source, 'sources', sources))
   from (select * from minutes_items where meeting_id = m.meeting_id order by position)) as nw_items,
  (select json_group_array(json_object('position', position, 'item_position', item_position,
     'summary', summary, 'outcome', outcome, 'manner', manner, 'votes_for', votes_for,
     'votes_against', votes_against, 'abstentions', abstentions, 'counted', counted, 'mover', mover,
     'mover_id', mover_id, 'seconder', seconder, 'seconder_id', seconder_id, 'reporters', reporters,
     'corroboration', corroboration, 'disputed', disputed, 'removed_only', removed_only))
   from (select * from minutes_decisions where meeting_id = m.meeting_id order by position)) as nw_decisions,
  (select json_group_array(json_object('decision_position', decision_position, 'report_id', report_id,
     'reporter', reporter, 'paragraph', paragraph, 'quote', quote, 'outcome', outcome, 'manner', manner,
     'votes_for', votes_for, 'votes_against', votes_against, 'abstentions', abstentions, 'removed', removed))
   from (select * from minutes_sources where meeting_id = m.meeting_id
     order by decision_position, report_id, report_position)) as nw_sources,
  (select json_group_array(json_object('position', position, 'field', field,
     'decision_position', decision_position, 'item_position', item_position, 'summary', summary,
     'versions', versions))
   from (select * from minutes_disagreements where meeting_id = m.meeting_id
     order by position)) as nw_disagreements,
  (select json_group_array(json_object('report_id', c.report_id, 'reporter', c.reporter,
     'published_at', c.published_at, 'days_after', c.days_after, 'duplicates', c.duplicates,
     'canonical_url', r.canonical_url,
     'only_here', c.only_here, 'removed', c.removed, 'title', r.title, 'source', r.source,
     'words', r.words, 'version', r.version, 'comments', r.comment_count, 'removed_at', r.removed_at,
     'person_id', (select p.id from people p where p.name = c.reporter)))
   from (select * from minutes_coverage where meeting_id = m.meeting_id order by published_at, report_id) c
   left join reports r on r.id = c.report_id) as nw_coverage,
  (select json_group_array(json_object('report_id', s.report_id, 'reporter', s.reporter,
     'removed', s.removed, 'paragraph', s.paragraph, 'speaker', s.speaker, 'person_id', s.person_id,
     'quote', s.quote, 'verb', s.verb, 'vote', s.vote))
   from (select s.*, c.reporter, c.removed from minutes_coverage c
     join statements s on s.report_id = c.report_id
     where c.meeting_id = m.meeting_id order by c.published_at, c.report_id, s.position) s) as nw_statements,
  (select json_group_array(json_object('report_id', x.report_id, 'reporter', x.reporter,
     'removed', x.removed, 'paragraph', x.paragraph, 'name', x.name, 'canonical', x.canonical,
     'person_id', x.person_id, 'role', x.role))
   from (select x.*, c.reporter, c.removed from minutes_coverage c
     join mentions x on x.report_id = c.report_id
     where c.meeting_id = m.meeting_id order by c.published_at, c.report_id, x.position) x) as nw_people,
  (select json_group_array(json_object('meeting_id', o.meeting_id, 'kind', o.kind))
   from minutes o where o.date = m.date and o.meeting_id != m.meeting_id) as nw_same_day
from minutes m
where m.meeting_id = :meeting or m.date = :meeting
  or m.meeting_id in (select c.meeting_id from reports r join minutes_coverage c on c.report_id = r.id
    where r.meeting_date = :meeting)
order by m.meeting_id = :meeting desc, m.date = :meeting desc, m.kind = 'full' desc, m.meeting_id
limit 1"""


# Whether the database has minutes at all (a database before the merge has none): marked for the
# plugin's cache of counts (plugin.keep_counts), so it is read once until the database changes.
ANY_MINUTES_SQL = "/* necwatch:counts */ select 1 from minutes limit 1"


async def meeting_page(datasette: Any, request: Any, send: Any, fallback: Callable[..., Any]) -> Any:
    """/<db>/meeting_reports?meeting=<meeting_id or date>: the meeting's minutes; a meeting with
    no minutes (a database before they were merged, an unknown date) is the reports side by side
    (`fallback`, plugin.query_page)."""
    from datasette.utils import tilde_decode

    database = tilde_decode(request.url_vars["database"])
    meeting = request.args.get("meeting", "").strip()
    if not meeting or not is_necwatch(datasette, database):
        return await fallback(datasette, request, send)
    if not await _rows(datasette, database, ANY_MINUTES_SQL, {}):  # none at all: no lookup
        return await fallback(datasette, request, send)
    rows = await _rows(datasette, database, MINUTES_SQL, {"meeting": meeting})
    if not rows:  # the fallback checks its own permissions (a canned query's)
        return await fallback(datasette, request, send)
    private = await _visible(datasette, request, database, "minutes")  # nothing shown before it
    minutes = _minutes_context(datasette, database, rows[0])
    context = {"database": database, "private": private, "m": minutes, "meeting": meeting}
    return await _render(datasette, request, "necwatch_minutes.html", context, "meeting")


def _version_line(
    datasette: Any, database: str, s: dict[str, Any], people: dict[str, str] | None = None
) -> dict[str, Any]:
    """One reporter's version of a line: who (linked to their person page when `people`, reporter
    name → person id, knows them), their words, the link to the paragraph."""
    person = (people or {}).get(str(s.get("reporter") or ""))
    return {
        "reporter": s.get("reporter") or "",
        "reporter_href": _person_url(datasette, database, person) if person else None,
        "quote": s.get("quote") or "",
        "href": _report_url(datasette, database, s["report_id"], s.get("paragraph"))
        if s.get("report_id")
        else None,
        "removed": bool(s.get("removed")),
    }


def _person_link(datasette: Any, database: str, name: Any, person_id: Any) -> dict[str, Any]:
    return {
        "name": str(name or person_id or ""),
        "href": _person_url(datasette, database, person_id) if person_id else None,
    }


def _disagreement(
    datasette: Any, database: str, d: dict[str, Any], reporter_of: dict[str, str]
) -> dict[str, Any]:
    """A point where reporters differ, each version attributed and quoted, side by side."""
    versions = []
    for v in _loads(d.get("versions"), []):
        if not isinstance(v, dict):
            continue
        value = v.get("value")
        versions.append(
            {
                "value": "" if value is None else _value_words(d.get("field"), value),
                "lines": _disputed_lines(datasette, database, v, reporter_of),
            }
        )
    return {
        "position": d.get("position"),
        "field": FIELD_WORDS.get(str(d.get("field")), str(d.get("field") or "a detail").replace("_", " ")),
        "summary": d.get("summary") or "",
        "decision_position": d.get("decision_position"),
        "versions": versions,
    }


def _disputed_lines(
    datasette: Any, database: str, v: dict[str, Any], reporter_of: dict[str, str]
) -> list[dict[str, Any]]:
    """One version's quotes, each with its reporter and paragraph link. `report_ids` and `reporters`
    are distinct while `quotes` and `paragraphs` are one per statement (a report may state it twice):
    a quote goes with the report at its place when the lists line up, else with the only report."""
    ids = [str(i) for i in (v.get("report_ids") or []) if i]
    quotes = [str(q) for q in (v.get("quotes") or [])]
    paragraphs = list(v.get("paragraphs") or [])
    reporters = [str(r) for r in (v.get("reporters") or [])]
    gone = {str(i) for i in (v.get("removed_reports") or [])}
    if not gone and v.get("removed") is True:
        gone = set(ids)
    lines = []
    for k in range(max(len(quotes), len(ids))):
        if len(ids) == len(quotes) or k >= len(quotes):
            rid = ids[k] if k < len(ids) else None
        else:  # fewer reports than quotes: the only one, else the nearest (a reporter's second quote)
            rid = ids[min(k, len(ids) - 1)] if ids else None
        who = reporter_of.get(rid or "") or (reporters[k] if len(reporters) == len(quotes) > k else "")
        lines.append(
            {
                "reporter": who or names_list(reporters),
                "quote": quotes[k] if k < len(quotes) else "",
                "href": _report_url(datasette, database, rid, paragraphs[k] if k < len(paragraphs) else None)
                if rid
                else None,
                "removed": bool(rid and rid in gone),
            }
        )
    return lines


def _value_words(field: Any, value: Any) -> str:
    """A disputed value as a reader reads it: a date in words, a count with an en dash ("22-12-3"
    → "22–12, 3 abstentions"), words for an outcome or a manner; any other text as it is."""
    if isinstance(value, bool):
        return "a vote was held" if value else "no vote"
    if isinstance(value, dict):
        return count_words(value.get("for"), value.get("against"), value.get("abstentions")) or ""
    if isinstance(value, list):
        if field == "count":
            return count_words(*[*value, None, None, None][:3])
        return ", ".join(map(str, value))
    text = str(value)
    if field == "date":
        return date_words(text)
    if field == "count":
        parts = text.split("-")
        if 2 <= len(parts) <= 3 and all(p.strip().isdigit() or p.strip() == "?" for p in parts):
            nums = [int(p) if p.strip().isdigit() else None for p in parts] + [None]
            return count_words(nums[0], nums[1], nums[2]) or text
        return text.replace("-", "–")
    if field == "outcome":
        return OUTCOME_WORDS.get(text, text)
    if field == "manner":
        return MANNER_WORDS.get(text, text)
    return text


def _minutes_context(datasette: Any, database: str, row: Any) -> dict[str, Any]:
    items = _loads(row["nw_items"], [])
    decisions = _loads(row["nw_decisions"], [])
    sources = _loads(row["nw_sources"], [])
    coverage = _loads(row["nw_coverage"], [])
    reporter_of = {str(c.get("report_id")): c.get("reporter") or "" for c in coverage}
    person_of = {
        str(c["reporter"]): str(c["person_id"]) for c in coverage if c.get("reporter") and c.get("person_id")
    }
    disagreements = [
        _disagreement(datasette, database, d, reporter_of) for d in _loads(row["nw_disagreements"], [])
    ]
    disputes_of: dict[Any, list[dict[str, Any]]] = {}
    for d in disagreements:
        if d["decision_position"] is not None:
            disputes_of.setdefault(d["decision_position"], []).append(d)
    versions_of: dict[Any, list[dict[str, Any]]] = {}
    for s in sources:
        line = _version_line(datasette, database, s, person_of)
        versions_of.setdefault(s.get("decision_position"), []).append(line)
    summaries = {d.get("position"): " ".join(str(d.get("summary") or "").split()) for d in decisions}
    for position, lines in versions_of.items():
        for line in lines:  # a version that only repeats the summary is not quoted again
            line["same"] = " ".join(line["quote"].split()) == summaries.get(position)
    by_item: dict[Any, list[dict[str, Any]]] = {}
    for d in decisions:
        head, missing = decision_headline(d)
        reporters = _loads(d.get("reporters"), [])
        by_item.setdefault(d.get("item_position"), []).append(
            {
                "position": d.get("position"),
                "headline": head,
                "count_missing": missing,
                "summary": d.get("summary") or "",
                "corroborated": d.get("corroboration") == "corroborated",
                "reporters": names_list(reporters),
                "mover": _person_link(datasette, database, d.get("mover"), d.get("mover_id"))
                if d.get("mover")
                else None,
                "seconder": (
                    _person_link(datasette, database, d.get("seconder"), d.get("seconder_id"))
                    if d.get("seconder")
                    else None
                ),
                "versions": versions_of.get(d.get("position"), []),
                "disputes": disputes_of.get(d.get("position"), []),
                "removed_only": bool(d.get("removed_only")),
            }
        )
    item_rows = []
    for it in items:
        srcs = [s for s in _loads(it.get("sources"), []) if isinstance(s, dict)]
        item_rows.append(
            {
                "position": it.get("position"),
                "title": it.get("title") or "Untitled item",
                "reporters": names_list(_loads(it.get("reporters"), [])),
                "single_source": bool(it.get("single_source")),
                "sources": [
                    {
                        "reporter": s.get("reporter") or reporter_of.get(str(s.get("report_id")), ""),
                        "title": s.get("title") or "",
                        "href": _report_url(datasette, database, s["report_id"], s.get("paragraph"))
                        if s.get("report_id")
                        else None,
                        "removed": bool(s.get("removed")),
                    }
                    for s in srcs
                ],
                "decisions": by_item.pop(it.get("position"), []),
            }
        )
    loose = [d for rest in by_item.values() for d in rest]  # under no item (or an item not listed)
    statements: dict[str, dict[str, Any]] = {}
    votes = []
    for s in _loads(row["nw_statements"], []):
        line = _version_line(datasette, database, s)
        if s.get("vote"):
            votes.append(
                {
                    **line,
                    "speaker": _person_link(datasette, database, s.get("speaker"), s.get("person_id")),
                    "vote": s["vote"],
                }
            )
            continue
        key = str(s.get("person_id") or s.get("speaker") or "")
        group = statements.setdefault(
            key,
            {"speaker": _person_link(datasette, database, s.get("speaker"), s.get("person_id")), "lines": []},
        )
        group["lines"].append({**line, "verb": s.get("verb") or ""})
    people: dict[str, dict[str, Any]] = {}
    merged = _loads(row["people"], []) if "people" in row.keys() else []  # noqa: SIM118 (sqlite3.Row)
    for x in merged if merged else []:
        if not isinstance(x, dict) or not (x.get("person_id") or x.get("name")):
            continue
        src = next((s for s in x.get("sources") or [] if isinstance(s, dict) and s.get("report_id")), None)
        people[str(x.get("person_id") or x.get("name"))] = {
            "person": _person_link(datasette, database, x.get("name"), x.get("person_id")),
            "role": x.get("role") or "",
            "reporters": [str(r) for r in x.get("reporters") or []],
            "href": _report_url(datasette, database, src["report_id"], src.get("paragraph")) if src else None,
        }
    for x in [] if merged else _loads(row["nw_people"], []):
        key = str(x.get("person_id") or x.get("name") or "")
        if not key:
            continue
        p = people.setdefault(
            key,
            {
                "person": _person_link(
                    datasette, database, x.get("canonical") or x.get("name"), x.get("person_id")
                ),
                "role": x.get("role") or "",
                "reporters": [],
                "href": _report_url(datasette, database, x["report_id"], x.get("paragraph"))
                if x.get("report_id")
                else None,
            },
        )
        p["role"] = p["role"] or x.get("role") or ""
        if x.get("reporter") and x["reporter"] not in p["reporters"]:
            p["reporters"].append(x["reporter"])
    named = sorted(people.values(), key=lambda p: (p["person"]["href"] is None, p["person"]["name"].lower()))
    reports = []
    urls = datasette.urls
    for c in coverage:
        rid = str(c.get("report_id") or "")
        by_report = "?report_id=" + quote(rid)
        versions, comments = c.get("version") or 0, c.get("comments") or 0
        reports.append(
            {
                "report_id": rid,
                "reporter": _person_link(datasette, database, c.get("reporter"), c.get("person_id")),
                "title": c.get("title") or rid,
                "href": _report_url(datasette, database, rid),
                "original": _original(c.get("canonical_url")),
                "published": time_words(c.get("published_at")),
                "days_after": c.get("days_after"),
                "words": c.get("words"),
                "versions": versions,
                "versions_href": str(urls.query(database, "report_history")) + by_report,
                "comments": comments,
                "comments_href": str(urls.query(database, "report_comments")) + by_report,
                "only_here": [str(t) for t in _loads(c.get("only_here"), [])],
                "duplicates": len(_loads(c.get("duplicates"), [])),
                "removed": bool(c.get("removed")),
                "removed_at": date_words(c.get("removed_at")),
            }
        )
    reporters = _loads(row["reporters"], [])
    return {
        "id": row["meeting_id"],
        "title": meeting_title(row["date"], row["kind"]),
        "date": date_words(row["date"]),
        "kind": kind_words(row["kind"]),
        "reports": row["reports"] or 0,
        "reporters": names_list(reporters),
        "reporter_count": len(reporters),
        "decisions": row["decisions"] or 0,
        "corroborated": row["corroborated"] or 0,
        "disagreement_count": row["disagreements"] or 0,
        "first_report": date_words(row["first_report_at"]),
        "last_report": date_words(row["last_report_at"]),
        "agenda": item_rows,
        "loose": loose,
        "disagreements": disagreements,
        "meeting_wide": [d for d in disagreements if d["decision_position"] is None],
        "one_reporter": len(reporters) <= 1,
        "statements": list(statements.values()),
        "votes": votes,
        "people": named,
        "coverage": reports,
        "same_day": [
            {"title": kind_words(o.get("kind")), "href": _meeting_url(datasette, database, o["meeting_id"])}
            for o in _loads(row["nw_same_day"], [])
            if isinstance(o, dict) and o.get("meeting_id")
        ],
        "json_url": str(datasette.urls.table(database, "minutes", format="json"))
        + "?meeting_id="
        + quote(str(row["meeting_id"])),
        "meetings_url": str(datasette.urls.table(database, "meetings")),
        "decisions_url": str(datasette.urls.path(f"/{quote(database)}/decisions_list")),
    }


# -- the meetings -----------------------------------------------------------------------------------
MEETINGS_PAGE = 100
_MEETINGS_COLUMNS = """select m.meeting_id, m.date, m.kind, m.reports, m.reporters, m.items, m.decisions,
  m.corroborated, m.disagreements
from minutes m"""
MEETINGS_SQL = _MEETINGS_COLUMNS + f"\norder by m.date desc, m.meeting_id limit {MEETINGS_PAGE + 1}"
MEETINGS_AFTER_SQL = (
    _MEETINGS_COLUMNS
    + "\nwhere m.date < :date or (m.date = :date and m.meeting_id > :id)"
    + f"\norder by m.date desc, m.meeting_id limit {MEETINGS_PAGE + 1}"
)


async def meetings_page(datasette: Any, request: Any, send: Any) -> Any:
    """/<db>/meetings: every meeting with minutes, newest first, 100 a page (keyset: `after` is the
    last meeting shown); a database without minutes keeps Datasette's page of the `meetings` view."""
    from datasette.utils import tilde_decode
    from datasette.views.table import TableView

    database = tilde_decode(request.url_vars["database"])
    # Datasette's own filters, sorts and facets on the view (?_sort=, ?meeting_date=) stay its page
    if not is_necwatch(datasette, database) or set(request.args) - {"after"}:
        return await _datasettes_view(TableView, datasette, request, send)
    after = request.args.get("after", "").strip()
    if after:
        date = after.split("-", 3)
        day = "-".join(date[:3]) if len(date) >= 3 and len(date[2]) == 2 else "-".join(date[:2])
        rows = await _rows(datasette, database, MEETINGS_AFTER_SQL, {"date": day, "id": after})
    else:
        rows = await _rows(datasette, database, MEETINGS_SQL, {})
    if not rows and not after:
        return await _datasettes_view(TableView, datasette, request, send)
    private = await _visible(datasette, request, database, "minutes")
    meetings = []
    for r in rows[:MEETINGS_PAGE]:
        reporters = _loads(r["reporters"], [])
        meetings.append(
            {
                "id": r["meeting_id"],
                "date": date_words(r["date"]),
                "kind": kind_words(r["kind"]),
                "full": (r["kind"] or "full") == "full",
                "href": _meeting_url(datasette, database, r["meeting_id"]),
                "reporters": names_list(reporters),
                "reports": r["reports"] or 0,
                "items": r["items"] or 0,
                "decisions": r["decisions"] or 0,
                "corroborated": r["corroborated"] or 0,
                "disagreements": r["disagreements"] or 0,
            }
        )
    more = len(rows) > MEETINGS_PAGE
    base = str(datasette.urls.table(database, "meetings"))
    context = {
        "database": database,
        "private": private,
        "meetings": meetings,
        "next_url": base + "?" + urlencode({"after": meetings[-1]["id"]}) if more and meetings else None,
        "first_url": base if after else None,
        "json_url": str(datasette.urls.table(database, "minutes", format="json")),
        "decisions_url": str(datasette.urls.path(f"/{quote(database)}/decisions_list")),
    }
    return await _render(datasette, request, "necwatch_minutes_list.html", context, "meetings")


# -- a person ---------------------------------------------------------------------------------------
_PERSON_LIMIT = 500
# The reports a person wrote, newest first: on the person page and in the person's feed.
_PERSON_REPORTS = """(select json_group_array(json_object('report_id', id, 'title', title,
     'published_at', coalesce(published_at, first_seen_at),
     'removed_at', removed_at, 'meeting_date', meeting_date, 'meeting_kind', meeting_kind))
   from (select * from reports where author = p.name and is_nec_report = 1 and duplicate_of is null
     order by published_at desc limit {limit})) as nw_reports"""
# A person's mentions and statements read, the most recently recorded first (idx_mentions_person_id
# and idx_statements_person_id walked backwards, then stopped): a party leader named in 50,000
# reports costs what one named in 2,000 does; the page shows the latest 500 lines of each section.
_PERSON_SCAN = 2000
# Where a report's line sits: its meeting (the merged minutes' when it has one, else its record's).
_MEETING_OF = """left join records rec on rec.report_id = {r}.id
  left join minutes mi on mi.meeting_id = (select c.meeting_id from minutes_coverage c
    where c.report_id = {r}.id order by c.meeting_id limit 1)"""
# The decisions a person moved or seconded, the most recently recorded first (idx_decisions_mover_id
# and idx_decisions_seconder_id walked backwards, then stopped, as for mentions and statements).
_MOVED = f"""(select rowid from (select rowid from decisions where mover_id = :id
         order by rowid desc limit {_PERSON_SCAN})
       union select rowid from (select rowid from decisions where seconder_id = :id
         order by rowid desc limit {_PERSON_SCAN}))"""
_NAMED = f"""  (select json_group_array(json_object('report_id', report_id, 'paragraph', paragraph,
     'role', role, 'name', name, 'reporter', reporter, 'removed_at', removed_at, 'date', date, 'kind', kind,
     'meeting_id', meeting_id))
   from (select x.report_id, x.paragraph, x.role, x.name, r.author as reporter, r.removed_at,
       coalesce(mi.date, rec.meeting_date) as date, coalesce(mi.kind, rec.meeting_kind) as kind,
       coalesce(mi.meeting_id, rec.meeting_date) as meeting_id
     from (select * from mentions where person_id = :id order by rowid desc limit {_PERSON_SCAN}) x
     join reports r on r.id = x.report_id
     {_MEETING_OF.format(r="r")}
     order by date desc, r.published_at limit {_PERSON_LIMIT})) as nw_meetings,
"""
PERSON_SQL = f"""select p.id, p.name,
  (select json_group_array(json_object('organization', organization, 'role', role, 'section', section,
     'start_date', start_date, 'end_date', end_date))
   from (select * from memberships where person_id = :id
     order by coalesce(start_date, ''), position)) as nw_roles,
{_NAMED}  (select json_group_array(json_object('report_id', report_id, 'paragraph', paragraph, 'quote', quote,
     'verb', verb, 'vote', vote, 'reporter', reporter, 'published_at', published_at,
     'removed_at', removed_at, 'date', date, 'kind', kind, 'meeting_id', meeting_id, 'position', position))
   from (select s.report_id, s.position, s.paragraph, s.quote, s.verb, s.vote, r.author as reporter,
       coalesce(r.published_at, r.first_seen_at) as published_at, r.removed_at,
       coalesce(mi.date, rec.meeting_date) as date,
       coalesce(mi.kind, rec.meeting_kind) as kind, coalesce(mi.meeting_id, rec.meeting_date) as meeting_id
     from (select * from statements where person_id = :id order by rowid desc limit {_PERSON_SCAN}) s
     join reports r on r.id = s.report_id
     {_MEETING_OF.format(r="r")}
     order by date desc, r.published_at, s.position limit {_PERSON_LIMIT})) as nw_statements,
  (select json_group_array(json_object('report_id', report_id, 'position', position, 'paragraph', paragraph,
     'quote', quote, 'subject', subject, 'outcome', outcome, 'manner', manner, 'votes_for', votes_for,
     'votes_against', votes_against, 'abstentions', abstentions, 'moved', moved, 'reporter', reporter,
     'published_at', published_at, 'removed_at', removed_at, 'date', date, 'kind', kind,
     'meeting_id', meeting_id))
   from (select d.*, d.mover_id = :id as moved, r.author as reporter,
       coalesce(r.published_at, r.first_seen_at) as published_at, r.removed_at,
       coalesce(mi.date, rec.meeting_date) as date, coalesce(mi.kind, rec.meeting_kind) as kind,
       coalesce(mi.meeting_id, rec.meeting_date) as meeting_id
     from decisions d join reports r on r.id = d.report_id
     {_MEETING_OF.format(r="r")}
     where d.rowid in {_MOVED}
     order by date desc, d.report_id, d.position limit {_PERSON_LIMIT})) as nw_decisions,
  {_PERSON_REPORTS.format(limit=_PERSON_LIMIT)}
from people p where p.id = :id"""
# The feed: its 100 newest entries (by publication) of each kind, their meetings read for those only;
# no roles, no lines where the person is named (the feed shows neither).
_FEED = 100
PERSON_FEED_SQL = f"""select p.id, p.name, null as nw_roles, null as nw_meetings,
  (select json_group_array(json_object('report_id', report_id, 'paragraph', paragraph, 'quote', quote,
     'verb', verb, 'vote', vote, 'reporter', reporter, 'published_at', published_at,
     'removed_at', removed_at, 'date', date, 'kind', kind, 'meeting_id', meeting_id, 'position', position))
   from (select s.*, coalesce(mi.date, rec.meeting_date) as date, coalesce(mi.kind, rec.meeting_kind) as kind,
       coalesce(mi.meeting_id, rec.meeting_date) as meeting_id
     from (select s.report_id as id, s.report_id, s.position, s.paragraph, s.quote, s.verb, s.vote,
         r.author as reporter, coalesce(r.published_at, r.first_seen_at) as published_at, r.removed_at
       from (select * from statements where person_id = :id order by rowid desc limit {_PERSON_SCAN}) s
       join reports r on r.id = s.report_id
       order by published_at desc, s.report_id, s.position limit {_FEED}) s
     {_MEETING_OF.format(r="s")}
     order by s.published_at desc, s.report_id, s.position)) as nw_statements,
  (select json_group_array(json_object('report_id', report_id, 'position', position, 'paragraph', paragraph,
     'quote', quote, 'subject', subject, 'outcome', outcome, 'manner', manner, 'votes_for', votes_for,
     'votes_against', votes_against, 'abstentions', abstentions, 'moved', moved, 'reporter', reporter,
     'published_at', published_at, 'removed_at', removed_at, 'date', date, 'kind', kind,
     'meeting_id', meeting_id))
   from (select d.*, coalesce(mi.date, rec.meeting_date) as date, coalesce(mi.kind, rec.meeting_kind) as kind,
       coalesce(mi.meeting_id, rec.meeting_date) as meeting_id
     from (select d.*, d.report_id as id, d.mover_id = :id as moved, r.author as reporter,
         coalesce(r.published_at, r.first_seen_at) as published_at, r.removed_at
       from decisions d join reports r on r.id = d.report_id
       where d.rowid in {_MOVED}
       order by published_at desc, d.report_id, d.position limit {_FEED}) d
     {_MEETING_OF.format(r="d")}
     order by d.published_at desc, d.report_id, d.position)) as nw_decisions,
  {_PERSON_REPORTS.format(limit=_FEED)}
from people p where p.id = :id"""


async def _person(
    datasette: Any, request: Any, feed: bool = False
) -> tuple[str, dict[str, Any], bool] | None:
    from datasette.utils import tilde_decode

    database = tilde_decode(request.url_vars["database"])
    private = await _visible(datasette, request, database, "people")
    sql = PERSON_FEED_SQL if feed else PERSON_SQL
    rows = await _rows(datasette, database, sql, {"id": tilde_decode(request.url_vars["pks"])})
    if not rows:
        return None
    return database, _person_context(datasette, database, rows[0]), private


async def person_page(datasette: Any, request: Any, send: Any) -> Any:
    """/<db>/people/<person_id>: roles over time, meetings where named, statements, decisions moved
    or seconded, reports written and stated votes."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound
    from datasette.views.row import RowView

    if not is_necwatch(datasette, tilde_decode(request.url_vars["database"])):
        return await _datasettes_view(RowView, datasette, request, send)
    found = await _person(datasette, request)
    if found is None:
        raise NotFound("Person not found")
    database, person, private = found
    person["meeting_lines"] = _named_lines(person["meetings"])  # the page's, not the feed's
    person["statement_lines"] = _statement_lines(person["statements"])
    context = {"database": database, "private": private, "p": person}
    return await _render(datasette, request, "necwatch_person.html", context, "person")


def _where(datasette: Any, database: str, row: dict[str, Any]) -> dict[str, Any]:
    """The meeting a line belongs to, in words and linked, and the report it comes from."""
    meeting = row.get("meeting_id")
    return {
        "meeting": _meeting_title(row.get("date"), row.get("kind")) if row.get("date") else "",
        "meeting_href": _meeting_url(datasette, database, meeting) if meeting else None,
        "reporter": row.get("reporter") or "",
        "href": _report_url(datasette, database, row["report_id"], row.get("paragraph")),
        "removed": bool(row.get("removed_at")),
        "published_at": row.get("published_at"),
    }


def _role_words(m: dict[str, Any]) -> str:
    role, section = m.get("role") or "", m.get("section") or ""
    return f"{role} ({section})" if section and section.lower() not in role.lower() else role


def _person_context(datasette: Any, database: str, row: Any) -> dict[str, Any]:
    pid = row["id"]
    roles = [
        {
            "role": _role_words(m),
            "organization": {"nec": "NEC", "labour-party": "Labour Party"}.get(
                str(m.get("organization") or ""),
                str(m.get("organization") or "").replace("-", " ").capitalize(),
            ),
            "start": date_words(m.get("start_date")) or "date not known",
            "end": date_words(m.get("end_date")),
        }
        for m in _loads(row["nw_roles"], [])
    ]
    meetings: dict[str, dict[str, Any]] = {}
    for x in _loads(row["nw_meetings"], []):
        key = str(x.get("meeting_id") or x.get("report_id"))
        where = _where(datasette, database, x)
        m = meetings.setdefault(key, {**where, "role": x.get("role") or "", "sources": []})
        m["sources"].append(where)
        m["role"] = m["role"] or x.get("role") or ""
    statements: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    for s in _loads(row["nw_statements"], []):
        line = {**_where(datasette, database, s), "quote": s.get("quote") or "", "verb": s.get("verb") or "",
                "vote": s.get("vote"), "id": f"{s.get('report_id')}:{s.get('position')}"}  # fmt: skip
        (votes if s.get("vote") else statements).append(line)
    decisions = []
    for d in _loads(row["nw_decisions"], []):
        head, missing = decision_headline(d)
        decisions.append(
            {
                **_where(datasette, database, d),
                "headline": head,
                "count_missing": missing,
                "summary": d.get("subject") or d.get("quote") or "",
                "quote": d.get("quote") or "",
                "role": "Moved" if d.get("moved") else "Seconded",
                "id": f"{d.get('report_id')}:{d.get('position')}",
            }
        )
    reports = [
        {
            "title": r.get("title") or r.get("report_id"),
            "href": _report_url(datasette, database, r["report_id"]),
            "published": date_words(r.get("published_at")),
            "published_at": r.get("published_at"),
            "meeting": meeting_title(r.get("meeting_date"), r.get("meeting_kind"))
            if r.get("meeting_date")
            else "",
            "meeting_href": _meeting_url(datasette, database, r["meeting_date"])
            if r.get("meeting_date")
            else None,
            "removed": bool(r.get("removed_at")),
            "id": r.get("report_id"),
        }
        for r in _loads(row["nw_reports"], [])
    ]
    return {
        "id": pid,
        "name": row["name"] or pid,
        "roles": roles,
        "meetings": list(meetings.values()),
        "statements": statements,
        "votes": votes,
        "decisions": decisions,
        "reports": reports,
        "feed_url": _person_url(datasette, database, pid) + ".atom",
        "json_url": str(datasette.urls.row(database, "people", _tilde(pid), format="json")),
        "mentions_url": str(datasette.urls.table(database, "mentions")) + "?person_id=" + quote(str(pid)),
    }


def _named_lines(meetings: Any) -> Markup:
    """The person page's "Meetings where named" lines, each value escaped (Markup.format), the same
    markup the template wrote: a meeting, the role, and each reporter's paragraph."""
    out = []
    for m in meetings:
        if m["meeting_href"]:
            head = _A.format(m["meeting_href"], m["meeting"] or "A meeting")
        else:
            head = Markup.escape(m["meeting"] or "A report with no meeting date")
        role = Markup(", as {}").format(m["role"]) if m["role"] else ""
        named = Markup("; ").join(
            Markup('{} in <a href="{}">this paragraph</a>{}').format(
                s["reporter"], s["href"], Markup(", a removed report") if s["removed"] else ""
            )
            for s in m["sources"]
        )
        out.append(
            Markup('<li>{}{} <span class="nw-small">(named by {})</span></li>').format(head, role, named)
        )
    return Markup("").join(out)


def _statement_lines(statements: list[dict[str, Any]]) -> Markup:
    """The person page's "Statements" lines, as _named_lines."""
    out = []
    for s in statements:
        where = _A.format(s["meeting_href"], s["meeting"]) + Markup(", ") if s["meeting_href"] else ""
        removed = Markup(", from a removed report") if s["removed"] else ""
        out.append(_STATEMENT.format(s["quote"], where, s["reporter"], s["href"], removed))
    return Markup("").join(out)


_A = Markup('<a href="{}">{}</a>')
_STATEMENT = Markup(
    '<li><q>{}</q> <span class="nw-small">({}reported by {}, <a href="{}">paragraph</a>{})</span></li>'
)


@functools.lru_cache(maxsize=4096)
def _tilde(value: str) -> str:
    from datasette.utils import tilde_encode

    return str(tilde_encode(str(value)))


async def person_feed(datasette: Any, request: Any, send: Any) -> Any:
    """/<db>/people/<person_id>.atom: the person's reports, statements, stated votes and the
    decisions they moved or seconded, newest first."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound, Response

    if not is_necwatch(datasette, tilde_decode(request.url_vars["database"])):
        raise NotFound("Not found")
    found = await _person(datasette, request, feed=True)
    if found is None:
        raise NotFound("Person not found")
    database, p, _ = found
    entries = []
    for r in p["reports"]:
        on = f", on the {escape(r['meeting'])}" if r["meeting"] else ""
        content = f"<p>{escape(r['title'])}{on}.</p>"
        entries.append(
            (
                r["published_at"],
                f"report:{r['id']}",
                f"{p['name']} reported: {r['title']}",
                r["href"],
                content,
            )
        )
    for s in p["statements"] + p["votes"]:
        what = f"voted {s['vote']}" if s["vote"] else (s["verb"] or "said")
        title = f"{p['name']} {what}" + (f" at the {s['meeting']}" if s["meeting"] else "")
        entries.append((s["published_at"], f"statement:{s['id']}", title, s["href"], _quoted(s)))
    for d in p["decisions"]:
        title = f"{d['role']} by {p['name']}: {d['headline']}: {d['summary']}"
        entries.append((d["published_at"], f"decision:{d['id']}", title, d["href"], _quoted(d)))
    entries.sort(key=lambda e: e[0] or "", reverse=True)
    body = atom_feed(
        datasette, request, f"necwatch: {p['name']}", f"tag:necwatch,2024:person:{p['id']}",
        datasette.absolute_url(request, _person_url(datasette, database, p["id"])), entries[:100],
    )  # fmt: skip
    return Response(body, content_type=ATOM)


def _quoted(line: dict[str, Any]) -> str:
    """A feed entry's content: the sentence as written, and who reported it."""
    quote, reporter = escape(line["quote"]), escape(line["reporter"])
    return f"<blockquote><p>{quote}</p></blockquote><p>Reported by {reporter}.</p>"


def atom_feed(
    datasette: Any,
    request: Any,
    title: str,
    feed_id: str,
    page: str,
    entries: list[tuple[Any, str, str, str, str]],
) -> str:
    """An Atom document: `entries` are (updated, id suffix, title, relative link, HTML content)."""
    stamps = [t for t in (_atom_time(e[0]) for e in entries) if t]
    updated = max(stamps) if stamps else dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    self_url = datasette.absolute_url(
        request, request.path + (("?" + request.query_string) if request.query_string else "")
    )
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{xml_escape(_xml(title))}</title>",
        f"<id>{xml_escape(feed_id)}</id>",
        f"<updated>{updated}</updated>",
        f'<link href="{escape(self_url)}" rel="self" type="application/atom+xml"/>',
        f'<link href="{escape(page)}" rel="alternate" type="text/html"/>',
        "<author><name>necwatch</name></author>",
    ]
    site = datasette.absolute_url(request, "/")  # once: absolute_url parses the request's URL each call
    for when, suffix, entry_title, href, content in entries:
        if href.startswith("/") and not href.startswith("//"):
            link = site + href[1:]
        else:
            link = datasette.absolute_url(request, href)
        out += [
            "<entry>",
            f"<id>{xml_escape(feed_id + ':' + suffix)}</id>",
            f"<title>{xml_escape(_xml(entry_title))}</title>",
            f"<updated>{_atom_time(when) or updated}</updated>",  # undated: the feed's time
            f'<link href="{escape(link)}" rel="alternate" type="text/html"/>',
            f'<content type="html">{xml_escape(_xml(content))}</content>',
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out)


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _atom_time(value: Any) -> str | None:
    """An RFC 3339 time in UTC for Atom (a date alone is midnight, a naive time is UTC); None for
    no time or one that does not parse."""
    text = str(value or "")
    if len(text) == 7:
        text += "-01"
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).isoformat(timespec="seconds")


# -- the decisions ----------------------------------------------------------------------------------
DECISIONS_PAGE = 50  # as Datasette's default_page_size: the page's cost is mostly rendering its rows
FACETS = ("outcome", "year", "kind", "counted")
_MAX_WORDS = 8


_WORD = re.compile(r"\w", re.UNICODE)


def _decision_filters(
    args: Any, fts: bool = True
) -> tuple[list[str], list[str], dict[str, Any], dict[str, str]]:
    """The conditions on the decision (`d`) and on its meeting (`m`), their parameters and the
    filters as given (q, outcome, year, kind, counted). The words of `q` are found among the
    decision's words (its summary, its item's title, a reporter's quote of it): through their
    full-text index, words starting with each ("vote" finds "votes"), or (`fts` False: a database
    from before the index) as any part of those texts."""
    given = {k: args.get(k, "").strip() for k in ("q", *FACETS)}
    given = {k: v for k, v in given.items() if v}
    on_d: list[str] = []
    on_m: list[str] = []
    params: dict[str, Any] = {}
    words = [w for w in given.get("q", "").split() if _WORD.search(w)][:_MAX_WORDS]
    if words and fts:
        params["words"] = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        on_d.append(
            "d.rowid in (select rowid from minutes_decisions_fts where minutes_decisions_fts match :words)"
        )
    for n, word in enumerate(words if not fts else ()):
        params[f"w{n}"] = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        on_d.append(
            f"(d.summary like :w{n} escape '\\' or exists (select 1 from minutes_items i"
            f" where i.meeting_id = d.meeting_id and i.position = d.item_position"
            f" and i.title like :w{n} escape '\\') or exists (select 1 from minutes_sources s"
            f" where s.meeting_id = d.meeting_id and s.decision_position = d.position"
            f" and s.quote like :w{n} escape '\\'))"
        )
    if "outcome" in given:
        if given["outcome"] == "disputed":
            on_d.append("d.outcome is null")
        else:
            on_d.append("d.outcome = :outcome")
            params["outcome"] = given["outcome"]
    if given.get("counted") in ("0", "1"):
        on_d.append("coalesce(d.counted, 0) = :counted")
        params["counted"] = int(given["counted"])
    if given.get("year"):
        on_m.append("substr(m.date, 1, 4) = :year")
        params["year"] = given["year"]
    if given.get("kind"):
        on_m.append("coalesce(m.kind, 'full') = :kind")
        params["kind"] = given["kind"]
    return on_d, on_m, params, given


def _all(conditions: list[str]) -> str:
    return (" where " + " and ".join(conditions)) if conditions else ""


def decisions_counts_sql(on_d: list[str], on_m: list[str]) -> str:
    """The matching decisions counted by all four facets at once (the total and each facet's counts
    are sums of these groups): each meeting's decisions counted by outcome and count (from the
    index on meeting_id, outcome, counted when no word is asked), then summed by the meeting's year
    and kind. Marked for the plugin's cache (plugin.keep_counts): asked again, it is answered
    without a scan until the database changes."""
    return f"""/* necwatch:counts */ select json_group_array(json_array(outcome, year, kind, counted, n))
from (select g.outcome, substr(m.date, 1, 4) as year, coalesce(m.kind, 'full') as kind, g.counted,
    sum(g.n) as n
  from (select d.meeting_id, coalesce(d.outcome, 'disputed') as outcome, coalesce(d.counted, 0) as counted,
      count(*) as n
    from minutes_decisions d{_all(on_d)}
    group by d.meeting_id, d.outcome, d.counted) g
  join minutes m on m.meeting_id = g.meeting_id{_all(on_m)}
  group by 1, 2, 3, 4) as nw_groups"""


def decisions_sql(on_d: list[str], on_m: list[str], limit: int, walk: bool = False) -> str:
    """A page of the matching decisions, newest meeting first, each with its reporters' versions.
    `walk`: read the meetings newest first (their date's index) and stop once the page is full,
    for matches so many that a page of them is among the first meetings read, rather than let
    SQLite read every match (the rowids a search finds) and sort them all."""
    join = "cross join" if walk else "join"  # CROSS JOIN: SQLite keeps the meetings outermost
    return f"""select (select json_group_array(json_object('meeting_id', d.meeting_id, 'position', d.position,
     'summary', d.summary, 'outcome', d.outcome, 'manner', d.manner, 'votes_for', d.votes_for,
     'votes_against', d.votes_against, 'abstentions', d.abstentions, 'counted', coalesce(d.counted, 0),
     'reporters', d.reporters, 'corroboration', d.corroboration, 'disputed', d.disputed,
     'removed_only', d.removed_only, 'mover', d.mover, 'mover_id', d.mover_id, 'seconder', d.seconder,
     'seconder_id', d.seconder_id, 'date', h.date, 'kind', h.kind, 'item', i.title,
     'first_reported', (select min(coalesce(r.published_at, r.first_seen_at)) from minutes_sources s
       join reports r on r.id = s.report_id
       where s.meeting_id = h.meeting_id and s.decision_position = h.position),
     'sources', (select json_group_array(json_object('report_id', report_id,
         'report_position', report_position,
         'reporter', reporter, 'paragraph', paragraph, 'quote', quote, 'removed', removed))
       from (select * from minutes_sources s where s.meeting_id = h.meeting_id
         and s.decision_position = h.position order by report_id, report_position))))
   from (select d.meeting_id, d.position, m.date, coalesce(m.kind, 'full') as kind
     from minutes m {join} minutes_decisions d on d.meeting_id = m.meeting_id{_all(on_d + on_m)}
     order by m.date desc, m.meeting_id, d.position limit {limit} offset :offset) h
   join minutes_decisions d on d.meeting_id = h.meeting_id and d.position = h.position
   left join minutes_items i on i.meeting_id = d.meeting_id and i.position = d.item_position
  ) as nw_rows"""


# Walk the meetings newest first when the matches are at least this many times the rows to show
# (one decision in WALK_FROM or more matches: a page's worth is found early); fewer, start from them.
WALK_FROM = 20


async def _decisions(
    datasette: Any, database: str, args: Any, limit: int, offset: int, with_counts: bool
) -> tuple[dict[str, str], list[dict[str, Any]], list[list[Any]]]:
    """The filters as given, a page of the matching decisions and (`with_counts`) their facet
    groups; the LIKE search when the database has no full-text indexes of the minutes (older)."""
    for fts in (True, False):
        on_d, on_m, params, given = _decision_filters(args, fts)
        db = datasette.get_database(database)
        try:  # the counts first (kept until the database changes): how many matches to page through
            groups = await db.execute(decisions_counts_sql(on_d, on_m), params) if with_counts else None
            counted = groups.first() if groups is not None else None
            found = _loads(counted[0] if counted else None, [])
            found = [g for g in found if isinstance(g, list) and len(g) == 5]
            total = sum(int(g[4]) for g in found) if with_counts else 0
            walk = not on_d or total >= WALK_FROM * (offset + limit)
            rows = await db.execute(decisions_sql(on_d, on_m, limit, walk), {**params, "offset": offset})
        except Exception as e:  # sqlite3.OperationalError through Datasette's wrappers
            if "no such table" in str(e) or "no such column" in str(e):
                if fts and "_fts" in str(e):
                    continue
                return given, [], []
            raise
        first = rows.first()
        return given, _loads(first["nw_rows"] if first else None, []), found
    return {}, [], []  # pragma: no cover - the LIKE search has no index to miss


FACET_TITLES = {"outcome": "Outcome", "year": "Year", "kind": "Meeting", "counted": "Count"}


def _facet_label(facet: str, value: Any) -> str:
    if facet == "outcome":
        return OUTCOME_WORDS.get(str(value), "Disputed") if value != "disputed" else "Disputed"
    if facet == "kind":
        words = kind_words(value)
        return words[0].upper() + words[1:]
    if facet == "counted":
        return "Count stated" if str(value) == "1" else "Count not reported"
    return str(value)


def _decision_row(datasette: Any, database: str, d: dict[str, Any], links: bool = True) -> dict[str, Any]:
    """A decision as the page shows it; `links` False (the feed): without the links to each
    version's paragraph, its mover's and seconder's pages and the first report's paragraph."""
    head, missing = decision_headline(d)
    sources = [s for s in _loads(d.get("sources"), []) if isinstance(s, dict)]
    first = sources[0] if sources else {}
    if not links:
        plain: list[dict[str, Any]] = [{"reporter": s.get("reporter") or "", "quote": s.get("quote") or "",
                                        "removed": bool(s.get("removed"))} for s in sources]  # fmt: skip
        return {
            "headline": head,
            "count_missing": missing,
            "summary": d.get("summary") or "",
            "item": d.get("item") or "",
            "meeting": _meeting_title(d.get("date"), d.get("kind")),
            "meeting_href": _meeting_url(datasette, database, d["meeting_id"])
            + f"#decision-{d.get('position')}",
            "corroborated": d.get("corroboration") == "corroborated",
            "reporters": names_list(_loads(d.get("reporters"), [])),
            "versions": plain,
            "first_reported": d.get("first_reported"),
            "key": _decision_key(d, first),
        }
    summary = " ".join(str(d.get("summary") or "").split())
    versions = [_version_line(datasette, database, s) for s in sources]
    for line in versions:
        line["same"] = " ".join(line["quote"].split()) == summary
    return {
        "headline": head,
        "count_missing": missing,
        "summary": d.get("summary") or "",
        "item": d.get("item") or "",
        "meeting": _meeting_title(d.get("date"), d.get("kind")),
        "meeting_href": _meeting_url(datasette, database, d["meeting_id"]) + f"#decision-{d.get('position')}",
        "corroborated": d.get("corroboration") == "corroborated",
        "disputed": bool(d.get("disputed")),
        "reporters": names_list(_loads(d.get("reporters"), [])),
        "versions": versions,
        "removed_only": bool(d.get("removed_only")),
        "mover": _person_link(datasette, database, d.get("mover"), d.get("mover_id"))
        if d.get("mover")
        else None,
        "seconder": _person_link(datasette, database, d.get("seconder"), d.get("seconder_id"))
        if d.get("seconder")
        else None,
        "first_reported": d.get("first_reported"),
        "key": _decision_key(d, first),
        "first_href": _report_url(datasette, database, first["report_id"], first.get("paragraph"))
        if first
        else None,
    }


def _decision_key(d: dict[str, Any], first: dict[str, Any]) -> str:
    """A decision's stable key: its meeting and the first report's decision (a re-merge keeps it)."""
    return ":".join(
        str(x)
        for x in (
            d.get("meeting_id"),
            first.get("report_id", ""),
            first.get("report_position", d.get("position")),
        )
    )


async def decisions_page(datasette: Any, request: Any, send: Any) -> Any:
    """/<db>/decisions_list: every decision of the minutes, searchable (`q`: words of the decision,
    its item or a reporter's quote) and faceted by outcome, year, meeting kind and count."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound

    database = tilde_decode(request.url_vars["database"])
    if not is_necwatch(datasette, database):
        raise NotFound("Database not found")
    private = await _visible(datasette, request, database, "minutes_decisions")
    page = request.args.get("page", "")
    current = max(int(page), 1) if page.isdigit() else 1
    offset = (current - 1) * DECISIONS_PAGE
    given, found, groups = await _decisions(datasette, database, request.args, DECISIONS_PAGE, offset, True)
    total = sum(int(g[4]) for g in groups)
    decisions = [_decision_row(datasette, database, d) for d in found]
    base = str(datasette.urls.path(f"/{quote(database)}/decisions_list"))

    def link(**change: Any) -> str:
        args = {**given, **change}
        args = {k: v for k, v in args.items() if v}
        return base + ("?" + urlencode(args) if args else "")

    facets = []
    for n, facet in enumerate(FACETS):
        counts: dict[Any, int] = {}
        for g in groups:
            counts[g[n]] = counts.get(g[n], 0) + int(g[4])
        order = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if facet in ("year", "counted"):
            order = sorted(counts.items(), key=lambda kv: str(kv[0]), reverse=True)
        facets.append(
            {
                "title": FACET_TITLES[facet],
                "chosen": _facet_label(facet, given[facet]) if facet in given else None,
                "clear": link(**{facet: None, "page": None}) if facet in given else None,
                "options": [
                    {
                        "label": _facet_label(facet, v),
                        "count": c,
                        "href": link(**{facet: str(v), "page": None}),
                    }
                    for v, c in order
                    if v is not None
                ],
            }
        )
    first = offset + 1
    context = {
        "database": database,
        "private": private,
        "q": given.get("q", ""),
        "hidden": [(k, v) for k, v in given.items() if k != "q"],
        "decisions": decisions,
        "total": total,
        "first": first,
        "last": first + len(decisions) - 1,
        "prev_url": link(page=str(current - 1)) if current > 1 else None,
        "next_url": link(page=str(current + 1)) if offset + len(decisions) < total else None,
        "facets": facets,
        "filtered": bool(given),
        "clear_url": base,
        "feed_url": base + ".atom" + (("?" + urlencode(given)) if given else ""),
        "meetings_url": str(datasette.urls.table(database, "meetings")),
    }
    return await _render(datasette, request, "necwatch_decisions.html", context, "decisions")


async def decisions_feed(datasette: Any, request: Any, send: Any) -> Any:
    """/<db>/decisions_list.atom: the 50 latest decisions (the same filters as the page)."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound, Response

    database = tilde_decode(request.url_vars["database"])
    if not is_necwatch(datasette, database):
        raise NotFound("Database not found")
    await _visible(datasette, request, database, "minutes_decisions")
    given, found, _ = await _decisions(datasette, database, request.args, 50, 0, False)
    decisions = [_decision_row(datasette, database, d, links=False) for d in found]
    entries = []
    for d in decisions:
        versions = "".join(
            f"<li>{escape(v['reporter'])}{' (removed report)' if v['removed'] else ''}: "
            f"<q>{escape(v['quote'])}</q></li>"
            for v in d["versions"]
        )
        status = "Corroborated" if d["corroborated"] else "Single source"
        content = (
            f"<p><strong>{escape(d['headline'])}:</strong> {escape(d['summary'])}"
            + (" Count not reported." if d["count_missing"] else "")
            + f"</p><p>{escape(d['meeting'])}"
            + (f", {escape(d['item'])}" if d["item"] else "")
            + f". {status}: {escape(d['reporters'])}.</p><ul>{versions}</ul>"
        )
        entries.append((d["first_reported"], "decision:" + d["key"], f"{d['headline']}: {d['summary']}",
                        d["meeting_href"], content))  # fmt: skip
    title = "necwatch: NEC decisions" + (f" matching {given['q']}" if given.get("q") else "")
    page = datasette.absolute_url(request, str(datasette.urls.path(f"/{quote(database)}/decisions_list")))
    body = atom_feed(datasette, request, title, "tag:necwatch,2024:decisions", page, entries)
    return Response(body, content_type=ATOM)


def routes(meeting_fallback: Callable[..., Any]) -> list[tuple[str, Any]]:
    """The record pages' routes, for plugin.register_routes; `meeting_fallback` serves a meeting
    with no minutes (the reports side by side)."""

    async def meeting(datasette: Any, request: Any, send: Any) -> Any:
        return await meeting_page(datasette, request, send, meeting_fallback)

    return [
        (MEETING_ROUTE, meeting),
        (MEETINGS_ROUTE, meetings_page),
        (PERSON_FEED_ROUTE, person_feed),
        (PERSON_ROUTE, person_page),
        (DECISIONS_FEED_ROUTE, decisions_feed),
        (DECISIONS_ROUTE, decisions_page),
    ]
