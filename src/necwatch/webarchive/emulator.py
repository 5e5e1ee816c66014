"""An emulated Wayback Machine for tests, the bench and the demo: a CDX endpoint and raw captures.

`EmulatedArchive.answer(method, path)` is the whole service (pure over its captures, recording each
request); `serve()` puts it on a real loopback HTTP server, `transport()` behind an httpx transport
under the archive's real URL. It follows the CDX server's documented behaviour
(github.com/internetarchive/wayback, wayback-cdx-server/README.md):

* `/cdx/search/cdx?url=…&matchType=exact|prefix&output=json&fl=…&limit=N&showResumeKey=true`:
  a JSON list whose first row names the fields, rows sorted by url key then time; `collapse=urlkey`
  (or `digest`, or `field:N`) drops each row equal to the previous one on that field;
  `filter=[!]field:regex` keeps the rows whose field matches (or does not); `from`/`to` are timestamp
  prefixes (inclusive); with more rows than `limit` the answer ends with an empty row and a row
  holding the resume key, which `resumeKey=` takes back.
* `/web/<timestamp>id_/<original>`: the capture as captured (its status, its body, a
  `Memento-Datetime` header; a redirect's `Location` pointing into the archive); a timestamp with no
  capture redirects (302) to the nearest capture of that URL; a URL never captured is the archive's
  own 404 (no `Memento-Datetime`).
* `/web/<timestamp>/<original>`: the replay page (a toolbar inserted), which necwatch never reads.

`reference_captures()` builds captures from the reference web's states at several times (see its
docstring for the scenario). `rate_limit` makes chosen requests answer 429 with a Retry-After.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx

from necwatch.webarchive.cdx import FIELDS, parse_timestamp, surt, timestamp_of

__all__ = ["Capture", "EmulatedArchive", "Scenario", "reference_captures"]


@dataclass(frozen=True)
class Capture:
    timestamp: str  # 14 digits
    original: str
    status: int = 200
    body: bytes = b""
    mimetype: str = "text/html"
    location: str | None = None  # a redirect capture's target (absolute, on the live site)

    @property
    def urlkey(self) -> str:
        return surt(self.original)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    def row(self) -> dict[str, str]:
        return {
            "urlkey": self.urlkey,
            "timestamp": self.timestamp,
            "original": self.original,
            "mimetype": self.mimetype,
            "statuscode": str(self.status),
            "digest": self.digest,
            "length": str(len(self.body)),
        }


@dataclass
class Hit:
    method: str
    path: str
    status: int


@dataclass
class EmulatedArchive:
    captures: list[Capture] = field(default_factory=list)
    base: str = "https://web.archive.org/"  # where it answers: set by serve() to the loopback URL
    rate_limit: dict[int, int] = field(default_factory=dict)  # request number (1-based) → Retry-After
    requests: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # -- the service ---------------------------------------------------------------------------
    def answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            number = len(self.requests) + 1
            hit = Hit(method, path, 0)
            self.requests.append(hit)
        if number in self.rate_limit:
            hit.status = 429
            return (
                429,
                {"retry-after": str(self.rate_limit[number]), "content-type": "text/html"},
                b"slow down",
            )
        parts = urlsplit(path)
        if parts.path == "/robots.txt":
            status, headers, body = 200, {"content-type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        elif parts.path == "/cdx/search/cdx":
            status, headers, body = self._cdx(parse_qsl(parts.query, keep_blank_values=True))
        elif parts.path.startswith("/web/"):
            status, headers, body = self._web(path[len("/web/") :])
        else:
            status, headers, body = 404, {"content-type": "text/html"}, b"<h1>Not Found</h1>"
        hit.status = status
        return status, headers, body

    def _cdx(self, query: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        params: dict[str, list[str]] = {}
        for k, v in query:
            params.setdefault(k, []).append(v)
        url = params.get("url", [""])[0]
        if not url:
            return 400, {"content-type": "text/plain"}, b"url is required"
        match_type = params.get("matchType", ["exact"])[0]
        if url.endswith("*"):
            url, match_type = url[:-1], "prefix"
        key = surt(url if "://" in url else "http://" + url)
        rows = sorted((c.row() for c in self.captures), key=lambda r: (r["urlkey"], r["timestamp"]))
        if match_type == "prefix":
            rows = [r for r in rows if r["urlkey"].startswith(key.rstrip("/"))]
        else:
            rows = [r for r in rows if r["urlkey"] == key]
        since = params.get("from", [""])[0]
        until = params.get("to", [""])[0]
        if since:
            rows = [r for r in rows if r["timestamp"] >= since.ljust(14, "0")]
        if until:
            rows = [r for r in rows if r["timestamp"] <= until.ljust(14, "9")]
        for f in params.get("filter", []):
            negate = f.startswith("!")
            name, _, pattern = f.lstrip("!").partition(":")
            rx = re.compile(pattern)
            rows = [r for r in rows if bool(rx.fullmatch(r.get(name, ""))) != negate]
        for c in params.get("collapse", []):
            name, _, width = c.partition(":")
            n = int(width) if width else None
            kept, last = [], None
            for r in rows:
                value = r.get(name, "")[:n]
                if value != last:
                    kept.append(r)
                last = value
            rows = kept
        resume = params.get("resumeKey", [""])[0]
        if resume:
            after = tuple(unquote(resume).split(" ", 1))
            rows = [r for r in rows if (r["urlkey"], r["timestamp"]) > after]
        limit = int(params.get("limit", ["10000"])[0])
        fl = params.get("fl", [",".join(FIELDS)])[0].split(",")
        page, more = rows[:limit], len(rows) > limit
        out: list[list[str]] = [fl, *([r[f] for f in fl] for r in page)] if page else []
        if more and params.get("showResumeKey", ["false"])[0] == "true":
            out += [[], [quote(f"{page[-1]['urlkey']} {page[-1]['timestamp']}")]]
        return 200, {"content-type": "application/json"}, json.dumps(out).encode()

    def _web(self, rest: str) -> tuple[int, dict[str, str], bytes]:
        m = re.match(r"^(\d{4,14})(id_)?/(.+)$", rest)
        if m is None:
            return 404, {"content-type": "text/html"}, b"<h1>Not Found</h1>"
        ts, raw, original = m.group(1), bool(m.group(2)), re.sub(r"^(https?):/+", r"\1://", m.group(3))
        same = [c for c in self.captures if c.urlkey == surt(original)]
        if not same:
            return (
                404,
                {"content-type": "text/html"},
                b"<p>Hrm. The Wayback Machine has not archived that URL.</p>",
            )
        exact = [c for c in same if c.timestamp == ts]
        if not exact:
            want = parse_timestamp(ts)
            near = min(same, key=lambda c: abs(parse_timestamp(c.timestamp) - want))
            mod = "id_" if raw else ""
            return 302, {"location": f"{self.base}web/{near.timestamp}{mod}/{near.original}"}, b""
        c = exact[0]
        headers = {
            "content-type": c.mimetype + ("; charset=UTF-8" if c.mimetype.startswith("text/") else ""),
            "memento-datetime": email.utils.format_datetime(parse_timestamp(c.timestamp), usegmt=True),
        }
        if c.location:
            headers["location"] = f"{self.base}web/{c.timestamp}{'id_' if raw else ''}/{c.location}"
        body = c.body
        if not raw and c.mimetype == "text/html":  # the replay page: toolbar, links rewritten
            body = b"<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id=wm-ipp>Wayback</div>" + body
        return c.status, headers, body

    # -- serving -------------------------------------------------------------------------------
    def serve(self) -> EmulatedArchive:
        """Answer on a real loopback HTTP server; `base` becomes its URL."""
        archive = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = archive.answer("GET", self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}/"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> EmulatedArchive:
        return self.serve()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport answering for `base`'s host (the demo: the real archive's URL)."""
        return _Transport(self)

    def count(self, kind: str) -> int:
        """Requests made of one kind: `cdx`, `raw` (id_ captures), `replay`."""

        def kind_of(path: str) -> str:
            if path.startswith("/cdx/"):
                return "cdx"
            if re.match(r"^/web/\d+id_/", path):
                return "raw"
            return "replay" if path.startswith("/web/") else "other"

        return sum(1 for h in self.requests if kind_of(h.path) == kind)


class _Transport(httpx.AsyncBaseTransport):
    def __init__(self, archive: EmulatedArchive) -> None:
        self.archive = archive

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii")
        status, headers, body = self.archive.answer(request.method, path)
        return httpx.Response(status, headers=headers, content=body, request=request)


# -- the reference scenario --------------------------------------------------------------------
REFERENCE_HOST = "aliceperry.wordpress.com"


@dataclass(frozen=True)
class Scenario:
    """The URLs (on the emulated site) that play each part, for tests to name."""

    site: str
    edited: str  # two captures with different texts: two versions
    deleted: str  # a post only the archive holds: deleted before necwatch's first poll
    not_found_capture: str  # also captured as a 404 page
    redirect_from: str  # an old slug captured as a 301 to `not_found_capture`'s post
    soft_error: str  # also captured as a 200 "site suspended" page
    login: str  # also captured as a login wall
    other_page: str  # also captured holding a listing page
    feed_only: str  # a post only a captured feed holds (with_feed)
    posts: tuple[str, ...]  # every post page captured
    # (with_gone) posts whose own later captures say they are gone
    moved_away: str = ""  # last captured as a 301 to the tag listing (another page)
    gone_410: str = ""  # last captured as a 410
    back_after_404: str = ""  # captured as a 404, then as the post again
    moved_nowhere: str = ""  # last captured as a 301 to a page the archive never captured


def _corpus() -> Path:
    return Path(str(resources.files("necwatch") / "demo_data" / "reference-web"))


def _ts(day: str, plus: int = 0) -> str:
    return timestamp_of(parse_timestamp(day.replace("/", "") + "120000") + timedelta(days=plus))


def _earlier(body: bytes) -> bytes:
    """The post as first published: its last paragraph not yet written."""
    flair = body.find(b'<div id="jp-post-flair"')
    cut = body.rfind(b"<p>", 0, flair) if flair > 0 else -1
    return body[:cut] + body[flair:] if cut > 0 else body


# A report composed for the scenario, marked as such in its title, byline and first paragraph like the
# demo's other fixture (no one's real report): the post deleted before necwatch's first poll, which
# only the archive still holds.
_COMPOSED_PATH = "2018/11/27/labour-nec-report-november-2018/"
_COMPOSED_TITLE = "Labour NEC Report – November 2018 (a necwatch demo fixture)"
_COMPOSED_BODY = """<p>[Written for the necwatch demo, not a real report: it stands for a report deleted
before necwatch's first poll, which only the web archive still holds.]</p>
<h3>General Secretary's Report</h3>
<p>The NEC met on 27 November 2018. The General Secretary updated us on staffing, the new membership
system and the preparations for a possible early general election.</p>
<h3>Selections</h3>
<p>The NEC agreed the timetable for selecting parliamentary candidates in the remaining seats. It was
agreed that every shortlist should include at least one woman, and that the selections in the key
seats should be completed first.</p>
<h3>Disputes</h3>
<p>The NEC noted the number of disciplinary cases outstanding and agreed the procedure for the new
disputes panels. I asked for regular reports on how long cases take.</p>
<h3>Local Government</h3>
<p>Councillors continue to face difficult budget decisions. The NEC discussed support for Labour
groups setting budgets and agreed to raise the issue with the Local Government Association.</p>
<p>If you have any questions about this report please get in touch.</p>
"""


# A second composed report that the archive holds only inside a captured feed (its page was never
# captured): read from the feed entry's full content.
FEED_ONLY_PATH = "2018/07/24/labour-nec-report-july-2018/"
_FEED_ITEM = """<item>
		<title>Labour NEC Report – July 2018 (a necwatch demo fixture)</title>
		<link>{base}2018/07/24/labour-nec-report-july-2018/</link>
		<dc:creator><![CDATA[Alex Fixture]]></dc:creator>
		<pubDate>Tue, 24 Jul 2018 20:00:00 +0000</pubDate>
		<category><![CDATA[Labour NEC]]></category>
		<guid isPermaLink="false">{base}?p=3900</guid>
		<description><![CDATA[The NEC met on 24 July 2018 [&#8230;]]]></description>
		<content:encoded><![CDATA[<p>[Written for the necwatch demo, not a real report: only a
captured feed still holds it.]</p>
<h3>Rule Changes</h3>
<p>The NEC met on 24 July 2018 and discussed the rule changes to be put to Conference. It was agreed
that the consultation responses would be published to members before the September meeting.</p>
<h3>Selections</h3>
<p>The NEC agreed the procedures for selecting candidates for the next local elections, and asked
for a report on the diversity of candidates at the next meeting.</p>
<p>If you have any questions about this report please get in touch.</p>]]></content:encoded>
	</item>
"""


def _composed_feed(feed: bytes, base: str) -> bytes:
    """The blog's tag feed as captured in 2018: its channel, with the one composed item."""
    text = feed.decode("utf-8")
    head = text[: text.index("<item>")]
    return (head + _FEED_ITEM.format(base=base) + "</channel>\n</rss>\n").encode("utf-8")


def _composed(page: bytes, path: str, title: str) -> bytes:
    """The composed report, in the template of the post at `path` (title, date, URL and body replaced)."""
    text = page.decode("utf-8")
    start = text.index('<div class="entry-content">') + len('<div class="entry-content">')
    end = text.index('<div id="jp-post-flair"')
    text = text[:start] + _COMPOSED_BODY + text[end:]
    for old, new in (
        (path, _COMPOSED_PATH),
        (title, _COMPOSED_TITLE),
        (title.replace(" 2019", "&nbsp;2019"), _COMPOSED_TITLE.replace(" 2018", "&nbsp;2018")),
        ("2019-01-30T", "2018-11-27T"),
        ("January 30, 2019", "November 27, 2018"),
        ("post-4076", "post-3990"),
        ("postid-4076", "postid-3990"),
        ("Alice Perry", "Alex Fixture"),
    ):
        text = text.replace(old, new)
    return text.encode("utf-8")


def reference_captures(
    site: str | None = None,
    *,
    with_feed: bool = True,
    with_comments: bool = False,
    with_listing: bool = False,
    with_gone: bool = False,
    with_page_comments: bool = False,
) -> tuple[list[Capture], Scenario]:
    """Captures of the reference web's WordPress blog, under `site` (a base URL: the real host by
    default, a loopback base in tests, or a host that no longer resolves), at several times:

    * every post two days after its date, and again 400 days later, byte for byte (same digest);
    * `deleted`, a report composed for the scenario that the live web does not have (gone before
      necwatch's first poll), captured twice;
    * `edited` first captured without its last paragraph, the full text 30 days later;
    * `not_found_capture` captured later as a 404; `redirect_from` (an older slug) as a 301 to it;
    * `soft_error` later as a 200 "this site has been archived or suspended" page, `login` as a
      WordPress log-in wall, `other_page` holding a listing page instead of the post;
    * a tag archive (a listing, never a post page);
    * (`with_feed`) the tag feed captured in 2018 holding a second composed report, `feed_only`,
      whose page the archive never captured;
    * (`with_comments`) comment feeds composed for the scenario: `edited`'s own (`…/feed/`) captured
      with one comment, then with a second; the site's (`/comments/feed/`) with a comment on
      `deleted` and one on a page that is no post;
    * (`with_listing`) a label page captured in 2018 (`LISTED_PATH`) showing a third composed report
      whole (`LISTING_ONLY_PATH`, its page never captured) and another as an excerpt;
    * (`with_gone`) posts the archive saw go: `moved_away` last captured as a 301 to the tag listing,
      `gone_410` as a 410, `back_after_404` as a 404 between its two captures as the post,
      `moved_nowhere` as a 301 to a URL the archive never captured;
    * (`with_page_comments`) `deleted` captured three more times printing its comments (WordPress's
      comment list, composed for the scenario): in 2019-09 comment 201 (the text the site's comment
      feed holds), a month later 201 and a reply 202, a month after that 202 edited.
    """
    real = f"https://{REFERENCE_HOST}/"
    base = site or real
    corpus = _corpus()
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))

    def move(data: bytes) -> bytes:
        return data.replace(real.rstrip("/").encode(), base.rstrip("/").encode())

    def url(u: str) -> str:
        return base + u[len(real) :] if u.startswith(real) else u

    pages: dict[str, bytes] = {}
    for item in manifest:
        u = item["url"]
        html = "html" in item["headers"].get("content-type", "")
        if u.startswith(real) and item["status"] == 200 and html and "?" not in u:
            pages[u] = move((corpus / item["file"]).read_bytes())
    posts = sorted(u for u in pages if re.search(r"/\d{4}/\d{2}/\d{2}/[^/]+/$", u))
    captures: list[Capture] = []
    for u in posts:
        day = re.search(r"/(\d{4}/\d{2}/\d{2})/", u).group(1)  # type: ignore[union-attr]
        captures.append(Capture(_ts(day, 2), url(u), body=pages[u]))
        captures.append(Capture(_ts(day, 402), url(u), body=pages[u]))
    by_slug = {re.search(r"/([^/]+)/$", u).group(1): u for u in posts}  # type: ignore[union-attr]
    edited = by_slug["labour-nec-report-january-2019"]
    deleted = base + _COMPOSED_PATH  # never on the live web: deleted before the first poll
    composed = _composed(
        pages[edited], "2019/01/30/labour-nec-report-january-2019/", "Labour NEC Report – January 2019"
    )
    captures.append(Capture(_ts("2018/11/27", 1), deleted, body=composed))
    captures.append(Capture(_ts("2018/11/27", 200), deleted, body=composed))
    not_found = by_slug["labour-nec-report-march-2019"]
    soft = by_slug["labour-nec-report-july-2017"]
    login = by_slug["labour-nec-report-17-september"]
    other = by_slug["what-is-labours-clause-v-meeting-and-how-does-it-work"]
    # the edit: the first capture holds the earlier text, the full one comes 30 days later
    captures = [
        c for c in captures if not (c.original == url(edited) and c.timestamp == _ts("2019/01/30", 2))
    ]
    captures.append(Capture(_ts("2019/01/30", 2), url(edited), body=_earlier(pages[edited])))
    captures.append(Capture(_ts("2019/01/30", 32), url(edited), body=pages[edited]))
    captures.append(
        Capture(_ts("2019/03/27", 800), url(not_found), status=404, body=b"<html><h1>Not Found</h1></html>")
    )
    old_slug = url(not_found).replace("labour-nec-report-march-2019", "nec-report-march-2019")
    captures.append(Capture(_ts("2019/03/27", 1), old_slug, status=301, location=url(not_found)))
    suspended = (
        b"<html><head><title>Site archived or suspended</title></head><body><h1>This site has been"
        b" archived or suspended.</h1></body></html>"
    )
    captures.append(Capture(_ts("2017/07/20", 900), url(soft), body=suspended))
    wall = (
        b"<html><head><title>Log In &lsaquo; Alice Perry &#8212; WordPress</title></head><body class="
        b'"login"><form name="loginform" id="loginform" action="' + base.encode() + b'wp-login.php"'
        b' method="post"><input type="text" name="log"><input type="password" name="pwd"></form>'
        b"</body></html>"
    )
    captures.append(Capture(_ts("2019/09/19", 1000), url(login), body=wall))
    feed = f"{real}tag/general-election/feed/"
    feed_file = next(item["file"] for item in manifest if item["url"] == feed)
    feed_body = _composed_feed(move((corpus / feed_file).read_bytes()), base)
    if with_feed:
        captures.append(
            Capture(_ts("2018/07/24", 3), url(feed), body=feed_body, mimetype="application/rss+xml")
        )
    if with_comments:
        captures += _comment_captures(url(edited), deleted, base)
    if with_listing:
        captures.append(Capture(_ts("2018/04/30", 2), base + LISTED_PATH, body=_composed_listing(base)))
    if with_page_comments:
        for plus, shown in ((300, PAGE_COMMENTS[:1]), (330, PAGE_COMMENTS[:2]), (360, PAGE_COMMENTS[::2])):
            body = _with_wp_comments(composed, deleted, shown)
            captures.append(Capture(_ts("2018/11/27", plus), deleted, body=body))
    tag = f"{real}tag/general-election/"
    gone = {
        "moved_away": by_slug["nec-away-day-report-january-2020"],
        "gone_410": by_slug["labour-nec-sub-committees-report-july-2017"],
        "back_after_404": by_slug["labour-nec-report-14-january-2020"],
        "moved_nowhere": by_slug["nec-report-clause-5-manifesto-meeting"],
    }
    if with_gone:
        not_there = b"<html><head><title>Page not found</title></head><body><h1>Not Found</h1></body></html>"
        day = "2020/01/30"
        captures.append(Capture(_ts(day, 700), url(gone["moved_away"]), status=301, location=url(tag)))
        captures.append(Capture(_ts("2017/07/06", 700), url(gone["gone_410"]), status=410, body=not_there))
        back = gone["back_after_404"]
        captures.append(Capture(_ts("2020/01/16", 100), url(back), status=404, body=not_there))
        nowhere = url(gone["moved_nowhere"])
        captures.append(
            Capture(_ts("2017/05/12", 700), nowhere, status=301, location=base + "moved/elsewhere/")
        )
    listing = pages.get(real) or pages[tag]  # the blog has no home page in the reference web
    captures.append(Capture(_ts("2019/10/31", 1100), url(other), body=listing))
    captures.append(Capture(_ts("2020/10/01"), url(tag), body=pages[tag]))
    if real in pages:
        captures.append(Capture(_ts("2020/10/01"), base, body=pages[real]))
    scenario = Scenario(
        site=base,
        edited=url(edited),
        deleted=deleted,
        not_found_capture=url(not_found),
        redirect_from=old_slug,
        soft_error=url(soft),
        login=url(login),
        other_page=url(other),
        feed_only=base + FEED_ONLY_PATH,
        posts=(*(url(u) for u in posts), deleted),
        **({k: url(v) for k, v in gone.items()} if with_gone else {}),
    )
    return sorted(captures, key=lambda c: (c.urlkey, c.timestamp)), scenario


# A label page as captured in 2018, composed for the scenario: one report shown whole (its page was
# never captured), one as an excerpt (never a report's body).
LISTED_PATH = "category/nec-reports/"
LISTING_ONLY_PATH = "2018/04/30/labour-nec-report-april-2018/"
EXCERPT_ONLY_PATH = "2018/03/20/labour-nec-report-march-2018/"


def _composed_listing(base: str) -> bytes:
    whole, excerpt = base + LISTING_ONLY_PATH, base + EXCERPT_ONLY_PATH
    return f"""<!doctype html><html><head><title>NEC reports | Alex Fixture</title></head><body>
<header><nav><a href="{base}">Home</a></nav></header><main id="main">
<article id="post-3801" class="post-3801 post type-post hentry">
<header class="entry-header"><h2 class="entry-title"><a href="{whole}" rel="bookmark">Labour NEC Report
– April 2018 (a necwatch demo fixture)</a></h2>
<div class="entry-meta"><time class="entry-date published" datetime="2018-04-30T19:00:00+00:00">April 30,
2018</time> <span class="author vcard">Alex Fixture</span></div></header>
<div class="entry-content"><p>[Written for the necwatch demo, not a real report: only a captured
label page still shows it.]</p>
<h3>Organisation Committee</h3>
<p>The NEC met on 30 April 2018. The Organisation Committee reported on the membership figures and
the timetable for the local government selections, which was agreed.</p>
<h3>Disputes</h3>
<p>The Disputes Panel reported on the cases heard since the last meeting, and the NEC agreed to
publish the figures of cases heard and closed to members every quarter.</p>
<p>If you have any questions about this report please get in touch.</p></div>
</article>
<article id="post-3790" class="post-3790 post type-post hentry">
<header class="entry-header"><h2 class="entry-title"><a href="{excerpt}" rel="bookmark">Labour NEC Report
– March 2018 (a necwatch demo fixture)</a></h2></header>
<div class="entry-summary"><p>The NEC met on 20 March 2018 and discussed the General Secretary's
report, the budget and the timetable for the selections of the next year […]</p>
<a class="more-link" href="{excerpt}">Continue reading</a></div>
</article></main>
<footer><p>Alex Fixture, a necwatch demo fixture</p></footer></body></html>""".encode()


def _comment_item(post: str, cid: int, author: str, text: str, when: str) -> str:
    return (
        f"<item><title>By: {author}</title><link>{post}#comment-{cid}</link>"
        f"<dc:creator>{author}</dc:creator><pubDate>{when}</pubDate>"
        f'<guid isPermaLink="false">{post}#comment-{cid}</guid>'
        f"<description>{text}</description><content:encoded><![CDATA[<p>{text}</p>]]></content:encoded></item>"
    )


def _comment_rss(feed: str, items: Sequence[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Comments</title><link>{feed}</link><description>Comments</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _comment_captures(edited: str, deleted: str, base: str) -> list[Capture]:
    """Comment feeds composed for the scenario (no one's real comments)."""
    first = _comment_item(
        edited, 101, "Sam Reader", "Thanks for the report [a comment composed for the scenario].",
        "Fri, 01 Feb 2019 09:00:00 +0000",
    )  # fmt: skip
    second = _comment_item(
        edited, 102, "Jo Member", "Will the minutes be published? [composed for the scenario]",
        "Sat, 02 Mar 2019 10:00:00 +0000",
    )  # fmt: skip
    gone = _comment_item(
        deleted, 201, "Pat Voter", "A comment on the deleted report [composed for the scenario].",
        "Sat, 01 Dec 2018 08:00:00 +0000",
    )  # fmt: skip
    page = _comment_item(
        base + "about/", 301, "Lee", "A comment on a page [composed for the scenario].",
        "Sat, 01 Dec 2018 08:00:00 +0000",
    )  # fmt: skip
    own, site = edited + "feed/", base + "comments/feed/"
    rss = "application/rss+xml"
    return [
        Capture(_ts("2019/01/30", 3), own, body=_comment_rss(own, [first]), mimetype=rss),
        Capture(_ts("2019/01/30", 33), own, body=_comment_rss(own, [second, first]), mimetype=rss),
        Capture(_ts("2018/11/27", 5), site, body=_comment_rss(site, [gone, page]), mimetype=rss),
    ]


# Comments composed for the scenario (no one's real comments): (id, parent, author, ISO time, text);
# the third is the second edited.
PAGE_COMMENTS = (
    ("201", None, "Pat Voter", "2018-12-01T08:00:00+00:00",
     "A comment on the deleted report [composed for the scenario]."),
    ("202", "201", "Alex Fixture", "2019-09-30T18:00:00+00:00",
     "The minutes will follow [a reply composed for the scenario]."),
    ("202", "201", "Alex Fixture", "2019-09-30T18:00:00+00:00",
     "The minutes will follow next week [a reply composed for the scenario, edited]."),
)  # fmt: skip


def _wp_comment(post: str, cid: str, author: str, when: str, text: str, replies: str = "") -> str:
    children = f'<ol class="children">{replies}</ol>' if replies else ""
    return (
        f'<li class="comment" id="li-comment-{cid}"><article id="comment-{cid}" class="comment">'
        f'<footer class="comment-meta"><cite class="fn">{author}</cite> <a href="{post}#comment-{cid}">'
        f'<time datetime="{when}">{when[:10]}</time></a></footer>'
        f'<div class="comment-content"><p>{text}</p></div></article>{children}</li>'
    )


Shown = Sequence[tuple[str, str | None, str, str, str]]  # (id, parent id, author, time, text)


def _with_wp_comments(page: bytes, post: str, shown: Shown) -> bytes:
    """A WordPress post page printing `shown` in its comment list (replies nested under their parent)."""
    replies = {
        parent: "".join(_wp_comment(post, c, a, w, t) for c, p, a, w, t in shown if p == parent)
        for _c, parent, *_rest in shown
        if parent
    }
    items = "".join(_wp_comment(post, c, a, w, t, replies.get(c, "")) for c, p, a, w, t in shown if p is None)
    area = '<div id="comments" class="comments-area">'
    text = page.decode("utf-8").replace(area, f'{area}<ol class="commentlist">{items}</ol>', 1)
    return text.encode("utf-8")


# A Blogger blog composed for the captured comments' tests (no one's real blog): one NEC report, its
# page captured three times with its comment thread (Blogger's threaded list) as it grew.
BLOGGER_POST_PATH = "2011/11/nec-report-november-2011.html"
_BLOGGER_BODY = """<p>[Written for necwatch's tests, not a real report.]</p>
<p>The NEC met on 22 November 2011. The General Secretary reported on the membership figures and the
preparations for the local elections in May.</p>
<p>The Organisation Committee agreed the timetable for the selections in the London boroughs, and the
NEC agreed the procedures for the appeals of members whose applications were rejected.</p>
<p>If you have any questions about this report please get in touch.</p>"""
BLOGGER_COMMENTS = (
    ("7001", None, "A Reader", "1322236800000", "Thanks for the report [a comment composed for the tests]."),
    ("7002", "7001", "Old Member", "1322323200000", "Yes, it was agreed [a reply composed for the tests]."),
)  # fmt: skip


def _blogger_comment(post: str, cid: str, author: str, millis: str, text: str, replies: str = "") -> str:
    thread = (
        '<div class="comment-replies"><div class="comment-thread inline-thread">'
        f"<ol>{replies}</ol></div></div>"
        if replies
        else ""
    )
    return (
        f'<li class="comment" id="c{cid}"><div class="comment-block"><div class="comment-header">'
        f'<cite class="user">{author}</cite> <span class="datetime secondary-text">'
        f'<a rel="nofollow" href="{post}?showComment={millis}#c{cid}">a time</a></span></div>'
        f'<p class="comment-content">{text}</p></div>{thread}</li>'
    )


def blogger_post_page(post: str, shown: Shown) -> bytes:
    """The composed Blogger post page at `post`, printing `shown` in its threaded comment list."""
    replies = "".join(_blogger_comment(post, c, a, m, t) for c, p, a, m, t in shown if p)
    items = "".join(
        _blogger_comment(post, c, a, m, t, replies if any(x[1] == c for x in shown) else "")
        for c, p, a, m, t in shown
        if p is None
    )
    return f"""<!DOCTYPE html><html><head><meta name="generator" content="Blogger">
<title>Old Member's blog: NEC report, November 2011</title><link rel="canonical" href="{post}"></head>
<body><div id="main"><div class="post-outer"><div class="post hentry">
<h3 class="post-title entry-title">NEC report, November 2011</h3>
<div class="post-body entry-content" id="post-body-4411">{_BLOGGER_BODY}</div>
<div class="post-footer"><span class="post-author vcard">Posted by <span class="fn">Old Member</span></span>
<a class="timestamp-link" href="{post}" rel="bookmark">
<abbr class="published" title="2011-11-22T21:00:00Z">21:00</abbr></a>
</div></div></div>
<div class="comments" id="comments"><h4>{len(shown)} comments:</h4><div class="comments-content">
<div class="comment-thread"><ol>{items}</ol></div></div></div>
</div></body></html>""".encode()


def blogger_captures(site: str) -> tuple[list[Capture], str]:
    """The composed Blogger post under `site` (a base URL), captured before any comment, with the
    first comment, then with its reply; and the post's URL."""
    post = site + BLOGGER_POST_PATH
    return [
        Capture(_ts("2011/11/22", 1), post, body=blogger_post_page(post, ())),
        Capture(_ts("2011/11/22", 5), post, body=blogger_post_page(post, BLOGGER_COMMENTS[:1])),
        Capture(_ts("2011/11/22", 40), post, body=blogger_post_page(post, BLOGGER_COMMENTS)),
    ], post


def captures_of(items: Iterable[tuple[str, str, bytes]]) -> list[Capture]:
    """(timestamp, original, body) → 200 HTML captures (the bench's synthetic sites)."""
    return [Capture(ts, original, body=body) for ts, original, body in items]
