"""One alert vocabulary: AlertKind is the only list of kinds, and the docs list exactly its values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from necwatch.alerts import AlertKind, Audience

ROOT = Path(__file__).resolve().parents[1]


def _backticked(text: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", text)


def test_every_kind_has_one_audience_a_label_and_a_title() -> None:
    assert set(AlertKind.public()) | set(AlertKind.operator()) == set(AlertKind)
    assert not set(AlertKind.public()) & set(AlertKind.operator())
    assert {k.audience for k in AlertKind} == set(Audience)
    for kind in AlertKind:
        assert kind.label and kind.headline and kind.value == str(kind)
    assert len({k.label for k in AlertKind}) == len(AlertKind)
    assert len({k.headline for k in AlertKind}) == len(AlertKind)


def test_source_health_kinds_are_operator_only() -> None:
    assert set(AlertKind.operator()) == {
        AlertKind.SOURCE_UNHEALTHY,
        AlertKind.SOURCE_RECOVERED,
        AlertKind.SOURCE_MOVED,
    }


@pytest.mark.parametrize("kind", list(AlertKind))
def test_stored_values_read_back_as_their_kind(kind: AlertKind) -> None:
    assert AlertKind.known(kind.value) is kind
    assert AlertKind.label_of(kind.value) == kind.label
    assert AlertKind.headline_of(kind.value) == kind.headline


def test_a_kind_this_version_does_not_know_shows_as_stored() -> None:
    assert AlertKind.known("source_exploded") is None
    assert AlertKind.label_of("source_exploded") == "source_exploded"
    assert AlertKind.headline_of("source_exploded") == "source_exploded"


def test_readme_lists_exactly_the_alert_kinds() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `necwatch alerts"))
    listed = row.split("list alerts", 1)[1]
    assert _backticked(listed) == AlertKind.values()


def test_schema_doc_lists_exactly_the_alert_kinds() -> None:
    schema = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    section = schema.split("## alerts", 1)[1].split("\n## ", 1)[0]
    kinds = section.split("`kind`", 1)[1].split(")", 1)[0]
    assert _backticked(kinds) == AlertKind.values()


def test_tracking_doc_says_when_each_kind_is_raised() -> None:
    tracking = (ROOT / "docs" / "tracking.md").read_text(encoding="utf-8")
    table = tracking.split("## What counts as a change", 1)[1].split("\n## ", 1)[0]
    alert_cells = [
        line.rstrip(" |").rsplit("|", 1)[-1] for line in table.splitlines() if line.startswith("|")
    ]
    raised = {k for cell in alert_cells for k in _backticked(cell)}
    assert raised == set(AlertKind.values())
