"""Crawl throughput and re-crawl cost of the fetch layer against a synthetic multi-host site.

A separate process serves H hosts (one loopback port each) of P pages with a fixed per-request latency,
HTTP/1.1 keep-alive, ETags and 304s. The crawl goes through the real Fetcher (allow-list, address guard,
robots.txt, per-host limits, capped body reads) with per_host_delay 0 and per_host_concurrency N.

    ideal = requests × latency ÷ (hosts × N)        target: wall ≤ 1.10 × ideal
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


def _serve(ports: mp.Queue, counters: mp.Array, hosts: int, latency: float, size: int) -> None:  # type: ignore[type-arg]
    """The site: /robots.txt is 404; /p/<n> is a `size`-byte page with a strong ETag."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
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
                await asyncio.sleep(latency)
                if path.startswith("/p/"):
                    seed = hashlib.sha256(path.encode()).hexdigest()
                    etag = f'"{seed[:16]}"'
                    if inm == etag:
                        out = (
                            f"HTTP/1.1 304 Not Modified\r\netag: {etag}\r\ncontent-length: 0\r\n\r\n".encode()
                        )
                    else:
                        body = (f"<html><body><h1>{path}</h1>" + seed * (size // 64)).encode()[:size]
                        out = (
                            f"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\netag: {etag}\r\n"
                            f"content-length: {len(body)}\r\n\r\n"
                        ).encode() + body
                else:
                    out = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
                with counters.get_lock():
                    counters[0] += 1
                    counters[1] += len(out)
                writer.write(out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512) for _ in range(hosts)]
        for s in servers:
            ports.put(s.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


@dataclass
class Pass:
    wall: float
    requests: int
    wire_bytes: int
    body_bytes: int
    not_modified: int


async def _crawl(
    urls: list[str], netlocs: list[str], settings: FetchSettings, cache: DictCache
) -> tuple[float, int, int]:
    async with HttpClient(
        settings, user_agent="necwatch-bench/1", cache=cache, allow_addresses=netlocs
    ) as client:
        fetcher = client.for_source("bench", frozenset(netlocs))
        t0 = time.perf_counter()
        responses = await asyncio.gather(*(fetcher.get(u) for u in urls))
        wall = time.perf_counter() - t0
        for r in fetcher.records:
            if r.body is not None:
                cache.entries[r.url] = Cached(r.etag, r.last_modified, r.body, r.content_type)
        body = sum(r.bytes for r in fetcher.records)
        return wall, body, sum(1 for r in responses if r.not_modified)


async def _raw_httpx(urls: list[str], netlocs: list[str], per_host: int) -> float:
    """The floor: bare httpx, N workers per host, no politeness, guard or caps (same server, same URLs)."""
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=len(netlocs) * per_host)) as client:
        queues = {n: [u for u in urls if f"//{n}/" in u] for n in netlocs}

        async def worker(todo: list[str]) -> None:
            while todo:
                (await client.get(todo.pop())).raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(q) for q in queues.values() for _ in range(per_host)))
        return time.perf_counter() - t0


async def _raw_httpx(urls: list[str], netlocs: list[str], per_host: int) -> float:
    """The floor: bare httpx, N workers per host, no politeness, guard or caps (same server, same URLs)."""
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=len(netlocs) * per_host)) as client:
        queues = {n: [u for u in urls if f"//{n}/" in u] for n in netlocs}

        async def worker(todo: list[str]) -> None:
            while todo:
                (await client.get(todo.pop())).raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(q) for q in queues.values() for _ in range(per_host)))
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--per-host", type=int, default=4)
    ap.add_argument(
        "--size", type=int, default=30_000, help="page size in bytes (real blog pages: 16-100 KB)"
    )
    args = ap.parse_args()

    ports: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    counters = mp.Array("q", 2)
    proc = mp.Process(target=_serve, args=(ports, counters, args.hosts, args.latency, args.size), daemon=True)
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
        cache = DictCache()
        passes = []
        for _ in ("full", "recrawl"):
            before = (counters[0], counters[1])
            wall, body, not_modified = asyncio.run(_crawl(urls, netlocs, settings, cache))
            passes.append(Pass(wall, counters[0] - before[0], counters[1] - before[1], body, not_modified))
        floor = asyncio.run(_raw_httpx(urls, netlocs, args.per_host))
    finally:
        proc.terminate()

    full, again = passes
    ideal = full.requests * args.latency / (args.hosts * args.per_host)
    print(
        f"site: {args.hosts} hosts x {args.pages} pages, {args.latency * 1000:g} ms latency, "
        f"{args.size} B pages"
    )
    print(f"per-host concurrency {args.per_host}, delay 0, global concurrency {settings.concurrency}")
    for name, p in (("full crawl", full), ("re-crawl", again)):
        print(
            f"{name:10s}: {p.requests} requests in {p.wall:.2f} s ({p.requests / p.wall:.0f} req/s), "
            f"{p.wire_bytes} wire bytes, {p.body_bytes} body bytes, {p.not_modified} x 304"
        )
    print(f"ideal {ideal:.2f} s; full crawl = {full.wall / ideal:.3f} x ideal (target <= 1.10)")
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
