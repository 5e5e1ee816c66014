"""A seeded fault simulator over the replayed reference web (RELIABILITY G11).

Before a run, `FaultPlan.inject()` swaps some responses of the ReplayWeb for faulty ones (one fault
per chosen URL); `restore()` puts the original `Entry` objects back, validators included, so the next
clean poll is exactly the recorded web again.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from necwatch.errors import FETCH_ERROR_KINDS
from necwatch.replay import Entry, ReplayWeb
from necwatch.store import Store

FAULTS = ("404_once", "503", "empty_200", "truncated", "garbage", "429", "parse_empty")
REDESIGNED = (
    b"<!doctype html><html><head><title>Welcome</title></head><body>"
    b"<div class='new-theme'><section class='hero'><p>We have a new look!</p></section></div>"
    b"</body></html>"
)


@dataclass
class FaultPlan:
    """Which URL suffers which fault in each run, drawn from one seeded RNG."""

    web: ReplayWeb
    seed: int
    rate: float = 0.2
    hosts: tuple[str, ...] = ()
    exclude: set[str] = field(default_factory=set)
    rng: random.Random = field(init=False)
    originals: dict[str, Entry] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)  # url → fault, this run
    previous: dict[str, str] = field(default_factory=dict)
    tally: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def candidates(self) -> list[str]:
        """Every recorded 200 of the chosen hosts (robots.txt included: it can fail too)."""
        return sorted(
            url
            for url, entry in self.web.entries.items()
            if entry.status == 200
            and url not in self.exclude
            and (not self.hosts or url.split("/")[2] in self.hosts)
        )

    def inject(self) -> dict[str, str]:
        """Draw this run's faults and swap them in. A URL never 404s in two runs in a row (that
        would be a real removal, not a 404-once)."""
        self.previous, self.current = self.current, {}
        for url in self.candidates():
            if self.rng.random() >= self.rate:
                continue
            choices = [f for f in FAULTS if not (f == "404_once" and self.previous.get(url) == f)]
            fault = self.rng.choice(choices)
            self.current[url] = fault
            self.originals.setdefault(url, self.web.entries[url])
            self._apply(url, fault)
            self.tally[fault] += 1
        return self.current

    def restore(self) -> None:
        for url in self.current:
            self.web.entries[url] = self.originals[url]

    def _apply(self, url: str, fault: str) -> None:
        entry = self.originals[url]
        ctype = entry.headers.get("content-type", "text/html; charset=UTF-8")
        if fault == "404_once":
            self.web.delete(url, 404)
        elif fault == "503":
            self.web.set(url, b"<h1>Service Unavailable</h1>", status=503)
        elif fault == "429":
            self.web.set(url, b"Too Many Requests", status=429, headers={"retry-after": "0"})
        elif fault == "empty_200":
            self.web.set(url, b"", content_type=ctype)
        elif fault == "truncated":
            cut = int(len(entry.body) * self.rng.uniform(0.2, 0.8))
            self.web.set(url, entry.body[:cut], content_type=ctype)
        elif fault == "garbage":
            noise = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(50, 3000)))
            self.web.set(url, noise, content_type=ctype)
        elif fault == "parse_empty":
            self.web.set(url, REDESIGNED, content_type="text/html; charset=UTF-8")
        else:  # pragma: no cover
            raise ValueError(fault)


def fetch_error_problems(store: Store, run_id: str) -> list[str]:
    """I5 over one run: one row per failed URL, every kind from the closed set."""
    problems = []
    for row in store.db.query(
        "select source, url, count(*) n from fetch_errors where run_id = ? group by source, url having n > 1",
        [run_id],
    ):
        problems.append(f"{row['n']} fetch_errors rows for {row['url']}")
    for row in store.db.query("select kind, url from fetch_errors where run_id = ?", [run_id]):
        if row["kind"] not in FETCH_ERROR_KINDS:
            problems.append(f"unclassified kind {row['kind']!r} for {row['url']}")
    return problems


def content_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """The dataset minus the timer-refreshed and bookkeeping columns: equal means nothing lost."""
    skip = {"last_seen_at", "missing_polls"}
    out = {}
    for table in ("posts", "reports", "report_versions", "comments", "comment_versions"):
        cols = [c.name for c in store.db[table].columns if c.name not in skip]
        out[table] = store.db.execute(f"select {', '.join(cols)} from {table} order by rowid").fetchall()
    return out
