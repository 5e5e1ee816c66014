"""The shipped roster (Popolo data, every period sourced) and the operator's `people:` extension."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from necwatch.config import config_from_dict, load_config
from necwatch.errors import ConfigError
from necwatch.record.roster import Roster, parse_partial_date, roster_for


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture(scope="module")
def shipped() -> Roster:
    return Roster.shipped()


def test_the_shipped_roster_is_popolo_and_every_membership_is_sourced(shipped: Roster) -> None:
    ids = [p["id"] for p in shipped.persons]
    assert len(ids) == len(set(ids)) >= 100
    orgs = {o["id"] for o in shipped.organizations}
    assert orgs == {"nec", "labour-party", "government"}
    for p in shipped.persons:
        assert p["name"] and all(isinstance(o["name"], str) for o in p["other_names"])
    for m in shipped.memberships:
        assert m["person_id"] in shipped.by_id, m
        assert m["organization_id"] in orgs, m
        assert m["source"], m  # a URL, or "general knowledge; to verify"
        start, end = parse_partial_date(m["start_date"]), parse_partial_date(m["end_date"], end=True)
        assert start is not None, m
        assert end is None or start <= end, m


def test_shipped_is_read_once_per_process() -> None:
    assert Roster.shipped() is Roster.shipped()
    assert Roster.shipped().names is Roster.shipped().names


@pytest.mark.parametrize(
    ("office", "day", "holder"),
    [
        ("leader", "2012-03-01", "ed-miliband"),
        ("leader", "2015-07-01", "harriet-harman"),  # acting, between Miliband and Corbyn
        ("leader", "2017-01-24", "jeremy-corbyn"),
        ("leader", "2020-04-03", "jeremy-corbyn"),
        ("leader", "2020-04-04", "keir-starmer"),  # a handover day known to the day: the newcomer
        ("deputy leader", "2013-05-01", "harriet-harman"),
        ("deputy leader", "2018-05-01", "tom-watson"),
        ("deputy leader", "2022-05-24", "angela-rayner"),
        ("general secretary", "2010-01-26", "ray-collins"),
        ("general secretary", "2015-01-27", "iain-mcnicol"),
        ("general secretary", "2019-07-09", "jennie-formby"),
        ("general secretary", "2022-01-25", "david-evans"),
        ("general secretary", "2025-03-01", "hollie-ridley"),
        ("treasurer", "2009-05-01", "jack-dromey"),
        ("treasurer", "2016-03-01", "diana-holland"),
        ("treasurer", "2023-03-01", "mike-payne"),
        ("chair", "2021-01-26", "margaret-beckett"),
        ("chair", "2021-11-30", "alice-perry"),
        ("vice-chair", "2021-01-26", "alice-perry"),
        ("eplp leader", "2014-02-01", "glenis-willmott"),
        ("scottish leader", "2016-03-01", "kezia-dugdale"),
        ("welsh leader", "2020-03-01", "mark-drakeford"),
        ("prime minister", "2025-01-01", "keir-starmer"),
    ],
)
def test_office_holders_by_date(shipped: Roster, office: str, day: str, holder: str) -> None:
    assert shipped.holder(office, d(day)) == holder


def test_a_day_in_a_partly_known_month_with_two_possible_holders_has_none(shipped: Roster) -> None:
    # chairs change "2016-09" (month only): on 20 September either could have been in the chair
    assert shipped.holder("chair", d("2016-09-20")) is None
    assert shipped.holder("chair", d("2016-11-20")) == "glenis-willmott"
    assert shipped.holder("prime minister", d("2019-01-01")) is None  # not a Labour one: not on the roster
    assert shipped.holder("leader", None) is None


def test_roles_on_a_date(shipped: Roster) -> None:
    assert shipped.role("keir-starmer", d("2021-06-01")) == "Leader"
    assert shipped.role("keir-starmer", d("2025-06-01")) == "Leader"  # also Prime Minister: Leader first
    assert shipped.role("ann-black", d("2022-05-24")) == "NEC member (CLP)"
    assert shipped.role("ann-black", d("2019-05-24")) is None  # lost her seat in 2018, back in 2020
    assert shipped.role("harriet-harman", d("2015-07-01")) == "Leader (acting)"
    assert shipped.role("glenis-willmott", d("2016-09-20")) == "EPLP Leader"  # Chair only "2016-09"
    assert shipped.active("luke-akehurst", d("2021-01-01"))
    assert not shipped.active("luke-akehurst", d("2016-01-01"))


def test_partial_dates_span_their_period() -> None:
    assert parse_partial_date("2018") == date(2018, 1, 1)
    assert parse_partial_date("2018", end=True) == date(2018, 12, 31)
    assert parse_partial_date("2016-02", end=True) == date(2016, 2, 29)
    assert parse_partial_date("2018-03-20") == date(2018, 3, 20)
    assert parse_partial_date(None) is None
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_partial_date("March 2018")


def test_the_alias_index_knows_full_names_first_names_surnames_and_other_names(shipped: Roster) -> None:
    names = shipped.names
    assert names.full[("keir", "starmer")] == {"keir-starmer"}
    assert names.full[("gurinder", "josan")] == {"gurinder-singh-josan"}  # middle name dropped
    assert names.full[("jenny", "formby")] == {"jennie-formby"}  # a common misspelling
    assert "keir-starmer" in names.single["keir"]
    assert "jeremy-corbyn" in names.single["jc"]
    assert {"angela-rayner", "angela-eagle"} <= names.single["angela"]
    assert "keir" in names.given and "eddie" in names.given and "islington" not in names.given


# --- the operator's extension ---


def test_roster_for_adds_people_and_merges_a_shipped_id() -> None:
    roster = roster_for(
        [
            {
                "id": "eddie-lopez",
                "name": "Eddie Lopez",
                "other_names": ["Cllr Lopez"],
                "memberships": [
                    {"organization": "nec", "role": "NEC member", "section": "Local government",
                     "start_date": "2024-09-17", "end_date": None, "source": "results page"}
                ],
            },
            {"id": "keir-starmer", "other_names": ["KS", "Keir"]},
            {  # a correction: same organization, role and start date as a shipped membership
                "id": "mike-payne",
                "memberships": [
                    {"organization": "labour-party", "role": "Treasurer", "start_date": "2022-09",
                     "end_date": "2026-09", "source": "operator"}
                ],
            },
        ]
    )  # fmt: skip
    assert roster.name("eddie-lopez") == "Eddie Lopez"
    assert roster.role("eddie-lopez", d("2025-01-01")) == "NEC member (Local government)"
    assert roster.names.full[("eddie", "lopez")] == {"eddie-lopez"}
    assert roster.other_names("keir-starmer").count("Keir") == 1  # no duplicate alias
    assert "KS" in roster.other_names("keir-starmer")
    assert "keir-starmer" in roster.names.single["ks"]
    payne = [m for m in roster.memberships if m["person_id"] == "mike-payne"]
    assert len(payne) == len([m for m in Roster.shipped().memberships if m["person_id"] == "mike-payne"])
    assert any(m["end_date"] == "2026-09" and m["source"] == "operator" for m in payne)
    assert roster.holder("treasurer", d("2026-12-01")) is None
    # the shipped roster is untouched
    assert "eddie-lopez" not in Roster.shipped().by_id
    assert roster_for(None) is Roster.shipped()


def test_roster_for_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"people\[0\] \(eddie-lopez\)\.name: a new person needs a name"):
        roster_for([{"id": "eddie-lopez"}])
    with pytest.raises(ConfigError, match=r"people\[0\] \(ann-black\)\.memberships\[0\]\.start_date"):
        roster_for([{"id": "ann-black", "memberships": [{"start_date": "last year"}]}])


def _config_error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, file="config.yaml")
    return str(info.value)


def test_config_people_is_validated_with_errors_naming_file_and_field() -> None:
    assert "config.yaml: people[0] (eddie-lopez).name: a new person needs a name" in _config_error(
        {"people": [{"id": "eddie-lopez"}]}
    )
    assert "people[0] (Eddie Lopez).id: String should match pattern" in _config_error(
        {"people": [{"id": "Eddie Lopez", "name": "Eddie Lopez"}]}
    )
    assert "people[0] (keir-starmer).nickname: unknown key" in _config_error(
        {"people": [{"id": "keir-starmer", "nickname": "Keir"}]}
    )
    assert "people[0] (ann-black).memberships[0].start_date: not a date: '2024-13-01'" in _config_error(
        {"people": [{"id": "ann-black", "memberships": [{"start_date": "2024-13-01"}]}]}
    )
    assert "end_date: 2023 is before start_date 2024-05" in _config_error(
        {"people": [{"id": "ann-black", "memberships": [{"start_date": "2024-05", "end_date": 2023}]}]}
    )
    assert "people[1].id: 'ann-black' is listed twice" in _config_error(
        {"people": [{"id": "ann-black"}, {"id": "ann-black"}]}
    )


def test_config_yaml_people_reach_the_roster(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "people:\n"
        "  - id: eddie-lopez\n"
        "    name: Eddie Lopez\n"
        "    other_names: [Eddie]\n"
        "    memberships:\n"
        "      - {section: CLP, start_date: 2024-09-17, end_date: null}\n"  # YAML reads a date here
        "  - id: jennie-formby\n"
        "    other_names: [Jenny F]\n",
        encoding="utf-8",
    )
    config = load_config(path)
    roster = roster_for(config.people_dicts())
    lopez = [m for m in roster.memberships if m["person_id"] == "eddie-lopez"]
    assert lopez == [
        {"person_id": "eddie-lopez", "organization_id": "nec", "role": "NEC member", "section": "CLP",
         "start_date": "2024-09-17", "end_date": None, "source": "config.yaml"}
    ]  # fmt: skip
    assert "Jenny F" in roster.other_names("jennie-formby")


def test_the_shipped_config_yaml_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "config.yaml")
    roster_for(config.people_dicts())


def test_the_same_people_give_the_same_roster_object() -> None:
    people = [{"id": "eddie-lopez", "name": "Eddie Lopez"}]
    first = roster_for(people)
    assert roster_for([dict(p) for p in people]) is first  # one index per config, not per report
    assert roster_for([{"id": "eddie-lopez", "name": "Eddie Lopes"}]) is not first
