"""The proof of a page's cost: extraction tried in a worker process a deadline can stop.

A run's deadline is an `asyncio.timeout` (pipeline `_Run.poll_all`): it can stop a source only where
the source awaits, never inside a parse, a text walk or a sanitize, which are C calls on the event
loop. So a page is never extracted in-process unless its cost is known to be small:

* `limits.estimate` reads the tags (linear, in-process) and refuses a page over any limit at once;
* a page under every limit but not clearly small (`Cost.trusted`) is first extracted here, in a
  persistent worker process (forked once, reused for every page) with a time budget (PAGE_SECONDS,
  cut to what is left of the run's deadline) and a memory cap (RLIMIT_AS, MEMORY above what the
  worker started with). Over either, the worker is killed (and forked again for the next page) and
  the page is a `too_complex` failure naming the reason; the other pages and sources go on.
  When it finishes, the page is extracted in-process knowing what it costs.

Only the verdict comes back (the worker's trees are not picklable, and adapters, monkeypatched in
tests or not, run unchanged in-process). Verdicts are kept by content digest, so the page, its body
fragment's text walk and its sanitizing ask once. Where no worker can start (no fork, a sandbox),
the estimate alone decides, as it did before the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from multiprocessing.connection import Connection
from typing import Any

from necwatch.extract import limits

__all__ = ["MEMORY", "PAGE_SECONDS", "deadline", "prove", "shutdown", "verdict"]

log = logging.getLogger("necwatch.extract.worker")

PAGE_SECONDS = 10.0  # one page's parse + text walk + sanitize; real pages take milliseconds
MEMORY = 1024 * 1024 * 1024  # address space the worker may add to what it had when it started
_VERDICTS = 256

# When the current run must end (time.monotonic()); set by pipeline for the run's tasks.
_DEADLINE: ContextVar[float | None] = ContextVar("necwatch_run_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Trials started within (and in tasks created within) end by `seconds` from now at the latest."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def verdict(data: bytes) -> str | None:
    """Why extracting `data` (an HTML document or fragment, not `limits.small`) would cost too much,
    or None: the estimate's verdict, and for a document it cannot clear, the worker's (the event loop
    waits: a page fetched through a Fetcher was proved, without blocking it, by `prove`)."""
    key, reason, untried = _settle(data)
    if not untried:
        return reason
    seconds = _budget()
    if seconds <= 0:
        return "not started: the run's deadline has passed"  # not kept: no verdict on the page
    return _remember(key, _WORKER.locked_run(data, seconds))


async def prove(text: str) -> None:
    """Settle a fetched page's verdict ahead of its extraction, the worker awaited in a thread so
    the run's other sources go on meanwhile; `verdict` then finds it kept."""
    if limits.IN_WORKER or limits.small(text):
        return
    data = text.encode("utf-8", "surrogatepass")
    key, _, untried = _settle(data)
    seconds = _budget()
    if not untried or seconds <= 0:
        return
    proving = _proving.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with proving:  # one worker: pages wait their turn here, not in threads
        seconds = _budget()
        if key not in _verdicts and seconds > 0:
            loop = asyncio.get_running_loop()
            _remember(key, await loop.run_in_executor(None, _WORKER.locked_run, data, seconds))


def _settle(data: bytes) -> tuple[bytes, str | None, bool]:
    """(digest, the verdict so far, whether it still needs the worker)."""
    key = hashlib.blake2b(data, digest_size=16).digest()
    if key in _verdicts:
        _verdicts.move_to_end(key)
        return key, _verdicts[key], False
    cost = limits.estimate(data)
    reason = cost.over_limit()
    if reason is not None or cost.trusted():
        _remember(key, reason)
        return key, reason, False
    return key, None, True


def _budget() -> float:
    """Seconds one trial may take now: PAGE_SECONDS, cut to what is left of the run's deadline."""
    ends = _DEADLINE.get()
    return PAGE_SECONDS if ends is None else min(PAGE_SECONDS, ends - time.monotonic())


def _remember(key: bytes, reason: str | None) -> str | None:
    if reason is _UNAVAILABLE:  # no worker: the estimate alone decided
        return None
    _verdicts[key] = reason
    while len(_verdicts) > _VERDICTS:
        _verdicts.popitem(last=False)
    return reason


def shutdown() -> None:
    """Stop the worker (it is started again when needed)."""
    _WORKER.stop()


_verdicts: OrderedDict[bytes, str | None] = OrderedDict()
_UNAVAILABLE = "unavailable"
_proving: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


class _Worker:
    """One worker process and its pipe; killed and forked again after an overrun."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.conn: Connection | None = None
        self.pid = 0  # the process that forked it: a forked child of ours starts its own
        self.failed = False
        self.lock = threading.Lock()  # the loop's thread (verdict) and an executor's (prove) share it

    def locked_run(self, data: bytes, seconds: float) -> str | None:
        started = time.monotonic()
        with self.lock:
            return self.run(data, seconds - (time.monotonic() - started))

    def _start(self) -> bool:
        if self.failed:
            return False
        method = "fork" if sys.platform == "linux" else "spawn"
        try:
            ctx: Any = multiprocessing.get_context(method)
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, MEMORY), name="necwatch-extract", daemon=True)
            proc.start()
            theirs.close()
        except Exception as e:  # no fork/spawn here (a sandbox, an embedded interpreter)
            log.warning("no extraction worker (%s): the cost estimate alone bounds each page", e)
            self.failed = True
            return False
        self.proc, self.conn, self.pid = proc, ours, os.getpid()
        return True

    def run(self, data: bytes, seconds: float) -> str | None:
        if (self.proc is None or self.pid != os.getpid() or not self.proc.is_alive()) and not self._start():
            return _UNAVAILABLE
        assert self.conn is not None
        started = time.monotonic()
        try:
            self.conn.send_bytes(data)
            if self.conn.poll(max(0.0, seconds)):
                reply = self.conn.recv()
                return None if reply is None else str(reply)
        except (EOFError, OSError):  # it died: the memory cap, or a crash in the parser
            self.stop()
            return "its extraction ran out of memory (the worker died)"
        self.stop()
        return f"its extraction took longer than {max(0.0, time.monotonic() - started):.1f} s"

    def stop(self) -> None:
        proc, conn = self.proc, self.conn
        self.proc = self.conn = None
        if conn is not None:
            conn.close()
        if proc is not None and self.pid == os.getpid():
            proc.kill()
            proc.join(5)


_WORKER = _Worker()


def _serve(conn: Connection, memory: int) -> None:  # pragma: no cover - runs in the worker process
    limits.IN_WORKER = True  # the work here is what is measured: no estimate, no worker of the worker
    _cap_memory(memory)
    from necwatch.extract.sanitize import clean_html
    from necwatch.extract.text import html_to_text

    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            text = data.decode("utf-8", "replace")
            html_to_text(text)  # parse + text walk (lexbor)
            clean_html(text)  # sanitize (html5ever)
            reply: str | None = None
        except MemoryError:
            conn.send("its extraction ran out of memory")
            return  # a fresh worker for the next page
        except Exception as e:  # lexbor's "Can't parse HTML" is its allocation failing
            reply = f"its extraction failed: {e}"
        conn.send(reply)


def _cap_memory(memory: int) -> None:  # pragma: no cover - runs in the worker process
    try:
        import resource

        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + memory, size + memory))
    except (ImportError, OSError, ValueError):
        pass  # no /proc (macOS, Windows): the time budget still bounds the page
