"""A misbehaving HTTP/1.1 server on 127.0.0.1 for socket-level faults (RELIABILITY.md L2).

Like Scrapy's mockserver: each path has a handler that writes whatever bytes it likes — a clean response,
a reset mid-body, a wrong Content-Length, a drip, a hang. Every request is logged with its start and end
time (the server's clock), so tests count attempts and measure spacing from the server's side.
Connections are closed after each response, which keeps the raw handlers simple.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Hit:
    path: str  # path + query
    headers: dict[str, str]
    start: float  # time.monotonic() when the request line arrived
    end: float = 0.0  # when the handler finished


@dataclass
class Conn:
    """One request: what was asked, and the socket to answer on."""

    sock: socket.socket
    path: str
    headers: dict[str, str]
    server: FaultServer

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        hdrs = {
            "content-type": "text/html; charset=utf-8",
            "content-length": str(len(body)),
            **(headers or {}),
        }
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        self.send(head.encode("latin-1") + b"connection: close\r\n\r\n" + body)

    def head(self, status: int, headers: dict[str, str]) -> None:
        """Only the status line and headers; the handler writes the body its own way."""
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.send(head.encode("latin-1") + b"connection: close\r\n\r\n")

    def reset(self) -> None:
        """Close with RST instead of FIN (SO_LINGER 0)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def wait(self, seconds: float) -> None:
        """Sleep, but return early when the server is stopping (so hung handlers never outlive a test)."""
        self.server.stopping.wait(seconds)


Handler = Callable[[Conn], None]


@dataclass
class FaultServer:
    """Routes path (without query) → handler. Unknown paths get a 404. Use as a context manager."""

    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: socketserver.ThreadingTCPServer | None = None

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes[path] = fn
            return fn

        return deco

    def start(self) -> FaultServer:
        outer = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._handle(self.request)

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = _Server(("127.0.0.1", 0), _Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True, name="faultserver"
        ).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for h in self.hits if path is None or h.path.split("?")[0] == path)

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path.split("?")[0] == path]

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        start = time.monotonic()
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        _method, path, _version = head[0].split(" ", 2)
        headers = {}
        for line in head[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        hit = Hit(path, headers, start)
        with self._lock:
            self.hits.append(hit)
        handler = self.routes.get(path.split("?")[0], _not_found)
        try:
            handler(Conn(sock, path, headers, self))
        except OSError:
            pass  # the client gave up (timeouts, deadline): expected in fault tests
        finally:
            hit.end = time.monotonic()
            with contextlib.suppress(OSError):
                sock.close()


def _not_found(conn: Conn) -> None:
    conn.respond(404, b"<h1>Not Found</h1>")


def ok(body: bytes = b"<html><body>ok</body></html>", **headers: str) -> Handler:
    """A handler that always answers 200 with `body`."""
    return lambda conn: conn.respond(200, body, {k.replace("_", "-"): v for k, v in headers.items()})


def sequence(*handlers: Handler) -> Handler:
    """Answer the n-th request with the n-th handler (the last one repeats)."""
    state = {"n": 0}
    lock = threading.Lock()

    def handle(conn: Conn) -> None:
        with lock:
            i = min(state["n"], len(handlers) - 1)
            state["n"] += 1
        handlers[i](conn)

    return handle


def status(code: int, body: bytes = b"", **headers: str) -> Handler:
    return lambda conn: conn.respond(code, body, {k.replace("_", "-"): v for k, v in headers.items()})
