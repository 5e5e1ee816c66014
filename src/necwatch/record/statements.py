"""Statements: "X said / asked / reported / argued …" and members' stated votes ("I voted in favour")."""

from __future__ import annotations

from necwatch.record.model import Paragraph, Statement


def find_statements(paragraphs: tuple[Paragraph, ...]) -> tuple[Statement, ...]:
    """STUB (part "decisions"): speaker as written ("Keir", "the General Secretary", "I")."""
    return ()
