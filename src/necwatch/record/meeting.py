"""The meeting a report covers: its date (also relative: "last Tuesday's NEC") and kind."""

from __future__ import annotations

from datetime import date

from necwatch.normalize import meeting_date, meeting_kind
from necwatch.record.model import Meeting, Paragraph


def find_meeting(title: str, paragraphs: tuple[Paragraph, ...], published: date | None) -> Meeting:
    """STUB (part "text"): today's classifier answer."""
    body = "\n\n".join(p.text for p in paragraphs)
    return Meeting(date=meeting_date(title, body, published), kind=meeting_kind(title, body))
