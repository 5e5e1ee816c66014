"""Helpers for the hosted platforms' tests (Substack, Ghost, Medium, Squarespace): our own minimal
fixtures in the platforms' real shapes (tests/fixtures/platforms/<name>/), served from local servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from necwatch.config import Config, config_from_dict
from necwatch.extract.page import ExtractedPost, extract_post
from necwatch.models import Response
from necwatch.sources.registry import PageFacts, page_facts
from necwatch.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
LONDON = ZoneInfo("Europe/London")


def fixture(platform: str, name: str) -> str:
    return (FIXTURES / platform / name).read_text(encoding="utf-8")


def response(url: str, text: str, content_type: str = HTML) -> Response:
    return Response(url, url, 200, {"content-type": content_type}, text.encode(), text, "utf-8")


def facts(url: str, text: str, content_type: str = HTML) -> PageFacts:
    return page_facts(url, response(url, text, content_type))


def extract(platform: str, name: str, url: str, tz: ZoneInfo = LONDON) -> ExtractedPost:
    return extract_post(fixture(platform, name), url, platform, tz=tz)


def config(tmp: Path, *sources: dict[str, Any]) -> Config:
    return config_from_dict(
        {
            "database": str(tmp / "n.db"),
            "feeds_dir": str(tmp / "feeds"),
            "allow_private_addresses": True,
            "fetch": {
                "per_host_delay": 0,
                "retries": 0,
                "backoff": 0.01,
                "connect_timeout": 2,
                "read_timeout": 5,
            },
            "sources": list(sources),
        }
    )


def rows(store: Store, sql: str, *params: object) -> list[dict[str, Any]]:
    return list(store.db.query(sql, list(params)))


ADD_CONFIG = """\
database: {db}
allow_private_addresses: true
fetch:
  per_host_delay: 0
  retries: 0
sources: []
"""
