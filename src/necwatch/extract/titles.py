"""A post's title as the page states it: which candidate to believe, and the site's name off it.

A page names its post several times: the platform's heading (`.entry-title`, `.post-title`), the
JSON-LD `headline`, `og:title`, `twitter:title` and `<title>`. A theme's heading selector can match a
widget ("Click here to subscribe to our newsletter"); a candidate none of the page's own title
statements (`<title>`, `og:title`, `twitter:title`, JSON-LD `headline`) contains, nor contains one of
them, is set aside for the first that does.

Site names come off by what the page says its site is called (`og:site_name`, `application-name`,
JSON-LD `WebSite`/`publisher` names, the host name's label), never by position: a part of the title
between separators (`|`, `–`, `—`, `-`, `·`, `»`, `›`, `:`) is dropped only at either end and only when it
is one of those names (or "Medium" on a Medium page, or the post's author, "by <author>"). A title
with a dash and no site name in it keeps its dash ("Re-selection - what the NEC decided" stays whole).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from necwatch.extract.text import collapse_ws, strip_bidi

__all__ = [
    "agrees",
    "is_site_name",
    "site_names",
    "strip_site_from_name",
    "strip_site_name",
    "title_statements",
]

_SEP = re.compile(r"\s+(?:[|–—·»«›‹]|-{1,2}|::)\s+|:\s+")
_SITE_SEPS = frozenset({"|", "–", "—", "-", "·"})  # the separators a site's name follows
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)
_ALNUM = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")


def _key(text: str) -> str:
    return _ALNUM.sub("", text.casefold())


def title_statements(tree: LexborHTMLParser) -> tuple[str | None, list[str]]:
    """What the page's head says its title is: `<title>` (often the site's name alone), and the
    post-level statements `og:title`, `twitter:title`."""
    node = tree.css_first("head title") or tree.css_first("title")
    document = collapse_ws(strip_bidi(node.text(deep=True))) if node is not None else ""
    post = []
    for selector in (
        'meta[property="og:title"]',
        'meta[name="twitter:title"]',
        'meta[property="twitter:title"]',
    ):
        meta = tree.css_first(selector)
        if meta is not None and (text := collapse_ws(strip_bidi(meta.attributes.get("content") or ""))):
            post.append(text)
    return document or None, post


def agrees(title: str, statements: list[str]) -> bool:
    """The candidate is one of the page's title statements, or contained in one, or contains one
    (letters and digits compared, case folded: quotes and dashes differ between them), or shares
    at least half of its words with one ("NEC-Bericht April 2020" and "Ein Blog: NEC-Bericht April")."""
    key = _key(title)
    if not key:
        return False
    words = set(_WORD.findall(title.casefold()))
    for statement in statements:
        other = _key(statement)
        if other and (key in other or other in key):
            return True
        if words and len(words & set(_WORD.findall(statement.casefold()))) * 2 >= len(words):
            return True
    return False


def site_names(tree: LexborHTMLParser, url: str) -> set[str]:
    """The site's names as the page gives them, as comparison keys."""
    names = set()
    for selector in ('meta[property="og:site_name"]', 'meta[name="application-name"]'):
        meta = tree.css_first(selector)
        if meta is not None and (content := meta.attributes.get("content")):
            names.add(_key(content))
            if _DOMAIN.match(content.strip()):  # "factorio.com" is also called "Factorio"
                names.add(_key(content.strip().rsplit(".", 1)[0]))
    for script in tree.css('script[type="application/ld+json"]'):
        text = script.text(deep=True) or ""
        if '"WebSite"' not in text and '"publisher"' not in text:
            continue
        try:
            doc = json.loads(text.strip().removeprefix("<![CDATA[").removesuffix("]]>"))
        except ValueError:
            continue
        stack = [doc]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                kind = item.get("@type")
                if kind in ("WebSite", "Organization", "NewsMediaOrganization") and isinstance(
                    item.get("name"), str
                ):
                    names.add(_key(item["name"]))
                stack.extend(v for v in item.values() if isinstance(v, dict | list))
    own = [url]  # the page's own address too: a capture or a mirror is read at another host
    for selector, attr in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        if node is not None and (value := node.attributes.get(attr)):
            own.append(value)
    for address in own:
        host = (urlsplit(address.strip()).hostname or "").removeprefix("www.")
        labels = host.split(".")
        if len(labels) >= 2:  # "thehill.com" → thehill, "www.ok.co.uk" → ok
            second_level = len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac", "gov")
            core = labels[-3] if second_level else labels[-2]
            names.update((_key(core), _key(".".join(labels[-3 if second_level else -2 :]))))
    names.discard("")
    return names


def strip_site_name(title: str, names: set[str], *, author: str | None = None) -> str:
    """`title` without a leading or trailing part that is the site's name ("Post | Site",
    "Site: Post", "Post – Publication – Medium", "Post | by Jane Roe | Medium")."""
    parts = _split(title)
    if len(parts) < 2:
        return title
    from necwatch.sources.registry import title_suffixes

    hosts = title_suffixes()
    drop = set(names)
    if author:  # "Post | Editorial", "Post | Eleanor Ainge Roy": the byline repeated in the title
        drop.update((_key(author), _key(f"by {author}")))

    def is_site(part: str) -> bool:
        return is_site_name(part, drop)

    changed = False
    while len(parts) > 1 and (is_site(parts[-1][0]) or _is_by(parts[-1][0])):
        last = _key(parts.pop()[0])
        changed = True
        if last in hosts and len(parts) > 1:  # "Post — Publication — Medium"
            parts.pop()
    while len(parts) > 1 and is_site(parts[0][0]):
        parts.pop(0)
        changed = True
    if not changed:  # "Post — Site — The site's tagline": the site's own name, and what follows it
        cut = next(
            (
                i
                for i in range(len(parts) - 1, 0, -1)
                if parts[i - 1][1].strip() in _SITE_SEPS and _key(parts[i][0]) in names
            ),
            None,
        )
        if cut is not None:
            parts = parts[:cut]
            changed = True
    if not changed:
        return title
    return "".join(text + sep for text, sep in parts[:-1]) + parts[-1][0]


def is_site_name(part: str, names: set[str]) -> bool:
    """The site's name, or a short part mostly made of it ("Stadt Stuttgart" on stuttgart.de,
    "MODEPILOT.de"); "Labour's NEC rules" is not the site labour.org.uk."""
    key = _key(part)
    return key in names or (
        len(part.split()) <= 4 and any(len(n) >= 5 and n in key and 2 * len(n) >= len(key) for n in names)
    )


_NAME_TAIL = re.compile(r"(?:\.|\s[|–—·-])\s+(?=\S)")


def strip_site_from_name(name: str, names: set[str]) -> str:
    """An author with the site after it ("Jane Roe. Example News", "Jane Roe | Example") → the name;
    a list of names ("Ann Able, Ben Baker") or a name alone is kept."""
    tails = list(_NAME_TAIL.finditer(name))
    if not tails:
        return name
    last = tails[-1]
    head, tail = name[: last.start()].strip(), name[last.end() :].strip()
    return head if head and is_site_name(tail, names) else name


def _is_by(part: str) -> bool:
    words = part.split()
    return 1 < len(words) <= 5 and words[0].lower() == "by"


def _split(title: str) -> list[tuple[str, str]]:
    """Title → [(part, separator after it)], the last separator empty."""
    out: list[tuple[str, str]] = []
    last = 0
    for m in _SEP.finditer(title):
        out.append((title[last : m.start()], m.group()))
        last = m.end()
    out.append((title[last:], ""))
    return out
