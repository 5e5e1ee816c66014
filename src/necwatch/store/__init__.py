"""SQLite storage: the only code that runs SQL (Datasette's canned queries aside, in publish/).

WAL mode, synchronous=NORMAL, a 15 s busy timeout, and one `BEGIN IMMEDIATE` transaction per
source per run, so a crash leaves every source's data either fully written or untouched. The Store
is assembled from one class per concern: the response archive, the state a poll reads, the writes
of a poll, and the queries of everything downstream.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from necwatch.store.base import StoreBase
from necwatch.store.cursors import CursorStore
from necwatch.store.queries import ReaderQueries
from necwatch.store.responses import ResponseArchive
from necwatch.store.schema import migrate, refuse_newer
from necwatch.store.state import StateReads
from necwatch.store.writes import PollWrites


class Store(ResponseArchive, StateReads, PollWrites, ReaderQueries, CursorStore, StoreBase):
    """A necwatch database. Open with Store.open(path)."""

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=15)
        try:
            conn.execute("pragma busy_timeout = 15000")
            refuse_newer(conn, path)  # before the WAL switch, which would rewrite the file's header
            conn.execute("pragma journal_mode = wal")
            conn.execute("pragma synchronous = normal")
            conn.execute("pragma foreign_keys = off")
            db = sqlite_utils.Database(conn)
            if not readonly:
                migrate(db, path)
        except BaseException:
            conn.close()
            raise
        return cls(db, path)

    @classmethod
    def memory(cls) -> Store:
        db = sqlite_utils.Database(memory=True)
        migrate(db)
        return cls(db)

    def close(self) -> None:
        self.db.conn.close()


__all__ = ["Store"]
