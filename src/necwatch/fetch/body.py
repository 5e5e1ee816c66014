"""Reading a response body under a hard cap on *decoded* bytes (RELIABILITY.md F3, F5, G4).

httpx's own decoders inflate a whole network chunk at once (a 64 KiB gzip chunk of zeros becomes 64 MiB),
so the raw stream is read and inflated here with zlib's `max_length` (brotli's `output_buffer_limit`),
which bounds memory to about `max_bytes` plus one 64 KiB step however dense the bomb. Only gzip, deflate
and br are requested and accepted; a body that ends before its Content-Length, chunk terminator or
compressed-stream end is truncated and is never returned.
"""

from __future__ import annotations

import logging
import zlib

import brotli  # >= 1.2: Decompressor.process(output_buffer_limit=...)
import httpx

from necwatch.errors import FetchError, ResponseTooLarge

log = logging.getLogger("necwatch.fetch")

ACCEPT_ENCODING = "gzip, deflate, br"
_STEP = 64 * 1024


class TruncatedBody(FetchError):
    """The body ended early (kind=truncated). Internal: surfaces as a FetchError."""

    kind = "truncated"


class _Inflater:
    """Incremental, output-bounded gzip/deflate decoder (multi-member gzip included)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._first = True

    def feed(self, data: bytes, room: int) -> tuple[bytes, bool]:
        """Inflate `data`, producing at most room+1 bytes; returns (output, over_the_cap)."""
        out = bytearray()
        while data:
            try:
                chunk = self._d.decompress(data, max(1, room + 1 - len(out)))
            except zlib.error:
                if self._first and self.encoding == "deflate":  # raw deflate, as some servers send
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first = False
                    continue
                raise
            self._first = False
            out += chunk
            if len(out) > room:
                return bytes(out), True
            if self._d.unconsumed_tail:
                data = self._d.unconsumed_tail
            elif self._d.eof and self._d.unused_data and self.encoding == "gzip":
                data = self._d.unused_data.lstrip(b"\x00")
                if data:
                    self._d = zlib.decompressobj(self._wbits)
            else:
                data = b""
        return bytes(out), False

    @property
    def complete(self) -> bool:
        return self._d.eof


class _Unbrotli:
    """Incremental, output-bounded brotli decoder with the same interface as _Inflater."""

    encoding = "br"

    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> tuple[bytes, bool]:
        """Decode `data`, producing at most room+1 (+ one brotli block) bytes; returns (output, over_cap).

        `output_buffer_limit` is a soft limit (the decoder finishes its current block, up to ~32 KiB
        more), so output is pulled in steps of at most 64 KiB, and pending output is drained with empty
        input until none is left (`can_accept_more_data()` alone does not say that).
        """
        out = bytearray(self._d.process(data, output_buffer_limit=max(1, min(_STEP, room + 1))))
        while len(out) <= room:
            chunk = self._d.process(b"", output_buffer_limit=max(1, min(_STEP, room + 1 - len(out))))
            if not chunk:
                break
            out += chunk
        return bytes(out), len(out) > room

    @property
    def complete(self) -> bool:
        return bool(self._d.is_finished())


async def read_body(
    response: httpx.Response,
    *,
    url: str,
    max_bytes: int,
    warn_bytes: int | None = None,
    truncate: bool = False,
) -> bytes:
    """The decoded body, at most `max_bytes` long.

    With `truncate` (robots.txt, error pages) a longer body is cut at the cap; otherwise it raises
    ResponseTooLarge as soon as the cap is passed (and before reading, on a Content-Length over the cap).
    """
    final = str(response.url)
    length = response.headers.get("content-length")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater: _Inflater | _Unbrotli | None
    if encoding in ("", "identity", "none"):
        inflater = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater("deflate" if encoding == "deflate" else "gzip")
    elif encoding == "br":
        inflater = _Unbrotli()
    else:
        raise FetchError(
            f"unsupported content-encoding {encoding!r}", url=url, kind="protocol", final_url=final
        )
    if not truncate and length and length.isdigit() and int(length) > max_bytes:
        raise ResponseTooLarge(
            f"Content-Length {length} is over the {max_bytes}-byte cap",
            url=url,
            final_url=final,
            bytes_read=0,
        )
    try:
        preread: bytes | None = response.content  # built in memory (MockTransport): already decoded
    except httpx.ResponseNotRead:
        preread = None
    if preread is not None:
        return _capped(preread, url=url, final=final, max_bytes=max_bytes, truncate=truncate)
    parts: list[bytes] = []
    size = raw_total = 0
    warned = False
    async for raw in response.aiter_raw(_STEP):
        raw_total += len(raw)
        if inflater is None:
            data, over = raw, size + len(raw) > max_bytes
        else:
            try:
                data, over = inflater.feed(raw, max_bytes - size)
            except (zlib.error, brotli.error) as e:
                raise FetchError(
                    f"corrupt {encoding} body: {e}", url=url, kind="protocol", final_url=final
                ) from e
        if over:
            if truncate:
                parts.append(data[: max_bytes - size])
                size = max_bytes
                break
            raise ResponseTooLarge(
                f"body passed the {max_bytes}-byte cap (decoded)",
                url=url,
                final_url=final,
                bytes_read=size + len(data),
            )
        parts.append(data)
        size += len(data)
        if warn_bytes is not None and size > warn_bytes and not warned:
            warned = True
            log.warning("large response body", extra={"url": url, "bytes": size, "warn_bytes": warn_bytes})
    else:
        if inflater is not None and not inflater.complete and raw_total > 0:
            raise TruncatedBody(f"{encoding} stream ended early", url=url, final_url=final, bytes_read=size)
    return b"".join(parts)


def _capped(body: bytes, *, url: str, final: str, max_bytes: int, truncate: bool) -> bytes:
    if len(body) <= max_bytes:
        return body
    if truncate:
        return body[:max_bytes]
    raise ResponseTooLarge(
        f"body passed the {max_bytes}-byte cap", url=url, final_url=final, bytes_read=len(body)
    )
