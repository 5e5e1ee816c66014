"""Fixtures: a demo database built once per session, an in-process Datasette client on it, and
`datasette serve` as deployed for the browser tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(db: Path, bundle_dir: Path) -> Iterator[str]:
    """`datasette serve` on `db` as deployed: the bundle `necwatch publish` writes (metadata, the
    plugin and record pages copies, templates, static, settings) in `bundle_dir`, the plugin from
    its plugins folder (PYTHONPATH emptied). Yields the server's base URL; stops it after."""
    from necwatch.publish import datasette_options, write_bundle

    bundle = write_bundle(db, bundle_dir)
    port = free_port()
    datasette = Path(sys.executable).parent / "datasette"
    cmd = [str(datasette), "serve", str(db), "-h", "127.0.0.1", "-p", str(port),
           *datasette_options(bundle, public=True, immutable=False)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": ""}  # the plugin comes from --plugins-dir
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # generous: Datasette starts in seconds, slower on a loaded machine
    try:
        while True:
            try:
                if httpx.get(base + "/-/versions.json", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "no output")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
