"""Article HTML → text, one way for every platform.

Block elements end a paragraph, <br> ends a line, inline elements join without spaces, image alt
text and scripts/styles are dropped. Whitespace (including U+00A0) is collapsed inside each line, so
Word-pasted bullets ("·" followed by a run of no-break spaces) become "· text". Paragraphs are
joined by a blank line. `collapse_ws(body_text)` is the reference web's `body_sha256` input.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.chars import xml_text
from necwatch.extract.limits import is_too_complex

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
    if (reason := is_too_complex(html)) is not None:  # feed/API content never went through parse_html
        raise ParseError(f"content too complex to extract: {reason}", url="(content)", kind="too_complex")
    tree = LexborHTMLParser(f"<div id='necwatch-root'>{xml_text(html)}</div>")  # no lone surrogates
    root = tree.css_first("#necwatch-root")
    return node_text(root) if root is not None else ""


# Bidi embedding/override/isolate controls: invisible, and able to reorder what a reader sees of a
# title or a name ("Trojan Source"); never part of a name a person typed.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi(text: str) -> str:
    """Remove bidi control characters (U+202A–U+202E, U+2066–U+2069)."""
    return text.translate(_BIDI)


# Byline wording around a name, in the languages blogs are written in ("Posted by", "View all posts
# by", "Publié par", "Veröffentlicht von", "Publicado por", "Pubblicato da", "Geplaatst door", …);
# a one-word preposition followed by a colon ("by: Jane Roe", "von: Jana Beispiel") is always a label.
_BYLINE_PREFIX = re.compile(
    r"^(?:(?:view|see)\s+all\s+(?:posts|articles)\s+by|(?:posted|written|published|authored)\s+by|"
    r"(?:posted|written|published)\s+[\w ,.'/-]{1,40}?\s+by\s|"  # "Posted 24th March 2015 by Unknown"
    r"(?:by|von|par|por|door|przez|di|da|av|af|od)\s*:|author:|posté\s+par|publié\s+par|écrit\s+par|veröffentlicht\s+von|geschrieben\s+von|"
    r"verfasst\s+von|autor(?:in)?:|publicado\s+por|escrito\s+por|pubblicato\s+da|scritto\s+da|"
    r"geplaatst\s+door|opublikowano\s+przez|postat\s+av|skrevet\s+af|eingestellt\s+von|gepostet\s+von|"
    r"postado\s+por|publicat\s+de|dodane\s+przez|upplagd\s+av|lähettänyt|napsal|objavio)\s*",
    re.IGNORECASE,
)
# One-word prefixes are also name particles ("von der Leyen", "Da Silva"): stripped only as the
# lower-case preposition (or "By") followed by a capitalised name.
_BYLINE_WORD = re.compile(r"^(?:[Bb]y|BY|par|von|por|door|przez)\s+(?=[^\W\d_])(?=\w*[A-ZÀ-Þ])")
_BYLINE_SUFFIX = re.compile(r"\s*(?:@|\bat\b|\bon\b|\||·|—|–|,).*$", re.IGNORECASE)


# A date printed after the name in the same element ("Laura E. Adkins December 28", "Jane Roe 28
# December 2012", "Jane Roe Sept. 10" — the ", 2011" is already cut): a month with a day beside it,
# at the end, after at least one word. A month alone stays ("Theresa May", "April Jones" keep theirs).
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE_TAIL = re.compile(
    rf"(?<=\S)\s+(?:{_MONTH}\s+{_DAY}|{_DAY}\s+{_MONTH})(?:\s+(?:19|20)\d{{2}})?$", re.IGNORECASE
)
# Words of a byline's furniture: a text made only of these is a label or a link, never a name.
_FURNITURE = frozenset(
    {
        "by", "von", "par", "por", "door", "posted", "written", "published", "view", "see", "all", "more",
        "posts", "articles", "stories", "author", "authors", "author's", "page", "profile", "bio", "about",
        "the", "this", "follow", "read", "full", "website", "contact", "subscribe", "to", "rss", "feed",
        "email", "send", "share",
    }
)  # fmt: skip


def clean_name(text: str | None) -> str | None:
    """A byline's text → the name alone: no "By"/"Posted by"/"View all posts by" (any language), no
    trailing "at 10:00"/"on 5 May", no bidi controls; None when nothing is left. "Unknown" (Blogger's
    name for a deleted profile) is kept: it is what the page says."""
    if not text:
        return None
    name = collapse_ws(strip_bidi(text))
    for _ in range(2):  # "Posted by: By Jane" happens
        name = _BYLINE_PREFIX.sub("", name).strip(" :")
        name = _BYLINE_WORD.sub("", name) if name[:1].islower() or name[:3].lower() == "by " else name
    name = _BYLINE_SUFFIX.sub("", name).strip(" :")
    name = _DATE_TAIL.sub("", name).strip(" :")
    if not name or all(w.strip(".,:'’").casefold() in _FURNITURE for w in name.split()):
        return None  # "By" alone (the names were in links), "View Author Page", "View all posts"
    return name
