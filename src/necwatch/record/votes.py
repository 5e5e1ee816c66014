"""Vote counts as reports state them: "by 22 votes to 12", "20 for, 10 against", "carried 20-10".

A count is only ever read, never inferred: years, dates, clause numbers, percentages, ranges
("5-6 years") and quantities ("two motions") are not counts. A bare score ("22-12") is a count
only right after a word about the vote ("carried 22-12", "by a vote of 22-12").

Positional counts ("22 votes to 12", "22-12") are written winner first, so which side is "for"
depends on the outcome: a motion rejected "by 22 votes to 12" or "12-22" had 12 for and 22 against.
Labelled counts ("12 for, 22 against") are taken as labelled.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from necwatch.record.text import folds_as_ascii


def _words(text: str) -> list[str]:
    """A word list written as one string (easier to read and extend than a list of quoted words)."""
    return text.split()


_UNITS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
)
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
WORD_NUMBERS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
WORD_NUMBERS.update({"no": 0, "none": 0, "nil": 0, "a": 1, "an": 1, "single": 1})
for _t, _v in _TENS.items():
    WORD_NUMBERS[_t] = _v
    for _i, _u in enumerate(_UNITS[1:10], start=1):
        WORD_NUMBERS[f"{_t}-{_u}"] = _v + _i
        WORD_NUMBERS[f"{_t} {_u}"] = _v + _i

# One number: digits (at most three: counts, not years) or a number word. Atomic alternatives, no nesting.
_TENS_RE = "|".join(_TENS)
_UNITS_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_DIGITS = r"\d{1,3}(?![\d,.]\d)"
NUM = rf"(?:{_DIGITS}|(?:{_TENS_RE})(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|{_UNITS_RE})"
_N = rf"(?<![\w£$€.,/:-])({NUM})(?![\w%/])"  # a whole number, not part of 10.4, £3, 1/4 or 20%

# "22 votes to 12", "by twenty-two votes to twelve", "22 to 12", "22 votes for to 12 against"
_VOTES_TO = re.compile(
    rf"{_N}\s+(?:votes?\s+)?(?:(in\s+favour|for)\s+)?(?:to|versus|vs\.?|v\.?)\s+{_N}(?:\s+votes?\b)?"
    r"(?!\s*(?:years?|months?|weeks?|days?|per|%))",
    re.IGNORECASE,
)
# "22 for, 12 against", "22 in favour and 12 against", "22 votes for and 12 against", "For 22, against 12"
_FOR_AGAINST = re.compile(
    rf"{_N}\s+(?:votes?\s+|voted\s+)?(?:were\s+)?(?:for|in\s+favour)(?:\s+of\s+(?:it|the\s+motion|the\s+proposal))?[,;]?\s+(?:and\s+|with\s+|to\s+)?{_N}\s+(?:votes?\s+|voted\s+)?(?:were\s+)?against",
    re.IGNORECASE,
)
_FOR_AGAINST_LABEL_FIRST = re.compile(
    rf"\b(?:for|in\s+favour)\s*[:\-–]?\s*{_N}[,;]?\s+(?:and\s+)?against\s*[:\-–]?\s*{_N}",
    re.IGNORECASE,
)
# A bare score, digits only: "22-12", "22–12", "22 - 12".
_SCORE = re.compile(r"(?<![\w£$€.,/:-])(\d{1,2})\s?[-–—]\s?(\d{1,2})(?![\w%/:-]|\.\d|\s*(?:%|per\b))")
# The words a bare score must follow (within the same clause) to be a vote.
_SCORE_CONTEXT = re.compile(
    r"\b(?:carried|passed|approved|adopted|agreed|endorsed|rejected|defeated|lost|fell|won|votes?|voted|voting|"
    r"majority|margin|elected|tied|result|split|count)\b[^.;:\d]{0,25}$",
    re.IGNORECASE,
)
# "carried 22-12-3": for, against, abstentions.
_TRIPLE = re.compile(r"(?<![\w£$€.,/:-])(\d{1,2})\s?[-–]\s?(\d{1,2})\s?[-–]\s?(\d{1,2})(?![\w%/:-]|\.\d)")
# What may follow a bare score: end of clause or vote words; never "July", "years", "people".
_SCORE_AFTER = re.compile(
    r"\s*(?:$|[.,;:()\]!?–—-]|(?:with|in|votes?|majority|and|after|following|on|margin|against|for|to|the|but|so|which)\b)",
    re.IGNORECASE,
)
_ABSTAIN = re.compile(
    rf"(?:{_N}\s+(?:abstentions?|abstained|abstaining|abstainers?|(?:people|members|votes?)\s+abstain(?:ed|ing)?)|(?:abstentions?|abstaining|abstain(?:ed)?)\s*[:\-–]?\s*{_N})",
    re.IGNORECASE,
)
_NO_ABSTAIN = re.compile(
    r"\b(?:no|zero|nil)\s+abstentions?\b|\b(?:nobody|no-one|no\s+one|none)\s+abstained\b", re.IGNORECASE
)
# Only "against" alone: "carried with 3 votes against".
_AGAINST_ONLY = re.compile(rf"{_N}\s+(?:votes?\s+)?(?:were\s+)?(?:against|opposed)\b", re.IGNORECASE)
_FOR_ONLY = re.compile(rf"{_N}\s+(?:votes?\s+)?(?:were\s+)?in\s+favour\b", re.IGNORECASE)
_HAS_NUMBER = re.compile(rf"\d|\b(?:{_TENS_RE}|{_UNITS_RE}|no|none|nil)\b", re.IGNORECASE)
_NO_COUNT = re.compile(
    r"\b(?:years?|per\s*cent|percent|clause|chapter|section|rule|page|paragraph|aged?)\s*$", re.IGNORECASE
)


def number(word: str) -> int | None:
    """The value of a count as written: "22", "twenty-two", "twelve", "no"."""
    w = " ".join(word.lower().split())
    if w.isdigit():
        return int(w)
    return WORD_NUMBERS.get(w)


@dataclass(frozen=True)
class Counts:
    """A stated count. `first`/`second` are positional (winner first) unless `labelled`."""

    start: int
    end: int
    first: int | None = None
    second: int | None = None
    abstentions: int | None = None
    labelled: bool = False  # first is "for", second "against", as written

    def sides(self, outcome: str | None) -> tuple[int | None, int | None]:
        """(for, against) given the decision's outcome: the winner's count goes to the winning side."""
        if self.labelled or self.first is None or self.second is None:
            return self.first, self.second
        hi, lo = max(self.first, self.second), min(self.first, self.second)
        if outcome == "rejected":
            return lo, hi
        if outcome in ("carried", "agreed", "referred", "noted"):
            return hi, lo
        return self.first, self.second  # an election, or unknown: as written, winner first


def _val(s: str | None) -> int | None:
    return number(s) if s is not None else None


# What the count patterns cannot match without, on text that folds as ASCII (lower-cased): a number
# (_N: digits, or a units or tens word, a whole run of letters), and each pattern's own words.
_NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS)
_TO_WORDS = frozenset(("to", "versus", "vs", "v"))  # _VOTES_TO, each a whole word between spaces
_ASCII_WORD = re.compile(r"[a-z]+")
_ASCII_DIGIT = re.compile(r"[0-9]")


def find_counts(text: str) -> list[Counts]:
    """Every stated count in `text` (one sentence or clause), in order, each with its abstentions."""
    if folds_as_ascii(text):  # which patterns may match: one lower(), one findall, substring tests
        low = text.lower()
        digit = _ASCII_DIGIT.search(low) is not None
        tokens = set(_ASCII_WORD.findall(low))
        if not digit and tokens.isdisjoint(_NUMBER_WORDS):
            return []  # no number: only _NO_ABSTAIN could match, and it only amends a count
        against, opposed = "against" in low, "against" in low or "opposed" in low
        favour, to, abstain = "favour" in low, not tokens.isdisjoint(_TO_WORDS), "abst" in low
    elif not _HAS_NUMBER.search(text):
        return []
    else:
        digit = against = opposed = favour = to = abstain = True
    found: list[Counts] = []
    covered = bytearray(len(text) + 1)  # characters already read as part of a count

    def take(a: int, b: int) -> None:
        covered[a:b] = b"\x01" * (b - a)

    def free(a: int, b: int) -> bool:
        return covered.find(1, a, b) < 0

    for m in _FOR_AGAINST.finditer(text) if against else ():
        found.append(Counts(m.start(), m.end(), _val(m.group(1)), _val(m.group(2)), labelled=True))
        take(*m.span())
    for m in _FOR_AGAINST_LABEL_FIRST.finditer(text) if against else ():
        if free(*m.span()):
            found.append(Counts(m.start(), m.end(), _val(m.group(1)), _val(m.group(2)), labelled=True))
            take(*m.span())
    for m in _VOTES_TO.finditer(text) if to else ():
        if not free(*m.span()):
            continue
        a, b = _val(m.group(1)), _val(m.group(3))
        explicit_votes = re.search(r"votes?", m.group(0), re.IGNORECASE) is not None
        before = text[max(0, m.start() - 40) : m.start()]
        if _NO_COUNT.search(before):
            continue
        # "22 to 12" without "votes" needs a vote word before it; "from 5 to 6" is a range.
        if not explicit_votes and (
            not _SCORE_CONTEXT.search(before) or re.search(r"\bfrom\s*$", before, re.I)
        ):
            continue
        if a is None or b is None or (not m.group(1)[0].isdigit() and a <= 1 and not explicit_votes):
            continue
        found.append(Counts(m.start(), m.end(), a, b, labelled=bool(m.group(2))))
        take(*m.span())
    for m in _TRIPLE.finditer(text) if digit else ():
        before = text[max(0, m.start() - 40) : m.start()]
        if (
            _SCORE_CONTEXT.search(before)
            and not _NO_COUNT.search(before)
            and _SCORE_AFTER.match(text, m.end())
        ):
            c = Counts(m.start(), m.end(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
            found.append(c)
            take(*m.span())
    for m in _SCORE.finditer(text) if digit else ():
        if not free(*m.span()):
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        if not _SCORE_CONTEXT.search(before) or _NO_COUNT.search(before):
            continue
        if not _SCORE_AFTER.match(text, m.end()):
            continue
        found.append(Counts(m.start(), m.end(), int(m.group(1)), int(m.group(2))))
        take(*m.span())
    singles: list[Counts] = []
    for rx, is_for, cue in ((_AGAINST_ONLY, False, opposed), (_FOR_ONLY, True, favour)):
        for m in rx.finditer(text) if cue else ():
            if free(*m.span()):
                v = _val(m.group(1))
                singles.append(
                    Counts(m.start(), m.end(), v if is_for else None, None if is_for else v, labelled=True)
                )
                take(*m.span())
    found.extend(singles)
    found.sort(key=lambda c: c.start)
    # Abstentions belong to the count just before them (or the only one).
    for m in _ABSTAIN.finditer(text) if abstain else ():
        if not free(*m.span()):
            continue
        k = _val(m.group(1) or m.group(2))
        i = bisect_right([c.start for c in found], m.start()) - 1 if found else -1
        if i >= 0:
            c = found[i]
            found[i] = Counts(c.start, max(c.end, m.end()), c.first, c.second, k, c.labelled)
        else:
            found.append(Counts(m.start(), m.end(), abstentions=k, labelled=True))
        take(*m.span())
    starts = [c.start for c in found]
    for m in _NO_ABSTAIN.finditer(text) if abstain else ():
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and found[i].abstentions is None:
            c = found[i]
            found[i] = Counts(c.start, max(c.end, m.end()), c.first, c.second, 0, c.labelled)
    found.sort(key=lambda c: c.start)
    return found
