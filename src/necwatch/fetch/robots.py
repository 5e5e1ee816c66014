"""robots.txt per RFC 9309 (RELIABILITY.md F14, G14, judgement call 1).

* 2xx: parse the first 500 KiB with Protego; cache for `robots_cache` seconds.
* 4xx (not 429): "unavailable", so everything is allowed.
* 5xx, 429, a network error or a redirect we may not follow: "unreachable", so nothing on that host is
  fetched for the rest of this run. That verdict is kept only in this HttpClient (this run), never stored,
  so the next run asks again. (Scrapy fails open here; the RFC and recent crawlers fail closed.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024
MAX_CRAWL_DELAY = 60.0  # a larger Crawl-delay would stall a run; we treat it as this


@dataclass(frozen=True)
class RobotsRules:
    """One origin's verdict: parsed rules, allow-all (parser None, reachable) or unreachable."""

    parser: Protego | None
    reachable: bool
    fetched_at: float
    detail: str = ""

    @classmethod
    def from_text(cls, text: str) -> RobotsRules:
        return cls(Protego.parse(text), True, time.monotonic())

    @classmethod
    def allow_all(cls, detail: str) -> RobotsRules:
        return cls(None, True, time.monotonic(), detail)

    @classmethod
    def unreachable(cls, detail: str) -> RobotsRules:
        return cls(None, False, time.monotonic(), detail)

    def allows(self, url: str, user_agent: str) -> bool:
        if not self.reachable:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return None if delay is None else min(float(delay), MAX_CRAWL_DELAY)

    def fresh(self, max_age: float) -> bool:
        return time.monotonic() - self.fetched_at <= max_age


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups match against: 'necwatch/0.1 (+url)' → 'necwatch'."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"
