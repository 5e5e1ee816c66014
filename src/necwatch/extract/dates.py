"""Date parsing shared by every adapter: one place that turns what a page prints into aware datetimes.

Feeds and APIs give ISO 8601 (Atom, WordPress REST) or RFC 2822 (RSS, HTTP headers) with an offset;
that offset is kept as given, because it is part of what the source said. Pages print local times
without an offset ("4:15 pm, January 24, 2024", "Wednesday, January 24, 2024"); those are read in the
source's configured time zone (zoneinfo), so the offset follows that zone's DST rules on that date.

Every function raises ValueError on text it cannot read; callers wrap it in ParseError with the URL.
A date that cannot be written in UTC (its conversion leaves years 1-9999: `9999-12-31T23:00:00-12:00`,
`0001-01-01T00:30:00+14:00`) is unreadable too: every value returned here converts to UTC, so no
later `astimezone(UTC)` raises OverflowError and one bad date fails (or drops) one item, never a run.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "OutOfRange",
    "date_order",
    "in_utc_range",
    "localize",
    "parse_any",
    "parse_iso",
    "parse_local",
    "parse_local_date",
    "parse_rfc2822",
    "parse_words",
    "split_zone",
    "to_minute",
]

_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?"
# "January 24, 2024" / "24 January 2024" / "24th January, 2024"
_MDY = r"(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
_DMY = r"(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month2>[a-z]+)\.?,?\s+(?P<year2>\d{4})"
_DATE = rf"{_WEEKDAY}(?:{_MDY}|{_DMY})"
_LOCAL_TIME_FIRST = re.compile(rf"^\s*{_TIME}\s*(?:,|on|at)?\s*{_DATE}\s*$", re.IGNORECASE)
_LOCAL_DATE_FIRST = re.compile(rf"^\s*{_DATE}\s*(?:,|at|@|-|–)?\s*{_TIME}\s*$", re.IGNORECASE)
_LOCAL_DATE_ONLY = re.compile(rf"^\s*{_DATE}\s*$", re.IGNORECASE)


# The C locale's month names (what strptime's %B reads), to check an abbreviation is one ("Sept").
_FULL = tuple(datetime(2000, m, 1).strftime("%B").lower() for m in range(1, 13))


class OutOfRange(ValueError):
    """A date read as written that has no UTC value in years 1-9999: no other reading applies."""


def in_utc_range(value: datetime, text: str = "") -> datetime:
    """`value` itself, when it (an aware datetime) converts to UTC within years 1-9999; else
    ValueError. A naive value is checked as it is."""
    try:
        if value.tzinfo is not None:
            value.astimezone(UTC)
    except (OverflowError, ValueError) as e:
        raise OutOfRange(f"date out of range in UTC: {text or value.isoformat()!r}") from e
    return value


def _require_aware(value: datetime, text: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"date has no offset: {text!r}")
    return in_utc_range(value, text)


def parse_iso(text: str, *, default_tz: tzinfo | None = None) -> datetime:
    """ISO 8601 / RFC 3339 ('2024-01-24T13:37:00.000Z', '…+01:00') → aware datetime, offset as given.

    A value without an offset (WordPress REST `date`) is read in `default_tz`; without one, ValueError.
    """
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(s)
    except ValueError as e:
        raise ValueError(f"not an ISO 8601 date: {text!r}") from e
    if value.tzinfo is None and default_tz is not None:
        value = value.replace(tzinfo=default_tz)
    return _require_aware(value, text)


def parse_rfc2822(text: str) -> datetime:
    """RFC 2822 / RFC 7231 ('Wed, 24 Jan 2024 13:37:00 +0000', '… GMT') → aware datetime."""
    try:
        value = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError) as e:
        raise ValueError(f"not an RFC 2822 date: {text!r}") from e
    if value.tzinfo is None:  # '-0000' means UTC with unknown local offset
        value = value.replace(tzinfo=UTC)
    return in_utc_range(value, text)


def parse_any(text: str, *, default_tz: ZoneInfo | None = None) -> datetime:
    """ISO 8601 first, then RFC 2822: for fields whose format varies between feed flavours."""
    try:
        return parse_iso(text, default_tz=default_tz)
    except OutOfRange:
        raise
    except ValueError:
        return parse_rfc2822(text)


def _month(name: str, text: str) -> int:
    """An English month name or its abbreviation ("Jan", "Sept", "September") → 1-12, by the
    standard library's C-locale names (no table of our own); other languages go to dateparser."""
    month = _month_number(name.lower().rstrip("."))
    if month is None:
        raise ValueError(f"unknown month {name!r} in {text!r}")
    return month


@lru_cache(maxsize=256)
def _month_number(word: str) -> int | None:
    """`strptime` is slow (a lock and a locale lookup a call) and a page prints a few month names
    many times (every comment's date): each word is looked up once."""
    for fmt, probe in (("%B", word), ("%b", word[:3])):
        try:
            month = datetime.strptime(probe, fmt).month
        except ValueError:
            continue
        if fmt == "%B" or _FULL[month - 1].startswith(word):
            return month
    return None


def _date_from(m: re.Match[str], text: str) -> date:
    if m.group("month"):
        return date(int(m.group("year")), _month(m.group("month"), text), int(m.group("day")))
    return date(int(m.group("year2")), _month(m.group("month2"), text), int(m.group("day2")))


def _time_from(m: re.Match[str], text: str) -> time:
    hour, minute = int(m.group("hour")), int(m.group("minute"))
    second = int(m.group("second") or 0)
    ampm = (m.group("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"bad 12-hour time in {text!r}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    return time(hour, minute, second)


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """A wall-clock time in `tz` → aware datetime (ambiguous autumn hour: the first, fold=0).
    ValueError when that time has no UTC value within years 1-9999."""
    return in_utc_range(naive.replace(tzinfo=tz))


def parse_local(text: str, tz: tzinfo | str) -> datetime:
    """A printed local date and time → aware datetime in `tz`.

    Accepts time-first ('4:15 pm, January 24, 2024' — Blogger's comment timestamp) and date-first
    ('Wednesday, January 24, 2024 at 1:37 pm', '24 January 2024 13:37'). Precision is what is printed
    (usually the minute).
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    m = _LOCAL_TIME_FIRST.match(text) or _LOCAL_DATE_FIRST.match(text)
    if not m:
        raise ValueError(f"not a local date and time: {text!r}")
    try:
        naive = datetime.combine(_date_from(m, text), _time_from(m, text))
    except ValueError as e:
        raise ValueError(f"impossible date in {text!r}: {e}") from e
    return localize(naive, zone)


def parse_local_date(text: str) -> date:
    """A printed date without a time ('Wednesday, January 24, 2024', '24th January 2024') → date."""
    m = _LOCAL_DATE_ONLY.match(text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    try:
        return _date_from(m, text)
    except ValueError as e:
        raise ValueError(f"impossible date in {text!r}: {e}") from e


def to_minute(value: datetime) -> datetime:
    """Drop seconds and microseconds: to compare a feed's time with a page's minute-precision time."""
    return value.replace(second=0, microsecond=0)


_HAS_TIME = re.compile(
    r"(?<![\d.])\d{1,2}\s*[:h]\s*\d{2}(?!\d)|(?<![\d.])\d{1,2}\.\d{2}(?![\d.])|\d\s*[ap]\.?m\b", re.IGNORECASE
)
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def split_zone(text: str) -> tuple[str, timezone | None]:
    """A printed date's zone, when it names one ("07:47 PM EST", "07.00 GMT", "10:00 MESZ",
    "10:00 UTC+1") → (the text without it, that fixed offset); else (text, None).

    The abbreviations are dateparser's table (`dateparser/timezones.py`: Wikipedia's list of zone
    abbreviations, agreeing with the IANA tz database wherever it gives one offset; case-sensitive,
    so "am", "de" or "Sat" are never zones). An abbreviation used at several offsets has the one the
    table picked: EST is -05:00 (not Australia's), IST +02:00 (Israel), BST +01:00, CST -06:00.
    Only a text that states a time is read with its zone: a zone after a bare day says nothing
    about the day."""
    if not _HAS_TIME.search(text):
        return text, None
    from dateparser.timezone_parser import pop_tz_offset_from_string  # deferred: see parse_words

    rest, zone = pop_tz_offset_from_string(text)
    offset = zone.utcoffset(None) if zone is not None else None
    if offset is None or abs(offset) > timedelta(hours=14):
        return text, None
    return " ".join(rest.split()), timezone(offset)


@cache
def date_order(locale: str | None) -> str:
    """The order a locale writes numeric dates in ("en-US" → "MDY", "en-GB", "de" → "DMY",
    "en-CA" → "YMD"), from dateparser's locale data (CLDR). A locale it does not know is tried by
    its language; English without a region, and anything unknown, is "DMY" (the day-first order of
    the project's sources, and of most of the world): "3/09/15" is 9 March only on a page that
    says it is American."""
    if not locale:
        return "DMY"
    from dateparser.languages.loader import default_loader

    name = locale.strip().replace("_", "-")
    parts = name.split("-")
    if len(parts) < 2 and parts[0].lower() == "en":
        return "DMY"
    for candidate in (f"{parts[0].lower()}-{parts[1].upper()}" if len(parts) > 1 else "", parts[0].lower()):
        if not candidate:
            continue
        try:
            locale_data = next(iter(default_loader.get_locales(locales=[candidate])))
        except (ValueError, StopIteration):
            continue
        order = locale_data.info.get("date_order")
        if isinstance(order, str) and sorted(order) == ["D", "M", "Y"]:
            return order
    return "DMY"


def parse_words(
    text: str, tz: tzinfo | str, *, languages: list[str] | None = None, order: str = "DMY"
) -> datetime | date:
    """A date written out in words, in any language dateparser knows ("Dienstag, 28. April 2020",
    "mardi 5 juin 2018 à 10:05", "28 de abril de 2020") → an aware datetime in `tz` when a time is
    printed, else a `date` (the day is all the page says: no invented midnight). A time printed with
    its zone ("07:47 PM EST", "07.00 GMT") is read in that zone (`split_zone`), not in `tz`.
    `order` reads numeric dates ("3/09/15": "DMY" 3 September, "MDY" 9 March; see `date_order`).
    English forms the regexes above read skip dateparser (it is slow to load). ValueError when
    unreadable."""
    zone: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
    clean = " ".join(text.split()).strip(" ,|·-–—")
    m = _ISO_DAY.match(clean)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if "T" in clean or clean[:4].isdigit():
        try:
            return parse_iso(clean, default_tz=zone)
        except OutOfRange:
            raise  # read as written: dateparser would drop the offset and read another time
        except ValueError:
            pass
    rest, stated = split_zone(clean) if any(c.isupper() for c in clean) else (clean, None)
    if stated is not None:
        clean, zone = rest.strip(" ,|·-–—"), stated
    has_time = bool(_HAS_TIME.search(clean))
    try:
        return parse_local(clean, zone) if has_time else parse_local_date(clean)
    except ValueError:
        pass
    import dateparser  # deferred: ~0.5 s to import, and only pages without timestamps need it

    settings = {"PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": order, "RETURN_AS_TIMEZONE_AWARE": False}
    parsed = dateparser.parse(clean, languages=languages, settings=settings)
    if parsed is None:
        raise ValueError(f"not a date: {text!r}")
    if str(parsed.year) not in clean and str(parsed.year)[2:] not in clean:
        # "10:08 am Fri", "vor 30 Minuten": dateparser fills the year from today's date; a day the
        # page does not print is not its date (and would change from one run to the next)
        raise ValueError(f"no year in date: {text!r}")
    if not has_time:
        return parsed.date()
    return localize(parsed.replace(tzinfo=None, microsecond=0), zone)
