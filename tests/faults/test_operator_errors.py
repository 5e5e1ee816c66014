"""Issue 18, "clear errors, right exit codes, nothing touched": what an operator who is not necwatch's
author runs into, each answered with one line, the documented exit code and no file changed.

The commands run as the operator runs them (`python -m necwatch`, a real process: exit code, stderr,
no traceback). Where permissions matter they run as `nobody` (dropped in the child with setuid), so
root's right to write anything does not hide the fault; those tests skip when not run as root.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from necwatch.config import load_config
from necwatch.errors import ConfigError, DatabaseUnusable
from necwatch.store import Store
from necwatch.store.export import export_dataset
from necwatch.store.opening import connect_readonly, readonly_uris

pytestmark = pytest.mark.timeout(120)

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="dropping to another user needs root")


# -- helpers -------------------------------------------------------------------------------------


def as_nobody() -> list[str]:
    """The command prefix that runs a child as `nobody` (no capabilities, no groups): setpriv (a
    setuid in preexec_fn cannot always exec an interpreter under root's home); skips without it."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to run as another user")
    prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    try:
        grp.getgrnam("nogroup")
    except KeyError:
        prefix[2] = f"--regid={pwd.getpwnam('nobody').pw_gid}"
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import necwatch"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run this interpreter: {probe.stderr.decode(errors='replace')[-200:]}")
    return prefix


def necwatch(
    *args: str, cwd: Path, nobody: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(cwd)}
    env.pop("CI", None)
    return subprocess.run(
        [*(as_nobody() if nobody else []), sys.executable, "-m", "necwatch", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    """Exit 2, stderr is exactly `expected` as one line (no traceback)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == expected, result.stderr


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every user can enter (pytest's tmp_path is root's alone), owned by root."""
    path = Path(tempfile.mkdtemp(prefix="necwatch-ops-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_db(path: Path, reports: int = 40) -> Path:
    """A real necwatch database: schema by the migrations, a polled source, reports and alerts."""
    store = Store.open(path)
    store.db["sources"].insert(
        {"name": "alice-perry", "type": "wordpress", "url": "https://a.example/", "health": "ok",
         "posts": reports, "last_ok_at": "2024-03-20T10:00:00+00:00"}
    )  # fmt: skip
    store.db["sources"].insert(
        {"name": "fresh", "type": "blogger", "url": "https://f.example/", "health": "ok",
         "last_polled_at": "2024-03-20T10:00:00+00:00", "consecutive_failures": 0}
    )  # fmt: skip
    rnd = random.Random(7)
    for i in range(reports):
        body = " ".join(
            rnd.choice(["nec", "report", "meeting", "vote", "motion", "rule"]) for _ in range(400)
        )
        store.db["reports"].insert(
            {"id": f"r{i:04}", "title": f"NEC report {i}", "author": "Alice Perry", "source": "alice-perry",
             "is_nec_report": 1, "meeting_date": f"2024-{i % 12 + 1:02}-01", "canonical_url": f"https://a.example/{i}",
             "published_at": "2024-03-01T10:00:00+00:00", "first_seen_at": "2024-03-01T11:00:00+00:00"}
        )  # fmt: skip
        store.db["alerts"].insert(
            {"id": f"a{i:04}", "kind": "report_new", "created_at": f"2024-03-{i % 28 + 1:02}T10:00:00+00:00",
             "source": "alice-perry", "title": f"NEC report {i}", "summary": body, "backfill": 0,
             "report_id": f"r{i:04}", "delivery_attempts": 0}
        )  # fmt: skip
    store.close()
    for suffix in ("-wal", "-shm"):
        assert not Path(str(path) + suffix).exists()  # a clean close leaves the file alone
    return path


def write_config(folder: Path, db: Path, **extra: object) -> Path:
    path = folder / "config.yaml"
    data = {
        "database": str(db),
        "user_agent": "necwatch-test (+mailto:ops@example.org)",
        "sources": [{"name": "alice-perry", "type": "wordpress", "url": "https://a.example/"}],
        **extra,
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- 1. read-only use of a database one cannot write -----------------------------------------------


@needs_root
@pytest.mark.parametrize("with_wal_files", [False, True], ids=["checkpointed", "wal-and-shm-present"])
def test_reading_commands_read_a_database_another_user_owns(shared_dir: Path, with_wal_files: bool) -> None:
    folder = shared_dir / "var"
    folder.mkdir(mode=0o755)
    db = make_db(folder / "necwatch.db")
    keep = None
    if with_wal_files:  # a running daemon keeps -wal and -shm (root's, 0644) beside the file
        keep = sqlite3.connect(db)
        keep.execute("pragma journal_mode = wal")
        keep.execute(
            "insert into alerts (id, kind, created_at, backfill) values ('z', 'report_new', '2025', 0)"
        )
        keep.commit()
        for suffix in ("-wal", "-shm"):
            os.chmod(str(db) + suffix, 0o644)
    db.chmod(0o644)
    out = shared_dir / "mine"
    out.mkdir()
    shutil.chown(out, "nobody")
    write_config(out, db)
    before = fingerprint(db)
    try:
        status = necwatch("status", "--db", str(db), cwd=out, nobody=True)
        assert status.returncode == 0, status.stderr
        assert "alice-perry" in status.stdout and "Traceback" not in status.stderr
        alerts = necwatch("alerts", "--db", str(db), "--limit", "3", cwd=out, nobody=True)
        assert alerts.returncode == 0, alerts.stderr
        assert "report_new" in alerts.stdout
        export = necwatch("export", "--db", str(db), str(out / "dataset"), cwd=out, nobody=True)
        assert export.returncode == 0, export.stderr
        assert list((out / "dataset").glob("**/*.ndjson"))
        feeds = necwatch("feeds", "--db", str(db), "--feeds-dir", str(out / "feeds"), cwd=out, nobody=True)
        assert feeds.returncode == 0, feeds.stderr
        assert list((out / "feeds").glob("*.atom"))
    finally:
        if keep is not None:
            keep.close()
    if not with_wal_files:
        assert fingerprint(db) == before
        assert not Path(str(db) + "-shm").exists()  # immutable: not even the -shm was made


@needs_root
@pytest.mark.parametrize("daemon_running", [False, True], ids=["checkpointed", "wal-and-shm-present"])
def test_serve_falls_back_to_immutable_in_a_folder_it_cannot_write(
    shared_dir: Path, daemon_running: bool
) -> None:
    folder = shared_dir / "var"
    folder.mkdir(mode=0o755)
    db = make_db(folder / "necwatch.db")
    keep = None
    if daemon_running:  # its -wal and -shm exist (root's): mode=ro reads them, no fallback needed
        keep = sqlite3.connect(db)
        keep.execute("pragma journal_mode = wal")
        keep.execute("delete from alerts where id = 'a0000'")
        keep.commit()
        for suffix in ("-wal", "-shm"):
            os.chmod(str(db) + suffix, 0o644)
    port = free_port()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        [*as_nobody(), sys.executable, "-m", "necwatch", "serve", "--db", str(db), "--port", str(port)],
        cwd=shared_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = None
        for _ in range(300):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/necwatch/alerts.json?_shape=array", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200, answer
        assert len(answer.json()) == (39 if daemon_running else 40)  # a running writer's commit is seen
        page = httpx.get(f"http://127.0.0.1:{port}/necwatch", timeout=5)
        assert page.status_code == 200
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
        if keep is not None:
            keep.close()
    assert ("served immutable (--immutable)" in err) is not daemon_running
    assert "Traceback" not in err


def test_readers_try_mode_ro_first_then_immutable(tmp_path: Path) -> None:
    db = make_db(tmp_path / "n.db", reports=1)
    modes = [mode for mode, _ in readonly_uris(db)]
    uris = [uri for _, uri in readonly_uris(db)]
    assert modes == ["ro", "immutable"]
    assert uris[0].endswith("?mode=ro") and uris[1].endswith("?mode=ro&immutable=1")
    assert uris[0].startswith("file:///")
    conn, mode = connect_readonly(db)  # a folder it can write: ro, which sees a writer's commits
    conn.close()
    assert mode == "ro"


def test_a_path_with_uri_characters_is_opened_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "a?b#c%20d"
    folder.mkdir()
    db = make_db(folder / "n.db", reports=2)
    conn, _ = connect_readonly(db)
    try:
        assert conn.execute("select count(*) from reports").fetchone() == (2,)
    finally:
        conn.close()


@needs_root
def test_readers_open_immutable_when_they_cannot_make_the_shm_file(shared_dir: Path) -> None:
    folder = shared_dir / "var"
    folder.mkdir(mode=0o755)
    db = make_db(folder / "n.db", reports=3)
    code = (
        "from pathlib import Path; from necwatch.store.opening import connect_readonly;"
        f"c, m = connect_readonly(Path({str(db)!r}));"
        "print(m, c.execute('select count(*) from reports').fetchone()[0])"
    )
    result = subprocess.run(
        [*as_nobody(), sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["immutable", "3"], result.stderr


# -- 2. an unusable database path --------------------------------------------------------------------


def test_run_with_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    config = write_config(tmp_path, tmp_path / "data" / "n.db")
    result = necwatch("run", "-c", str(config), "--db", "afile/x.db", cwd=tmp_path)
    one_line_error(result, "error: afile/x.db: afile is a file, not a folder")
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "not a folder"


@needs_root
def test_run_in_a_folder_it_cannot_write(shared_dir: Path) -> None:
    folder = shared_dir / "ro"
    folder.mkdir(mode=0o755)  # root's: nobody cannot write in it
    config = write_config(shared_dir, folder / "x.db")
    result = necwatch("run", "-c", str(config), "--db", "ro/x.db", cwd=shared_dir, nobody=True)
    one_line_error(result, "error: ro/x.db: cannot write in its folder ro: permission denied")
    assert list(folder.iterdir()) == []  # not even a lock file


@needs_root
def test_run_on_a_database_file_it_cannot_write(shared_dir: Path) -> None:
    folder = shared_dir / "var"
    folder.mkdir(mode=0o777)
    db = make_db(folder / "x.db", reports=2)
    db.chmod(0o644)
    before = fingerprint(db)
    config = write_config(shared_dir, db)
    result = necwatch("run", "-c", str(config), "--db", "var/x.db", cwd=shared_dir, nobody=True)
    one_line_error(result, "error: var/x.db: the database file is read-only for this user")
    assert fingerprint(db) == before


@needs_root
def test_schedule_in_a_folder_it_cannot_write(shared_dir: Path) -> None:
    folder = shared_dir / "ro"
    folder.mkdir(mode=0o555)
    config = write_config(shared_dir, folder / "x.db")
    result = necwatch("schedule", "-c", str(config), cwd=shared_dir, nobody=True)
    one_line_error(result, "error: ro/x.db: cannot write in its folder ro: permission denied")


# -- 3. a file that is not SQLite -------------------------------------------------------------------


@pytest.fixture
def garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.db"
    path.write_bytes(random.Random(1).randbytes(5000))
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    write_config(tmp_path, tmp_path / "data" / "n.db")
    (tmp_path / "dataset" / "tables").mkdir(parents=True)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["alerts"],
        ["export", "out"],
        ["feeds"],
        ["run"],
        ["reextract"],
        ["serve", "--port", "1"],
        ["import", "dataset"],
        ["check"],
    ],
    ids=lambda c: c[0],
)
def test_every_database_command_refuses_a_file_that_is_not_sqlite(garbage: Path, command: list[str]) -> None:
    before = fingerprint(garbage)
    result = necwatch(*command, "--db", "garbage.db", cwd=garbage.parent)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "error: garbage.db: not a SQLite database"
    assert fingerprint(garbage) == before
    assert sorted(p.name for p in garbage.parent.iterdir()) == ["config.yaml", "dataset", "garbage.db"]


def test_an_empty_file_is_still_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    store = Store.open(db)
    store.close()
    result = necwatch("status", "--db", "empty.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "command", [["status"], ["alerts"], ["feeds"], ["serve", "--port", "1"]], ids=lambda c: c[0]
)
def test_readers_refuse_an_empty_file_and_another_programs_database(
    tmp_path: Path, command: list[str]
) -> None:
    write_config(tmp_path, tmp_path / "data" / "n.db")
    (tmp_path / "zero.db").touch()
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("create table t (x)")
    other.commit()
    other.close()
    before = fingerprint(tmp_path / "other.db")
    one_line_error(
        necwatch(*command, "--db", "zero.db", cwd=tmp_path),
        "error: zero.db: an empty database, nothing to read yet (`necwatch run` fills it)",
    )
    one_line_error(
        necwatch(*command, "--db", "other.db", cwd=tmp_path),
        "error: other.db: not a necwatch database (it has no necwatch schema)",
    )
    assert (tmp_path / "zero.db").stat().st_size == 0
    assert fingerprint(tmp_path / "other.db") == before


# -- 8. data safety: a broken export, a damaged database ----------------------------------------------


def test_import_of_a_broken_export_leaves_the_database_untouched(tmp_path: Path) -> None:
    db = make_db(tmp_path / "n.db")
    export_dataset(db, tmp_path / "dataset")
    store = Store.open(db)
    store.db["alerts"].insert({"id": "only-in-db", "kind": "report_new", "created_at": "2025", "backfill": 0})
    store.close()
    before = fingerprint(db)
    broken = sorted((tmp_path / "dataset").glob("**/*.ndjson"))[0]
    with broken.open("a", encoding="utf-8") as f:
        f.write('{"t": "alerts", "r": {"id": \n')
    result = necwatch("import", "--db", "n.db", "dataset", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"error: {broken.relative_to(tmp_path / 'dataset')}: line ")
    assert line.endswith("; the database was not changed") and "\n" not in line
    assert fingerprint(db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("n.db")) == ["n.db", "n.db.lock"]


def test_import_replaces_the_database_only_when_whole(tmp_path: Path) -> None:
    db = make_db(tmp_path / "n.db", reports=5)
    export_dataset(db, tmp_path / "dataset")
    store = Store.open(db)
    store.db["alerts"].insert(
        {"id": "gone-after-import", "kind": "report_new", "created_at": "2025", "backfill": 0}
    )
    store.close()
    result = necwatch("import", "--db", "n.db", "dataset", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from alerts where id = 'gone-after-import'").fetchone() == (0,)
    assert conn.execute("select count(*) from reports").fetchone() == (5,)
    conn.close()
    assert not (tmp_path / "n.db.import-tmp").exists()


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A database with 8 KiB of random bytes written over its middle."""
    db = make_db(tmp_path / "n.db", reports=300)
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(random.Random(8).randbytes(8192))
    os.utime(db, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    write_config(tmp_path, db)
    return db


@pytest.mark.parametrize(
    "command",
    [["status"], ["alerts"], ["export", "out"], ["feeds"], ["run"], ["serve", "--port", "1"], ["check"]],
    ids=lambda c: c[0],
)
def test_a_damaged_database_is_refused_with_how_to_recover(damaged: Path, command: list[str]) -> None:
    before = fingerprint(damaged)
    result = necwatch(*command, "--db", "n.db", cwd=damaged.parent)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: n.db: the database is damaged (database disk image is malformed); nothing was written: "
        "rebuild it from the last export (`necwatch import --db n.db DIR`) or salvage it "
        "(`sqlite3 n.db .recover | sqlite3 recovered.db`)"
    )
    assert fingerprint(damaged) == before


def test_a_writer_refuses_a_damaged_database_before_writing(damaged: Path) -> None:
    before = fingerprint(damaged)
    with pytest.raises(DatabaseUnusable) as caught:
        Store.open(damaged)
    assert caught.value.kind == "corrupt"
    assert fingerprint(damaged) == before


def test_a_damaged_database_is_recovered_by_importing_the_last_export(tmp_path: Path) -> None:
    db = make_db(tmp_path / "n.db", reports=300)
    export_dataset(db, tmp_path / "dataset")
    with db.open("r+b") as f:
        f.seek(db.stat().st_size // 2 // 4096 * 4096)
        f.write(random.Random(8).randbytes(8192))
    result = necwatch("import", "--db", "n.db", "dataset", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert necwatch("status", "--db", "n.db", cwd=tmp_path).returncode == 0


# -- 4. config mistakes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "sources: []\n", "# only a comment\n"], ids=["empty", "no-sources", "comment"]
)
def test_a_config_without_sources_is_an_error_and_run_creates_nothing(tmp_path: Path, text: str) -> None:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    expected = (
        "error: config.yaml: sources: no sources: add at least one under `sources:` "
        "(`necwatch add URL` probes a blog and adds it)"
    )
    one_line_error(necwatch("check", cwd=tmp_path), expected)
    one_line_error(necwatch("run", cwd=tmp_path), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]  # no data/


def test_a_config_without_sources_still_loads_for_add(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("sources: []\n", encoding="utf-8")
    assert load_config(tmp_path / "config.yaml").sources == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://example.blogspot.com/", "https://EXAMPLE.Blogspot.com"),
        ("HTTPS://example.blogspot.com/", "https://example.blogspot.com:443/"),
    ],
)
def test_two_sources_reading_the_same_url_are_an_error_naming_both(
    tmp_path: Path, first: str, second: str
) -> None:
    sources = [
        {"name": "one", "type": "blogger", "url": first},
        {"name": "two", "type": "blogger", "url": second, "author": "Someone"},
    ]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    result = necwatch("check", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith("error: config.yaml: sources[1] (two).url: ")
    assert line.endswith(
        "is already read by sources[0] (one): every post would be stored twice; remove one of the two"
    )


def test_one_site_read_for_two_tags_is_not_a_duplicate(tmp_path: Path) -> None:
    sources = [
        {"name": "one", "type": "wordpress", "url": "https://a.example/", "tag": "nec"},
        {"name": "two", "type": "wordpress", "url": "https://a.example/", "tag": "nec-report"},
    ]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    assert len(load_config(tmp_path / "config.yaml").sources) == 2


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/", "http://localhost/", "http://10.1.2.3/", "http://[::1]:81/"]
)
def test_check_fails_on_a_private_address_naming_allow_private_addresses(tmp_path: Path, url: str) -> None:
    config = {
        "user_agent": "t (+mailto:a@b.org)",
        "sources": [{"name": "local", "type": "blogger", "url": url}],
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = necwatch("check", cwd=tmp_path)
    shown = load_config(tmp_path / "config.yaml").sources[0].url
    one_line_error(
        result,
        f"error: config.yaml: sources[0] (local).url: {shown} is a private address, refused unless "
        "allow_private_addresses: true (set it only for a local test server)",
    )
    config["allow_private_addresses"] = True
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert necwatch("check", cwd=tmp_path).returncode == 0


def test_the_runtime_refusal_names_allow_private_addresses_once(tmp_path: Path) -> None:
    config = {
        "user_agent": "t (+mailto:a@b.org)",
        "database": "n.db",
        "fetch": {"retries": 0, "backoff": 0},
        "sources": [{"name": "local", "type": "blogger", "url": "http://127.0.0.1:9/"}],
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert necwatch("run", cwd=tmp_path).returncode == 1
    status = necwatch("status", cwd=tmp_path)
    error = next(line for line in status.stdout.splitlines() if "last error" in line)
    assert error.count("allow_private_addresses") == 1
    assert error.count("non-public") == 1


def test_a_bad_source_name_is_explained_in_words(tmp_path: Path) -> None:
    sources = [{"name": "Ann Black", "type": "blogger", "url": "https://a.example/"}]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    result = necwatch("check", cwd=tmp_path)
    one_line_error(
        result,
        "error: config.yaml: sources[0] (Ann Black).name: a source name is lower-case letters, "
        "digits, - and _, starting with a letter or digit (e.g. ann-black) (got 'Ann Black')",
    )
    assert "[a-z0-9]" not in result.stderr


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("sources:\n  - name: a\n   type: blogger\n", "line 3, column 4: this line is indented differently"),
        ("sources:\n  - name: a\n\ttype: blogger\n", "line 3, column 1: a tab: indent with spaces"),
        ("sources: [a\n", "line 2, column 1: a [ list ] that is not closed"),
    ],
    ids=["indent", "tab", "unclosed"],
)
def test_invalid_yaml_names_line_and_column_in_words(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    result = necwatch("check", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: config.yaml: {where}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "<block" not in result.stderr and "mark" not in result.stderr
    with pytest.raises(ConfigError):
        load_config(tmp_path / "config.yaml")


# -- 5. status wording -------------------------------------------------------------------------------


def test_status_with_db_needs_no_config_and_lists_that_databases_sources(tmp_path: Path) -> None:
    db = make_db(tmp_path / "n.db", reports=2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = necwatch("status", "--db", str(db), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    sources, unmatched = result.stdout.split("unmatched names")  # the records' section comes last
    names = [line.split()[0] for line in sources.splitlines() if not line.startswith(" ")]
    assert names == ["alice-perry", "fresh"]
    assert unmatched.startswith(": none")  # these reports were stored without records


def test_a_source_never_read_successfully_is_not_ok(tmp_path: Path) -> None:
    db = make_db(tmp_path / "n.db", reports=2)
    result = necwatch("status", "--db", str(db), cwd=tmp_path)
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if not line.startswith(" ")}
    assert lines["fresh"].split()[1:3] == ["never", "read"]
    assert lines["alice-perry"].split()[1] == "ok"


def test_top_level_help_keeps_run_out_of_no_network_needed(tmp_path: Path) -> None:
    text = necwatch("--help", cwd=tmp_path).stdout
    offline = text.split("no network needed")[1].split("Then")[0]
    assert "necwatch demo" in offline and "necwatch run" not in offline
    assert "Store." not in necwatch("status", "--help", cwd=tmp_path).stdout
    assert "Store." not in necwatch("alerts", "--help", cwd=tmp_path).stdout


# -- 6. contact --------------------------------------------------------------------------------------


def test_check_warns_when_user_agent_has_the_shipped_placeholder(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "config.yaml"
    shutil.copy(shipped, tmp_path / "config.yaml")
    result = necwatch("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warning = result.stderr.strip()
    assert warning.startswith("warning: config.yaml: user_agent: ")
    assert "put your own contact in it" in warning and len(warning.splitlines()) == 1
    write_config(tmp_path, tmp_path / "n.db")  # a contact of its own: no warning
    assert necwatch("check", cwd=tmp_path).stderr == ""


def test_a_successful_demo_logs_no_fetch_failed_lines(tmp_path: Path) -> None:
    """The demo's three 404/410 (a feed path and an API the snapshot lacks, the removed post), and
    the three 404 of the post recovered from the demo archive (asked once before the archive is,
    then re-read as every removed post is), and the demo archive's capture of a suspended-blog page
    (read for a live post's history from before necwatch watched it), are answers, logged at info as
    such, not `fetch failed`."""
    result = necwatch("demo", "--db", "demo.db", "--log-format", "text", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "fetch failed" not in result.stderr
    answers = [line for line in result.stderr.splitlines() if "an answer, not a fault" in line]
    assert len(answers) == 7 and all(line.startswith("info ") for line in answers)
    assert sum("capture is no post page" in line for line in answers) == 1
    assert not [line for line in result.stderr.splitlines() if line.startswith(("warning", "error"))]


def test_a_read_only_file_system_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only mount cannot be made in a test (root ignores modes): the folder check is given
    what the kernel says on one (EROFS: not writable, ST_RDONLY)."""
    from necwatch.store import opening

    real = os.statvfs(tmp_path)

    class ReadOnly:
        f_flag = real.f_flag | os.ST_RDONLY

    monkeypatch.setattr(opening.os, "access", lambda *_a, **_k: False)
    monkeypatch.setattr(opening.os, "statvfs", lambda _p: ReadOnly())
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with pytest.raises(DatabaseUnusable) as caught:
        opening.prepare_folder(Path("data/x.db"))
    assert str(caught.value) == "data/x.db: cannot write in its folder data: read-only file system"
