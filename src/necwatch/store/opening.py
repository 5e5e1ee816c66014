"""Opening a database file safely: what is checked before SQLite touches it, and how a reader opens a
file it cannot write.

Every check here only reads: a file that is refused (not SQLite, damaged, unwritable) is left byte
for byte as it was, mtime included. A refusal is a `DatabaseUnusable`, one line naming the path, the
reason and what to do (the CLI prints it and exits 2).

Readers (`status`, `alerts`, `export`, `feeds`, `serve`) open with `mode=ro`, which never writes the
database but needs its `-shm` file (a WAL database) to exist or be creatable; when the folder is not
theirs (the daemon's own user owns it, a read-only filesystem), they fall back to `immutable=1`,
which reads the main file as it is and ignores locks (a write in progress may then be missed).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from necwatch.errors import DatabaseUnusable

HEADER = b"SQLite format 3\x00"


def shown(path: str | Path) -> str:
    """The path as the operator would write it: relative to the current folder when inside it."""
    p = Path(path)
    if p.is_absolute():
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return str(p)
    return str(p)


def recover_hint(path: str | Path) -> str:
    p = shown(path)
    return (
        f"rebuild it from the last export (`necwatch import --db {p} DIR`) or salvage it "
        f"(`sqlite3 {p} .recover | sqlite3 recovered.db`)"
    )


def reason_for(error: sqlite3.Error) -> tuple[str, str] | None:
    """(kind, reason) for a SQLite error that makes the whole file unusable; None for any other."""
    text = str(error)
    if "file is not a database" in text:
        return "not_sqlite", "not a SQLite database"
    if "malformed" in text or "database corruption" in text:
        return "corrupt", "the database is damaged (database disk image is malformed); nothing was written"
    if "readonly" in text or "read-only" in text:
        return "readonly", "the database (or its folder) is read-only for this user"
    if "unable to open database file" in text:
        return "cannot_open", "cannot open the database file (check the folder's permissions)"
    return None


def unusable(path: str | Path, error: sqlite3.Error) -> DatabaseUnusable | None:
    """The DatabaseUnusable for `error` on `path`, or None when the error is not about the file."""
    found = reason_for(error)
    if found is None:
        return None
    kind, reason = found
    if kind == "corrupt":
        reason += ": " + recover_hint(path)
    return DatabaseUnusable(shown(path), reason, kind=kind)


def check_file(path: Path) -> None:
    """Refuse, reading only, a path that is not a SQLite file. A missing or empty file passes (SQLite
    makes an empty file a new database)."""
    try:
        if path.is_dir():
            raise DatabaseUnusable(shown(path), "is a folder, not a database file", kind="not_sqlite")
        if not path.exists():
            return
        with path.open("rb") as f:
            head = f.read(len(HEADER))
    except PermissionError:
        raise DatabaseUnusable(shown(path), "cannot read it: permission denied", kind="cannot_open") from None
    except OSError as e:
        raise DatabaseUnusable(shown(path), _os_reason(path, e), kind="cannot_open") from None
    if head and head != HEADER:
        raise DatabaseUnusable(shown(path), "not a SQLite database", kind="not_sqlite")


def prepare_folder(path: Path) -> None:
    """Make the database's folder, or refuse a path whose folder cannot hold a database we write."""
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatabaseUnusable(shown(path), _os_reason(parent, e), kind="unusable_path") from None
    why = "read-only file system" if _read_only_fs(parent) else "permission denied"
    if path.exists() and not os.access(path, os.W_OK):
        reason = "the database file is read-only for this user" if why == "permission denied" else why
        raise DatabaseUnusable(shown(path), reason, kind="readonly")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DatabaseUnusable(
            shown(path), f"cannot write in its folder {shown(parent) or '.'}: {why}", kind="unusable_path"
        )


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _os_reason(where: Path, e: OSError) -> str:
    """Plain words for why a folder could not be made or written."""
    if e.errno in (errno.EEXIST, errno.ENOTDIR):
        for p in [where, *where.parents]:
            if p.exists() and not p.is_dir():
                return f"{shown(p)} is a file, not a folder"
        return "a part of the path is a file, not a folder"
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write in {shown(e.filename or where)}: permission denied"
    if e.errno == errno.EROFS:
        return f"cannot write in {shown(e.filename or where)}: read-only file system"
    return f"{shown(e.filename or where)}: {e.strerror or e}"


def readonly_uris(path: Path) -> Iterator[tuple[str, str]]:
    """(mode, URI) a reader tries, in order: `ro` (sees a running writer's commits), then `immutable`
    (for a folder it cannot write: nothing, not even the -shm file, is created)."""
    base = path.resolve().as_uri()
    yield "ro", f"{base}?mode=ro"
    yield "immutable", f"{base}?mode=ro&immutable=1"


def connect_readonly(path: Path, *, timeout: float = 15) -> tuple[sqlite3.Connection, str]:
    """A connection that never writes `path`, and its mode (`ro` or `immutable`)."""
    check_file(path)
    if not path.exists():
        raise DatabaseUnusable(shown(path), "no such database file", kind="cannot_open")
    last: sqlite3.Error | None = None
    for mode, uri in readonly_uris(path):
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.OperationalError as e:  # cannot create -shm: the next mode
            conn.close()
            last = e
            continue
        except sqlite3.DatabaseError as e:
            conn.close()
            raise unusable(path, e) or DatabaseUnusable(shown(path), str(e)) from None
        return conn, mode
    assert last is not None
    raise unusable(path, last) or DatabaseUnusable(shown(path), str(last)) from None


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """`PRAGMA quick_check` (reads every page, checks no index against its table): a damaged file is
    refused before anything is written to it. 0.13-0.20 s on a 155 MB database (28,500 posts) in
    the page cache, 0.5 s read cold on 87 MB (docs/deploy.md, "When necwatch refuses a database")."""
    try:
        rows = conn.execute("pragma quick_check").fetchall()
    except sqlite3.DatabaseError as e:
        raise unusable(path, e) or DatabaseUnusable(shown(path), str(e)) from None
    if rows != [("ok",)]:  # its findings (pages, b-trees) mean nothing to an operator: one line
        raise unusable(path, sqlite3.DatabaseError("database disk image is malformed")) or AssertionError


def require_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A reader needs necwatch's tables: an empty file or another program's database is refused in
    one line (a writer creates the tables instead)."""
    if int(conn.execute("pragma user_version").fetchone()[0]) > 0:
        return
    if conn.execute("select count(*) from sqlite_master").fetchone()[0] == 0:
        reason = "an empty database, nothing to read yet (`necwatch run` fills it)"
        raise DatabaseUnusable(shown(path), reason, kind="empty")
    reason = "not a necwatch database (it has no necwatch schema)"
    raise DatabaseUnusable(shown(path), reason, kind="not_sqlite")
