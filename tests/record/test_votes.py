"""Stated vote counts: read exactly as written, never inferred from years, dates or quantities."""

from __future__ import annotations

import pytest

from necwatch.record.votes import find_counts, number


def counts(text: str, outcome: str | None = "carried") -> list[tuple[int | None, int | None, int | None]]:
    return [(*c.sides(outcome), c.abstentions) for c in find_counts(text)]


@pytest.mark.parametrize(
    ("text", "outcome", "expected"),
    [
        ("resulting in the motion passing by 22 votes to 12.", "carried", (22, 12, None)),
        ("The motion was carried, 22 votes to 12 with 3 abstentions.", "carried", (22, 12, 3)),
        ("It was carried by 22 votes to 12, with one abstention.", "carried", (22, 12, 1)),
        ("The vote was 22 for, 12 against.", "carried", (22, 12, None)),
        ("There were 19 in favour and 14 against, with 2 abstentions.", "carried", (19, 14, 2)),
        ("The amendment was approved by a vote of 22-12.", "carried", (22, 12, None)),
        ("The rule change was carried 22–12.", "carried", (22, 12, None)),
        ("Agreed (20-10)", "agreed", (20, 10, None)),
        ("It was carried by twenty-two votes to twelve.", "carried", (22, 12, None)),
        ("It passed by Twenty Two votes to Eleven", "carried", (22, 11, None)),
        ("carried by 20 votes to 14 with no abstentions", "carried", (20, 14, 0)),
        ("The motion was carried with 3 votes against.", "carried", (None, 3, None)),
        ("For: 18, against: 15", None, (18, 15, None)),
    ],
)
def test_stated_counts(text: str, outcome: str, expected: tuple[int | None, int | None, int | None]) -> None:
    assert counts(text, outcome) == [expected]


def test_a_rejected_motion_gives_the_larger_count_to_against_whichever_order_it_is_written() -> None:
    # "rejected 12-22" and "rejected by 22 votes to 12" are the same vote: 12 for, 22 against.
    assert counts("The motion was rejected 12-22.", "rejected") == [(12, 22, None)]
    assert counts("The motion was rejected by 22 votes to 12.", "rejected") == [(12, 22, None)]
    assert counts("The amendment fell by 10 votes to 24.", "rejected") == [(10, 24, None)]
    # labelled counts are taken as labelled, whatever the outcome
    assert counts("It was defeated: 12 for, 22 against.", "rejected") == [(12, 22, None)]


def test_an_election_keeps_the_winner_first() -> None:
    assert counts("Ann Black was elected chair with 20 votes to 14 for Jim Kennedy.", "other") == [
        (20, 14, None)
    ]


def test_a_tie() -> None:
    assert counts("The vote was tied 15-15 so the motion fell.", "rejected") == [(15, 15, None)]


@pytest.mark.parametrize(
    "text",
    [
        "The accounts for 2019-20 were noted.",
        "The terms of reference covered the 2014-2019 period.",
        "The National Policy Forum will meet from 21st-23rd July in Nottingham.",
        "The NPF will meet on 21-23 July.",
        "Clause 5 of the rule book, chapter 2 clause 1.3.",
        "Inflation reached 10.4% and living standards won't rise for 5-6 years.",
        "We considered two motions and three reports.",
        "The levy will be £3 and the turnout was 42%.",
        "Membership is 390,000, of whom 2,868 joined since 1 January.",
        "Young Labour is for members aged 14-26.",
        "Staff work 9-5 at the new HQ.",
        "The NEC voted by a large majority to accept the report.",
        "The motion was carried by 60% to 40% of the card vote.",
        "The meeting was held 10.30-5.30 in Committee Room 14.",
        "There are 165 recommendations, of which 73 are under way and 42 are not.",
        "The score at the by-election was 12,000 votes to 9,000.",
        "We went from 20 to 30 organisers.",
        "Page 12-14 of the report.",
    ],
)
def test_no_count_is_invented(text: str) -> None:
    assert find_counts(text) == []


def test_number_words() -> None:
    assert number("twenty-two") == 22
    assert number("Thirty four") == 34
    assert number("twelve") == 12
    assert number("22") == 22
    assert number("many") is None


def test_more_ways_of_writing_a_count() -> None:
    assert counts("It was carried 22-12-3.") == [(22, 12, 3)]
    assert counts("The motion passed by 22 to 12 votes.") == [(22, 12, None)]
    assert counts("Agreed unanimously, 30-0.", "agreed") == [(30, 0, None)]
    assert counts("The meeting ran 10-12-14 June.") == []
