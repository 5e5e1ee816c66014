"""The meeting a report covers: its date (also relative: "last Tuesday's NEC") and kind.

This is the one implementation of a report's meeting date and kind: `necwatch.normalize`'s
`meeting_date` and `meeting_kind` (the reports table) call these, so the reports table and the
record always agree. The date primitives (month names, full-date patterns, year inference) stay in
normalize, where `classify` uses them too.

Everything is regex over the title and the body's sentences, linear in the text: dateparser reads
these forms as well but costs ~1.8 ms a call, and its `search_dates` ~80 ms per 5 kB of body with
false hits ("am a" read as a date), so it is not used here (see docs/record.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from necwatch.normalize import (
    _DATE_PATTERNS,
    _MONTH,
    _MONTH_YEAR,
    _first_full_date,
    _iso,
    _match_to_found,
    normalized_text,
)
from necwatch.record.model import Meeting, Paragraph
from necwatch.record.text import lower_keeps_words

BODY_DATE_WINDOW = timedelta(days=120)
"""A body date counts as the meeting only if it falls this far (or less) before publication."""
RECENT_WINDOW = timedelta(days=42)
"""Reports appear within days of the meeting: a body date this recent is preferred to an older one."""
BODY_SCAN_CHARS = 60_000
"""Body meeting dates are read in this much of the body (three times a long report): reports say
which meeting they cover near the top, and a 5 MB body costs no more than a long report."""
KIND_OPENING_CHARS = 300
"""Body cues for the meeting kind are read only in the opening, where authors say what met."""

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAME = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?"
    r"|sun(?:day)?)"
)
_ORDINAL_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)"
_MEETING_NOUN = (
    r"(?:NEC|national\s+executive|executive|meeting|away[\s-]?day|committee|sub[\s-]?committees?)\b"
)

_TITLE_MONTH_ONLY = re.compile(rf"(?:^|[-:|]\s*)(?P<m>{_MONTH})\s*$", re.IGNORECASE)
# "Labour's May executive", "the March NEC": a month naming the meeting (year from publication)
_TITLE_MONTH_MEETING = re.compile(
    rf"\b(?P<m>{_MONTH})(?:'s)?\s+(?:NEC|national\s+executive|executive|meeting)\b", re.IGNORECASE
)
_BODY_MONTH_ONLY = re.compile(
    rf"\b(?:the|this|last)\s+(?P<m>{_MONTH})(?:'s)?\s+(?:NEC|national\s+executive|full\s+NEC|meeting)\b",
    re.IGNORECASE,
)
# A day without a month in a title: "NEC Report – Tuesday 25th", "NEC report: the 25th".
_TITLE_DAY_ONLY = re.compile(
    rf"(?:^|[-:|,]\s*)(?:(?P<wd>{_WEEKDAY_NAME})\.?,?\s+)?(?:the\s+)?(?P<d>{_ORDINAL_DAY})\s*$",
    re.IGNORECASE,
)
# A stop then space before a capital, digit or opening quote, or line breaks. Written to open with the
# whitespace character (the look-behinds after it), so the engine skips to whitespace at C speed: the
# same matches as (?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+, three times faster.
_SENTENCE = re.compile(r"\s(?:(?<=[.!?]\s)\s*(?=[\"'(\[]?[A-Z0-9])|(?<=\n)\n*)")
_MEETING_WORD = re.compile(
    r"\b(?:met|meet|meets|meeting|took\s+place|was\s+held|away[\s-]?day)\b"
    r"|\b(?:NEC|national\s+executive(?:\s+committee)?)\s+on\s",  # "At the NEC on 23 January we agreed …"
    re.IGNORECASE,
)
# A sentence about a future meeting gives no date for this one.
_FUTURE = re.compile(
    r"\bnext\s+(?:(?:full|NEC)\s+)?meeting\b|\bwill\s+(?:meet|be\s+held|take\s+place)\b|\bis\s+due\s+to\b",
    re.IGNORECASE,
)
# "on 23 January", "of 23 January", "held on Tuesday 25th", "on the 25th", "on last Tuesday"
_ON_DATE = re.compile(r"\b(?:on|of|dated)\s+(?=\S)", re.IGNORECASE)
_AFTER_ON = re.compile(
    rf"(?:(?P<last>last)\s+)?(?:(?P<wd>{_WEEKDAY_NAME})\b\.?,?(?:\s+(?:the\s+)?(?P<d1>{_ORDINAL_DAY}|[0-3]?\d)\b"
    rf"(?!\s*(?:of\s+)?{_MONTH}\b))?|(?:the\s+)?(?P<d2>{_ORDINAL_DAY})\b(?!\s*(?:of\s+)?{_MONTH}\b))",
    re.IGNORECASE,
)
_RELATIVE_DAY = (
    r"today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night|this\s+week|last\s+week"
)
# "this week's NEC", "yesterday's meeting", "last Tuesday's full NEC", "Tuesday's executive"
_POSSESSIVE = re.compile(
    rf"\b(?P<rel>{_RELATIVE_DAY}|(?:(?P<last>last)\s+)?(?P<wd>{_WEEKDAY_NAME}))(?:'s|s')"
    rf"\s+(?:[\w-]+\s+){{0,2}}?{_MEETING_NOUN}",
    re.IGNORECASE,
)
# "The NEC met yesterday", "the meeting held last Tuesday", "met again this week"
_MET_WHEN = re.compile(
    rf"\b(?:met|meeting|took\s+place|was\s+held|held)\s+(?:again\s+)?"
    rf"(?P<rel>{_RELATIVE_DAY}|(?P<last>last)\s+(?P<wd>{_WEEKDAY_NAME})\b)",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# A weekday or a day alone ("on Tuesday", "on the 25th") dates the meeting only in a sentence about
# the NEC itself, not any event "on Saturday".
_THE_NEC = re.compile(
    r"\bNEC\b|national\s+executive|\bexecutive\b|committee|\b(?:the|this|our|today's|yesterday's)\s+meeting\b"
    r"|\bwe\s+met\b",
    re.IGNORECASE,
)
_NOUN_HINT = re.compile(_MEETING_NOUN.removesuffix(r"\b"), re.IGNORECASE)
# A date that names the meeting without "on": "the 23 January NEC", "23rd January's meeting"
_DATE_NOUN = re.compile(rf"(?:'s)?\s+(?:full\s+|special\s+)?{_MEETING_NOUN}", re.IGNORECASE)

_KIND_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("clause_v", re.compile(r"\bclause\s*(?:v|5|five)\b", re.IGNORECASE)),
    ("away_day", re.compile(r"\baway[\s-]?day\b", re.IGNORECASE)),
    ("sub_committees", re.compile(r"\bsub[\s-]?committees?\b", re.IGNORECASE)),
    # Ann Black's "NEC Committee Report": the NEC's committees (organisation, equalities, ...)
    ("sub_committees", re.compile(r"\bNEC\s+committees?\s+report\b", re.IGNORECASE)),
    ("special", re.compile(r"\b(?:special|emergency|extraordinary)\s+(?:\w+\s+)?meeting\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class _Candidate:
    """A meeting date read from the body: where it was read and what it says."""

    at: int
    iso: str
    when: date | None  # None when only the month is known


# What the body's date patterns need folded: typographic quotes ("Tuesday’s NEC"), dashes, no-break
# and zero-width spaces. str.replace per character is ~10× faster than normalized_text's translate
# tables (1 ms → 0.1 ms for a 14 kB report) and keeps line breaks, which end sentences: a blog's
# date line above the title is not "24 January 2024 NEC …".
_FOLDS = (
    *((c, "'") for c in "\u2018\u2019\u201b\u2032\u0060"),
    *((c, '"') for c in "\u201c\u201d\u201e\u2033"),
    *((c, "-") for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
    *((c, " ") for c in "\u00a0\u2007\u202f\u2009"),
    *((c, "") for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad"),
    ("\u2026", "..."),
)


def _fold(text: str) -> str:
    for old, new in _FOLDS:
        if old in text:
            text = text.replace(old, new)
    return text


def _weekday(token: str) -> int:
    t = token.lower()[:3]
    return next(i for i, w in enumerate(_WEEKDAYS) if w.startswith(t))


def _on_or_before(weekday: int, published: date, *, strictly: bool = False) -> date:
    """The most recent `weekday` on or before publication (strictly before for "last Tuesday")."""
    back = (published.weekday() - weekday) % 7
    if strictly and back == 0:
        back = 7
    return published - timedelta(days=back)


def _day_before(day: int, published: date, weekday: int | None = None) -> date | None:
    """The most recent day-of-month `day` on or before publication; with a weekday, the most recent
    one within RECENT_WINDOW that falls on it ("Tuesday 25th"), else the most recent `day`."""
    first: date | None = None
    year, month = published.year, published.month
    for _ in range(3):
        try:
            when = date(year, month, day)
        except ValueError:
            when = None
        if when is not None and when <= published:
            if weekday is None or (when.weekday() == weekday and published - when <= RECENT_WINDOW):
                return when
            first = first or when
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return first


def _relative(rel: str, last: str | None, wd: str | None, published: date) -> str | None:
    """ISO date of "today", "yesterday", "Tuesday", "last Tuesday"; a month for "this/last week"
    when that week lies in one month."""
    rel = " ".join(rel.lower().split())
    if rel in ("today", "tonight") or (rel.startswith("this ") and rel != "this week"):
        return published.isoformat()
    if rel in ("yesterday", "last night"):
        return (published - timedelta(days=1)).isoformat()
    if rel in ("this week", "last week"):
        monday = published - timedelta(days=published.weekday())
        if rel == "last week":
            monday -= timedelta(days=7)
        end = min(monday + timedelta(days=6), published)
        return (
            f"{end.year:04d}-{end.month:02d}"
            if (monday.year, monday.month) == (end.year, end.month)
            else None
        )
    if wd:
        return _on_or_before(_weekday(wd), published, strictly=bool(last)).isoformat()
    return None


def _bounded(iso: str, published: date | None) -> tuple[bool, date | None]:
    """Whether `iso` may be this report's meeting, and its day when it has one: not after
    publication nor more than BODY_DATE_WINDOW before it (a month: not after publication's)."""
    if len(iso) == 7:
        return (published is None or iso <= published.isoformat()[:7]), None
    try:
        when = date.fromisoformat(iso)
    except ValueError:  # "on 29 February" inferred into a year without one
        return False, None
    if published is None:
        return True, when
    return published - BODY_DATE_WINDOW <= when <= published + timedelta(days=1), when


def _after_on(sentence: str, at: int, published: date | None) -> str | None:
    """The date right after "on"/"of" at `at`: a full date, or a weekday/day resolved against
    publication ("on Tuesday", "on last Tuesday", "on Tuesday 25th", "on the 25th")."""
    hit = _first_full_date(sentence[at : at + 40])
    if hit is not None and hit[1] == 0:
        return _iso(hit[0], published)
    if published is None:
        return None
    m = _AFTER_ON.match(sentence, at, at + 40)
    if m is None or not _THE_NEC.search(sentence):  # "an away day for candidates on Saturday"
        return None
    day = m.group("d1") or m.group("d2")
    wd = _weekday(m.group("wd")) if m.group("wd") else None
    if day:
        when = _day_before(int(re.sub(r"\D", "", day)), published, wd)
        return when.isoformat() if when else None
    if wd is not None:
        return _on_or_before(wd, published, strictly=bool(m.group("last"))).isoformat()
    return None


# A word every match of the pattern holds (lower case): on ASCII text, where lower() folds as
# re.IGNORECASE does, substring tests rule most sentences out before the regex.
_FUTURE_NEEDLES = ("next", "will", "due")
_MEETING_NEEDLES = ("met", "meet", "took", "held", "away", "nec", "national")


def _may_match(
    sentence: str, pattern: re.Pattern[str], needles: tuple[str, ...], low: str | None = None
) -> bool:
    """pattern.search(sentence), after substring tests of `needles` in `low` (the sentence
    lower-cased; None when lower() may lose a word the pattern matches: see lower_keeps_words)."""
    if low is not None and not any(n in low for n in needles):
        return False
    return pattern.search(sentence) is not None


def _lowered(sentence: str) -> str | None:
    return sentence.lower() if lower_keeps_words(sentence) else None


def _sentence_dates(
    sentence: str, offset: int, published: date | None, low: str | None = None
) -> list[_Candidate]:
    """The dates of one sentence (`low`: as _may_match; computed here when not given)."""
    out: list[_Candidate] = []
    if low is None:
        low = _lowered(sentence)

    def add(at: int, iso: str | None) -> None:
        if iso is None:
            return
        ok, when = _bounded(iso, published)
        if ok:
            out.append(_Candidate(offset + at, iso, when))

    # Cheap tests first (substring, one digit): the date regexes cost ~0.2 ms per kB of text.
    if published is not None and ("'s" in sentence or "s'" in sentence):
        for m in _POSSESSIVE.finditer(sentence):
            add(m.start(), _relative(m.group("rel"), m.group("last"), m.group("wd"), published))
    if _may_match(sentence, _FUTURE, _FUTURE_NEEDLES, low):
        return out
    if _DIGIT.search(sentence) and _NOUN_HINT.search(sentence):
        for pattern in _DATE_PATTERNS[:2]:
            for m in pattern.finditer(sentence):
                if _DATE_NOUN.match(sentence, m.end()) and (found := _match_to_found(m)):
                    add(m.start(), _iso(found, published))
    if not _may_match(sentence, _MEETING_WORD, _MEETING_NEEDLES, low):
        return out
    for on in _ON_DATE.finditer(sentence):
        add(on.start(), _after_on(sentence, on.end(), published))
    if published is not None:
        for m in _MET_WHEN.finditer(sentence):
            add(m.start(), _relative(m.group("rel"), m.group("last"), m.group("wd"), published))
    return out


def _body_meeting_dates(body: str, published: date | None) -> Iterator[_Candidate]:
    """Dates the body gives for the meeting, in text order: "met on 1 November", "the NEC meeting
    on 23 January", "this week's NEC", "met last Tuesday", "the 23 January NEC".

    An absolute date counts only after "on"/"of" (or before "NEC"/"meeting") in a sentence that
    speaks of meeting (not a future one); with a publication date it is not after publication nor
    more than BODY_DATE_WINDOW before it. Relative dates need the publication date.
    """
    start = 0
    # the body lower-cased once for every sentence's gates (a slice of it holds the same ASCII words
    # as the slice lower-cased: lower() keeps each character's place, see lower_keeps_words)
    low = body.lower() if lower_keeps_words(body) else None
    for sep in (*_SENTENCE.finditer(body), None):
        end = sep.start() if sep else len(body)
        s_low = low[start:end] if low is not None else None
        yield from sorted(_sentence_dates(body[start:end], start, published, s_low), key=lambda c: c.at)
        start = sep.end() if sep else len(body)


def _title_date(title: str, published: date | None) -> str | None:
    """A date in the title: a full date, else month and year, else a trailing month name, else a
    day alone ("– Tuesday 25th") resolved against publication."""
    hit = _first_full_date(title)
    if hit is not None:
        return _iso(hit[0], published)
    m = _MONTH_YEAR.search(title)
    if m and (found := _match_to_found(m)):
        return _iso(found, published)
    for pattern in (_TITLE_MONTH_ONLY, _TITLE_MONTH_MEETING):
        m = pattern.search(title)
        if m and (found := _match_to_found(m)):
            return _iso(found, published)
    m = _TITLE_DAY_ONLY.search(title)
    if m and published is not None:
        wd = _weekday(m.group("wd")) if m.group("wd") else None
        when = _day_before(int(re.sub(r"\D", "", m.group("d"))), published, wd)
        return when.isoformat() if when else None
    return None


def meeting_date(title: str, body_text: str, published: date | None) -> str | None:
    """ISO meeting date (`YYYY-MM-DD`, or `YYYY-MM` when only the month is known) of a report.

    Order: a full date in the title; a month in the title, made exact by a body meeting date in
    that month; a body meeting date (one within RECENT_WINDOW of publication first, then the
    first in the text); "this week's NEC" as a month; "the March NEC" in the body; the publication
    month (reports appear within days of the meeting). Missing years come from the publication
    date: the latest year that does not put the meeting after publication.
    """
    title = normalized_text(title)
    body = _fold(body_text[:BODY_SCAN_CHARS])
    from_title = _title_date(title, published)
    if from_title is None:  # "Everything we learnt from today's NEC", "Report from Tuesday's NEC"
        relative = [c.iso for c in _sentence_dates(_fold(title), 0, published) if c.when is not None]
        from_title = relative[0] if relative else None
    if from_title is not None and len(from_title) == 10:
        return from_title
    first_day: str | None = None
    first_month: str | None = None
    for c in _body_meeting_dates(body, published):
        if len(c.iso) == 7:
            first_month = first_month or c.iso
        elif from_title is not None:  # a title month made exact by a body date in it
            if c.iso.startswith(from_title):
                return c.iso
        elif published is None or (c.when is not None and published - c.when <= RECENT_WINDOW):
            return c.iso
        else:
            first_day = first_day or c.iso
    if from_title is not None:
        return from_title
    if first_day or first_month:
        return first_day or first_month
    m = _BODY_MONTH_ONLY.search(body)
    if m and (month := _match_to_found(m)):
        month_iso = _iso(month, published)
        if month_iso is not None:
            return month_iso
    if published is not None:
        return f"{published.year:04d}-{published.month:02d}"
    return None


def meeting_kind(title: str, body_text: str) -> str:
    """Kind of meeting a report covers: a title cue, else a cue in the body's opening, else full."""
    title = normalized_text(title)
    raw = KIND_OPENING_CHARS * 2
    opening = normalized_text(body_text[:raw])
    while len(opening) < KIND_OPENING_CHARS and raw < len(body_text):  # a run of blanks or zero-width
        raw *= 4
        opening = normalized_text(body_text[:raw])
    opening = opening[:KIND_OPENING_CHARS]
    for text in (title, opening):
        for kind, cue in _KIND_CUES:
            if cue.search(text):
                return kind
    return "full"


def find_meeting(title: str, paragraphs: tuple[Paragraph, ...], published: date | None) -> Meeting:
    """The meeting of a report: its date and kind, as the reports table has them."""
    body = "\n\n".join(p.text for p in paragraphs)
    return Meeting(date=meeting_date(title, body, published), kind=meeting_kind(title, body))
