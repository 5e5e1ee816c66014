"""Shared fixtures: the reference web served from real loopback servers, and its expected facts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from necwatch.replay import ReplayWeb, bundled_corpus


@pytest.fixture
def web() -> Iterator[ReplayWeb]:
    """A fresh copy of the reference web on loopback (tests may change it with set()/delete())."""
    with ReplayWeb() as w:
        yield w


@contextmanager
def one_host_web(host: str) -> Iterator[ReplayWeb]:
    """The reference web serving one site only: one server to stop instead of four (fast teardown),
    and a request for any other site has nowhere to go."""
    only = ReplayWeb()
    only.entries = {u: e for u, e in only.entries.items() if urlsplit(u).netloc == host}
    with only:
        yield only


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    return json.loads((bundled_corpus() / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def expected_posts(expected: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """expected.json posts keyed by their real URL."""
    return {p["url"]: p for p in expected["posts"]}


@pytest.fixture(scope="session")
def corpus() -> Path:
    return bundled_corpus()
