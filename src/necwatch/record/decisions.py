"""Decisions: every act of the NEC the text states, with outcome, manner, stated counts, mover, seconder."""

from __future__ import annotations

from necwatch.record.model import Decision, Item, Paragraph


def find_decisions(paragraphs: tuple[Paragraph, ...], items: tuple[Item, ...]) -> tuple[Decision, ...]:
    """STUB (part "decisions"): mover/seconder as written; extract_record resolves them."""
    return ()
