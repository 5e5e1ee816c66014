"""G15, I5: every get() leaves exactly one record; every failure has a kind from the closed set."""

from __future__ import annotations

import asyncio
import gzip

from necwatch.errors import FETCH_ERROR_KINDS, FetchError
from tests.faultserver import Conn, FaultServer, ok, status
from tests.fetch.conftest import client_for, fast


def _reset(conn: Conn) -> None:
    conn.head(200, {"content-length": "500"})
    conn.send(b"x" * 100)
    conn.reset()


def _hang(conn: Conn) -> None:
    conn.head(200, {"content-length": "10"})
    conn.wait(30)  # ends when the server stops


def _drip(conn: Conn) -> None:
    conn.head(200, {"content-length": "100"})
    for _ in range(100):
        conn.send(b".")
        conn.wait(0.1)


FAULTS = {
    "/ok": (ok(), None),
    "/503": (status(503), "http_5xx"),
    "/404": (status(404), "not_found"),
    "/410": (status(410), "gone"),
    "/401": (status(401), "http_4xx"),
    "/reset": (_reset, "truncated"),
    "/hang": (_hang, "timeout"),
    "/drip": (_drip, "deadline"),
    "/big": (ok(b"b" * 5000), "too_large"),
    "/bomb": (ok(gzip.compress(b"\0" * 100_000), content_encoding="gzip"), "too_large"),
    "/loop": (status(302, location="/loop"), "redirect_loop"),
    "/off": (status(302, location="http://elsewhere.example/"), "host_not_allowed"),
    "/private": (status(302, location="http://10.0.0.1/"), "address_not_allowed"),
    "/challenge": (status(403, cf_mitigated="challenge"), "challenge"),
    "/blocked": (ok(), "robots_disallowed"),
    "/304": (status(304), "protocol"),
    "/429": (status(429, retry_after="999"), "rate_limited"),
}


def test_one_record_per_get_with_a_closed_kind(server: FaultServer) -> None:
    server.routes["/robots.txt"] = ok(b"User-agent: *\nDisallow: /blocked\n")
    for path, (handler, _) in FAULTS.items():
        server.routes[path] = handler

    async def scenario() -> list[tuple[str, str | None]]:
        # /hang must meet the read timeout before the deadline, and /drip (a byte every 0.1 s) the
        # deadline before the read timeout: each with a margin of 0.5 s or more for a loaded machine.
        settings = fast(max_bytes=4096, read_timeout=0.6, deadline=1.2)
        async with client_for(server, settings) as client:
            fetcher = client.for_source("s", frozenset([server.netloc, "10.0.0.1"]))
            outcomes = []
            for path in FAULTS:  # /429 last: it closes the host for the rest of the run
                try:
                    await fetcher.get(server.url(path))
                    outcomes.append((path, None))
                except FetchError as e:
                    outcomes.append((path, e.kind))
            assert len(fetcher.records) == len(FAULTS)
            for (path, kind), record in zip(outcomes, fetcher.records, strict=True):
                assert record.url == server.url(path)
                assert record.error_kind == kind
                assert kind is None or kind in FETCH_ERROR_KINDS
                assert (record.body is None) == (kind is not None)
            return outcomes

    outcomes = asyncio.run(scenario())
    assert dict(outcomes) == {path: kind for path, (_, kind) in FAULTS.items()}
