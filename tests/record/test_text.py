# ruff: noqa: E501  (tables of report text: one case per line)
"""Paragraphs, their stable ids, lists, headings and sentences (record.text)."""

from __future__ import annotations

import pytest

from necwatch.record.text import MAX_PARAGRAPHS, is_heading, paragraph_id, sentences, split_paragraphs

REPORT = """The NEC met on Tuesday at Southside.

Treasurer's report

The Treasurer said income was ahead of budget.

The following were agreed:
- the timetable for the London mayoral selection
- a new code of conduct for councillors, following a vote
- the membership of the Disputes Panel

Thanks to all who wrote in."""


def test_paragraph_texts_are_slices_of_the_body_with_their_offsets() -> None:
    paras = split_paragraphs(REPORT)
    for p in paras:
        assert p.start is not None
        assert REPORT[p.start : p.start + len(p.text)] == p.text
    assert [p.index for p in paras] == list(range(len(paras)))


def test_a_bullet_list_in_one_block_is_one_paragraph_per_bullet() -> None:
    paras = split_paragraphs(REPORT)
    texts = [p.text for p in paras]
    assert texts[3] == "The following were agreed:"
    assert texts[4:7] == [
        "the timetable for the London mayoral selection",
        "a new code of conduct for councillors, following a vote",
        "the membership of the Disputes Panel",
    ]
    assert [p.bullet for p in paras] == [False, False, False, False, True, True, True, False]


@pytest.mark.parametrize("marker", ["-", "•", "*", "·", "1.", "1)", "a)", "(a)", "–"], ids=lambda m: repr(m))
def test_every_kind_of_list_marker(marker: str) -> None:
    numbered = marker[0].isdigit()

    def mark(i: int) -> str:
        return marker.replace("1", str(i + 1)) if numbered else marker.replace("a", "abc"[i])

    body = "We agreed three things\n" + "\n".join(
        f"{mark(i)} {t}"
        for i, t in enumerate(["Open selections in Hove", "A new ballot timetable", "Thanks to staff"])
    )
    paras = split_paragraphs(body)
    assert [p.text for p in paras] == [
        "We agreed three things",
        "Open selections in Hove",
        "A new ballot timetable",
        "Thanks to staff",
    ]
    assert [p.bullet for p in paras] == [False, True, True, True]
    assert paras[1].marker == mark(0) and paras[0].marker == ""


def test_short_lines_after_a_colon_are_bullets() -> None:
    body = "Our three campaign messages are:\nIt is time for a change\nThe Tories have failed\nWe have a plan"
    paras = split_paragraphs(body)
    assert [(p.text, p.bullet) for p in paras] == [
        ("Our three campaign messages are:", False),
        ("It is time for a change", True),
        ("The Tories have failed", True),
        ("We have a plan", True),
    ]


def test_list_items_as_separate_paragraphs_after_a_lead_in() -> None:
    """HTML list items arrive as paragraphs without markers: short ones with no stop are entries."""
    body = "Activity noted included:\n\nNew staff code of conduct\n\nA training module on racism\n\nAnn Black said that the work must go on."
    paras = split_paragraphs(body)
    assert [p.bullet for p in paras] == [False, True, True, False]


def test_a_bullet_continued_on_the_next_line_stays_one_bullet() -> None:
    body = "- We agreed the recommendation from the Organisation Committee that\n  selections in Hove be open\n- We noted the by-election results."
    paras = split_paragraphs(body)
    assert [p.text for p in paras] == [
        "We agreed the recommendation from the Organisation Committee that\n  selections in Hove be open",
        "We noted the by-election results.",
    ]


def test_one_paragraph_a_line_and_hard_wrapped_lines() -> None:
    """A body with one paragraph a line splits at each finished sentence; a wrapped line joins."""
    body = (
        "We discussed the general election campaign at length.\n"
        "Organisation Committee\n"
        "The committee agreed the timetable for selections in\n"
        "the remaining seats, and noted the appeals\n"
        "EPLP Report\n"
        "Our MEPs voted against the budget."
    )
    texts = [p.text for p in split_paragraphs(body)]
    assert texts == [
        "We discussed the general election campaign at length.",
        "Organisation Committee",
        "The committee agreed the timetable for selections in\nthe remaining seats, and noted the appeals",
        "EPLP Report",
        "Our MEPs voted against the budget.",
    ]


def test_ids_are_stable_under_edits_elsewhere() -> None:
    before = {p.text: p.id for p in split_paragraphs(REPORT)}
    edited = REPORT.replace("Thanks to all who wrote in.", "Thanks to all who wrote in to me.")
    edited = "A new opening paragraph.\n\n" + edited
    after = {p.text: p.id for p in split_paragraphs(edited)}
    for text, pid in before.items():
        if text in after:
            assert after[text] == pid
    assert before["Treasurer's report"] == paragraph_id("Treasurer's report")


def test_repeated_paragraphs_get_distinct_stable_ids() -> None:
    body = "Brexit\n\nWe noted the report.\n\nBrexit\n\nWe noted the report.\n\nBrexit"
    ids = [p.id for p in split_paragraphs(body)]
    base = paragraph_id("Brexit")
    assert ids[0] == base and ids[2] == base + "-2" and ids[4] == base + "-3"
    assert ids[3] == paragraph_id("We noted the report.") + "-2"
    assert len(set(ids)) == len(ids)
    assert [p.id for p in split_paragraphs(body)] == ids


@pytest.mark.parametrize(
    "line",
    [
        "Treasurer's report",
        "General Secretary's Report",
        "Rule changes",
        "NEC ELECTIONS",
        "Leader & Deputy Leader's report",
        "Organisation Committee:",
        "Police and Crime Commissioners, Metro Mayors and the London Assembly",
        "Longest meeting ever?",
        "2017 General Election",
    ],
)
def test_headings(line: str) -> None:
    assert is_heading(line)
    assert split_paragraphs(f"{line}\n\nThe NEC agreed it.")[0].heading


@pytest.mark.parametrize(
    "line",
    [
        "The NEC agreed the timetable.",  # a sentence
        "The following were agreed:",  # a lead-in, not a label
        "Keir said:",
        "Thanks,",
        "We discussed the general election campaign and the framing of our key messages to voters",
        "April 2020        Forde Report commissioned",  # a table's row
        "and then we went home",
    ],
)
def test_not_headings(line: str) -> None:
    assert not is_heading(line)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("The NEC met. It agreed the budget.", ["The NEC met.", "It agreed the budget."]),
        ("Cllr. Jones and Mr. Smith spoke. Then we voted.", ["Cllr. Jones and Mr. Smith spoke.", "Then we voted."]),
        ("J. Smith moved it. It passed.", ["J. Smith moved it.", "It passed."]),
        ("We discussed policy e.g. Housing and the NHS. Then we left.", ["We discussed policy e.g. Housing and the NHS.", "Then we left."]),
        ("The PM met them at No. 10 on Monday. It went well.", ["The PM met them at No. 10 on Monday.", "It went well."]),
        ("She said “We will win.” Then she sat down.", ["She said “We will win.”", "Then she sat down."]),
        ("Was it carried? Yes! By 22 votes to 12.", ["Was it carried?", "Yes!", "By 22 votes to 12."]),
        ("We waited… Then the result came.", ["We waited…", "Then the result came."]),
        ("The U.K. Labour Party met.", ["The U.K. Labour Party met."]),
        ("Income was £1.5m. Costs were lower.", ["Income was £1.5m.", "Costs were lower."]),
    ],
)  # fmt: skip
def test_sentences(text: str, want: list[str]) -> None:
    assert [text[a:b] for a, b in sentences(text)] == want


@pytest.mark.timeout(60)
@pytest.mark.parametrize("line", ["- x", "A:", "Rule Changes", "We agreed it."])
def test_a_degenerate_body_keeps_at_most_max_paragraphs(line: str) -> None:
    """A million one-word lines (in one block, or one a paragraph): the rest is one last paragraph."""
    for sep in ("\n", "\n\n"):
        body = sep.join([line] * 60_000)
        paras = split_paragraphs(body)
        assert len(paras) == MAX_PARAGRAPHS + 1
        last = paras[-1]
        assert last.start is not None and body[last.start :] == last.text


def test_empty_and_blank_bodies() -> None:
    assert split_paragraphs("") == ()
    assert split_paragraphs(" \n\n \n") == ()
    assert sentences("") == []


@pytest.mark.timeout(60)
def test_one_paragraph_of_100_kb_and_a_5_mb_body_finish() -> None:
    one = ("the NEC agreed the timetable - and noted the report: " * 2000)[:100_000]
    paras = split_paragraphs(one)
    assert len(paras) == 1
    assert sentences(one)
    big = "\n\n".join(
        [
            "Treasurer's report",
            "- The NEC agreed the budget by 20 votes to 3.",
            "Keir said we must win. " * 40,
        ]
        * 5200
    )
    assert len(big) > 5_000_000
    paras = split_paragraphs(big)
    assert len(paras) == 3 * 5200
    assert paras[-1].id.endswith("-5200")


def test_a_sentence_after_a_marked_list_is_prose_not_an_entry() -> None:
    """After "- …" entries, an unmarked line starting a new sentence is the report's prose again
    (not the last entry wrapped, not an unmarked entry); a wrapped entry continues in lower case."""
    paras = split_paragraphs(
        "The following were agreed:\n- the 2024 budget\n- the youth representative to be elected\n"
        "by OMOV\nThe proposal on the Joint Policy Committee was withdrawn."
    )
    assert [(p.text, p.bullet) for p in paras] == [
        ("The following were agreed:", False),
        ("the 2024 budget", True),
        ("the youth representative to be elected\nby OMOV", True),
        ("The proposal on the Joint Policy Committee was withdrawn.", False),
    ]


def test_a_run_of_stops_is_split_in_linear_time() -> None:
    """A run of stops is matched from its start only (it was quadratic: 100,000 dots ran for
    minutes); a sentence after a run still starts after it."""
    assert sentences("." * 100_000) == [(0, 100_000)]
    text = "It was carried... The next item!!! Then we left."
    assert [text[a:b] for a, b in sentences(text)] == [
        "It was carried...",
        "The next item!!!",
        "Then we left.",
    ]
