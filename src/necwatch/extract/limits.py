"""Bounded extraction: refuse a page whose nesting would make parsing, the text walk or sanitizing
super-linear, before any of them runs.

lexbor's tree builder, html5ever (nh3) and any walk that keeps an ancestor stack all cost O(depth) per
element, so 200,000 nested elements cost minutes. One linear pass over the tags estimates the depth
the parser would reach; a page deeper than MAX_DEPTH is a ParseError of kind `too_complex` (a
classified failure of that URL only). Real pages, even broken ones, stay far below the cap.
"""

from __future__ import annotations

import re
from itertools import accumulate
from operator import sub

from necwatch.errors import ParseError

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "check_complexity", "is_too_complex"]

MAX_DEPTH = 3000  # lexbor parses 3000 nested divs in ~30 ms; real pages stay under ~200
MAX_ELEMENTS = 400_000  # 10 MiB cap / ~25 bytes a tag: a bound on flat work, not a depth
# Elements that never hold children, or whose end tag is implied by the next sibling: they do not
# deepen the tree, so an unclosed <p> or <li> in a real template is not counted as depth.
_FLAT = (
    "area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr|p|li|dt|dd|option|optgroup"
    "|tr|td|th|thead|tbody|tfoot|colgroup|caption|rb|rt|rp"
)
_RAW = re.compile(rb"<(script|style|textarea|xmp|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_OPEN = re.compile(rf"<(?!(?:{_FLAT})[\s/>])[a-zA-Z][^<>]*(?<!/)>".encode(), re.IGNORECASE)
_CLOSE = re.compile(rf"</(?!(?:{_FLAT})[\s>])[a-zA-Z][^<>]*>".encode(), re.IGNORECASE)
_ANY_TAG = re.compile(rb"<[a-zA-Z]")
_KEEP = bytes(range(256)).translate(None, b"\x01\x02")
_STEP = (0, 1, -1)  # \x01 opens (+1), \x02 closes (-1)


def _measure(data: bytes) -> tuple[int, int]:
    """(estimated max depth, element count), at C speed: tags become \x01/\x02 bytes, everything
    else is deleted, and the depth is the running sum of ±1, floored at 0 as a parser ignores stray
    end tags (depth_i = sum_i - min(0, min_{j<=i} sum_j))."""
    count = len(_ANY_TAG.findall(data))
    if count <= MAX_DEPTH:
        return count, count  # cannot nest deeper than it has elements
    marks = _CLOSE.sub(
        b"\x02", _OPEN.sub(b"\x01", _RAW.sub(b"", data.replace(b"\x01", b"").replace(b"\x02", b"")))
    )
    steps = marks.translate(None, _KEEP)
    if not steps:
        return 0, count
    sums = list(accumulate(map(_STEP.__getitem__, steps)))
    floors = accumulate(sums, min, initial=0)
    next(floors)
    return max(0, max(map(sub, sums, floors))), count


def is_too_complex(html: str | bytes) -> str | None:
    """Why the document is too complex to extract, or None when it is fine."""
    tags = html.count("<") if isinstance(html, str) else html.count(b"<")
    if tags <= MAX_DEPTH:
        return None  # fewer tags than the depth limit: the common case, at memchr speed
    data = html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html
    depth, count = _measure(data)
    if depth > MAX_DEPTH:
        return f"elements nested {depth} deep (limit {MAX_DEPTH})"
    if count > MAX_ELEMENTS:
        return f"{count} elements (limit {MAX_ELEMENTS})"
    return None


def check_complexity(html: str | bytes, url: str) -> None:
    """ParseError(kind="too_complex") when extracting `html` could not finish in bounded time."""
    reason = is_too_complex(html)
    if reason is not None:
        raise ParseError(f"page too complex to extract: {reason}", url=url, kind="too_complex")
