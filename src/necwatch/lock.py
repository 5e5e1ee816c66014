"""An OS-level run lock shared by every entry point (CLI, cron, scheduler, GitHub Action).

flock() is released by the kernel when the process dies, so a SIGKILLed run never leaves a stale
lock behind (unlike a lock file with a TTL).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from necwatch.errors import DatabaseUnusable, LockHeld
from necwatch.store.opening import check_file, prepare_folder, shown


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def run_lock(database: Path) -> Iterator[None]:
    """Hold the database's run lock, or raise LockHeld at once (never wait). A path that cannot hold
    a database (a file where a folder should be, a folder this user cannot write, a file that is not
    SQLite) raises DatabaseUnusable before anything is created."""
    path = lock_path(database)
    prepare_folder(database)  # an unusable path or file: DatabaseUnusable, nothing created
    check_file(database)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        reason = f"cannot create its lock file {shown(path)}: {e.strerror or e}"
        raise DatabaseUnusable(shown(database), reason, kind="unusable_path") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise LockHeld(
                f"another necwatch process (pid {holder}) is already running against {database}; "
                "not starting a second one"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock
