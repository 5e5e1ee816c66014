"""One post page → its fields, each from the first layer that has it, with the layer recorded.

    1. the platform's own markup: the `read_page` of the registered platform (sources.registry),
       which knows every template family of its platform;
    2. structured metadata the page carries (extract/metadata.py);
    3. a generic main-content extractor for the body, and the page's heading for the title
       (extract/generic.py).

`extract_post(html, url, platform_hint)` is the one entry point: the adapters' single-page paths and
`necwatch inspect` call it. It never invents a value: a field no layer finds stays None and
`ExtractedPost.to_post` fails loudly, naming the stage and field and what each layer tried ("post
body: no element matched …; metadata: none; generic: none (…)"). Every page gets every layer, field
by field (fallback always); titles are checked against the page's own title statements and lose the
site's name (extract/titles.py); the published date is the post's own (extract/pubdate.py); bodies
lose what no article is made of and their chrome at the edges (extract/trim.py). Dates are
parsed here, machine-readable ones first; a date printed in words is read in the source's time zone,
and a day without a time stays a `date`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from necwatch.errors import ParseError
from necwatch.extract.dates import date_order, localize, parse_words
from necwatch.extract.generic import GENERIC_BODY, generic_body, generic_date, generic_title
from necwatch.extract.metadata import Found, read_metadata_all
from necwatch.extract.pubdate import FIRST_WEB_YEAR, choose_published, page_locale, visible_dateline
from necwatch.extract.select import parse_html
from necwatch.extract.text import clean_name, collapse_ws, html_to_text, node_text, strip_bidi
from necwatch.extract.titles import (
    agrees,
    site_names,
    strip_site_from_name,
    strip_site_name,
    title_statements,
)
from necwatch.extract.trim import remove_outermost, strip_inner_chrome, trim_body
from necwatch.models import Comment, Post

__all__ = [
    "FIELDS",
    "ExtractedPost",
    "MarkupRead",
    "detect_platform",
    "extract_post",
]

# A generic "body" shorter than this is a menu or a footer trafilatura kept, not an article.
MIN_GENERIC_WORDS = 5
# On a page nothing marks as a post (no platform markup, no metadata), only a long text is an article.
MIN_UNMARKED_WORDS = 80
FIELDS = ("title", "author", "published", "updated", "labels", "body", "comments")
# Inside a metadata-marked body but not the article (sharing, likes, related posts, scripts).
# Photo captions, related-story lists, share/tag/newsletter/promo boxes and print-only copies are
# not the article; reference lists and footnotes are (they are never matched here).
_BODY_CHROME = (
    "script, style, noscript, .sharedaddy, #jp-post-flair, .jp-relatedposts, .wpcnt, .post-share-buttons, "
    "figcaption, .wp-caption-text, .caption, [class*='related'], [class*='share'], [class*='social'], "
    "[class*='newsletter'], [class*='promo'], [class*='subscribe'], .post-tags, .entry-tags, .tags-links, "
    ".print-only, .printonly, .printfooter, .visible-print, [media='print'], aside, nav"
)


@dataclass
class MarkupRead:
    """What a platform's markup reader found: fields as Found (value, method), the selectors it tried
    for the fields it did not find (for the error message), comments (None: no comment list)."""

    fields: dict[str, Found] = field(default_factory=dict)
    tried: dict[str, str] = field(default_factory=dict)
    comments: tuple[Comment, ...] | None = None
    platform_id: str | None = None
    url: str | None = None
    warnings: list[str] = field(default_factory=list)


MarkupReader = Callable[[LexborHTMLParser, str, ZoneInfo], MarkupRead]


def _reader(platform: str | None) -> MarkupReader | None:
    """The markup reader of a registered platform (sources.registry), None for any other name."""
    from necwatch.sources.registry import PLATFORMS  # imports point from sources to extract

    entry = PLATFORMS.get(platform or "")
    return entry.read_page if entry is not None else None


def _platform_methods() -> frozenset[str]:
    from necwatch.sources.registry import platform_methods

    return platform_methods()


@dataclass(frozen=True)
class ExtractedPost:
    """Everything read from one post page. `extraction` maps each field to the method that gave it
    ("blogger", "wordpress", "json-ld", "microformats", "itemprop", "meta", "time", "rel-author",
    "generic:trafilatura", "generic:heading")."""

    url: str
    platform: str
    title: str | None
    author: str | None
    published_at: datetime | date | None
    updated_at: datetime | date | None
    labels: tuple[str, ...]
    body_html: str | None
    body_text: str | None
    comments: tuple[Comment, ...] | None
    extraction: dict[str, str]
    warnings: tuple[str, ...] = ()
    platform_id: str | None = None
    title_raw: str | None = None
    tried: dict[str, str] = field(default_factory=dict)

    def failure(self, name: str) -> str:
        """Why `name` is missing, stage by stage: what the platform tried, then the other layers."""
        what = {"body": "post body", "title": "post title", "published": "post date"}.get(name, name)
        tried = self.tried.get(name)
        platform = f"no element matched {tried}" if tried else f"no platform markup ({self.platform})"
        metadata = self.tried.get(f"metadata:{name}")
        generic = self.tried.get(f"generic:{name}")
        detail = "; ".join(
            f"{layer}: {note}" for layer, note in (("metadata", metadata), ("generic", generic)) if note
        )
        return (
            f"{what}: {platform}; metadata: none"
            + ("; generic: none" if name in ("body", "title") else "")
            + (f" ({detail})" if detail else "")
        )

    def to_post(self, *, tz: ZoneInfo, default_author: str | None, need_published: bool = False) -> Post:
        """The Post the pipeline stores. ParseError (kind parse_empty) when title or body (or, for
        platforms that always print it, the date) was found by no layer."""
        for name, value in (("body", self.body_text), ("title", self.title)):
            if not value:
                raise ParseError(self.failure(name), url=self.url)
        if need_published and self.published_at is None:
            raise ParseError(self.failure("published"), url=self.url)
        return Post(
            url=self.url,
            title=self.title or "",
            title_raw=self.title_raw,
            body_html=self.body_html or "",
            body_text=self.body_text or "",
            platform_id=self.platform_id,
            author=self.author or default_author,
            published_at=_as_datetime(self.published_at, tz),
            updated_at=_as_datetime(self.updated_at, tz),
            labels=self.labels,
            via="html",
            extraction=tuple(self.extraction.items()),
        )


def _as_datetime(value: datetime | date | None, tz: ZoneInfo) -> datetime | None:
    """A day without a time is stored as local midnight (the docs' rule for printed dates)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return localize(datetime(value.year, value.month, value.day), tz)
    except ValueError:  # a day at the calendar's end with no UTC value: unknown
        return None


def detect_platform(tree: LexborHTMLParser, html: str, url: str) -> str:
    """The registered platform whose markup reader reads this page (`registry.markup_platform`:
    its `detect`, else its weaker `marks` such as asset URLs and hosts), or "other"."""
    from necwatch.sources.registry import markup_platform, page_facts_of

    entry = markup_platform(page_facts_of(url, html, tree=tree))
    return entry.name if entry is not None else "other"


def extract_post(
    html: str,
    url: str,
    platform_hint: str | None = None,
    *,
    tz: ZoneInfo | str = "Europe/London",
    tree: LexborHTMLParser | None = None,
) -> ExtractedPost:
    """A post page → ExtractedPost (see the module docstring). `platform_hint` (blogger, wordpress,
    or None/"auto" to detect) picks the markup reader. ParseError `too_complex` for pathological pages."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if tree is None:
        tree = parse_html(html, url)  # refuses too_complex pages before parsing
    reader = _reader(platform_hint)
    platform = platform_hint if reader is not None and platform_hint else detect_platform(tree, html, url)
    reader = reader or _reader(platform)
    read = reader(tree, url, zone) if reader is not None else MarkupRead()
    fields = dict(read.fields)
    tried = dict(read.tried)
    warnings = list(read.warnings)
    claims = read_metadata_all(tree)
    for name, founds in claims.items():
        fields.setdefault(name, founds[0])
    if "body" not in fields:
        tried["metadata:body"] = "no JSON-LD articleBody, h-entry e-content or itemprop=articleBody"
    _choose_title(fields, claims, tree, url)
    _choose_author(fields, claims, tree, url)
    order = date_order(page_locale(tree))  # "3/09/15": month first only on a page that says so
    choose_published(fields, claims, tree, zone, order=order, platform_methods=_platform_methods())
    # Fallback always: platform markup → metadata → generic, field by field. A page that nothing
    # marks as a post (a platform's redesign, an unknown theme) still gets the generic layer, but
    # then only a long text is an article: "We have a new look!" is not a post.
    evidence = _is_a_post(fields, tree)
    min_words = MIN_GENERIC_WORDS if evidence else MIN_UNMARKED_WORDS
    body_html, body_text = _body(fields, html, url, min_words=min_words, tried=tried)
    if "title" not in fields and body_text and (title := generic_title(tree, url)):
        fields["title"] = Found(title, "generic:heading")
    if body_text:
        title_now = str(fields["title"].value) if "title" in fields else None
        body_html, body_text = trim_body(body_html or "", body_text, title_now, _description(tree), url)
    if "published" not in fields and body_text:
        _printed_date(fields, html, url, tree, zone, order)
    published = _date_field(fields, "published", zone, warnings, claims.get("published", []), order)
    if published is None and body_text and _placeholders_only(claims.get("published", []), zone):
        # a CMS's empty date ("0001-01-01T00:00:00Z") claims nothing: what the page prints answers;
        # a date claimed but unreadable or out of range stays unknown
        _printed_date(fields, html, url, tree, zone, order)
        published = _date_field(fields, "published", zone, warnings, [], order)
    updated = _date_field(fields, "updated", zone, warnings, claims.get("updated", []), order)
    extraction = {name: fields[name].method for name in FIELDS if name in fields}
    if read.comments is not None:
        extraction["comments"] = platform
    title_served = str(fields["title"].value).strip() if "title" in fields else None
    title = collapse_ws(strip_bidi(title_served)) if title_served else None
    author = fields["author"].value if "author" in fields else None
    canonical = tree.css_first("link[rel='canonical'][href]")
    return ExtractedPost(
        url=read.url
        or (urljoin(url, canonical.attributes.get("href") or url) if canonical is not None else url),
        platform=platform,
        title=title,
        title_raw=title_served if title_served and title_served != title else None,
        # JSON-LD's and the byline's names are clean already, one by one ("Ann Able, Ben Baker" is
        # two authors: a JSON-LD list, or a byline's links)
        author=(author if fields["author"].method in ("json-ld", "byline") else clean_name(author))
        if isinstance(author, str)
        else None,
        published_at=published,
        updated_at=updated,
        labels=tuple(fields["labels"].value) if "labels" in fields else (),
        body_html=body_html,
        body_text=body_text,
        comments=read.comments,
        extraction=extraction,
        warnings=tuple(warnings),
        platform_id=read.platform_id,
        tried=tried,
    )


_POST_EVIDENCE = frozenset({"json-ld", "microformats", "itemprop"})  # and every platform's methods


def _choose_title(
    fields: dict[str, Found], claims: dict[str, list[Found]], tree: LexborHTMLParser, url: str
) -> None:
    """The title the page states: a platform or metadata heading that none of the page's title
    statements (`<title>`, og:title, twitter:title) agrees with is a widget's heading, and gives way
    to the JSON-LD headline or og:title; then the site's name comes off (by name, never by position)."""
    found = fields.get("title")
    if found is None:
        return
    document, head = title_statements(tree)  # <title>; og:title, twitter:title
    headlines = [str(f.value) for f in claims.get("title", []) if f.method == "json-ld"]
    post_level = headlines + head  # a `<title>` alone is often just the site's name: no override
    value = str(found.value)
    headings: dict[str, str] = {}
    for h1 in tree.css("h1"):
        headings.setdefault(_title_key(h1.text(deep=True)), collapse_ws(strip_bidi(h1.text(deep=True))))
    if _title_key(value) in headings:
        pass  # the page's own main heading: what readers see, whatever the head says
    elif post_level and not agrees(value, [*post_level, *([document] if document else [])]):
        fields["title"] = found = Found(post_level[0], "json-ld" if headlines else "meta")
        value = post_level[0]
    if found.method not in _platform_methods():
        author = fields["author"].value if "author" in fields else None
        stripped = strip_site_name(
            value, site_names(tree, url), author=author if isinstance(author, str) else None
        )
        if stripped != value:
            fields["title"] = Found(stripped, found.method)
        # The same title as the page's visible heading, in the head's typography (' for ’, " for “):
        # the heading's own text is what readers see.
        visible = headings.get(_title_key(stripped))
        if visible and visible != stripped and _typographic(visible) == _typographic(stripped):
            fields["title"] = Found(visible, found.method)


# What a page shows as its byline, against what its head's metadata says.
_VISIBLE_AUTHOR = frozenset({"rel-author", "byline", "microformats", "itemprop"})
_AFTER_NAME = re.compile(r"\s*(?:\.|[|–—·-])\s+\S")


def _choose_author(
    fields: dict[str, Found], claims: dict[str, list[Found]], tree: LexborHTMLParser, url: str
) -> None:
    """The author's name without the site after it: metadata that says "Jane Roe. Example News"
    while the page's byline says "Jane Roe" gives the byline; else a trailing part that is the
    site's name (og:site_name, the host's label…) comes off. A platform's own byline stands."""
    found = fields.get("author")
    if found is None or not isinstance(found.value, str) or found.method in _platform_methods():
        return
    value = found.value.strip()
    for claim in claims.get("author", []):
        name = str(claim.value).strip() if claim.method in _VISIBLE_AUTHOR else ""
        if (
            name
            and len(name) < len(value)
            and value.startswith(name)
            and _AFTER_NAME.match(value[len(name) :])
        ):
            fields["author"] = claim
            return
    stripped = strip_site_from_name(value, site_names(tree, url))
    if stripped != value:
        fields["author"] = Found(stripped, found.method)


_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "\u00a0": " "}
)


def _typographic(text: str) -> str:
    """The text with its quotes, dashes and spaces in one typography: "It's" and "It’s" are one title,
    "'The Interview'" and "The Interview" are not."""
    return collapse_ws(text.translate(_TYPOGRAPHY))


def _title_key(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


# Scripts written without spaces between words: Chinese, Japanese kana and kanji, Thai, Lao, Khmer.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def word_count(text: str) -> int:
    """Words in any language: spaced words, plus one word per two characters of a script written
    without spaces (a Chinese or Thai article of 80 words has few spaces in it)."""
    return len(text.split()) + len(_UNSPACED.findall(text)) // 2


def _description(tree: LexborHTMLParser) -> str | None:
    for selector in ('meta[property="og:description"]', 'meta[name="description"]'):
        node = tree.css_first(selector)
        if node is not None and (content := node.attributes.get("content")):
            return content
    return None


def _is_a_post(fields: dict[str, Found], tree: LexborHTMLParser) -> bool:
    """Whether layers 1-2 say this page is a post. Without that the generic layer still reads it
    (fallback always), but only a long text is taken for an article: a redesigned or unrelated page
    ("We have a new look!") must fail loudly, not become a post with an invented body and a false edit."""
    if "published" in fields or "body" in fields:
        return True
    if "title" in fields and fields["title"].method in _POST_EVIDENCE | _platform_methods():
        return True
    og_type = tree.css_first('meta[property="og:type"]')
    return og_type is not None and (og_type.attributes.get("content") or "").lower() == "article"


def _body(
    fields: dict[str, Found], html: str, url: str, *, min_words: int | None, tried: dict[str, str]
) -> tuple[str | None, str | None]:
    """Body from the platform or metadata node (chrome removed), else the generic extractor."""
    found = fields.get("body")
    if found is not None and isinstance(found.value, LexborNode):
        node = found.value
        platform = found.method in _platform_methods()
        if not platform:
            remove_outermost(list(node.css(_BODY_CHROME)), node)  # nested matches freed once
        strip_inner_chrome(node, captions=not platform)  # a platform's feeds and API keep them
        text = node_text(node)
        if text:
            return (node.inner_html or "").strip(), text
        del fields["body"]  # an empty marked-up body: let the next layer answer
    elif found is not None and isinstance(found.value, tuple):  # (html, text) read by a platform
        return found.value[0], found.value[1]
    elif found is not None and isinstance(found.value, str) and found.value.strip():
        return found.value, html_to_text(found.value)
    body = generic_body(html, url) if min_words is not None else None
    if body and min_words is not None and word_count(text := html_to_text(body)) >= min_words:
        fields["body"] = Found(body, GENERIC_BODY)
        return body, text
    words = word_count(html_to_text(body)) if body else 0
    tried["generic:body"] = (
        f"trafilatura found {words} word{'s' if words != 1 else ''}, {min_words} needed"
        + ("" if min_words != MIN_UNMARKED_WORDS else " on a page nothing marks as a post")
        if body
        else "trafilatura found no main text"
    )
    fields.pop("body", None)
    return None, None


def _printed_date(
    fields: dict[str, Found], html: str, url: str, tree: LexborHTMLParser, zone: ZoneInfo, order: str
) -> None:
    """No layer read a published date: the dateline printed next to the heading (with its time and
    zone when it prints them), else htmldate's day from the markup and the URL; when both answer
    more than a day apart, htmldate's day (the dateline may be another date near the heading)."""
    printed = visible_dateline(tree, zone, order)
    found = generic_date(html, url)
    day = date.fromisoformat(found) if found else None
    if printed is not None and (day is None or abs(_day_of(printed) - day).days <= 1):
        fields["published"] = Found(printed, "dateline")
    elif day is not None:
        fields["published"] = Found(day, "generic:htmldate")


def _placeholders_only(claims: list[Found], zone: ZoneInfo) -> bool:
    """Every published claim of the page is a placeholder date (before 1991), none unreadable."""
    for claim in claims:
        try:
            value = claim.value if isinstance(claim.value, date) else parse_words(str(claim.value), zone)
        except ValueError:
            return False
        if value.year >= FIRST_WEB_YEAR:
            return False
    return bool(claims)


def _day_of(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _date_field(
    fields: dict[str, Found],
    name: str,
    tz: ZoneInfo,
    warnings: list[str],
    claims: list[Found],
    order: str = "DMY",
) -> datetime | date | None:
    """The field's date; when the chosen layer's text is unreadable ("on Sunday, December 30th,
    2012 at 3:00 pm and is filed under …"), the next layer that stated it answers (field by field)."""
    found = fields.get(name)
    if found is None:
        return None
    for candidate in (found, *(c for c in claims if c is not found)):
        value: Any = candidate.value
        try:
            parsed = value if isinstance(value, datetime | date) else parse_words(str(value), tz, order=order)
        except ValueError:
            warnings.append(f"{name} date {value!r} from {candidate.method} is unreadable")
            continue
        if parsed.year < FIRST_WEB_YEAR:  # a CMS's empty date ("0001-01-01T00:00:00Z"), not the post's
            warnings.append(f"{name} date {value!r} from {candidate.method} is a placeholder")
            continue
        fields[name] = candidate
        return parsed
    del fields[name]
    return None


def read_post(
    html: str | bytes, url: str, *, tz: ZoneInfo | str = "Europe/London", default_author: str | None = None
) -> Post:
    """A page of any platform → the Post to store (layered extraction, platform detected).
    ParseError when no layer finds the title or the body: never an invented value."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    return extract_post(text, url, None, tz=zone).to_post(tz=zone, default_author=default_author)
