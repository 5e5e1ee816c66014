"""The README's promises: its Quick start commands, CI running its test command, and --help in step."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from necwatch.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_has_two_commands_demo_and_tests() -> None:
    commands = _quick_start_commands()
    assert len(commands) >= 2
    assert "necwatch demo" in commands[0] and "pip install" in commands[0]
    assert "pytest" in commands[1] and "pip install" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _quick_start_commands()[1].replace("-q ", "")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("-q ", "")
    assert test_command in ci


def test_every_command_is_documented_and_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name in cli.commands:
        assert f"necwatch {name}" in README, f"README does not document `necwatch {name}`"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"`necwatch {name} --help` has no example"
    assert runner.invoke(cli, ["--version"]).output.strip().startswith("necwatch, version")


def test_every_option_has_help_text() -> None:
    import click

    missing = [
        f"{name} --{p.name}"
        for name, cmd in cli.commands.items()
        for p in cmd.params
        if isinstance(p, click.Option) and not p.hidden and not p.help
    ]
    assert missing == []


def test_docs_link_only_to_files_in_the_repository() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    docs.append(ROOT / "src" / "necwatch" / "demo_data" / "reference-web" / "README.md")
    broken = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target and not (doc.parent / target).exists():
                broken.append(f"{doc.name}: {target}")
        for name in ("RELIABILITY.md", "../seeds/"):
            if name in text:
                broken.append(f"{doc.name}: cites {name}, which is not in the repository")
    assert broken == []


def test_readme_sample_output_is_what_the_demo_prints(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--db", str(tmp_path / "d.db"), "--feeds-dir", str(tmp_path / "f")]
    )
    assert result.exit_code == 0, result.output
    printed = result.output.split("NEC reports:", 1)[1].split("\nfeeds:", 1)[0]
    sample = README.split("NEC reports:", 1)[1].split("\n```", 1)[0]
    assert printed.strip() == sample.strip()
    import sqlite3

    rows = sqlite3.connect(tmp_path / "d.db").execute(
        "select meeting_date, meeting_kinds, reports, authors from meetings"
    )
    view = README.split("meeting_date  meeting_kinds", 1)[1].split("\n```", 1)[0].strip().splitlines()[1:]
    assert [line.split(None, 3) for line in view] == [[str(x) for x in r] for r in rows]
