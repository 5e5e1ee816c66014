"""The emulated archive answers as the CDX server and the Wayback Machine document it."""

from __future__ import annotations

import json

import httpx

from necwatch.webarchive.cdx import cdx_url, parse_cdx, surt
from necwatch.webarchive.emulator import EmulatedArchive, Scenario, reference_captures
from necwatch.webarchive.memento import parse_archive_url, raw_url, replay_url

HTML_200 = ("statuscode:200", "mimetype:text/html")


def test_cdx_json_has_a_header_row_and_pages_by_resume_key(archive: tuple[EmulatedArchive, Scenario]) -> None:
    a, sc = archive
    raw = httpx.get(cdx_url(a.base, sc.site, collapse="urlkey", filters=HTML_200, limit=4)).json()
    assert raw[0] == ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    assert raw[-2] == [] and len(raw[-1]) == 1  # more rows: an empty row, then the resume key
    seen: list[str] = []
    key = None
    pages = 0
    while True:
        page = parse_cdx(
            httpx.get(
                cdx_url(a.base, sc.site, collapse="urlkey", filters=HTML_200, limit=4, resume_key=key)
            ).text
        )
        pages += 1
        seen += [r.original for r in page.rows]
        key = page.resume_key
        if key is None:
            break
    assert len(seen) == len(set(seen))  # collapsed by url key: each URL once
    assert set(sc.posts) <= set(seen)
    assert sc.redirect_from not in seen  # a 301 capture is filtered out by status
    assert pages == -(-len(seen) // 4)


def test_collapse_digest_keeps_one_row_per_run_of_identical_captures(
    archive: tuple[EmulatedArchive, Scenario],
) -> None:
    a, sc = archive
    every = parse_cdx(httpx.get(cdx_url(a.base, sc.edited, match_type="exact")).text).rows
    collapsed = parse_cdx(
        httpx.get(cdx_url(a.base, sc.edited, match_type="exact", collapse="digest")).text
    ).rows
    assert len(every) == 3 and len(collapsed) == 2  # the full text captured twice, byte for byte
    assert every[1].digest == every[2].digest != every[0].digest


def test_filter_from_to_and_negated_filters(archive: tuple[EmulatedArchive, Scenario]) -> None:
    a, sc = archive
    rows = parse_cdx(httpx.get(cdx_url(a.base, sc.not_found_capture, match_type="exact")).text).rows
    assert [r.statuscode for r in rows] == ["200", "200", "404"]
    ok = parse_cdx(
        httpx.get(cdx_url(a.base, sc.not_found_capture, match_type="exact", filters=["!statuscode:404"])).text
    ).rows
    assert [r.statuscode for r in ok] == ["200", "200"]
    in_2019 = parse_cdx(httpx.get(cdx_url(a.base, sc.site, since="2019", until="2019")).text).rows
    assert in_2019 and all(r.timestamp.startswith("2019") for r in in_2019)
    assert parse_cdx(httpx.get(cdx_url(a.base, "https://never.example.org/")).text).rows == ()


def test_raw_captures_redirects_and_the_archive_own_404(archive: tuple[EmulatedArchive, Scenario]) -> None:
    a, sc = archive
    row = parse_cdx(httpx.get(cdx_url(a.base, sc.edited, match_type="exact")).text).rows[0]
    r = httpx.get(raw_url(a.base, row.timestamp, row.original))
    assert r.status_code == 200 and "memento-datetime" in r.headers
    assert (
        b"WAYBACK TOOLBAR" not in r.content
        and b"WAYBACK TOOLBAR" in httpx.get(replay_url(a.base, row.timestamp, row.original)).content
    )
    nearest = httpx.get(raw_url(a.base, "2019", row.original))
    assert nearest.status_code == 302 and f"web/{row.timestamp}id_/" in nearest.headers["location"]
    moved = httpx.get(
        raw_url(
            a.base,
            parse_cdx(httpx.get(cdx_url(a.base, sc.redirect_from, match_type="exact")).text)
            .rows[0]
            .timestamp,
            sc.redirect_from,
        )
    )
    assert moved.status_code == 301 and moved.headers["location"].endswith(sc.not_found_capture)
    gone = httpx.get(raw_url(a.base, "20200101000000", "https://never.example.org/x"))
    assert gone.status_code == 404 and "memento-datetime" not in gone.headers


def test_rate_limit_answers_429_with_retry_after() -> None:
    captures, sc = reference_captures()
    with EmulatedArchive(captures, rate_limit={1: 7}) as a:
        r = httpx.get(cdx_url(a.base, sc.site))
        assert r.status_code == 429 and r.headers["retry-after"] == "7"
        assert httpx.get(cdx_url(a.base, sc.site)).status_code == 200


def test_the_site_host_is_configurable() -> None:
    captures, sc = reference_captures("https://oldblog.example.invalid/")
    assert sc.site == "https://oldblog.example.invalid/"
    assert all(c.original.startswith("https://oldblog.example.invalid/") for c in captures)
    assert all(b"aliceperry.wordpress.com/20" not in c.body for c in captures)
    with EmulatedArchive(captures) as a:
        rows = parse_cdx(httpx.get(cdx_url(a.base, "oldblog.example.invalid/")).text).rows
        assert rows and rows[0].urlkey.startswith("invalid,example,oldblog)/")
        assert json.loads(httpx.get(cdx_url(a.base, "aliceperry.wordpress.com/")).text) == []


def test_surt_and_archive_urls() -> None:
    assert surt("https://www.Example.org/A/b/?x=1") == "org,example)/a/b/?x=1"
    ref = parse_archive_url("https://web.archive.org/web/20190130120000/https://x.org/p/")
    assert ref is not None and (ref.timestamp, ref.original) == ("20190130120000", "https://x.org/p/")
    assert parse_archive_url("https://web.archive.org/web/2019id_/http:/x.org/") is not None
    assert parse_archive_url("https://x.org/web/") is None
