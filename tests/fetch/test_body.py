"""F3, F4, F5: truncated bodies, hangs, drips and oversized bodies on a real socket."""

from __future__ import annotations

import gzip
import logging
import tracemalloc
import zlib

import brotli
import pytest

from necwatch.errors import FetchError, ResponseTooLarge
from tests.faultserver import Conn, FaultServer, ok, sequence
from tests.fetch.conftest import fast, fetch_one, run

MiB = 1024 * 1024


async def _get(server: FaultServer, path: str, **settings: object) -> tuple[object, list]:
    """fetch_one() with fast() settings overridden by `settings`."""
    return await fetch_one(server, path, fast(**settings) if settings else None)


def reset_mid_body(conn: Conn) -> None:
    conn.head(200, {"content-length": "50000"})
    conn.send(b"x" * 10000)
    conn.wait(0.05)
    conn.reset()


def short_body(conn: Conn) -> None:
    conn.head(200, {"content-length": "50000"})
    conn.send(b"x" * 10000)  # then a clean close: Content-Length mismatch


def chunked_without_terminator(conn: Conn) -> None:
    conn.head(200, {"transfer-encoding": "chunked"})
    conn.send(b"400\r\n" + b"y" * 1024 + b"\r\n")  # no 0\r\n\r\n, then close


@pytest.mark.parametrize("handler", [reset_mid_body, short_body, chunked_without_terminator])
def test_truncated_bodies_are_retried_then_refused(server: FaultServer, handler) -> None:  # type: ignore[no-untyped-def]
    server.routes["/p"] = handler
    result, records = run(_get(server, "/p"))
    assert isinstance(result, FetchError) and result.kind == "truncated"
    assert server.count("/p") == 3 and result.attempts == 3
    assert records[0].body is None and records[0].error_kind == "truncated"


def test_truncated_then_complete_returns_only_the_complete_body(server: FaultServer) -> None:
    server.routes["/p"] = sequence(short_body, ok(b"z" * 50000))
    result, records = run(_get(server, "/p"))
    assert result.content == b"z" * 50000 and records[0].attempts == 2


def test_headers_then_hang_is_a_timeout_after_three_attempts(server: FaultServer) -> None:
    def hang(conn: Conn) -> None:
        conn.head(200, {"content-length": "100"})
        conn.wait(120)  # ends when the server stops

    server.routes["/p"] = hang
    result, _ = run(_get(server, "/p"))
    # the client's read timeout ended each attempt (the server hangs for 120 s, then only closes)
    assert isinstance(result, FetchError) and result.kind == "timeout"
    assert server.count("/p") == 3


def test_slow_drip_is_cut_by_the_total_deadline(server: FaultServer) -> None:
    sent = [0]

    def drip(conn: Conn) -> None:
        conn.head(200, {"content-length": "1000"})
        for _ in range(1000):
            conn.send(b".")
            sent[0] += 1
            conn.wait(0.1)  # far under the 2 s read timeout (even late), so only the deadline can stop it

    server.routes["/p"] = drip
    result, records = run(_get(server, "/p", deadline=0.5, read_timeout=2.0))
    assert isinstance(result, FetchError) and result.kind == "deadline"
    assert server.count("/p") == 1  # a drip would only drip again: not retried
    assert 0 < sent[0] < 1000  # the body had begun and was cut by the deadline, not read to its end
    assert records[0].error_kind == "deadline"


def _big(conn: Conn, *, length: bool) -> None:
    block = b"a" * 65536
    total = 20 * 1000 * 1000
    conn.head(200, {"content-length": str(total)} if length else {})
    sent = 0
    while sent < total:
        conn.send(block)
        sent += len(block)


def test_20mb_with_content_length_is_refused_before_reading(server: FaultServer) -> None:
    server.routes["/p"] = lambda conn: _big(conn, length=True)
    result, records = run(_get(server, "/p"))
    assert isinstance(result, ResponseTooLarge) and result.kind == "too_large" and result.bytes_read == 0
    assert server.count("/p") == 1 and records[0].error_kind == "too_large"


def test_20mb_without_content_length_is_cut_at_the_cap(server: FaultServer) -> None:
    server.routes["/p"] = lambda conn: _big(conn, length=False)
    result, _ = run(_get(server, "/p"))
    assert isinstance(result, ResponseTooLarge)
    assert 10 * MiB < result.bytes_read <= 10 * MiB + 64 * 1024
    assert server.count("/p") == 1


@pytest.fixture(scope="session")
def gzip_bomb() -> bytes:
    """1 GiB of zeros gzipped (~1 MB): built on first use, not at import (it takes seconds)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * MiB
    return b"".join([*(c.compress(block) for _ in range(1024)), c.flush()])


def test_gzip_bomb_is_cut_at_the_cap_without_inflating_it(server: FaultServer, gzip_bomb: bytes) -> None:
    assert len(gzip_bomb) < 2 * MiB
    server.routes["/p"] = ok(gzip_bomb, content_encoding="gzip")
    tracemalloc.start()
    try:
        result, _ = run(_get(server, "/p"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, ResponseTooLarge)
    assert 10 * MiB < result.bytes_read <= 10 * MiB + 64 * 1024
    assert peak < 64 * MiB


def test_gzip_and_deflate_bodies_are_decoded(server: FaultServer) -> None:
    text = b"<p>hello</p>" * 1000
    server.routes["/g"] = ok(gzip.compress(text), content_encoding="gzip")
    server.routes["/d"] = ok(zlib.compress(text), content_encoding="deflate")
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    server.routes["/r"] = ok(raw.compress(text) + raw.flush(), content_encoding="deflate")
    for path in ("/g", "/d", "/r"):
        result, _ = run(_get(server, path))
        assert result.content == text, path


def test_truncated_gzip_is_truncated(server: FaultServer) -> None:
    server.routes["/p"] = ok(gzip.compress(b"x" * 100000)[:-20], content_encoding="gzip")
    result, _ = run(_get(server, "/p"))
    assert isinstance(result, FetchError) and result.kind == "truncated"


def test_large_body_warns(server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/p"] = ok(b"w" * 300_000)
    with caplog.at_level(logging.WARNING, logger="necwatch.fetch"):
        result, _ = run(_get(server, "/p", warn_bytes=200_000))
    assert len(result.content) == 300_000
    assert any(r.message == "large response body" for r in caplog.records)


def test_unknown_content_encoding_is_a_protocol_error(server: FaultServer) -> None:
    server.routes["/p"] = ok(b"??", content_encoding="zstd")
    result, _ = run(_get(server, "/p"))
    assert isinstance(result, FetchError) and result.kind == "protocol"


def _br_bomb() -> bytes:
    c = brotli.Compressor(quality=5)
    block = b"\0" * MiB
    return b"".join([*(c.process(block) for _ in range(1024)), c.finish()])  # 1 GiB of zeros


def test_br_bomb_is_cut_at_the_cap_without_inflating_it(server: FaultServer) -> None:
    bomb = _br_bomb()
    assert len(bomb) < 64 * 1024  # brotli packs 1 GiB of zeros into ~2 KB
    server.routes["/p"] = ok(bomb, content_encoding="br")
    tracemalloc.start()
    try:
        result, _ = run(_get(server, "/p"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, ResponseTooLarge)
    assert 10 * MiB < result.bytes_read <= 10 * MiB + 128 * 1024  # one 64 KiB step + one brotli block
    assert peak < 64 * MiB


def test_br_bodies_are_decoded_and_truncation_and_corruption_are_caught(server: FaultServer) -> None:
    text = b"<p>hello br</p>" * 20000
    packed = brotli.compress(text)
    server.routes["/b"] = ok(packed, content_encoding="br")
    server.routes["/t"] = ok(packed[:-10], content_encoding="br")
    server.routes["/c"] = ok(b"\xff" * 100, content_encoding="br")
    result, _ = run(_get(server, "/b"))
    assert result.content == text
    truncated, _ = run(_get(server, "/t"))
    assert isinstance(truncated, FetchError) and truncated.kind == "truncated"
    corrupt, _ = run(_get(server, "/c"))
    assert isinstance(corrupt, FetchError) and corrupt.kind == "protocol"


def test_br_is_cut_at_the_cap_when_truncating(server: FaultServer) -> None:
    server.routes["/robots.txt"] = ok(brotli.compress(b"# " + b"x" * (600 * 1024)), content_encoding="br")
    server.routes["/a"] = ok()
    result, _ = run(_get(server, "/a"))
    assert result.status == 200  # robots.txt over 500 KiB (decoded) is cut, not refused
