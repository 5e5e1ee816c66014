"""WordPress: constants and small pure helpers every WordPress reader shares (titles, chrome, dates)."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import parse_iso
from necwatch.extract.text import strip_bidi
from necwatch.sources.hosted import clean_fragment, json_of, strip_nodes

# Inside the entry content, but not the article (plugins and WordPress.com append them).
CHROME_SELECTORS: tuple[str, ...] = (
    "#jp-post-flair",
    ".sharedaddy",
    "#jp-relatedposts",
    ".jp-relatedposts",
    ".wpcnt",  # WordPress.com ads
    ".wpl-likebox",
    ".progress-appeal",
    ".printfriendly",
    ".pf-button",
    ".author-box",
    "script",
    "style",
    "noscript",
)

# Status codes that, on a path's first request, mean "this site does not offer this path".
REST_ABSENT = frozenset({401, 403, 404, 410})
FEED_ABSENT = frozenset({404, 410})
# config `via` values shared with other platforms → this adapter's path names.
VIA_ALIASES = {"json": "rest", "feed": "rss"}

_POST_ID = re.compile(r"^post-(\d+)$")
_COMMENT_ID = re.compile(r"^(?:li-|div-)?comment-(\d+)$")
_P_QUERY = re.compile(r"[?&]p=(\d+)(?:&|$)")
_COMMENT_PAGE = re.compile(r"/comment-page-(\d+)/?$")
_COMMENT_LIST = (
    "ol.commentlist, ol.comment-list, ul.commentlist, ul.comment-list, div.commentlist, div.comment-list"
)
# A comment: `li#comment-ID`/`li#li-comment-ID`, or (themes that list comments as divs, WordPress's
# `style => div`) `div.comment#comment-ID` / `article.comment#comment-ID`.
_COMMENT_ITEM = "li[id], div.comment[id], article.comment[id]"
MAX_COMMENT_PAGES = 50  # a post's comment pages read in one poll, the post's own page included


# -- small pure helpers -------------------------------------------------------------------------


def split_title(raw: str) -> tuple[str, str | None]:
    """A served title → (title with U+00A0 as spaces, the raw title when it differs)."""
    raw = strip_bidi(raw).strip()
    title = re.sub(r"[ \t\r\n\f\u00a0]+", " ", raw).strip()
    return title, (raw if raw != title else None)


def fragment_text_raw(fragment: str) -> str:
    """An HTML fragment (a REST `title.rendered`) → its text, entities decoded, U+00A0 kept."""
    tree = LexborHTMLParser(f"<div id='necwatch-title'>{fragment}</div>")
    root = tree.css_first("#necwatch-title")
    return root.text(deep=True, separator="") if root is not None else html_lib.unescape(fragment)


def clean_body_html(fragment: str) -> str:
    """Entry content HTML → the same HTML without sharing/related/appeal/print/author chrome."""
    return clean_fragment(fragment, CHROME_SELECTORS)


def _strip_chrome(node: LexborNode) -> None:
    strip_nodes(node, CHROME_SELECTORS)


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def _json(url: str, data: bytes | str) -> Any:
    return json_of(url, _text(data))  # lone surrogates ("\ud800") cleaned


def _iso(url: str, text: str, what: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError as e:
        raise ParseError(f"bad {what}: {e}", url=url) from e
