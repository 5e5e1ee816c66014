"""Characters no stored text may hold: the one definition ingestion and the feed writers share.

XML 1.0 (https://www.w3.org/TR/xml/#charsets) allows tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and
U+10000–U+10FFFF. Everything else — the other C0 controls (ESC, U+0001, NUL), lone surrogates
(`&#xD800;` in a feed, `\\ud800` in JSON: not even valid UTF-8) and the noncharacters U+FFFE/U+FFFF —
makes an Atom feed not well-formed for every subscriber, and a lone surrogate cannot be encoded to
UTF-8 at all (a parser or SQLite write raises). They are removed where text enters (`models.Post`
and `models.Comment`, decoded JSON, feed character references) and again where feeds are written.
Bidi controls are dropped from labels (a tag is a name: no direction marks, no overrides).
"""

from __future__ import annotations

import re
from typing import Any, overload

__all__ = ["clean_json", "clean_label", "drop_bad_charrefs", "title_text", "xml_text"]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Bidi embedding/override/isolate controls and the LRM/RLM/ALM marks.
_LABEL_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_CHARREF_B = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_C0_B = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@overload
def xml_text(text: str) -> str: ...
@overload
def xml_text(text: None) -> None: ...
def xml_text(text: str | None) -> str | None:
    """`text` without the characters XML 1.0 does not allow (see the module docstring)."""
    if text is None or _NOT_XML.search(text) is None:
        return text
    return _NOT_XML.sub("", text)


# A script or style element with its text, then any other start or end tag: `<title>` is RCDATA, so
# `<title>Report<script>alert(1)</script></title>` reads as that literal text (and og:title as well).
_SCRIPT_IN_TEXT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG_IN_TEXT = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")


def title_text(title: str) -> str:
    """A title without markup written into its text: no `<script>…</script>`, no tags."""
    if "<" not in title:
        return title
    return " ".join(_TAG_IN_TEXT.sub("", _SCRIPT_IN_TEXT.sub("", title)).split())


def clean_label(label: str) -> str:
    """A category/tag as stored: XML-safe, no bidi controls or marks, whitespace collapsed."""
    return " ".join(xml_text(label).translate(_LABEL_BIDI).split())


def clean_json(value: Any) -> Any:
    """Decoded JSON with every string (keys too) XML-safe: `"\\ud800"` decodes to a lone surrogate."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {xml_text(k): clean_json(v) for k, v in value.items()}
    return value


def _allowed(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


@overload
def drop_bad_charrefs(data: str) -> str: ...
@overload
def drop_bad_charrefs(data: bytes) -> bytes: ...
def drop_bad_charrefs(data: str | bytes) -> str | bytes:
    """An XML document without character references to characters XML does not allow (`&#xD800;`,
    `&#27;`, `&#xFFFE;`) and, in bytes, without raw C0 control bytes: one bad title must not make a
    strict parser refuse (or feedparser crash on) the whole feed."""
    if isinstance(data, bytes):
        if b"\x00" in data[:4] or data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data  # UTF-16/32: its bytes are not ASCII-compatible (its parser checks it)
        if b"&#" in data:
            data = _CHARREF_B.sub(lambda m: b"" if not _allowed(_code(m)) else m.group(0), data)
        return _C0_B.sub(b"", data)
    if "&#" in data:
        data = _CHARREF.sub(lambda m: "" if not _allowed(_code(m)) else m.group(0), data)
    return xml_text(data)


def _code(m: re.Match[Any]) -> int:
    hex_, dec = m.group(1), m.group(2)
    return int(hex_, 16) if hex_ else int(dec)
