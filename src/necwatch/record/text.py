"""Paragraphs with stable ids, and sentences: the units every line of a record points to."""

from __future__ import annotations

import hashlib

from necwatch.record.model import Paragraph


def paragraph_id(text: str) -> str:
    """An id from the paragraph's own text, so it survives edits elsewhere in the report."""
    return "p" + hashlib.blake2b(" ".join(text.split()).encode(), digest_size=5).hexdigest()


def split_paragraphs(body_text: str) -> tuple[Paragraph, ...]:
    """STUB (issue 19, part "text"): body_text's paragraphs are separated by blank lines."""
    parts = [p.strip() for p in body_text.split("\n\n") if p.strip()]
    return tuple(Paragraph(id=paragraph_id(p), index=i, text=p) for i, p in enumerate(parts))


def sentences(text: str) -> list[tuple[int, int]]:
    """STUB: (start, end) spans of the sentences of `text`."""
    return [(0, len(text))] if text else []
