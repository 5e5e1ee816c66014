"""Diffs of pathological edits are bounded (issue 18, "Diffs of pathological edits hang"): 1,500
near-identical paragraphs edited, and one 12,000-word paragraph of tallies with every tally changed,
made difflib's word matcher run for minutes inside the edit's poll. Their diffs now finish at once
(pytest-timeout is the safety net, not a timing assert), and an ordinary edit of a long text reads
exactly as the direct word match gives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from necwatch import diffs
from necwatch.replay import ReplayWeb
from tests.tracking.helpers import NEW_POST_ID, Timeline

pytestmark = pytest.mark.timeout(120)


def near_identical(n: int, *, edited: bool) -> str:
    return "\n".join(
        f"The committee noted item {i % 10} and agreed it"
        f" {'with an amendment' if edited and i % 3 == 0 else 'as moved'}."
        for i in range(n)
    )


def tallies(words: int, shift: int) -> str:
    parts = (
        f"Ward {i % 7}: For {(i * 7 + shift) % 13} Against {(i * 3 + shift) % 5}." for i in range(words // 6)
    )
    return "Results\n" + " ".join(parts)


CASES = {
    "1,500 near-identical paragraphs edited": (
        near_identical(1500, edited=False),
        near_identical(1500, edited=True),
    ),
    "12,000-word paragraph, every tally changed": (tallies(12_000, 0), tallies(12_000, 1)),
}


@pytest.mark.parametrize("case", CASES)
def test_pathological_edits_diff_in_bounded_time(case: str) -> None:
    old, new = CASES[case]
    unified = diffs.unified(old, new)
    assert unified.startswith("--- before")
    assert "{+" in diffs.words(old, new)
    added, removed = diffs.summary(old, new).split()[:2]
    assert int(added[1:]) > 0 and int(removed[1:]) > 0
    assert "<ins>" in diffs.html(unified)


def test_the_near_identical_edit_still_shows_each_changed_paragraph() -> None:
    old, new = CASES["1,500 near-identical paragraphs edited"]
    summary = diffs.summary(old, new)
    assert summary == f"+{3 * 500} −{2 * 500} words"  # "as moved" → "with an amendment", 500 times


PARAGRAPHS = [
    f"Paragraph {i}: the NEC heard a report on item {i} from the General Secretary and agreed it."
    for i in range(200)
]


def test_an_ordinary_edit_of_a_long_text_reads_as_the_direct_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over WORD_PAIRS words are matched paragraph first: for edits within paragraphs and an
    inserted paragraph, the result is the direct match's, word for word."""
    edited = list(PARAGRAPHS)
    edited[10] = edited[10].replace("heard", "discussed")
    edited.insert(50, "A paragraph the author added later.")
    edited[150] += " The vote was 20 to 3."
    old, new = "\n".join(PARAGRAPHS), "\n".join(edited)
    assert len(old.split()) * len(new.split()) > diffs.WORD_PAIRS  # the paragraph-first path
    bounded = (diffs.words(old, new), diffs.summary(old, new), diffs.html(diffs.unified(old, new)))
    monkeypatch.setattr(diffs, "WORD_PAIRS", 10**12)
    assert bounded == (diffs.words(old, new), diffs.summary(old, new), diffs.html(diffs.unified(old, new)))


def test_a_deleted_paragraph_of_a_long_text_reads_deleted_whole() -> None:
    edited = PARAGRAPHS[:120] + PARAGRAPHS[121:]
    words = diffs.words("\n".join(PARAGRAPHS), "\n".join(edited))
    assert f"[-{PARAGRAPHS[120]}-]" in words
    assert "{+" not in words


def test_a_pathological_edit_in_a_real_run_is_stored_with_its_diff(web: ReplayWeb, tmp_path: Path) -> None:
    old, new = CASES["1,500 near-identical paragraphs edited"]
    tl = Timeline.open(web, tmp_path, ["aliceperry.wordpress.com"])
    tl.add_wp_post(body="\n".join(f"<p>{p}</p>" for p in old.splitlines()))
    tl.poll()

    def edit(post: dict[str, object]) -> None:
        post["content"] = {"rendered": "\n".join(f"<p>{p}</p>" for p in new.splitlines())}
        post["modified"] = post["modified_gmt"] = "2024-03-25T10:00:00"

    tl.edit_wp(NEW_POST_ID, edit)
    alerts = tl.step(repeat=False)
    assert [a["kind"] for a in alerts] == ["report_edited"]
    assert alerts[0]["diff"]
