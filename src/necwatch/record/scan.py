"""One scan of a paragraph's words, shared by the parts of a report that read it.

Decisions and people each asked of the same paragraph again whether it folds as ASCII, what it is
lower-cased, and which words it holds: a character-class search, a `lower()` and a `findall` each
time. `scan(text)` answers once for every part (cached by the paragraph's text, like
`text.sentences`, and emptied by `extract_record` before each report, so no report reads another's).
A sentence of a scanned paragraph is read from the same scan by its offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from necwatch.record.text import folds_as_ascii

_TOKEN = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True, slots=True)
class Scan:
    """`low`: the text lower-cased when it folds as ASCII (then `lower()` folds case as re.IGNORECASE
    does, position for position), else None. `words`: the whole runs of ASCII letters of `low` (empty
    when `low` is None): a pattern's word is a word of the text only if it is in this set."""

    low: str | None
    words: frozenset[str]

    def cut_at(self, start: int, end: int) -> bool:
        """Whether the span start:end of a text that folds as ASCII cuts a run of letters at either
        edge: the span's own words are then not all words of the text (a sentence split in a word)."""
        low = self.low or ""
        return (0 < start < len(low) and _letter(low[start - 1]) and _letter(low[start])) or (
            0 < end < len(low) and _letter(low[end - 1]) and _letter(low[end])
        )


def _letter(ch: str) -> bool:
    return "a" <= ch <= "z"


_NOT_ASCII = Scan(None, frozenset())


@lru_cache(maxsize=4096)
def scan(text: str) -> Scan:
    """The scan of one paragraph (or any text): computed once per text while a report is read."""
    if not folds_as_ascii(text):
        return _NOT_ASCII
    low = text.lower()
    return Scan(low, frozenset(_TOKEN.findall(low)))
