"""A report's record: meeting, agenda items, decisions, people, statements, each traced to its paragraph.

`extract_record` is pure and deterministic: a report's title, body text and publication date in,
a `Record` out, no network and no model. The parts live one concept per module:
text (paragraphs, ids, sentences) → meeting → items → people (roster) → decisions, statements.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from necwatch.record import scan as _scan
from necwatch.record import statements as _statements
from necwatch.record import text as _text
from necwatch.record.decisions import find_decisions
from necwatch.record.items import find_items
from necwatch.record.meeting import find_meeting
from necwatch.record.model import Decision, Item, Meeting, Paragraph, PersonMention, Record, Statement
from necwatch.record.people import find_people
from necwatch.record.roster import Roster
from necwatch.record.statements import find_statements
from necwatch.record.text import split_paragraphs

__all__ = [
    "Decision",
    "Item",
    "Meeting",
    "Paragraph",
    "PersonMention",
    "Record",
    "Roster",
    "Statement",
    "extract_record",
]


MAX_QUOTE_CHARS = 2_000
"""A quote is one sentence: real ones are under ~600 characters. A "sentence" longer than this is a
page without stops (a table, a list run together, hostile text), whose every act would quote it whole:
5,000 of them in one 36 kB "sentence" made a record of 61 MB. Such quotes are left out."""


def forget_paragraphs() -> None:
    """Empty the caches of sentence splits, which are keyed by a paragraph's text: they let the parts
    of one report split each paragraph once, and must not carry a split from one report to the next
    (a bench whose reports reuse real paragraphs would time the cache, not the work)."""
    _text._sentences.cache_clear()
    _statements._split_sentences.cache_clear()
    _statements._units.cache_clear()
    _scan.scan.cache_clear()


def extract_record(
    title: str,
    body_text: str,
    published: date | None,
    *,
    author: str | None = None,
    roster: Roster | None = None,
    version: str | None = None,
) -> Record:
    """The record of one report version. `author` lets "I voted …" name its speaker."""
    forget_paragraphs()
    paragraphs = split_paragraphs(body_text)
    meeting = find_meeting(title, paragraphs, published)
    items = find_items(paragraphs)
    people = find_people(paragraphs, roster or Roster.shipped(), meeting.date, published, author)
    decisions = []
    for d in find_decisions(paragraphs, items):
        if len(d.quote) > MAX_QUOTE_CHARS:
            continue
        mover, seconder = people.resolve(d.mover, d.paragraph), people.resolve(d.seconder, d.paragraph)
        decisions.append(
            replace(
                d,
                mover=mover.name if mover else d.mover,
                mover_id=mover.person_id if mover else None,
                seconder=seconder.name if seconder else d.seconder,
                seconder_id=seconder.person_id if seconder else None,
            )
        )
    statements = []
    for s in find_statements(paragraphs):
        if len(s.quote) > MAX_QUOTE_CHARS:
            continue
        who = people.resolve(s.speaker, s.paragraph)
        statements.append(replace(s, speaker=who.name, person_id=who.person_id) if who else s)
    return Record(
        meeting=meeting,
        items=items,
        decisions=tuple(decisions),
        people=people.mentions,
        statements=tuple(statements),
        paragraphs=paragraphs,
        version=version,
    )
