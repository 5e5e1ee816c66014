"""Deliver undelivered alerts with Apprise: the alerts table is an outbox (docs/tracking.md).

Runs after the poll, never inside it, and in bounded time (Apprise's socket timeouts per target plus
a deadline for the whole delivery), so a slow or dead notification service cannot delay a scrape.

* Targets are Apprise URLs from the environment variable named by `notify.urls_env` and/or the file
  `notify.secrets_file` (space, comma or newline separated; `#` comments). They are secrets: never in
  config.yaml or the repository.
* An alert is sent once: `delivered_at` is set on success. A failure increments `delivery_attempts`
  and keeps the reason in `delivery_error`; it is retried next run until `notify.max_attempts`, then
  left undelivered and visible (`necwatch alerts`, Datasette).
* Backfill alerts (a source's first poll) are not pushed unless `notify.include_backfill`.
* Delivery is at-least-once: a crash between sending and recording, or one of several targets
  failing, means a retry may repeat a message to a target that already had it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import apprise

from necwatch.alerts import AlertKind
from necwatch.config import Config
from necwatch.store import Store

log = logging.getLogger("necwatch.notify")

MAX_PER_RUN = 50  # a backlog drains over several runs instead of flooding a channel at once
DEADLINE = 60.0  # seconds for all deliveries of one run; the rest wait for the next run


def notification_urls(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Apprise URLs from the environment variable and the secrets file (both optional)."""
    env = os.environ if environ is None else environ
    text = env.get(config.notify.urls_env, "")
    if config.notify.secrets_file:
        path = config.path(config.notify.secrets_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            log.warning("notify.secrets_file %s does not exist", path)
            lines = []
        text += "\n" + "\n".join(line.split("#", 1)[0] for line in lines)
    urls: list[str] = []
    for url in re.split(r"[\s,]+", text):
        if url and url not in urls:
            urls.append(url)
    return urls


def deliver(
    store: Store,
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Send pending alerts; return how many were delivered. Never raises for a delivery failure."""
    urls = notification_urls(config, environ)
    if not urls:
        return 0
    targets = apprise.Apprise()
    for url in urls:
        if not targets.add(url):
            log.error("notify: an Apprise URL is not valid (check %s / secrets_file)", config.notify.urls_env)
    if len(targets) == 0:
        return 0
    pending = store.pending_alerts(
        max_attempts=config.notify.max_attempts,
        include_backfill=config.notify.include_backfill,
        limit=MAX_PER_RUN,
    )
    started, delivered = clock(), 0
    for alert in pending:
        if clock() - started > DEADLINE:
            log.warning("notify: deadline reached, %d alerts wait for the next run", len(pending) - delivered)
            break
        ok, error = _send(targets, alert, config)
        if ok:
            store.mark_delivered(alert["id"])
            delivered += 1
        else:
            reason = (error or "delivery failed")[:1000]
            attempts = store.mark_failed(alert["id"], reason)
            level = logging.ERROR if attempts >= config.notify.max_attempts else logging.WARNING
            log.log(level, "notify: alert %s not delivered (attempt %d of %d): %s", alert["id"], attempts,
                    config.notify.max_attempts, reason)  # fmt: skip
    return delivered


def message(alert: Mapping[str, Any], config: Config) -> tuple[str, str]:
    """Title and plain-text body of one alert's notification."""
    title = f"{AlertKind.headline_of(alert['kind'])}: {alert['title'] or ''}".rstrip(": ")
    lines = [alert["summary"] or ""]
    if alert["url"]:
        lines.append(alert["url"])
    base = (config.publish.base_url or "").rstrip("/")
    if base and alert["report_id"]:
        from necwatch.feeds import report_row_url

        lines.append(f"Dataset: {report_row_url(base, alert['report_id'])}")
    return title, "\n".join(line for line in lines if line)


def _send(targets: apprise.Apprise, alert: Mapping[str, Any], config: Config) -> tuple[bool, str | None]:
    title, body = message(alert, config)
    with apprise.LogCapture(level=logging.WARNING) as captured:
        try:
            ok = bool(targets.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        except Exception as e:  # a plugin bug must not stop the job
            return False, f"{type(e).__name__}: {e}"
        text = captured.getvalue().strip()
    return ok, None if ok else (_last_lines(text) or "an Apprise target reported failure")


def _last_lines(text: str, n: int = 3) -> str:
    lines = [re.sub(r"^\S+ \S+ - ", "", line) for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-n:])
