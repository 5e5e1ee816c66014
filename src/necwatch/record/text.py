"""Paragraphs with stable ids, and sentences: the units every line of a record points to."""

from __future__ import annotations

import hashlib
import re

from necwatch.record.model import Paragraph


def paragraph_id(text: str) -> str:
    """An id from the paragraph's own text, so it survives edits elsewhere in the report."""
    return "p" + hashlib.blake2b(" ".join(text.split()).encode(), digest_size=5).hexdigest()


def split_paragraphs(body_text: str) -> tuple[Paragraph, ...]:
    """STUB (issue 19, part "text"): body_text's paragraphs are separated by blank lines."""
    parts = [p.strip() for p in body_text.split("\n\n") if p.strip()]
    return tuple(Paragraph(id=paragraph_id(p), index=i, text=p) for i, p in enumerate(parts))


# Words after which a full stop does not end a sentence: titles, honorifics, common abbreviations.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof cllr rt hon st vs etc eg ie cf approx dept gen sec govt jr sr lt col cttee".split()  # noqa: SIM905
)
# A sentence ends at . ! ? (and closing quotes/brackets) followed by space and a capital, digit or quote.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9£])")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, trimmed of surrounding space.

    Rule-based and linear: a stop ends a sentence unless it follows an abbreviation or a
    single capital initial ("J. Smith", "Cllr. Jones").
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        word = re.search(r"(\w+)$", text[max(start, m.start() - 12) : m.start()])
        if (
            m.group()[0] == "."
            and word
            and (
                word.group(1).lower() in _ABBREVIATIONS
                or (len(word.group(1)) == 1 and word.group(1).isupper())
            )
        ):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out
