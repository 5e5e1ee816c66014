"""The edges of a body that are not the article: what a metadata node or the generic extractor kept
around the post's own text.

At the start: the post's title and subtitle repeated as the body's first blocks (Substack, Ghost
and many themes print them above the text inside the same container). At the end: share and
follow prompts, tag lists, newsletter and promotion lines, "related" headings with their list. Only
short blocks at the very edges go, and only by what they say they are; the text between is never
touched, so a paragraph that mentions sharing or tags in the middle of a report stays.

Every body node goes through `strip_inner_chrome` (sign-up, author and call-to-action boxes, and
HTML's own non-text elements: figcaption, nav, aside, a sectioning footer) and every body through
`trim_body`, the platform readers' included (issue 21, pass 2). WordPress's current-theme reader
(sources/wordpress/pages.py, the reference web's path) keeps its own chrome list.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.extract.text import node_text

__all__ = ["remove_outermost", "strip_inner_chrome", "trim_body"]

# A block that is the page's chrome when it opens with one of these and is short: in the languages
# blogs are written in (share, follow, tags, subscribe, related, more, read also).
_CHROME_START = re.compile(
    r"^(?:share(?:\s+this)?|follow\s+(?:us|me|him|her|them)|like\s+\S+\s+on\s+facebook|tags?\s*:|tagged\s*:?|"
    r"filed\s+under|topics?\s*:|categories\s*:|posted\s+in|sign\s+up|subscribe|related(?:\s+(?:posts|articles|stories))?|"
    r"read\s+(?:more|next|also)|more\s+from|you\s+(?:may|might)\s+also\s+like|recommended|"
    r"teilen|schlagwörter|tags\s+:|partager|compartir|etiquetas|condividi|abonnieren|s'abonner|suscríbete)(?!\w)",
    re.IGNORECASE,
)
# A last line that is only the page's furniture: "Comments", "3 Comments", "Leave a reply", "Print".
_CHROME_WHOLE = re.compile(
    r"^(?:\d+\s+)?(?:comments?|kommentare?|commentaires?|comentarios?|commenti|reacties|"
    r"leave\s+a\s+(?:comment|reply)|print|e-?mail|share)\s*(?:\(\d+\))?$",
    re.IGNORECASE,
)
_MAX_CHROME_WORDS = 30
_BLOCKS = frozenset(
    {"p", "div", "section", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "header"}
)


# A theme's author box or card printed after the article (a photo, the name, a biography).
_AUTHOR_BOX = re.compile(
    r"author[-_]{0,2}(?:box|bio|card|info|desc|details|profile|about|wrap)|about[-_]?(?:the[-_]?)?author|"
    r"(?:follow|inline)[-_]?author|author[-_]{0,2}(?:avatar|image|img)",
    re.IGNORECASE,
)
# A call-to-action box (a class token `cta`, `nrplus-cta`, `cta_box`): a promotion, not the text.
_CALL_TO_ACTION = re.compile(r"(?:^|[\s_-])cta(?:$|[\s_-])", re.IGNORECASE)
_EMAIL_FIELD = "input[type='email'], input[name*='mail' i], input[placeholder*='mail' i], form"
_MAX_SIGNUP_WORDS = 40
_MAX_BLURB_WORDS = 60


def strip_inner_chrome(node: LexborNode, *, captions: bool = True) -> None:
    """Remove from a body what no article is made of, by structure and by what the markup says it
    is, in any template and language: a sign-up box (a form or e-mail field with its few words
    around it: "Sign up for our newsletter"), an author box or card and a call-to-action box (class
    or id naming one), and what HTML's own elements say is not the text: `figcaption` (a photo's
    caption; WordPress's `.wp-caption-text`), `nav`, `aside` (content tangential to the article:
    sidebars, pull quotes repeating the text, "More in …" lists) and a sectioning `footer` (its
    author, links and sharing); a `footer` inside a quotation or a figure is its citation and stays.
    `captions=False` keeps captions: a platform's own body (its API and feeds carry them in the
    post's content, and one post must read the same whichever way it was fetched)."""
    doomed = [_signup_box(field, node) for field in node.css(_EMAIL_FIELD)]
    for element in node.css("[class], [id]"):
        ident = f"{element.attributes.get('class') or ''} {element.attributes.get('id') or ''}"
        if _AUTHOR_BOX.search(ident) or _CALL_TO_ACTION.search(ident):
            doomed.append(element)
    chrome = "nav, aside, footer, figcaption, .wp-caption-text" if captions else "nav, aside, footer"
    for element in node.css(chrome):
        if element.tag != "footer" or not _inside(element, node, ("blockquote", "figure", "q")):
            doomed.append(element)
    remove_outermost(doomed, node)


def _signup_box(field: LexborNode, root: LexborNode) -> LexborNode:
    """The largest element around a form field, inside the body, of at most a few words."""
    box, parent = field, field.parent
    while parent is not None and parent.mem_id != root.mem_id:
        if len(node_text(parent).split()) > _MAX_SIGNUP_WORDS:
            break
        box, parent = parent, parent.parent
    return box


def remove_outermost(doomed: list[LexborNode], root: LexborNode) -> None:
    """Decompose each doomed element once, outermost first: a node inside one already removed is
    freed with it and never touched again."""
    ids = {d.mem_id for d in doomed if d.mem_id != root.mem_id}
    outermost: dict[int, LexborNode] = {}
    for element in doomed:
        if element.mem_id not in ids or element.mem_id in outermost:
            continue
        parent = element.parent
        while parent is not None and parent.mem_id != root.mem_id and parent.mem_id not in ids:
            parent = parent.parent
        if parent is None or parent.mem_id == root.mem_id:
            outermost[element.mem_id] = element
    for element in outermost.values():
        element.decompose()


def _inside(element: LexborNode, root: LexborNode, tags: tuple[str, ...]) -> bool:
    parent = element.parent
    while parent is not None and parent.mem_id != root.mem_id:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _is_subtitle(node: LexborNode, *, after_title: bool) -> bool:
    """Marked as a subtitle (class), or a heading right under the repeated title."""
    classes = (node.attributes.get("class") or "").lower()
    marked = any(w in classes for w in ("subtitle", "subhead", "dek", "standfirst", "excerpt"))
    return marked or (after_title and node.tag in ("h1", "h2", "h3", "h4", "h5", "h6"))


def trim_body(
    body_html: str, body_text: str, title: str | None, subtitle: str | None, url: str | None = None
) -> tuple[str, str]:
    """(html, text) without a repeated title/subtitle at the start and chrome lines at the end;
    the input unchanged when nothing is trimmed (or when trimming would leave nothing)."""
    tree = LexborHTMLParser(f"<div id='necwatch-trim'>{body_html}</div>")
    root = tree.css_first("#necwatch-trim")
    if root is None:
        return body_html, body_text
    blocks = [c for c in root.iter(include_text=False) if c.tag in _BLOCKS]
    if len(blocks) < 2:
        return body_html, body_text
    drop: list[LexborNode] = []
    title_key, subtitle_key = _key(title or ""), _key(subtitle or "")
    after_title = False
    for block in blocks[:4]:
        text = node_text(block)
        key = _key(text)
        if key and key == title_key:
            drop.append(block)
        elif key and key == subtitle_key and _is_subtitle(block, after_title=after_title):
            # a subtitle printed under the title or marked as one; a description that repeats the
            # first paragraph (Drupal's summary) or the first section heading (Medium's
            # description is the post's first lines) is the body's own and stays
            drop.append(block)
        elif key and len(text.split()) <= 8 and _CHROME_START.match(text):
            drop.append(block)  # "Sign up for our newsletter", "Share" before the text
        elif key and len(text.split()) <= 7 and _is_byline_line(text):
            drop.append(block)  # "By Jane Roe": the byline, not the text
        else:
            break
        after_title = key == title_key
    leading = len(drop)
    for block in reversed(blocks[leading + 1 :]):
        text = node_text(block)
        if _chrome_line(text):
            drop.append(block)
        else:
            break
    kept = [b for b in blocks[leading + 1 :] if not any(b.mem_id == d.mem_id for d in drop)]
    teasers = _teaser_tail(kept)
    drop.extend(teasers)
    if not teasers and url:
        drop.extend(_link_list_tail(kept, url))
    if not drop:
        return body_html, body_text
    for block in drop:
        block.decompose()
    text = node_text(root)
    if not text.strip():
        return body_html, body_text
    return (root.inner_html or "").strip(), text


def _chrome_line(text: str) -> bool:
    """A last block that is the page's furniture: empty, a short share/tags/related line, or only
    "Comments", "Print", "Leave a reply"."""
    short = len(text.split()) <= _MAX_CHROME_WORDS and bool(_CHROME_START.match(text))
    return not text.strip() or short or bool(_CHROME_WHOLE.match(text.strip()))


def _link_heading(block: LexborNode) -> bool:
    """A heading that is (mostly) a link: another post's headline."""
    if block.tag not in ("h2", "h3", "h4", "h5", "h6"):
        return False
    text = node_text(block)
    linked = sum(len(node_text(a)) for a in block.css("a[href]"))
    return bool(text) and 2 * linked >= len(text)


def _teaser_tail(blocks: list[LexborNode]) -> list[LexborNode]:
    """A list of other posts' teasers after the article's last paragraph: two or more headlines
    that are links, each with at most two short blurbs under it, and the list's own heading
    ("Other opinion columns", "More in …"). Found by structure, in any language; a post whose last
    sections are headed by links keeps them unless they are short and two or more."""
    units = 0
    pending = 0
    start: int | None = None
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if block.parent is None:
            continue
        words = len(node_text(block).split())
        if _link_heading(block):
            units += 1
            pending = 0
            start = index
        elif block.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            if units >= 2 and pending == 0 and words <= 8:
                start = index  # the list's own heading
            break
        elif words <= _MAX_BLURB_WORDS and pending < 2 and (units or start is None):
            pending += 1
        else:
            break
    if units < 2 or start is None:
        return []
    return [b for b in blocks[start:] if b.parent is not None]


def _link_list_tail(blocks: list[LexborNode], url: str) -> list[LexborNode]:
    """The body's last block a list of links to other pages of the same site and nothing else
    ("Editors' recommendations"), under a short label (a heading, or a line ending with ":"): the
    site's related posts. A list linking elsewhere (a post's references, its sources) stays."""
    if len(blocks) < 3 or blocks[-1].tag not in ("ul", "ol"):
        return []
    items = blocks[-1].css("li")
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    if len(items) < 2 or not host:
        return []
    for item in items:
        links = item.css("a[href]")
        text = node_text(item)
        linked = sum(len(node_text(a)) for a in links)
        if (
            not links
            or 2 * linked < len(text)
            or any(
                (urlsplit(urljoin(url, a.attributes.get("href") or "")).hostname or "").removeprefix("www.")
                != host
                for a in links
            )
        ):
            return []
    label = blocks[-2]
    words = node_text(label).strip()
    if len(words.split()) <= 6 and (label.tag in ("h2", "h3", "h4", "h5", "h6") or words.endswith(":")):
        return [label, blocks[-1]]
    return []


def _is_byline_line(text: str) -> bool:
    from necwatch.extract.metadata import lead_byline_name  # metadata reads pages; trim reads bodies

    return lead_byline_name(text) is not None
