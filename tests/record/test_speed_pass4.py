"""The shared scans of issue 19's fourth speed pass read what the code they replace read.

Each fast path is run against the path it replaces (the regex that never skips, the per-sentence
findall, the regex without its gate) on composed reports and on random texts of the words each path
reads. The whole record is checked byte for byte by bench/record_equivalence.py.
"""

from __future__ import annotations

import random
import re
import string

import pytest

from necwatch.record import decisions, outcomes, people
from necwatch.record.scan import scan
from necwatch.record.text import folds_as_ascii, lower_keeps_words

WORDS = [
    "The",
    "We",
    "NEC",
    "It",
    "Labour",
    "Labour’s",
    "THE",
    "NEC’s",
    "Keir",
    "Starmer",
    "Angela",
    "Rayner",
    "Ann",
    "Black",
    "Luke",
    "Akehurst",
    "de",
    "van",
    "la",
    "Le",
    "Cllr",
    "Cllr.",
    "Dr.",
    "Lord",
    "Baroness",
    "MP",
    "OBE",
    "General",
    "Secretary",
    "Treasurer",
    "Chair",
    "Leader’s",
    "report",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "meeting",
    "agreed",
    "carried",
    "passed",
    "voted",
    "vote",
    "votes",
    "22",
    "12",
    "22-12",
    "did",
    "not",
    "consensus",
    "thanks",
    "moved",
    "seconded",
    "forward",
    "Finally",
    "However",
    "Co-operative",
    "co-operative",
    "working-class",
    "Members",
    "Zoë",
    "Sinéad",
    "café",
    "ſecretary",
    "İtem",
    "ıtem",
    "Keir",
    "Lab",
    "Labourite",
    "Theo",
    "Wes",
    "Angela\nRayner",
]
ENDS = (". ", ", ", " ", "\n", "\n\n", ": ", "; ", " (", ") ", " “", "” ", "’ ", "-", " 3 ", "  ", "\t")


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(WORDS) + rng.choice(ENDS) for _ in range(rng.randint(1, 60))) for _ in range(n)
    ]


COMPOSED = [
    "The NEC met on 23 January. The meeting agreed the timetable. The Leader, Keir Starmer, reported.",
    "We de la Cruz moved the motion. THE NEC agreed it by 22 votes to 12.",
    "Labour’s General Secretary David Evans said the NEC. Dr. Smith and Cllr. Alice Perry spoke.",
    "Angela\nRayner gave the Deputy Leader’s report; Co-operative party members asked about it.",
    "The 22 members. The (new) rules. The “Leader” spoke. NEC’s view – The end",
]


def test_a_sentence_is_quiet_by_its_paragraphs_cue_words_as_by_its_own_words() -> None:
    for text in COMPOSED + _texts(5, 300):
        sc = scan(text)
        if sc.low is None:
            continue
        cues = sc.words & decisions._CUE_WORDS
        firsts = cues & outcomes.FIRST_WORDS
        for a in range(0, len(text), 7):
            for b in (a + 1, a + 15, a + 60, len(text)):
                s = text[a:b]
                if not s.strip() or sc.cut_at(a, a + len(s)):
                    continue
                low = s.lower()
                assert decisions._quiet_cued(s, low, cues) == decisions._quiet_low(s, low), s
                assert outcomes.verb_matches(s, firsts) == outcomes.verb_matches(s), s


def test_cut_at_tells_a_span_that_splits_a_word() -> None:
    sc = scan("The NEC agreed it.")
    assert sc.cut_at(0, 7) is False and sc.cut_at(4, 18) is False
    assert sc.cut_at(5, 18) is True and sc.cut_at(0, 6) is True


def test_lower_keeps_every_word_a_case_insensitive_pattern_matches() -> None:
    # the four characters re.IGNORECASE matches with an ASCII letter are the only ones ruled out
    folding = [chr(c) for c in range(0x80, 0x10000) if re.fullmatch("[a-z]", chr(c), re.IGNORECASE)]
    assert sorted(folding) == sorted("\u0130\u0131\u017f\u212a")
    for c in folding:
        assert not lower_keeps_words(f"the chair {c}")
    for text in ("Sinéad Chair’s report", "ZOË the LEADER", "café – Treasurer"):
        assert lower_keeps_words(text) and not folds_as_ascii(text)
        low = text.lower()
        for word in ("chair", "leader", "treasurer"):
            for m in re.finditer(word, text, re.IGNORECASE):
                assert low[m.start() : m.end()] == word
    for w in string.ascii_letters:
        assert lower_keeps_words(w)


def test_the_gates_on_text_that_does_not_fold_as_ascii_find_the_same_titles() -> None:
    for text in _texts(6, 200):
        titles = [m.span() for m in people._TITLE.finditer(text)]
        assert [m.span() for m in people._title_matches(text)] == titles
        if titles:
            assert people._may_name_office(text)


ITEM_TEXT = (
    "Our first substantive item was the budget. The next  item\nwas rules. Finally, we agreed the plan. "
    "We then\n discussed selections. There followed a debate on Gaza. A further item was the NCC. "
    "The rest of the meeting was spent on conference. Moving on to the CAC, Treasurer’s report: ok. "
    "Keir Starmer gave the Leader’s report. The General Secretary reported. Members asked. Next, "
    "we heard from the Chair. First up was the EPLP. Item 5 was disputes. In the afternoon we had "
    "a session on https://x.org/a?utm_source=y the `code` here. The NEC then moved on to the budget."
)
ITEM_WORDS = ITEM_TEXT.split(" ")


def test_the_item_gate_opens_the_same_items(monkeypatch: pytest.MonkeyPatch) -> None:
    from necwatch.record import items
    from necwatch.record.text import split_paragraphs

    rng = random.Random(7)
    texts = [
        "\n\n".join(
            " ".join(rng.choice(ITEM_WORDS) for _ in range(rng.randint(1, 25)))
            for _ in range(rng.randint(1, 8))
        )
        for _ in range(400)
    ]
    fast = [items.find_items(split_paragraphs(t)) for t in texts]
    monkeypatch.setattr(items, "_no_cue", lambda first: False)
    slow = [items.find_items(split_paragraphs(t)) for t in texts]
    assert fast == slow
    assert sum(len(f) for f in fast) > 30
