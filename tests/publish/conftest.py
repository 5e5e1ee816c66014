"""Fixtures: a demo database built once per session, and an in-process Datasette client on it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from necwatch.publish import build_datasette


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled reference web polled into a fresh database (checkpointed to one file)."""
    from necwatch.demo import run_demo

    root = tmp_path_factory.mktemp("demo")
    _, store = run_demo(root / "demo.db", root / "feeds")
    store.db.execute("pragma wal_checkpoint(truncate)")
    store.close()
    return root / "demo.db"


@pytest.fixture
def db_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy a test may write to, named demo.db so URLs stay /demo/…."""
    dest = tmp_path / "demo.db"
    shutil.copyfile(demo_db, dest)
    return dest


class Client:
    """A synchronous face on `ds.client`, on one event loop per test."""

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(ds.invoke_startup())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.ds.client.get(path, **kwargs))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.ds.client.post(path, **kwargs))

    def close(self) -> None:
        self.loop.close()


@pytest.fixture(scope="session")
def client(demo_db: Path) -> Iterator[Client]:
    c = Client(build_datasette(demo_db))
    yield c
    c.close()


@pytest.fixture
def client_for() -> Iterator[Any]:
    """Factory: a client on any database with any build_datasette options."""
    made: list[Client] = []

    def make(path: Path, **kwargs: Any) -> Client:
        made.append(Client(build_datasette(path, **kwargs)))
        return made[-1]

    yield make
    for c in made:
        c.close()
