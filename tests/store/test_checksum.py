"""The logical checksum lives in the store; necwatch.datahash is only its command line."""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

from necwatch import datahash
from necwatch.store import Store, checksum


def test_datahash_is_a_thin_entry_point_over_the_store() -> None:
    assert datahash.digest is checksum.digest and datahash.table_digest is checksum.table_digest
    source = inspect.getsource(datahash).lower()
    assert "sqlite3" not in source and "select " not in source and "pragma" not in source


def test_checksum_reads_only_and_sees_rows_not_bookkeeping(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    store = Store.open(path)
    store.db["reports"].insert({"id": "r1", "title": "NEC report: March", "body_text": "Met."})
    store.db["runs"].insert({"id": "run1", "status": "ok"})
    store.close()
    first = checksum.digest(path)
    before = path.read_bytes()
    assert checksum.digest(path) == first and path.read_bytes() == before  # read-only, deterministic
    conn = sqlite3.connect(path)
    conn.execute("insert into runs (id, status) values ('run2', 'ok')")  # bookkeeping: ignored
    conn.commit()
    assert checksum.digest(path) == first
    conn.execute("update reports set title = 'NEC report: March 2024'")
    conn.commit()
    conn.close()
    assert checksum.digest(path) != first
