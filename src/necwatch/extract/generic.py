"""Layer 3 of page extraction: a generic main-content extractor, for pages whose platform markup and
metadata give no body (a custom template with neither `.post-body`/`.entry-content` nor `h-entry`).

trafilatura is the field's maintained library for this: on its own benchmark it leads the open-source
extractors on precision and recall, it handles blogs in every language, and it needs no network. It is
imported lazily (~0.3 s): pages the first two layers read never pay for it. A body from here is marked
`generic:trafilatura` so `inspect`, `status` and the stored `posts.extraction` say it is a guess of
what the article is, not what the platform marks up as the article.

Titles: a page's `<title>` usually appends the site's name ("Post — My Blog"); the generic title is the
page's single `<h1>`, else `<title>` with the site-name part removed.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from necwatch.extract.chars import drop_bad_charrefs
from necwatch.extract.text import collapse_ws, strip_bidi

__all__ = ["GENERIC_BODY", "generic_body", "generic_date", "generic_title"]

GENERIC_BODY = "generic:trafilatura"


def generic_body(html: str, url: str) -> str | None:
    """The page's main content as HTML (paragraphs, lists, headings, quotes), or None when
    trafilatura finds none."""
    import trafilatura  # deferred: see the module docstring

    out = trafilatura.extract(
        drop_bad_charrefs(html),  # lxml drops a whole document over one `&#1;` or `&#xD800;`
        url=url,
        output_format="html",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=True,
        favor_precision=True,
        deduplicate=False,
        with_metadata=False,
    )
    if not out:
        return None
    body = re.sub(r"^\s*<html><body>|</body></html>\s*$", "", out)
    return body.strip() or None


def generic_date(html: str, url: str) -> str | None:
    """The publication day htmldate (trafilatura's date finder) reads from markup, URL and printed
    dates, without its extensive search (which guesses from any date on the page)."""
    from htmldate import find_date

    try:
        found = find_date(
            drop_bad_charrefs(html),
            url=url,
            original_date=True,
            extensive_search=False,
            outputformat="%Y-%m-%d",
        )
    except (ValueError, TypeError):  # htmldate raises on documents it cannot parse
        return None
    return found or None


def generic_title(tree: LexborHTMLParser, url: str = "") -> str | None:
    """The one `<h1>` in the page's main area, else `<title>` without the site's name (matched by
    name, never cut at the first dash: extract/titles.py)."""
    from necwatch.extract.titles import site_names, strip_site_name

    scope = tree.css_first("article") or tree.css_first("main") or tree.css_first("body")
    if scope is not None:
        heads = [t for h in scope.css("h1") if (t := collapse_ws(strip_bidi(h.text(deep=True))))]
        if len(heads) == 1:
            return heads[0]
    node = tree.css_first("head title") or tree.css_first("title")
    if node is None:
        return None
    title = collapse_ws(strip_bidi(node.text(deep=True)))
    return strip_site_name(title, site_names(tree, url)) or None
