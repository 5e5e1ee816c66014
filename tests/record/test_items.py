# ruff: noqa: E501  (tables of report text: one case per line)
"""Agenda items: headings, office reports and prose sequencing (record.items)."""

from __future__ import annotations

import pytest

from necwatch.record.items import clip_title, find_items
from necwatch.record.model import Item
from necwatch.record.text import split_paragraphs


def _items(body: str) -> list[tuple[str, list[str]]]:
    """(title, the texts of its paragraphs) per item."""
    paras = split_paragraphs(body)
    text = {p.id: p.text for p in paras}
    return [(i.title, [text[pid] for pid in i.paragraphs]) for i in find_items(paras)]


PROSE = """Wednesday, 24 January 2024

NEC Report – 23 January 2024

The NEC meeting on 23 January began with a minute's silence for former members who had died.

Our first substantive item was to conclude the NEC's work on the Forde Report by receiving a final paper.

The paper said most recommendations had been completed.

Keir then gave his leader's report. He said the country wanted change.

He said the party had to earn every vote.

The General Secretary reported on the by-elections and the party's finances.

The next item was a motion on Jeremy Corbyn's candidacy, which was moved by the Leader.

It was carried by 22 votes to 12.

We then moved on to the rule changes for annual conference.

Finally, we agreed a suite of new safeguarding policies.

Anonymous\u00a0Andrea said...

We then moved on to the pub.

Post a Comment"""


def test_prose_sequencing_and_office_reports() -> None:
    items = _items(PROSE)
    assert [t for t, _ in items] == [
        "NEC's work on the Forde Report",
        "Leader's report",
        "General Secretary's report",
        "Motion on Jeremy Corbyn's candidacy",
        "Rule changes for annual conference",
        "New safeguarding policies",
    ]
    assert items[0][1] == [
        "Our first substantive item was to conclude the NEC's work on the Forde Report by receiving a final paper.",
        "The paper said most recommendations had been completed.",
    ]
    assert items[1][1][1] == "He said the party had to earn every vote."
    assert items[3][1] == [
        "The next item was a motion on Jeremy Corbyn's candidacy, which was moved by the Leader.",
        "It was carried by 22 votes to 12.",
    ]
    # a blog comment's header ends the last item; what follows opens none
    assert items[-1][1] == ["Finally, we agreed a suite of new safeguarding policies."]


def test_preamble_belongs_to_no_item_and_dates_and_titles_are_not_items() -> None:
    paras = split_paragraphs(PROSE)
    items = find_items(paras)
    covered = {pid for i in items for pid in i.paragraphs}
    assert [p.text[:20] for p in paras if p.id not in covered][:3] == [
        "Wednesday, 24 Januar",
        "NEC Report – 23 Janu",
        "The NEC meeting on 2",
    ]
    assert all(isinstance(i, Item) and i.paragraph == i.paragraphs[0] for i in items)


HEADINGS = """The NEC met on Tuesday at party headquarters.

Leader's report

Keir gave his leader's report and spoke about the cost of living.

He then took questions.

Rule changes

We agreed three rule changes for conference.

NEC ELECTIONS

Ann was elected chair.

Treasurer's report:

The Treasurer said income was ahead of budget."""


def test_heading_lines_open_items() -> None:
    items = _items(HEADINGS)
    assert [(t, len(ps)) for t, ps in items] == [
        ("Leader's report", 3),  # the office cue right after its heading does not open a second item
        ("Rule changes", 2),
        ("NEC ELECTIONS", 2),
        ("Treasurer's report", 2),
    ]


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("Keir then gave his leader's report, focusing on the economy.", "Leader's report"),
        ("Angela gave her Deputy Leader's report.", "Deputy Leader's report"),
        ("The General Secretary reported on the by-elections.", "General Secretary's report"),
        (
            "David Evans began his report as General Secretary by showing a video.",
            "General Secretary's report",
        ),
        ("Iain gave his first report to us as general secretary.", "General Secretary's report"),
        ("We received the Treasurer's report.", "Treasurer's report"),
        ("The Treasurer presented the budget for 2024.", "Treasurer's report"),
        ("We received a report from the EPLP leader.", "EPLP report"),
        ("The EPLP report was given by Richard.", "EPLP report"),
        ("The CAC report was presented by Harry.", "CAC report"),
        ("The Conference Arrangements Committee reported on the timetable.", "CAC report"),
        ("The Organisation Committee agreed the selection timetable.", "Organisation Committee"),
        ("At the Disputes Panel, several cases were heard.", "Disputes Panel"),
        ("The Equalities Committee discussed the women's conference.", "Equalities Committee"),
        ("The Home Policy Committee considered the NPF documents.", "Home Policy Committee"),
        ("The International Committee agreed a statement.", "International Committee"),
        ("The Audit and Risk Committee reviewed the accounts.", "Audit and Risk Committee"),
        ("The Business Board met on Monday and reviewed the budget.", "Business Board"),
        ("The NCC has cleared its backlog of cases.", "NCC"),
        ("The Chair of the Org Sub reported on the timetable for selections.", "Organisation Committee"),
        ("Next, we considered the report of the Audit and Risk Committee.", "Audit and Risk Committee"),
        ("In his report, the General Secretary said the party was ready.", "General Secretary's report"),
        ("Keir Starmer, the Leader, gave his report on the economy.", "Leader's report"),
        ("Richard Corbett reported for the EPLP on the Brexit talks.", "EPLP report"),
        ("Treasurer's report: income was ahead of budget.", "Treasurer's report"),
        ("The meeting opened with the Leader's report.", "Leader's report"),
        ("We heard from the new EPLP leader, who reported on the elections.", "EPLP report"),
        ("Under the General Secretary's report, we heard about staffing.", "General Secretary's report"),
        (
            "Jennie Formby, the General Secretary, reported that membership was up.",
            "General Secretary's report",
        ),
    ],
)
def test_office_reports_open_items(sentence: str, title: str) -> None:
    body = (
        f"The NEC met on Tuesday.\n\nOur first item was the minutes.\n\n{sentence}\n\nThere was a discussion."
    )
    items = _items(body)
    assert [t for t, _ in items] == ["Minutes", title]
    assert items[1][1] == [sentence, "There was a discussion."]


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("Our first substantive item was to conclude the NEC's work on the Forde Report.", "NEC's work on the Forde Report"),
        ("The first item on the agenda was the election of the chair.", "Election of the chair"),
        ("The next item was a motion on Jeremy Corbyn's candidacy, which passed.", "Motion on Jeremy Corbyn's candidacy"),
        ("The final item was a paper on the Labour Women's Network.", "Labour Women's Network"),
        ("The big item of the day was the code of conduct.", "Code of conduct"),
        ("We then discussed the timetable for the London selections.", "Timetable for the London selections"),
        ("We then had a lengthy discussion about the local elections in May.", "Local elections in May"),
        ("The NEC then considered an amendment to the selection procedures.", "Amendment to the selection procedures"),
        ("Then we moved on to the new complaints process.", "New complaints process"),
        ("We moved on to discuss the party's finances, which are healthy.", "Party's finances"),
        ("Next, we received a presentation on digital campaigning from the team.", "Digital campaigning"),
        ("Finally, we agreed a suite of new safeguarding policies.", "New safeguarding policies"),
        ("Finally, there was a short debate on the Middle East.", "Middle East"),
        ("Moving on to the rule changes, several were agreed.", "Rule changes"),
        ("First up was Tom Watson, in his new role as campaign coordinator.", "Tom Watson"),
        ("After lunch, we discussed the NPF documents.", "NPF documents"),
        ("We received a report on the annual conference, which made a surplus.", "Annual conference"),
        ("There followed a discussion on antisemitism.", "Antisemitism"),
        ("The rest of the meeting was spent on the general election campaign.", "General election campaign"),
        ("A further item was the timetable for the Welsh selections.", "Timetable for the Welsh selections"),
        ("In the afternoon session we considered the draft manifesto.", "Draft manifesto"),
        ("Selection timetables: we agreed to open the remaining seats.", "Selection timetables"),  # a run-in heading
    ],
)  # fmt: skip
def test_prose_sequencing_opens_items(sentence: str, title: str) -> None:
    body = f"The NEC met on Tuesday.\n\n{sentence} It took some time.\n\nWe noted it."
    assert _items(body) == [(title, [f"{sentence} It took some time.", "We noted it."])]


@pytest.mark.parametrize(
    "sentence",
    [
        "Finally, he spoke about Scotland.",  # a speaker's last point, not the NEC's last item
        "Keir said that we must win the election.",
        "The Scottish Labour leader reported on the Holyrood campaign.",  # another body's leader
        "We then discussed it.",  # no title to give
        "The Treasurer agreed with him.",  # an office, but not its report
        "Note: this is my personal account of the meeting.",  # a one-word run-in label
        "Keir said: we will win.",
        "We discussed the framing of the campaign.",  # discussion within the item, not a new one
    ],
)
def test_not_an_item(sentence: str) -> None:
    body = f"Leader's report\n\nKeir spoke.\n\n{sentence}"
    assert [t for t, _ in _items(body)] == ["Leader's report"]


def test_the_leader_after_the_deputy_and_under_a_leadership_heading() -> None:
    body = """Leadership election

The timetable was agreed.

Keir then gave his leader's report.

Angela gave her Deputy Leader's report.

Keir gave his leader's report again, on the economy."""
    assert [t for t, _ in _items(body)] == [
        "Leadership election",
        "Leader's report",
        "Deputy Leader's report",
        "Leader's report",
    ]


def test_bullets_and_repeats_do_not_open_items() -> None:
    body = """Executive Directors' reports

We heard from each director:
- The General Secretary reported on staffing in the regions.
- The Executive Director for Members reported that membership had grown.

The General Secretary reported on the staff restructuring.

The General Secretary also reported on the new headquarters."""
    items = _items(body)
    assert [(t, len(ps)) for t, ps in items] == [
        ("Executive Directors' reports", 4),
        ("General Secretary's report", 2),
    ]


def test_numbered_headings_are_headings_and_numbered_lists_stay_lists() -> None:
    body = """The NEC met on Tuesday.

1. Leader's report

Keir spoke about the economy.

2. Rule changes

We agreed:

1) Open selections
2) A new timetable

3. Any other business

We agreed:

1. Thanks to the staff

2. A new timetable

Keir then left."""
    paras = split_paragraphs(body)
    assert [p.text for p in paras if p.heading] == [
        "1. Leader's report",
        "2. Rule changes",
        "3. Any other business",
    ]
    assert [p.text for p in paras if p.bullet] == [
        "Open selections",
        "A new timetable",
        "Thanks to the staff",
        "A new timetable",
    ]
    items = _items(body)
    assert [t for t, _ in items] == ["Leader's report", "Rule changes", "Any other business"]
    assert items[1][1] == ["2. Rule changes", "We agreed:", "Open selections", "A new timetable"]


def test_entries_of_an_introduced_list_do_not_open_items() -> None:
    """HTML list items arrive as paragraphs without markers; long ones are not marked bullets."""
    body = """Executive Director reports and plans

We received a report from each of our Executive Directors on their work during the year:

The General Secretary spoke of the work done over the past year to ensure that all our regions were fully staffed and that organisers were on the ground where we need them most, and that the key seat teams were in place.

The Executive Director for Members reported that the membership had grown."""
    assert [(t, len(ps)) for t, ps in _items(body)] == [("Executive Director reports and plans", 4)]


def test_sign_offs_and_signatures_are_not_items() -> None:
    body = """Rule changes

We agreed three rule changes.

In solidarity

Jo Bloggs
is a constituency representative on the NEC."""
    paras = split_paragraphs(body)
    assert [p.text for p in paras if p.heading] == ["Rule changes", "In solidarity"]
    assert paras[-1].text == "Jo Bloggs\nis a constituency representative on the NEC."  # one sentence
    assert _items(body) == [("Rule changes", ["Rule changes", "We agreed three rule changes."])]


@pytest.mark.parametrize(
    "furniture", ["3 comments:", "Post a Comment", "Share this:", "Related", "Leave a Reply"]
)
def test_page_furniture_ends_the_last_item(furniture: str) -> None:
    body = f"Rule changes\n\nWe agreed three.\n\n{furniture}\n\nGreat report. Then we moved on to the pub."
    assert _items(body) == [("Rule changes", ["Rule changes", "We agreed three."])]


def test_a_report_written_as_numbered_paragraphs() -> None:
    body = """The NEC met on Tuesday.

1. Keir gave the Leader's report, on the cost of living. He was thanked.

2. The General Secretary reported on the by-elections and on staffing.

3. We then discussed the rule changes for conference. The following were agreed:

(a) The Treasurer's report to be circulated a week ahead.

(b) The Organisation Committee to meet monthly."""
    items = _items(body)
    assert [t for t, _ in items] == [
        "Leader's report",
        "General Secretary's report",
        "Rule changes for conference",
    ]
    assert len(items[-1][1]) == 3  # the lettered entries stay in their item


def test_numbered_takeaways_in_sentence_case() -> None:
    body = """Labour's ruling body met on Tuesday. Here are three things we learnt.

1. The timetable is set

Nominations will open on 7 January, the NEC agreed.

2. Registered supporters will pay £25

The fee was set at £25 following a vote.

3. Hustings will be held across the country

Regional hustings will take place in February.

Sign up to our morning email for everything Labour."""
    paras = split_paragraphs(body)
    assert [p.text for p in paras if p.heading] == [
        "1. The timetable is set",
        "2. Registered supporters will pay £25",
        "3. Hustings will be held across the country",
    ]
    assert [(t, len(ps)) for t, ps in _items(body)] == [
        ("The timetable is set", 2),
        ("Registered supporters will pay £25", 2),
        ("Hustings will be held across the country", 2),  # the newsletter prompt ends it
    ]


def test_a_heading_with_nothing_under_it_is_a_label_not_an_item() -> None:
    body = "Reports\n\nLeader's report\n\nKeir spoke about the economy."
    assert [t for t, _ in _items(body)] == ["Leader's report"]


@pytest.mark.parametrize(
    ("phrase", "title"),
    [
        ("a motion on Jeremy Corbyn's candidacy, which was moved by Luke", "Motion on Jeremy Corbyn's candidacy"),
        ("the rule changes", "Rule changes"),
        ("to agree the timetable for the selection of parliamentary candidates in all the remaining seats", "Timetable for the selection of parliamentary candidates"),  # no dangling "in"
        ("an update on the party's finances from the Treasurer", "Party's finances"),
        ("a series of reports about the progress made by the NEC on Forde", "Progress made by the NEC on Forde"),
        ("a motion that called for a ceasefire", "Motion that called for a ceasefire"),
        ("conference and agreed that fringe panels should be balanced", "Conference"),
        ("it", None),
        ("...", None),
    ],
)  # fmt: skip
def test_clip_title(phrase: str, title: str | None) -> None:
    assert clip_title(phrase) == title


def test_no_items_in_an_empty_or_headless_body() -> None:
    assert find_items(()) == ()
    assert _items("The NEC met. We discussed many things. It was long.") == []


@pytest.mark.timeout(120)
def test_large_bodies_finish() -> None:
    one = ("We then moved on to the rule changes and the Treasurer reported on it " * 1500)[:100_000]
    assert [t.split()[:2] for t, _ in _items(one)] == [["Rule", "changes"]]
    big = "\n\n".join(
        ["Treasurer's report", "We then discussed the budget.", "The Organisation Committee agreed it. " * 50]
        * 2600
    )
    assert len(big) > 5_000_000
    assert len(_items(big)) == 2 * 2600  # "We then …" right under its heading opens no second item
