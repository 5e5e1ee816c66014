"""Serving benchmark, like for like: necwatch's Datasette vs stock Datasette TUNED as necwatch is.

Generates (once, cached) a database of 100,000 synthetic reports with ~15 KB bodies sampled from
the demo's real report paragraphs, then serves it twice, both up at once and loaded one at a time:
`necwatch serve`, and stock `datasette serve` with necwatch's own settings (no facet suggestions,
50 rows a page, cells cut to 300 characters, the same limits) and necwatch's own metadata (table
orders, search settings, facets, column notes, and every canned query stock can run: those that
need the plugin's SQL functions are left out). Each page is loaded from a separate process (httpx,
`--concurrency` connections), on stock and necwatch back to back, in alternating order.

Like for like (`pages`): every page is the same question on both servers, answered with the same
rows: the same URL where stock has the page (tables, views, canned queries, a table search with
its order given), else stock's own way to answer it (the feed's SQL through `?sql=`, the search
page's rows, NEC reports newest published first as it shows by default, through stock's table
search of the same word with `is_nec_report=1` in the same order). What a correct
answer holds is worked out from the database with sqlite3, not from either server: the ids of the
rows the page must show, which the page's `pattern` finds in it. The load client checks EVERY
answer, not only its status: only a 200 holding every expected token is counted (its latency
kept); any other answer fails the run, it is never a fast answer.

`--rounds` repeats the comparison; the table gives each server's median p50 over rounds with its
range, and the speed-up as the median of each round's p50 ratio with its range (two runs seconds
apart: on a shared machine the load drifts over minutes). The load average is recorded around
every round. `--target` (default 1.2) is the speed-up every page must reach in EVERY round.

`--pages` picks pages by label and/or adds pages from JSON files, comma-separated
(`--pages "table page,feed,@record_pages.json"`). A file holds a list of {"label", "stock",
"necwatch", "pattern", "expect_sql", "params"}: the URLs may hold `{db}`; `expect_sql`, run on
the database with `params`, gives in its first column the tokens every correct answer holds:

    [{"label": "meeting minutes", "necwatch": "/{db}/meeting_reports?meeting=2024-01-23",
      "stock": "/{db}/minutes_decisions?meeting_id=2024-01-23",
      "pattern": "p[0-9a-f]{10}",
      "expect_sql": "select paragraph from minutes_sources where meeting_id = :m",
      "params": {"m": "2024-01-23"}}]

    python bench/bench_serve.py --db /tmp/bench/bench.db --seconds 4 --rounds 3 --concurrency 4

`--record` migrates the database to this necwatch's schema and gives its NEC reports records and
minutes (bench_record_rows.py: 20 decisions a report, 8 people named, 3 statements, the minutes of
every meeting; once, ~4 minutes at 100,000 reports); the record pages are then measured too, each
against stock's table or query page of the same rows (`record_pages`): the meetings, a meeting's
minutes, a person and their feed, the decisions (listed, searched) and their feed. With minutes,
"meeting page" (a date's page) is the minutes of the date's meeting, against stock's table of that
meeting's decisions' versions; without (a database from before them) it is the reports side by side,
against stock's canned query.

    python bench/bench_serve.py --db /tmp/bench/bench.db --record --seconds 4 --rounds 3 --concurrency 4

Prints a Markdown table (docs/benchmarks.md, "Serving like for like") and writes JSON next to the
database; exits 1 on any wrong answer, or on any page below the target in any round.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RARE_WORD = "zeugmatic"  # put in 20 reports
COMMON_WORD = "labour"  # in nearly every report
AUTHORS = ["Alice Perry", "Luke Akehurst", "Johanna Baxter", "Ann Black", "Pete Willsman", "Jon Lansman",
           "Rhea Wolfson", "Darren Williams", "Christine Shawcroft", "Ellie Reeves"]  # fmt: skip
SOURCES = ["alice-perry", "luke-akehurst", "labourlist", "progress", "ann-black"]
KINDS = ["full", "special", "away_day", "sub_committees", "clause_v"]


def _paragraphs(demo_db: Path | None) -> list[str]:
    """Real report paragraphs (the demo database), so tokens and lengths are realistic."""
    if demo_db is None:
        from necwatch.demo import run_demo

        tmp = Path(tempfile.mkdtemp(prefix="necwatch-bench-demo-"))
        _, store = run_demo(tmp / "demo.db", tmp / "feeds")
        store.close()
        demo_db = tmp / "demo.db"
    conn = sqlite3.connect(demo_db)
    paras: list[str] = []
    for (body,) in conn.execute("select body_text from reports where body_text is not null"):
        paras += [p.strip() for p in body.split("\n") if len(p.strip()) > 40]
    conn.close()
    return paras


def generate(path: Path, n: int, demo_db: Path | None) -> None:
    """n reports, bulk-inserted with the necwatch schema; FTS rebuilt once at the end (faster)."""
    from necwatch.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    Store.open(path).close()  # schema + migrations
    paras = _paragraphs(demo_db)
    rng = random.Random(42)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    triggers = conn.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"drop trigger {name}")
    rare = set(rng.sample(range(n), 20))
    t0 = time.perf_counter()
    conn.execute("begin")
    cols = ("id, title, author, published_at, meeting_date, meeting_kind, is_nec_report, canonical_url, "
            "source, post_count, comment_count, version, content_hash, first_seen_at, updated_at, body_text, "
            "body_html, words")  # fmt: skip
    sql = f"insert into reports ({cols}) values ({', '.join('?' * 18)})"
    batch = []
    for i in range(n):
        body: list[str] = []
        size = 0
        while size < 15_000:
            p = rng.choice(paras)
            body.append(p)
            size += len(p) + 1
        if i in rare:
            body.insert(rng.randrange(len(body)), f"The {RARE_WORD} motion was withdrawn.")
        day = 1 + (i * 7) % 9000
        meeting = time.strftime("%Y-%m-%d", time.gmtime(1_000_000_000 + day * 86400))
        published = time.strftime(
            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_000_000_000 + (day + 2) * 86400 + i)
        )
        text = "\n\n".join(body)
        batch.append((f"r{i:07d}", f"NEC Report – {meeting}", rng.choice(AUTHORS), published, meeting,
                      rng.choice(KINDS), 1 if i % 5 else 0, f"https://example.org/{i}", rng.choice(SOURCES),
                      1, rng.randrange(5), 1, f"v1:{i}", published, published, text,
                      "".join(f"<p>{p}</p>" for p in body), len(text.split())))  # fmt: skip
        if len(batch) == 2000:
            conn.executemany(sql, batch)
            batch.clear()
    conn.executemany(sql, batch)
    conn.execute("commit")
    t1 = time.perf_counter()
    conn.execute("insert into reports_fts (reports_fts) values ('rebuild')")
    for _, trigger_sql in triggers:
        conn.execute(trigger_sql)
    conn.execute("analyze")
    conn.execute("pragma journal_mode = wal")
    conn.close()
    size = path.stat().st_size / 1e9
    print(f"generated {n} reports in {t1 - t0:.0f}s, FTS in {time.perf_counter() - t1:.0f}s, {size:.1f} GB",
          file=sys.stderr)  # fmt: skip


FEED_SQL = """select 'tag:necwatch,2024:report:' || r.id as atom_id, r.title as atom_title,
  r.published_at as atom_updated, r.body_html as atom_content_html, r.canonical_url as atom_link
from reports r where r.is_nec_report = 1 and r.duplicate_of is null order by r.published_at desc limit 50"""
IDS = r"\br\d{7}\b"  # a synthetic report's id, as every page shows or links it
PAGE_SIZE = 50  # necwatch's default_page_size, stock's too here
ROWS = 1000  # max_returned_rows


@dataclass(frozen=True)
class Page:
    """One reader's page as a URL on each server, with the same meaning on both, and what every
    correct answer holds: the tokens `pattern` finds in it, worked out from the database."""

    stock: str
    necwatch: str
    pattern: str
    expect: tuple[str, ...]

    def url(self, server: str) -> str:
        return self.stock if server == "stock" else self.necwatch


def _sql(name: str, sql: str, **params: str) -> str:
    return f"/{name}?" + str(httpx.QueryParams({"sql": sql, **params}))


def _column(db: Path, sql: str, params: Any = (), limit: int = ROWS) -> tuple[str, ...]:
    """The first column of a query's first `limit` rows, as strings (what a page shows)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return tuple(str(r[0]) for r in conn.execute(sql, params).fetchmany(limit))
    finally:
        conn.close()


def _search_page(db: Path, word: str) -> tuple[str, ...]:
    """A table search's first page, newest stored first (`_sort_desc=rowid`)."""
    return _column(
        db,
        "select r.id from reports_fts join reports r on r.rowid = reports_fts.rowid "
        f"where reports_fts match ? order by reports_fts.rowid desc limit {PAGE_SIZE}",
        [f'"{word}"'],
    )


def _nec_search_page(db: Path, word: str) -> tuple[str, ...]:
    """The search page's first page as it answers by default: the NEC reports holding the word,
    newest published first (stock: its table search with `is_nec_report=1&_sort_desc=published_at`)."""
    return _column(
        db,
        "select r.id from reports_fts join reports r on r.rowid = reports_fts.rowid "
        f"where reports_fts match ? and r.is_nec_report = 1 order by r.published_at desc limit {PAGE_SIZE}",
        [f'"{word}"'],
    )


def stock_metadata(name: str, db: Path) -> dict[str, Any]:
    """necwatch's metadata for stock: every canned query it can run (not those calling the plugin's
    SQL functions, which stock has not got)."""
    from necwatch.publish.metadata import build_metadata, nec_authors

    meta = build_metadata(name, authors=nec_authors(db))
    database = meta["databases"][name]
    database["queries"] = {k: q for k, q in database["queries"].items() if "necwatch_" not in q["sql"]}
    return meta


def pages(name: str, n: int, db: Path) -> dict[str, Page]:
    """The existing reader pages, each the same question on both servers (see the module docstring)."""
    queries = stock_metadata(name, db)["databases"][name]["queries"]
    newest = _column(db, f"select id from reports order by published_at desc limit {PAGE_SIZE}")
    row_id = f"r{n // 2:07d}"
    (row_date,) = _column(db, "select meeting_date from reports where id = ?", [row_id])
    # an NEC report's meeting (every fifth report is not one)
    (meeting,) = _column(db, "select meeting_date from reports where id = ?", [f"r{n // 2 + 1:07d}"])
    nec = "is_nec_report = 1 and duplicate_of is null"
    has_minutes = bool(int(_column(db, "select count(*) from (select 1 from minutes limit 1)")[0]))
    of_date = _column(db, MEETING_OF_DATE, {"meeting": meeting}) if has_minutes else ()
    out = {
        "table page": Page(f"/{name}/reports", f"/{name}/reports", IDS, newest),
        "row page": Page(
            f"/{name}/reports/{row_id}",
            f"/{name}/reports/{row_id}",
            IDS + r"|\d{4}-\d\d-\d\d",
            (row_id, row_date),
        ),
        "listing view": Page(f"/{name}/reports_list", f"/{name}/reports_list", IDS, newest),
        "table search (common)": Page(
            f"/{name}/reports?_search={COMMON_WORD}&_sort_desc=rowid",
            f"/{name}/reports?_search={COMMON_WORD}&_sort_desc=rowid",
            IDS,
            _search_page(db, COMMON_WORD),
        ),
        "feed": Page(
            _sql(name, FEED_SQL).replace(f"/{name}?", f"/{name}.atom?", 1),
            f"/{name}/feed_new_reports.atom",
            r"tag:necwatch,2024:report:r\d{7}",
            _column(db, FEED_SQL),
        ),
        "coverage": Page(
            f"/{name}/coverage",
            f"/{name}/coverage",
            r"\d{4}-\d\d(?:-\d\d)?",
            _column(db, queries["coverage"]["sql"]),
        ),
        # without minutes, the date's reports side by side (stock: the canned query); with minutes,
        # the minutes of the date's meeting (the ordinary one first; stock: its decisions' versions)
        "meeting page": Page(
            f"/{name}/meeting_reports?meeting={meeting}",
            f"/{name}/meeting_reports?meeting={meeting}",
            IDS,
            _column(db, f"select id from reports where meeting_date = ? and {nec}", [meeting]),
        )
        if not has_minutes
        else Page(
            f"/{name}/minutes_sources?meeting_id={of_date[0] if of_date else ''}&_size=100",
            f"/{name}/meeting_reports?meeting={meeting}",
            PARAGRAPHS,
            _column(
                db,
                f"select paragraph from minutes_sources where meeting_id = ({MEETING_OF_DATE})",
                {"meeting": meeting},
            ),
        ),
    }
    for label, word in (("search (common word)", COMMON_WORD), ("search (rare word)", RARE_WORD)):
        out[label] = Page(
            f"/{name}/reports?_search={word}&is_nec_report=1&_sort_desc=published_at",
            f"/{name}/search_reports?q={word}",
            IDS,
            _nec_search_page(db, word),
        )
    return out


# The reports of the meeting a date's page shows when there are minutes (record_pages.MINUTES_SQL).
MEETING_OF_DATE = """select meeting_id from minutes where date = :meeting
order by kind = 'full' desc, meeting_id limit 1"""
DATES = r"\b\d{4}-\d\d-\d\d"  # a meeting id's date
MEETING_IDS = r"\b\d{4}-\d\d-\d\d(?:-(?:special|away_day|sub_committees|clause_v))?\b"  # minutes.meeting_id
PARAGRAPHS = r"\bp[0-9a-f]{10}(?:-\d+)?\b"  # a paragraph's stable id, as every line of the minutes links it
DECISION_WORD = "mayoral"  # in one decision subject of 20 (bench_record_rows.SUBJECTS)
_ORDER = "order by m.date desc, d.meeting_id, d.position"  # the decisions list's order
_DECISIONS = "from minutes_decisions d join minutes m on m.meeting_id = d.meeting_id"
# A person's lines where named and their statements (the person page's two long sections, PERSON_SQL's
# nw_meetings and nw_statements: the latest 2,000 of each, newest meeting first, 500 shown), as rows.
_MEETING_OF = """left join records rec on rec.report_id = r.id
left join minutes mi on mi.meeting_id = (select c.meeting_id from minutes_coverage c
  where c.report_id = r.id order by c.meeting_id limit 1)"""
PERSON_ROWS_SQL = f"""select * from (select 'named' as line, x.report_id, x.paragraph, x.role as text,
  r.author as reporter, coalesce(mi.date, rec.meeting_date) as date,
  coalesce(mi.kind, rec.meeting_kind) as kind
from (select * from mentions where person_id = :id order by rowid desc limit 2000) x
join reports r on r.id = x.report_id
{_MEETING_OF}
order by date desc, r.published_at limit 500)
union all
select * from (select 'statement', s.report_id, s.paragraph, s.quote, r.author,
  coalesce(mi.date, rec.meeting_date) as date, coalesce(mi.kind, rec.meeting_kind)
from (select * from statements where person_id = :id order by rowid desc limit 2000) s
join reports r on r.id = s.report_id
{_MEETING_OF}
order by date desc, r.published_at, s.position limit 500)"""
# The decisions feed's entries: each decision's summary, every reporter's version and when it was
# first reported (the feed's `updated`), as record_pages.decisions_feed writes them.
_VERSIONS = "from minutes_sources s where s.meeting_id = d.meeting_id and s.decision_position = d.position"
DECISIONS_FEED_SQL = f"""select 'tag:necwatch,2024:decisions:' || d.meeting_id || ':' || d.position
  as atom_id, d.summary as atom_title,
  (select min(coalesce(r.published_at, r.first_seen_at)) {
    _VERSIONS.replace("from minutes_sources s", "from minutes_sources s join reports r on r.id = s.report_id")
}) as atom_updated,
  d.summary || ' ' || (select group_concat(s.reporter || ': ' || s.quote, ' ') {_VERSIONS}) as atom_content,
  'https://example.org/meeting/' || d.meeting_id as atom_link
{_DECISIONS} {_ORDER} limit 50"""
PERSON_FEED_SQL = """select 'tag:necwatch,2024:person:' || s.person_id || ':statement:' || s.report_id || ':'
  || s.position as atom_id, s.speaker || ' ' || s.verb as atom_title,
  coalesce(r.published_at, r.first_seen_at) as atom_updated, s.quote as atom_content,
  'https://example.org/reports/' || s.report_id as atom_link
from (select * from statements where person_id = :id order by rowid desc limit 2000) s
join reports r on r.id = s.report_id order by atom_updated desc limit 100"""


def record_pages(name: str, db: Path) -> dict[str, Page]:
    """The record pages (bench_record_rows.py writes their rows), each against stock's table or
    query page of the same rows: the meetings (stock: the `minutes` table, newest first, 100 a page),
    a meeting's minutes (stock: its decisions' versions, `minutes_sources`), a person (stock: the
    same lines where named, through `?sql=`), the decisions, faceted and searched (stock: the
    `minutes_decisions` table with its facets, a search as `summary__contains`, in meeting order) and
    the two feeds (stock: `.atom?sql=`). None when the database has no minutes."""
    if not int(_column(db, "select count(*) from (select 1 from minutes limit 1)")[0]):
        return {}
    (meeting,) = _column(db, "select meeting_id from minutes where reports = 3 and disagreements = 1 "
                             "order by date desc limit 1")  # fmt: skip
    # the person named most often, of those who move no decision (a mover's page is the decisions')
    (person,) = _column(db, "select person_id from mentions where person_id is not null and person_id not in "
                            "(select mover_id from minutes_decisions where mover_id is not null) "
                            "group by person_id order by count(*) desc limit 1")  # fmt: skip
    word = DECISION_WORD

    def first_dates(where: str = "") -> tuple[str, ...]:
        """The meeting dates of the first 50 decisions: the page orders them by date then meeting
        id, stock by meeting id descending (a date, then "-kind" if not an ordinary meeting), so
        both list the same dates in the same order, a date's meetings in their own orders."""
        return tuple(dict.fromkeys(_column(db, f"select m.date {_DECISIONS} {where}{_ORDER} limit 50")))

    facets = "_facet=outcome&_facet=counted&_facet=manner"
    like = f"where d.summary like '%{word}%' "  # the words bench_record_rows writes: no item has it
    return {
        "meetings list": Page(
            f"/{name}/minutes?_sort_desc=date&_size=100",
            f"/{name}/meetings",
            MEETING_IDS,
            # stock breaks a date's ties its own way: the first 90, which both show
            _column(db, "select meeting_id from minutes order by date desc, meeting_id limit 90"),
        ),
        "meeting minutes": Page(
            f"/{name}/minutes_sources?meeting_id={meeting}&_size=100",
            f"/{name}/meeting_reports?meeting={meeting}",
            PARAGRAPHS,
            _column(db, "select paragraph from minutes_sources where meeting_id = ?", [meeting]),
        ),
        "person page": Page(
            _sql(name, PERSON_ROWS_SQL, id=person),
            f"/{name}/people/{person}",
            IDS,
            _column(db, "select report_id from (" + PERSON_ROWS_SQL + ")", {"id": person}),
        ),
        "person feed": Page(
            _sql(name, PERSON_FEED_SQL, id=person).replace(f"/{name}?", f"/{name}.atom?", 1),
            f"/{name}/people/{person}.atom",
            IDS,
            _column(
                db,
                f"select report_id from ({PERSON_FEED_SQL.replace('atom_id,', 'atom_id, s.report_id,', 1)})"
                " limit 20",
                {"id": person},
            ),
        ),
        "decisions list": Page(
            f"/{name}/minutes_decisions?{facets}&_sort_desc=meeting_id",
            f"/{name}/decisions_list",
            DATES,
            first_dates(),
        ),
        "decisions search": Page(
            f"/{name}/minutes_decisions?summary__contains={word}&{facets}&_sort_desc=meeting_id",
            f"/{name}/decisions_list?q={word}",
            DATES,
            first_dates(like),
        ),
        "decisions feed": Page(
            _sql(name, DECISIONS_FEED_SQL).replace(f"/{name}?", f"/{name}.atom?", 1),
            f"/{name}/decisions_list.atom",
            DATES,
            first_dates(),
        ),
    }


def extra_pages(path: Path, name: str, db: Path) -> dict[str, Page]:
    """Pages from a JSON file (see the module docstring): the record pages, added after a merge."""
    out = {}
    for spec in json.loads(path.read_text(encoding="utf-8")):
        out[spec["label"]] = Page(
            spec["stock"].replace("{db}", name),
            spec["necwatch"].replace("{db}", name),
            spec["pattern"],
            _column(db, spec["expect_sql"], spec.get("params") or {}),
        )
    return out


def select_pages(spec: str | None, name: str, n: int, db: Path) -> dict[str, Page]:
    """`--pages`: labels of the built-in pages and `@file.json` page files; all built-ins if none."""
    builtin = {**pages(name, n, db), **record_pages(name, db)}
    if not spec:
        return builtin
    chosen: dict[str, Page] = {}
    for part in (p.strip() for p in spec.split(",")):
        if part.startswith("@"):
            chosen.update(extra_pages(Path(part[1:]), name, db))
        elif part in builtin:
            chosen[part] = builtin[part]
        elif part:
            raise SystemExit(f"--pages: no page {part!r} (pages: {', '.join(builtin)})")
    return chosen


def wrong(text: str, status: int, page: Page) -> str | None:
    """Why an answer is not the page's correct answer (None if it is)."""
    if status != 200:
        return f"HTTP {status}"
    import re

    found = set(re.findall(page.pattern, text))
    missing = [t for t in page.expect if t not in found]
    if missing:
        return f"{len(missing)} of {len(page.expect)} expected rows missing, e.g. {missing[:3]}"
    return None


# The load client: every answer is checked (status and content) before its latency is counted.
LOAD_SCRIPT = r"""
import asyncio, json, re, sys, time
import httpx
base, path, pattern = sys.argv[1], sys.argv[2], sys.argv[5]
seconds, conc, expect = float(sys.argv[3]), int(sys.argv[4]), frozenset(json.loads(sys.argv[6]))
find = re.compile(pattern).findall
async def main():
    lat, codes, wrong = [], {}, []
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for _ in range(2):
            await c.get(path)
        end = time.perf_counter() + seconds
        async def worker():
            while time.perf_counter() < end or not (lat or wrong):
                t = time.perf_counter()
                r = await c.get(path)
                await r.aread()
                took = time.perf_counter() - t
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
                if r.status_code == 200 and expect <= set(find(r.text)):
                    lat.append(took)
                else:
                    wrong.append(r.status_code)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - t0
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    print(json.dumps({"n": len(lat), "wrong": len(wrong), "p50": q(0.5), "p95": q(0.95),
                      "rps": len(lat) / wall, "codes": codes}))
asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


@contextlib.contextmanager
def serving(
    cmds: dict[str, list[str]], ports: dict[str, int]
) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """Both servers up at once (each idle while the other is loaded): base URL and pid by server."""
    procs = {server: subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for server, cmd in cmds.items()}  # fmt: skip
    try:
        bases = {server: f"http://127.0.0.1:{ports[server]}" for server in cmds}
        for server, proc in procs.items():
            _wait(bases[server] + "/-/versions.json", proc)
        yield bases, {server: proc.pid for server, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system, every thread): what a page cost the server,
    whatever else the machine was running (on a shared machine latency is also queueing)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(base: str, page: Page, server: str, seconds: float, conc: int) -> dict[str, Any]:
    """Load one page from a separate process (the client's work is not the server's CPU)."""
    args = [base, page.url(server), str(seconds), str(conc), page.pattern, json.dumps(page.expect)]
    out = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


def check_answers(bases: dict[str, str], chosen: dict[str, Page]) -> list[str]:
    """Each page asked once of each server before timing: why any answer is wrong (to read first)."""
    problems = []
    for label, page in chosen.items():
        for server, base in bases.items():
            r = httpx.get(base + page.url(server), timeout=120)
            why = wrong(r.text, r.status_code, page)
            print(f"  {server:8} {label:24} {len(page.expect)} rows expected: {why or 'ok'}", file=sys.stderr)
            if why:
                problems.append(f"{server} {label}: {why} ({page.url(server)})")
    return problems


def summarize(rounds: list[dict[str, Any]], target: float) -> tuple[list[str], list[str]]:
    """Markdown rows (median of each round's p50 and p95, with the range over rounds) and every
    failure: a wrong answer (status or content), or a round below `target`."""
    failures = []
    lines = [
        "| page | stock p50 ms (range) | stock p95 ms | necwatch p50 ms (range) | necwatch p95 ms "
        "| speed-up: median of rounds (range) | server CPU ms an answer, stock / necwatch "
        "| CPU ratio (range) | answers checked |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label in rounds[0]["necwatch"]:
        cells = []
        checked = 0
        for server in ("stock", "necwatch"):
            runs = [r[server][label] for r in rounds]
            for i, run in enumerate(runs):
                checked += run["n"] + run["wrong"]
                if run["wrong"] or not run["n"]:
                    failures.append(
                        f"{server} {label} round {i + 1}: {run['wrong']} wrong answers {run['codes']}"
                    )
            p50 = sorted(x["p50"] * 1000 for x in runs)
            p95 = sorted(x["p95"] * 1000 for x in runs)
            cells += [
                f"{statistics.median(p50):.1f} ({p50[0]:.1f}–{p50[-1]:.1f})",
                f"{statistics.median(p95):.1f}",
            ]
        ratios = sorted(r["stock"][label]["p50"] / r["necwatch"][label]["p50"] for r in rounds)
        if ratios[0] < target:
            failures.append(f"{label}: {ratios[0]:.2f}× in its worst round, below {target}×")
        spread = f" ({ratios[0]:.2f}–{ratios[-1]:.2f})" if len(ratios) > 1 else ""
        cpu = {s: statistics.median(r[s][label]["cpu_ms"] for r in rounds) for s in ("stock", "necwatch")}
        cpu_ratios = sorted(
            r["stock"][label]["cpu_ms"] / max(r["necwatch"][label]["cpu_ms"], 1e-9) for r in rounds
        )
        cpu_spread = f" ({cpu_ratios[0]:.2f}–{cpu_ratios[-1]:.2f})" if len(cpu_ratios) > 1 else ""
        lines.append(
            f"| {label} | {' | '.join(cells)} | {statistics.median(ratios):.2f}×{spread} "
            f"| {cpu['stock']:.1f} / {cpu['necwatch']:.1f} "
            f"| {statistics.median(cpu_ratios):.2f}×{cpu_spread} | {checked:,} |"
        )
    loads = [x for r in rounds for x in r["load"]]
    lines.append("")
    lines.append(
        f"Load average (1 min) around the rounds: {min(loads):.1f}–{max(loads):.1f}, "
        f"on {os.cpu_count()} cores."
    )
    return lines, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/necwatch-bench/bench.db"))
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--demo-db", type=Path, default=None, help="Paragraph source (default: run the demo).")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--seconds", type=float, default=5.0, help="Load per page per round.")
    ap.add_argument("--rounds", type=int, default=3, help="Rounds (each serves both in turn): the spread.")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--target", type=float, default=1.2, help="Speed-up every page reaches in every round.")
    ap.add_argument("--pages", default=None, help="Labels and @file.json page files, comma-separated.")
    ap.add_argument(
        "--record",
        action="store_true",
        help="Give the reports records and minutes (bench_record_rows.py, once); measure the record pages.",
    )
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.regenerate or not args.db.exists():
        generate(args.db, args.reports, args.demo_db)
    if args.record:  # the schema this necwatch writes (its migrations, as a poll would), then the rows
        from bench_record_rows import add_record_rows

        from necwatch.store import Store

        Store.open(args.db).close()
        add_record_rows(args.db)  # once: a database with minutes keeps them
    name = args.db.stem
    n = int(_column(args.db, "select count(*) from reports")[0])
    bin_dir = Path(sys.executable).parent
    ports = {"stock": _free_port(), "necwatch": _free_port()}
    from necwatch.publish import settings_for

    meta_path = args.db.with_suffix(".stock-metadata.json")
    meta_path.write_text(json.dumps(stock_metadata(name, args.db)), encoding="utf-8")
    settings = settings_for(public=False, immutable=False)
    # Stock's query time limit lets it answer its table search under load (a limit, not a speed lever).
    settings["sql_time_limit_ms"] = 20_000
    stock_settings = [
        x
        for k, v in settings.items()
        for x in ("--setting", k, ("on" if v else "off") if isinstance(v, bool) else str(v))
    ]
    cmds = {
        "stock": [str(bin_dir / "datasette"), "serve", str(args.db), "-p", str(ports["stock"]),
                  "--metadata", str(meta_path), *stock_settings],
        "necwatch": [str(bin_dir / "necwatch"), "serve", "--db", str(args.db),
                     "--port", str(ports["necwatch"])],
    }  # fmt: skip
    chosen = select_pages(args.pages, name, n, args.db)
    rounds: list[dict[str, Any]] = []
    with serving(cmds, ports) as (bases, pids):
        problems = check_answers(bases, chosen)
        # Each page on stock and necwatch back to back, in alternating order from round to round
        # (ABBA): on a shared machine the load drifts over minutes, and a ratio of two runs seconds
        # apart is what survives it.
        for i in range(args.rounds if not problems else 0):
            this: dict[str, Any] = {"stock": {}, "necwatch": {}, "load": [os.getloadavg()[0]]}
            for j, (label, page) in enumerate(chosen.items()):
                order = ("stock", "necwatch") if (i + j) % 2 == 0 else ("necwatch", "stock")
                for server in order:
                    before = cpu_seconds(pids[server])
                    run = load(bases[server], page, server, args.seconds, args.concurrency)
                    answers = run["n"] + run["wrong"] + 2  # and the client's two warm-up requests
                    run["cpu_ms"] = (cpu_seconds(pids[server]) - before) * 1000 / answers
                    this[server][label] = run
                    print(f"round {i + 1} {server:8} {label:24} {this[server][label]}", file=sys.stderr)
            this["load"].append(os.getloadavg()[0])
            rounds.append(this)
    failures = list(problems)
    if rounds:
        out = args.db.with_suffix(".results.json")
        out.write_text(json.dumps({"reports": n, "cores": os.cpu_count(), "rounds": rounds}, indent=2))
        lines, failed = summarize(rounds, args.target)
        print("\n".join(lines))
        failures += failed
    for problem in failures:
        print(f"FAILED: {problem}", file=sys.stderr)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
