"""Emulated WordPress and Blogger sites that answer the platforms' query parameters (not a replay).

WordPress (`/wp-json/wp/v2/…`): `posts` with `per_page` (default 10, max 100), `page`, `orderby`
(date|modified), `order`, `modified_after`, `after`/`before` (publication date, both exclusive),
`_fields`, `X-WP-Total`/`X-WP-TotalPages`;
`comments` per post (`post=`) or site-wide with `after`, `per_page`, `page`, `orderby=date`, `order`;
`users/ID`. Blogger (`/feeds/…`): `posts/default` and `posts/summary` with `start-index`,
`max-results` (default 25, max 500), `orderby` (published|updated), `published-min` (inclusive) /
`published-max` (exclusive), `updated-min` / `updated-max` (likewise, and ignored unless
`orderby=updated`, as Blogger documents), `openSearch:totalResults` (the count of the whole filtered
result); `comments/default` site-wide and `POSTID/comments/default` per post.
Post pages answer 404 once a post is deleted. The clock is simulated (`site.now`), everything is
seeded, and `requests` counts what a poll asked for. Used by bench/bench_incremental.py and, at
small N, by tests/sources/test_incremental.py.

`RemoteWeb` runs the sites in a child process (`python platformweb.py`, commands as JSON lines on
stdin/stdout), so a benchmark measures necwatch's own peak RSS apart from the emulator's.
"""

from __future__ import annotations

import json
import math
import random
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

_WORDS = [
    "the",
    "committee",
    "agreed",
    "labour",
    "members",
    "report",
    "meeting",
    "party",
    "vote",
    "policy",
    "rules",
    "budget",
]


# Body sizes (HTML bytes), log-normal: (median, sigma, min, max). NEC reports as real ones run
# (~15 kB on average: the complete reports of the bundled reference web are 13-16 kB; its shorter
# texts are cut by the fixture), the blog's other posts as ordinary blog posts (~4 kB).
REPORT_SIZE = (13_000, 0.5, 3_000, 45_000)
OTHER_SIZE = (3_500, 0.6, 800, 20_000)
_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "normalize" / "reports"


@cache
def real_paragraphs() -> tuple[str, ...]:
    """Paragraphs of the real NEC reports of the reference web: realistic words, lengths, entropy."""
    paras = []
    for path in sorted(_CORPUS.glob("*.txt")):
        paras += [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 40]
    return tuple(paras)


def _size(rng: random.Random, spec: tuple[int, float, int, int]) -> int:
    median, sigma, low, high = spec
    return int(min(high, max(low, median * math.exp(rng.gauss(0, sigma)))))


@dataclass
class EPost:
    id: int
    title: str
    html: str
    published: datetime
    modified: datetime
    report: bool
    deleted: bool = False


@dataclass
class EComment:
    id: int
    post_id: int
    author: str
    text: str
    at: datetime


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class EmuSite:
    """One emulated site; `kind` is "wordpress" or "blogger"."""

    kind: str
    posts_n: int = 100
    seed: int = 1
    now: datetime = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    posts: list[EPost] = field(default_factory=list)
    comments: list[EComment] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    errors: list[str] = field(default_factory=list)  # a request whose path contains one answers 503
    realistic: bool = True  # bodies of realistic sizes; False: the short bodies of the first benches
    by_id: dict[int, EPost] = field(default_factory=dict)  # every post, deleted ones included

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        start = self.now - timedelta(days=10 * 365)
        step = (self.now - start) / max(1, self.posts_n)
        for i in range(self.posts_n):
            self._new(start + step * i, report=i % 10 == 0)
        for p in self.posts[::10][-20:]:
            self.add_comment(p, p.published + timedelta(hours=3))

    # -- content ---------------------------------------------------------------------------------
    def _para(self) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(60)).capitalize() + "."

    def _body(self, at: datetime, report: bool) -> str:
        """A report of real NEC paragraphs, or an ordinary post of filler words, at a size drawn
        from REPORT_SIZE / OTHER_SIZE (not realistic: six or two filler paragraphs)."""
        opening = f"The NEC met on {at:%d %B %Y}." if report else "Some other news this week."
        if not self.realistic:
            return "".join(
                f"<p>{p}</p>" for p in [opening, *(self._para() for _ in range(6 if report else 2))]
            )
        target = _size(self.rng, REPORT_SIZE if report else OTHER_SIZE)
        html = f"<p>{opening}</p>"
        while len(html) < target:
            para = escape(self.rng.choice(real_paragraphs())) if report else self._para()
            html += f"<p>{para}</p>"
        return html

    def _new(self, at: datetime, *, report: bool) -> EPost:
        pid = 1000 + len(self.posts)
        kind = "NEC Report" if report else "Thoughts"
        title = f"{kind} – {at:%d %B %Y} (no. {pid})"
        post = EPost(pid, title, self._body(at, report), at, at, report)
        self.posts.append(post)
        self.by_id[pid] = post
        return post

    def add_post(self, *, report: bool = True, published: datetime | None = None) -> EPost:
        """A new post, published now or (back-dated) at `published`."""
        return self._new(published or self.now, report=report)

    def edit(self, post: EPost, *, move_modified: bool = True) -> None:
        post.html += f"<p>Update: {self._para()}</p>"
        if move_modified:
            post.modified = self.now

    def add_comment(self, post: EPost, at: datetime | None = None) -> EComment:
        c = EComment(
            2_000_000 + len(self.comments),
            post.id,
            f"Reader {len(self.comments)}",
            self._para(),
            at or self.now,
        )
        self.comments.append(c)
        return c

    def live(self) -> list[EPost]:
        return [p for p in self.posts if not p.deleted]

    def permalink(self, base: str, p: EPost) -> str:
        if self.kind == "blogger":
            return f"{base}{p.published:%Y/%m}/post-{p.id}.html"
        return f"{base}{p.published:%Y/%m/%d}/post-{p.id}/"

    # -- serving ---------------------------------------------------------------------------------
    def serve(self, base: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"content-type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if self.kind == "wordpress" and path.startswith("/wp-json/wp/v2/"):
            return wp_api(self, base, path.removeprefix("/wp-json/wp/v2/"), query)
        if self.kind == "blogger" and path.startswith("/feeds/"):
            return blogger_feed(self, base, path.removeprefix("/feeds/"), query)
        for p in self.posts:
            if self.permalink(base, p).endswith(path):
                if p.deleted:
                    break
                page = f"<html><body><h1>{escape(p.title)}</h1>{p.html}</body></html>"
                return 200, {"content-type": "text/html; charset=utf-8"}, page.encode()
        return 404, {"content-type": "text/html"}, b"<html><body>Not found</body></html>"


def _wp_date(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _wp_post(site: EmuSite, base: str, p: EPost) -> dict[str, Any]:
    return {
        "id": p.id,
        "date": _wp_date(p.published),
        "date_gmt": _wp_date(p.published),
        "modified": _wp_date(p.modified),
        "modified_gmt": _wp_date(p.modified),
        "link": site.permalink(base, p),
        "title": {"rendered": escape(p.title)},
        "content": {"rendered": p.html, "protected": False},
        "author": 1,
        "tags": [7] if p.report else [],
    }


def _page(
    items: list[Any], query: dict[str, str], default: int, cap: int
) -> tuple[list[Any], dict[str, str]]:
    per = min(cap, int(query.get("per_page") or query.get("max-results") or default))
    page = int(query.get("page") or 1)
    total = len(items)
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(max(1, -(-total // per)) if total else 0)}
    return items[(page - 1) * per : page * per], headers


def wp_api(site: EmuSite, base: str, path: str, q: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    jtype = {"content-type": "application/json; charset=UTF-8"}
    if path == "users/1":
        return 200, jtype, json.dumps({"id": 1, "name": "Emu Member"}).encode()
    if path == "posts":
        posts = site.live()
        if "modified_after" in q:
            posts = [p for p in posts if p.modified > _utc(q["modified_after"])]
        if "after" in q:
            posts = [p for p in posts if p.published > _utc(q["after"])]
        if "before" in q:
            posts = [p for p in posts if p.published < _utc(q["before"])]
        key = (
            (lambda p: (p.modified, p.id))
            if q.get("orderby") == "modified"
            else (lambda p: (p.published, p.id))
        )
        posts.sort(key=key, reverse=q.get("order", "desc") == "desc")
        chunk, headers = _page(posts, q, 10, 100)
        if int(q.get("page") or 1) > 1 and not chunk:
            return 400, jtype, b'{"code":"rest_post_invalid_page_number"}'
        objs = [_wp_post(site, base, p) for p in chunk]
        if "_fields" in q:
            keep = q["_fields"].split(",")
            objs = [{k: o[k] for k in keep if k in o} for o in objs]
        return 200, {**jtype, **headers}, json.dumps(objs).encode()
    if path == "comments":
        # the comments of live posts, by the post index: a set of every live post per request made
        # the emulator's own cost grow with the archive (the wall time of a backfill, not necwatch's)
        comments = [c for c in site.comments if not site.by_id[c.post_id].deleted]
        if "post" in q:
            comments = [c for c in comments if c.post_id == int(q["post"])]
        if "after" in q:
            comments = [c for c in comments if c.at > _utc(q["after"])]
        comments.sort(key=lambda c: (c.at, c.id), reverse=q.get("order", "desc") == "desc")
        chunk, headers = _page(comments, q, 10, 100)
        by_id = site.by_id
        objs = [
            {
                "id": c.id,
                "post": c.post_id,
                "parent": 0,
                "author_name": c.author,
                "date": _wp_date(c.at),
                "date_gmt": _wp_date(c.at),
                "content": {"rendered": f"<p>{c.text}</p>"},
                "link": site.permalink(base, by_id[c.post_id]) + f"#comment-{c.id}",
            }
            for c in chunk
        ]
        return 200, {**jtype, **headers}, json.dumps(objs).encode()
    return 404, jtype, b'{"code":"rest_no_route"}'


def _atom_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _feed(entries: list[str], total: int, start: int, per: int) -> bytes:
    head = (
        "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/' "
        "xmlns:thr='http://purl.org/syndication/thread/1.0'><id>tag:blogger.com,1999:blog-1</id>"
        f"<title>Emu</title><openSearch:totalResults>{total}</openSearch:totalResults>"
        f"<openSearch:startIndex>{start}</openSearch:startIndex>"
        f"<openSearch:itemsPerPage>{per}</openSearch:itemsPerPage>"
    )
    return (head + "".join(entries) + "</feed>").encode()


def blogger_feed(site: EmuSite, base: str, path: str, q: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    atom = {"content-type": "application/atom+xml; charset=UTF-8"}
    start = int(q.get("start-index") or 1)
    per = min(500, int(q.get("max-results") or 25))
    if path in ("posts/default", "posts/summary"):
        posts = [p for p in site.live() if _within(q, "published", p.published)]
        if q.get("orderby") == "updated":
            posts = [p for p in posts if _within(q, "updated", p.modified)]
        key = (
            (lambda p: (p.modified, p.id))
            if q.get("orderby") == "updated"
            else (lambda p: (p.published, p.id))
        )
        posts.sort(key=key, reverse=True)
        counts = {}
        for c in site.comments:
            counts[c.post_id] = counts.get(c.post_id, 0) + 1
        body = [
            _blogger_entry(site, base, p, path.endswith("summary"), counts.get(p.id, 0))
            for p in posts[start - 1 : start - 1 + per]
        ]
        return 200, atom, _feed(body, len(posts), start, per)
    live = {p.id: p for p in site.live()}
    if path == "comments/default":
        comments = [c for c in site.comments if c.post_id in live]
    elif path.endswith("/comments/default") and int(path.split("/")[0]) in live:
        comments = [c for c in site.comments if c.post_id == int(path.split("/")[0])]
    else:
        return 404, {"content-type": "text/html"}, b"<html>Not found</html>"
    if q.get("orderby") == "updated":
        comments = [c for c in comments if _within(q, "updated", c.at)]
    comments.sort(key=lambda c: (c.at, c.id), reverse=True)
    body = [
        f"<entry><id>tag:blogger.com,1999:blog-1.post-{c.id}</id><published>{_atom_time(c.at)}</published>"
        f"<updated>{_atom_time(c.at)}</updated><title type='text'>c</title>"
        f"<content type='html'>{escape(c.text)}</content>"
        f"<link rel='alternate' type='text/html' "
        f"href='{site.permalink(base, live[c.post_id])}?showComment={c.id}#c{c.id}'/>"
        f"<author><name>{escape(c.author)}</name></author>"
        f"<thr:in-reply-to ref='tag:blogger.com,1999:blog-1.post-{c.post_id}' "
        f"href='{site.permalink(base, live[c.post_id])}' type='text/html'/></entry>"
        for c in comments[start - 1 : start - 1 + per]
    ]
    return 200, atom, _feed(body, len(comments), start, per)


def _within(q: dict[str, str], name: str, at: datetime) -> bool:
    """GData bounds: `NAME-min` inclusive, `NAME-max` exclusive."""
    low, high = q.get(f"{name}-min"), q.get(f"{name}-max")
    return (low is None or at >= _utc(low)) and (high is None or at < _utc(high))


def _blogger_entry(site: EmuSite, base: str, p: EPost, summary: bool, comments: int) -> str:
    content = (
        f"<summary type='text'>{escape(p.title)}</summary>"
        if summary
        else f"<content type='html'>{escape(p.html)}</content>"
    )
    labels = "<category scheme='http://www.blogger.com/atom/ns#' term='NEC'/>" if p.report else ""
    return (
        f"<entry><id>tag:blogger.com,1999:blog-1.post-{p.id}</id><published>{_atom_time(p.published)}</published>"
        f"<updated>{_atom_time(p.modified)}</updated>{labels}"
        f"<title type='text'>{escape(p.title)}</title>{content}"
        f"<link rel='alternate' type='text/html' href='{site.permalink(base, p)}'/>"
        f"<author><name>Emu Member</name></author><thr:total>{comments}</thr:total></entry>"
    )


class PlatformWeb:
    """Serves EmuSites from loopback servers, one port each. Use as a context manager."""

    def __init__(self, *sites: EmuSite) -> None:
        self.sites = list(sites)
        self.servers: list[ThreadingHTTPServer] = []
        self.lock = threading.Lock()

    def __enter__(self) -> PlatformWeb:
        for site in self.sites:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, site))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def base(self, site: EmuSite) -> str:
        return f"http://127.0.0.1:{self.servers[self.sites.index(site)].server_address[1]}/"

    def requests(self, *, robots: bool = False) -> int:
        return sum(1 for s in self.sites for r in s.requests if robots or r != "/robots.txt")

    def reset(self) -> None:
        for s in self.sites:
            s.requests.clear()
            s.bytes_sent = 0


def _handler(web: PlatformWeb, site: EmuSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with web.lock:
                site.requests.append(self.path)
                if any(e in self.path for e in site.errors):
                    status, headers, body = 503, {"content-type": "text/plain"}, b"unavailable"
                else:
                    status, headers, body = site.serve(web.base(site), parts.path, query)
                site.bytes_sent += len(body)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


# -- the sites in a child process ---------------------------------------------------------------


def _command(web: PlatformWeb, cmd: dict[str, Any]) -> Any:
    """One command of the stdio protocol (see RemoteWeb); its answer is JSON."""
    op = cmd["op"]
    if op == "advance":
        for s in web.sites:
            s.now += timedelta(hours=cmd["hours"])
        return None
    if op == "requests":
        return web.requests()
    if op == "bytes":
        return sum(s.bytes_sent for s in web.sites)
    if op == "reset":
        return web.reset()
    if op == "rss_mb":
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if op == "cpu_s":  # the emulator's own CPU time (process time) so far
        return time.process_time()
    site = web.sites[cmd["site"]]
    if op == "count":
        return len(site.posts)
    if op == "add_post":
        return site.add_post(report=cmd["report"]).id
    if op == "live_reports":
        return [i for i, p in enumerate(site.posts) if p.report and not p.deleted]
    post = site.posts[cmd["post"]]
    if op == "add_comment":
        return site.add_comment(post).id
    if op == "edit":
        return site.edit(post, move_modified=cmd.get("move_modified", True))
    if op == "delete":
        post.deleted = True
        return None
    raise ValueError(f"unknown command {op!r}")


def serve_stdio(specs: list[dict[str, Any]]) -> None:
    """The child's side: serve the sites, print their bases, then answer one command per line."""
    sites = [EmuSite(s["kind"], s["posts"], s["seed"], realistic=s.get("realistic", True)) for s in specs]
    with PlatformWeb(*sites) as web:
        print(json.dumps([web.base(s) for s in sites]), flush=True)
        for line in sys.stdin:
            print(json.dumps(_command(web, json.loads(line))), flush=True)


class RemoteWeb:
    """EmuSites served by a child process, driven by index (site, post). Use as a context manager."""

    def __init__(self, *specs: tuple[str, int, int], realistic: bool = True) -> None:
        self.specs = [{"kind": k, "posts": n, "seed": seed, "realistic": realistic} for k, n, seed in specs]
        self.bases: list[str] = []

    def __enter__(self) -> RemoteWeb:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, json.dumps(self.specs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.bases = json.loads(self._line())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process ended")
        return line

    def call(self, op: str, site: int | None = None, **kw: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, "site": site, **kw}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._line())


if __name__ == "__main__":
    serve_stdio(json.loads(sys.argv[1]))
