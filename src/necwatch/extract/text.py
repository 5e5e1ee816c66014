"""Article HTML → text, one way for every platform.

Block elements end a paragraph, <br> ends a line, inline elements join without spaces, image alt
text and scripts/styles are dropped. Whitespace (including U+00A0) is collapsed inside each line, so
Word-pasted bullets ("·" followed by a run of no-break spaces) become "· text". Paragraphs are
joined by a blank line. `collapse_ws(body_text)` is the reference web's `body_sha256` input.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
DROP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head", "title"]
)
_WS = re.compile(r"\s+")  # \s matches U+00A0 and the other Unicode spaces in str patterns


def collapse_ws(text: str) -> str:
    """Every whitespace run (U+00A0 included) → one space, trimmed."""
    return _WS.sub(" ", text).strip()


def node_text(node: LexborNode) -> str:
    """Text of an element: paragraphs separated by blank lines, whitespace collapsed in lines."""
    parts: list[str] = []
    _walk(node, parts)
    paragraphs = []
    for block in "".join(parts).split("\x00"):
        # str.split() splits on exactly the str.isspace() characters (U+00A0 included): the fastest
        # way in CPython to collapse every whitespace run of a line to one space (3× a regex).
        text = "\n".join(s for line in block.split("\n") if (s := " ".join(line.split())))
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _walk(root: LexborNode, out: list[str]) -> None:
    """Depth-first over `root`'s descendants with an explicit stack: 10 000 nested elements (a
    malformed page) must not hit Python's recursion limit. Each frame is (next sibling to visit,
    what to append when the frame's children are done)."""
    stack: list[tuple[LexborNode | None, str]] = [(root.child, "")]
    while stack:
        child, closing = stack[-1]
        if child is None:
            stack.pop()
            out.append(closing)
            continue
        stack[-1] = (child.next, closing)
        tag = child.tag
        if tag == "-text":
            out.append((child.text_content or "").replace("\n", " "))
        elif tag in ("-comment", "!--", "_comment", "br", "img") or tag in DROP_TAGS:
            if tag == "br":
                out.append("\n")  # img: alt text is not body text
        elif tag in BLOCK_TAGS:
            out.append("\x00")
            stack.append((child.child, "\x00"))
        else:
            stack.append((child.child, ""))


def html_to_text(html: str) -> str:
    """An HTML fragment → text (see node_text)."""
    tree = LexborHTMLParser(f"<div id='necwatch-root'>{html}</div>")
    root = tree.css_first("#necwatch-root")
    return node_text(root) if root is not None else ""
