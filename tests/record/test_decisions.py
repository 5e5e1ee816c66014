"""Decisions: the NEC's acts a report states, with outcome, manner, stated counts, mover and seconder.

The examples are composed in the genre of NEC reports (Luke Akehurst's prose, Ann Black's lists,
LabourList summaries), one pattern each, positive and negative.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch.record.decisions import find_decisions
from necwatch.record.model import Decision, Item
from necwatch.record.statements import find_statements
from necwatch.record.text import split_paragraphs


def decide(text: str, items: tuple[Item, ...] = ()) -> tuple[Decision, ...]:
    return find_decisions(split_paragraphs(text), items)


def one(text: str) -> Decision:
    found = decide(text)
    assert len(found) == 1, found
    return found[0]


def test_seed_001_the_motion_its_movers_and_its_count_across_paragraphs() -> None:
    text = (
        "The meeting opened with obituaries for Eddie Lopez and Janet Anderson.\n\n"
        "Keir Starmer and Shabana Mahmood then moved and seconded their motion calling for Jeremy Corbyn "
        "to not be endorsed as a parliamentary candidate by the NEC.\n\n"
        "Keir said we were all here for one purpose, to win. He had changed the party irrevocably.\n\n"
        "Shabana said that every day we are undoing damage done before 2019.\n\n"
        "There was a very passionate debate, resulting in the motion passing by 22 votes to 12.\n\n"
        "I voted and spoke in favour."
    )
    paragraphs = split_paragraphs(text)
    (d,) = find_decisions(paragraphs, ())
    assert d.quote == "There was a very passionate debate, resulting in the motion passing by 22 votes to 12."
    assert d.quote in paragraphs[4].text and d.paragraph == paragraphs[4].id
    assert (d.outcome, d.manner, d.votes_for, d.votes_against, d.abstentions) == (
        "carried",
        "contested",
        22,
        12,
        None,
    )
    assert (d.mover, d.seconder) == ("Keir Starmer", "Shabana Mahmood")


@pytest.mark.parametrize(
    ("text", "outcome", "manner"),
    [
        ("This proposal was agreed unanimously.", "agreed", "unanimous"),
        ("The recommendations from the Working Group were agreed unanimously.", "agreed", "unanimous"),
        ("Finally, we agreed a suite of new safeguarding policies.", "agreed", None),
        ("The NEC endorsed the Organisation Committee's recommendation on the London list.", "agreed", None),
        ("The NEC approved the 2025 budget.", "agreed", None),
        ("We signed off the procedural guidelines for the leadership election.", "agreed", None),
        ("The NEC appointed Lucy Powell as chair of the Equalities Committee.", "agreed", None),
        ("It was agreed that all selections should be completed by the summer.", "agreed", None),
        ("The NEC agreed that Labour will not stand candidates in Northern Ireland.", "agreed", None),
        ("March's Organisation Committee agreed a range of measures on diversity.", "agreed", None),
        ("The Disputes Panel agreed to lift the suspension.", "agreed", None),
        ("The committee has agreed hustings in every region.", "agreed", None),
        ("There was consensus that we should stand more women candidates.", "agreed", "consensus"),
        ("The timetable was agreed without a vote.", "agreed", "consensus"),
        ("The motion was carried.", "carried", None),
        ("The NEC passed the recommendation from the local government working group.", "carried", None),
        ("Following a vote, the NEC agreed to proceed with the review.", "carried", "contested"),
        ("The NEC agreed by a large majority to keep the current rules.", "carried", "contested"),
        ("The NEC voted to suspend Bristol West CLP.", "carried", "contested"),
        ("The NEC voted unanimously to adopt the code of conduct.", "carried", "unanimous"),
        ("The proposal was carried nem con.", "carried", "unanimous"),
        ("Ann Black's amendment fell.", "rejected", None),
        ("The proposal to hold open selections was rejected.", "rejected", None),
        ("The NEC rejected the appeal from Wirral West CLP.", "rejected", None),
        ("The NEC voted against the proposal.", "rejected", "contested"),
        ("The report was not agreed.", "rejected", None),
        ("The NEC did not agree the proposed timetable.", "rejected", None),
        ("We noted the report of the Disputes Panel.", "noted", None),
        ("The NEC received the Treasurer's report and the management accounts.", "noted", None),
        ("We noted the results of the recent Heywood and Middleton by-election.", "noted", None),
        ("The item was deferred to the next meeting.", "referred", None),
        ("The decision on the London selections was held over until January.", "referred", None),
        ("The NEC referred the matter to the Organisation Committee.", "referred", None),
        ("The NEC agreed to refer the motion to the National Policy Forum.", "referred", None),
        ("We asked officers to bring a paper on trigger ballots to the next meeting.", "referred", None),
        (
            "The NEC asked for a timetable and process to be produced for the remaining selections.",
            "referred",
            None,
        ),
        ("The NEC placed on record its thanks to Iain McNicol for his service.", "other", None),
        ("We also thanked Margaret and Anas for the roles they played in the referendum.", "other", None),
        ("Anas was thanked for the contribution he had made as Deputy Leader.", "other", None),
        ("Jane Smith was elected chair with 20 votes to 14 for John Brown.", "other", "contested"),
        ("Angela Eagle was elected vice-chair by acclamation.", "agreed", "acclamation"),
        ("Agreed: the procedures for the deputy leadership election.", "agreed", None),
    ],
)
def test_outcome_and_manner(text: str, outcome: str, manner: str | None) -> None:
    d = one(text)
    assert (d.outcome, d.manner) == (outcome, manner)
    assert d.quote == text


@pytest.mark.parametrize(
    ("text", "outcome", "votes"),
    [
        (
            "The motion was carried by twenty-two votes to twelve, with three abstentions.",
            "carried",
            (22, 12, 3),
        ),
        ("The rule change was agreed by 25 votes to 8.", "carried", (25, 8, None)),
        ("The amendment fell by 10 votes to 24.", "rejected", (10, 24, None)),
        ("The motion was defeated 12-22.", "rejected", (12, 22, None)),
        ("The motion was lost 22-12.", "rejected", (12, 22, None)),
        ("The NEC rejected the proposal by 25 votes to 8.", "rejected", (8, 25, None)),
        ("The motion was carried by a vote of 19-14.", "carried", (19, 14, None)),
        ("The proposal was approved, 21 for, 13 against, 2 abstentions.", "carried", (21, 13, 2)),
        ("Jane Smith was elected chair with 20 votes to 14 for John Brown.", "other", (20, 14, None)),
        ("The NEC agreed the 2019-20 accounts.", "agreed", (None, None, None)),
        ("We agreed the timetable for the 21-23 July forum.", "agreed", (None, None, None)),
        ("We agreed changes to Clause 5 and chapter 2.", "agreed", (None, None, None)),
    ],
)
def test_counts_are_stated_never_invented(text: str, outcome: str, votes: tuple[int | None, ...]) -> None:
    d = one(text)
    assert d.outcome == outcome
    assert (d.votes_for, d.votes_against, d.abstentions) == votes


def test_a_count_in_the_next_sentence_belongs_to_the_decision_before_it() -> None:
    d = one("The motion was carried after a long debate. The vote was 20 to 15.")
    assert (d.outcome, d.votes_for, d.votes_against) == ("carried", 20, 15)


@pytest.mark.parametrize(
    ("text", "mover", "seconder"),
    [
        (
            "The motion, moved by Ann Black and seconded by Jim Kennedy, was carried.",
            "Ann Black",
            "Jim Kennedy",
        ),
        ("Moved by Ann Black, seconded by Jim Kennedy, the motion was carried.", "Ann Black", "Jim Kennedy"),
        (
            "Jon Lansman proposed a rule change, seconded by Darren Williams, which was carried 20-14.",
            "Jon Lansman",
            "Darren Williams",
        ),
        ("The General Secretary moved the report, which was agreed.", "The General Secretary", None),
    ],
)
def test_mover_and_seconder_as_written(text: str, mover: str, seconder: str | None) -> None:
    d = one(text)
    assert (d.mover, d.seconder) == (mover, seconder)


def test_a_mover_waits_for_the_decision_on_their_motion() -> None:
    text = (
        "Jon Lansman proposed that the NEC hold open selections, seconded by Darren Williams.\n\n"
        "Several members spoke against.\n\n"
        "The motion fell 14-20."
    )
    d = one(text)
    assert (d.outcome, d.votes_for, d.votes_against) == ("rejected", 14, 20)
    assert (d.mover, d.seconder) == ("Jon Lansman", "Darren Williams")


def test_one_sentence_several_decisions_each_with_its_subject() -> None:
    found = decide(
        "We received a report on conference and agreed that in future all fringe panels "
        "should be gender balanced."
    )
    assert [(d.outcome, d.subject) for d in found] == [
        ("noted", "a report on conference"),
        ("agreed", "in future all fringe panels should be gender balanced"),
    ]
    found = decide("We agreed the timetable for the mayoral primary and noted the report on membership.")
    assert [(d.outcome, d.subject) for d in found] == [
        ("agreed", "the timetable for the mayoral primary"),
        ("noted", "the report on membership"),
    ]
    assert all(d.quote.startswith("We agreed") for d in found)


def test_approved_and_endorsed_is_one_act() -> None:
    d = one("The NEC approved and endorsed the new complaints procedure.")
    assert d.subject is None and d.outcome == "agreed"


def test_a_list_introduced_by_the_following_were_agreed() -> None:
    text = (
        "The following were agreed:\n"
        "- the 2024 budget\n"
        "- the timetable for the London mayoral selection – carried 20-10\n"
        "- a rule change on all-member meetings (rejected 10-22)\n"
        "- the new complaints procedure – agreed unanimously\n\n"
        "Keir then gave his report."
    )
    found = decide(text)
    assert [(d.subject, d.outcome, d.manner, d.votes_for, d.votes_against) for d in found] == [
        ("the 2024 budget", "agreed", None, None, None),
        ("the timetable for the London mayoral selection", "carried", "contested", 20, 10),
        ("a rule change on all-member meetings", "rejected", "contested", 10, 22),
        ("the new complaints procedure", "agreed", "unanimous", None, None),
    ]
    bullets = split_paragraphs(text)[1:5]  # each entry its own paragraph, its marker apart
    assert [d.paragraph for d in found] == [b.id for b in bullets]
    assert all(d.quote in b.text for d, b in zip(found, bullets, strict=True))


def test_a_list_whose_items_are_paragraphs() -> None:
    text = (
        "The NEC agreed the following recommendations from the Organisation Committee:\n\n"
        "• Holborn and St Pancras to be an open selection\n\n"
        "• Merthyr Tydfil to be an all-women shortlist\n\n"
        "Next came the Leader's report."
    )
    found = decide(text)
    assert [(d.subject, d.outcome) for d in found] == [
        ("Holborn and St Pancras to be an open selection", "agreed"),
        ("Merthyr Tydfil to be an all-women shortlist", "agreed"),
    ]


def test_a_list_of_prose_is_not_a_list_of_decisions() -> None:
    text = (
        "Activity noted included:\n\n"
        "· Roll-out of the enhanced Member's Pledge\n\n"
        "· New employee code of conduct and social media policy"
    )
    assert decide(text) == ()


def test_a_list_item_with_its_own_outcome_without_an_opening_line() -> None:
    found = decide(
        "Other business:\n- Appointment of the returning officer – agreed\n- Minutes of the last meeting"
    )
    assert [(d.subject, d.outcome) for d in found] == [("Appointment of the returning officer", "agreed")]


def test_item_and_paragraph() -> None:
    text = "Rule changes\n\nThe NEC agreed the rule changes for conference."
    ps = split_paragraphs(text)
    items = (Item(title="Rule changes", paragraph=ps[0].id, paragraphs=(ps[0].id, ps[1].id)),)
    (d,) = find_decisions(ps, items)
    assert (d.item, d.paragraph) == ("Rule changes", ps[1].id)


@pytest.mark.parametrize(
    "text",
    [
        # facts reported with "noted that"
        "Ann Black noted that adversarial motions can make meetings unwelcoming.",
        "It was noted that 60% of new joiners were joining online.",
        "We noted that our candidates had knocked on five million doors.",
        "This report noted that 154 of Forde's 165 recommendations have been completed.",
        # past acts recalled
        "This was a route we had already decided not to go down when we agreed the EHRC Action Plan.",
        "Last year the NEC agreed to review the rules on trigger ballots.",
        "The NEC had agreed in January to set up a working group.",
        "When the EHRC Report was published we decided to broaden its focus.",
        "As previously agreed, the review will report in the spring.",
        "We were told that the principle of reform had been agreed at conference.",
        # other bodies
        "The Conference Arrangements Committee agreed the priorities ballot.",
        "The manifesto was subsequently agreed by conference.",
        "Rule changes flowing from the Action Plan were passed by Annual Conference.",
        "Parliament passed the Elections Act.",
        "The government rejected Labour's amendment.",
        "The PLP voted to restore the whip.",
        "Islington North CLP passed a motion of support.",
        "The High Court rejected the claim.",
        "Our MEPs rejected measures to increase the EU budget.",
        "Councils around the country are passing baby leave motions.",
        "Jeremy pointed out the government has been defeated 44 times since the election.",
        # members' own votes
        "I voted in favour.",
        "Ann and I voted against the motion.",
        "I abstained.",
        # future intentions, questions, hypotheticals
        "The NEC will consider the proposals in January.",
        "The NEC is expected to approve the timetable next month.",
        "NEC officers plan to bring a report to the next meeting.",
        "The timetable will be agreed at the next meeting.",
        "Will the NEC agree the budget?",
        "If the NEC agreed this, it would be a mistake.",
        "The motion would have been carried had more members attended.",
        "He encouraged the NEC to consider and agree the process.",
        # individuals
        "Keir agreed to meet the new Young Labour committee.",
        "David pledged to meet the new Young Labour committee.",
        "I asked that we look again at the rules on trigger ballots.",
        "I asked Ed to ensure that whoever was elected as the new Leader of Scottish Labour worked with us.",
        # other senses of the words
        "Paul Cottingham passed away last month.",
        "The work was carried out by staff.",
        "Labour lost seats in the Midlands.",
        "The party received £1.5m from major donors.",
        "We discussed the agreed responses to the boundary review.",
        "The NEC asked about the timetable for the selections.",
        "The NEC considered an amendment to the selection procedures.",
        # a timeline
        "December 2020        EHRC Action Plan agreed\n\nNovember 2022        NEC Action Plan agreed",
        # comments
        "Anonymous said...\n\nAre trigger ballots complete?",
    ],
)
def test_not_decisions(text: str) -> None:
    assert decide(text) == ()


def test_the_committee_of_conference_under_its_heading() -> None:
    text = "Conference Arrangements Committee Report\n\nThe committee agreed to prioritise eight motions."
    ps = split_paragraphs(text)
    ps = (ps[0].__class__(id=ps[0].id, index=0, text=ps[0].text, heading=True), ps[1])
    assert find_decisions(ps, ()) == ()
    # an NEC act on the CAC's report is the NEC's
    assert one("The NEC agreed the CAC report.").outcome == "agreed"


def test_a_statement_never_becomes_the_outcome() -> None:
    d = one("I voted in favour, but the motion was defeated 10-24.")
    assert (d.outcome, d.votes_for, d.votes_against) == ("rejected", 10, 24)


@pytest.mark.timeout(120)
def test_bounded_on_hostile_input() -> None:
    long_paragraph = "The NEC agreed the report by 22 votes to 12 and Keir Starmer noted it " * 1500
    assert len(decide(long_paragraph)) >= 1500
    assert decide("Keir Starmer " * 8000) == ()
    assert decide("1 " + " " * 100_000 + "to 2") == ()
    assert decide("- - - agreed " * 8000) is not None
    body = "\n\n".join(
        ["The NEC agreed the report. Keir said he voted for it.\n\n- the budget – agreed"] * 8000
    )
    assert len(decide(body)) == 16000


@pytest.mark.parametrize(
    ("text", "outcome", "manner", "votes"),
    [
        # LabourList's news style
        (
            "Labour's ruling body has voted to block Jeremy Corbyn from standing.",
            "carried",
            "contested",
            (None, None),
        ),
        (
            "The party's governing body also agreed new rules, with Momentum-backed members voting against.",
            "carried",
            "contested",
            (None, None),
        ),
        (
            "The national executive committee backed the motion by 22 votes to 12.",
            "carried",
            "contested",
            (22, 12),
        ),
        # Ann Black's and others' prose
        (
            "Some felt members should have more say, but the procedure was agreed by 20 votes to 13.",
            "carried",
            "contested",
            (20, 13),
        ),
        ("The NEC voted 18-15 for a freeze date of 12 January.", "carried", "contested", (18, 15)),
        (
            "An amendment to remove the reference to nuclear weapons was lost 8-21.",
            "rejected",
            "contested",
            (8, 21),
        ),
        (
            "In the end we reached a consensus to keep the current arrangements.",
            "agreed",
            "consensus",
            (None, None),
        ),
        (
            "The democracy review was referred back to officers for further work.",
            "referred",
            None,
            (None, None),
        ),
        (
            "We also agreed unanimously to send our solidarity to the people of Grenfell.",
            "agreed",
            "unanimous",
            (None, None),
        ),
        (
            "We approved the proposal for a register of interests, by 20 votes for to 3 against.",
            "carried",
            "contested",
            (20, 3),
        ),
        ("The General Secretary's report was received and noted.", "noted", None, (None, None)),
        (
            "Last year we had agreed to review the complaints; today the review was signed off.",
            "agreed",
            None,
            (None, None),
        ),
    ],
)
def test_the_genre(text: str, outcome: str, manner: str | None, votes: tuple[int | None, int | None]) -> None:
    d = one(text)
    assert (d.outcome, d.manner, (d.votes_for, d.votes_against)) == (outcome, manner, votes)


def test_a_proposal_not_agreed_keeps_its_mover_but_an_alternative_proposed_by_someone_else_does_not() -> None:
    d = one("Pete Willsman proposed that all members be given a vote, which was not agreed.")
    assert (d.outcome, d.mover) == ("rejected", "Pete Willsman")
    d = one("The NEC voted 18-15 for a freeze date of 12 January, not the 6 months proposed by Jon Lansman.")
    assert d.mover is None


def test_two_elections_in_one_sentence() -> None:
    found = decide(
        "Jim McMahon was elected vice-chair with 24 votes to 10 for Christine Shawcroft, "
        "and Andy Kerr was then confirmed as chair by acclamation."
    )
    assert [(d.outcome, d.manner, d.votes_for, d.votes_against, d.subject) for d in found] == [
        (
            "other",
            "contested",
            24,
            10,
            "Jim McMahon was elected vice-chair with 24 votes to 10 for Christine Shawcroft",
        ),
        ("agreed", "acclamation", None, None, "Andy Kerr was then confirmed as chair by acclamation"),
    ]


def test_list_items_ending_in_their_outcome() -> None:
    text = (
        "Disputes Panel\n"
        "- Appeal from Brighton and Hove CLP – upheld\n"
        "- Appeal from Wallasey CLP – not upheld\n"
        "- Request to lift the suspension of Walton CLP – deferred to March\n"
        "- Code of conduct on social media (carried 18-14)"
    )
    assert [(d.subject, d.outcome, d.votes_for, d.votes_against) for d in decide(text)] == [
        ("Appeal from Brighton and Hove CLP", "agreed", None, None),
        ("Appeal from Wallasey CLP", "rejected", None, None),
        ("Request to lift the suspension of Walton CLP", "referred", None, None),
        ("Code of conduct on social media", "carried", 18, 14),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Earlier this month, the NEC's organisation committee agreed to open selections in 22 seats.",
        "The NEC recently agreed a new complaints procedure.",
        "The NEC noted that 12 complaints had been received and that 4 had been referred to the NCC.",
        "Members were told that the decision had been taken by the General Secretary under delegated powers.",
        "Would the NEC have agreed this a year ago?",
        "The NEC is due to discuss the review in March and will decide on the rule changes in July.",
        "Several members agreed.",
        "A spokesperson for Momentum said the decision was an attack on party democracy.",
    ],
)
def test_not_decisions_in_the_genre(text: str) -> None:
    assert decide(text) == ()


def test_an_amendment_and_the_substantive_motion_in_one_sentence() -> None:
    found = decide("Jon Lansman's amendment was defeated 10-24 and the substantive motion carried 24-10.")
    assert [(d.outcome, d.votes_for, d.votes_against, d.subject) for d in found] == [
        ("rejected", 10, 24, "Jon Lansman's amendment was defeated 10-24"),
        ("carried", 24, 10, "the substantive motion carried 24-10"),
    ]


@pytest.mark.parametrize(
    ("text", "outcome", "manner"),
    [
        ("The recommendations on the Wavertree selection were all accepted.", "agreed", None),
        ("It was decided to hold the Lewisham selection in March.", "agreed", None),
        ("The NEC unanimously agreed to set up a review of the complaints process.", "agreed", "unanimous"),
        (
            "This was agreed on a show of hands, with only the Momentum members voting against.",
            "carried",
            "contested",
        ),
        ("We voted through the rule changes on deputy leadership elections.", "carried", "contested"),
        ("The NEC endorsed Andy Burnham as our candidate for Greater Manchester mayor.", "agreed", None),
        ("These were all agreed without dissent.", "agreed", "unanimous"),
        ("The NEC considered the Organisation Committee's minutes, and approved them.", "agreed", None),
        ("The appeal was dismissed.", "rejected", None),
        ("The complaint against the councillor was referred to the NCC.", "referred", None),
    ],
)
def test_more_of_the_genre(text: str, outcome: str, manner: str | None) -> None:
    d = one(text)
    assert (d.outcome, d.manner) == (outcome, manner)


def test_a_vote_stated_by_its_labelled_count_alone() -> None:
    text = "We approved the minutes.\n\nOn the motion to rerun it, 15 voted for, 17 against, 2 abstained."
    found = decide(text)
    assert [(d.outcome, d.votes_for, d.votes_against, d.abstentions) for d in found] == [
        ("agreed", None, None, None),
        ("rejected", 15, 17, 2),
    ]


def test_some_members_are_not_the_nec() -> None:
    assert decide("Several NEC members asked for more detail on the finances.") == ()


# A whole report composed in the genre (several reporters' habits in one), never a real one.
COMPOSED_REPORT = (Path(__file__).parent / "decisions_composed_report.txt").read_text(encoding="utf-8")


def test_a_composed_report_end_to_end() -> None:
    paragraphs = split_paragraphs(COMPOSED_REPORT)
    found = find_decisions(paragraphs, ())
    texts = {p.id: p.text for p in paragraphs}
    assert all(d.quote in texts[d.paragraph] for d in found)
    assert [(d.outcome, d.manner, d.votes_for, d.votes_against, d.abstentions) for d in found] == [
        ("agreed", None, None, None, None),  # The NEC agreed to hold the by-election selections …
        ("carried", "contested", 20, 13, None),  # … but the procedure was agreed by 20 votes to 13.
        ("agreed", None, None, None, None),  # This was agreed.
        ("agreed", None, None, None, None),  # The committee also agreed guidelines …
        ("noted", None, None, None, None),  # … and noted the report on membership recruitment.
        (
            "rejected",
            "contested",
            12,
            19,
            2,
        ),  # A proposal … was defeated by 12 votes to 19, with 2 abstentions.
        ("agreed", None, None, None, None),  # - Appeals from Brighton and Hove CLP – upheld
        ("referred", None, None, None, None),  # - Request to lift the suspension … – deferred to March
        ("carried", "contested", 18, 14, None),  # - Code of conduct on social media (carried 18-14)
        ("agreed", None, None, None, None),  # 1. The Scottish Labour Party's rule changes
        ("agreed", None, None, None, None),  # 2. Appointment of Jennie Formby …
        ("agreed", None, None, None, None),  # 3. The 2017 budget …
        ("carried", "unanimous", None, None, None),  # This was carried unanimously.
        ("other", None, None, None, None),  # … the NEC placed on record its thanks to retiring staff.
        ("rejected", "contested", 14, 22, None),  # A motion … fell, 14-22.
        ("agreed", "unanimous", None, None, None),  # We also agreed unanimously to send our solidarity …
        ("other", "contested", 24, 10, None),  # Jim McMahon was elected vice-chair with 24 votes to 10 …
        (
            "agreed",
            "acclamation",
            None,
            None,
            None,
        ),  # … Andy Kerr was then confirmed as chair by acclamation.
        ("agreed", None, None, None, None),  # The Business Board approved the accounts for 2016-17.
        ("referred", None, None, None, None),  # NEC officers were asked to bring a paper …
        ("carried", "contested", None, None, None),  # The Leader's motion … was passed by a large majority.
        ("agreed", None, None, None, None),  # The minutes of the last meeting were approved.
        ("agreed", None, None, None, None),  # … today the review was finally signed off.
        ("noted", None, None, None, None),  # The General Secretary's report was received and noted.
    ]
    moved = [(d.mover, d.seconder) for d in found if d.mover]
    assert moved == [("Dennis Skinner", "Jim Kennedy")]
    statements = find_statements(paragraphs)
    assert [(s.speaker, s.verb, s.vote) for s in statements] == [
        ("Jeremy Corbyn", "reported", None),
        ("Iain McNicol", "reported", None),
        ("Harry Donaldson", "said", None),
        ("Ann Black", "thanked", None),
        ("I", "voted", "for"),
        ("Glenis Willmott and I", "abstained", "abstained"),
    ]
    assert all(s.quote in texts[s.paragraph] for s in statements)


def test_a_news_report() -> None:
    text = (
        "Labour's ruling national executive committee (NEC) has approved plans to cut the seats.\n\n"
        "The proposal, put forward by general secretary David Evans, was approved by 24 votes to 10. "
        "Left-wing members of the NEC voted against the plans, which will now go to conference.\n\n"
        "Starmer's allies on the NEC voted down an amendment from Jon Lansman.\n\n"
        "Motion carried\n\n"
        "In 2019 the NEC agreed a similar package, which conference rejected.\n\n"
        "Rule changes agreed\n\n"
        "The vote on the London list was postponed until the next meeting."
    )
    found = decide(text)
    assert [(d.outcome, d.manner, d.votes_for, d.votes_against, d.mover) for d in found] == [
        ("agreed", None, None, None, None),
        ("carried", "contested", 24, 10, "general secretary David Evans"),
        ("rejected", "contested", None, None, None),
        ("referred", None, None, None, None),
    ]
    statements = find_statements(split_paragraphs(text))
    assert [(s.speaker, s.vote) for s in statements] == [("Left-wing members of the NEC", "against")]


def test_counts_labelled_first() -> None:
    d = one("The motion was carried (For 20, Against 10, Abstain 2).")
    assert (d.votes_for, d.votes_against, d.abstentions) == (20, 10, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Concerns were noted about the timetable.", ()),
        ("Over 12,000 applications were received.", ()),
        ("The Treasurer's report was noted.", ("noted", None)),
        ("This was agreed, with Jon Lansman dissenting.", ("carried", "contested")),
        ("The Joint Policy Committee will meet in April. It has agreed guidelines for the NPF.", ()),
        ("The NEC met in April. It agreed guidelines for the NPF.", ("agreed", None)),
    ],
)
def test_what_noted_and_it_refer_to(text: str, expected: tuple[str, str | None] | tuple[()]) -> None:
    assert tuple(x for d in decide(text) for x in (d.outcome, d.manner)) == expected


def test_a_panel_and_officers_act_individuals_do_not() -> None:
    assert one("The panel expelled 3 members and issued warnings to 5.").outcome == "agreed"
    assert decide("Jeremy Corbyn was suspended from the PLP in 2020.") == ()
    assert decide("The NEC Chair Ann Black thanked staff.") == ()
    assert one("Everyone agreed the proposal.").manner == "consensus"


def test_a_list_item_of_several_sentences_quotes_the_one_with_its_outcome() -> None:
    (d,) = decide("- Rule changes on CLP meetings. These follow the review – agreed unanimously")
    assert d.quote == "These follow the review – agreed unanimously"
    assert d.subject == "Rule changes on CLP meetings. These follow the review"
    assert (d.outcome, d.manner) == ("agreed", "unanimous")


def test_a_composed_vote_heavy_report() -> None:
    text = (Path(__file__).parent / "decisions_composed_votes.txt").read_text(encoding="utf-8")
    found = decide(text)
    assert [(d.outcome, d.manner, d.votes_for, d.votes_against) for d in found] == [
        ("rejected", "contested", 12, 23),  # This was defeated by 23 votes to 12.
        ("carried", "contested", 22, 11),  # The first, to change … to 20% of MPs, was passed 22-11.
        ("carried", None, None, None),  # The second, on CLP nominations, was also passed.
        ("rejected", "contested", 11, 22),  # Momentum members' amendment … fell by 11 votes to 22.
        ("carried", "contested", 22, 10),  # The NEC voted to proscribe … The vote was 22-10 (…).
        ("rejected", "contested", None, None),  # … was defeated on a show of hands.
        ("other", None, None, None),  # We elected Margaret Beckett as chair …
        ("agreed", None, None, None),  # The minutes were agreed as a correct record.
        ("noted", None, None, None),  # It was agreed to note the report.
        ("agreed", None, None, None),  # Everything else was nodded through.
    ]
    statements = find_statements(split_paragraphs(text))
    assert [(s.speaker, s.vote) for s in statements] == [("I", "for")]


def test_mover_and_seconder_in_separate_sentences() -> None:
    d = one("Ann Black moved an amendment on the timetable. Jim Kennedy seconded. It fell 10-20.")
    assert (d.outcome, d.votes_for, d.votes_against, d.mover, d.seconder) == (
        "rejected",
        10,
        20,
        "Ann Black",
        "Jim Kennedy",
    )


@pytest.mark.parametrize(
    ("opening", "outcome", "manner"),
    [
        ("The following were agreed:", "agreed", None),
        ("We agreed:", "agreed", None),
        ("The NEC approved the following:", "agreed", None),
        ("Decisions taken:", "agreed", None),
        ("Agreed:", "agreed", None),
        ("Noted:", "noted", None),
        ("Deferred:", "referred", None),
        ("The following motions were carried:", "carried", None),
        ("The NEC noted the following reports:", "noted", None),
        ("The NEC also agreed the following, all unanimously:", "agreed", "unanimous"),
        ("We discussed the following:", None, None),
        ("The following will be considered at the next meeting:", None, None),
    ],
)
def test_list_openings(opening: str, outcome: str | None, manner: str | None) -> None:
    found = decide(opening + "\n- the 2024 budget\n- the London timetable")
    expected = (
        []
        if outcome is None
        else [(outcome, manner, "the 2024 budget"), (outcome, manner, "the London timetable")]
    )
    assert [(d.outcome, d.manner, d.subject) for d in found] == expected


def test_reported_speech_backshifted_is_this_meeting() -> None:
    d = one(
        "General secretary David Evans later confirmed that the NEC had also agreed a new complaints process."
    )
    assert d.outcome == "agreed"
    assert decide("On policy we were told that the principle of reform had been agreed at conference.") == ()
    assert decide("Keir said the NEC had agreed last year to review the rules.") == ()


def test_a_news_story_count_in_its_own_sentence_and_a_tabled_motion() -> None:
    text = (
        "Labour's NEC has voted to adopt the IHRA definition of antisemitism in full.\n\n"
        "The decision was taken by 23 votes to 10, according to sources.\n\n"
        "A motion to delay the vote until September, tabled by Jon Lansman, was defeated."
    )
    assert [(d.outcome, d.votes_for, d.votes_against, d.mover) for d in decide(text)] == [
        ("carried", 23, 10, None),
        ("rejected", None, None, "Jon Lansman"),
    ]


def test_members_expelled_by_the_panel() -> None:
    assert one("Two members were expelled for supporting other parties' candidates.").outcome == "agreed"


@pytest.mark.parametrize(
    ("name", "decisions", "statements"),
    [
        (
            "decisions_composed_left.txt",
            [
                ("agreed", None, None, None),  # … we agreed a package of rule changes for conference …
                ("rejected", "contested", 11, 24),  # An attempt … was voted down by 24 to 11.
                ("agreed", None, None, None),  # The NEC approved the timetables …
                ("noted", None, None, None),  # We also noted the update on trigger ballots.
                ("agreed", None, None, None),  # A proposal … was accepted.
            ],
            [("Jeremy", "warned", None), ("Unison's representatives", "abstained", "abstained")],
        ),
        (
            "decisions_composed_2016.txt",
            [
                (
                    "carried",
                    "contested",
                    18,
                    14,
                ),  # After a secret ballot, the NEC decided by 18 votes to 14 …
                (
                    "agreed",
                    None,
                    None,
                    None,
                ),  # Later in the meeting, when several members had left, the NEC agreed …
                ("agreed", None, None, None),  # The NEC also agreed a timetable for the contest …
            ],
            [("Iain McNicol", "said", None), ("Ann Black", "said", None), ("Angela Eagle", "said", None)],
        ),
        (
            "decisions_composed_2015.txt",
            [
                (
                    "agreed",
                    None,
                    None,
                    None,
                ),  # … the NEC agreed to allocate extra time to the debate on Syria.
                ("referred", None, None, None),  # This was referred to the officers.
                ("agreed", None, None, None),  # The Organisation Committee's report was accepted, …
                ("referred", None, None, None),  # … which was referred back.
            ],
            [
                ("Jeremy Corbyn", "said", None),
                ("Tom Watson", "added", None),
                ("Iain McNicol", "explained", None),
                ("I", "said", None),
                ("Christine Shawcroft", "asked", None),
                ("Dennis Skinner", "thanked", None),
            ],
        ),
        (
            "decisions_composed_2022.txt",
            [
                ("agreed", None, None, None),  # The NEC agreed to set up a working group …
                (
                    "carried",
                    "contested",
                    25,
                    9,
                ),  # The proposal was carried by 25 votes to 9, with one abstention.
                (
                    "rejected",
                    None,
                    None,
                    None,
                ),  # An amendment from the left, moved by … and seconded by …, was rejected.
                ("agreed", None, None, None),  # The NEC also ratified the appointment …
                ("noted", None, None, None),  # The Disputes Panel's report was received.
            ],
            [
                ("Angela Rayner", "spoke", None),
                ("Angela Rayner", "said", None),
                ("David Evans", "said", None),
                ("David Evans", "replied", None),
                ("Lord Collins", "reported", None),
                ("Baroness Chakrabarti", "raised", None),
                ("Cllr Alice Perry", "asked", None),
            ],
        ),
        (
            "decisions_composed_2024.txt",
            [
                ("agreed", None, None, None),  # … the NEC gave its approval to new procedures …
                ("agreed", None, None, None),  # A request from Welsh Labour … was granted.
                ("agreed", None, None, None),  # The NEC signed off the 2025 budget …
                ("agreed", None, None, None),  # The NEC accepted the recommendation.
                ("rejected", "contested", 14, 14),  # … was tied 14-14, so the proposal fell.
                ("referred", None, None, None),  # We held over the item …
                ("other", None, None, None),  # … the NEC formally recorded its appreciation of their work.
            ],
            [
                ("Hollie Ridley", "reported", None),
                ("Hollie Ridley", "confirmed", None),
                ("NEC members", "welcomed", None),
                ("Jess Barnard and I", "voted", "for"),
                ("The Chair", "thanked", None),
            ],
        ),
        (
            "decisions_composed_officers.txt",
            [
                ("noted", None, None, None),  # The NEC noted the accounts.
                ("carried", "contested", 21, 13),  # The NEC voted to reinstate the whip …, by 21 votes to 13.
                ("agreed", None, None, None),  # … and agreed to send condolences to his family.
            ],
            [
                ("David Evans", "said", None),  # … that we have appointed …: his "we", not the NEC
                ("David Evans", "said", None),
                ("The Treasurer", "reported", None),
                ("I", "abstained", "abstained"),
                ("Jon Trickett", "asked", None),
            ],
        ),
        (
            "decisions_composed_lists.txt",
            [
                ("agreed", None, None, None),  # • registered supporters …
                ("carried", "contested", 20, 14),  # • CLPs … – carried by twenty votes to fourteen
                ("agreed", None, None, None),  # • the youth representative …
                ("agreed", None, None, None),  # The NEC endorsed …, with 3 abstaining.
                ("agreed", "unanimous", None, None),  # … Tom Watson moved that … Agreed nem con.
            ],
            [("Jeremy Corbyn", "spoke", None), ("Several members", "raised", None)],
        ),
        (
            "decisions_composed_left_blog.txt",
            [
                ("carried", "contested", 25, 11),  # It passed 25 to 11.
                ("rejected", "contested", 12, 24),  # … but our amendment was defeated by 24 votes to 12.
                (
                    "carried",
                    None,
                    None,
                    None,
                ),  # The unamended rule change was then carried on the same split.
            ],
            [
                ("Mish Rahman", "argued", None),
                ("Luke Akehurst", "insisted", None),  # the same sentence, after a semicolon
                ("Jess Barnard", "asked", None),
                ("The general secretary", "told", None),
            ],
        ),
        (
            "decisions_composed_2010.txt",
            [
                ("carried", "contested", None, None),  # The NEC agreed, by a show of hands, …
                ("rejected", None, None, None),  # Peter Kenyon's proposal … was not supported.
                ("agreed", None, None, None),  # The accounts were received and adopted.
                ("agreed", "acclamation", None, None),  # Diana Holland was re-elected as Treasurer unopposed.
                (
                    "agreed",
                    None,
                    None,
                    None,
                ),  # Keith Vaz and Ann Black were appointed to the procedures committee …
            ],
            [("Harriet Harman", "thanked", None), ("Ray Collins", "reported", None)],
        ),
    ],
)
def test_reports_composed_and_scored_blind(
    name: str, decisions: list[tuple], statements: list[tuple]
) -> None:
    paragraphs = split_paragraphs((Path(__file__).parent / name).read_text(encoding="utf-8"))
    found = find_decisions(paragraphs, ())
    assert [(d.outcome, d.manner, d.votes_for, d.votes_against) for d in found] == decisions
    assert [(s.speaker, s.verb, s.vote) for s in find_statements(paragraphs)] == statements


def test_the_following_timetable_is_one_decision() -> None:
    found = decide("We agreed the following timetable:\n- longlisting by 1 March\n- hustings in April")
    assert [(d.outcome, d.quote) for d in found] == [("agreed", "We agreed the following timetable:")]
    found = decide("We received reports on:\n- membership\n- finance")
    assert [(d.outcome, d.subject) for d in found] == [("noted", "membership"), ("noted", "finance")]


def test_note_style_minutes() -> None:
    text = (Path(__file__).parent / "decisions_composed_notes.txt").read_text(encoding="utf-8")
    found = decide(text)
    assert [(d.outcome, d.subject) for d in found] == [
        ("agreed", "Minutes of the previous meeting"),
        ("noted", "Selections update"),
        ("agreed", "By-election in Selby: shortlist of three"),
        ("referred", "Proposal to review the CLP boundaries"),
    ]
    assert all(d.votes_for is None for d in found)  # "we were outvoted 15-7" is in another paragraph


@pytest.mark.parametrize(
    "text",
    [
        "The NEC has been asked to approve the rule changes.",
        "Rachel Reeves was appointed shadow chancellor.",
        "A new director of governance was appointed.",
        "Our candidate was narrowly defeated in the by-election.",
    ],
)
def test_passives_that_are_not_the_nec_acting(text: str) -> None:
    assert decide(text) == ()


def test_passives_that_are() -> None:
    assert one("Officers were asked to report back in March.").outcome == "referred"
    assert one("Jim Kennedy was appointed to the Disputes Panel.").outcome == "agreed"


def test_a_motion_agreed_in_note_style_after_its_mover() -> None:
    d = one("Finally, Tom Watson moved that the NEC write to the Prime Minister. Agreed nem con.")
    assert (d.outcome, d.manner, d.mover, d.quote) == ("agreed", "unanimous", "Tom Watson", "Agreed nem con.")
    assert one("The NEC endorsed the panel's decisions, with 3 abstaining.").abstentions == 3


def test_carried_on() -> None:
    assert one("The rule change was carried on a show of hands.").outcome == "carried"
    assert decide("Members carried on campaigning through the summer.") == ()


def test_the_author_asked_to_take_a_role_is_not_a_referral() -> None:
    """ "I was asked to chair that panel" is the author's own news, not the NEC sending work to a
    body or officers (an edit adding it once raised "decision added" on a reworded paragraph)."""
    assert decide("I was asked to chair that panel, and I agreed.") == ()
    assert [d.outcome for d in decide("Officers were asked to produce a paper by March.")] == ["referred"]


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        (
            "Our first substantive item was to conclude the NEC's work on the Forde Report by receiving a "
            "final paper on progress on its implementation from the Director of External Relations.",
            "noted",
        ),
        ("Our final item was a motion on the Party's rules, which was carried.", "carried"),
    ],
)
def test_an_agenda_item_sentence_is_the_necs_act_whatever_noun_comes_before_the_verb(
    text: str, outcome: str
) -> None:
    assert one(text).outcome == outcome


def test_an_agenda_item_that_only_states_facts_is_no_decision() -> None:
    assert (
        decide("The next item was the General Secretary's report, which noted that membership had risen.")
        == ()
    )
