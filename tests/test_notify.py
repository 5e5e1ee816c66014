"""Alert delivery through Apprise's json:// target against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from necwatch import notify
from necwatch.alerts import AlertKind
from necwatch.config import Config, config_from_dict
from necwatch.store import Store


class Receiver:
    """A local endpoint for json://: records every notification, answers `status`."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.status == 200:
                    receiver.received.append(json.loads(data))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def make(tmp_path: Path, **notify_settings: Any) -> tuple[Config, Store]:
    config = config_from_dict(
        {
            "database": str(tmp_path / "n.db"),
            "notify": {"urls_env": "NECWATCH_TEST_APPRISE", **notify_settings},
            "publish": {"base_url": "https://data.example.org"},
        }
    )
    return config, Store.open(config.database_path)


def add_alert(store: Store, aid: str, *, backfill: int = 0, kind: str = "new_report") -> None:
    store.db["alerts"].insert(
        {
            "id": aid,
            "kind": kind,
            "created_at": f"2024-03-2{store.db['alerts'].count}T10:00:00+00:00",
            "source": "alice-perry",
            "report_id": f"r-{aid}",
            "title": f"Report {aid}",
            "summary": "Alice Perry, 300 words.",
            "url": f"https://example.org/{aid}",
            "backfill": backfill,
        }
    )


def rows(store: Store) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in store.db.query("select * from alerts")}


def test_delivers_each_alert_once_and_skips_backfill(tmp_path: Path, receiver: Receiver) -> None:
    config, store = make(tmp_path)
    add_alert(store, "a1")
    add_alert(store, "a2")
    add_alert(store, "b1", backfill=1)
    env = {"NECWATCH_TEST_APPRISE": receiver.url}
    assert notify.deliver(store, config, environ=env) == 2
    assert [m["title"] for m in receiver.received] == [
        "New NEC report: Report a1",
        "New NEC report: Report a2",
    ]
    assert "https://data.example.org/necwatch/reports/r-a1" in receiver.received[0]["message"]
    state = rows(store)
    assert state["a1"]["delivered_at"] and state["a1"]["delivery_attempts"] == 1
    assert state["b1"]["delivered_at"] is None and state["b1"]["delivery_attempts"] == 0
    # A second run sends nothing again.
    assert notify.deliver(store, config, environ=env) == 0
    assert len(receiver.received) == 2


def test_include_backfill(tmp_path: Path, receiver: Receiver) -> None:
    config, store = make(tmp_path, include_backfill=True)
    add_alert(store, "b1", backfill=1)
    assert notify.deliver(store, config, environ={"NECWATCH_TEST_APPRISE": receiver.url}) == 1


def test_failure_is_retried_next_run_then_given_up(tmp_path: Path, receiver: Receiver) -> None:
    config, store = make(tmp_path, max_attempts=3)
    add_alert(store, "a1")
    env = {"NECWATCH_TEST_APPRISE": receiver.url}
    receiver.status = 500
    assert notify.deliver(store, config, environ=env) == 0
    row = rows(store)["a1"]
    assert row["delivered_at"] is None and row["delivery_attempts"] == 1
    assert row["delivery_error"] and "500" in row["delivery_error"]
    receiver.status = 200  # the service is back: the next run delivers it
    assert notify.deliver(store, config, environ=env) == 1
    row = rows(store)["a1"]
    assert row["delivered_at"] and row["delivery_attempts"] == 2 and row["delivery_error"] is None
    assert len(receiver.received) == 1

    add_alert(store, "a2")
    receiver.status = 500
    for _ in range(5):
        notify.deliver(store, config, environ=env)
    row = rows(store)["a2"]
    assert row["delivery_attempts"] == 3 and row["delivered_at"] is None  # gave up, visibly


def test_dead_target_is_bounded_and_never_raises(tmp_path: Path) -> None:
    config, store = make(tmp_path)
    add_alert(store, "a1")
    # Nothing listens on port 9 of localhost: a connection error, recorded, not raised.
    assert notify.deliver(store, config, environ={"NECWATCH_TEST_APPRISE": "json://127.0.0.1:9/"}) == 0
    assert rows(store)["a1"]["delivery_attempts"] == 1


def test_urls_from_env_and_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "apprise.txt"
    secrets.write_text("# targets\njson://a.example/  # first\n\njson://b.example/, json://a.example/\n")
    config = config_from_dict({"notify": {"urls_env": "X", "secrets_file": str(secrets)}})
    urls = notify.notification_urls(config, {"X": "json://c.example/ json://d.example/"})
    assert urls == ["json://c.example/", "json://d.example/", "json://a.example/", "json://b.example/"]
    assert notify.notification_urls(config_from_dict({}), {}) == []


def test_no_targets_touches_nothing(tmp_path: Path) -> None:
    config, store = make(tmp_path)
    add_alert(store, "a1")
    assert notify.deliver(store, config, environ={}) == 0
    assert rows(store)["a1"]["delivery_attempts"] == 0


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_kind_is_titled_from_alert_kind(kind: AlertKind) -> None:
    config = config_from_dict({})
    alert = {"kind": kind.value, "title": "Report a1", "summary": "s", "url": None, "report_id": None}
    assert notify.message(alert, config) == (f"{kind.headline}: Report a1", "s")


def test_operator_and_unknown_kinds_are_still_pushed(tmp_path: Path, receiver: Receiver) -> None:
    """Notifications go to the operator: source health is pushed, and a kind this version does not
    know is pushed under its stored name rather than dropped."""
    config, store = make(tmp_path)
    add_alert(store, "s1", kind=AlertKind.SOURCE_MOVED)
    add_alert(store, "u1", kind="source_quarantined")
    assert notify.deliver(store, config, environ={"NECWATCH_TEST_APPRISE": receiver.url}) == 2
    assert [m["title"] for m in receiver.received] == [
        "necwatch source moved: Report s1",
        "source_quarantined: Report u1",
    ]
