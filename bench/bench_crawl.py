"""Crawl throughput and re-crawl cost of the fetch layer against a synthetic multi-host site.

A separate process serves H hosts (one loopback port each) of P pages with a fixed per-request latency,
HTTP/1.1 keep-alive, ETags and 304s. The crawl goes through the real Fetcher (allow-list, address guard,
robots.txt, per-host limits, capped body reads) with per_host_delay 0 and per_host_concurrency N.

    ideal = max over hosts of (requests to the host × latency ÷ N)   target: wall ≤ 1.10 × ideal
    (after an untimed warm-up: robots.txt and N open connections per host)
    re-crawl (all 304) bytes ÷ full-crawl bytes      target: ≤ 1 %

Usage: python bench/bench_crawl.py [--hosts 4] [--pages 1000] [--latency 0.02] [--per-host 4] [--size 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing as mp
import time
from dataclasses import dataclass

from necwatch.config import FetchSettings
from necwatch.fetch import Cached, DictCache, HttpClient


def _serve(ports: mp.Queue, hosts: int, latency: float, size: int) -> None:  # type: ignore[type-arg]
    """The site, in its own process: /robots.txt is a small 200 with an ETag; /p/<n> and /warm/<n> are
    `size`-byte pages with strong ETags (304 on a match); /__stats answers "requests wire_bytes".

    An asyncio Protocol (no streams, no locks, responses built once per path) that holds each answer for
    `latency` with call_later, so the wait blocks nothing and the server's CPU per request stays ~20 µs.
    """
    cache: dict[str, tuple[bytes, bytes]] = {}
    stats = [0, 0]
    robots = b"User-agent: *\nDisallow: /private/\n"

    def answer(path: str, inm: str | None) -> bytes:
        if path == "/__stats":
            body = f"{stats[0]} {stats[1]}".encode()
            return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        entry = cache.get(path)
        if entry is None:
            if path == "/robots.txt":
                body, ctype = robots, "text/plain"
            elif path.startswith(("/p/", "/warm/")):
                seed = hashlib.sha256(path.encode()).hexdigest()
                body = (f"<html><body><h1>{path}</h1>" + seed * (size // 64 + 1)).encode()[:size]
                ctype = "text/html; charset=utf-8"
            else:
                body, ctype = b"", ""
            if ctype:
                etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'.encode()
                entry = cache[path] = (
                    etag,
                    b"HTTP/1.1 200 OK\r\ncontent-type: %s\r\netag: %s\r\ncontent-length: %d\r\n\r\n%s"
                    % (ctype.encode(), etag, len(body), body),
                )
            else:
                entry = cache[path] = (b"", b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
        etag, full = entry
        out = full
        if inm is not None and etag and inm.encode() == etag:
            out = b"HTTP/1.1 304 Not Modified\r\netag: %s\r\ncontent-length: 0\r\n\r\n" % etag
        stats[0] += 1
        stats[1] += len(out)
        return out

    class Site(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            loop = asyncio.get_running_loop()
            while b"\r\n\r\n" in self.buf:
                head, self.buf = self.buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                inm = next(
                    (
                        v.strip()
                        for k, _, v in (x.partition(":") for x in lines[1:])
                        if k.lower() == "if-none-match"
                    ),
                    None,
                )
                out = answer(path, inm)
                delay = 0.0 if path == "/__stats" else latency
                loop.call_later(delay, self._send, out)

        def _send(self, out: bytes) -> None:
            if not self.transport.is_closing():
                self.transport.write(out)  # type: ignore[attr-defined]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(Site, "127.0.0.1", 0, backlog=1024) for _ in range(hosts)]
        for srv in servers:
            ports.put(srv.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


@dataclass
class Pass:
    wall: float
    requests: int
    wire_bytes: int
    body_bytes: int
    not_modified: int


def _stats(netloc: str) -> tuple[int, int]:
    import httpx

    requests, wire = httpx.get(f"http://{netloc}/__stats", trust_env=False).text.split()
    return int(requests), int(wire)


def _warm_urls(netlocs: list[str], per_host: int) -> list[str]:
    return [f"http://{n}/warm/{i}" for n in netlocs for i in range(per_host)]


async def _crawl(urls: list[str], netlocs: list[str], settings: FetchSettings, cache: DictCache) -> Pass:
    async with HttpClient(
        settings, user_agent="necwatch-bench/1", cache=cache, allow_addresses=netlocs
    ) as client:
        fetcher = client.for_source("bench", frozenset(netlocs))
        # warm-up, not timed: robots.txt per host and per_host_concurrency open connections per host
        await asyncio.gather(*(fetcher.get(u) for u in _warm_urls(netlocs, settings.per_host_concurrency)))
        fetcher.records.clear()
        before = _stats(netlocs[0])
        t0 = time.perf_counter()
        responses = await asyncio.gather(*(fetcher.get(u) for u in urls))
        wall = time.perf_counter() - t0
        after = _stats(netlocs[0])
        for r in [*fetcher.records, *client.take_robots_records()]:
            if r.body is not None:
                cache.entries[r.url] = Cached(r.etag, r.last_modified, r.body, r.content_type)
        body = sum(r.bytes for r in fetcher.records)
        not_modified = sum(1 for r in responses if r.not_modified)
        return Pass(wall, after[0] - before[0], after[1] - before[1], body, not_modified)


async def _raw_httpx(urls: list[str], netlocs: list[str], per_host: int) -> float:
    """The floor: bare httpx, N workers per host, no politeness, guard or caps (same server, same URLs)."""
    import httpx

    limits = httpx.Limits(max_connections=len(netlocs) * per_host, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
        await asyncio.gather(*(client.get(u) for u in _warm_urls(netlocs, per_host)))
        queues = {n: [u for u in reversed(urls) if f"//{n}/" in u] for n in netlocs}

        async def worker(todo: list[str]) -> None:
            while todo:
                (await client.get(todo.pop())).raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(q) for q in queues.values() for _ in range(per_host)))
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--pages", type=int, default=1000, help="pages per host")
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--per-host", type=int, default=4)
    ap.add_argument(
        "--size", type=int, default=30_000, help="page size in bytes (real blog pages: 16-100 KB)"
    )
    ap.add_argument("--repeat", type=int, default=1, help="full crawls to time (the best is reported)")
    args = ap.parse_args()

    ports: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=_serve, args=(ports, args.hosts, args.latency, args.size), daemon=True)
    proc.start()
    try:
        netlocs = [f"127.0.0.1:{ports.get(timeout=10)}" for _ in range(args.hosts)]
        # interleave hosts, as a multi-source run would
        urls = [f"http://{n}/p/{i}" for i in range(args.pages) for n in netlocs]
        settings = FetchSettings(
            per_host_delay=0,
            per_host_concurrency=args.per_host,
            concurrency=min(64, args.hosts * args.per_host),
        )
        fulls = []
        for _ in range(args.repeat):
            cache = DictCache()
            fulls.append(asyncio.run(_crawl(urls, netlocs, settings, cache)))
        again = asyncio.run(_crawl(urls, netlocs, settings, cache))
        floor = min(asyncio.run(_raw_httpx(urls, netlocs, args.per_host)) for _ in range(args.repeat))
    finally:
        proc.terminate()

    full = min(fulls, key=lambda p: p.wall)
    # the ideal: per host, requests x latency / per-host concurrency; hosts run in parallel, so the
    # crawl's ideal is the slowest host's share (hosts are equal here: pages x latency / N)
    ideal = max(full.requests / args.hosts * args.latency / args.per_host, args.latency)
    print(
        f"site: {args.hosts} hosts x {args.pages} pages, {args.latency * 1000:g} ms latency, "
        f"{args.size} B pages; best of {args.repeat}"
    )
    print(f"per-host concurrency {args.per_host}, delay 0, global concurrency {settings.concurrency}")
    for name, p in (("full crawl", full), ("re-crawl", again)):
        print(
            f"{name:10s}: {p.requests} requests in {p.wall:.2f} s ({p.requests / p.wall:.0f} req/s), "
            f"{p.wire_bytes} wire bytes, {p.body_bytes} body bytes, {p.not_modified} x 304"
        )
    print(
        f"ideal {ideal:.2f} s; full crawl = {full.wall / ideal:.3f} x ideal (target <= 1.10); "
        f"all runs: {', '.join(f'{p.wall / ideal:.3f}' for p in fulls)}"
    )
    print(
        f"bare httpx, same concurrency: {floor:.2f} s = {floor / ideal:.3f} x ideal; "
        f"Fetcher = {full.wall / floor:.3f} x bare httpx"
    )
    print(
        f"re-crawl bytes: wire {100 * again.wire_bytes / full.wire_bytes:.2f} %, "
        f"body {100 * again.body_bytes / max(1, full.body_bytes):.2f} % of the full crawl (target <= 1 %)"
    )


if __name__ == "__main__":
    main()
