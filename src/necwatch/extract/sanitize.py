"""Stored HTML is untrusted: this is the one place it is made safe to render (nh3, an allow-list).

No script/style content, no event handlers, no iframes/objects/forms, no javascript:/data: URLs,
links get rel="noopener noreferrer nofollow" and relative URLs are resolved against the page.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urljoin

import nh3

from necwatch.extract.limits import is_too_complex

_TAGS = re.compile(r"<[^>]*>")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_html(html: str, base_url: str | None = None) -> str:
    """Untrusted HTML → HTML safe to render anywhere (Datasette pages, Atom feeds)."""

    def resolve(element: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src", "cite") and base_url:
            return urljoin(base_url, value)
        return value

    if is_too_complex(html) is not None:  # html5ever is O(depth) per element: keep the text only
        return "<p>" + escape(_TAGS.sub(" ", html)) + "</p>"
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "noscript",
            "template",
            "svg",
            "math",
        },
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=resolve,
    ).strip()
