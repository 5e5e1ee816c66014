"""The minutes of a meeting merged from its reports (necwatch.record.minutes): composed reports in the
genre, read by the real extractors, merged by the pure merge.

The reports are written for these tests (no real member's report): three members report one NEC
meeting in their own styles, and they differ the way reporters do (a count, whether a vote was held,
the date, a name's spelling, an item only one of them mentions).
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from necwatch.record import extract_record
from necwatch.record.minutes import (
    MAX_ALIGNED,
    Copies,
    ReportInput,
    Version,
    _compare,
    cluster_meetings,
    group_copies,
    meeting_id,
    merge,
    similarity,
    words,
)
from necwatch.record.model import Decision, Item, Statement
from necwatch.record.roster import Roster

# -- three members' reports of one meeting ----------------------------------------------------------
AKEHURST = """The NEC met on Tuesday 23 January 2024 at Southside.

Leader's report

Keir Starmer gave his report, focusing on the cost of living and the coming general election.

General Secretary's report

David Evans reported on the party's finances and staffing.

Forde Report

Following a vote, the NEC agreed to adopt the action plan on the Forde report, carried 22-12. Ann Black
said the plan must be carried out in full.

Organisation Committee

The NEC agreed unanimously the procedures for selecting candidates in Scotland.

Jon Lansman asked about the timetable for the new complaints process.
"""

HENDERSON = """This is my report of the NEC meeting of 24 January 2024.

GS report

The General Secretary reported on finances and staffing.

Forde

The NEC agreed the Forde action plan by 21 votes to 12. Anne Black moved it.

Selections

We agreed the selection procedures for Scotland by consensus.

Local government

We noted the report from the LGA Labour Group.
"""

BLACK = """The National Executive Committee met on 23 January 2024.

The General Secretary, David Evans, reported on the finances, which are in surplus.

On the Forde report, the NEC agreed the action plan. Members welcomed the new complaints process.

The NEC also agreed the procedures for selections in Scotland.
"""

ROSTER = Roster.shipped()


def report(
    rid: str,
    body: str,
    *,
    title: str,
    author: str,
    published: date,
    **changes: object,
) -> ReportInput:
    r = extract_record(title, body, published, author=author, roster=ROSTER, version=f"v1:{rid}")
    base = ReportInput(
        id=rid,
        reporter=author,
        published_at=f"{published.isoformat()}T10:00:00+00:00",
        content_hash=f"v1:{rid}",
        meeting_date=r.meeting.date,
        meeting_kind=r.meeting.kind,
        title=title,
        items=r.items,
        decisions=r.decisions,
        statements=r.statements,
        people=r.people,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def three() -> list[ReportInput]:
    return [
        report(
            "a",
            AKEHURST,
            title="NEC report – 23 January 2024",
            author="Luke Akehurst",
            published=date(2024, 1, 25),
        ),
        report("h", HENDERSON, title="My NEC report", author="Ann Henderson", published=date(2024, 1, 26)),
        report("b", BLACK, title="NEC report, January 2024", author="Ann Black", published=date(2024, 1, 30)),
    ]


def only(reports: list[ReportInput]):  # type: ignore[no-untyped-def]
    [m] = merge(reports)
    return m


def decision_about(m, word: str):  # type: ignore[no-untyped-def]
    [d] = [d for d in m.decisions if word in (d.summary.lower())]
    return d


# -- the meeting -------------------------------------------------------------------------------------
def test_three_reports_a_day_apart_are_one_meeting_and_the_dates_are_kept_side_by_side() -> None:
    m = only(three())
    assert (m.meeting_id, m.date, m.kind) == ("2024-01-23", "2024-01-23", "full")
    assert m.reporters == ["Luke Akehurst", "Ann Henderson", "Ann Black"]
    [date_point] = [x for x in m.disagreements if x.field == "date"]
    assert date_point.summary == "23 January 2024 or 24 January 2024"
    assert date_point.decision_position is None
    assert [(v["value"], v["reporters"]) for v in date_point.versions] == [
        ("2024-01-23", ["Luke Akehurst", "Ann Black"]),
        ("2024-01-24", ["Ann Henderson"]),
    ]
    assert [c.days_after for c in m.coverage] == [2, 3, 7]


def test_items_are_aligned_across_headings_offices_and_prose() -> None:
    m = only(three())
    titles = [(it.title, it.reporters) for it in m.items]
    assert titles == [
        ("Leader's report", ["Luke Akehurst"]),
        ("General Secretary's report", ["Luke Akehurst", "Ann Henderson", "Ann Black"]),
        ("Forde Report", ["Luke Akehurst", "Ann Henderson", "Ann Black"]),
        ("Organisation Committee", ["Luke Akehurst", "Ann Henderson", "Ann Black"]),
        ("Local government", ["Ann Henderson"]),
    ]
    gs = m.items[1]
    by_report = {s["report_id"]: s for s in gs.sources}
    assert by_report["h"]["title"] == "GS report" and not by_report["h"]["prose"]
    # Ann Black has no heading: her paragraph about the General Secretary's report covers it
    assert by_report["b"]["title"] is None and by_report["b"]["prose"]
    assert by_report["b"]["paragraph"].startswith("p")
    assert [it.single_source for it in m.items] == [True, False, False, False, True]
    cov = {c.report_id: c.only_here for c in m.coverage}
    assert cov == {"a": ["Leader's report"], "h": ["Local government"], "b": []}


def test_a_count_given_differently_is_a_disagreement_never_reconciled() -> None:
    m = only(three())
    forde = decision_about(m, "forde")
    assert forde.reporters == ["Luke Akehurst", "Ann Henderson", "Ann Black"]
    assert forde.corroboration == "corroborated" and forde.disputed
    assert (forde.votes_for, forde.votes_against, forde.counted) == (None, None, False), "disputed: no count"
    assert forde.outcome == "carried", "carried 22-12, carried 21-12 and 'agreed' all say it passed"
    assert m.items[forde.item_position].title == "Forde Report"
    [count] = [x for x in m.disagreements if x.field == "count"]
    assert count.summary == "22-12 or 21-12"
    assert count.decision_position == forde.position and count.item_position == forde.item_position
    a, h = count.versions
    assert (a["value"], a["reporters"], a["report_ids"]) == ("22-12", ["Luke Akehurst"], ["a"])
    assert a["quotes"] == [
        "Following a vote, the NEC agreed to adopt the action plan on the Forde report, carried 22-12."
    ]
    assert (h["value"], h["quotes"]) == ("21-12", ["The NEC agreed the Forde action plan by 21 votes to 12."])
    assert a["paragraphs"][0] != h["paragraphs"][0] and not a["removed"]
    # every version is kept with its paragraph, the one that gives no count too
    assert [(v.report_id, v.decision.votes_for) for v in forde.versions] == [
        ("a", 22),
        ("h", 21),
        ("b", None),
    ]


def test_agreed_and_agreed_unanimously_corroborate_one_decision() -> None:
    m = only(three())
    scotland = decision_about(m, "scotland")
    assert scotland.reporters == ["Luke Akehurst", "Ann Henderson", "Ann Black"]
    assert (scotland.outcome, scotland.manner, scotland.disputed) == ("agreed", "unanimous", False)
    assert m.items[scotland.item_position].title == "Organisation Committee"
    local = decision_about(m, "lga")
    assert (local.corroboration, local.outcome, local.reporters) == (
        "single-source",
        "noted",
        ["Ann Henderson"],
    )


def test_a_name_spelt_two_ways_is_one_person_and_a_disagreement() -> None:
    m = only(three())
    [name] = [x for x in m.disagreements if x.field == "name"]
    assert name.summary == '"Ann Black" or "Anne Black"'
    assert [v["reporters"] for v in name.versions] == [["Luke Akehurst"], ["Ann Henderson"]]
    people = {p["person_id"]: p for p in m.people}
    assert people["david-evans"]["role"] == "General Secretary"
    assert people["david-evans"]["reporters"] == ["Luke Akehurst", "Ann Henderson", "Ann Black"]
    assert people["keir-starmer"]["reporters"] == ["Luke Akehurst"]


def test_a_vote_against_only_noted_is_whether_a_vote_was_held() -> None:
    voted = report(
        "x",
        "The NEC met on 12 March 2024.\n\nThe NEC agreed, following a vote, to suspend the Brighton CLP AGM.",
        title="NEC report 12 March 2024",
        author="Luke Akehurst",
        published=date(2024, 3, 13),
    )
    noted = report(
        "y",
        "The NEC met on 12 March 2024.\n\nWe noted the report on the suspension of the Brighton CLP AGM.",
        title="NEC report 12 March 2024",
        author="Mish Rahman",
        published=date(2024, 3, 14),
    )
    m = only([voted, noted])
    [d] = m.decisions
    assert d.reporters == ["Luke Akehurst", "Mish Rahman"] and d.outcome is None and d.disputed
    [point] = m.disagreements
    assert point.field == "vote_held"
    assert point.summary == "carried on a vote or only noted"
    assert [(v["value"], v["reporters"]) for v in point.versions] == [
        ("a vote", ["Luke Akehurst"]),
        ("noted only", ["Mish Rahman"]),
    ]


def test_one_act_in_a_long_sentence_and_a_short_one_is_found_from_either() -> None:
    """A long account whose rarest words are its own (names, titles) still meets the short account
    of the same act: the short one's rare words ("final", "Forde") are looked up in the long one."""
    long = report(
        "l",
        "The NEC met on 23 January 2024.\n\nForde Report\n\nOur first substantive item was to conclude "
        "the NEC's work on the Forde Report by receiving a final paper on progress on its implementation "
        "from Vidhya Alakeson, Director of External Relations.",
        title="NEC report 23 January 2024",
        author="Luke Akehurst",
        published=date(2024, 1, 24),
    )
    short = report(
        "s",
        "The NEC met on 23 January 2024.\n\nForde\n\nAfter a long discussion the NEC voted to accept "
        "the final Forde paper and close the Forde work, by 24 votes to 8.",
        title="NEC report 23 January 2024",
        author="Alex Example",
        published=date(2024, 1, 26),
    )
    m = only([long, short])
    [d] = m.decisions
    assert d.reporters == ["Luke Akehurst", "Alex Example"] and d.disputed
    [point] = m.disagreements
    assert point.field == "vote_held"


def test_an_outcome_reporters_give_differently_and_the_mover() -> None:
    agreed = report(
        "x",
        "The NEC met on 12 March 2024.\n\n"
        "The motion to rerun the youth ballot, moved by Jon Lansman, was agreed.",
        title="NEC report 12 March 2024",
        author="Luke Akehurst",
        published=date(2024, 3, 13),
    )
    rejected = report(
        "y",
        "The NEC met on 12 March 2024.\n\n"
        "The motion to rerun the youth ballot, moved by Ann Black, was rejected.",
        title="NEC report 12 March 2024",
        author="Mish Rahman",
        published=date(2024, 3, 14),
    )
    m = only([agreed, rejected])
    [d] = m.decisions
    assert d.outcome is None and d.mover is None and d.disputed
    fields = {x.field: x for x in m.disagreements}
    assert fields["outcome"].summary == "agreed or rejected"
    assert fields["mover"].summary == "Jon Lansman or Ann Black"


# -- copies, removals, kinds -------------------------------------------------------------------------
def test_a_republication_counts_once_and_is_listed_with_its_lead() -> None:
    a, h, _ = three()
    labourlist = replace(
        a, id="ll", reporter="Luke Akehurst", duplicate_of="a", published_at="2024-01-26T09:00:00+00:00"
    )
    m = only([a, h, labourlist])
    assert len(m.reports) == 2 and m.reporters == ["Luke Akehurst", "Ann Henderson"]
    assert set(m.sources) == {"a", "h", "ll"}
    assert [(c.report_id, c.duplicates) for c in m.coverage] == [("a", ["ll"]), ("h", [])]
    forde = decision_about(m, "forde")
    assert [v.report_id for v in forde.versions] == ["a", "h"], "the copy adds no second version"
    # the same text on two reports (an edit made one equal to the other): once too
    same = replace(a, id="zz", duplicate_of=None, published_at="2024-01-27T09:00:00+00:00")
    assert len(only([a, h, same]).reports) == 2


def test_a_removed_report_keeps_its_contribution_marked_removed() -> None:
    a, h, b = three()
    m = only([a, replace(h, removed=True), b])
    assert m.reporters == ["Luke Akehurst", "Ann Henderson", "Ann Black"]
    assert [c.removed for c in m.coverage] == [False, True, False]
    local = decision_about(m, "lga")
    assert local.removed_only and [v.removed for v in local.versions] == [True]
    [count] = [x for x in m.disagreements if x.field == "count"]
    assert [v["removed"] for v in count.versions] == [False, True]
    # a removed lead with a live copy: the copy speaks, and nothing is marked removed
    copy = replace(h, id="h2", duplicate_of="h", published_at="2024-01-28T10:00:00+00:00")
    m = only([a, replace(h, removed=True), copy])
    assert [c.report_id for c in m.coverage] == ["a", "h2"] and not any(c.removed for c in m.coverage)


def test_kinds_and_months_make_the_meeting_id() -> None:
    a, h, b = three()
    special = replace(b, id="s", meeting_kind="special", meeting_date="2024-01-23")
    month_only = replace(h, id="m", meeting_date="2024-01")
    meetings = merge([a, special, month_only])
    assert [x.meeting_id for x in meetings] == ["2024-01-23", "2024-01-23-special"]
    assert [r.id for r in meetings[0].reports] == ["a", "m"], "the month's one ordinary meeting"
    # two ordinary meetings in the month: a month-only report is a meeting of its own
    later = replace(b, id="l", meeting_date="2024-01-30")
    ids = [x.meeting_id for x in merge([a, later, month_only])]
    assert ids == ["2024-01", "2024-01-23", "2024-01-30"]
    assert meeting_id("2024-01-23", "full") == "2024-01-23" == meeting_id("2024-01-23", None)
    assert meeting_id("2020-01", "away_day") == "2020-01-away_day"


def test_dates_further_apart_are_other_meetings() -> None:
    a, h, b = three()
    meetings = merge([a, replace(h, meeting_date="2024-01-27"), replace(b, meeting_date="2024-02-20")])
    assert [x.meeting_id for x in meetings] == ["2024-01-23", "2024-01-27", "2024-02-20"]
    # a chain of reports every other day for weeks is not one meeting
    chain = [
        replace(a, id=f"c{i}", content_hash=f"h{i}", meeting_date=f"2024-03-{1 + 2 * i:02d}")
        for i in range(6)
    ]
    assert len(cluster_meetings(group_copies(chain))) == 6


def test_the_merge_is_deterministic_whatever_the_order() -> None:
    reports = three()
    first = merge(reports)
    for seed in range(5):
        shuffled = reports[:]
        random.Random(seed).shuffle(shuffled)
        assert merge(shuffled) == first


# -- words ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("General Secretary's report", "GS report", True),
        ("Gen Sec's report", "General Secretary", True),
        ("Forde Report", "Forde", True),
        ("Treasurer", "Treasurer's report", True),
        ("Organisation Committee", "Org sub-committee", True),
        ("Leader's report", "Deputy Leader's report", False),
        ("Leader's report", "General Secretary's report", False),
        ("Rule changes", "Code of conduct", False),
    ],
)
def test_item_titles(a: str, b: str, same: bool) -> None:
    assert (similarity(words(a), words(b)) >= 0.5) is same, (words(a), words(b))


# -- bounded ---------------------------------------------------------------------------------------
VOCAB = [f"w{i}" for i in range(3000)]


def big_meeting(n_reports: int, n_decisions: int) -> list[ReportInput]:
    """n reports of one meeting, each stating the same n_decisions acts in its own words (a random
    half of the words shared), with counts that sometimes differ."""
    rng = random.Random(7)
    acts = [rng.sample(VOCAB, 8) for _ in range(n_decisions)]
    out = []
    for r in range(n_reports):
        decisions = []
        for k, act in enumerate(acts):
            said = [*rng.sample(act, 5), *rng.sample(VOCAB, 2)]
            decisions.append(
                Decision(
                    quote="The NEC agreed " + " ".join(said) + ".",
                    outcome="carried",
                    paragraph=f"p{r:03d}{k:06d}",
                    votes_for=20 + (r + k) % 3,
                    votes_against=10,
                )
            )
        out.append(
            ReportInput(
                id=f"r{r}",
                reporter=f"Member {r}",
                published_at=f"2024-01-{24 + r % 5}T10:00:00+00:00",
                content_hash=f"h{r}",
                meeting_date="2024-01-23",
                decisions=tuple(decisions),
            )
        )
    return out


@pytest.mark.timeout(120)
def test_thirty_reports_of_five_hundred_decisions_merge_bounded() -> None:
    m = only(big_meeting(30, 500))
    assert len(m.reports) == 30
    # most acts are found as one decision stated by many reporters
    widely = [d for d in m.decisions if len(d.reporters) >= 20]
    assert len(widely) >= 400, len(widely)
    assert all(len({v.report_id for v in d.versions}) == len(d.versions) for d in m.decisions)


def test_groups_and_rows_are_plain_data() -> None:
    m = only(three())
    assert isinstance(group_copies(three())[0], Copies)
    json.dumps([x.versions for x in m.disagreements])  # every version is JSON as stored


@pytest.mark.timeout(120)
def test_degenerate_reports_stay_bounded() -> None:
    """A page read as 8,000 "decisions" and 3,000 items, twice (two reporters): only each report's
    first MAX_ALIGNED decisions are aligned, the rest listed single-source; and ten reports of 40
    items and 300 statements each, whose prose is read once per report, not once per item."""
    rng = random.Random(3)
    decisions = tuple(
        Decision(
            quote="The NEC agreed " + " ".join(rng.sample(VOCAB, 6)) + ".",
            outcome="agreed",
            paragraph=f"p{k}",
        )
        for k in range(8_000)
    )
    items = tuple(Item(title=" ".join(rng.sample(VOCAB, 2)).title(), paragraph=f"i{k}") for k in range(3_000))
    one = replace(big_meeting(1, 1)[0], decisions=decisions, items=items)
    m = only([one, replace(one, id="r2", content_hash="h2", reporter="Member 2")])
    assert sum(len(d.versions) for d in m.decisions) == 16_000
    assert len([d for d in m.decisions if len(d.versions) == 2]) == MAX_ALIGNED
    titles = [" ".join(rng.sample(VOCAB, 2)) for _ in range(40)]
    reports = []
    for r in big_meeting(10, 200):
        its = tuple(Item(title=titles[k].title(), paragraph=f"i{r.id}{k}") for k in range(40))
        said = tuple(
            Statement(speaker="X", quote="X said " + " ".join(rng.sample(VOCAB, 8)), paragraph=f"s{k}")
            for k in range(300)
        )
        reports.append(replace(r, items=its, statements=said))
    m = only(reports)
    assert [len(it.reporters) for it in m.items] == [10] * 40


def test_an_item_named_for_a_person_is_the_office_they_hold() -> None:
    a, _, _ = three()
    keir = report(
        "k",
        "The NEC met on 23 January 2024.\n\nKeir's report\n\nKeir Starmer, the Leader, spoke about the "
        "cost of living.\n\nDavid Evans\n\nDavid Evans reported on staffing.",
        title="NEC report",
        author="Mish Rahman",
        published=date(2024, 1, 24),
    )
    m = only([a, keir])
    assert [(it.title, it.reporters) for it in m.items[:2]] == [
        ("Keir's report", ["Mish Rahman", "Luke Akehurst"]),  # one each: the first report's title
        ("David Evans", ["Mish Rahman", "Luke Akehurst"]),
    ]
    assert [s["title"] for s in m.items[1].sources] == ["David Evans", "General Secretary's report"]


def versions(*decisions: Decision) -> list[Version]:
    return [Version(f"r{k}", 0, f"Member {k}", d, False) for k, d in enumerate(decisions)]


def act(
    outcome: str, manner: str | None = None, count: tuple[int | None, ...] = (None, None), **kw: Any
) -> Decision:
    votes = dict(zip(("votes_for", "votes_against", "abstentions"), count, strict=False))
    return Decision(
        quote="The NEC agreed the plan.", outcome=outcome, paragraph="p1", manner=manner, **votes, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "fields", "merged"),
    [
        # "agreed" says nothing about a vote: carried 22-12, corroborated
        (act("agreed"), act("carried", "contested", (22, 12)), [], {"outcome": "carried", "votes_for": 22}),
        (
            act("carried", "contested", (22, 12)),
            act("carried", "contested", (21, 12)),
            ["count"],
            {"votes_for": None},
        ),
        (act("carried", "contested", (22, 12, 3)), act("carried", None, (22, 12)), [], {"abstentions": 3}),
        (act("carried", "contested"), act("agreed", "consensus"), ["vote_held"], {"outcome": None}),
        (act("carried", "contested", (22, 12)), act("noted"), ["vote_held"], {"outcome": None}),
        (act("agreed", "unanimous"), act("carried", "contested"), ["manner"], {"manner": None}),
        (act("agreed", "unanimous"), act("agreed", "consensus"), [], {"manner": "unanimous"}),
        (act("agreed"), act("rejected"), ["outcome"], {"outcome": None}),
        (act("agreed"), act("referred"), ["outcome"], {"outcome": None}),
        (act("agreed", mover="Ann Black"), act("agreed", mover="Jon Lansman"), ["mover"], {"mover": None}),
        (
            act("agreed", mover="Ann Black", mover_id="ann-black"),
            act("agreed"),
            [],
            {"mover_id": "ann-black"},
        ),
        (act("agreed", seconder="Ann Black"), act("agreed", seconder="Luke Akehurst"), ["seconder"], {}),
    ],
)
def test_versions_compared_never_reconciled(
    a: Decision, b: Decision, fields: list[str], merged: dict[str, Any]
) -> None:
    values, points = _compare(versions(a, b))
    assert [p[0] for p in points] == fields
    for key, value in merged.items():
        assert values[key] == value, key
    for _field, _summary, vs in points:
        assert [v["reporters"] for v in vs] == [["Member 0"], ["Member 1"]], "each version attributed"


def test_two_items_of_one_title_keep_their_own_decisions() -> None:
    body = (
        "The NEC met on 12 March 2024.\n\n"
        "Brexit\n\nThe NEC agreed the campaign plan for the referendum.\n\n"
        "Finance\n\nWe noted the quarterly accounts.\n\n"
        "Brexit\n\nThe NEC agreed to hold a special conference on the withdrawal agreement."
    )
    twice = report("t", body, title="NEC report", author="Luke Akehurst", published=date(2024, 3, 13))
    assert [it.title for it in twice.items] == ["Brexit", "Finance", "Brexit"]
    m = only([twice])
    assert [(d.item_position, d.summary[:30]) for d in m.decisions] == [
        (0, "The NEC agreed the campaign pl"),
        (1, "We noted the quarterly account"),
        (2, "The NEC agreed to hold a speci"),
    ]
