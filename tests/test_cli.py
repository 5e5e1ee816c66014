"""The CLI is a thin face on the Store: each reading command prints exactly what one Store method
returns, options map onto its arguments, and only the Store runs SQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from necwatch.alerts import AlertKind
from necwatch.cli import cli
from necwatch.store import Store

SRC = Path(__file__).resolve().parents[1] / "src" / "necwatch"
SQL_CALL = re.compile(r"\.execute\(|\.query\(|rows_where|\.table\(|\.db\[")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with alerts of several kinds and times, one polled source and one that failed."""
    path = tmp_path / "n.db"
    store = Store.open(path)
    kinds = [*AlertKind, "source_quarantined"]  # the last: a kind a newer version wrote
    for i, kind in enumerate(kinds):
        store.db["alerts"].insert(
            {
                "id": f"a{i:02}",
                "kind": str(kind),
                "created_at": f"2024-03-{10 + i:02}T10:00:00+00:00",
                "source": "alice-perry",
                "title": f"Alert {i}",
                "summary": f"Summary {i}" if i % 2 else None,
                "url": f"https://example.org/{i}" if i % 3 else None,
                "backfill": int(i < 3),
                "delivery_attempts": 2 if i == 3 else 0,
                "delivery_error": "HTTP 500" if i == 3 else None,
            }
        )
    store.db["sources"].insert(
        {"name": "alice-perry", "type": "wordpress", "url": "https://a.example/", "health": "ok", "posts": 7,
         "last_ok_at": "2024-03-20T10:00:00+00:00", "last_polled_at": "2024-03-20T10:00:00+00:00",
         "next_check_at": "2024-03-20T22:00:00+00:00"}
    )  # fmt: skip
    store.db["sources"].insert(
        {"name": "dead", "type": "blogger", "url": "https://d.example/", "health": "unhealthy", "posts": 0,
         "consecutive_failures": 3, "last_error": "connect: refused"}
    )  # fmt: skip
    store.close()
    return path


@pytest.fixture
def config(tmp_path: Path, db: Path) -> Path:
    path = tmp_path / "config.yaml"
    sources = [
        {"name": "alice-perry", "type": "wordpress", "url": "https://a.example/"},
        {"name": "dead", "type": "blogger", "url": "https://d.example/"},
        {"name": "fresh", "type": "blogger", "url": "https://f.example/"},
    ]
    path.write_text(yaml.safe_dump({"database": str(db), "sources": sources}), encoding="utf-8")
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def json_lines(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


@pytest.mark.parametrize(
    ("options", "kwargs"),
    [
        ([], {}),
        (["--limit", "3"], {"limit": 3}),
        (["--since", "2024-03-15"], {"since": datetime(2024, 3, 15)}),
        (
            ["--since", "2024-03-15T12:00:00+02:00"],
            {"since": datetime(2024, 3, 15, 12, tzinfo=timezone(timedelta(hours=2)))},
        ),
        (["--kind", "report_edited", "--kind", "source_moved"], {"kinds": ["report_edited", "source_moved"]}),
        (
            ["--since", "2024-03-12", "--kind", "new_report", "--kind", "new_comment", "--limit", "1"],
            {"since": datetime(2024, 3, 12, tzinfo=UTC), "kinds": ["new_report", "new_comment"], "limit": 1},
        ),
    ],
)
def test_alerts_prints_what_store_alerts_since_returns(
    db: Path, options: list[str], kwargs: dict[str, Any]
) -> None:
    store = Store.open(db, readonly=True)
    expected = store.alerts_since(**kwargs)
    assert expected  # every case selects something
    assert json_lines(invoke("alerts", "--db", str(db), "--json", *options)) == expected


def test_alerts_since_reads_a_naive_time_as_utc(db: Path) -> None:
    store = Store.open(db, readonly=True)
    plus_two = datetime(2024, 3, 15, 12, tzinfo=timezone(timedelta(hours=2)))
    rows = store.alerts_since(plus_two)
    assert [r["id"] for r in rows] == [f"a{i:02}" for i in range(11, 4, -1)]  # newest first
    assert store.alerts_since(datetime(2024, 3, 15, 10)) == rows
    assert store.alerts_since(kinds=[]) == []  # an empty allow-list selects nothing


def test_alerts_text_output(db: Path) -> None:
    result = invoke("alerts", "--db", str(db), "--kind", "report_removed", "--kind", "report_restored")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "2024-03-13T10:00:00+00:00  report_restored    Alert 3",
        "    Summary 3",
        "    not delivered after 2 attempts: HTTP 500",
        "2024-03-12T10:00:00+00:00  report_removed     Alert 2 (backfill)",
        "    https://example.org/2",
    ]


def test_alerts_with_an_unknown_kind_is_a_usage_error_listing_the_kinds(db: Path) -> None:
    result = invoke("alerts", "--db", str(db), "--kind", "bogus")
    assert result.exit_code == 2
    assert "bogus" in result.output
    for kind in AlertKind:
        assert kind.value in result.output


def test_alerts_kind_choices_are_the_enum_values() -> None:
    option = next(p for p in cli.commands["alerts"].params if p.name == "kinds")
    assert list(option.type.choices) == AlertKind.values()  # type: ignore[attr-defined]


def test_alerts_bad_since_is_a_usage_error(db: Path) -> None:
    result = invoke("alerts", "--db", str(db), "--since", "last tuesday")
    assert result.exit_code == 2
    assert "--since: not an ISO date/time: 'last tuesday'" in result.output


def test_status_prints_what_store_source_status_returns(config: Path, db: Path) -> None:
    result = invoke("status", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    store = Store.open(db, readonly=True)
    configured = [("alice-perry", "wordpress"), ("dead", "blogger"), ("fresh", "blogger")]
    assert json.loads(result.output) == store.source_status(configured)
    by_name = {s["name"]: s for s in json.loads(result.output)}
    assert by_name["fresh"]["health"] == "never polled"
    assert by_name["dead"]["consecutive_failures"] == 3
    text = invoke("status", "--config", str(config)).output
    assert "dead                 unhealthy     posts=0 failures=3" in text
    assert "    last error: connect: refused" in text


def test_each_mirrored_store_method_exists() -> None:
    """`Mirrors Store.x(…)` in a command's help names a real Store method."""
    mirrored = {}
    for name, command in cli.commands.items():
        found = re.findall(r"Mirrors Store\.(\w+)\(", command.help or "")
        if found:
            mirrored[name] = found[0]
    assert mirrored == {"alerts": "alerts_since", "status": "source_status"}
    assert all(callable(getattr(Store, method, None)) for method in mirrored.values())


@pytest.mark.parametrize("module", ["cli.py", "feeds.py", "notify.py"])
def test_only_the_store_runs_sql(module: str) -> None:
    text = (SRC / module).read_text(encoding="utf-8")
    assert not SQL_CALL.findall(text), f"{module} runs SQL: move it into a Store method"
