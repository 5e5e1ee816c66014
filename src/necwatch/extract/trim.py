"""The edges of a body that are not the article: what a metadata node or the generic extractor kept
around the post's own text.

At the start: the post's title and subtitle repeated as the body's first blocks (Substack, Ghost
and many themes print them above the text inside the same container). At the end: share and
follow prompts, tag lists, newsletter and promotion lines, "related" headings with their list. Only
short blocks at the very edges go, and only by what they say they are; the text between is never
touched, so a paragraph that mentions sharing or tags in the middle of a report stays.

Platform readers' bodies (Blogger, WordPress) are not trimmed here: their containers are the
article itself, and the reference web's bodies are theirs.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.extract.text import node_text

__all__ = ["trim_body"]

# A block that is the page's chrome when it opens with one of these and is short: in the languages
# blogs are written in (share, follow, tags, subscribe, related, more, read also).
_CHROME_START = re.compile(
    r"^(?:share(?:\s+this)?|follow\s+(?:us|me|him|her|them)|like\s+\S+\s+on\s+facebook|tags?\s*:|tagged\s*:?|"
    r"filed\s+under|topics?\s*:|categories\s*:|posted\s+in|sign\s+up|subscribe|related(?:\s+(?:posts|articles|stories))?|"
    r"read\s+(?:more|next|also)|more\s+from|you\s+(?:may|might)\s+also\s+like|recommended|"
    r"teilen|schlagwörter|tags\s+:|partager|compartir|etiquetas|condividi|abonnieren|s'abonner|suscríbete)(?!\w)",
    re.IGNORECASE,
)
_MAX_CHROME_WORDS = 30
_BLOCKS = frozenset(
    {"p", "div", "section", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "header"}
)


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _is_heading(node: LexborNode) -> bool:
    classes = (node.attributes.get("class") or "").lower()
    return node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or any(
        w in classes for w in ("subtitle", "subhead", "dek", "standfirst", "excerpt")
    )


def trim_body(body_html: str, body_text: str, title: str | None, subtitle: str | None) -> tuple[str, str]:
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
    for block in blocks[:2]:
        key = _key(node_text(block))
        if key and key == title_key:
            drop.append(block)
        elif key and key == subtitle_key and _is_heading(block):
            # a subtitle printed as a heading; a description that repeats the first paragraph
            # (Drupal's summary) is the body's own first paragraph and stays
            drop.append(block)
        else:
            break
    for block in reversed(blocks[len(drop) + 1 :]):
        text = node_text(block)
        if text and len(text.split()) <= _MAX_CHROME_WORDS and _CHROME_START.match(text):
            drop.append(block)
        else:
            break
    if not drop:
        return body_html, body_text
    for block in drop:
        block.decompose()
    text = node_text(root)
    if not text.strip():
        return body_html, body_text
    return (root.inner_html or "").strip(), text
