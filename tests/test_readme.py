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
