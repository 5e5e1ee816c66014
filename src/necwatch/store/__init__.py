"""SQLite storage: the only code that runs SQL (Datasette's canned queries aside, in publish/).

WAL mode, synchronous=NORMAL, a 15 s busy timeout, and one `BEGIN IMMEDIATE` transaction per
source per run, so a crash leaves every source's data either fully written or untouched. The Store
is assembled from one class per concern: the response archive, the state a poll reads, the writes
of a poll, the queries of everything downstream, the reports' records (store/records.py) and the
meetings' minutes merged from them (store/minutes.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from necwatch.store.archive import ArchiveStore
from necwatch.store.base import StoreBase
from necwatch.store.cursors import CursorStore
from necwatch.store.minutes import MinutesStore
from necwatch.store.opening import (
    check_file,
    connect_readonly,
    prepare_folder,
    quick_check,
    require_schema,
    unusable,
)
from necwatch.store.queries import ReaderQueries
from necwatch.store.responses import ResponseArchive
from necwatch.store.schema import migrate, refuse_newer
from necwatch.store.state import StateReads
from necwatch.store.writes import PollWrites


class Store(
    ResponseArchive, StateReads, PollWrites, ReaderQueries, MinutesStore, CursorStore, ArchiveStore, StoreBase
):
    """A necwatch database. Open with Store.open(path)."""

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> Store:
        """Open (a writer: create and migrate) the database at `path`.

        `readonly` never writes the file: no WAL switch, no migration, and `immutable` when even the
        -shm file cannot be created (store/opening.py). A writer refuses, before writing anything, a
        path it cannot write, a file that is not SQLite and a damaged one (`PRAGMA quick_check`).
        Every refusal is a DatabaseUnusable naming the path and what to do.
        """
        path = Path(path)
        if readonly:
            conn, _mode = connect_readonly(path)
        else:
            prepare_folder(path)
            check_file(path)
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=15)
        try:
            conn.execute("pragma busy_timeout = 15000")
            refuse_newer(conn, path)  # before the WAL switch, which would rewrite the file's header
            quick_check(conn, path)  # a damaged file is refused before it is read or written
            if readonly:
                require_schema(conn, path)
                conn.execute("pragma query_only = 1")
            else:
                conn.execute("pragma journal_mode = wal")
                conn.execute("pragma synchronous = normal")
            conn.execute("pragma foreign_keys = off")
            db = sqlite_utils.Database(conn)
            if not readonly:
                migrate(db, path)
        except sqlite3.DatabaseError as e:
            conn.close()
            refused = unusable(path, e)
            if refused is None:
                raise
            raise refused from None
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
