"""Post cards: the links a home page or archive shows to its posts, and whether a page is such a listing.

Themes show a post on a listing in one of two shapes: the heading holds the link
(`<h2><a href="/p/">Title</a></h2>`, WordPress's `.entry-title`) or the link wraps the card with its
heading inside (`<a href="/p/"><h2>Title</h2><p>excerpt</p></a>`, Hugo, Ghost, Squarespace and most
hand-made sites, where `<h2 a>` selectors find nothing). Both are read here, in page order, from the
page's content only: links inside navigation, headers, footers, sidebars, related-post and comment
blocks are never a post of this listing.

`listing_links` says whether the page as a whole is a listing (so `inspect` lists its posts instead
of extracting it as one post): at least two post links, and the cards (each link's container, the
largest ancestor holding no other post link and no other heading) carry more text than the page's
own prose outside them (a card stops growing at CARD_TEXT characters and at a second heading, so an
author-box or label link inside a post never makes the post a card). A post page with a few
related-post cards below its body is still a post, and a page that declares itself one post
(`og:type` article, JSON-LD Article/BlogPosting) is never a listing. On 582 article pages of public
test corpora none is called a listing. Everything is bounded: a fixed climb per link, each element
asked once whether it is chrome, no regex.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Card", "listing_links", "post_links"]

HEADINGS = "h1, h2, h3, h4, h5, h6"
# A title element inside a link card that themes mark by class rather than by a heading.
TITLES = '[class*="title"], [class*="headline"]'
CHROME_TAGS = frozenset({"nav", "aside", "form", "menu"})  # and header/footer outside an article
# class/id words (prefixes of a word of a class token) of blocks whose links are not this listing's
CHROME_WORDS = ("related", "widget", "sidebar", "menu", "nav", "breadcrumb", "comment", "share",
                "footer", "masthead", "popular", "trending", "recommended")  # fmt: skip
MAX_TEXTS = 50_000  # text nodes weighed at most (a listing is decided long before)
NOT_PROSE = frozenset({"a", "script", "style", "noscript", "template", "button", "select", "option", "svg"})
CLIMB = 8  # ancestors looked at above a link (cards nest a few levels deep)
CHROME_CLIMB = 30  # ancestors looked at for chrome (a link deep in a footer is still in it)
MIN_CARDS = 2
CARD_TEXT = 1500  # characters: a card (title, date, excerpt) is short; an ancestor beyond holds more
ARTICLE_TYPES = frozenset({"article", "blogposting", "newsarticle", "reportagenewsarticle",
                           "opinionnewsarticle", "analysisnewsarticle", "socialmediaposting",
                           "liveblogposting"})  # fmt: skip


@dataclass(frozen=True)
class Card:
    """One post a listing shows: its absolute URL and the title its heading gives."""

    url: str
    title: str


@dataclass(frozen=True)
class _Found:
    card: Card
    node: LexborNode  # the link (link-wraps-heading) or the heading (heading-holds-link)


def _words(node: LexborNode) -> str:
    return " ".join((node.text(deep=True, separator=" ") or "").split())


def _marked(node: LexborNode) -> bool:
    """Whether the element's class or id names a chrome block: a word of a class token starts with
    a CHROME_WORDS word (`sidebar-primary`, `widget_recent_entries`, `jp-relatedposts`)."""
    marks = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
    parts = marks.replace("_", "-").replace(" ", "-").split("-")
    return any(part.startswith(word) for part in parts if part for word in CHROME_WORDS)


def _is_chrome(node: LexborNode) -> bool:
    """Navigation, the page's header or footer (not an article's own), a sidebar, a related-posts,
    share or comment block; never an element that holds the page's content (a layout wrapper
    `content-sidebar-wrap`, an ASP.NET page's one `<form>`: they hold its `main` or its `h1`)."""
    tag = node.tag or ""
    if tag in ("header", "footer"):
        chrome = not _has_ancestor(node, "article")
    else:
        chrome = tag in CHROME_TAGS or (node.attributes.get("role") or "") == "navigation" or _marked(node)
    return chrome and node.css_first('main, [role="main"], h1') is None


def _within(node: LexborNode, own: Callable[[LexborNode], bool], memo: dict[int, bool]) -> bool:
    """Whether `node` or an ancestor below `body`/`main` answers `own`; each element is asked once
    per page (`memo`), so every node of a page can be asked in linear time."""
    path: list[int] = []
    answer = False
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html", "main") and len(path) < CHROME_CLIMB:
        key = current.mem_id
        if key in memo:
            answer = memo[key]
            break
        path.append(key)
        if own(current):
            answer = True
            break
        current = current.parent
    for key in path:
        memo[key] = answer
    return answer


def _in_chrome(node: LexborNode, memo: dict[int, bool]) -> bool:
    """Whether `node` is or sits in navigation, a header or footer of the page (an article's own
    header and footer are the article's), a sidebar, or a related-posts, share or comment block."""
    return _within(node, _is_chrome, memo)


def _has_ancestor(node: LexborNode, tag: str) -> bool:
    parent, steps = node.parent, 0
    while parent is not None and steps < CHROME_CLIMB:
        if parent.tag == tag:
            return True
        parent, steps = parent.parent, steps + 1
    return False


def _site(tree: LexborHTMLParser, url: str) -> str:
    """The host links must be on: the page's own, or its canonical address's for a saved file."""
    host = (urlsplit(url).hostname or "").lower()
    if host:
        return host
    for selector, attr in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        if node is not None and (found := urlsplit(node.attributes.get(attr) or "").hostname):
            return found.lower()
    return ""  # a saved file that does not say where it came from: any web link counts


def _own_urls(tree: LexborHTMLParser, url: str) -> set[str]:
    """The page's own addresses (its URL, canonical and og:url), to skip its title's permalink."""
    own = {url}
    for selector, attr in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        if node is not None and (href := (node.attributes.get(attr) or "").strip()):
            own.add(urljoin(url, href))
    return {u.split("#", 1)[0].rstrip("/") for u in own}


def _post_url(url: str, site: str, own: set[str], href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
        return None
    link = urljoin(url, href).split("#", 1)[0]
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") and not (parts.scheme == "file" and not site):
        return None
    if site and (parts.hostname or "").lower().removeprefix("www.") != site.removeprefix("www."):
        return None
    if parts.path in ("", "/") and not parts.query:
        return None  # the home page
    if link.rstrip("/") in own:
        return None  # the page itself (its own title's permalink)
    return link


def _found(tree: LexborHTMLParser, url: str) -> list[_Found]:
    """Post links in page order: links wrapping a heading or title, and headings holding a link."""
    body = tree.body
    if body is None:
        return []
    site, own = _site(tree, url), _own_urls(tree, url)
    seen: dict[int, bool] = {}
    found: list[_Found] = []
    urls: set[str] = set()
    for node in body.css(f"a[href], {HEADINGS}"):
        if node.tag == "a":
            title_node = node.css_first(HEADINGS) or node.css_first(TITLES)
            if title_node is None:
                continue
            href, anchor = node.attributes.get("href") or "", node
        else:
            link = node.css_first("a[href]")
            if link is None:
                continue
            href, anchor, title_node = link.attributes.get("href") or "", node, link
        post = _post_url(url, site, own, href)
        title = _words(title_node)
        if post is None or not title or post in urls or _in_chrome(anchor, seen):
            continue
        urls.add(post)
        found.append(_Found(Card(post, title), anchor))
    return found


def post_links(tree: LexborHTMLParser, url: str) -> list[Card]:
    """Every post link the page's content shows, in page order, each URL once."""
    return [f.card for f in _found(tree, url)]


def _chain(node: LexborNode, limit: int) -> list[LexborNode]:
    out: list[LexborNode] = []
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html") and len(out) < limit:
        out.append(parent)
        parent = parent.parent
    return out


def _declares_article(tree: LexborHTMLParser) -> bool:
    og = tree.css_first('meta[property="og:type"]')
    if og is not None and (og.attributes.get("content") or "").strip().lower() == "article":
        return True
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text() or "null")
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data]
        if isinstance(data, dict) and isinstance(data.get("@graph"), list):
            items = data["@graph"]
        for item in items:
            kind = item.get("@type") if isinstance(item, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds):
                return True
    return False


def listing_links(tree: LexborHTMLParser, url: str) -> list[Card] | None:
    """The page's post links when the page is a listing of posts, else None (one post, or no cards)."""
    found = _found(tree, url)
    if len(found) < MIN_CARDS or _declares_article(tree):
        return None
    chains = [_chain(f.node, CLIMB) for f in found]
    holds = Counter(a.mem_id for chain in chains for a in chain)
    containers: list[LexborNode] = []
    for f, chain in zip(found, chains, strict=True):
        card = f.node
        for ancestor in chain:
            if holds[ancestor.mem_id] > 1 or len(_words(ancestor)) > CARD_TEXT:
                break
            if len(ancestor.css("h1, h2, h3, h4, h5, h6")) > 1:  # a card has one heading, its title
                break
            card = ancestor
        containers.append(card)
    inside = sum(len(_words(c)) for c in containers)
    ids = {c.mem_id for c in containers}

    def elsewhere(node: LexborNode) -> bool:  # text that is no prose of the page's own
        return node.mem_id in ids or node.tag in NOT_PROSE or _is_chrome(node)

    # the page's own prose: its text outside chrome, cards, links and scripts, in whatever element
    outside, memo = 0, dict[int, bool]()
    body = tree.body
    texts = body.traverse(include_text=True) if body is not None else iter(())
    for n, node in enumerate(t for t in texts if t.tag == "-text"):
        if n >= MAX_TEXTS or outside >= inside:
            break
        text = node.text_content or ""
        if text.strip() and node.parent is not None and not _within(node.parent, elsewhere, memo):
            outside += len(" ".join(text.split()))
    if outside >= inside:
        return None
    return [f.card for f in found]
