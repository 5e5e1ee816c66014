"""diffs: a real edit's diff shows that edit only, not the noise normalization folds away."""

from __future__ import annotations

from necwatch import diffs

OLD = (
    "Title\n\nWe met on 4 November \u2013 the away-day.\nI\u2019m pleased the panel met.\nIt was a long day."
)
NEW = "Title\n\nWe met  on 4 November - the away-day.\nI was asked to chair the panel.\nIt was a long   day."


def test_unified_diff_ignores_noise_in_unchanged_paragraphs() -> None:
    """Whitespace, quote and dash variants around a real edit are not diff lines."""
    lines = diffs.unified(OLD, NEW).splitlines()
    assert [ln for ln in lines if ln[:1] in "+-" and ln[:3] not in ("---", "+++")] == [
        "-I\u2019m pleased the panel met.",
        "+I was asked to chair the panel.",
    ]
    assert (
        diffs.unified(OLD, NEW.replace("I was asked to chair the panel.", "I'm pleased the panel met.")) == ""
    )


def test_word_diff_and_summary_ignore_noise() -> None:
    assert diffs.words(OLD, NEW).count("[-") == 2  # the edited sentence only
    assert diffs.summary(OLD, NEW) == "+6 \u22124 words"
