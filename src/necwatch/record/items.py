"""Agenda items: heading lines, office reports and prose sequencing ("We then …", "Finally, …")."""

from __future__ import annotations

from necwatch.record.model import Item, Paragraph


def find_items(paragraphs: tuple[Paragraph, ...]) -> tuple[Item, ...]:
    """STUB (part "text")."""
    return ()
