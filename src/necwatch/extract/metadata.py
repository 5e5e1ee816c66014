"""Layer 2 of page extraction: the structured metadata a page carries about its post.

Platforms change templates, but most pages also describe the post for search engines and readers:
JSON-LD (`BlogPosting`/`Article`/`NewsArticle`, also inside `@graph`), microformats (`hentry` /
`h-entry`), schema.org `itemprop`, Open Graph / `article:*` meta, `time[datetime]`, `rel=author`. Each
reader returns only what it found, as `Found` (value, method), so the page extractor can fill the fields
the platform's own markup did not give and record which source answered.

Values are raw strings here (dates are parsed by the caller, with the source's time zone).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.extract.select import in_comments, is_comment, is_teaser
from necwatch.extract.text import clean_name, collapse_ws, strip_bidi

__all__ = [
    "ARTICLE_TYPES",
    "BYLINE",
    "POST_TIME",
    "POST_TIME_OWN",
    "Found",
    "MetaFields",
    "byline",
    "ld_article",
    "ld_objects",
    "lead_byline",
    "lead_byline_name",
    "looks_like_name",
    "name_shaped",
    "own_nodes",
    "post_scope",
    "read_metadata",
    "read_metadata_all",
]

ARTICLE_TYPES = frozenset(
    {"BlogPosting", "Article", "NewsArticle", "Posting", "SocialMediaPosting", "Report", "LiveBlogPosting"}
)


@dataclass(frozen=True)
class Found:
    """A value one layer found, and the name of the method that found it."""

    value: Any
    method: str


MetaFields = dict[str, Found]  # field → Found; fields: title, author, published, updated, labels, body


def read_metadata(tree: LexborHTMLParser) -> MetaFields:
    """Every structured-metadata reader in order of trust; the first to give a field wins it."""
    return {name: founds[0] for name, founds in read_metadata_all(tree).items()}


def read_metadata_all(tree: LexborHTMLParser) -> dict[str, list[Found]]:
    """Every value each reader found, per field, in order of trust: what the page says about its
    post in every vocabulary it uses, so disagreements (a re-publication date, a widget's
    heading) can be seen."""
    out: dict[str, list[Found]] = {}
    for reader in (_json_ld, _microformats, _itemprop, _meta, _time_and_rel, _byline, _meta_more):
        for name, found in reader(tree).items():
            if found.value not in (None, "", ()):
                out.setdefault(name, []).append(found)
    return out


def _text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return collapse_ws(strip_bidi(node.text(deep=True, separator=" "))) or None


# -- JSON-LD ----------------------------------------------------------------------------------------


def _ld_objects(doc: Any) -> Iterator[dict[str, Any]]:
    """Every object of a JSON-LD document: top-level lists and `@graph`s flattened."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            if isinstance(item.get("@graph"), list):
                stack.extend(reversed(item["@graph"]))


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    names = value if isinstance(value, list) else [value]
    return {str(n).rsplit("/", 1)[-1] for n in names if n}


def _ld_name(value: Any, by_id: dict[str, dict[str, Any]]) -> str | None:
    """An author value (string, Person, list, or an `@id` reference into the graph) → one name."""
    if isinstance(value, list):
        names = [n for v in value if (n := _ld_name(v, by_id))]
        return ", ".join(names) or None
    if isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str):
            value = by_id.get(value["@id"], value)
        name = value.get("name")
        return clean_name(str(name)) if isinstance(name, str) else None
    if isinstance(value, str) and not value.startswith(("http://", "https://")):
        return clean_name(value)
    return None


def _ld_text(text: str | None) -> str:
    """A JSON-LD block's JSON: CMSs (Drupal's metatag, old XHTML themes) wrap it in `<![CDATA[ … ]]>`
    or an HTML comment, which JSON does not allow."""
    body = (text or "").strip()
    for start, end in (("<![CDATA[", "]]>"), ("<!--", "-->"), ("//<![CDATA[", "//]]>")):
        if body.startswith(start) and body.endswith(end):
            body = body[len(start) : -len(end)].strip()
    return body or "null"


def ld_objects(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, in document order (lists and `@graph`s flattened)."""
    objects: list[dict[str, Any]] = []
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            objects.extend(_ld_objects(json.loads(_ld_text(script.text(deep=True)))))
        except ValueError:
            continue  # a broken block says nothing; the other layers still answer
    return objects


def ld_article(tree: LexborHTMLParser) -> dict[str, Any]:
    """The page's JSON-LD article object (the first of ARTICLE_TYPES), {} when none."""
    return next((o for o in ld_objects(tree) if _types(o) & ARTICLE_TYPES), {})


def _json_ld(tree: LexborHTMLParser) -> MetaFields:
    objects = ld_objects(tree)
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    article = next((o for o in objects if _types(o) & ARTICLE_TYPES), None)
    if article is None:  # a WebPage still dates itself (Yoast's graph on posts without Article)
        page = next((o for o in objects if _types(o) & {"WebPage", "ItemPage"}), None)
        if page is None:
            return {}
        return {
            "published": Found(page.get("datePublished"), "json-ld"),
            "updated": Found(page.get("dateModified"), "json-ld"),
            "author": Found(_ld_name(page.get("author"), by_id), "json-ld"),  # schema.org WebPage.author
        }
    keywords = article.get("keywords")
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    labels = (
        tuple(str(k).strip() for k in keywords or () if str(k).strip()) if isinstance(keywords, list) else ()
    )
    headline = article.get("headline") or article.get("name")
    return {
        "title": Found(collapse_ws(strip_bidi(str(headline))) if headline else None, "json-ld"),
        "author": Found(_ld_name(article.get("author"), by_id), "json-ld"),
        "published": Found(article.get("datePublished") or article.get("dateCreated"), "json-ld"),
        "updated": Found(article.get("dateModified"), "json-ld"),
        "labels": Found(labels, "json-ld"),
    }


# -- microformats (hentry / h-entry) -----------------------------------------------------------------


def _stamp(node: LexborNode | None) -> str | None:
    """A date element's machine value: `datetime`, `title` (abbr.published), `content`, else text."""
    if node is None:
        return None
    attrs = node.attributes
    return attrs.get("datetime") or attrs.get("title") or attrs.get("content") or _text(node)


def _microformats(tree: LexborHTMLParser) -> MetaFields:
    entry = next((e for e in tree.css(".h-entry, .hentry") if not is_comment(e)), None)
    if entry is None:
        return {}
    body = entry.css_first(".e-content, .entry-content")
    author = entry.css_first(".p-author .p-name, .author.vcard .fn, .p-author, .author .fn, .vcard .fn")
    return {
        "title": Found(_text(entry.css_first(".p-name.entry-title, .entry-title, .p-name")), "microformats"),
        "body": Found(body, "microformats"),
        "published": Found(_stamp(entry.css_first(".dt-published, .published")), "microformats"),
        "updated": Found(_stamp(entry.css_first(".dt-updated, .updated")), "microformats"),
        "author": Found(clean_name(_text(author)), "microformats"),
    }


# -- schema.org itemprop ------------------------------------------------------------------------------


def _itemprop(tree: LexborHTMLParser) -> MetaFields:
    author = tree.css_first('[itemprop~="author"] [itemprop~="name"]') or tree.css_first(
        '[itemprop~="author"]'
    )
    author_name = author.attributes.get("content") if author is not None and author.tag == "meta" else None
    return {
        "title": Found(
            _text(tree.css_first('[itemprop~="headline"]:not(meta)'))
            or _attr(tree, 'meta[itemprop~="headline"]', "content"),
            "itemprop",
        ),
        "body": Found(tree.css_first('[itemprop~="articleBody"]'), "itemprop"),
        # the post's own, not a comment's or a teaser's (comments carry itemprop=datePublished too)
        "published": Found(_stamp(next(own_nodes(tree, '[itemprop~="datePublished"]'), None)), "itemprop"),
        "updated": Found(_stamp(next(own_nodes(tree, '[itemprop~="dateModified"]'), None)), "itemprop"),
        "author": Found(clean_name(author_name or _text(author)), "itemprop"),
    }


def _attr(tree: LexborHTMLParser, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    return (node.attributes.get(name) or None) if node is not None else None


# -- Open Graph / article:* meta ------------------------------------------------------------------------


# Where a page's head names its author, in order of trust: HTML's standard `author`, Open Graph's
# `article:author`, Dublin Core's `creator`, and the analytics vocabularies news CMSs write for every
# article (Parse.ly, Sailthru, the `authors`/`byl` names of newsroom CMSs).
AUTHOR_META = ('meta[name="author"]', 'meta[property="article:author"]')
# Read after the page's visible byline (they are often written in capitals or as a list).
AUTHOR_META_MORE = (
    'meta[name="dc.creator"]',
    'meta[name="DC.creator"]',
    'meta[name="dcterms.creator"]',
    'meta[name="parsely-author"]',
    'meta[name="sailthru.author"]',
    'meta[name="authors"]',
    'meta[name="byl"]',
)


def _meta_author(tree: LexborHTMLParser, selectors: tuple[str, ...] = AUTHOR_META) -> str | None:
    for selector in selectors:
        value = _attr(tree, selector, "content")
        if value and not value.startswith(("http://", "https://")):  # Facebook profile URLs, not names
            return value.strip(" |,;") or None
    return None


def _meta(tree: LexborHTMLParser) -> MetaFields:
    author = _meta_author(tree)
    tags = tuple(
        t
        for n in tree.css('meta[property="article:tag"]')
        if (t := (n.attributes.get("content") or "").strip())
    )
    title = _attr(tree, 'meta[property="og:title"]', "content") or _attr(
        tree, 'meta[name="twitter:title"]', "content"
    )
    return {
        "title": Found(collapse_ws(strip_bidi(title)) if title else None, "meta"),
        "published": Found(
            _attr(tree, 'meta[property="article:published_time"]', "content")
            or _attr(tree, 'meta[name="date"]', "content")
            or _attr(tree, 'meta[name="dc.date"]', "content"),
            "meta",
        ),
        "updated": Found(_attr(tree, 'meta[property="article:modified_time"]', "content"), "meta"),
        "author": Found(clean_name(author), "meta"),
        "labels": Found(tags, "meta"),
    }


# -- time[datetime] and rel=author ----------------------------------------------------------------------


# The post's own date element, most specific first: WordPress/hAtom/schema.org classes, then any
# `time[datetime]` of the post's container.
POST_TIME = (
    "time.entry-date[datetime], time.published[datetime], time.dt-published[datetime], "
    "time[itemprop~='datePublished'][datetime], time[pubdate][datetime], time[datetime]"
)
# Only the elements that say they are the post's date (not any `time` of the post's container).
POST_TIME_OWN = ", ".join(POST_TIME.split(", ")[:-1])
# Bylines and theme author boxes, most specific first (hCard, schema.org, common theme classes).
BYLINE = (
    ".byline .author a, .byline a[rel~='author'], .byline .name, [class*='byline'] [class*='name'], "
    ".author-name, .author_name, .post-author-name, .entry-author-name, a.author-link, .author-link, "
    "[class*='byline'] a[href*='/author'], a[href*='/author/'], .author a, .byline, [class*='byline']"
)


def post_scope(tree: LexborHTMLParser) -> LexborHTMLParser | LexborNode:
    """The post's container: the first `article` that is not a comment or a teaser, else `main`."""
    for node in tree.css("article"):
        if not is_comment(node) and not is_teaser(node):
            return node
    return tree.css_first("main") or tree


def own_nodes(scope: LexborHTMLParser | LexborNode, selectors: str) -> Iterator[LexborNode]:
    """Matches of `selectors` in order of trust that belong to the post: not inside a comment
    list, not inside a teaser of another post (related, popular, sidebar, navigation)."""
    for selector in selectors.split(", "):
        for node in scope.css(selector):
            if not in_comments(node) and not is_teaser(node):
                yield node


def _time_and_rel(tree: LexborHTMLParser) -> MetaFields:
    scope = post_scope(tree)
    stamp = next((n.attributes.get("datetime") for n in own_nodes(scope, POST_TIME)), None)
    author = next(own_nodes(scope, 'a[rel~="author"]'), None)
    if author is None and scope is not tree:  # a `rel=author` in the page's header
        author = next(own_nodes(tree, 'a[rel~="author"]'), None)
    return {"published": Found(stamp, "time"), "author": Found(clean_name(_text(author)), "rel-author")}


def _meta_more(tree: LexborHTMLParser) -> MetaFields:
    return {"author": Found(clean_name(_meta_author(tree, AUTHOR_META_MORE)), "meta")}


def _byline(tree: LexborHTMLParser) -> MetaFields:
    return {"author": Found(byline(tree), "byline")}


# Weaker byline evidence, read only inside the post and only for a name-shaped text: a short
# element (12 words at most) whose class names the author (BEM `article__author`), its link first,
# then its text; a link to an author
# page without a class (`/author/`, `/authors/`, `/contributor/`, `/autor/`, `/auteur/`).
_BYLINE_BOX_WORDS = 12
LOOSE_BYLINE = (
    "[class*='author'], a[href*='/contributor'], a[href*='/autor/'], "
    "a[href*='/auteur/'], a[href*='/autore/'], a[href*='/auteur-']"
)
# A byline written as a plain line at the article's start: "By Jane Roe", "Von Jana Beispiel".
_LEAD_BYLINE = re.compile(r"^(?:by|von|par|por|door|przez|di|av|af|od)\s*:?\s+\S", re.IGNORECASE)
_LEAD_TAGS = "p, div, span, address, strong, em, b, h4, h5, h6, li"
_LEAD_NODES = 400  # elements looked at before the article's text (bounded)
_PARTICLES = frozenset(
    {
        "von",
        "van",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "du",
        "la",
        "le",
        "bin",
        "al",
        "y",
        "e",
        "and",
        "und",
    }
)


def byline(tree: LexborHTMLParser) -> str | None:
    """A name printed as the post's byline or in the theme's author box ("By Jane Roe", "von
    Jane Roe", "Posted by admin"); None when no such element holds a short name. Then, inside the
    post only, weaker evidence for a name-shaped text: an element whose class names the author, a
    link to an author page, a plain "By Jane Roe" line before the article's first paragraph."""
    scope = post_scope(tree)
    for where in (scope, tree) if scope is not tree else (tree,):
        for node in own_nodes(where, BYLINE):
            names = _link_names(node) if node.tag != "a" else None
            if names:
                return names
            name = clean_name(_text(node))
            if name and looks_like_name(name) and (node.tag != "a" or _named(node, name)):
                return name
    for node in own_nodes(scope, LOOSE_BYLINE):
        text = _text(node) or ""
        if len(text.split()) > _BYLINE_BOX_WORDS:
            continue  # a container whose class names its author (`author-jane`), not a byline
        for candidate in (*node.css("a"), node):
            name = clean_name(_text(candidate))
            if name and looks_like_name(name) and name_shaped(name):
                return name
    return lead_byline(scope)


_JOINERS = re.compile(r"[\s,&]+|\band\b|\bund\b|\bet\b|\by\b", re.IGNORECASE)


def _link_names(node: LexborNode) -> str | None:
    """A byline whose own words are only its wording ("By", "By … and …") and whose names are its
    links → the names, joined with ", " as JSON-LD's lists are ("Ann Able, Ben Baker"); None when
    the byline says more than that (a date, a role) or its links are not names."""
    links = node.css("a")
    if not links or len(links) > 6:
        return None
    names = []
    rest = _text(node) or ""
    for link in links:
        text = _text(link) or ""
        name = clean_name(text)
        if not name or not looks_like_name(name) or not name_shaped(name) or text not in rest:
            return None
        names.append(name)
        rest = rest.replace(text, " ", 1)
    if clean_name(_JOINERS.sub(" ", rest)) is not None:
        return None  # words besides the byline's wording and the names
    return ", ".join(dict.fromkeys(names))


def lead_byline(scope: LexborHTMLParser | LexborNode) -> str | None:
    """ "By Jane Roe" as a line of its own before the article's first paragraph (of 30+ words)."""
    for seen, node in enumerate(scope.css(_LEAD_TAGS)):
        if seen >= _LEAD_NODES:
            break
        text = _text(node) or ""
        words = len(text.split())
        if node.tag == "p" and words > 30:
            break  # the article's text has begun
        if 2 <= words <= 7 and not in_comments(node) and not is_teaser(node):
            name = lead_byline_name(text)
            if name is not None:
                return name
    return None


def lead_byline_name(text: str) -> str | None:
    """ "By Jane Roe" / "Von Jana Beispiel" → the name; None for any other line."""
    if not _LEAD_BYLINE.match(text):
        return None
    name = clean_name(text)
    return name if name and name != text and looks_like_name(name) and name_shaped(name) else None


# Words of a theme's furniture and of job titles, not of names ("Follow Author", "Submitted",
# "CH Contributor", "Family Editor"), in the languages blogs are written in.
_NOT_NAME_WORDS = frozenset(
    {
        "author", "authors", "autor", "auteur", "autore", "follow", "share", "posts", "post", "more", "view",
        "all", "contact", "about", "editor", "editors", "contributor", "contributors", "staff", "team",
        "submitted", "written", "posted", "published", "updated", "read", "comments", "comment",
        "subscribe", "profile", "bio", "redaktion", "rédaction", "redacción", "redazione",
    }
)  # fmt: skip


def name_shaped(text: str) -> bool:
    """A person's or a user's name: one token ("admin", "rmb8090"), or words that each begin with a
    capital (name particles aside: "Ursula von der Leyen"); not "About the author", "More posts",
    "Follow Author", "Last Updated: January 7", "→ Learn More" (no name holds a symbol: arrows,
    ©, ★)."""
    words = text.split()
    if ":" in text or any(w.strip(".,'’").casefold() in _NOT_NAME_WORDS for w in words):
        return False
    if any(unicodedata.category(c) in ("Sm", "So") for c in text):
        return False
    if len(words) == 1:
        return any(c.isalnum() for c in words[0])
    letters = [w for w in words if any(c.isalpha() for c in w)]
    return bool(letters) and all(w[0].isupper() or w.lower() in _PARTICLES for w in letters)


def _named(link: LexborNode, name: str) -> bool:
    """A link to an author page holds a name, not "more"/"mehr"/"plus": a capital or a digit in it,
    or its own byline class."""
    classes = (link.attributes.get("class") or "").lower()
    return any(c.isupper() or c.isdigit() for c in name) or "author" in classes or "byline" in classes


_DATE_OR_TIME = re.compile(r"\d{1,2}[:./]\d{2}|\b(?:19|20)\d{2}\b")


def looks_like_name(text: str) -> bool:
    """One to five words, no date or time in it, not a sentence: a byline or a user name
    ("rmb8090"), not the author box's biography or "Posted on 5 May 2019"."""
    words = text.split()
    if any(unicodedata.category(c) in ("Sm", "So") for c in text):
        return False  # no name holds a symbol: "→ Learn More", "© Example Media", "★ Top writer"
    return 0 < len(words) <= 5 and not _DATE_OR_TIME.search(text) and not text.endswith((".", "!", "?"))
