"""The record of a stored report or a read post: extract_record with the arguments every caller
passes the same way (the publication day in London, the roster from the config).

The poll (store), `reextract`, `import`, the report_edited alert (track) and `inspect` all derive a
record through `record_of`, so one report's text gives one record wherever it is read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from necwatch.record import Record, extract_record
from necwatch.record.roster import Roster, roster_for

LONDON = ZoneInfo("Europe/London")


def published_day(value: str | date | datetime | None) -> date | None:
    """The day a report was published, in London (where "last Tuesday" was said): from a stored UTC
    ISO time, an aware datetime, or a date. None when unknown or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return parsed.astimezone(LONDON).date() if parsed.tzinfo else parsed.date()


def roster_of(config: Any | None) -> Roster:
    """The roster a config asks for: the shipped one, extended by its `people:` (roster_for builds
    each distinct `people:` once, so every source of every poll shares one roster and its index)."""
    return roster_for(config.people_dicts() if config is not None else None)


def record_of(
    title: str,
    body_text: str,
    published: str | date | datetime | None,
    *,
    author: str | None,
    roster: Roster,
    version: str | None,
) -> Record:
    """The record of one version of a report (`version`: its content hash)."""
    return extract_record(
        title or "",
        body_text or "",
        published_day(published),
        author=author,
        roster=roster,
        version=version,
    )


def report_record(
    title: str, body_text: str, published: str | None, author: str | None, *, roster: Roster
) -> Record:
    """A report's record for comparing two of its texts (the tracker's `record_of`: version unset)."""
    return record_of(title, body_text, published, author=author, roster=roster, version=None)
