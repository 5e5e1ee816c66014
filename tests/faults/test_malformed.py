"""F10 malformed HTML and F19/G12 ill-formed or mis-encoded feeds: never an exception, the same bytes
always give the same result, usable input is ingested, garbage is a classified failure with no removal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from necwatch.demo import DEMO_SOURCES
from necwatch.errors import ParseError
from necwatch.pipeline import run_async
from necwatch.replay import ReplayWeb
from necwatch.sources.blogger import parse_post_page
from necwatch.sources.labourlist import parse_labourlist_article
from necwatch.sources.wordpress import parse_single_page
from tests.tracking.helpers import BLOGGER_FEED, LL_POST, Timeline

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1}
WP_PAGE = "https://aliceperry.wordpress.com/2019/03/27/labour-nec-report-march-2019/"
BLOGGER_PAGE = "https://lukeakehurst.blogspot.com/2024/01/nec-report-23-january-2024.html"
WP_RSS = "https://aliceperry.wordpress.com/tag/general-election/feed/"
DEEP = 10_000

# -- F10: malformed HTML ------------------------------------------------------------------------
HTML_VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "unclosed_div_p": lambda b: b.replace(b"</div>", b"", 3).replace(b"</p>", b"", 5),
    "stray_body_end": lambda b: b.replace(b"<body", b"</body></html><body", 1),
    "truncated_final_tag": lambda b: b.rstrip()[:-3],
    "deep_nesting": lambda b: b.replace(b"<body", b"<div>" * DEEP + b"<body", 1) + b"</div>" * DEEP,
    "deep_nesting_in_body": lambda b: b.replace(b"</p>", b"</p>" + b"<span>" * DEEP, 1),
    "nul_bytes": lambda b: b.replace(b"<p>", b"<p>\x00", 3).replace(b"<head>", b"<head>\x00\x00"),
}
PARSERS: dict[str, tuple[str, Callable[[str, bytes], object]]] = {
    "labourlist": (LL_POST, parse_labourlist_article),
    "wordpress": (WP_PAGE, lambda u, b: parse_single_page(u, b)),
    "blogger": (BLOGGER_PAGE, lambda u, b: parse_post_page(u, b)),
}


def _outcome(parse: Callable[[str, bytes], object], url: str, data: bytes) -> str:
    try:
        return repr(parse(url, data))
    except ParseError as e:
        return f"ParseError({e.kind})"


@pytest.mark.parametrize("variant", sorted(HTML_VARIANTS))
@pytest.mark.parametrize("site", sorted(PARSERS))
def test_malformed_html_parses_deterministically(web: ReplayWeb, site: str, variant: str) -> None:
    url, parse = PARSERS[site]
    data = HTML_VARIANTS[variant](web.body(url))
    outcomes = {_outcome(parse, url, data) for _ in range(3)}  # any other exception fails the test
    assert len(outcomes) == 1


@pytest.mark.parametrize("variant", ["stray_body_end", "deep_nesting", "nul_bytes", "truncated_final_tag"])
def test_malformed_post_page_in_a_run(web: ReplayWeb, tmp_path: Path, variant: str) -> None:
    """The post page replaced by its malformed variant: no crash, other sources complete, no removal,
    and polling the same bytes again changes nothing (at most one version from the variant itself)."""
    tl = Timeline.open(web, tmp_path, ["labourlist.org", "aliceperry.wordpress.com"], fetch=FAST)
    assert tl.poll().exit_code == 0
    tl.web.set(LL_POST, HTML_VARIANTS[variant](web.body(LL_POST)))
    first = tl.step()  # polls twice: the repeat must write nothing
    assert {a["kind"] for a in first} <= {"report_edited"} and len(first) <= 1
    assert tl.count("posts", "removed_at is not null") == 0
    assert {s.status for s in tl.last.sources if s.name != "labourlist"} == {"ok"}
    if variant == "truncated_final_tag":
        assert first == [] and tl.count("fetch_errors", "kind = 'truncated'") >= 1


# -- F19/G12: ill-formed and mis-encoded feeds ------------------------------------------------------
def _xml_decl(b: bytes, enc: str) -> bytes:
    return b.replace(b"encoding='UTF-8'", f"encoding='{enc}'".encode(), 1).replace(
        b'encoding="UTF-8"', f'encoding="{enc}"'.encode(), 1
    )


# name → (transform of the real feed bytes, expect): "ingest" = stored with no removal and no new
# report; "unparseable" = feed_unparseable (or parse_empty) failed listing, nothing removed.
FEED_CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "wellformed": (lambda b: b, "same"),
    "utf8_bom": (lambda b: b"\xef\xbb\xbf" + b, "same"),
    "declared_iso8859_with_utf8_bytes": (lambda b: _xml_decl(b, "ISO-8859-1"), "same"),
    "unknown_charset_label": (lambda b: _xml_decl(b, "x-no-such-charset"), "ingest"),
    "utf8_declared_cp1252_bytes": (
        lambda b: b.decode("utf-8").encode("cp1252", errors="replace"),
        "ingest",
    ),
    "utf16_with_bom": (lambda b: _xml_decl(b, "UTF-16").decode("utf-8").encode("utf-16"), "ingest"),
    "empty_document": (lambda b: b"", "unparseable"),
    "whitespace_only": (lambda b: b"  \n  ", "unparseable"),
    "html_not_a_feed": (lambda b: b"<html><body><p>Moved</p></body></html>", "unparseable"),
    "unclosed_tag": (lambda b: b.replace(b"</title>", b"", 1), "ingest"),
    "incomplete_cdata": (lambda b: b + b"<![CDATA[ never closed", "ingest"),
    "undeclared_namespace": (
        lambda b: b.replace(b"<title", b"<zz:title", 1).replace(b"</title>", b"</zz:title>", 1),
        "ingest",
    ),
    "bad_entity": (lambda b: b.replace(b"</title>", b" &nbsp;&bogus;</title>", 1), "ingest"),
    "nul_byte": (lambda b: b.replace(b"<title", b"\x00<title", 1), "ingest"),
    "garbage": (lambda b: bytes(range(256)) * 8, "unparseable"),
}
FEEDS = {
    "blogger_atom": ("lukeakehurst.blogspot.com", BLOGGER_FEED, "luke-akehurst", "feed"),
    "wordpress_rss": ("aliceperry.wordpress.com", WP_RSS, "alice-perry", "rss"),
}


def _texts_valid(tl: Timeline) -> None:
    for table, cols in (("reports", "title, body_text"), ("posts", "title"), ("comments", "body_text")):
        for row in tl.store.db.execute(f"select {cols} from {table}"):
            for value in row:
                if value is not None:
                    value.encode("utf-8")  # raises on lone surrogates: G12 "100 % valid UTF-8"


@pytest.mark.parametrize("case", sorted(FEED_CASES))
@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_illformed_feed(web: ReplayWeb, tmp_path: Path, feed: str, case: str) -> None:
    host, url, name, via = FEEDS[feed]
    transform, expect = FEED_CASES[case]
    sources = [{**DEMO_SOURCES[host], "url": web.base(host), "via": via}]
    tl = Timeline.open(web, tmp_path, [host], fetch=FAST, sources=sources)
    assert tl.poll().exit_code == 0
    baseline = tl.count("posts")
    web.set(url, transform(web.body(url)), content_type=web.entries[url].headers["content-type"])
    hashes = []
    for _ in range(3):
        result = asyncio.run(run_async(tl.config, tl.store))
        assert result.exit_code in (0, 1)
        hashes.append(tl.store.db.execute("select group_concat(content_hash) from reports").fetchone()[0])
        _texts_valid(tl)
    assert len(set(hashes[1:])) == 1, "same bytes, same hashes (runs 2 and 3)"
    assert tl.count("alerts", "backfill = 0 and kind in ('report_removed', 'new_report')") == 0
    assert tl.count("posts", "removed_at is not null") == 0 and tl.count("posts") == baseline
    kinds = {r[0] for r in tl.store.db.execute("select kind from fetch_errors where source = ?", [name])}
    if expect == "unparseable":
        assert {s.status for s in result.sources} == {"failed"}
        assert kinds & {"feed_unparseable", "parse_empty"}, kinds
    elif expect == "same":
        assert result.exit_code == 0 and tl.count("alerts", "kind = 'report_edited'") == 0
