"""The emulated archive on a real loopback server, with the reference scenario's captures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from necwatch.webarchive.emulator import EmulatedArchive, Scenario, reference_captures


@pytest.fixture
def archive() -> Iterator[tuple[EmulatedArchive, Scenario]]:
    captures, scenario = reference_captures()
    with EmulatedArchive(captures) as a:
        yield a, scenario
