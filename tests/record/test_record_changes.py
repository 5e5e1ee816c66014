"""record/changes.py: what an edit changed in a report's record, in words."""

from __future__ import annotations

from necwatch.record.changes import MAX_CHANGES, count_words, describe, pair_decisions
from necwatch.record.model import Decision, Meeting, Record

RULES = "The NEC agreed the rule changes for conference by 22 votes to 12."
TIMETABLE = "The selection timetable for the remaining seats was agreed unanimously."
REPORT = "We noted the General Secretary's report on the party's finances."


def rec(*decisions: Decision, date: str | None = "2024-01-23") -> Record:
    return Record(meeting=Meeting(date=date, kind="full"), decisions=decisions)


def dec(
    quote: str, outcome: str = "carried", vf: int | None = None, va: int | None = None, **kw: object
) -> Decision:
    return Decision(quote=quote, outcome=outcome, paragraph="p" + str(abs(hash(quote)) % 10**6), votes_for=vf,
                    votes_against=va, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_the_same_record_says_nothing() -> None:
    r = rec(dec(RULES, vf=22, va=12), dec(TIMETABLE, "agreed", manner="unanimous"))
    assert describe(r, r) == []


def test_an_edited_count_is_paired_with_its_decision_and_said() -> None:
    old = rec(dec(RULES, vf=22, va=12), dec(TIMETABLE, "agreed"))
    edited = RULES.replace("22 votes", "21 votes")
    new = rec(dec(edited, vf=21, va=12), dec(TIMETABLE, "agreed"))
    words = describe(old, new)
    assert len(words) == 1
    assert words[0].startswith("vote count changed: 22–12 → 21–12 (“The NEC agreed the rule changes")


def test_an_outcome_change_is_said() -> None:
    old = rec(dec("The motion on the rule changes was carried.", "carried"))
    new = rec(dec("The motion on the rule changes was rejected.", "rejected"))
    assert describe(old, new) == [
        "outcome changed: carried → rejected (“The motion on the rule changes was rejected.”)"
    ]


def test_a_count_first_stated_reads_from_count_not_reported() -> None:
    old = rec(dec("The motion was carried.", "carried"))
    new = rec(dec("The motion was carried by 20 votes to 9 with 2 abstentions.", "carried", vf=20, va=9,
                  abstentions=2))  # fmt: skip
    [words] = describe(old, new)
    assert words.startswith("vote count changed: count not reported → 20–9 with 2 abstentions")


def test_decisions_added_and_gone() -> None:
    old = rec(dec(RULES, vf=22, va=12), dec(REPORT, "noted"))
    new = rec(dec(RULES, vf=22, va=12), dec(TIMETABLE, "agreed"))
    words = describe(old, new)
    assert words == [
        f"decision added: agreed, count not reported: “{TIMETABLE}”",
        f"decision gone: “{REPORT}”",
    ]


def test_subject_names_one_of_several_decisions_in_a_sentence() -> None:
    both = "The NEC agreed the timetable and noted the report."
    old = rec(dec(both, "agreed", subject="the timetable"), dec(both, "noted", subject="the report"))
    new = rec(dec(both, "agreed", subject="the timetable"))
    assert describe(old, new) == ["decision gone: “the report”"]


def test_meeting_date_and_mover_changes() -> None:
    old = rec(dec(RULES, vf=22, va=12, mover="Ann Black"), date="2024-01-23")
    new = rec(dec(RULES, vf=22, va=12, mover="Luke Akehurst"), date="2024-01-24")
    assert describe(old, new) == [
        "meeting date changed: 2024-01-23 → 2024-01-24",
        f"mover changed: Ann Black → Luke Akehurst (“{RULES}”)",
    ]


def test_pairing_prefers_the_most_alike_sentence() -> None:
    a = dec("The NEC agreed the women's conference arrangements by 20 votes to 10.", vf=20, va=10)
    b = dec("The NEC agreed the youth conference arrangements by 15 votes to 14.", vf=15, va=14)
    a2 = dec("The NEC agreed the women's conference arrangements by 19 votes to 10.", vf=19, va=10)
    b2 = dec("The NEC agreed the youth conference arrangements by 15 votes to 13.", vf=15, va=13)
    pairs, gone, added = pair_decisions((a, b), (b2, a2))
    assert {(x.votes_for, y.votes_for) for x, y in pairs} == {(20, 19), (15, 15)}
    assert gone == [] and added == []


def test_unrelated_sentences_are_not_paired() -> None:
    old = rec(dec("The NEC agreed the budget.", "agreed"))
    new = rec(dec("Disciplinary appeals were referred to the panel.", "referred"))
    assert describe(old, new) == [
        "decision added: referred, count not reported: “Disciplinary appeals were referred to the panel.”",
        "decision gone: “The NEC agreed the budget.”",
    ]


def test_a_rewritten_report_is_summed_up_not_listed() -> None:
    old = rec(
        *(dec(f"Motion {i} on topic {i} was carried by {i} votes to 1.", vf=i, va=1) for i in range(30))
    )
    new = rec(*(dec(f"Motion {i} on topic {i} was carried by {i + 1} votes to 1.", vf=i + 1, va=1)
                for i in range(30)))  # fmt: skip
    words = describe(old, new)
    assert (
        len(words) == MAX_CHANGES
        and words[-1].startswith("and ")
        and words[-1].endswith("more record changes")
    )


def test_count_words() -> None:
    assert count_words(dec(RULES)) == "count not reported"
    assert count_words(dec(RULES, vf=22, va=12)) == "22–12"
    assert count_words(dec(RULES, vf=22, va=12, abstentions=1)) == "22–12 with 1 abstention"


def test_several_changes_of_one_decision_name_it_once() -> None:
    old = rec(dec("The motion on selections was carried by 21 votes to 12.", vf=21, va=12))
    new = rec(dec("The motion on selections was rejected by 12 votes to 21.", "rejected", vf=12, va=21))
    assert describe(old, new) == [
        "vote count changed: 21–12 → 12–21 and outcome changed: carried → rejected "
        "(“The motion on selections was rejected by 12 votes to 21.”)"
    ]
