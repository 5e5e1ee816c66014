"""selectolax selection that fails loudly (spatula-style).

A selector that matches nothing means the template changed: that is a ParseError naming the URL and the
selector, never silently empty data. Use `css_first_or_none` only where absence is a normal state
(an optional byline, a page without comments).
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.limits import check_complexity

__all__ = [
    "attr",
    "css_first_or_none",
    "css_many",
    "css_one",
    "first_of",
    "in_comments",
    "is_comment",
    "is_teaser",
    "parse_html",
    "text_of",
]

Tree = LexborHTMLParser | LexborNode


def parse_html(html: str | bytes, url: str) -> LexborHTMLParser:
    """Parse a page; bytes are decoded as UTF-8 with replacement (the fetcher has already decoded text)."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html or html.isspace():  # not `html.strip()`: that copies the whole page to test it
        raise ParseError("empty document", url=url)
    check_complexity(html, url)  # before the parse: lexbor is O(depth) per element
    return LexborHTMLParser(html)


def css_one(tree: Tree, selector: str, url: str) -> LexborNode:
    """The first node matching `selector`; ParseError when there is none."""
    node = tree.css_first(selector)
    if node is None:
        raise ParseError("required element not found", url=url, selector=selector)
    return node


def css_many(tree: Tree, selector: str, url: str, *, min_items: int = 1) -> list[LexborNode]:
    """All nodes matching `selector`; ParseError when fewer than `min_items` match."""
    nodes = list(tree.css(selector))
    if len(nodes) < min_items:
        raise ParseError(
            f"expected at least {min_items} element(s), found {len(nodes)}", url=url, selector=selector
        )
    return nodes


def first_of(tree: Tree, selectors: str, *, skip_comments: bool = True) -> LexborNode | None:
    """The first match of the first comma-separated selector that matches anything: selectors in
    order of trust, where `css_first("a, b")` would return whichever comes first in the document.
    Matches inside a comment list are skipped: a commenter's name, date or text is not the post's."""
    for selector in selectors.split(", "):
        for node in tree.css(selector):
            if not (skip_comments and in_comments(node)):
                return node
    return None


def in_comments(node: LexborNode) -> bool:
    """Inside a comment list (an ancestor whose id or class names comments)."""
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html"):
        ident = f"{parent.attributes.get('id') or ''} {parent.attributes.get('class') or ''}".lower()
        if "comment" in ident and "no-comment" not in ident:
            return True
        parent = parent.parent
    return False


def is_comment(node: LexborNode) -> bool:
    """One comment of a comment list, or inside one (WordPress gives each comment the classes
    `comment … hentry`, so a microformats reader would take the first comment for the post)."""
    ident = node.attributes.get("id") or ""
    classes = (node.attributes.get("class") or "").lower().split()
    if ident.startswith(("comment-", "li-comment-")) or any(
        c in ("comment", "comment-body", "pingback", "trackback") or c.startswith("comment-") for c in classes
    ):
        return True
    return in_comments(node)


# Containers of other posts' teasers, promotions and navigation: their dates, names and titles are
# not the post's ("Related", "Most popular", "More from", sidebars, menus).
_TEASER_WORDS = (
    "related", "teaser", "sidebar", "popular", "recommend", "more-from", "morefrom", "trending",
    "promo", "newsletter", "read-next", "readnext", "up-next", "also-read", "carousel", "most-read",
)  # fmt: skip


def _site_wide(node: LexborNode, ident: str) -> bool:
    parent = node.parent
    return (
        node.attributes.get("role") in ("banner", "contentinfo")
        or any(w in ident for w in ("site", "masthead", "global", "page-footer", "page-header"))
        or (parent is not None and parent.tag == "body")
    )


def is_teaser(node: LexborNode) -> bool:
    """Inside an aside, a navigation, or a container whose id or class names teasers of other posts;
    or inside the site's masthead or footer (role banner/contentinfo, a site/masthead class, or a
    child of `body`); a post's own header or footer (its dateline, its byline) is the post's."""
    ancestors = []
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html"):
        ancestors.append(parent)
        parent = parent.parent
    in_article = any(a.tag == "article" for a in ancestors)
    for a in ancestors:
        ident = f"{a.attributes.get('id') or ''} {a.attributes.get('class') or ''}".lower()
        if a.tag in ("aside", "nav"):
            return True
        if a.tag in ("header", "footer") and not in_article and _site_wide(a, ident):
            return True  # the site's masthead or footer; a post's own header or footer is the post's
        if any(w in ident for w in _TEASER_WORDS):
            return True
    return False


def css_first_or_none(tree: Tree, selector: str) -> LexborNode | None:
    """The first match or None, for elements that are legitimately optional."""
    return tree.css_first(selector)


def attr(node: LexborNode, name: str, url: str, *, selector: str | None = None) -> str:
    """A required, non-empty attribute value; ParseError naming the element when it is missing."""
    value = node.attributes.get(name)
    if not value:
        raise ParseError(f"attribute {name!r} missing", url=url, selector=selector or node.tag)
    return value


def text_of(node: LexborNode) -> str:
    """Node text with whitespace (U+00A0 included) collapsed: for titles, names, dates."""
    from necwatch.extract.text import collapse_ws

    return collapse_ws(node.text(deep=True, separator=""))
