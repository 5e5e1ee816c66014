"""dedupe: exact keys and near duplicates on real NEC report texts (tests/fixtures/normalize)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from necwatch.dedupe import (
    BANDS,
    THRESHOLD,
    ShingleIndex,
    Shingles,
    band_keys,
    exact_key,
    find_near_duplicate,
    shingles,
    similarity,
)
from necwatch.normalize import content_hash

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
INDEX = json.loads((FIXTURES / "reports.json").read_text(encoding="utf-8"))
TEXTS = {r["file"]: (FIXTURES / "reports" / r["file"]).read_text(encoding="utf-8") for r in INDEX}
AUTHOR = {r["file"]: r["author"] for r in INDEX}
# Real reports only (the Clause V explainer is not one, but stays in the "different" pool).
REPORTS = [r["file"] for r in INDEX if r["is_nec_report"]]

LUKE_2024 = "akehurst-2024-01-24-nec-report-23-january-2024.txt"
PERRY_MAR_2019 = "perry-2019-03-27-labour-nec-report-march-2019.txt"
PERRY_JAN_2019 = "perry-2019-01-30-labour-nec-report-january-2019.txt"


def _paras(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def republished(text: str, author: str) -> str:
    """A LabourList-style copy: byline, standfirst, straight quotes, NBSP, share chrome."""
    body = text.replace("’", "'").replace("“", '"').replace("”", '"').replace(" the ", " the\u00a0")
    return (
        f"By {author}\n\n{author} reports back from the latest meeting of Labour's national executive "
        f"committee. This report first appeared on {author}'s blog.\n\n{body}\n\n"
        "Share this:\nTwitter\nFacebook\nLike this:\nLike Loading...\nRelated"
    )


def typo_fixed(text: str, author: str) -> str:
    words = text.split(" ")
    i = next(j for j in range(len(words) // 2, len(words)) if len(words[j]) >= 5 and words[j].isalpha())
    words[i] = words[i][0] + words[i][2] + words[i][1] + words[i][3:]
    return " ".join(words)


def paragraph_added(text: str, author: str) -> str:
    paras = _paras(text)
    extra = (
        "Update: the General Secretary has since written to all constituency parties confirming the "
        "timetable agreed at the meeting, and guidance for members will follow this month."
    )
    at = max(1, len(paras) // 3)
    return "\n\n".join([*paras[:at], extra, *paras[at:]])


def standfirst(text: str, author: str) -> str:
    return f"{author} is a member of Labour's National Executive Committee.\n\n{text}"


# --------------------------------------------------------------------------- exact


def test_exact_key_is_the_content_hash() -> None:
    text = TEXTS[LUKE_2024]
    assert exact_key(text) == content_hash(text)
    noisy = text.replace("’", "'").replace("\n\n", "\n").replace(" – ", " — ")
    assert exact_key(noisy) == exact_key(text)
    assert exact_key(typo_fixed(text, "")) != exact_key(text)


# --------------------------------------------------------------------------- near: measured cases


@pytest.mark.parametrize("edit", [republished, typo_fixed, paragraph_added, standfirst])
@pytest.mark.parametrize("name", REPORTS)
def test_same_report_scores_above_threshold(name: str, edit: Callable[[str, str], str]) -> None:
    text = TEXTS[name]
    assert similarity(text, edit(text, AUTHOR[name])) >= THRESHOLD


def test_different_reports_score_far_below_threshold() -> None:
    """Every pair of distinct real texts, Alice Perry's shared boilerplate included."""
    sh = {name: shingles(text) for name, text in TEXTS.items()}
    worst = max(sh[a].jaccard(sh[b]) for a, b in itertools.combinations(sh, 2))
    assert worst < THRESHOLD / 10


def test_same_author_boilerplate_is_shared_but_small() -> None:
    # Both reports link the same LGA parental-leave page in the same words.
    score = similarity(TEXTS[PERRY_MAR_2019], TEXTS[PERRY_JAN_2019])
    assert 0 < score < 0.05


def test_similarity_basics() -> None:
    text = TEXTS[LUKE_2024]
    assert similarity(text, text) == 1.0
    para = _paras(text)[0]
    assert similarity(para, para.upper()) == 1.0  # casefolded for comparison (the hash keeps case)
    assert similarity("", "") == 1.0
    assert similarity("", text) == 0.0
    assert similarity("NEC Report", "NEC report") == 1.0  # shorter than a shingle: one shingle
    a, b = shingles(text), shingles(paragraph_added(text, ""))
    assert similarity(a, b) == similarity(text, paragraph_added(text, "")) == b.jaccard(a)


def test_shingles_are_stable_across_processes() -> None:
    """blake2b, not hash(): stored shingles stay comparable after a restart."""
    assert shingles("The NEC meeting on 23 January began with obituaries").hashes == frozenset(
        shingles("the NEC meeting on 23 January began with obituaries").hashes
    )
    assert len(shingles("one two three four five six")) == 2
    assert isinstance(shingles("x"), Shingles)


# --------------------------------------------------------------------------- find / index


def _stored() -> list[tuple[str, Shingles]]:
    return [(name, shingles(text)) for name, text in TEXTS.items()]


def test_find_near_duplicate_finds_the_republished_copy() -> None:
    copy = republished(TEXTS[PERRY_MAR_2019], "Alice Perry")
    found = find_near_duplicate(copy, _stored())
    assert found is not None and found[0] == PERRY_MAR_2019 and found[1] >= THRESHOLD
    # Raw text candidates work too, and give the same answer.
    assert find_near_duplicate(copy, TEXTS.items()) == found


def test_find_near_duplicate_none_for_a_new_report() -> None:
    stored = [(n, s) for n, s in _stored() if n != LUKE_2024]
    assert find_near_duplicate(TEXTS[LUKE_2024], stored) is None
    assert find_near_duplicate(TEXTS[LUKE_2024], []) is None


def test_find_near_duplicate_picks_the_best_and_respects_threshold() -> None:
    text = TEXTS[PERRY_JAN_2019]
    candidates = [("edit", paragraph_added(text, "")), ("same", text), ("other", TEXTS[LUKE_2024])]
    assert find_near_duplicate(text, candidates) == ("same", 1.0)
    score = similarity(text, paragraph_added(text, ""))
    assert find_near_duplicate(text, candidates[:1], threshold=score) == ("edit", score)
    assert find_near_duplicate(text, candidates[:1], threshold=min(1.0, score + 0.01)) is None


def test_shingle_index_agrees_with_linear_search() -> None:
    index: ShingleIndex[str] = ShingleIndex()
    for name, sh in _stored():
        index.add(name, sh)
    assert len(index) == len(TEXTS)
    for name, text in TEXTS.items():
        for probe in (text, republished(text, AUTHOR[name]), typo_fixed(text, "")):
            assert index.query(probe) == find_near_duplicate(probe, _stored())
        assert index.query(text, exclude=name) is None  # itself excluded, nothing else is close


def test_shingle_index_replace_and_remove() -> None:
    index: ShingleIndex[int] = ShingleIndex()
    index.add(1, TEXTS[LUKE_2024])
    index.add(1, TEXTS[PERRY_MAR_2019])  # a new version replaces the old
    assert index.query(TEXTS[LUKE_2024]) is None
    assert index.query(TEXTS[PERRY_MAR_2019]) == (1, 1.0)
    index.remove(1)
    index.remove(1)  # no error
    assert len(index) == 0 and index.query(TEXTS[PERRY_MAR_2019]) is None
    assert index.query("") is None


# --------------------------------------------------------------------------- min-hash bands (LSH)


@pytest.mark.parametrize("edit", [republished, typo_fixed, paragraph_added, standfirst])
def test_every_measured_same_report_pair_shares_a_band(edit: Callable[[str, str], str]) -> None:
    for name in REPORTS:
        text = TEXTS[name]
        assert set(band_keys(text)) & set(band_keys(edit(text, AUTHOR[name]))), name


def test_different_real_reports_share_no_band() -> None:
    keys = {name: set(band_keys(text)) for name, text in TEXTS.items()}
    shared = [(a, b) for a, b in itertools.combinations(keys, 2) if keys[a] & keys[b]]
    assert shared == []


def test_bands_find_pairs_at_the_threshold_almost_always() -> None:
    """Pairs cut to Jaccard 0.30-0.45 from the real texts (a prefix of one, a suffix of the other):
    the bands must put nearly all of them in a shared bucket (1 - (1 - s²)⁴⁸ ≥ 0.989 per pair)."""
    pairs = []
    for text in TEXTS.values():
        words = text.split()
        n = len(words)
        for overlap in (0.31, 0.35, 0.39, 0.43):
            cut = int(n * (1 - overlap) / 2)
            a, b = " ".join(words[: n - cut]), " ".join(words[cut:])
            if THRESHOLD <= similarity(a, b) <= 0.45:
                pairs.append((a, b))
    assert len(pairs) >= 20
    found = sum(1 for a, b in pairs if set(band_keys(a)) & set(band_keys(b)))
    assert found >= len(pairs) - 1


def test_band_keys_are_stable_31_bit_values() -> None:
    """Stored in SQLite (4 bytes each): the same text gives the same keys in any process."""
    text = TEXTS[LUKE_2024]
    keys = band_keys(text)
    assert len(keys) == BANDS and all(0 <= k < 2**31 for k in keys)
    path = str(FIXTURES / "reports" / LUKE_2024)
    code = f"from necwatch.dedupe import band_keys; print(band_keys(open({path!r}).read()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert out.stdout.strip() == str(keys)
    assert band_keys("") == [] and band_keys("x") == band_keys("X")
