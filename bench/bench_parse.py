"""Parse + extract throughput per platform (pages/s, one core), side by side with BeautifulSoup+lxml,
and an end-to-end run of the whole reference web (wall time, requests, peak memory).

    python bench/bench_parse.py            # prints a Markdown table; copy it into docs/benchmarks.md
    python bench/bench_parse.py --ratios 7 # only the ratio to raw selectolax: 7 interleaved rounds,
                                           # medians with min-max (a shared machine is noisy)

The BeautifulSoup baseline does the equivalent minimum work on the same pages: parse, select the
article body, get its text. necwatch's numbers include everything the adapters do (title, dates,
author, labels, chrome removal, text extraction, comments).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from necwatch.replay import bundled_corpus
from necwatch.sources import blogger, wordpress
from necwatch.sources.html import parse_article
from necwatch.sources.labourlist import SELECTORS as LABOURLIST

CORPUS = bundled_corpus()
LONDON = ZoneInfo("Europe/London")
MIN_SECONDS = 2.0


def pages(host: str, pattern: str) -> list[tuple[str, bytes]]:
    """The corpus's 200 HTML pages on `host` whose path matches `pattern` (post pages)."""
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    prefix = f"https://{host}"
    return [
        (e["url"], (CORPUS / e["file"]).read_bytes())
        for e in manifest
        if e["status"] == 200
        and e["url"].startswith(prefix)
        and re.fullmatch(pattern, e["url"][len(prefix) :])
    ]


def post_pages() -> dict[str, tuple[list[tuple[str, bytes]], Callable[[str, bytes], object], str]]:
    return {
        "blogger (classic post page)": (
            pages("lukeakehurst.blogspot.com", r"/\d{4}/\d{2}/[^/?]+\.html"),
            lambda u, b: blogger.parse_post_page(u, b),
            "div.post-body",
        ),
        "wordpress.com (single post)": (
            pages("aliceperry.wordpress.com", r"/\d{4}/\d{2}/\d{2}/[^/]+/"),
            lambda u, b: wordpress.parse_single_page(u, b),
            "div.entry-content",
        ),
        "labourlist (article)": (
            pages("labourlist.org", r"/\d{4}/\d{2}/[^/]+/"),
            lambda u, b: parse_article(u, b, LABOURLIST, tz=LONDON),
            "article .entry-content",
        ),
        "progress (article)": (
            pages("www.progressonline.org.uk", r"/\d{4}/\d{2}/\d{2}/[^/]+/"),
            lambda u, b: wordpress.parse_single_page(u, b),
            "div.entry-content",
        ),
    }


def rate(
    items: list[tuple[str, bytes]], fn: Callable[[str, bytes], object], seconds: float = MIN_SECONDS
) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for url, body in items:
            fn(url, body)
            n += 1
    return n / (time.perf_counter() - start)


def soup_fn(selector: str) -> Callable[[str, bytes], object]:
    from bs4 import BeautifulSoup

    def parse(url: str, body: bytes) -> object:
        soup = BeautifulSoup(body, "lxml")
        node = soup.select_one(selector)
        return node.get_text(" ", strip=True) if node else ""

    return parse


def end_to_end() -> dict[str, object]:
    from necwatch.demo import demo_config
    from necwatch.job import run_job
    from necwatch.replay import ReplayWeb

    with tempfile.TemporaryDirectory() as d, ReplayWeb() as web:
        config = demo_config(web, database=Path(d) / "e2e.db", feeds_dir=Path(d) / "feeds")
        start = time.perf_counter()
        first = run_job(config)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        second = run_job(config)
        second_s = time.perf_counter() - start
    return {
        "first_run_s": round(first_s, 2),
        "first_requests": sum(s.requests for s in first.sources),
        "first_bytes": sum(s.bytes for s in first.sources),
        "second_run_s": round(second_s, 2),
        "second_requests": sum(s.requests for s in second.sources),
        "second_304": sum(s.not_modified for s in second.sources),
        "second_bytes": sum(s.bytes for s in second.sources),
        "second_writes": sum(s.writes for s in second.sources),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def raw_fn(selector: str) -> Callable[[str, bytes], object]:
    """The floor: raw selectolax parse + select + text, no checks, no fields (the ratio's base)."""
    from selectolax.lexbor import LexborHTMLParser

    def parse(url: str, body: bytes) -> object:
        node = LexborHTMLParser(body.decode("utf-8", "replace")).css_first(selector)
        return node.text(deep=True) if node is not None else ""

    return parse


FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "extract" / "fixtures"


def fallback_layers() -> None:
    """The layers a page reaches when its platform markup fails, timed on the test fixtures (one
    page each), and the bound on a pathological page (`too_complex`, target < 5 s)."""
    from necwatch.errors import ParseError
    from necwatch.extract.page import extract_post

    cases = {
        "metadata (h-entry, no platform)": "hentry_other.html",
        "metadata + generic body (trafilatura)": "wordpress_custom_jsonld.html",
        "blogger custom template + generic title": "blogger_custom_fr.html",
    }
    print("| fallback layer | pages/s |")
    print("|---|---|")
    for name, file in cases.items():
        html = (FIXTURES / file).read_text(encoding="utf-8")
        extract_post(html, "https://example.org/p/")  # imports (trafilatura, dateparser) out of the timing
        speed = rate([("https://example.org/p/", html.encode())], lambda u, b: extract_post(b.decode(), u))
        print(f"| {name} | {speed:,.0f} |")
    nested = "<html><body><div class='entry-content'>" + "<div>" * 200_000 + "</body></html>"
    start = time.perf_counter()
    try:
        extract_post(nested, "https://example.org/deep/")
    except ParseError as e:
        print(f"\n2 MB page of 200,000 nested elements: {e.kind} in {time.perf_counter() - start:.2f} s")


def check_answers(name: str, items: list[tuple[str, bytes]], fn: Callable[[str, bytes], object]) -> None:
    """Only correct answers count: every page the reference web's expected.json describes must give
    its title and body (sha256 of the collapsed text) before the path is timed."""
    from necwatch.extract.text import collapse_ws

    expected = {p["url"]: p for p in json.loads((CORPUS / "expected.json").read_text())["posts"]}
    for url, body in items:
        out = fn(url, body)
        post = out[0] if isinstance(out, tuple) else out
        exp = expected.get(url)
        if exp is None:
            continue
        digest = hashlib.sha256(collapse_ws(post.body_text).encode()).hexdigest()  # type: ignore[attr-defined]
        if (post.title, digest) != (exp["title"], exp["body_sha256"]):  # type: ignore[attr-defined]
            raise SystemExit(f"{name}: wrong answer for {url}")


def ratio_rounds(rounds: int, seconds: float = 0.5) -> None:
    """necwatch and raw selectolax timed in alternation, `rounds` times each: medians and min-max,
    so both sides of each ratio see the same load."""
    print(
        "| platform | pages | necwatch pages/s, median (min-max) | raw pages/s, median "
        "| ratio, median (min-max) |"
    )
    print("|---|---|---|---|---|")
    for name, (items, fn, selector) in post_pages().items():
        check_answers(name, items, fn)
        raw = raw_fn(selector)
        ours_r, raw_r, ratios = [], [], []
        for _ in range(rounds):
            ours_r.append(rate(items, fn, seconds))
            raw_r.append(rate(items, raw, seconds))
            ratios.append(ours_r[-1] / raw_r[-1])
        spread = f"({min(ours_r):,.0f}-{max(ours_r):,.0f})"
        print(
            f"| {name} | {len(items)} | {statistics.median(ours_r):,.0f} {spread} "
            f"| {statistics.median(raw_r):,.0f} | {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f}) |"
        )
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ratios", type=int, metavar="ROUNDS", help="only the ratio table, ROUNDS rounds")
    args = parser.parse_args()
    if args.ratios:
        ratio_rounds(args.ratios)
        return
    print(
        "| platform | pages | necwatch parse + extract (pages/s) | raw selectolax parse + select + text "
        "(pages/s) | ratio | BeautifulSoup + lxml (pages/s) | speed-up |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, (items, fn, selector) in post_pages().items():
        check_answers(name, items, fn)
        ours = rate(items, fn)
        raw = rate(items, raw_fn(selector))
        theirs = rate(items, soup_fn(selector))
        print(
            f"| {name} | {len(items)} | {ours:,.0f} | {raw:,.0f} | {ours / raw:.2f} | {theirs:,.0f} "
            f"| {ours / theirs:.1f}× |"
        )
    sys.stdout.flush()
    print()
    fallback_layers()
    sys.stdout.flush()
    print()
    print("end-to-end (reference web, 4 sources, politeness delay 0):", json.dumps(end_to_end()))


if __name__ == "__main__":
    main()
