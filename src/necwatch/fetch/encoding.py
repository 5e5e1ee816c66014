"""Deterministic decoding of response bodies (RELIABILITY.md F6).

Valid UTF-8 wins over any declaration (as Miniflux does); otherwise the header charset, then a
<meta charset> in the first 4 KiB, then cp1252. Errors are replaced, never dropped, so the same
bytes always give the same text and therefore the same content hash.
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)


def _known(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


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
    head = body[:4096]
    candidates = [charset_from_content_type(content_type)]
    for pattern in (_XML_DECL, _META):
        m = pattern.search(head)
        if m:
            candidates.append(m.group(1).decode("ascii", "replace"))
    for label in candidates:
        name = _known(label)
        if name and name not in ("utf-8",):
            if name in ("latin-1", "iso8859-1", "ascii"):
                name = "cp1252"  # what browsers do with these labels (WHATWG)
            return body.decode(name, errors="replace"), name
    return body.decode("cp1252", errors="replace"), "cp1252"
