"""The connection and transactions every part of the store shares, and SQLite error classification."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from necwatch.errors import StoreError


class StoreBase:
    """A sqlite-utils database and its write transaction."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; rolls back on any exception. Disk full → StoreError."""
        conn = self.db.conn
        try:
            conn.execute("begin immediate")
        except sqlite3.OperationalError as e:
            raise StoreError(f"cannot start a write transaction: {e}", kind="storage_locked") from e
        try:
            yield
        except sqlite3.DatabaseError as e:  # full, locked, or a constraint: this source's writes fail whole
            rollback(conn)
            raise store_error(e) from e
        except BaseException:
            rollback(conn)
            raise
        try:
            conn.execute("commit")
        except sqlite3.DatabaseError as e:
            rollback(conn)
            raise store_error(e) from e


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open: SQLite has already rolled back after SQLITE_FULL and
    I/O errors, and a failing ROLLBACK must not hide the error that caused it."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.DatabaseError):
            conn.execute("rollback")


def store_error(e: sqlite3.DatabaseError) -> StoreError:
    text = str(e)
    if "full" in text:
        return StoreError(f"database is full: {text}", kind="storage_full")
    if "locked" in text or "busy" in text:
        return StoreError(f"database is locked: {text}", kind="storage_locked")
    return StoreError(f"database error: {text}", kind="storage_error")
