"""F14, G14 (robots.txt) and politeness: per-host concurrency and spacing, measured at the server."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from necwatch.errors import FetchError, RobotsDisallowed
from necwatch.fetch import Cached, DictCache, Fetcher
from tests.faultserver import Conn, FaultServer, ok, sequence, status
from tests.fetch.conftest import UA, FakeClock, Stamped, client_for, fast, run


async def _many(server: FaultServer, paths: list[str], **kwargs: object) -> tuple[list[object], Fetcher]:
    settings = kwargs.pop("settings", None)
    async with client_for(server, settings, **kwargs) as client:  # type: ignore[arg-type]
        fetcher = client.for_source("s", frozenset([server.netloc]))
        results: list[object] = []
        for path in paths:
            try:
                results.append(await fetcher.get(server.url(path)))
            except FetchError as e:
                results.append(e)
        return results, fetcher


ROBOTS = (
    b"User-agent: *\nDisallow: /private\n\nUser-agent: necwatch-test\nDisallow: /blocked\nCrawl-delay: 0.3\n"
)


def test_robots_disallow_means_zero_requests(server: FaultServer) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, content_type="text/plain")
    server.routes["/blocked/1"] = ok()
    server.routes["/open"] = ok()
    (blocked, opened), fetcher = run(_many(server, ["/blocked/1", "/open"]))
    assert isinstance(blocked, RobotsDisallowed) and blocked.kind == "robots_disallowed"
    assert opened.status == 200
    assert server.count("/blocked/1") == 0 and server.count("/robots.txt") == 1
    assert [r.url.rsplit("/", 1)[-1] for r in fetcher.records] == ["1", "open"]  # robots.txt is not recorded
    assert fetcher.records[0].attempts == 0


def test_crawl_delay_spaces_requests(server: FaultServer, fake_clock: FakeClock) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, content_type="text/plain")
    server.routes["/a"] = ok()
    sent = Stamped(fake_clock.monotonic)
    run(_many(server, ["/a", "/a", "/a"], transport=sent))
    order = ["/robots.txt", "/a", "/a", "/a"]  # robots.txt counts: it is a request to the host
    assert [path for _, path in sent.sent] == order and [h.path for h in server.hits] == order
    # Crawl-delay 0.3 between request starts, on the limiter's (fake) clock: the starts it enforces,
    # free of scheduling delays. The upper bound says the gap is the crawl delay, not a multiple.
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(sent.sent)]
    assert all(0.3 - 1e-9 <= gap < 0.6 for gap in gaps), gaps


def test_robots_5xx_disallows_the_host_for_the_run_without_caching(server: FaultServer) -> None:
    server.routes["/robots.txt"] = status(503)
    server.routes["/a"] = ok()
    results, _ = run(_many(server, ["/a", "/a"], settings=fast(retries=0)))
    assert [getattr(r, "kind", None) for r in results] == ["robots_unavailable", "robots_unavailable"]
    assert server.count("/a") == 0 and server.count("/robots.txt") == 1  # asked once this run
    server.routes["/robots.txt"] = status(404)
    results, _ = run(_many(server, ["/a"]))  # a new run (client) asks again: nothing was cached
    assert results[0].status == 200  # type: ignore[union-attr]


def test_robots_network_error_disallows(server: FaultServer) -> None:
    server.routes["/robots.txt"] = lambda conn: conn.reset()
    results, _ = run(_many(server, ["/a"]))
    assert results[0].kind == "robots_unavailable" and server.count("/a") == 0  # type: ignore[union-attr]


def test_robots_404_allows_all(server: FaultServer) -> None:
    server.routes["/a"] = ok()
    results, _ = run(_many(server, ["/a"]))
    assert results[0].status == 200  # type: ignore[union-attr]


def test_robots_is_cut_at_500_kib(server: FaultServer) -> None:
    filler = b"# " + b"x" * 1000 + b"\n"
    body = b"User-agent: *\nAllow: /\n" + filler * 600 + b"User-agent: *\nDisallow: /late\n"
    server.routes["/robots.txt"] = ok(body, content_type="text/plain")
    server.routes["/late"] = ok()
    results, _ = run(_many(server, ["/late"]))
    assert results[0].status == 200  # type: ignore[union-attr]  # the rule past 500 KiB is never seen


def test_respect_robots_off(server: FaultServer) -> None:
    server.routes["/robots.txt"] = ok(b"User-agent: *\nDisallow: /\n")
    server.routes["/a"] = ok()
    results, _ = run(_many(server, ["/a"], settings=fast(respect_robots=False)))
    assert results[0].status == 200 and server.count("/robots.txt") == 0  # type: ignore[union-attr]


def test_robots_fetched_once_for_concurrent_gets(server: FaultServer) -> None:
    server.routes["/a"] = ok()

    async def scenario() -> None:
        async with client_for(server, fast(per_host_concurrency=4)) as client:
            a = client.for_source("a", frozenset([server.netloc]))
            b = client.for_source("b", frozenset([server.netloc]))
            await asyncio.gather(*(f.get(server.url("/a")) for f in (a, b, a, b)))

    run(scenario())
    assert server.count("/robots.txt") == 1 and server.count("/a") == 4


def _slow(conn: Conn) -> None:
    conn.wait(0.4)  # long enough that every allowed connection is open at once, even on a loaded machine
    conn.respond(200, b"slow")


# Overlap is measured at the client (Stamped: request sent → response closed, inside the slot), not on
# server threads, whose late `end` stamp on a loaded machine could overlap the next request's start.
@pytest.mark.parametrize("per_host", [1, 3])
def test_per_host_concurrency(server: FaultServer, per_host: int) -> None:
    server.routes["/s"] = _slow

    async def scenario(stamped: Stamped) -> None:
        settings = fast(per_host_concurrency=per_host, read_timeout=2.0, deadline=5.0)
        async with client_for(server, settings, transport=stamped) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            await asyncio.gather(*(fetcher.get(server.url("/s")) for _ in range(6)))

    # Never more than the limit, on any attempt; and the limit is reached (a scheduler hiccup on a
    # loaded machine may delay one connection past the window, so up to 3 attempts to see it).
    peaks = []
    for _ in range(3):
        server.hits.clear()
        run(scenario(stamped := Stamped()))
        peaks.append(stamped.max_overlap("/s"))
        assert peaks[-1] <= per_host
        if peaks[-1] == per_host:
            break
    assert peaks[-1] == per_host, peaks


def test_global_concurrency(server: FaultServer) -> None:
    with FaultServer(routes={"/s": _slow}) as other:
        server.routes["/s"] = _slow

        async def scenario(stamped: Stamped) -> None:
            settings = fast(per_host_concurrency=4, concurrency=2, read_timeout=2.0, deadline=5.0)
            allow = [server.netloc, other.netloc]
            async with client_for(server, settings, allow_addresses=allow, transport=stamped) as client:
                fetcher = client.for_source("s", frozenset([server.netloc, other.netloc]))
                urls = [s.url("/s") for s in (server, other) for _ in range(3)]
                await asyncio.gather(*(fetcher.get(u) for u in urls))

        peaks = []
        for _ in range(3):  # never above the limit; reaching it gets 3 tries (see above)
            server.hits.clear()
            other.hits.clear()
            run(scenario(stamped := Stamped()))
            peaks.append(stamped.max_overlap("/s"))  # both hosts: their paths are the same
            assert peaks[-1] <= 2
            if peaks[-1] == 2:
                break
        assert peaks[-1] == 2, peaks


def test_per_host_delay_between_starts(server: FaultServer, fake_clock: FakeClock) -> None:
    server.routes["/a"] = ok()
    sent = Stamped(fake_clock.monotonic)

    async def scenario() -> None:
        settings = fast(per_host_delay=0.2, per_host_concurrency=2)
        async with client_for(server, settings, transport=sent) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            await asyncio.gather(*(fetcher.get(server.url("/a")) for _ in range(4)))

    run(scenario())
    # robots.txt counts: it is a request to the host. Starts on the limiter's (fake) clock, as above.
    assert [path for _, path in sent.sent] == ["/robots.txt"] + ["/a"] * 4 and server.count() == 5
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(sorted(sent.sent))]
    assert all(0.2 - 1e-9 <= gap < 0.4 for gap in gaps), gaps


def test_user_agent_and_accept_encoding_always_sent(server: FaultServer) -> None:
    server.routes["/a"] = ok()
    run(_many(server, ["/a"]))
    assert all(h.headers.get("user-agent") == UA for h in server.hits)
    assert server.hits_for("/a")[0].headers.get("accept-encoding") == "gzip, deflate, br"


def test_conditional_304_returns_the_cached_body(server: FaultServer) -> None:
    def conditional(conn: Conn) -> None:
        if conn.headers.get("if-none-match") == '"v1"':
            conn.respond(304, b"", {"etag": '"v1"'})
        else:
            conn.respond(200, b"fresh", {"etag": '"v1"'})

    server.routes["/a"] = conditional
    cache = DictCache()
    cache.entries[server.url("/a")] = Cached(
        etag='"v1"',
        last_modified="Wed, 01 Jan 2025 00:00:00 GMT",
        body=b"caf\xc3\xa9",
        content_type="text/html",
    )
    (response,), fetcher = run(_many(server, ["/a"], cache=cache))
    assert response.not_modified and response.status == 304  # type: ignore[union-attr]
    assert response.content == b"caf\xc3\xa9" and response.text == "café"  # type: ignore[union-attr]
    hit = server.hits_for("/a")[0]
    assert hit.headers["if-none-match"] == '"v1"'
    assert hit.headers["if-modified-since"] == "Wed, 01 Jan 2025 00:00:00 GMT"
    record = fetcher.records[0]
    assert record.status == 304 and record.body is None and record.bytes == 0 and record.attempts == 1


def test_unconditional_get_skips_the_validators(server: FaultServer) -> None:
    server.routes["/a"] = ok(b"body")
    cache = DictCache()
    cache.entries[server.url("/a")] = Cached(etag='"v1"', last_modified=None, body=b"old", content_type=None)

    async def scenario() -> bytes:
        async with client_for(server, cache=cache) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            return (await fetcher.get(server.url("/a"), conditional=False)).content

    assert run(scenario()) == b"body"
    assert "if-none-match" not in server.hits_for("/a")[0].headers


def test_challenge_is_not_retried(server: FaultServer) -> None:
    server.routes["/a"] = status(403, b"<html>Just a moment...</html>", cf_mitigated="challenge")
    page = b"<html><title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/x.js'></script>"
    server.routes["/b"] = status(503, page, server="cloudflare")
    server.routes["/c"] = sequence(status(200, b"<p>x</p>", cf_mitigated="challenge"))
    results, _fetcher = run(_many(server, ["/a", "/b", "/c"]))
    assert [getattr(r, "kind", None) for r in results] == ["challenge"] * 3
    assert server.count("/a") == server.count("/b") == server.count("/c") == 1


def test_failures_are_logged_with_context(server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/a"] = status(404)
    server.routes["/b"] = status(400)
    with caplog.at_level(logging.INFO, logger="necwatch.fetch"):
        run(_many(server, ["/a", "/b"]))
    failed = ("fetch failed", "not there")  # a 404 is worded as an answer
    records = {r.url: r for r in caplog.records if r.message.startswith(failed)}  # type: ignore[attr-defined]
    record = records[server.url("/a")]
    assert record.source == "s"  # type: ignore[attr-defined]
    assert record.status == 404 and record.attempts == 1 and record.kind == "not_found"  # type: ignore[attr-defined]
    assert record.levelno == logging.INFO  # a 404 is an answer (a missing platform path, a deleted post)
    assert records[server.url("/b")].levelno == logging.WARNING


def _robots_304_if_tag(body: bytes, etag: str):  # type: ignore[no-untyped-def]
    """robots.txt with an ETag, answered 304 when the request carries that tag."""

    def handle(conn: Conn) -> None:
        if conn.headers.get("if-none-match") == etag:
            conn.respond(304, b"", {"etag": etag})
        else:
            conn.respond(200, body, {"content-type": "text/plain", "etag": etag})

    return handle


def test_robots_200_is_recorded_for_the_store_not_as_the_callers_fetch(server: FaultServer) -> None:
    server.routes["/robots.txt"] = _robots_304_if_tag(ROBOTS, '"r1"')
    server.routes["/open"] = ok()

    async def scenario() -> tuple[Fetcher, list[object]]:
        async with client_for(server) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            await fetcher.get(server.url("/open"))
            taken = client.take_robots_records()
            return fetcher, [taken, client.robots_records]

    fetcher, (taken, left) = run(scenario())
    assert [r.url for r in fetcher.records] == [server.url("/open")]  # still one record per get()
    (rec,) = taken  # type: ignore[misc]
    assert rec.url == server.url("/robots.txt") and rec.status == 200 and rec.source == "s"
    assert rec.body == ROBOTS and rec.etag == '"r1"' and rec.bytes == len(ROBOTS)
    assert left == []  # taken once: a second store call would not store it again


def test_robots_is_conditional_and_a_304_reuses_the_cached_rules(server: FaultServer) -> None:
    server.routes["/robots.txt"] = _robots_304_if_tag(ROBOTS, '"r1"')
    server.routes["/blocked/1"] = ok()
    server.routes["/open"] = ok()
    cache = DictCache()
    cache.entries[server.url("/robots.txt")] = Cached('"r1"', None, ROBOTS, "text/plain")

    async def scenario() -> tuple[list[object], list[object]]:
        async with client_for(server, cache=cache) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            results: list[object] = []
            for path in ("/blocked/1", "/open"):
                try:
                    results.append(await fetcher.get(server.url(path)))
                except FetchError as e:
                    results.append(e)
            return results, list(client.robots_records)

    (blocked, opened), records = run(scenario())
    (hit,) = server.hits_for("/robots.txt")
    assert hit.headers["if-none-match"] == '"r1"'
    assert isinstance(blocked, RobotsDisallowed) and server.count("/blocked/1") == 0  # the stored rules apply
    assert opened.status == 200  # type: ignore[attr-defined]
    (rec,) = records
    assert rec.status == 304 and rec.body is None and rec.bytes == 0 and rec.error_kind is None  # type: ignore[attr-defined]


def test_robots_304_without_a_cached_body_is_unreachable(server: FaultServer) -> None:
    server.routes["/robots.txt"] = status(304)
    server.routes["/a"] = ok()
    results, _ = run(_many(server, ["/a"]))
    assert results[0].kind == "robots_unavailable" and server.count("/a") == 0  # type: ignore[union-attr]


def test_robots_failure_is_recorded_and_still_not_cached(server: FaultServer) -> None:
    server.routes["/robots.txt"] = status(503)

    async def scenario() -> list[object]:
        async with client_for(server, fast(retries=0)) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            with pytest.raises(FetchError):
                await fetcher.get(server.url("/a"))
            return list(client.robots_records)

    (rec,) = run(scenario())
    assert rec.status == 503 and rec.error_kind == "http_5xx" and rec.body is None  # type: ignore[attr-defined]
