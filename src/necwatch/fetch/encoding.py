"""Deterministic decoding of response bodies (RELIABILITY.md F6).

Order: a BOM; then valid UTF-8 wins over any declaration (as Miniflux does); otherwise the header charset,
then an XML declaration or <meta charset> in the first 16 KiB (not just the 1024 bytes a browser prescans:
WordPress themes put long <head>s before it), then cp1252. Labels are resolved as browsers do (latin-1 and
ascii mean cp1252, gb2312 means gbk...); unknown labels, and UTF-7/UTF-16 declared without a BOM, are
ignored. Errors are replaced, never dropped, so the same bytes always give the same text and therefore the
same content hash.
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)


_SCAN = 16 * 1024

# WHATWG Encoding Standard labels whose Python codec differs (browsers decode these as the superset).
_WHATWG = {
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
# WHATWG labels Python does not know.
_PY_MISSING = {"windows-874": "cp874", "x-sjis": "cp932", "x-gbk": "gbk", "x-mac-roman": "mac-roman"}
# Never decode as these from a declaration alone: UTF-7 is an XSS vector, UTF-16 needs a BOM.
_REFUSED = {"utf-7", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}


def _known(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _PY_MISSING.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _REFUSED:
        return None
    return _WHATWG.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return None


def decode(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """bytes → (text, encoding used)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace"), "utf-8"
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[2:].decode(name, errors="replace"), name
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = body[:_SCAN]
    candidates: list[str | None] = [charset_from_content_type(content_type)]
    for pattern in (_XML_DECL, _META):
        m = pattern.search(head)
        if m:
            candidates.append(m.group(1).decode("ascii", "replace"))
    for label in candidates:
        codec = _known(label)
        if codec and codec != "utf-8":  # utf-8 was tried above and is invalid
            return body.decode(codec, errors="replace"), codec
    return body.decode("cp1252", errors="replace"), "cp1252"
