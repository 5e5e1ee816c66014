"""A WordPress source's `timezone:` reads the dates a post page prints without an offset: the post's
own date and its comments' times, on the single-page path (`fetch_post`), page parsed once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from necwatch.models import Response
from necwatch.settings import SourceConfig
from necwatch.sources import SourceContext
from necwatch.sources.wordpress import WordPressSource

PAGE = Path(__file__).parent.parent / "fixtures" / "registry" / "wp-printed-dates.html"
URL = "https://member.example.org/2023/03/nec-report-march-2023/"


class PageFetcher:
    """Serves the one page; counts requests."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        self.requests: list[str] = []

    async def get(self, url: str, **_: Any) -> Response:
        self.requests.append(url)
        text = self.pages[url]
        return Response(url, url, 200, {"content-type": "text/html"}, text.encode(), text, "utf-8")


def _fetch_post(timezone: str | None) -> Any:
    entry = {"name": "member", "type": "wordpress", "url": "https://member.example.org/"}
    config = SourceConfig.model_validate(entry | ({"timezone": timezone} if timezone else {}))
    fetcher = PageFetcher({URL: PAGE.read_text(encoding="utf-8")})
    source = WordPressSource(SourceContext(config=config, fetcher=fetcher))  # type: ignore[arg-type]
    obs = asyncio.run(source.fetch_post(URL))
    assert fetcher.requests == [URL]
    return obs


@pytest.mark.parametrize("timezone", ["America/New_York", "Australia/Sydney", None])
def test_printed_post_and_comment_times_are_read_in_the_sources_timezone(timezone: str | None) -> None:
    zone = ZoneInfo(timezone or "Europe/London")
    obs = _fetch_post(timezone)
    assert obs.post.title == "NEC report, March 2023"
    assert obs.post.published_at == datetime(2023, 3, 15, tzinfo=zone)
    assert obs.post.published_at.utcoffset() == datetime(2023, 3, 15, tzinfo=zone).utcoffset()
    assert [(c.platform_id, c.parent_id, c.author, c.published_at) for c in obs.comments] == [
        ("5", None, "A Reader", datetime(2023, 3, 16, 23, 30, tzinfo=zone)),
        ("6", "5", "Example Member", datetime(2023, 3, 17, 7, 5, tzinfo=zone)),
    ]


def test_new_york_is_not_london() -> None:
    """The same printed time is a different instant in another zone (the bug: London was assumed)."""
    here, there = _fetch_post(None), _fetch_post("America/New_York")
    assert there.post.published_at - here.post.published_at == (
        datetime(2023, 3, 15, tzinfo=ZoneInfo("Europe/London")).utcoffset()
        - datetime(2023, 3, 15, tzinfo=ZoneInfo("America/New_York")).utcoffset()
    )
    assert there.comments[0].published_at != here.comments[0].published_at
