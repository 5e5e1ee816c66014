"""Statements: who said, asked, reported … in a report, and members' own stated votes."""

from __future__ import annotations

import pytest

from necwatch.record.decisions import find_decisions
from necwatch.record.model import Statement
from necwatch.record.statements import find_statements, name_after, name_before, split_sentences
from necwatch.record.text import split_paragraphs


def say(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(s.speaker, s.verb, s.vote) for s in find_statements(split_paragraphs(text))]


@pytest.mark.parametrize(
    ("text", "speaker", "verb"),
    [
        ("Keir said we were all here for one purpose, to win.", "Keir", "said"),
        ("Shabana said that every day we are undoing damage done before 2019.", "Shabana", "said"),
        (
            "Anneliese Dodds MP said that the key was to focus on cultural change.",
            "Anneliese Dodds MP",
            "said",
        ),
        ("David Evans reported that membership now stood at 390,000.", "David Evans", "reported"),
        (
            "The General Secretary told us that the party was on an election footing.",
            "The General Secretary",
            "told",
        ),
        ("Several members asked about the timetable for selections.", "Several members", "asked"),
        ("NEC members argued that the rules should be simplified.", "NEC members", "argued"),
        ("Ann Black warned against rushing the rule changes.", "Ann Black", "warned"),
        ("Jon Lansman responded that the proposal was unworkable.", "Jon Lansman", "responded"),
        ("Tom Watson explained the new campaign structure.", "Tom Watson", "explained"),
        ("Harriet then thanked the staff for their work.", "Harriet", "thanked"),
        ("I raised the importance of realistic spending limits.", "I", "raised"),
        ("In the Q&A to David I stressed the welfare of candidates.", "I", "stressed"),
        ("On party finances David said 2022 was the best year since 2008.", "David", "said"),
        ("Finally, Keir spoke about Scotland.", "Keir", "spoke"),
        (
            "Vidhya Alakeson, Director of External Relations, said the group had met three times.",
            "Vidhya Alakeson",
            "said",
        ),
        (
            "Executive Director of Legal Affairs Alex Barros-Curtis said that 36 related to complaints.",
            "Executive Director of Legal Affairs Alex Barros-Curtis",
            "said",
        ),
        ("Jeremy Corbyn gave the Leader's report and updated the NEC on Brexit.", "Jeremy Corbyn", "updated"),
        ("In his report Tom Watson asked about the process for trigger ballots.", "Tom Watson", "asked"),
        (
            "The Executive Director for Members & Supporters reported that membership had grown.",
            "The Executive Director for Members & Supporters",
            "reported",
        ),
    ],
)
def test_speaker_and_verb(text: str, speaker: str, verb: str) -> None:
    (s,) = find_statements(split_paragraphs(text))
    assert (s.speaker, s.verb, s.vote) == (speaker, verb, None)
    assert s.quote == text


def test_quote_and_paragraph() -> None:
    text = "Keir then gave his report.\n\nKeir said the missions set our priorities. Shabana agreed."
    ps = split_paragraphs(text)
    (s,) = find_statements(ps)
    assert s == Statement(
        speaker="Keir", quote="Keir said the missions set our priorities.", paragraph=ps[1].id, verb="said"
    )


def test_he_and_she_take_the_previous_sentences_one_person() -> None:
    text = (
        "Morgan McSweeney reported as Elections Director. He said that polling day was 100 days away. "
        "He warned against complacency."
    )
    assert say(text) == [
        ("Morgan McSweeney", "reported", None),
        ("Morgan McSweeney", "said", None),
        ("Morgan McSweeney", "warned", None),
    ]
    text = "Ellie Reeves MP, Deputy Campaign Co-ordinator, gave an update. She stressed the target seats."
    assert say(text) == [("Ellie Reeves MP", "stressed", None)]


@pytest.mark.parametrize(
    "text",
    [
        "He said the party was in good shape.",  # no one before it in the paragraph
        "Keir Starmer and Shabana Mahmood moved the motion. He said it was necessary.",  # two people
        "The EHRC has lifted special measures. He thanked Anneliese Dodds.",  # not a person before it
        "Keir gave his report.\n\nHe said the missions were popular.",  # another paragraph
    ],
)
def test_a_pronoun_without_one_person_before_it_is_skipped(text: str) -> None:
    assert [s for s in say(text) if s[1] in ("said", "thanked")] == []


@pytest.mark.parametrize(
    ("text", "speaker", "vote"),
    [
        ("I voted in favour.", "I", "for"),
        ("I voted against.", "I", "against"),
        ("I abstained.", "I", "abstained"),
        ("I voted for the motion.", "I", "for"),
        ("I voted and spoke in favour.", "I", "for"),
        ("Ann and I voted for it.", "Ann and I", "for"),
        ("Ann Black voted against the rule change.", "Ann Black", "against"),
        ("I voted to reject the appeal.", "I", "against"),
    ],
)
def test_members_stated_votes(text: str, speaker: str, vote: str) -> None:
    assert say(text) == [(speaker, "voted" if vote != "abstained" else "abstained", vote)]
    assert find_decisions(split_paragraphs(text), ()) == ()  # never the NEC's outcome


@pytest.mark.parametrize(
    "text",
    [
        "Some members raised concerns about the timetable.",  # vague
        "People talked about the importance of selecting candidates quickly.",
        "This report noted that 154 of 165 recommendations have been completed.",
        "It was noted that 60% of new joiners joined online.",
        "We were told that the principle had been agreed.",
        "Anonymous said...",
        "Activity noted included:",
        "The NEC asked for a timetable to be produced.",
        "Labour has raised more money than the Tories.",
        "I did not vote for the proposal on that basis.",
        "We discussed the referendum campaign.",
    ],
)
def test_not_statements(text: str) -> None:
    assert say(text) == []


def test_name_helpers() -> None:
    assert name_before("Keir Starmer and Shabana Mahmood then ") == "Keir Starmer and Shabana Mahmood"
    assert name_before("This report ") is None
    assert name_before("The NEC ") is None
    assert name_after("Ann Black, seconded by Jim") == "Ann Black"
    assert name_after("the General Secretary and carried") == "the General Secretary"
    assert name_after("a large majority") is None


@pytest.mark.timeout(120)
def test_bounded_on_hostile_input() -> None:
    assert say("Keir said that Ann asked, " * 4000)  # one 100 kB sentence
    assert say("Keir Starmer " * 8000 + "said it.") == []
    body = "\n\n".join(["Keir said it. He voted for it. I abstained."] * 20000)
    assert len(say(body)) == 60000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We discussed staffing etc. The NEC agreed the budget.",
            ["We discussed staffing etc.", "The NEC agreed the budget."],
        ),
        (
            "The motion was carried… Keir said it was right.",
            ["The motion was carried…", "Keir said it was right."],
        ),
        (
            "Approved by 20 votes to 10.The NEC then noted it.",
            ["Approved by 20 votes to 10.", "The NEC then noted it."],
        ),
        (
            "See labour.org.uk/forde, the U.K. and 10.4% growth.",
            ["See labour.org.uk/forde, the U.K. and 10.4% growth."],
        ),
    ],
)
def test_sentence_ends_the_splitter_keeps_together(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == expected


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "In response to questions, the general secretary said that no decision had been made.",
            "the general secretary",
        ),
        ("The chair of the disputes panel reported on the backlog.", "The chair of the disputes panel"),
        ("The NEC Chair Ann Black thanked staff.", "The NEC Chair Ann Black"),
        ("The deputy leader warned against complacency.", "The deputy leader"),
    ],
)
def test_titles_in_lower_case(text: str, speaker: str) -> None:
    assert [s[0] for s in say(text)] == [speaker]


def test_common_nouns_opening_a_sentence_are_not_speakers() -> None:
    text = (
        "Research suggested turnout would fall. Polling highlighted the gap. Labour List reported the vote. "
        "Staff reported a surplus. Keir said yes. Many warned of cuts."
    )
    assert say(text) == [("Keir", "said", None)]


def test_a_title_in_lower_case_before_the_name() -> None:
    text = (
        "Shadow chancellor Rachel Reeves told the meeting the party needed to draw a line. "
        "General secretary David Evans later confirmed the new process. He added that it was fine."
    )
    assert say(text) == [
        ("Shadow chancellor Rachel Reeves", "told", None),
        ("General secretary David Evans", "confirmed", None),
        ("General secretary David Evans", "added", None),
    ]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"We must win," said Keir Starmer.', "Keir Starmer"),
        ('Keir spoke. "We must win," he said.', "Keir"),
        ('"Is it fair?" asked Ann Black.', "Ann Black"),
        ("Angela Rayner, the deputy leader, spoke about the cost of living.", "Angela Rayner"),
        ("Members pressed David Evans on redundancies; he replied that none were planned.", None),
    ],
)
def test_quotations_and_asides(text: str, speaker: str | None) -> None:
    assert [s[0] for s in say(text)] == ([speaker] if speaker else [])
