"""The post's published date, chosen among everything a page says about it (issue 21, dates).

Rule: the post's own date, with its time and offset when the page states them. A page says when its
post appeared in several places that often disagree: the post's visible date element (what readers
see), the head's metadata (JSON-LD, `article:published_time`, `itemprop`, microformats: what plugins
write, often a UTC time labelled local or a re-publication), and a printed dateline. In order:

1. The visible date: a platform reader's date, else the post's own date element with a full stamp
   (`time.entry-date`, `time.published`, `itemprop=datePublished`, `time[pubdate]`; or an element
   whose `title` is an ISO stamp and whose text prints that same date and time), inside the post,
   never in a comment or a teaser. When its text states a time and a zone ("02.00 EST", "07:00
   GMT"), the page's own statement wins, in that zone's offset (`dates.split_zone`).
2. Re-publication: a metadata claim for the published date more than a day earlier than the chosen
   one wins (the later is a re-publication or a modified date labelled published); modified dates
   are never published claims. Claims inside comments or teasers are not the post's.
3. A day without a time takes the time and offset of a metadata claim for that same day, unless
   that time is suspect: the claims state different times for the day (a local time labelled with
   the wrong offset: `05:00:04+00:00` beside `10:00:04+00:00`), the time is exactly midnight (a
   day padded), or it is labelled UTC while every other time the page prints is in one other offset
   (the site's zone). Then the day stays a day: no time the page does not state.
4. Numeric dates are read in the page's locale (`page_locale` → `dates.date_order`: "3/09/15" is
   9 March on an `en-US` page, 3 September on an `en-GB` one).

`visible_dateline` is the last layer before nothing: a short line near the post's heading that
prints a date ("publiziert am 30. Juli 2018"), for pages with no date markup at all.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.extract.dates import date_order, parse_iso, parse_words, split_zone
from necwatch.extract.metadata import POST_TIME_OWN, Found, ld_objects, own_nodes, post_scope
from necwatch.extract.select import in_comments, is_teaser

__all__ = ["FIRST_WEB_YEAR", "as_printed", "choose_published", "page_locale", "visible_dateline"]

# No post was published on the web before it existed: an earlier date is a CMS's placeholder.
FIRST_WEB_YEAR = 1991
# Claims of the head's metadata (a plain `time` or a byline may belong to an embed or a teaser).
_HEAD_METHODS = frozenset({"json-ld", "microformats", "itemprop", "meta"})
_ISO_STAMP = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"(?<!\d)(?:199\d|20\d{2})(?!\d)")
# A dateline is a line, not a paragraph: at most this many words, this many elements from the heading.
_DATELINE_WORDS = 12
_DATELINE_REACH = 40
_DATELINE_LINES = 12  # dated lines read at most (each costs up to _DATELINE_WORDS dateparser calls)
_UNSEEN = frozenset({"hide", "hidden", "sr-only", "screen-reader-text", "visually-hidden", "visuallyhidden"})
_TAIL = re.compile(r"^(?:[AaPp]\.?[Mm]\.?|[A-Z]{2,5}|(?:UTC|GMT)[+-]\d{1,4})[,.]?$")  # "pm", "CST", "GMT+1"

Value = datetime | date


def page_locale(tree: LexborHTMLParser) -> str | None:
    """The page's locale as it declares it: `<html lang>`, `Content-Language`, `og:locale`; the
    first that names a region ("en-US", "en_GB") wins over a bare language ("en")."""
    stated: list[str] = []
    html = tree.css_first("html")
    if html is not None and (lang := html.attributes.get("lang") or html.attributes.get("xml:lang")):
        stated.append(lang)
    for selector in (
        'meta[http-equiv="content-language" i]',
        'meta[name="language" i]',
        'meta[property="og:locale"]',
    ):
        node = tree.css_first(selector)
        if node is not None and (content := node.attributes.get("content")):
            stated.append(content.split(",")[0])
    clean = [s.strip() for s in stated if s and s.strip()]
    return next((s for s in clean if re.search(r"[-_][A-Za-z]{2}\b", s)), clean[0] if clean else None)


def _day(value: Value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _full_stamp(text: str) -> datetime | None:
    """A machine date with a time and an offset, as written; None for a day or a local time."""
    if not _ISO_STAMP.match(text):
        return None
    try:
        return parse_iso(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None


def _stated(node: LexborNode | None, stamp: datetime, zone: tzinfo, order: str) -> datetime:
    """`stamp` as the element's visible text states it: when the text prints a time with its zone
    ("Thu 3 Jan 2019 07.00 GMT" over `datetime="2019-01-03T02:00:02-0500"`), the page's own
    statement wins, in that zone's offset (the same instant keeps its seconds; the same wall time
    takes the printed zone). A printed time that is neither keeps the attribute: generic names
    such as "ET" have one offset in the table, wrong half the year."""
    said = _printed_with_zone(node, zone, order) if node is not None else None
    if said is None or said.tzinfo is None:
        return stamp
    if abs(said - stamp) < timedelta(minutes=1):
        return stamp.astimezone(said.tzinfo)  # the same instant, in the printed zone
    if said.replace(tzinfo=None) == stamp.replace(tzinfo=None, second=0, microsecond=0):
        return stamp.replace(tzinfo=said.tzinfo)  # the attribute's wall time, labelled with the wrong zone
    return stamp  # another time altogether ("ET" in summer is the table's -05:00): the attribute stands


def _printed_with_zone(node: LexborNode, zone: tzinfo, order: str) -> datetime | None:
    """A date element's text when it prints a date, a time and a zone ("Monday, Dec. 29 2014, 6:00
    AM EST"): the page's own full statement, whatever its attribute says."""
    text = " ".join(node.text(deep=True, separator=" ").split())
    if not text or len(text) > 120 or split_zone(text)[1] is None:
        return None
    try:
        said = parse_words(text, zone, order=order)
    except ValueError:
        return None
    return said if isinstance(said, datetime) else None


# The post's own date elements by class or property, whatever their tag (a `span.entry-date` prints
# "November 19, 2019, 6:21 AM EST" where the head says `11:21:08+00:00`).
_ZONED_TIME = re.compile(r"\d[:.]\d\d.*[A-Z]{2}|\d\s*[AaPp]\.?[Mm]\.?\s*[A-Z]{2}")  # a time, then capitals
_PRINTED_DATE = ".entry-date, .published, .dt-published, [itemprop~='datePublished'], time[pubdate]"


def as_printed(tree: LexborHTMLParser, value: datetime, zone: tzinfo, order: str | None = None) -> datetime:
    """`value` in the zone the post's own date element prints, when that element prints the same
    instant with a time and a zone ("6:21 AM EST" for `11:21:08+00:00` → `06:21:08-05:00`): the
    page's own statement, for dates a platform reader or the head's metadata gave. Else `value`.
    `order`: the page's numeric date order (`dates.date_order`), found from the page when None."""
    if value.tzinfo is None:
        return value
    for node in tree.css(_PRINTED_DATE):  # one pass; only the same instant is taken, wherever it is
        text = node.text(deep=True)
        if node.tag == "meta" or len(text) > 160 or not _ZONED_TIME.search(text):
            continue  # cheap first: most date elements print a day, or a time without a zone
        if in_comments(node) or is_teaser(node):
            continue
        said = _printed_with_zone(node, zone, order or date_order(page_locale(tree)))
        if said is not None and abs(said - value) < timedelta(minutes=1):
            return value.astimezone(said.tzinfo)
    return value


def _visible_element(tree: LexborHTMLParser, zone: tzinfo, order: str) -> datetime | None:
    """The post's own date element with a full stamp (scope first, then a dateline above it),
    else an element whose `title` is an ISO stamp its text prints (`<li title="2015-03-13T21:00:00
    +11:00">March 13, 2015 9:00PM</li>`)."""
    scope = post_scope(tree)
    wheres = (scope, tree) if scope is not tree else (tree,)
    for where in wheres:
        for node in own_nodes(where, POST_TIME_OWN):
            stamp = _full_stamp(node.attributes.get("datetime") or "")
            if stamp is not None:
                return _stated(node, stamp, zone, order)
            printed = _printed_with_zone(node, zone, order)  # `datetime="2014-00-29…"`: read the text
            if printed is not None:
                return printed
    for where in wheres:
        for node in where.css("[title]"):
            stamp = _full_stamp(node.attributes.get("title") or "")
            if stamp is None or in_comments(node) or is_teaser(node):
                continue
            text = " ".join(node.text(deep=True, separator=" ").split())
            if not text or len(text) > 80:
                continue
            try:
                said = parse_words(text, stamp.tzinfo or zone, order=order)
            except ValueError:
                continue
            if isinstance(said, datetime) and said.replace(tzinfo=None) == stamp.replace(
                tzinfo=None, second=0, microsecond=0
            ):
                return stamp
    return None


def _head_claims(
    claims: dict[str, list[Found]], tree: LexborHTMLParser, zone: tzinfo, order: str
) -> list[tuple[Value, Found]]:
    """The metadata's published claims, read, in order of trust; a JSON-LD WebPage's
    `datePublished` counts too (Yoast's graph dates the page when the theme's Article has a day)."""
    founds = [c for c in claims.get("published", []) if c.method in _HEAD_METHODS]
    for obj in ld_objects(tree):
        types = obj.get("@type")
        names = {str(t).rsplit("/", 1)[-1] for t in (types if isinstance(types, list) else [types])}
        if names & {"WebPage", "ItemPage"} and isinstance(obj.get("datePublished"), str):
            extra = Found(obj["datePublished"], "json-ld")
            if all(f.value != extra.value for f in founds):
                founds.append(extra)
    out: list[tuple[Value, Found]] = []
    for claim in founds:
        try:
            said = claim.value
            value = said if isinstance(said, date) else parse_words(str(said), zone, order=order)
        except ValueError:
            continue
        if value.year >= FIRST_WEB_YEAR:
            out.append((value, claim))
    return out


def _page_offsets(tree: LexborHTMLParser) -> set[timedelta]:
    """The offsets of the full stamps the page's `time` elements carry (comments included: the
    same site prints them): its own zone, when they agree."""
    offsets: set[timedelta] = set()
    for node in tree.css("time[datetime]"):
        stamp = _full_stamp(node.attributes.get("datetime") or "")
        if stamp is not None and (offset := stamp.utcoffset()) is not None:
            offsets.add(offset)
    return offsets


def _wrong_label(a: datetime, b: datetime) -> bool:
    """Two stamps for the same post a whole number of hours apart with the same minutes and
    seconds: one is a local time labelled with the wrong offset (a plugin's `+00:00`)."""
    gap = abs(a - b)
    return timedelta(0) < gap <= timedelta(hours=14) and gap % timedelta(hours=1) == timedelta(0)


def _stamps(heads: list[tuple[Value, Found]]) -> list[tuple[datetime, Found]]:
    """The claims written as ISO stamps with an explicit offset (a local time read in the source's
    zone is not a stamp the page wrote)."""
    return [
        (v, f)
        for v, f in heads
        if isinstance(v, datetime)
        and (isinstance(f.value, datetime) or _full_stamp(str(f.value)) is not None)
    ]


def _settle(
    value: datetime, claim: Found, stamps: list[tuple[datetime, Found]]
) -> tuple[datetime, Found] | None:
    """`value` when no other stamp contradicts it (`_wrong_label`); when the stamps agree on the
    wall time and differ only in being labelled UTC (`15:40:14+00:00` beside `15:40:14+02:00`), the
    one that states a zone; else None: the page does not say the time."""
    against = [(v, f) for v, f in stamps if _wrong_label(value, v)]
    if not against:
        return value, claim
    pool = [(value, claim), *against]
    if any(v.replace(tzinfo=None) != value.replace(tzinfo=None) for v, _ in pool):
        return None
    zoned = {v.utcoffset(): (v, f) for v, f in pool if v.utcoffset() != timedelta(0)}
    if len(zoned) == 1 and len(pool) > len(zoned):
        return next(iter(zoned.values()))
    return None


def _time_for_day(
    day: date, heads: list[tuple[Value, Found]], tree: LexborHTMLParser
) -> tuple[datetime, Found] | None:
    """The metadata's time and offset for `day`, unless suspect (see the module docstring)."""
    near = [(v, f) for v, f in _stamps(heads) if abs(v.date() - day) <= timedelta(days=1)]
    for value, claim in near:
        if value.date() != day or (value.hour, value.minute, value.second) == (0, 0, 0):
            continue  # another day, or a day padded to midnight
        settled = _settle(value, claim, near)
        if settled is None:
            return None  # the claims contradict each other: the time is not known
        offsets = _page_offsets(tree)
        if settled[0].utcoffset() == timedelta(0) and len(offsets) == 1 and timedelta(0) not in offsets:
            return None  # labelled UTC on a site that prints its times in another zone
        return settled
    return None


def choose_published(
    fields: dict[str, Found],
    claims: dict[str, list[Found]],
    tree: LexborHTMLParser,
    zone: tzinfo,
    *,
    order: str = "DMY",
    platform_methods: frozenset[str] = frozenset(),
) -> None:
    """Set `fields["published"]` to the post's own date (see the module docstring); leave it as it
    is when the page's claims say nothing better."""
    found = fields.get("published")
    heads = _head_claims(claims, tree, zone, order)
    chosen: tuple[Value, Found] | None = None
    if found is not None and found.method in platform_methods:
        try:
            value: Any = found.value
            parsed = value if isinstance(value, date) else parse_words(str(value), zone, order=order)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.year >= FIRST_WEB_YEAR:
            chosen = (parsed, found)
    else:
        visible = _visible_element(tree, zone, order)
        if visible is not None:
            chosen = (visible, Found(visible, "time"))
    if chosen is None:
        if not heads:
            return
        first = heads[0]
        earliest = min(heads, key=lambda p: _day(p[0]))
        chosen = earliest if (_day(first[0]) - _day(earliest[0])).days > 1 else first
    elif heads:
        earliest = min(heads, key=lambda p: _day(p[0]))
        if (_day(chosen[0]) - _day(earliest[0])).days > 1:
            chosen = (earliest[0], Found(earliest[1].value, earliest[1].method))
    value, claim = chosen
    method = claim.method
    if isinstance(value, datetime) and value.tzinfo is not None and method in _HEAD_METHODS:
        stamps = _stamps(heads)
        if any(_wrong_label(value, v) for v, _ in stamps):
            # the metadata's times contradict each other: a time printed next to the heading decides
            # ("Nov 19, 2019, 10:31 pm CST"); else the one that states a zone beside a UTC label of
            # the same wall time; else the day alone, no time the page does not state
            printed = visible_dateline(tree, zone, order)
            settled = _settle(value, claim, stamps)
            if isinstance(printed, datetime) and abs(printed.date() - value.date()) <= timedelta(days=1):
                fields["published"] = Found(printed, "dateline")
                return
            if settled is None:
                fields["published"] = Found(value.date(), method)
                return
            value, method = settled[0], settled[1].method
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            fields["published"] = Found(value.date(), method)  # a day padded to midnight
            return
    if isinstance(value, datetime) and method != "time":
        value = as_printed(tree, value, zone, order)
    if not isinstance(value, datetime):
        timed = _time_for_day(value, heads, tree)
        if timed is not None:
            fields["published"] = Found(timed[0], method if method in platform_methods else timed[1].method)
            return
    fields["published"] = Found(value, method)


def visible_dateline(tree: LexborHTMLParser, zone: tzinfo, order: str = "DMY") -> Value | None:
    """A date printed on a short line next to the post's heading ("publiziert am 30. Juli 2018",
    "Published 11:11 PM EST Nov 19, 2019", "08.04.2015 12:46"): within the heading's nearest
    containers (parent, then up to two more), the lines nearest the heading in document order
    (at most `_DATELINE_REACH` elements before or after it), never in a comment or a teaser. None when
    the page prints no such line: no guess from the article's text."""
    heading = next((h for h in own_nodes(tree, "h1") if h.text(deep=True).strip()), None)
    if heading is None:
        return None
    block = heading.parent
    tried: set[int] = set()  # each element once, whichever container reached it
    budget = _DATELINE_LINES
    for _ in range(3):
        if block is None or block.tag in ("body", "html"):
            return None
        nodes = list(block.traverse())
        at = next(i for i, n in enumerate(nodes) if n.mem_id == heading.mem_id)
        near = sorted(
            (i for i in range(max(0, at - _DATELINE_REACH), min(len(nodes), at + _DATELINE_REACH))),
            key=lambda i: abs(i - at),
        )
        for i in near:
            if nodes[i].mem_id in tried:
                continue
            tried.add(nodes[i].mem_id)
            line = _line(nodes[i])
            if line is None:
                continue
            value = _date_in(line, zone, order)
            if value is not None:
                return value
            budget -= 1
            if budget == 0:
                return None  # bounded work: a page of many short dated lines is not searched on
        block = block.parent
    return None


def _line(node: LexborNode) -> str | None:
    """The text of one short line with a year in it (an element holding no other line), else None."""
    if node.tag in ("script", "style", "h1", "-text") or node.css_first("h1") is not None:
        return None
    text = " ".join(node.text(deep=True, separator=" ").split())
    if not text or len(text.split()) > _DATELINE_WORDS or not _YEAR.search(text):
        return None
    lines = len(node.css("p, div, li")) - (node.tag in ("p", "div", "li"))  # css() matches itself
    if lines > 0 or in_comments(node) or is_teaser(node) or _unseen_or_modified(node):
        return None  # a container of lines (its lines are tried one by one), a comment, a teaser
    return text


def _unseen_or_modified(node: LexborNode) -> bool:
    """The line, or one of its three nearest containers, is hidden from readers (`hidden`,
    `display:none`, a `hide`/`hidden`/screen-reader class) or marked as the modified date (hAtom's
    `updated`, schema.org's `dateModified`, a class naming `updated`/`modified`)."""
    current: LexborNode | None = node
    for _ in range(4):
        if current is None:
            return False
        attrs = current.attributes
        style = (attrs.get("style") or "").replace(" ", "").lower()
        classes = (attrs.get("class") or "").lower()
        if (
            "hidden" in attrs
            or "display:none" in style
            or "visibility:hidden" in style
            or (attrs.get("itemprop") or "") == "dateModified"
            or any(word in _UNSEEN for word in classes.split())
            or "updated" in classes
            or "modified" in classes
        ):
            return True
        current = current.parent
    return False


def _date_in(text: str, zone: tzinfo, order: str) -> Value | None:
    """The date a short line prints, in any language, with its time (and zone) when it prints one:
    the words after its last number are cut (a zone or am/pm kept), then the words before the date
    ("publiziert am", "Chris Davies -", "Posted on") one at a time, until the rest reads as a date
    whose year is printed in it (dateparser fills a missing year with the current one)."""
    words = text.split()
    last = max((i for i, w in enumerate(words) if any(c.isdigit() for c in w)), default=-1)
    end = last + 1
    while end < len(words) and _TAIL.match(words[end]):
        end += 1
    words = words[:end]
    for start in range(min(len(words), _DATELINE_WORDS)):
        part = " ".join(words[start:])
        if not _YEAR.search(part):
            return None
        try:
            value = parse_words(part, zone, order=order)
        except ValueError:
            continue
        if value.year >= FIRST_WEB_YEAR and str(value.year) in part and len(_NUMBER.findall(part)) > 1:
            return value  # a day and a year at least: "September 2018" is no post's day
    return None
