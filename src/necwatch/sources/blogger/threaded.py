"""Blogger's threaded comments (pure), on every template that has them.

Blogger renders one threaded list everywhere, by the same script (`goog.comments`): the layouts
themes and later templates print it in the page (`li.comment#cID` > `.comment-block` >
`.comment-header` (`cite.user`, `.datetime a`) + `.comment-content`, replies in the comment's
`.comment-replies` > `div#cID-rt.comment-thread` > `ol#cID-ra`), and Dynamic Views or a saved copy
of a page after its script ran prints the same blocks with the script's own ids (`li#bc_0_2B`) and
the comment's id on `div.comment-block#cID`. The list's data is also in the page, `var items =
[{'id', 'body', 'timestamp', 'author', 'parentId', 'permalink'}, …]`, a JavaScript literal (single
quotes, `\\46` octal escapes) on older templates, JSON on later ones.

A comment is found by its `.comment-content` wherever the tree puts it: a page re-serialized with
misnested tags (an archive or reader-mode copy) moves whole threads out of `#comments`. Its parent
is the thread it sits in (`#cID-ra`/`#cID-rt`), else the comment around it. A deleted comment
(`span.deleted-comment` placeholder) is nothing a reader sees and is left out, in the markup and in
the data alike. A comment's time is its permalink's `showComment=<epoch ms>`: the exact instant,
whatever zone the reader assumes (the printed time is the blog's zone, which a page does not name).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.extract.select import text_of
from necwatch.extract.text import clean_name
from necwatch.models import Comment
from necwatch.sources.blogger.common import _stamped, comment_text

_CID = re.compile(r"^c(\d{1,25})$")
_THREAD = re.compile(r"^c(\d{1,25})-r[at]$")  # `div#cID-rt` / `ol#cID-ra`: the replies to comment ID
_PERMALINK_ID = re.compile(r"#c(\d{1,25})$")
_ITEMS = re.compile(r"\bvar\s+items\s*=\s*\[")
_AREA = "#comments, .comments, #comment-holder, .blogger-comments"


def threaded_comments(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> tuple[Comment, ...] | None:
    """The page's threaded comments, replies included, in page order (the rendered list first, then
    any the thread's data adds). None when the page has no comment area, or says it has comments but
    shows none a reader could see without its script: unknown, never "none"."""
    comments = _rendered(tree, url, tz)
    for item in _data_items(tree, url, tz):
        comments.setdefault(item.platform_id, item)
    if comments:
        return tuple(comments.values())
    if tree.css_first(_AREA) is None or _stated_count(tree) > 0:
        return None
    return ()


# -- the rendered list -------------------------------------------------------------------------------


def _rendered(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> dict[str, Comment]:
    comments: dict[str, Comment] = {}
    for content in tree.css(".comment-content"):
        block, owner = _block_and_owner(content)
        scope = block or owner or content.parent
        if scope is None:
            continue
        stamp = scope.css_first(".datetime a[href]") or scope.css_first(".datetime")
        href = (stamp.attributes.get("href") or "") if stamp is not None and stamp.tag == "a" else ""
        cid = _own_id(block) or _own_id(owner) or _id_in_permalink(href)
        if cid is None or cid in comments or content.css_first(".deleted-comment") is not None:
            continue  # not a comment of the list, a repeat, or a deleted comment's placeholder
        user = scope.css_first(".comment-header .user, cite.user, .user")
        link = user.css_first("a[href]") if user is not None else None
        html = (content.inner_html or "").strip()
        comments[cid] = Comment(
            platform_id=cid,
            author=clean_name(text_of(user) if user is not None else "") or "Anonymous",
            author_url=link.attributes.get("href") if link is not None else None,
            published_at=_stamped(text_of(stamp) if stamp is not None else "", href, tz),
            body_text=comment_text(html, content),
            body_html=html,
            parent_id=_parent_id(owner) if owner is not None else None,
            url=urljoin(url, href) if href else None,
        )
    return comments


def _classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").split()


def _block_and_owner(content: LexborNode) -> tuple[LexborNode | None, LexborNode | None]:
    """The comment's `.comment-block` and its list item (`li.comment`, or a template's
    `div.comment`), the nearest of each around its `.comment-content`."""
    block = None
    node = content.parent
    while node is not None and node.tag not in ("body", "html"):
        classes = _classes(node)
        if block is None and "comment-block" in classes:
            block = node
        if "comment" in classes:
            return block, node
        node = node.parent
    return block, None


def _own_id(node: LexborNode | None) -> str | None:
    """A comment's id: on its item (`li#cID`), else on its own block (`div.comment-block#cID`, the
    first in document order: a comment's block comes before its replies)."""
    if node is None:
        return None
    m = _CID.match(node.attributes.get("id") or "")
    if m:
        return m.group(1)
    block = node.css_first(".comment-block[id]") if "comment-block" not in _classes(node) else None
    m = _CID.match(block.attributes.get("id") or "") if block is not None else None
    return m.group(1) if m else None


def _id_in_permalink(href: str) -> str | None:
    m = _PERMALINK_ID.search(href)
    return m.group(1) if m else None


def _parent_id(owner: LexborNode) -> str | None:
    """The thread the comment is in (`#cID-ra`, `#cID-rt`), else the comment around it; None at the
    top level (`ol#top-ra`, `.toplevel-thread`) or outside any thread."""
    node = owner.parent
    while node is not None and node.tag not in ("body", "html"):
        node_id = node.attributes.get("id") or ""
        m = _THREAD.match(node_id)
        if m:
            return m.group(1)
        classes = _classes(node)
        if node_id == "top-ra" or "toplevel-thread" in classes:
            return None
        if "comment" in classes:
            return _own_id(node)
        node = node.parent
    return None


def _stated_count(tree: LexborHTMLParser) -> int:
    """The number of comments the page states: the comment area's heading ("71 comments:",
    "2 Kommentare:") or Dynamic Views' count bubble (`.comments-count[title]`)."""
    for node in (
        tree.css_first("#comments h4, #comments h3, #comments h2, .comments h4, .comments-title"),
        tree.css_first(".comments-count[title], .comment-count"),
    ):
        text = (node.attributes.get("title") or text_of(node)) if node is not None else ""
        m = re.search(r"\d+", text)
        if m:
            return int(m.group(0))
    return 0


# -- the thread's data -------------------------------------------------------------------------------


def _data_items(tree: LexborHTMLParser, url: str, tz: ZoneInfo) -> list[Comment]:
    """The comments of `var items = [...]` in the page's scripts, read as a JavaScript literal."""
    out: list[Comment] = []
    for script in tree.css("script"):
        code = script.text(deep=True) or ""
        m = _ITEMS.search(code) if "items" in code else None
        if m is None:
            continue
        try:
            items, _ = js_literal(code, m.end() - 1)
        except ValueError:
            continue
        for item in items if isinstance(items, list) else []:
            comment = _data_item(item, url, tz)
            if comment is not None:
                out.append(comment)
    return out


def _data_item(item: Any, url: str, tz: ZoneInfo) -> Comment | None:
    if not isinstance(item, dict) or not str(item.get("id") or "").isdigit():
        return None
    html = str(item.get("body") or "").strip()
    if not html or "deleted-comment" in html:
        return None
    author: dict[str, Any] = item["author"] if isinstance(item.get("author"), dict) else {}
    stamp = str(item.get("timestamp") or "")
    published = None
    if stamp.isdigit():
        try:
            published = datetime.fromtimestamp(int(stamp) / 1000, UTC).astimezone(tz)
        except (OverflowError, OSError, ValueError):
            published = None
    if published is None and item.get("displayTime"):
        published = _stamped(str(item["displayTime"]), "", tz)
    parent = str(item.get("parentId") or "")
    permalink = str(item.get("permalink") or "")
    return Comment(
        platform_id=str(item["id"]),
        author=clean_name(str(author.get("name") or "")) or "Anonymous",
        author_url=str(author.get("profileUrl") or "") or None,
        published_at=published,
        body_text=comment_text(html),
        body_html=html,
        parent_id=parent if parent.isdigit() else None,
        url=urljoin(url, permalink) if permalink else None,
    )


# -- a JavaScript literal ----------------------------------------------------------------------------

_MAX_DEPTH = 32
_SPACE = re.compile(r"\s*")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_PLAIN = {"'": re.compile(r"[^'\\\n]*"), '"': re.compile(r'[^"\\\n]*')}
_OCTAL = re.compile(r"[0-7]{1,3}")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "undefined": None}


def js_literal(code: str, start: int) -> tuple[Any, int]:
    """The JavaScript value literal at `code[start]` (arrays, objects with quoted or bare keys,
    strings in either quote with every escape, numbers, true/false/null) → (value, end). Linear in
    its length, nesting bounded; ValueError for anything else (a call, a variable)."""
    return _value(code, start, 0)


def _value(code: str, at: int, depth: int) -> tuple[Any, int]:
    at = _SPACE.match(code, at).end()  # type: ignore[union-attr]
    if depth > _MAX_DEPTH or at >= len(code):
        raise ValueError("not a literal")
    char = code[at]
    if char == "[":
        return _array(code, at + 1, depth + 1)
    if char == "{":
        return _object(code, at + 1, depth + 1)
    if char in _PLAIN:
        return _string(code, at)
    m = _NUMBER.match(code, at)
    if m:
        return float(m.group(0)) if any(c in m.group(0) for c in ".eE") else int(m.group(0)), m.end()
    m = _NAME.match(code, at)
    if m and m.group(0) in _WORDS:
        return _WORDS[m.group(0)], m.end()
    raise ValueError(f"not a literal at {at}")


def _array(code: str, at: int, depth: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    while True:
        at = _SPACE.match(code, at).end()  # type: ignore[union-attr]
        if code.startswith("]", at):
            return out, at + 1
        value, at = _value(code, at, depth)
        out.append(value)
        at = _after_item(code, at, "]")


def _object(code: str, at: int, depth: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while True:
        at = _SPACE.match(code, at).end()  # type: ignore[union-attr]
        if code.startswith("}", at):
            return out, at + 1
        if at < len(code) and code[at] in _PLAIN:
            key, at = _string(code, at)
        elif m := _NAME.match(code, at):
            key, at = m.group(0), m.end()
        else:
            raise ValueError(f"no key at {at}")
        at = _SPACE.match(code, at).end()  # type: ignore[union-attr]
        if not code.startswith(":", at):
            raise ValueError(f"no ':' at {at}")
        out[key], at = _value(code, at + 1, depth)
        at = _after_item(code, at, "}")


def _after_item(code: str, at: int, close: str) -> int:
    """Past the comma after an item (a trailing comma is allowed), or at the closing bracket."""
    at = _SPACE.match(code, at).end()  # type: ignore[union-attr]
    if code.startswith(",", at):
        return at + 1
    if code.startswith(close, at):
        return at
    raise ValueError(f"expected ',' or {close!r} at {at}")


def _string(code: str, at: int) -> tuple[str, int]:
    quote = code[at]
    plain = _PLAIN[quote]
    parts: list[str] = []
    at += 1
    while True:
        m = plain.match(code, at)
        parts.append(m.group(0))  # type: ignore[union-attr]
        at = m.end()  # type: ignore[union-attr]
        if at >= len(code) or code[at] == "\n":
            raise ValueError("unterminated string")
        if code[at] == quote:
            return "".join(parts), at + 1
        char, at = _escape(code, at + 1)
        parts.append(char)


def _escape(code: str, at: int) -> tuple[str, int]:
    """The character of the escape after a backslash at `code[at - 1]`, and where it ends."""
    if at >= len(code):
        raise ValueError("unterminated escape")
    char = code[at]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char], at + 1
    if char in "01234567":
        digits = _OCTAL.match(code, at).group(0)  # type: ignore[union-attr]
        while int(digits, 8) > 0o377:
            digits = digits[:-1]
        return chr(int(digits, 8)), at + len(digits)
    if char == "x" and _is_hex(code[at + 1 : at + 3], 2):
        return chr(int(code[at + 1 : at + 3], 16)), at + 3
    if char == "u" and code.startswith("{", at + 1):
        end = code.find("}", at + 2, at + 10)
        if end > 0 and _is_hex(code[at + 2 : end], end - at - 2):
            return _code_point(int(code[at + 2 : end], 16)), end + 1
    if char == "u" and _is_hex(code[at + 1 : at + 5], 4):
        value = int(code[at + 1 : at + 5], 16)
        low = code[at + 7 : at + 11] if code.startswith("\\u", at + 5) else ""
        if 0xD800 <= value <= 0xDBFF and _is_hex(low, 4) and 0xDC00 <= int(low, 16) <= 0xDFFF:
            return chr(0x10000 + ((value - 0xD800) << 10) + int(low, 16) - 0xDC00), at + 11
        return _code_point(value), at + 5
    if char == "\n":
        return "", at + 1  # a line continuation
    return char, at + 1


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length > 0 and all(c in "0123456789abcdefABCDEF" for c in text)


def _code_point(value: int) -> str:
    """A code point; a lone surrogate half becomes U+FFFD."""
    return "\ufffd" if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF else chr(value)
