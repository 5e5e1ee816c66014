# ruff: noqa: E501  (tables of report text: one case per line)
"""The meeting a report covers: date (absolute, relative, numeric, ordinal) and kind (record.meeting)."""

from __future__ import annotations

from datetime import date

import pytest

from necwatch import normalize
from necwatch.record.meeting import find_meeting, meeting_date, meeting_kind
from necwatch.record.text import split_paragraphs

THU = date(2024, 1, 25)  # a Thursday; the Tuesday before it is the 23rd
TUE = date(2024, 1, 23)
CHAT = "There was a long discussion of the general election campaign."


@pytest.mark.parametrize(
    ("title", "body", "published", "want"),
    [
        # the body names the meeting's date
        ("NEC Report", "The NEC meeting on 23 January began with tributes to former members.", THU, "2024-01-23"),
        ("NEC Report", "At the 23 January NEC we agreed the timetable.", THU, "2024-01-23"),
        ("NEC Report", "At the NEC on 23 January we agreed the timetable.", THU, "2024-01-23"),
        ("NEC Report", "The NEC on Tuesday agreed the timetable.", THU, "2024-01-23"),
        ("NEC Report", "The NEC, which met at Southside on Tuesday 23 January, agreed it.", THU, "2024-01-23"),
        ("NEC Report", "The NEC met on 25th January 2022 in Brighton.", date(2022, 1, 27), "2022-01-25"),
        ("My report", "The NEC meeting of 9 July was dominated by the selections.", date(2019, 7, 11), "2019-07-09"),
        # relative wording, against the publication date
        ("NEC Report", "Yesterday's NEC was the longest for years.", THU, "2024-01-24"),
        ("NEC Report", "Today's meeting ran from ten until four.", THU, "2024-01-25"),
        ("NEC Report", "Last night's NEC ran late.", THU, "2024-01-24"),
        ("NEC Report", "This morning's NEC meeting was short.", THU, "2024-01-25"),
        ("NEC Report", "Tuesday's NEC was the longest for years.", THU, "2024-01-23"),
        ("NEC Report", "Tuesday's NEC was the longest for years.", TUE, "2024-01-23"),  # on publication day
        ("NEC Report", "Tuesday’s NEC\u00a0was the longest for years.", THU, "2024-01-23"),  # typographic apostrophe
        ("NEC Report", "Last Tuesday's meeting was the longest for years.", THU, "2024-01-23"),
        ("NEC Report", "Last Tuesday's meeting was the longest for years.", TUE, "2024-01-16"),  # the Tuesday before
        ("NEC Report", "The NEC met on Tuesday to agree the timetable.", THU, "2024-01-23"),
        ("NEC Report", "The NEC met last Monday.", THU, "2024-01-22"),
        ("NEC Report", "The full NEC met yesterday at Southside.", THU, "2024-01-24"),
        ("NEC Report", "This week's NEC was a calm one.", THU, "2024-01"),  # the week, so the month
        ("NEC Report", "This week's NEC was a calm one.", date(2024, 2, 1), None),  # a week across two months ...
        # ordinals without a month
        ("NEC Report", "The NEC met on Tuesday 25th to agree the budget.", date(2022, 1, 27), "2022-01-25"),
        ("NEC Report", "The NEC met on the 25th to agree the budget.", date(2022, 1, 27), "2022-01-25"),
        ("NEC Report", "The NEC met on the 25th to agree the budget.", date(2022, 2, 3), "2022-01-25"),
        ("NEC Report", "The NEC met on 25th to agree the budget.", date(2022, 1, 27), "2022-01-25"),
        ("NEC Report – Tuesday 25th", CHAT, date(2022, 1, 27), "2022-01-25"),
        ("NEC Report – Tuesday 25th", CHAT, date(2024, 1, 25), "2024-01-25"),  # no Tuesday 25th lately: the 25th
        # numeric dates, UK day first
        ("NEC Report 17/05/2016", CHAT, date(2016, 5, 20), "2016-05-17"),
        ("NEC Report 17.05.16", CHAT, date(2016, 5, 20), "2016-05-17"),
        ("NEC Report", "The NEC met on 17/05/2016 at Brewer's Green.", date(2016, 5, 20), "2016-05-17"),
        # a title without a year
        ("Labour NEC Report – 17 September", CHAT, date(2019, 9, 19), "2019-09-17"),
        ("Labour NEC Report – 17 September", CHAT, date(2020, 1, 5), "2019-09-17"),  # else after publication
        ("NEC Report – 25th January 2022", CHAT, date(2022, 1, 27), "2022-01-25"),
        # relative wording in the title
        ("Everything we learnt from today's NEC", CHAT, THU, "2024-01-25"),
        ("Report back from Tuesday’s NEC meeting", CHAT, THU, "2024-01-23"),
        # the publication date bounds it
        ("NEC Report", "We must win the by-election on 15 February. The meeting on 15 February will decide.", THU, "2024-01"),
        ("NEC Report", "The next meeting is on Tuesday 30th.", THU, "2024-01"),  # a future meeting
        ("NEC Report", "The NEC will meet on Tuesday.", THU, "2024-01"),
        ("NEC Report", "As agreed at the meeting on 3 June, we reviewed the rules.", THU, "2024-01"),  # too old
        # a recent date is preferred to an older one read first
        ("NEC Report", "Since the meeting on 21 November much has happened. The NEC met on 23 January.", THU, "2024-01-23"),
        # a blog's date line above the title is a line of its own, not "24 January 2024 NEC …"
        ("NEC Report", "Wednesday, January 24, 2024\nNEC Report – 23 January 2024\nThe NEC meeting on 23 January began late.", THU, "2024-01-23"),
        # a weekday dates the meeting only in a sentence about the NEC, not any event "on Saturday"
        ("NEC Report", "There was an away day for our new candidates on Saturday. The March NEC was calm.", date(2023, 3, 30), "2023-03"),
        # without a publication date relative wording cannot be resolved
        ("NEC Report", "Yesterday's NEC was long.", None, None),
        ("NEC Report – 23 January 2024", "Yesterday's NEC was long.", None, "2024-01-23"),
        # the title wins; a title month is made exact by a body date in it
        ("NEC Report – 23 January 2024", "Yesterday's NEC was long.", date(2024, 1, 30), "2024-01-23"),
        ("NEC Report – January 2024", "Tuesday's NEC was long.", THU, "2024-01-23"),
    ],
)  # fmt: skip
def test_meeting_date(title: str, body: str, published: date | None, want: str | None) -> None:
    if want is None and published is not None:
        want = f"{published.year:04d}-{published.month:02d}"  # no better: the publication month
    assert meeting_date(title, body, published) == want
    meeting = find_meeting(title, split_paragraphs(body), published)
    assert meeting.date == want


@pytest.mark.parametrize(
    ("title", "body", "want"),
    [
        ("NEC Report", "This was our annual away day at party headquarters.", "away_day"),
        ("NEC Report", "An emergency NEC meeting was called on Monday.", "special"),
        ("NEC Report: Clause V", CHAT, "clause_v"),
        ("NEC Sub-Committees Report", CHAT, "sub_committees"),
        ("NEC Report", CHAT, "full"),
    ],
)
def test_meeting_kind(title: str, body: str, want: str) -> None:
    assert meeting_kind(title, body) == want
    assert find_meeting(title, split_paragraphs(body), THU).kind == want


@pytest.mark.parametrize(
    ("title", "body", "published"),
    [
        ("NEC Report", "Last Tuesday's meeting was long.", THU),
        ("Labour NEC Report – 17 September", CHAT, date(2020, 1, 5)),
        ("NEC Report", "The away day met on the 25th.", date(2022, 2, 3)),
        ("NEC Report – special meeting 17.05.16", CHAT, date(2016, 5, 20)),
    ],
)
def test_the_reports_table_and_the_record_agree(title: str, body: str, published: date) -> None:
    """normalize (the reports table) and the record use one implementation."""
    meeting = find_meeting(title, split_paragraphs(body), published)
    assert normalize.meeting_date(title, body, published) == meeting.date
    assert normalize.meeting_kind(title, body) == meeting.kind


@pytest.mark.timeout(120)
def test_large_bodies_finish() -> None:
    one = ("the NEC met on Tuesday and the meeting of the committee on the 25th noted " * 1400)[:100_000]
    assert find_meeting("NEC Report", split_paragraphs(one), THU).date == "2024-01-23"
    big = "\n\n".join(["Yesterday's NEC met on 23 January. " * 30, "We noted the report of 3 June."] * 5000)
    assert len(big) > 5_000_000
    assert find_meeting("NEC Report", split_paragraphs(big), THU).date == "2024-01-24"
