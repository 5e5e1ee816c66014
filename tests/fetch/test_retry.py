"""F1, F2, G5: retries, backoff, Retry-After and the per-host 429 budget, counted at the server."""

from __future__ import annotations

import contextlib
import email.utils
import random
from datetime import UTC, datetime, timedelta

import pytest

from necwatch.errors import FETCH_ERROR_KINDS, FetchError, RateLimited
from necwatch.fetch.retry import backoff_delay, parse_retry_after
from tests.faultserver import FaultServer, ok, sequence, status
from tests.fetch.conftest import client_for, fast, fetch_one, run


def test_503_then_200_retries_once(server: FaultServer) -> None:
    server.routes["/p"] = sequence(status(503), ok(b"fine"))
    result, records = run(fetch_one(server, "/p"))
    assert result.content == b"fine"
    assert result.attempts == 2
    assert server.count("/p") == 2
    assert len(records) == 1 and records[0].attempts == 2 and records[0].body == b"fine"


def test_503_three_times_gives_up_as_http_5xx(server: FaultServer) -> None:
    server.routes["/p"] = status(503, b"down")
    result, records = run(fetch_one(server, "/p"))
    assert isinstance(result, FetchError) and result.kind == "http_5xx" and result.status == 503
    assert result.attempts == 3 == server.count("/p")
    assert [r.error_kind for r in records] == ["http_5xx"] and records[0].attempts == 3


@pytest.mark.parametrize("code", [500, 502, 504, 408, 522, 524])
def test_other_retryable_statuses(server: FaultServer, code: int) -> None:
    server.routes["/p"] = sequence(status(code), ok())
    result, _ = run(fetch_one(server, "/p"))
    assert result.status == 200 and server.count("/p") == 2


@pytest.mark.parametrize(
    ("code", "kind"),
    [(404, "not_found"), (410, "gone"), (400, "http_4xx"), (401, "http_4xx"), (403, "http_4xx")],
)
def test_client_errors_are_never_retried(server: FaultServer, code: int, kind: str) -> None:
    server.routes["/p"] = status(code)
    result, records = run(fetch_one(server, "/p"))
    assert isinstance(result, FetchError) and result.kind == kind and result.status == code
    assert server.count("/p") == 1 and records[0].attempts == 1


def test_429_retry_after_1_waits_then_succeeds(server: FaultServer) -> None:
    server.routes["/p"] = sequence(status(429, retry_after="1"), ok(b"now"))
    result, records = run(fetch_one(server, "/p"))
    assert result.content == b"now" and records[0].attempts == 2
    first, second = server.hits_for("/p")
    # Robust on a loaded machine by causality: the client waits 1 s after receiving the first answer,
    # which the server sent after `first.start`; scheduling delays only lengthen the gap.
    assert second.start - first.start >= 0.95


def test_retry_after_beyond_cap_defers_without_retrying(server: FaultServer) -> None:
    server.routes["/p"] = status(429, retry_after="120")
    server.routes["/q"] = ok()

    async def scenario() -> tuple[FetchError, FetchError, object]:
        async with client_for(server) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            with pytest.raises(RateLimited) as first:
                await fetcher.get(server.url("/p"))
            with pytest.raises(RateLimited) as later:  # same host later in the run: not asked at all
                await fetcher.get(server.url("/q"))
            return first.value, later.value, fetcher

    before = datetime.now(UTC)
    first, later, fetcher = run(scenario())
    after = datetime.now(UTC)
    assert first.kind == "rate_limited" and first.retry_after == 120 and first.attempts == 1
    assert later.attempts == 0 and 100 < (later.retry_after or 0) <= 120
    assert server.count("/p") == 1 and server.count("/q") == 0
    # deferred by the 120 s Retry-After, counted from when it was answered (within the scenario)
    deferred = fetcher.deferred_until  # type: ignore[attr-defined]
    assert deferred is not None
    wait = timedelta(seconds=120)
    assert before.replace(microsecond=0) + wait <= deferred <= after + wait
    assert [r.error_kind for r in fetcher.records] == ["rate_limited", "rate_limited"]  # type: ignore[attr-defined]


def test_retry_after_http_date(server: FaultServer) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    server.routes["/p"] = status(503, retry_after=when)
    result, _ = run(fetch_one(server, "/p"))
    assert isinstance(result, RateLimited) and 290 < (result.retry_after or 0) <= 300
    assert server.count("/p") == 1


def test_retry_after_garbage_falls_back_to_backoff(server: FaultServer) -> None:
    server.routes["/p"] = sequence(status(503, retry_after="soon-ish"), ok())
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    result, _ = run(fetch_one(server, "/p", sleep=record, settings=fast(backoff=1.0)))
    assert result.status == 200
    assert len(waits) == 1 and 0.5 <= waits[0] < 1.5  # the default backoff, not a parsed value


def test_at_most_one_request_to_a_host_after_a_429(server: FaultServer) -> None:
    server.routes["/p"] = status(429, retry_after="0")
    server.routes["/q"] = ok()

    async def scenario() -> list[str | None]:
        async with client_for(server) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            for path in ("/p", "/q", "/q"):
                with contextlib.suppress(FetchError):
                    await fetcher.get(server.url(path))
            return [r.error_kind for r in fetcher.records]

    kinds = run(scenario())
    assert kinds == ["rate_limited", "rate_limited", "rate_limited"]
    assert server.count("/p") == 2  # the 429 and the one further request
    assert server.count("/q") == 0


def test_other_hosts_unaffected_by_a_429(server: FaultServer) -> None:
    server.routes["/p"] = status(429, retry_after="120")
    with FaultServer(routes={"/q": ok(b"other")}) as other:

        async def scenario() -> bytes:
            async with client_for(server, allow_addresses=[server.netloc, other.netloc]) as client:
                fetcher = client.for_source("s", frozenset([server.netloc, other.netloc]))
                with pytest.raises(RateLimited):
                    await fetcher.get(server.url("/p"))
                return (await fetcher.get(other.url("/q"))).content

        assert run(scenario()) == b"other"


def test_backoff_is_exponential_with_jitter(server: FaultServer) -> None:
    server.routes["/p"] = status(500)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    result, _ = run(fetch_one(server, "/p", sleep=record, settings=fast(backoff=1.0), rng=random.Random(7)))
    assert result.kind == "http_5xx" and len(waits) == 2
    assert 0.5 <= waits[0] < 1.5 and 1.0 <= waits[1] < 3.0


def test_backoff_delay_bounds() -> None:
    rng = random.Random(1)
    for retry in (1, 2, 3):
        for _ in range(50):
            d = backoff_delay(2.0, retry, rng)
            assert 2.0 * 2 ** (retry - 1) * 0.5 <= d < 2.0 * 2 ** (retry - 1) * 1.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), (None, None), ("", None), ("soon", None), ("-5", None), ("1.5", None)],
)
def test_parse_retry_after_seconds_and_garbage(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0  # in the past: now


def test_retries_do_not_exceed_three_attempts_and_kinds_are_closed(server: FaultServer) -> None:
    server.routes["/p"] = status(502)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    _result, records = run(fetch_one(server, "/p", sleep=record))
    assert server.count("/p") == 3
    assert len(waits) == 2 and all(w < 0.1 for w in waits), waits  # two short backoffs (0.01 s base)
    assert records[0].error_kind in FETCH_ERROR_KINDS
