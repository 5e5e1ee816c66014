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


def test_help_texts_speak_to_users_not_of_internals() -> None:
    """No command's help names a Store method (issue 18: "Mirrors Store.…" is internals)."""
    for name, command in cli.commands.items():
        assert "Store." not in (command.help or ""), name
    top = cli.help or ""
    offline = top.split("Quick start (no network needed):")[1].split("Then")[0]
    assert "necwatch run" not in offline
    assert "necwatch demo" in offline


@pytest.mark.parametrize("module", ["cli.py", "feeds.py", "notify.py"])
def test_only_the_store_runs_sql(module: str) -> None:
    text = (SRC / module).read_text(encoding="utf-8")
    assert not SQL_CALL.findall(text), f"{module} runs SQL: move it into a Store method"


def test_feeds_follow_the_database_given_with_db(tmp_path: Path, db: Path) -> None:
    """`--db OTHER.db` never rewrites the config's feeds_dir with another database's feeds."""
    cfg = tmp_path / "own.yaml"
    own_feeds = tmp_path / "own-feeds"
    cfg.write_text(yaml.safe_dump({"database": str(tmp_path / "own.db"), "feeds_dir": str(own_feeds)}))
    result = invoke("feeds", "-c", str(cfg), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert not own_feeds.exists()
    assert (tmp_path / "n-feeds" / "changes.atom").exists()  # db is tmp_path/n.db
    explicit = tmp_path / "chosen"
    assert invoke("feeds", "-c", str(cfg), "--db", str(db), "--feeds-dir", str(explicit)).exit_code == 0
    assert (explicit / "changes.atom").exists() and not own_feeds.exists()


def test_run_with_db_writes_feeds_beside_that_database(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    own_feeds = tmp_path / "data" / "feeds"
    source = {"name": "down", "type": "blogger", "url": "http://127.0.0.1:9/"}  # refused at once
    cfg.write_text(yaml.safe_dump({
        "database": str(tmp_path / "data" / "main.db"), "feeds_dir": str(own_feeds),
        "allow_private_addresses": True, "fetch": {"retries": 0}, "sources": [source],
    }))  # fmt: skip
    result = invoke("run", "-c", str(cfg), "--db", str(tmp_path / "other.db"))
    assert result.exit_code == 1, result.output  # the source failed …
    assert (tmp_path / "other-feeds" / "changes.atom").exists()  # … and the feeds follow other.db
    assert not own_feeds.exists()


def test_schedule_prints_each_sources_next_poll(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import necwatch.schedule

    def fake(cfg: Any, *, on_start: Any = None, **kw: Any) -> None:
        first = {s.name: datetime(2024, 3, 20, 10, i, tzinfo=UTC) for i, s in enumerate(cfg.sources)}
        on_start(first)

    monkeypatch.setattr(necwatch.schedule, "run_scheduler", fake)
    result = invoke("schedule", "-c", str(config))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("scheduler started: 3 sources")
    assert lines[1].split() == ["alice-perry", "next", "poll", "2024-03-20T10:00:00+00:00"]
    assert lines[3].split()[0] == "fresh"


def test_run_scheduler_reports_the_first_polls(tmp_path: Path) -> None:
    from necwatch.config import config_from_dict
    from necwatch.schedule import run_scheduler

    source = {"name": "later", "type": "blogger", "url": "http://127.0.0.1:9/", "interval": "6h"}
    config = config_from_dict({"database": str(tmp_path / "s.db"), "allow_private_addresses": True,
                               "schedule": {"jitter": "1h"}, "sources": [source]})  # fmt: skip
    seen: list[dict[str, datetime]] = []
    before = datetime.now(UTC)
    run_scheduler(config, stop_after=0.2, on_start=seen.append)
    assert len(seen) == 1 and set(seen[0]) == {"later"}
    assert before <= seen[0]["later"] <= before + timedelta(hours=1, seconds=5)
