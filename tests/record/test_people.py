"""find_people: every person a report names, resolved on the meeting date against the roster.

The texts are composed for these tests in the genre of NEC reports (not taken from any report).
"""

from __future__ import annotations

from datetime import date

import pytest

from necwatch.record import extract_record
from necwatch.record.people import People, find_people
from necwatch.record.roster import Roster, roster_for
from necwatch.record.text import split_paragraphs


def people(body: str, meeting: str | None = "2022-05-24", *, roster: Roster | None = None,
           published: date | None = None, author: str | None = None) -> People:  # fmt: skip
    return find_people(split_paragraphs(body), roster or Roster.shipped(), meeting, published, author)


def by_id(p: People) -> dict[str | None, list]:
    out: dict[str | None, list] = {}
    for m in p.mentions:
        out.setdefault(m.person_id, []).append(m)
    return out


def ids(p: People) -> list[str | None]:
    return [m.person_id for m in p.mentions]


def names(p: People) -> list[str]:
    return [m.name for m in p.mentions]


# --- names on the roster ---


def test_full_names_first_names_surnames_and_possessives_join_one_person() -> None:
    p = people(
        "Keir Starmer opened with the Leader's report.\n\n"
        "Keir said the local elections were a step forward. Starmer's tone was upbeat, "
        "and Keir’s point about discipline was welcomed."
    )
    (keir,) = p.mentions
    assert keir.person_id == "keir-starmer"
    assert keir.name == "Keir Starmer" and keir.canonical == "Keir Starmer"
    assert keir.role == "Leader"
    assert set(keir.written) == {"Keir Starmer", "the Leader", "Keir", "Starmer"}
    assert len(keir.paragraphs) == 2


def test_honorifics_and_suffixes_are_cues_not_names() -> None:
    p = people(
        "Dame Margaret Beckett MP chaired the procedures committee. Cllr Alice Perry reported for local "
        "government. Lord Collins spoke on the international report and Sir Keir thanked him. "
        "Jim McMahon OBE gave apologies. Baroness Mone was mentioned. Richard Corbett MEP reported."
    )
    got = {m.person_id: m for m in p.mentions}
    assert got["margaret-beckett"].name == "Dame Margaret Beckett"
    assert got["alice-perry"].name == "Cllr Alice Perry"
    assert got["ray-collins"].name == "Lord Collins"
    assert got["keir-starmer"].name == "Sir Keir"
    assert "jim-mcmahon" in got
    assert got["richard-corbett"].name == "Richard Corbett"
    assert got[None].name == "Baroness Mone"  # not on the roster: kept as written


def test_misspellings_are_matched_to_the_roster_person() -> None:
    p = people(
        "Jenny Formby sent apologies. Iain McNicholl was thanked. Angela Raynor reported.", "2019-07-09"
    )
    assert ids(p) == ["jennie-formby", "iain-mcnicol", "angela-rayner"]
    assert names(p)[0] == "Jenny Formby"  # as written
    assert p.mentions[0].canonical == "Jennie Formby"


def test_a_misspelt_name_of_someone_not_on_the_roster_stays_unmatched() -> None:
    p = people("Humza Yusaf, the First Minister, sent greetings to the NEC.")
    (humza,) = p.mentions
    assert humza.person_id is None and humza.name == "Humza Yusaf"


# --- office titles, on the meeting date ---


@pytest.mark.parametrize(
    ("meeting", "expected"),
    [
        ("2016-01-26", ["jeremy-corbyn", "tom-watson", "iain-mcnicol", "diana-holland", "paddy-lillis"]),
        ("2021-01-26", ["keir-starmer", "angela-rayner", "david-evans", "diana-holland", "margaret-beckett"]),
        ("2025-01-28", ["keir-starmer", "angela-rayner", "hollie-ridley", "mike-payne", "ellie-reeves"]),
    ],
)
def test_office_titles_resolve_on_the_meeting_date(meeting: str, expected: list[str]) -> None:
    p = people(
        "The Leader reported on the political situation. The Deputy Leader spoke about workers' rights. "
        "The General Secretary presented the staffing update and our Treasurer the accounts. "
        "The Chair thanked everyone.",
        meeting,
    )
    assert ids(p) == expected


def test_office_titles_fall_back_to_the_publication_date() -> None:
    p = people("The General Secretary reported.", None, published=date(2019, 3, 1))
    assert ids(p) == ["jennie-formby"]
    assert people("The General Secretary reported.", None).mentions == ()  # no date: no guess


def test_a_title_next_to_a_name_is_that_person_and_gives_a_role_when_the_roster_has_none() -> None:
    p = people(
        "General Secretary David Evans reported. Unite General Secretary Jane Doherty sent a message. "
        "Anneliese Dodds, the Party Chair, spoke.",
        "2022-05-24",
    )
    got = {m.name: m for m in p.mentions}
    assert got["David Evans"].person_id == "david-evans"
    assert got["David Evans"].role == "General Secretary"
    assert got["Jane Doherty"].person_id is None
    assert got["Jane Doherty"].role == "Unite General Secretary"  # the text's role
    assert got["Anneliese Dodds"].role == "Party Chair"
    assert len(p.mentions) == 3  # the titles did not add anyone


def test_titles_of_other_bodies_or_former_holders_are_not_the_party_officers() -> None:
    p = people(
        "The chair of the Organisation Committee reported. The leader of the council sent apologies. "
        "The former General Secretary wrote to us. The CLP treasurer was thanked. The Tory leader was "
        "criticised. The Leader's office sent a paper. Treasurer's report",
        "2022-05-24",
    )
    assert p.mentions == ()


def test_scottish_and_welsh_leaders_and_the_eplp_leader() -> None:
    p = people(
        "The Scottish Labour leader reported on the Holyrood campaign. The EPLP leader reported on "
        "Brussels. The Welsh Labour leader gave an update.",
        "2016-03-22",
    )
    assert ids(p) == ["kezia-dugdale", "glenis-willmott", "carwyn-jones"]


# --- ambiguity: nearest preceding full mention, else unresolved ---


@pytest.fixture(scope="module")
def two_angelas() -> Roster:
    return roster_for(
        [{"id": "angela-smith-clp", "name": "Angela Smith",
          "memberships": [{"section": "CLP", "start_date": "2020-11-13", "end_date": None}]}]
    )  # fmt: skip


def test_an_ambiguous_first_name_stays_unresolved_without_a_full_mention(two_angelas: Roster) -> None:
    p = people("Angela said the rules were unfair.", "2022-05-24", roster=two_angelas)
    (angela,) = p.mentions
    assert angela.person_id is None and angela.name == "Angela"


def test_an_ambiguous_first_name_goes_to_the_nearest_preceding_full_mention(two_angelas: Roster) -> None:
    p = people(
        "Angela Rayner reported as Deputy Leader. Angela said the Employment Bill was dropped.\n\n"
        "Angela Smith moved the motion. Angela said members wanted a vote.",
        "2022-05-24",
        roster=two_angelas,
    )
    got = by_id(p)
    assert got["angela-rayner"][0].written == ("Angela Rayner", "Angela")
    assert got["angela-smith-clp"][0].written == ("Angela Smith", "Angela")
    assert None not in got
    # resolve() answers with the paragraph's context
    first, second = (para.id for para in split_paragraphs(
        "Angela Rayner reported as Deputy Leader. Angela said the Employment Bill was dropped.\n\n"
        "Angela Smith moved the motion. Angela said members wanted a vote."
    ))  # fmt: skip
    assert p.resolve("Angela", first).person_id == "angela-rayner"
    assert p.resolve("Angela", second).person_id == "angela-smith-clp"


def test_a_first_name_of_one_sitting_member_resolves_on_the_date() -> None:
    assert ids(people("Yasmine said the left would oppose it.", "2022-05-24")) == ["yasmine-dar"]
    # not on the NEC that day, never named in full: not guessed
    (m,) = people("Yasmine said the left would oppose it.", "2012-05-24").mentions
    assert m.person_id is None


def test_a_distinctive_surname_resolves_even_out_of_office() -> None:
    p = people("Corbyn's suspension was discussed. Miliband was quoted.", "2021-01-26")
    assert ids(p) == ["jeremy-corbyn", "ed-miliband"]


# --- names not on the roster ---


def test_an_unknown_person_is_kept_and_their_short_forms_join_them() -> None:
    p = people(
        "Cllr Eddie Lopez from Islington asked about selections. Eddie said the timetable was too short, "
        "and Lopez's CLP had written to the General Secretary.",
        "2022-05-24",
    )
    got = by_id(p)
    (eddie,) = got[None]
    assert eddie.name == "Cllr Eddie Lopez"
    assert set(eddie.written) == {"Cllr Eddie Lopez", "Eddie", "Lopez"}
    assert "david-evans" in got
    assert "eddie-izzard" not in got  # a sitting-once Eddie on the roster is not guessed


def test_an_unknown_persons_spelling_variants_join() -> None:
    p = people("Stella Creasy wrote to us. Stela Creasy's letter was read out.", "2022-05-24")
    (stella,) = p.mentions
    assert stella.person_id is None and len(stella.written) == 2


def test_places_organisations_months_and_sentence_starts_are_not_people() -> None:
    p = people(
        "Following the General Election, Scottish Labour and Welsh Labour reported. Islington North CLP "
        "and Brighton Kemptown wrote in. Labour First, Open Labour, Momentum and Progress lobbied. "
        "Young Labour elected officers. In May the National Policy Forum met in Birmingham. The Forde "
        "Report was discussed, and John Smith House was mentioned. Black members and BAME Labour raised "
        "concerns. Unite and the GMB sent papers. Conference Arrangements Committee was thanked. "
        "Amber Valley was selected. Brexit dominated. Chuka Umunna was mentioned.",
        "2017-05-16",
    )
    assert names(p) == ["Chuka Umunna"]


def test_list_items_one_a_line_are_separate_names() -> None:
    p = people("Elected to the Organisation Committee:\nAnn Black\nLuke Akehurst\nJess Barnard", "2022-05-24")
    assert ids(p) == ["ann-black", "luke-akehurst", "jess-barnard"]


def test_a_surname_that_is_a_word_needs_a_cue() -> None:
    p = people(
        "Ann Black reported on the Disputes Panel. Black voted against. Black members were consulted.",
        "2022-05-24",
    )
    (ann,) = p.mentions
    assert ann.written == ("Ann Black", "Black")


# --- resolve() for the other parts: speakers, movers, "I" ---


def test_resolve_names_titles_and_the_author() -> None:
    body = "Luke Akehurst moved the motion. The General Secretary replied.\n\nI voted against."
    paras = split_paragraphs(body)
    p = find_people(paras, Roster.shipped(), "2022-05-24", None, "Ann Black")
    first, second = paras[0].id, paras[1].id
    assert p.resolve("Luke", first).person_id == "luke-akehurst"
    assert p.resolve("Luke Akehurst", first).name == "Luke Akehurst"
    assert p.resolve("the General Secretary", first).person_id == "david-evans"
    me = p.resolve("I", second)
    assert (me.person_id, me.name, me.role) == ("ann-black", "Ann Black", "NEC member (CLP)")
    assert p.resolve("Keir", second).person_id == "keir-starmer"  # not in the text: the roster on the date
    assert p.resolve(None, first) is None and p.resolve("  ", first) is None
    assert p.resolve("Momentum", first) is None
    # an author the roster does not know is still the speaker of "I"
    q = find_people(paras, Roster.shipped(), "2022-05-24", None, "Cllr Sam Jones")
    assert q.resolve("I", second).name == "Cllr Sam Jones" and q.resolve("I", second).person_id is None
    assert find_people(paras, Roster.shipped(), "2022-05-24", None, None).resolve("I", second) is None


def test_extract_record_carries_the_people() -> None:
    record = extract_record(
        "NEC report – 24 May 2022",
        "Keir Starmer gave the Leader's report.\n\nEddie Lopez asked a question.",
        date(2022, 5, 25),
        author="Luke Akehurst",
    )
    out = record.as_json()
    assert [(p["name"], p["person_id"]) for p in out["people"]] == [
        ("Keir Starmer", "keir-starmer"),
        ("Eddie Lopez", None),
    ]
    assert out["unmatched"] == ["Eddie Lopez"]


# --- bounded work ---


@pytest.mark.timeout(60)
def test_a_report_naming_500_people_and_a_100kb_paragraph() -> None:
    firsts = [
        "Alan",
        "Brenda",
        "Colin",
        "Dawn",
        "Eric",
        "Fiona",
        "Gavin",
        "Hazel",
        "Ivan",
        "Janet",
        "Kevin",
        "Linda",
        "Martin",
        "Nina",
        "Owen",
    ]
    lasts = [f"{q}q{c}{c}xson" for q in "ZY" for c in "abcdefghijklmnopqrstuvwxyz"][:36]  # 2 edits apart
    everyone = [f"{f} {s}" for f in firsts for s in lasts][:500]
    body = "\n\n".join(f"{n} said the rule change went too far." for n in everyone)
    p = people(body, "2022-05-24")
    assert len(p.mentions) == 500 and all(m.person_id is None for m in p.mentions)
    big = ("Keir Starmer said the party must change. " * 2500)[:100_000]
    (keir,) = people(big, "2022-05-24").mentions
    assert keir.person_id == "keir-starmer"
    assert people("", "2022-05-24").mentions == ()
    assert people("Der Parteivorstand hat am Dienstag getagt. Die Sitzung war lang.", None).mentions == ()


def test_new_and_outgoing_holders_and_a_title_gives_its_role() -> None:
    # chairs changed in "2016-09" (month only): "the Chair" alone is not guessed, "outgoing"/"new" are
    p = people("The Chair welcomed us. The outgoing Chair thanked staff. The new Chair spoke.", "2016-09-20")
    assert ids(p) == ["paddy-lillis", "glenis-willmott"]
    assert [m.role for m in p.mentions] == ["Chair", "Chair"]
    q = people("Cllr. Alice Perry reported.", "2016-09-20")
    assert (q.mentions[0].person_id, q.mentions[0].name) == ("alice-perry", "Cllr Alice Perry")


def test_a_role_in_apposition_is_the_role_of_someone_the_roster_does_not_know() -> None:
    p = people(
        "Priya Sharma, Director of External Relations, reported. Keir Starmer, Angela Rayner and Ann "
        "Black, Chair of the Disputes Panel, spoke.",
        "2024-01-23",
    )
    assert [(m.name, m.role) for m in p.mentions] == [
        ("Priya Sharma", "Director of External Relations"),
        ("Keir Starmer", "Leader"),
        ("Angela Rayner", "Deputy Leader"),
        ("Ann Black", "NEC member (CLP)"),  # the roster's role comes first
    ]


def test_of_two_people_named_in_full_the_one_sitting_on_the_nec_is_meant() -> None:
    p = people(
        "Ed Miliband gave his report. He and Ed Balls would press the case, and Ed Balls' plan was "
        "circulated. Ed re-emphasised his support for the living wage.",
        "2011-11-22",
    )
    got = {m.name: m for m in p.mentions}
    assert got["Ed Miliband"].written == ("Ed Miliband", "Ed")
    assert got["Ed Balls"].person_id == "ed-balls"  # on the roster, with no post
    assert got["Ed Balls"].written == ("Ed Balls",) and got["Ed Balls"].role is None


def test_an_attendance_list_with_roles_in_brackets_and_short_forms_of_other_names() -> None:
    p = people(
        "Present: Jeremy Corbyn (Leader), Andy Kerr (Chair), Pete Willsman, Jenny Formby.\n\n"
        '"We cannot go on like this," said Pete. JC agreed. Jenny reported.',
        "2018-09-25",
    )
    got = {m.person_id: m for m in p.mentions}
    # the roster knows Kerr's chair only to the month ("2018-09"): the text's "(Chair)" settles it
    assert got["andy-kerr"].role == "Chair"
    assert got["peter-willsman"].written == ("Pete Willsman", "Pete")
    assert got["jeremy-corbyn"].written == ("Jeremy Corbyn", "JC")
    assert got["jennie-formby"].written == ("Jenny Formby", "Jenny")
    assert got["jennie-formby"].name == "Jenny Formby" and got["jennie-formby"].canonical == "Jennie Formby"


def test_lower_case_titles_apposition_and_names_used_for_things() -> None:
    p = people(
        "The leader and deputy leader were in parliament. We paid tribute to Jack Dromey, trade union "
        "official, party treasurer and NEC member. Their co-chair Afzal Khan MP spoke. General secretary "
        "David Evans reported that the Forde inquiry was delayed; the Corbyn years were recalled.",
        "2022-01-25",
    )
    assert [(m.name, m.person_id) for m in p.mentions] == [
        ("The leader", "keir-starmer"),
        ("deputy leader", "angela-rayner"),
        ("Jack Dromey", "jack-dromey"),  # "party treasurer" describes him, it is not Diana Holland
        ("Afzal Khan", None),  # "co-chair" is not the NEC's chair; "MP" is not part of the name
        ("David Evans", "david-evans"),
    ]
    assert p.mentions[3].role is None


def test_a_name_wrapped_across_a_line_but_not_two_list_items() -> None:
    p = people(
        "The meeting opened with a warm welcome from Angela\nRayner and her report.\n\n"
        "Tributes to:\nEddie Lopez\nJanet Anderson",
        "2022-05-24",
    )
    assert [(m.name, m.person_id) for m in p.mentions] == [
        ("Angela Rayner", "angela-rayner"),
        ("Eddie Lopez", None),
        ("Janet Anderson", None),
    ]


def test_a_misspelt_first_name_of_someone_sitting_that_day() -> None:
    p = people("Annelise Dodds reported on the action plan. He and Annelise would meet.", "2023-03-28")
    (dodds,) = p.mentions
    assert dodds.person_id == "anneliese-dodds" and dodds.written == ("Annelise Dodds", "Annelise")


@pytest.mark.parametrize("author", ["Alice Perry", "Cllr Alice Perry", "aliceperry", "Alice Pery"])
def test_the_author_is_found_on_the_roster_as_blogs_write_them(author: str) -> None:
    paras = split_paragraphs("I asked about selections.")
    p = find_people(paras, Roster.shipped(), "2019-03-26", None, author)
    me = p.resolve("I", paras[0].id)
    assert (me.person_id, me.role) == ("alice-perry", "NEC member (Local government)")


def test_accented_names_and_someone_elses_first_name_before_a_roster_surname() -> None:
    p = people(
        "Zoë Williams and Sinéad O'Connor were quoted. Xanthe Williams wrote in. Darren Williams spoke. "
        "Zoe Williams agreed.",
        "2016-09-27",
    )
    assert [(m.name, m.person_id) for m in p.mentions] == [
        ("Zoë Williams", None),
        ("Sinéad O'Connor", None),
        ("Xanthe Williams", None),  # not Darren Williams
        ("Darren Williams", "darren-williams"),
    ]
    assert p.mentions[0].written == ("Zoë Williams", "Zoe Williams")


@pytest.mark.timeout(60)
def test_one_paragraph_of_thousands_of_names_titles_and_unknown_people_stays_linear() -> None:
    # a title looks only at the names around it, unknown spellings only within their initials
    body = "Ann Black said the Chair was right, and David Evans, the General Secretary, agreed. " * 5000
    letters = "abcdefghijklmnopqrstuvwxyz"
    body += " ".join(
        f"Alan Q{letters[i // 676]}{letters[i // 26 % 26]}{letters[i % 26]}son said no." for i in range(5000)
    )
    p = people(body, "2022-05-24")
    assert [m.name for m in p.mentions[:3]] == ["Ann Black", "the Chair", "David Evans"]
    # one-letter variants of one name join (close spellings of one person); every form is kept
    assert sum(len(m.written) for m in p.mentions[3:]) == 5000


def test_a_month_is_a_person_only_with_an_honorific_or_a_first_name() -> None:
    p = people(
        "After May's elections we meet in May. Theresa May's deal failed and Mrs May resigned.", "2019-03-26"
    )
    (may,) = p.mentions
    assert may.person_id == "theresa-may" and may.written == ("Theresa May", "Mrs May")


def test_the_leader_of_the_opposition_is_labours_leader_only_in_opposition() -> None:
    assert ids(people("The Leader of the Opposition spoke.", "2022-05-24")) == ["keir-starmer"]
    assert people("The Leader of the Opposition spoke.", "2025-05-24").mentions == ()
