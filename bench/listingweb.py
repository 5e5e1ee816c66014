"""An emulated LabourList-like site: a tag listing without change parameters, served live (not a replay).

`/tag/nec/`, `/tag/nec/page/N/`: cards (`.post-grid article.card`, title link, excerpt, date), newest
first, `per_page` a page, `nav.pagination a.next` to the next page, 404 past the last one. Article
pages `/YYYY/MM/slug-ID/` in LabourList's markup (title, byline, published time, modified meta, body),
404 once deleted. Every answer carries an ETag and `If-None-Match` gets a 304, as WordPress behind a
cache does. The clock is simulated (`site.now`), content seeded, and `requests` logs every path asked.
Used by bench/bench_listing.py and tests/sources/test_listing_poll.py.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

_WORDS = ["the", "committee", "agreed", "labour", "members", "report", "meeting", "party", "vote", "rules"]
HTML = "text/html; charset=UTF-8"


@dataclass
class LPost:
    id: int
    title: str
    excerpt: str
    html: str
    published: datetime
    modified: datetime
    deleted: bool = False  # its page answers 404 (and it leaves the listing)
    tagged: bool = True  # shown on the tag listing (a post can leave the tag and stay online)

    @property
    def path(self) -> str:
        return f"/{self.published:%Y/%m}/post-{self.id}/"


@dataclass
class ListingSite:
    """One emulated tag listing with `posts_n` posts, one in ten an NEC report."""

    posts_n: int = 60
    per_page: int = 10
    seed: int = 1
    now: datetime = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    posts: list[LPost] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    bytes_sent: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        start = self.now - timedelta(days=6 * 365)
        step = (self.now - start) / max(1, self.posts_n)
        for i in range(self.posts_n):
            self._new(start + step * i, report=i % 10 == 0)

    def _para(self) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(50)).capitalize() + "."

    def _new(self, at: datetime, *, report: bool) -> LPost:
        pid = 5000 + len(self.posts)
        title = f"{'NEC report' if report else 'News'} – {at:%d %B %Y} (no. {pid})"
        body = [f"The NEC met on {at:%d %B %Y}." if report else "Some other news this week."]
        body += [self._para() for _ in range(5 if report else 2)]
        post = LPost(pid, title, body[0], "".join(f"<p>{p}</p>" for p in body), at, at)
        self.posts.append(post)
        return post

    def add_post(self, *, report: bool = True) -> LPost:
        return self._new(self.now, report=report)

    def edit(self, post: LPost, *, card: bool = False) -> None:
        """Add a paragraph to the body; `card`: the listing's excerpt shows the edit too."""
        extra = self._para()
        post.html += f"<p>Update: {extra}</p>"
        post.modified = self.now
        if card:
            post.excerpt = f"Updated: {post.excerpt}"

    def listed(self) -> list[LPost]:
        return sorted(
            (p for p in self.posts if p.tagged and not p.deleted), key=lambda p: p.published, reverse=True
        )

    def page_of(self, post: LPost) -> int:
        return self.listed().index(post) // self.per_page + 1

    # -- pages -----------------------------------------------------------------------------------
    def serve(self, base: str, path: str) -> tuple[int, str, str]:
        if path == "/robots.txt":
            return 200, "text/plain", "User-agent: *\nAllow: /\n"
        page = 1 if path == "/tag/nec/" else None
        if path.startswith("/tag/nec/page/") and path.removeprefix("/tag/nec/page/").strip("/").isdigit():
            page = int(path.removeprefix("/tag/nec/page/").strip("/"))
        if page is not None:
            return self._listing(base, page)
        for p in self.posts:
            if p.path == path and not p.deleted:
                return 200, HTML, self._article(base, p)
        return 404, HTML, "<html><body><h1>Not found</h1></body></html>"

    def _listing(self, base: str, n: int) -> tuple[int, str, str]:
        listed = self.listed()
        pages = max(1, -(-len(listed) // self.per_page))
        if n > pages:
            return 404, HTML, "<html><body><h1>Page not found</h1></body></html>"
        cards = "".join(self._card(base, p) for p in listed[(n - 1) * self.per_page : n * self.per_page])
        nav = f'<a class="next page-numbers" href="{base}tag/nec/page/{n + 1}/">Next</a>' if n < pages else ""
        return (
            200,
            HTML,
            (
                f"<!DOCTYPE html><html><head><title>NEC – LabourList</title></head><body class='archive tag'>"
                f"<main><div class='post-grid'>{cards}</div><nav class='pagination'>{nav}</nav></main>"
                "</body></html>"
            ),
        )

    def _card(self, base: str, p: LPost) -> str:
        link = f"{base}{p.path.lstrip('/')}"
        return (
            f'<article class="card card--post post-{p.id}"><div class="card__body">'
            f'<h2 class="card__title"><a href="{link}">{escape(p.title)}</a></h2>'
            f'<p class="card__excerpt">{escape(p.excerpt)}</p>'
            f'<time class="card__date" datetime="{p.published.isoformat()}">{p.published:%d %B %Y}</time>'
            "</div></article>"
        )

    def _article(self, base: str, p: LPost) -> str:
        return (
            f"<!DOCTYPE html><html><head><title>{escape(p.title)}</title>"
            f'<meta property="article:modified_time" content="{p.modified.isoformat()}"></head>'
            f'<body class="post-template-default single postid-{p.id}"><article id="post-{p.id}">'
            f'<h1 class="entry-title">{escape(p.title)}</h1>'
            '<div class="byline">By <a rel="author" href="/author/emu/">Emu Member</a></div>'
            f'<time class="entry-date published" datetime="{p.published.isoformat()}">'
            f"{p.published:%d %B %Y}</time>"
            f'<div class="entry-content">{p.html}</div></article></body></html>'
        )


class ListingWeb:
    """Serves a ListingSite from a loopback server. Use as a context manager."""

    def __init__(self, site: ListingSite) -> None:
        self.site = site
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def __enter__(self) -> ListingWeb:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def paths(self) -> list[str]:
        """Paths requested since the last reset, robots.txt left out."""
        return [p for p in self.site.requests if p != "/robots.txt"]

    def reset(self) -> None:
        self.site.requests.clear()
        self.site.bytes_sent = 0


def _handler(web: ListingWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            with web.lock:
                web.site.requests.append(path)
                status, ctype, text = web.site.serve(web.base, path)
            body = text.encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            with web.lock:
                web.site.bytes_sent += len(body)
            self.send_response(status)
            self.send_header("content-type", ctype)
            if status in (200, 304):
                self.send_header("etag", etag)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
