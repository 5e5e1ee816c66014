"""Pure normalization and decisions: normalized text, the versioned content hash, canonical author
names, and whether a post is an NEC report (with its meeting date and kind).

Nothing here does I/O; every function takes plain values (or a `Post`) and returns plain values, so
the rules are tested with real titles and text and no database. docs/normalization.md explains
each rule and the evidence behind it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from necwatch.models import Post

__all__ = [
    "HASH_VERSION",
    "Classification",
    "canonical_author",
    "classify",
    "content_hash",
    "meeting_date",
    "meeting_kind",
    "normalized_text",
    "pointer_target",
    "strip_tracking",
    "title_hash",
]

# --------------------------------------------------------------------------- text

HASH_VERSION = "v1"
"""Bump when `normalized_text` or the hash input changes: stored hashes with another prefix are
recomputed from stored text instead of being read as edits (see docs/normalization.md)."""

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u0060\uff07", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u301d\u301e\u301f\uff02", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
    }
)
_WS = re.compile(r"\s+")
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "ref_src", "ref_url",
    }
)  # fmt: skip
"""Query parameters that identify a click, not a page (plus every `utm_*`)."""
_HOST_TRACKING = {
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
    "mobile.twitter.com": frozenset({"s", "t"}),
}
"""Share-sheet parameters that are only tracking on these hosts (`?s=` is a search elsewhere)."""


def strip_tracking(url: str) -> str:
    """Drop click-tracking query parameters so one link shared twice reads the same."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    host = (parts.hostname or "").lower().removeprefix("www.")
    host_params = _HOST_TRACKING.get(host, frozenset())
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower().startswith("utm_") or k.lower() in TRACKING_PARAMS or k in host_params)
    ]
    return urlunsplit(parts._replace(query=urlencode(kept, safe="/:@!$'()*,;")))


def _strip_tracking_match(m: re.Match[str]) -> str:
    url = m.group(0)
    core = url.rstrip(_URL_TRAILING)
    return strip_tracking(core) + url[len(core) :]


def normalized_text(text: str) -> str:
    """Text as compared and hashed: noise that templates, editors and feeds add is removed.

    NFKC (folds U+00A0, ligatures, full-width forms, "…" → "..."); zero-width characters and soft
    hyphens removed; typographic quotes → ' and "; hyphen/dash/minus variants → "-"; tracking
    parameters dropped from URLs; every whitespace run → one space. Case is kept: a change of case
    is the author's edit, not template noise (similarity casefolds on its own).
    """
    # Fold before NFKC too: NFKC turns a double prime into two primes.
    text = unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH).translate(_QUOTES))
    text = text.translate(_QUOTES)
    text = _URL.sub(_strip_tracking_match, text)
    return _WS.sub(" ", text).strip()


def _sha(text: str) -> str:
    return f"{HASH_VERSION}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def content_hash(body_text: str) -> str:
    """The identity of a report's words: `"v1:" + sha256(normalized_text(body_text))`.

    Two posts with the same content hash are one report. The title is not part of it (see
    `title_hash`), so a retitled post is a title edit, not a new body.
    """
    return _sha(normalized_text(body_text))


def title_hash(title: str) -> str:
    """Same definition as `content_hash`, for titles, so title-only edits are told apart."""
    return _sha(normalized_text(title))


# --------------------------------------------------------------------------- authors

_BYLINE = re.compile(r"^(?:posted\s+by|written\s+by|by)\b\s*:?\s*", re.IGNORECASE)
_HONORIFIC = re.compile(
    r"^(?:cllr\.?|councillor|clr\.?|dr\.?|rt\.?\s+hon\.?|the\s+rt\.?\s+hon\.?|baroness|lord|sir|dame)\s+",
    re.IGNORECASE,
)
_SUFFIX = re.compile(
    r"(?:\s+(?:said|says|wrote)\s*(?:\.\.\.|:)?.*|\s+@\s*\d.*|,?\s+(?:mp|mep|msp|am|ms)\b\.?)$", re.IGNORECASE
)


def _author_key(name: str) -> str:
    return re.sub(r"[.\s]+", " ", name.casefold()).strip()


def _clean_author(name: str) -> str:
    name = normalized_text(name)
    name = _BYLINE.sub("", name)
    while True:
        stripped = _HONORIFIC.sub("", name)
        if stripped == name:
            break
        name = stripped
    name = _SUFFIX.sub("", name)
    return name.strip(" ,;:-")


def canonical_author(
    name: str | None, aliases: Mapping[str, Sequence[str]] | None = None, default: str | None = None
) -> str | None:
    """One spelling per person: the config's `authors:` canonical name when `name` is it or an alias.

    Bylines and comment headers are cleaned first ("By ", "Cllr", ", MP", " said..."); matching
    ignores case, dots and spacing. An unknown name is returned cleaned, as written. Nothing left
    → `default` (the source's configured author).
    """
    cleaned = _clean_author(name or "")
    if not cleaned:
        return default
    key = _author_key(cleaned)
    for canonical, others in (aliases or {}).items():
        if key in {_author_key(_clean_author(n)) for n in (canonical, *others)}:
            return canonical
    return cleaned


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?,?\s+)"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_DATE_PATTERNS = [
    # 23 January 2024 / Tuesday 23rd of January, 2024 / 23 January
    re.compile(
        rf"\b{_WEEKDAY}?(?:the\s+)?(?P<d>{_DAY})(?:\s+of)?\s+(?P<m>{_MONTH})\b\.?(?:,?\s+(?P<y>{_YEAR})\b)?",
        re.IGNORECASE,
    ),
    # November 4th, 2014 / January 14th
    re.compile(
        rf"\b{_WEEKDAY}?(?P<m>{_MONTH})\.?\s+(?P<d>{_DAY})\b(?:,?\s+(?P<y>{_YEAR})\b)?", re.IGNORECASE
    ),
    # 2024-01-23
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<mn>[01]\d)-(?P<d>[0-3]\d)\b"),
    # 23/01/2024, 23.1.24 (UK order)
    re.compile(r"\b(?P<d>[0-3]?\d)[/.](?P<mn>[01]?\d)[/.](?P<y>(?:19|20)?\d\d)\b"),
]
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\.?,?\s+(?P<y>{_YEAR})\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Found:
    """A date read from text: month always, year and day when given."""

    month: int
    day: int | None = None
    year: int | None = None


def _month_number(token: str) -> int | None:
    # "may" lower-case is the verb; as a month it is capitalised.
    if token.lower() == "may" and not token[0].isupper():
        return None
    return _MONTHS.get(token.lower().rstrip("."))


def _match_to_found(m: re.Match[str]) -> _Found | None:
    groups = m.groupdict()
    month = int(groups["mn"]) if groups.get("mn") else _month_number(groups["m"])
    if month is None or not 1 <= month <= 12:
        return None
    day = int(re.sub(r"\D", "", groups["d"])) if groups.get("d") else None
    year = None
    if groups.get("y"):
        year = int(groups["y"])
        year = year + 2000 if year < 100 else year
    if day is not None:
        try:
            date(year or 2000, month, day)  # 2000 is a leap year: 29 February stays possible
        except ValueError:
            return None
    return _Found(month=month, day=day, year=year)


def _first_full_date(text: str) -> tuple[_Found, int] | None:
    """The earliest day-and-month date in `text` and where it starts."""
    best: tuple[_Found, int] | None = None
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            found = _match_to_found(m)
            if found is not None:
                if best is None or m.start() < best[1]:
                    best = (found, m.start())
                break
    return best


def _infer_year(found: _Found, published: date | None) -> int | None:
    """The year of a date given without one: the latest that is not after publication."""
    if found.year is not None:
        return found.year
    if published is None:
        return None
    year = published.year
    day = found.day or 1
    if (found.month, day) > (published.month, published.day):
        year -= 1
    return year


def _iso(found: _Found, published: date | None) -> str | None:
    year = _infer_year(found, published)
    if year is None:
        return None
    if found.day is None:
        return f"{year:04d}-{found.month:02d}"
    return f"{year:04d}-{found.month:02d}-{found.day:02d}"


def _published_date(post: Post) -> date | None:
    """The day of publication, None when unknown or in the calendar's first or last year (no year
    before or after it to infer, no window around it to compare: a bogus date, not a report's)."""
    when: datetime | None = post.published_at or post.updated_at
    if when is None or not date.min.year < when.year < date.max.year:
        return None
    return when.date()


def meeting_date(title: str, body_text: str, published: date | None) -> str | None:
    """ISO meeting date (`YYYY-MM-DD`, or `YYYY-MM` when only the month is known) of a report.

    One implementation with the report's record: `necwatch.record.meeting.meeting_date` (title
    dates, body meeting dates, relative wording such as "last Tuesday's NEC", then the publication
    month; docs/record.md).
    """
    from necwatch.record.meeting import meeting_date as _meeting_date  # here: record imports normalize

    return _meeting_date(title, body_text, published)


# --------------------------------------------------------------------------- kind


def meeting_kind(title: str, body_text: str) -> str:
    """Kind of meeting a report covers: a title cue, else a cue in the body's opening, else full.

    One implementation with the report's record: `necwatch.record.meeting.meeting_kind`.
    """
    from necwatch.record.meeting import meeting_kind as _meeting_kind  # here: record imports normalize

    return _meeting_kind(title, body_text)


# --------------------------------------------------------------------------- pointer

POINTER_MAX_WORDS = 50
"""A body this short (URLs not counted) whose substance is a link is a pointer, not a report."""
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_NOT_A_PAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|mp3|mp4)$", re.IGNORECASE)


def _same_page(a: str, b: str) -> bool:
    def key(u: str) -> tuple[str, str]:
        p = urlsplit(u)
        return ((p.hostname or "").lower().removeprefix("www."), p.path.rstrip("/"))

    return key(a) == key(b)


def pointer_target(post: Post) -> str | None:
    """The URL a post points to when its body is only a short note and a link to elsewhere.

    "My NEC report is online at Progress: <url>" is a pointer; the report is at the URL. Links
    to the post itself and to images do not count. Returned without tracking parameters.
    """
    body = normalized_text(post.body_text)
    urls = [u.rstrip(_URL_TRAILING) for u in _URL.findall(body)]
    words = len(_URL.sub(" ", body).split())
    if words > POINTER_MAX_WORDS:
        return None
    urls += [unescape(h) for h in _HREF.findall(post.body_html or "")]
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            continue
        if _same_page(url, post.url) or _NOT_A_PAGE.search(urlsplit(url).path):
            continue
        return strip_tracking(url)
    return None


# --------------------------------------------------------------------------- classify

_TITLE_REPORT = re.compile(
    # NEC Report, NEC Away-day Report, NEC Sub-Committees Report
    r"\bNEC\b(?:[\s-]+[\w-]+){0,2}?[\s-]+report\b"
    r"|\breport(?:\s+back)?\s+(?:from|on|of)\s+(?:the\s+|this\s+week's\s+|last\s+week's\s+|today's\s+)?"
    r"(?:Labour(?:'s)?\s+)?(?:NEC|national\s+executive)\b"
    r"|\bnational\s+executive(?:\s+committee)?\s+report\b"
    # Ann Black: "NEC Meeting, 25 July 2023", "NEC Update, November 2021"
    r"|^\W*(?:Labour(?:'s)?\s+)?NEC\s+(?:meeting|update|briefing)s?\b"
    # Peter Willsman: "Peter Willsman reports from Labour's May executive"
    # ("executive" alone only after "Labour's" or a month: "reports on executive pay" is not one)
    rf"|\breports?\s+(?:back\s+)?(?:from|on)\s+(?:the\s+)?(?:(?:Labour(?:'s)?\s+)?(?:{_MONTH}\s+)?"
    rf"(?:NEC|national\s+executive)|Labour(?:'s)?\s+(?:{_MONTH}\s+)?executive|{_MONTH}\s+executive)\b"
    # LabourList: "Everything we learnt from the NEC"
    r"|\b(?:learn(?:t|ed)|takeaways?)\s+(?:from|at)\s+(?:the\s+|this\s+week's\s+|today's\s+|"
    r"Labour's\s+)?(?:latest\s+)?NEC\b",
    re.IGNORECASE,
)
_TITLE_NEC = re.compile(r"\bNEC\b|\bnational\s+executive\b", re.IGNORECASE)
_TITLE_NOT_REPORT = re.compile(
    r"^\s*(?:explainer|explained|guide|faq|q\s*&\s*a)\b|^\s*(?:what|why|how|where|who|when)\b|\?\s*$",
    re.IGNORECASE,
)
_LABEL_NEC = re.compile(r"\bNEC\b|\bnational\s+executive\b", re.IGNORECASE)
_OPENING_MEETING = re.compile(r"\b(?:met|meeting|away[\s-]?day)\b", re.IGNORECASE)
LABEL_OPENING_CHARS = 400


@dataclass(frozen=True)
class Classification:
    """Whether a post is an NEC report, and which meeting it reports on.

    `reason` says which rule decided, for logs and for reviewing a wrong call.
    """

    is_nec_report: bool
    reason: str
    is_pointer: bool = False
    pointer_to: str | None = None
    meeting_date: str | None = None
    meeting_kind: str | None = None


def _match_reason(post: Post, match: str | None, title: str) -> str | None:
    if not match:
        return None
    wanted = match.casefold().strip()
    for label in post.labels:
        if normalized_text(label).casefold() == wanted:
            return f"match:label:{label}"
    try:
        if re.search(match, title, re.IGNORECASE):
            return "match:title"
    except re.error:
        return None
    return None


def classify(post: Post, match: str | None = None) -> Classification:
    """Decide whether `post` is an NEC report (see docs/normalization.md for the rules).

    A report title ("NEC Report – 23 January 2024") is enough, so a report is never missed for
    lacking a label; a label alone is not: it needs a body that opens on a meeting. `match` (the
    source's label or title regex) adds positives. Explainers and questions are never reports;
    a short post that only links elsewhere is a pointer, never a report.
    """
    title = normalized_text(post.title)
    body = normalized_text(post.body_text)
    nec_labels = [label for label in post.labels if _LABEL_NEC.search(label)]
    reason: str | None = None
    if _TITLE_REPORT.search(title):
        reason = "title"
    elif (m := _match_reason(post, match, title)) is not None:
        reason = m
    elif nec_labels and _OPENING_MEETING.search(body[:LABEL_OPENING_CHARS]):
        reason = f"label:{nec_labels[0]}+body"
    elif _TITLE_NEC.search(title) and _first_full_date(title) is not None:
        reason = "title:nec+date"

    candidate = reason is not None or bool(nec_labels)
    if candidate:
        target = pointer_target(post)
        if target is not None:
            return Classification(False, "pointer", is_pointer=True, pointer_to=target)
    if _TITLE_NOT_REPORT.search(title):
        return Classification(False, "title:not-a-report")
    if reason is None:
        return Classification(False, "label-only" if nec_labels else "no-evidence")
    return Classification(
        True,
        reason,
        meeting_date=meeting_date(post.title, post.body_text, _published_date(post)),
        meeting_kind=meeting_kind(post.title, post.body_text),
    )
