"""The record's scorer (bench/eval_record.py) on tiny hand-made gold/prediction pairs, so the figures
it prints are known to be right; and the gold set itself: every quote verbatim in the report's body."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from eval_record import (
    Scores,
    evaluate,
    gold_set,
    in_body,
    load_gold,
    main,
    norm_name,
    report_input,
    score_report,
)

BODY = (
    "Keir Starmer and Shabana Mahmood moved and seconded a motion on the candidate.\n\n"
    "After a long debate the motion was carried by 22 votes to 12.\n\n"
    "We also agreed the new safeguarding policies unanimously.\n\n"
    "We noted the report of the Treasurer.\n\n"
    "Ann Black asked for time limits on disciplinary procedures."
)


def gold() -> dict[str, Any]:
    return {
        "id": "tiny",
        "title": "NEC Report – 28 March 2023",
        "published": "2023-03-30",
        "author": "Luke Akehurst",
        "body": BODY,
        "meeting": {"date": "2023-03-28", "kind": "full"},
        "decisions": [
            {
                "quote": "After a long debate the motion was carried by 22 votes to 12.",
                "also": ["Keir Starmer and Shabana Mahmood moved and seconded a motion on the candidate."],
                "subject": "motion on the candidate",
                "outcome": "carried",
                "manner": "contested",
                "votes_for": 22,
                "votes_against": 12,
                "abstentions": None,
                "mover": "Keir Starmer",
                "seconder": "Shabana Mahmood",
            },
            {
                "quote": "We also agreed the new safeguarding policies unanimously.",
                "subject": "safeguarding policies",
                "outcome": "agreed",
                "manner": "unanimous",
            },
            {
                "quote": "We noted the report of the Treasurer.",
                "subject": None,
                "outcome": "noted",
                "manner": None,
            },
        ],
        "people": [
            {"name": "Keir Starmer", "canonical": "Keir Starmer", "role": "Leader", "written": ["Keir"]},
            {"name": "Shabana Mahmood", "canonical": "Shabana Mahmood", "role": None},
            {"name": "Ann Black", "canonical": "Ann Black", "role": None},
            {"name": "Marta Cuffy", "canonical": None, "role": None},
        ],
        "statements": [
            {"speaker": "Ann Black", "quote": "Ann Black asked for time limits on disciplinary procedures."},
        ],
    }


def perfect(g: dict[str, Any]) -> dict[str, Any]:
    """The record a perfect extractor would give for `g`, in the inspect --json shape."""
    return {
        "meeting": dict(g["meeting"]),
        "decisions": [
            {
                k: d.get(k)
                for k in (
                    "quote",
                    "subject",
                    "outcome",
                    "manner",
                    "votes_for",
                    "votes_against",
                    "abstentions",
                    "mover",
                    "seconder",
                )
            }
            for d in g["decisions"]
        ],
        "people": [
            {
                "name": p["name"],
                "canonical": p["canonical"],
                "person_id": None,
                "role": p["role"],
                "paragraphs": [],
                "written": [],
            }
            for p in g["people"]
        ],
        "statements": [
            {"speaker": s["speaker"], "quote": s["quote"], "paragraph": "p"} for s in g["statements"]
        ],
    }


def scored(g: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    s = Scores()
    score_report(g, record, s)
    return s.as_json(misses=True)


def test_a_perfect_record_scores_one_everywhere() -> None:
    out = scored(gold(), perfect(gold()))
    for name in (
        "decisions",
        "people",
        "statements",
        "statement_speakers",
        "distinct_speakers",
        "mover_seconder",
        "vote_counts",
    ):
        assert out[name]["f1"] == 1.0, name
    for name in ("outcome", "manner", "canonical", "meeting_date", "meeting_kind"):
        assert out[name]["accuracy"] == 1.0, name
    assert out["vote_counts"]["stated"] == 2 and out["vote_counts"]["exact"] == 2
    assert out["vote_counts"]["invented"] == 0
    assert "misses" not in out or out["misses"] == {}


def test_one_missed_decision_gives_the_known_figures() -> None:
    record = perfect(gold())
    del record["decisions"][2]  # the noted Treasurer's report
    out = scored(gold(), record)
    assert out["decisions"] == {"precision": 1.0, "recall": 0.667, "f1": 0.8, "tp": 2, "fp": 0, "fn": 1}
    assert out["outcome"]["accuracy"] == 1.0 and out["outcome"]["n"] == 2
    assert out["misses"]["tiny"] == ["decision missed (noted): We noted the report of the Treasurer."]


def test_an_invented_count_is_detected_on_a_matched_and_on_an_unmatched_decision() -> None:
    record = perfect(gold())
    record["decisions"][1]["votes_for"] = 30  # gold: unanimous, no count stated
    record["decisions"].append(
        {
            "quote": "Ann Black asked for time limits on disciplinary procedures.",
            "outcome": "agreed",
            "votes_for": 5,
            "votes_against": 1,
        }
    )
    out = scored(gold(), record)
    counts = out["vote_counts"]
    assert (counts["invented"], counts["exact"], counts["missed"]) == (3, 2, 0)
    assert counts["precision"] == 0.4 and counts["recall"] == 1.0
    assert out["decisions"]["fp"] == 1 and out["decisions"]["precision"] == 0.75
    assert "count invented: votes_for=30: safeguarding policies" in out["misses"]["tiny"]


def test_missed_and_wrong_counts_outcome_and_manner() -> None:
    record = perfect(gold())
    first = record["decisions"][0]
    first.update(votes_for=21, votes_against=None, outcome="agreed", manner=None)
    out = scored(gold(), record)
    counts = out["vote_counts"]
    assert (counts["stated"], counts["exact"], counts["wrong"], counts["missed"]) == (2, 0, 1, 1)
    assert out["outcome"] == {"accuracy": 0.667, "right": 2, "n": 3}
    assert out["manner"] == {"accuracy": 0.667, "right": 2, "n": 3}


def test_a_decision_quoted_by_its_moving_sentence_still_matches() -> None:
    record = perfect(gold())
    record["decisions"][0]["quote"] = (
        "Keir Starmer and Shabana Mahmood moved and seconded a motion on the candidate."
    )
    assert scored(gold(), record)["decisions"]["f1"] == 1.0


def test_a_whole_paragraph_is_not_the_sentence() -> None:
    g = gold()
    g["decisions"] = g["decisions"][2:]
    record = perfect(g)
    record["decisions"][0]["quote"] = BODY  # the whole body as the "quote"
    out = scored(g, record)
    assert out["decisions"]["tp"] == 0 and out["decisions"]["fp"] == 1 and out["decisions"]["fn"] == 1


def test_two_decisions_in_one_sentence_are_told_apart_by_subject() -> None:
    g = gold()
    sentence = "We agreed the timetable for the Mayoral primary and the levy supporters pay (£3)."
    g["decisions"] = [
        {"quote": sentence, "subject": "timetable for the Mayoral primary", "outcome": "agreed"},
        {"quote": sentence, "subject": "supporters' levy (£3)", "outcome": "agreed"},
    ]
    one = scored(g, {"meeting": g["meeting"], "decisions": [{"quote": sentence, "outcome": "agreed"}]})
    assert one["decisions"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "tp": 1, "fp": 0, "fn": 1}
    both = scored(
        g,
        {
            "meeting": g["meeting"],
            "decisions": [
                {"quote": sentence, "subject": "the levy", "outcome": "agreed"},
                {"quote": sentence, "subject": "the timetable", "outcome": "agreed"},
            ],
        },
    )
    assert both["decisions"]["f1"] == 1.0


def test_people_match_by_written_form_and_canonical_accuracy_is_checked() -> None:
    record = perfect(gold())
    record["people"][0] = {"name": "Keir", "canonical": None}  # found, not resolved
    record["people"][3]["canonical"] = "Marta Cuffy"  # gold could not resolve: the written name is no guess
    record["people"].append({"name": "Angela", "canonical": "Angela Rayner"})  # not in the text's gold
    out = scored(gold(), record)
    assert out["people"] == {"precision": 0.8, "recall": 1.0, "f1": 0.889, "tp": 4, "fp": 1, "fn": 0}
    assert out["canonical"] == {"accuracy": 0.75, "right": 3, "n": 4}


def test_an_unresolved_full_name_is_its_canonical_a_first_name_or_misspelling_is_not() -> None:
    g = gold()
    g["people"] += [
        {"name": "Patrick Vernon OBE", "canonical": "Patrick Vernon", "role": None},
        {"name": "Humza Yusaf", "canonical": "Humza Yousaf", "role": None},
    ]
    record = perfect(g)
    for p in record["people"]:
        p["canonical"] = None
    record["people"][0]["name"] = "Keir"  # first name only, unresolved
    out = scored(g, record)
    assert out["people"]["f1"] == 1.0
    # right: Shabana Mahmood, Ann Black, Marta Cuffy (no gold canonical), Patrick Vernon OBE
    assert out["canonical"] == {"accuracy": 0.667, "right": 4, "n": 6}


def test_a_wrong_canonical_on_the_same_written_name_is_a_canonical_miss() -> None:
    record = perfect(gold())
    record["people"][2]["canonical"] = "Angela Eagle"
    out = scored(gold(), record)
    assert out["people"]["f1"] == 1.0
    assert out["canonical"]["right"] == 3


def test_statements_speakers_and_the_authors_i() -> None:
    g = gold()
    g["statements"].append({"speaker": "Luke Akehurst", "quote": "I voted in favour.", "vote": "for"})
    record = perfect(g)
    record["statements"][0]["speaker"] = "Shabana Mahmood"  # right sentence, wrong speaker
    record["statements"][1]["speaker"] = "I"  # the author, unresolved
    out = scored(g, record)
    assert out["statements"]["f1"] == 1.0
    assert out["statement_speakers"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "tp": 1,
        "fp": 1,
        "fn": 1,
    }
    assert out["distinct_speakers"]["tp"] == 1 and out["distinct_speakers"]["fp"] == 1


def test_mover_and_seconder_by_first_name_or_canonical() -> None:
    record = perfect(gold())
    record["decisions"][0].update(mover="Keir", seconder=None)
    out = scored(gold(), record)
    assert out["mover_seconder"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "tp": 1, "fp": 0, "fn": 1}


def test_optional_gold_is_neither_missed_nor_invented() -> None:
    g = gold()
    g["people"].append({"name": "Jo Cox", "canonical": "Jo Cox", "role": None, "optional": True})
    g["decisions"].append(
        {
            "quote": "Ann Black asked for time limits on disciplinary procedures.",
            "outcome": "referred",
            "optional": True,
        }
    )
    assert scored(g, perfect(gold()))["people"]["f1"] == 1.0
    with_optional = perfect(g)
    out = scored(g, with_optional)
    assert out["people"]["tp"] == 4 and out["people"]["fp"] == 0
    assert out["decisions"]["tp"] == 3 and out["decisions"]["fp"] == 0


def test_meeting_date_and_an_empty_record() -> None:
    out = scored(gold(), {"meeting": {"date": "2023-03", "kind": "full"}})
    assert out["meeting_date"] == {"accuracy": 0.0, "right": 0, "n": 1}
    assert out["meeting_kind"]["accuracy"] == 1.0
    assert out["decisions"]["recall"] == 0.0 and out["decisions"]["precision"] is None


def test_names_are_compared_without_honorifics_possessives_or_accents() -> None:
    assert norm_name("Anneliese Dodds MP") == norm_name("anneliese dodds")
    assert norm_name("Lord Michael Cashman") == "michael cashman"
    assert norm_name("Keir’s") == "keir"
    assert norm_name("Cllr Alice Perry") == "alice perry"
    assert norm_name("Alex Barros-Curtis") == "alex barros curtis"


def test_the_gold_body_path_runs_the_extractor() -> None:
    """A gold report carrying its own body goes through extract_record (whatever it returns)."""
    from eval_record import predict

    record = predict(report_input(gold()))
    assert set(record) >= {"meeting", "decisions", "people", "statements"}
    evaluate([gold()], lambda g: record)


# ---------------------------------------------------------------- the gold set itself

UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
)
UNITS += "seventeen eighteen nineteen"
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_word(n: int) -> str:
    """0-99 in words, as reports write counts ("twenty-two")."""
    if n < 20:
        return UNITS.split()[n]
    return TENS[n // 10] + ("" if n % 10 == 0 else "-" + UNITS.split()[n % 10])


GOLD = load_gold()
REAL = [g for g in GOLD if not g.get("synthetic")]


def test_the_gold_set_holds_the_thirteen_real_reports() -> None:
    assert len(REAL) == 13
    assert len({g["source"]["url"] for g in REAL}) == len(REAL)
    assert {gold_set(g) for g in GOLD} == {"real", "composed", "pages"}
    assert {g["source"]["seed"] for g in REAL} == {
        "000_0a187214f2ba0dec.txt",
        "001_18d5bd3fe91844db.txt",
        "002_f1e80eed3dac3883.txt",
        "003_68607076745157b7.txt",
        "004_c8b4d38960937502.txt",
    }


@pytest.mark.parametrize("g", GOLD, ids=[g["id"] for g in GOLD])
def test_every_gold_quote_and_name_is_verbatim_in_the_stored_body(g: dict[str, Any]) -> None:
    inp = report_input(g)
    assert (inp.title, str(inp.published), inp.author) == (g["title"], g["published"], g["author"])
    for d in g["decisions"]:
        assert d["outcome"] in ("carried", "agreed", "rejected", "noted", "referred", "other")
        assert d.get("manner") in (None, "unanimous", "acclamation", "consensus", "contested")
        for q in [d["quote"], *d.get("also", ())]:
            assert in_body(q, inp.body_text), q
        for f in ("votes_for", "votes_against", "abstentions"):
            if d.get(f) is not None:  # a count is annotated only where the sentence states it
                stated = " ".join([d["quote"], *d.get("also", ())]).lower()
                assert str(d[f]) in stated or number_word(d[f]) in stated, (f, d[f])
    for s in g["statements"]:
        assert in_body(s["quote"], inp.body_text), s["quote"]
    for p in g["people"]:
        for name in [p["name"], *p.get("written", ())]:
            assert in_body(name, inp.body_text), name


def test_the_scorer_runs_end_to_end_on_the_gold_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--misses", "--set", "all"]) == 0
    assert f'"reports": {len(GOLD)}' in capsys.readouterr().out
    assert main(["--set", "composed"]) == 0
    composed = sum(gold_set(g) == "composed" for g in GOLD)
    assert composed >= 5 and f"reports: {composed}" in capsys.readouterr().out


def test_a_gold_copy_is_not_changed_by_scoring() -> None:
    g = gold()
    before = copy.deepcopy(g)
    scored(g, perfect(g))
    assert g == before
