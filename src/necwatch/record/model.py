"""A report's record: what one NEC report says the NEC decided, who was named and who said what.

Frozen values only, no I/O. Every element points to its paragraph by a stable paragraph id
(record.text.paragraph_id), so a line of the record survives edits elsewhere in the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["carried", "agreed", "rejected", "noted", "referred", "other"]
Manner = Literal["unanimous", "acclamation", "consensus", "contested"]


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a report's body: its stable id, its place and its text."""

    id: str
    index: int
    text: str
    heading: bool = False  # a short heading line ("Treasurer's report", "Rule changes")
    bullet: bool = False  # one entry of a list (its marker, "-", "•", "1)", not in `text`)
    start: int | None = None  # where `text` starts in the body text it was split from
    marker: str = ""  # a bullet's list marker as written ("-", "•", "1.", "a)"), "" for none


@dataclass(frozen=True)
class Meeting:
    date: str | None = None  # YYYY-MM-DD, or YYYY-MM when only the month is known
    kind: str | None = None  # full, special, away_day, … (normalize.meeting_kind's words)


@dataclass(frozen=True)
class Item:
    """One agenda item: its title and the paragraphs it covers (first one is `paragraph`)."""

    title: str
    paragraph: str
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """One act of the NEC (or a sub-committee reported to it) that the text states."""

    quote: str  # the exact sentence, a verbatim substring of the body
    outcome: Outcome
    paragraph: str
    subject: str | None = None  # when one sentence holds several decisions, or a bullet's text
    manner: Manner | None = None
    votes_for: int | None = None  # only when the text states them; never inferred
    votes_against: int | None = None
    abstentions: int | None = None
    mover: str | None = None  # canonical name when resolved, else as written
    seconder: str | None = None
    mover_id: str | None = None
    seconder_id: str | None = None
    item: str | None = None  # the title of the item it belongs to


@dataclass(frozen=True)
class PersonMention:
    """One person named in the report: every paragraph naming them, resolved on the meeting date."""

    name: str  # the fullest form as written
    paragraphs: tuple[str, ...]
    canonical: str | None = None
    person_id: str | None = None  # None: a `mentioned` person, kept as written (see `unmatched`)
    role: str | None = None  # the role the text or the roster gives on the meeting date
    written: tuple[str, ...] = ()  # every form as written ("Keir", "Keir Starmer", "the Leader")


@dataclass(frozen=True)
class Statement:
    """ "X said / asked / reported / argued …", or a member's stated vote ("I voted in favour")."""

    speaker: str  # canonical when resolved, else as written ("I" resolves to the report's author)
    quote: str  # the sentence, verbatim
    paragraph: str
    person_id: str | None = None
    verb: str | None = None  # said, asked, reported, argued, voted, …
    vote: Literal["for", "against", "abstained"] | None = None  # a stated vote, never the outcome


@dataclass(frozen=True)
class Record:
    meeting: Meeting = field(default_factory=Meeting)
    items: tuple[Item, ...] = ()
    decisions: tuple[Decision, ...] = ()
    people: tuple[PersonMention, ...] = ()
    statements: tuple[Statement, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    version: str | None = None  # content hash of the text the record was derived from

    @property
    def unmatched(self) -> tuple[str, ...]:
        """Names that resolved to no one on the roster, as written."""
        return tuple(p.name for p in self.people if p.person_id is None)

    def as_json(self) -> dict[str, Any]:
        """The shape `inspect --json` prints under "record"."""
        return {
            "version": self.version,
            "meeting": asdict(self.meeting),
            "items": [
                {"title": i.title, "paragraph": i.paragraph, "paragraphs": list(i.paragraphs)}
                for i in self.items
            ],
            "decisions": [asdict(d) for d in self.decisions],
            "people": [
                {**asdict(p), "paragraphs": list(p.paragraphs), "written": list(p.written)}
                for p in self.people
            ],
            "statements": [asdict(s) for s in self.statements],
            "unmatched": list(self.unmatched),
        }
