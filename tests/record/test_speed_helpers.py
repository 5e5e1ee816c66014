"""The speed pass's helpers give exactly what the slower code they replace gave (issue 19's speed).

Each fast path is checked against the reference it stands for, on the shapes that make it hard:
hyphens and apostrophes inside names, accents, digits, case, non-ASCII text, runs of stops.
The whole record is checked byte for byte by bench/record_equivalence.py.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from necwatch.normalize import normalized_text
from necwatch.record import extract_record, forget_paragraphs, people, statements, text
from necwatch.record import outcomes as o
from necwatch.record.decisions import _quiet
from necwatch.record.items import _normalized
from necwatch.record.roster import Roster

TEXTS = [
    "Keir Starmer and Angela Rayner moved and seconded the motion, which was carried by 22 votes to 12.",
    "Rebecca Long-Bailey, anti-Corbyn critics and O'Brien's team met Zoë Smith-Jones' staff.",
    "Ann Black said: “We agreed it.” Then Sinéad O’Connor’s letter was NOTED and Received.",
    "3rd item: the NEC APPROVED the 2024 timetable; x-Ray, abc_Def, e\u0301Xyz and ǅemal were named.",
    "Mr. A. B. Smith said. Then X... Y! Z?! “Quoted.” (Aside.) Fin…. Next etc. The End.3 Ok.Go",
    "The motion was carried forward to March, signed-off by officers and voted through after it was put off.",
    "no capitals here at all, just words that passed away and carried out.",
    "ΑΒΓ Δέλτα Ωμέγα and İstanbul, Kelvin K and ſ long s passed, Ægir Øystein Åse.",
    "",
    ". . . ....... !!! ??? ……",
]


def _reference_cap_words(s: str) -> list[tuple[int, int]]:
    """What the walk over every word found: words of people._WORD whose first letter is upper case."""
    return [m.span() for m in people._WORD.finditer(s) if m.group()[:1].isupper()]


@pytest.mark.parametrize("s", TEXTS)
def test_capitalised_words_are_the_words_a_full_walk_finds(s: str) -> None:
    found = [m.span() for m in people._CAP_WORD.finditer(s) if m.group()[:1].isupper()]
    assert found == _reference_cap_words(s)


def _reference_verb_matches(s: str) -> list[tuple[int, int, str]]:
    """verb_matches as it was: a loop over every ASCII word and a dictionary look-up."""
    out = []
    for m in o._TOKEN.finditer(s):
        for form, tail in o._BY_FIRST.get(m.group().lower(), ()):
            if tail is None:
                out.append((m.start(), m.end(), form))
                break
            t = tail.match(s, m.end())
            if t:
                out.append((m.start(), t.end(), form))
                break
    return out


@pytest.mark.parametrize("s", TEXTS)
def test_verb_matches_equal_the_word_by_word_loop(s: str) -> None:
    assert o.verb_matches(s) == _reference_verb_matches(s)


_OLD_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s+[\"'“‘(\[]?[A-Z0-9£])")


@pytest.mark.parametrize("s", [*TEXTS, "." * 5000 + " A", "a" + "!" * 300 + " B. C"])
def test_the_sentence_end_regex_matches_where_the_old_one_did(s: str) -> None:
    assert [m.span() for m in text._END.finditer(s)] == [m.span() for m in _OLD_END.finditer(s)]


def _reference_split(t: str) -> list[tuple[int, int]]:
    out = []
    for a, b in text.sentences(t):
        start = a
        for m in statements._MISSED_END.finditer(t, a, b):
            if m.start() > start:
                out.append((start, m.start()))
            start = m.end()
        if b > start:
            out.append((start, b))
    return out


@pytest.mark.parametrize("s", TEXTS)
def test_split_sentences_runs_its_extra_splitter_only_where_it_splits(s: str) -> None:
    forget_paragraphs()
    assert statements.split_sentences(s) == _reference_split(s)


@pytest.mark.parametrize(
    "s", [*TEXTS, "A  heading\twith   spaces ", "Code `x` and https://e.org/a?fbclid=1 ok"]
)
def test_items_normalized_is_normalized_text(s: str) -> None:
    assert _normalized(s) == normalized_text(s)


def test_a_quiet_sentence_holds_none_of_the_words_any_check_reads() -> None:
    assert _quiet("Members discussed the campaign in some detail.")
    for loud in (
        "The NEC agreed the timetable.",
        "It was noted.",
        "Jo moved the motion.",
        "The vote was 20 to 15.",
        "We did not support it.",
        "There was consensus on it.",
        "Thanks were recorded.",
        "The following were decided:",
        "Le comité a été d’accord.",  # not ASCII: never quiet, the full battery reads it
    ):
        assert not _quiet(loud), loud


def test_the_sitting_members_of_a_day_are_those_roster_active_gives() -> None:
    roster = Roster.shipped()
    for day in (date(2011, 11, 1), date(2016, 5, 17), date(2024, 1, 23), None):
        sitting = people._on_day(roster, day).sitting
        assert sitting == {pid for pid in roster.terms if roster.active(pid, day)}
        assert people._on_day(roster, day) is people._on_day(roster, day)  # computed once a day


def test_no_sentence_split_is_carried_from_one_report_to_the_next() -> None:
    body = "The NEC agreed the timetable. Keir said it was right."
    extract_record("NEC Report – 23 January 2024", body, date(2024, 1, 24))
    extract_record("NEC Report – 23 January 2024", "Another report. It had two sentences.", None)
    assert text._sentences.cache_info().currsize <= 3  # only the last report's paragraphs


_OLD_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


@pytest.mark.parametrize("s", [*TEXTS, "a.\n\n\n B", ". \n A", 'x!  \t"A', "end.\n\nStart", "q?(A", " \n \n"])
def test_the_meeting_sentence_split_matches_where_the_old_one_did(s: str) -> None:
    from necwatch.record.meeting import _SENTENCE

    assert [m.span() for m in _SENTENCE.finditer(s)] == [m.span() for m in _OLD_SENTENCE.finditer(s)]
