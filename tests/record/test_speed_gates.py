"""The gates of issue 19's third speed pass skip only work that finds nothing (issue 19's speed).

Each gate is checked against the path it skips: the same text run through the full code (a text
that does not fold as ASCII never takes a gate, so appending "é" to a sentence, where it adds no
word any pattern reads, gives the reference), or the loop it replaces written out again here.
The whole record is checked byte for byte by bench/record_equivalence.py.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import replace

from necwatch.record.decisions import _quiet, find_decisions
from necwatch.record.items import FIRST_SENTENCE_MAX_CHARS, _first_sentence, _normalized
from necwatch.record.model import Paragraph
from necwatch.record.people import _TITLE, _title_matches
from necwatch.record.text import folds_as_ascii, sentences, split_paragraphs
from necwatch.record.votes import find_counts

SENTENCES = [
    "The motion was carried by 22 votes to 12 with 3 abstentions.",
    "Twenty-two voted for and twelve against; none abstained.",
    "It passed 22–12 after a long debate about the candidates’ list.",
    "The vote was 14 for, 9 against.",
    "Our candidates and their candidacy were discussed in 2024.",
    "The Treasurer’s report: income was £5 million, up 10.4 per cent.",
    "The NEC agreed the timetable – one to one meetings will follow.",
    "Members devoted time to the 3 motions; nobody voted against it.",
    "We didn’t agree the rule change, 12 v 10.",
    "Thanks were placed on record for the General Secretary’s work.",
    "There was consensus on the procedures for selections.",
    "Jo Smith moved and Sam Carter seconded the motion, put forward by the Left.",
    "Members discussed the campaign in some detail.",
]


def test_the_characters_that_fold_as_ascii_fold_as_re_ignorecase_does() -> None:
    safe = [chr(c) for c in range(0x80, 0x10000) if folds_as_ascii(chr(c))]
    assert "’" in safe and "–" in safe and "£" in safe and "•" in safe
    for c in safe:
        assert c.lower() == c == c.upper() and not c.isalpha(), repr(c)
        for a in string.ascii_letters:
            assert re.match(a, c, re.IGNORECASE) is None, (a, c)
    for c in ("é", "µ", "ª", "\u212a", "\u017f", "\u0130", "\u0131", "Ω"):
        assert not folds_as_ascii(f"abc {c}")


def test_find_counts_finds_what_the_full_battery_finds() -> None:
    for s in SENTENCES:
        assert folds_as_ascii(s)
        assert find_counts(s) == find_counts(s + " é"), s


def test_a_quiet_sentence_gives_no_decision_through_the_full_battery() -> None:
    quiet = [s for s in SENTENCES if _quiet(s)]
    assert "Members discussed the campaign in some detail." in quiet
    assert "Our candidates and their candidacy were discussed in 2024." in quiet  # "did" inside words
    for s in quiet:
        loud = s[:-1] + " é."  # not ASCII-folding: the full battery reads it
        assert find_decisions(split_paragraphs(loud), ()) == (), s
    for s in SENTENCES:  # the same decisions, bar the quote and its paragraph
        fast, full = (find_decisions(split_paragraphs(t), ()) for t in (s, s[:-1] + " é."))
        assert [replace(d, quote="", paragraph="") for d in fast] == [
            replace(d, quote="", paragraph="") for d in full
        ], s


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    vocab = (  # noqa: SIM905
        "the our Labour's labour’s the party's NEC's nec acting interim new incoming outgoing party deputy "
        "leader Leader eplp EPLP of general secretary Gen.Sec gen sec Gen. Sec treasurer vice-chair vice "
        "chair chairman Chair prime minister leadership chairs secretariat a word , . said former co- ’ – £"
    ).split()
    seps = [" ", " ", " ", "", "-", ".", "\n", "  ", " " * 9, "\t", " " * 40]
    return [
        "".join(rng.choice(vocab) + rng.choice(seps) for _ in range(rng.randint(1, 150))) for _ in range(n)
    ]


def test_title_matches_are_the_regex_matches() -> None:
    for t in _texts(19, 1500):
        want = [(m.span(), m.groupdict()) for m in _TITLE.finditer(t)]
        assert [(m.span(), m.groupdict()) for m in _title_matches(t)] == want, t


def test_first_sentence_from_the_paragraph_split_is_the_head_split() -> None:
    rng = random.Random(11)
    words = "The NEC Mr. Dr. J. No. 10 agreed . ! ? … ” ’ ) a word Smith e.g. U.K. 3 £5 ‘ “ said".split()  # noqa: SIM905
    for _ in range(1500):
        seps = ["", " ", "  ", "\n", ".", ". "]
        t = " ".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(80, 200))).strip()
        head = t[:FIRST_SENTENCE_MAX_CHARS]
        spans = sentences(head)
        want = _normalized(head[spans[0][0] : spans[0][1]]) if spans else ""
        assert _first_sentence(Paragraph(id="p", index=0, text=t)) == want, t
