"""People named in a report, resolved against the roster on the meeting date; never a guess."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from necwatch.record.model import Paragraph, PersonMention
from necwatch.record.roster import Roster


@dataclass(frozen=True)
class Resolved:
    name: str  # canonical name
    person_id: str
    role: str | None = None


@dataclass(frozen=True)
class People:
    """The people of one report, and a resolver for names found by other parts (mover, speaker)."""

    mentions: tuple[PersonMention, ...] = ()

    def resolve(self, written: str | None, paragraph: str) -> Resolved | None:
        """STUB (part "people"): the person `written` names in that paragraph, or None."""
        return None


def find_people(
    paragraphs: tuple[Paragraph, ...],
    roster: Roster,
    meeting_date: str | None,
    published: date | None,
    author: str | None,
) -> People:
    """STUB (part "people")."""
    return People()
