"""Bounded extraction: refuse a page whose parse, text walk or sanitizing would cost far more than its
size, before any of them runs; and prove a page the estimate cannot clear in a worker first.

What a page costs is not its size. lexbor's tree builder, html5ever (nh3) and any walk that keeps an
ancestor stack cost O(depth) per element, so 200,000 nested elements cost minutes; the tree builder
checks every attribute of an element against the ones before it (1,000,000 attributes of one
element: half an hour); and "reconstruct the active formatting elements" re-creates every open
formatting element (`<b>`, `<i>`, `<font>` …) at each new block, so 2,900 open `<b>` followed by
3,000 paragraphs make 8.7 million elements (3.8 GB) out of 53 KiB.

`estimate` reads the tags as the HTML tokenizer does, in one linear pass: every start tag (a
self-closing slash on a non-void element is ignored, as parsers do: `<div/>` nests), quoted
attribute values (a `<` inside one is no tag), comments and raw-text elements skipped, `<noscript>`
counted (a parser with scripting off builds its content). It gives the depth the parser would reach,
the element count, the most attributes of one element, and the formatting elements a parser would
reconstruct. A page over any limit is a ParseError of kind `too_complex`, a classified failure of
that URL only. A page under every limit but not clearly small is first extracted in a worker
process with a time budget and a memory cap (necwatch.extract.worker): the estimate is the cheap
pre-check, the worker the proof. Real pages, even broken ones, stay far below the limits.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from necwatch.errors import ParseError

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "MAX_RECONSTRUCTED",
    "Cost",
    "check_complexity",
    "estimate",
    "is_too_complex",
]

MAX_DEPTH = 3000  # lexbor parses 3000 nested divs in ~30 ms; real pages stay under ~200
MAX_ELEMENTS = 400_000  # 10 MiB cap / ~25 bytes a tag: a bound on flat work, not a depth
MAX_ATTRIBUTES = 2000  # lexbor's duplicate check is quadratic: 2,000 cost ~10 ms, 20,000 cost 0.7 s
MAX_RECONSTRUCTED = 200_000  # formatting elements re-created at new blocks (~450 bytes each in lexbor)
# With at most SMALL_TAGS `<` and no tag of more than SMALL_ATTRIBUTES attributes, every
# measure is bounded whatever the markup (depth and elements 1,000; formatting elements re-created
# at most 500 × 500, ~110 MB and ~0.5 s in lexbor at worst): no estimate, no worker, C speed.
SMALL_TAGS = 1000
SMALL_ATTRIBUTES = 200
# Pages the estimate clears in-process when they stay below these; above them (but under the
# limits) the work is proved in the worker first (see necwatch.extract.worker).
TRUSTED_DEPTH = 400
TRUSTED_ELEMENTS = 20_000
TRUSTED_ATTRIBUTES = 200
TRUSTED_RECONSTRUCTED = 20_000

# Elements that never hold children, or whose end tag is implied by the next sibling: they do not
# deepen the tree, so an unclosed <p> or <li> in a real template is not counted as depth.
_VOID = frozenset(
    b"area base br col embed hr img input link meta param source track wbr keygen basefont bgsound"
    b" frame".split()
)
_FLAT = _VOID | frozenset(
    b"p li dt dd option optgroup tr td th thead tbody tfoot colgroup caption rb rt rp".split()
)
# Formatting elements: kept on the list of active formatting elements until closed, and re-created
# under every new block while they are open (HTML § 13.2.4.3).
_FORMATTING = frozenset(b"a b big code em font i nobr s small strike strong tt u".split())
# One token: a comment; a raw-text or RCDATA element whole (group 1: no tags inside until its end
# tag; noscript is not one: with scripting off, as lexbor parses, its content is elements); or a tag
# read as the tokenizer does (groups 2-4; an attribute value is quoted only after `=`). Every
# alternative can stop at the end of the data, so a scan is linear whatever the input.
_RAW_NAMES = b"script|style|textarea|xmp|title|iframe|noembed|noframes"
_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)"
    rb"|<(?i:(" + _RAW_NAMES + rb"))(?=[\s/>])[^>]*+>?.*?(?:</(?i:\1)[\s/>]|\Z)"
    rb"|<(?i:plaintext)[\s/>].*"
    rb"|<(/?)([a-zA-Z][^\s/>]*)((?:[^>\"'=]++|=\s*+\"[^\"]*+(?:\"|\Z)|=\s*+'[^']*+(?:'|\Z)|=|[\"'])*+)(?:>|\Z)",
    re.DOTALL,
)
_ATTRIBUTE = re.compile(rb"[^\s/>=][^\s/>=]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?")


# A tag long enough to hold SMALL_ATTRIBUTES attributes (one takes two bytes at least).
_LONG_TAG_STR = re.compile(rf"<[a-zA-Z][^>]{{{2 * SMALL_ATTRIBUTES}}}")
_LONG_TAG = re.compile(_LONG_TAG_STR.pattern.encode())


class Cost(NamedTuple):
    """What parsing a document would cost, read from its tags."""

    depth: int  # the deepest the tree would nest
    elements: int  # start tags
    attributes: int  # the most attributes of one element
    reconstructed: int  # formatting elements re-created under new blocks

    def over_limit(self) -> str | None:
        if self.depth > MAX_DEPTH:
            return f"elements nested {self.depth} deep (limit {MAX_DEPTH})"
        if self.elements > MAX_ELEMENTS:
            return f"{self.elements} elements (limit {MAX_ELEMENTS})"
        if self.attributes > MAX_ATTRIBUTES:
            return f"{self.attributes} attributes on one element (limit {MAX_ATTRIBUTES})"
        if self.reconstructed > MAX_RECONSTRUCTED:
            return (
                f"{self.reconstructed} formatting elements to re-create under new blocks"
                f" (limit {MAX_RECONSTRUCTED})"
            )
        return None

    def trusted(self) -> bool:
        """Small enough by every measure to extract in-process without a trial in the worker."""
        return (
            self.depth <= TRUSTED_DEPTH
            and self.elements <= TRUSTED_ELEMENTS
            and self.attributes <= TRUSTED_ATTRIBUTES
            and self.reconstructed <= TRUSTED_RECONSTRUCTED
        )


def estimate(data: bytes) -> Cost:
    """The cost of parsing `data`, in one pass over its tags (stops early once over a limit)."""
    depth = top = elements = attributes = reconstructed = 0
    formatting: dict[bytes, list[bytes]] = {}  # open formatting elements: name → their attributes
    copies: dict[tuple[bytes, bytes], int] = {}  # identical ones: a parser keeps at most 3 (Noah's Ark)
    active = 0  # open formatting elements a new block would re-create
    flat, fmt, wide = _FLAT, _FORMATTING, 2 * TRUSTED_ATTRIBUTES  # one attribute takes two bytes
    for raw, slash, name, attrs in _TOKEN.findall(data):
        if not name:
            elements += bool(raw)  # a raw-text element, or a comment
            continue
        name = name.lower()
        if slash:  # an end tag
            if name not in fmt:
                reconstructed += active  # a block closed over open formatting elements
                if name not in flat and depth:
                    depth -= 1
            elif stack := formatting.get(name):
                key = (name, stack.pop())
                copies[key] -= 1
                active -= copies[key] < 3
                depth = max(0, depth - 1)
            continue
        elements += 1
        if len(attrs) > wide:
            attributes = max(attributes, len(_ATTRIBUTE.findall(attrs)))
        if name in fmt:
            key = (name, attrs)
            formatting.setdefault(name, []).append(attrs)
            copies[key] = copies.get(key, 0) + 1
            active += copies[key] <= 3
        if name not in flat:
            depth += 1
            if depth + active > top:
                top = depth + active
                if top > MAX_DEPTH:
                    break
        if reconstructed > MAX_RECONSTRUCTED or attributes > MAX_ATTRIBUTES or elements > MAX_ELEMENTS:
            break
    return Cost(top, elements, attributes, reconstructed)


IN_WORKER = False  # set in the extraction worker: the work there is bounded by the process itself


def small(html: str | bytes) -> bool:
    """Too few tags, none with many attributes, to cost much whatever they are (every page of the
    reference web but one, feed items, comments, API content): see SMALL_TAGS. C-speed counts; only
    the long tags (an `srcset`, an SVG path: a few a page) are read attribute by attribute."""
    if (html.count("<") if isinstance(html, str) else html.count(b"<")) > SMALL_TAGS:
        return False
    if isinstance(html, str):
        if _LONG_TAG_STR.search(html) is None:
            return True
        html = html.encode("utf-8", "surrogatepass")
    for long in _LONG_TAG.finditer(html):
        tag = _TOKEN.match(html, long.start())
        if tag is not None and tag.group(4) and len(_ATTRIBUTE.findall(tag.group(4))) > SMALL_ATTRIBUTES:
            return False
    return True


def is_too_complex(html: str | bytes) -> str | None:
    """Why the document is too complex to extract, or None when it is fine: the estimate's verdict,
    and for a document it cannot clear as small, the worker's (necwatch.extract.worker)."""
    if IN_WORKER or small(html):
        return None
    from necwatch.extract import worker  # imported late: the worker imports the extractors

    return worker.verdict(html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html)


def check_complexity(html: str | bytes, url: str) -> None:
    """ParseError(kind="too_complex") when extracting `html` could not finish in bounded time."""
    reason = is_too_complex(html)
    if reason is not None:
        raise ParseError(f"page too complex to extract: {reason}", url=url, kind="too_complex")
