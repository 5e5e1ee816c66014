"""Serve a recorded web (manifest.json + files) from real local HTTP servers, one port per host, or
through an httpx transport under the sites' real URLs (`ReplayTransport`, what `necwatch demo` uses).

The tests use the servers, so the real network code (timeouts, conditional requests, retries) is
exercised. Bodies keep the sites' real absolute URLs; they are rewritten to the local bases,
including the JSON-escaped form (`https:\\/\\/host`) that Blogger JSON and WordPress REST emit.

Tests change the web over time with `set()` / `delete()` (new posts, edits, 404s, 503s) and read
`requests` to count what necwatch asked for.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import httpx


def bundled_corpus() -> Path:
    """The reference web shipped inside the package (used by `necwatch demo` and the tests)."""
    return Path(str(resources.files("necwatch") / "demo_data" / "reference-web"))


@dataclass
class Entry:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Request:
    host: str  # the real host this request was for
    method: str
    path: str  # path + query as requested
    headers: dict[str, str]
    status: int = 0


@dataclass
class ReplayWeb:
    """A set of loopback servers replaying a corpus. Use as a context manager."""

    root: Path = field(default_factory=bundled_corpus)
    entries: dict[str, Entry] = field(default_factory=dict)  # real URL → response
    requests: list[Request] = field(default_factory=list)
    _servers: dict[str, ThreadingHTTPServer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        for item in manifest:
            body = b"" if item["status"] in (301, 302, 304) else (self.root / item["file"]).read_bytes()
            headers = {k.lower(): v for k, v in item["headers"].items()}
            self.entries[item["url"]] = Entry(item["status"], headers, body)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> ReplayWeb:
        for host in sorted({urlsplit(u).netloc for u in self.entries}):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self, host))
            server.daemon_threads = True
            self._servers[host] = server
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.02},
                daemon=True,
                name=f"replay-{host}",
            ).start()
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> ReplayWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def hosts(self) -> list[str]:
        return sorted(self._servers)

    def base(self, host: str) -> str:
        """http://127.0.0.1:PORT/ serving `host`."""
        port = self._servers[host].server_address[1]
        return f"http://127.0.0.1:{port}/"

    def local(self, real_url: str) -> str:
        """A real https://host/... URL → the local URL serving it."""
        parts = urlsplit(real_url)
        rest = real_url.split(parts.netloc, 1)[1]
        return self.base(parts.netloc).rstrip("/") + rest

    def real(self, local_url: str) -> str:
        """A local URL → the real URL it stands for."""
        for host in self._servers:
            base = self.base(host).rstrip("/")
            if local_url.startswith(base):
                return f"https://{host}" + local_url[len(base) :]
        return local_url

    def unrewrite(self, text: str) -> str:
        """Undo rewrite() in extracted text (local bases back to https://host), for comparing with
        facts recorded against the real sites."""
        for host in self._servers:
            text = text.replace(self.base(host).rstrip("/"), f"https://{host}")
        return text

    def rewrite(self, data: bytes) -> bytes:
        for host in self._servers:
            base = self.base(host).rstrip("/").encode()
            escaped = base.replace(b"/", b"\\/")
            for scheme in (b"https://", b"http://"):
                data = data.replace(scheme + host.encode(), base)
                data = data.replace(scheme.replace(b"/", b"\\/") + host.encode(), escaped)
        return data

    # -- changing the web over time ----------------------------------------------------------
    def set(
        self,
        real_url: str,
        body: bytes | str | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add or replace a response. A new body gets a new ETag and Last-Modified (now)."""
        with self._lock:
            old = self.entries.get(real_url)
            new_headers = dict(old.headers) if old else {}
            if body is None:
                data = old.body if old else b""
            else:
                data = body.encode() if isinstance(body, str) else body
            if content_type:
                new_headers["content-type"] = content_type
            new_headers.setdefault("content-type", "text/html; charset=UTF-8")
            if status == 200 and (old is None or data != old.body):
                new_headers["etag"] = 'W/"' + hashlib.sha256(data).hexdigest()[:32] + '"'
                new_headers["last-modified"] = email.utils.formatdate(usegmt=True)
            if status != 200:
                new_headers.pop("etag", None)
                new_headers.pop("last-modified", None)
            new_headers.update({k.lower(): v for k, v in (headers or {}).items()})
            self.entries[real_url] = Entry(status, new_headers, data)

    def delete(self, real_url: str, status: int = 404) -> None:
        """Make a URL answer `status` (404 or 410) with a small error page."""
        self.set(real_url, f"<html><body><h1>{status}</h1></body></html>", status=status)

    def body(self, real_url: str) -> bytes:
        return self.entries[real_url].body

    def count(self, host: str | None = None, path: str | None = None) -> int:
        return sum(
            1 for r in self.requests if (host is None or r.host == host) and (path is None or r.path == path)
        )

    def answer(
        self, host: str, method: str, path: str, headers: dict[str, str], *, rewrite: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """The response to one request for https://host/path (recorded in `requests`): 404 when the
        corpus has no such URL, 304 when the conditional headers match. With `rewrite`, real URLs
        in text bodies and in Location/Link headers point at the local servers."""
        record = Request(host, method, path, headers)
        with self._lock:
            self.requests.append(record)
            entry = self.entries.get(f"https://{host}{path}")
        if entry is None:
            entry = Entry(404, {"content-type": "text/html; charset=UTF-8"}, b"<h1>Not Found</h1>")
        status, out_headers, body = entry.status, dict(entry.headers), entry.body
        if status == 200 and _not_modified(entry, headers):
            status, body = 304, b""
        if rewrite:
            if out_headers.get("content-type", "").split(";")[0].strip() in _TEXT_TYPES:
                body = self.rewrite(body)
            for name in ("location", "link"):
                if name in out_headers:
                    out_headers[name] = self.rewrite(out_headers[name].encode()).decode()
        record.status = status
        return status, out_headers, body

    @contextmanager
    def recording(self) -> Iterator[list[Request]]:
        """Collect only the requests made inside the block."""
        start = len(self.requests)
        mark: list[Request] = []
        yield mark
        mark.extend(self.requests[start:])


def _not_modified(entry: Entry, headers: dict[str, str]) -> bool:
    etag = entry.headers.get("etag")
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return etag is not None and (etag in tags or "*" in tags)
    ims = headers.get("if-modified-since")
    lm = entry.headers.get("last-modified")
    if ims and lm:
        try:
            return email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def _handler_for(web: ReplayWeb, host: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, body = web.answer(host, self.command, self.path, headers, rewrite=True)
            self.send_response(status)
            for k, v in out_headers.items():
                if k not in ("content-length", "transfer-encoding", "content-encoding"):
                    self.send_header(k, v)
            if status != 304:
                self.send_header("content-length", str(len(body)))
            self.end_headers()
            if not head and status != 304:
                self.wfile.write(body)

    return Handler


_FRAMING = ("content-length", "transfer-encoding", "content-encoding")  # httpx sets its own
_TEXT_TYPES = {
    "text/html",
    "text/plain",
    "text/xml",
    "application/xml",
    "application/json",
    "application/atom+xml",
    "application/rss+xml",
}


class ReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers https://host/… from a ReplayWeb's corpus, under the real URLs.

    `necwatch demo` polls through it, so the database holds the sites' real links and the same ids
    on every run, while everything above the transport (allow-list, robots.txt, per-host limits,
    conditional requests, redirects, body caps) runs exactly as on the live sites. No socket is opened.
    """

    def __init__(self, web: ReplayWeb) -> None:
        self.web = web

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        path = request.url.raw_path.decode("ascii")
        status, out, body = self.web.answer(request.url.host, request.method, path, headers)
        out = {
            k: v
            for k, v in out.items()
            if k not in ("content-length", "transfer-encoding", "content-encoding")
        }
        if request.method == "HEAD" or status == 304:
            body = b""
        return httpx.Response(status, headers=out, content=body, request=request)
