"""`necwatch inspect`: what would necwatch extract from this page, and how?

The first thing to run when adding a blog or when a source starts failing: one URL (fetched with the
same client, guards, robots rules and limits as a run) or a saved file is read by the same code a run
uses (the adapters' single-page parsers, the layered extractor, the feed parsers), and the result is
shown field by field with the layer that produced it. Nothing is written to a database.

A saved file gets what a fetched page gets: the run's size cap (`fetch.max_bytes`; only that much is
read, and a file over it is refused as a run refuses such a response, saying it was cut), "not HTML"
for a binary file (named by its first bytes: a PNG image, a PDF, gzip data ...), and a listing (a
home page or archive of post cards) is said to be one, with the post links it shows, instead of
being extracted as one post.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from necwatch.config import Config
from necwatch.errors import FetchError, ParseError, ResponseTooLarge
from necwatch.extract.cards import listing_links
from necwatch.extract.limits import check_complexity
from necwatch.extract.page import ExtractedPost, detect_platform, extract_post
from necwatch.extract.select import parse_html
from necwatch.fetch.classify import not_the_post
from necwatch.fetch.encoding import decode
from necwatch.models import Comment, Post
from necwatch.normalize import canonical_author, content_hash
from necwatch.record.derive import record_of, roster_of

if TYPE_CHECKING:
    from necwatch.sources.registry import SingleReader

__all__ = ["Inspection", "inspect", "inspect_target", "load_target", "not_html"]

__all__ = ["Inspection", "inspect_target", "load_target", "types"]


def types() -> tuple[str, ...]:
    """The `--type` choices: auto, then every registered platform (sources.registry) in order."""
    from necwatch.sources.registry import platforms

    return ("auto", *(p.name for p in platforms()))


@dataclass
class Inspection:
    """The `--json` object: target, platform, kind, posts, warnings (and `error` when it failed)."""

    target: str
    platform: str = "unknown"
    kind: str = "post"
    posts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)  # a listing's posts: url, title

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "target": self.target,
            "platform": self.platform,
            "kind": self.kind,
            "posts": self.posts,
            "warnings": self.warnings,
        }
        if self.kind == "listing" and not self.posts:
            out["links"] = self.links
        if self.error:
            out["error"] = self.error
        return out


def _stamp(value: datetime | date | None, day_only: bool = False) -> str | None:
    """ISO 8601 with the page's offset, or YYYY-MM-DD when the page gives only a day."""
    if value is None:
        return None
    if isinstance(value, datetime) and not day_only:
        return value.isoformat()
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _day_only(found: datetime | date | None, stored: datetime | None) -> bool:
    """Whether the stored value is only the day the layered extractor found (local midnight). An
    adapter that read a time the extractor did not (Blogger classic: date header + permalink time)
    keeps its time."""
    if type(found) is not date or stored is None:
        return False
    return stored.date() == found and stored.time() == time(0)


def _comment(c: Comment) -> dict[str, Any]:
    return {
        "author": c.author,
        "published_at": _stamp(c.published_at),
        "body_text": c.body_text,
        "parent_id": c.parent_id,
    }


def post_record(post: Post, config: Config | None = None) -> dict[str, Any]:
    """The post's record (necwatch.record) as `inspect --json` prints it: derived as a run derives a
    stored report's, from the title, the body text, the publication day in London and the author
    (canonical spelling), with the roster of `config` (its `people:`) or the shipped one."""
    author = post.author
    if config is not None:
        author = canonical_author(author or None, config.authors, None)
    record = record_of(
        post.title,
        post.body_text,
        post.published_at,
        author=author,
        roster=roster_of(config),
        version=content_hash(post.body_text),
    )
    return record.as_json()


def post_json(
    post: Post,
    comments: tuple[Comment, ...] | None,
    extracted: ExtractedPost | None = None,
    config: Config | None = None,
) -> dict[str, Any]:
    """One post as `inspect --json` prints it. `extracted` tells a day-only date from a time;
    `config` gives the roster its record resolves names against."""
    day_only = extracted is not None and _day_only(extracted.published_at, post.published_at)
    updated_day = extracted is not None and _day_only(extracted.updated_at, post.updated_at)
    extraction = dict(post.extraction)
    if comments is not None:
        extraction.setdefault("comments", extraction.get("body", post.via))
    return {
        "url": post.url,
        "title": post.title,
        "author": post.author,
        "published_at": _stamp(post.published_at, day_only),
        "updated_at": _stamp(post.updated_at, updated_day),
        "labels": list(post.labels),
        "body_text": post.body_text,
        "body_html": post.body_html,
        "comment_count": None if comments is None else len(comments),
        "comments": [_comment(c) for c in comments or ()],
        "extraction": extraction or {"*": post.via},
        "record": post_record(post, config),
    }


# What a file that is not a page is, by its first bytes (the formats a saved "page" turns out to be).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx, .xlsx, .epub)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"BZh", "bzip2-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office document (.doc, .xls)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"wOFF", "a WOFF font"),
    (b"wOF2", "a WOFF2 font"),
    (b"OggS", "Ogg audio or video"),
    (b"ID3", "an MP3 file"),
    (b"\x00\x00\x01\x00", "a Windows icon"),
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # UTF-8/16 text, whatever follows
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13, 27}
SNIFF = 8192  # bytes looked at


def not_html(data: bytes) -> str | None:
    """What `data` is when it is not a page (HTML, XML, text), from its first bytes; None for text."""
    head = data[:SNIFF]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return f"{name} (it starts with {head[: len(magic)]!r})"
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        kind = {b"WEBP": "a WebP image", b"WAVE": "a WAV sound", b"AVI ": "an AVI video"}[head[8:12]]
        return f"{kind} (it starts with {head[:12]!r})"
    if head[4:8] == b"ftyp":
        return f"an MP4/MOV video or HEIF image (it starts with {head[:12]!r})"
    if head.startswith(_TEXT_BOMS):
        return None
    nul = head.count(0)
    control = sum(1 for b in head if b in _CONTROL)
    if nul or control * 10 > len(head):
        return f"binary data ({nul} NUL and {control} other control bytes in its first {len(head)} bytes)"
    return None


def _read_file(path: Path, cap: int) -> bytes:
    """The file's bytes, at most `cap` of them (one more is read to know it is longer):
    ResponseTooLarge, as a run's fetch of a body over the cap, when it is."""
    with path.open("rb") as f:
        data = f.read(cap + 1)
    if len(data) <= cap:
        return data
    try:
        size = f"{path.stat().st_size:,} bytes"
    except OSError:
        size = "longer"
    raise ResponseTooLarge(
        f"{size}, over the {cap:,}-byte cap of a run (fetch.max_bytes): cut, only the first "
        f"{cap:,} bytes were read, and a run refuses a page over the cap, so nothing is extracted "
        "(raise fetch.max_bytes in --config to read it whole)",
        url=path.resolve().as_uri(),
        bytes_read=cap,
    )


def load_target(target: str, url: str | None, config: Config | None) -> tuple[str, str]:
    """(page text, its address): a saved file is read up to the run's size cap and decoded as a
    response is (BOM, UTF-8, <meta charset>, cp1252: necwatch.fetch.encoding); a URL is
    fetched like a run would. ResponseTooLarge over the cap; ParseError (unexpected_page) for a
    file or response that is not a page (an image, a PDF, an archive ...)."""
    config = config or Config()
    if target.startswith(("http://", "https://")):
        data, text = asyncio.run(_fetch(target, config))
        address = target
    else:
        path = Path(target)
        data = _read_file(path, config.fetch.max_bytes)
        text, address = decode(data)[0], url or path.resolve().as_uri()  # as a response's body
    if (what := not_html(data)) is not None:
        raise ParseError(f"not HTML: {what}", url=address, kind="unexpected_page")
    return text, address


def inspect(
    target: str,
    url: str | None,
    type_: str = "auto",
    *,
    config: Config | None = None,
    address: str | None = None,
) -> Inspection:
    """Load `target` (a URL or a saved file, as `load_target`) and read it as `inspect_target`, as
    served at `address` when given (an archive capture is read as its original page); a failure to
    load it is the result's one error."""
    try:
        text, loaded = load_target(target, url, config)
        address = address or loaded
    except FetchError as e:  # its text names the URL and the kind already
        fetched = target.startswith(("http://", "https://"))
        return Inspection(target=target, error=f"fetch failed: {e}" if fetched else str(e))
    except ParseError as e:
        return Inspection(target=target, error=f"{e.kind}: {e}")
    return inspect_target(text, address, type_, target=target, config=config)


async def _fetch(url: str, config: Config) -> tuple[bytes, str]:
    from necwatch.fetch import HttpClient
    from necwatch.fetch.guard import normalize_allowed

    client = HttpClient(
        config.fetch, user_agent=config.user_agent, allow_private=config.allow_private_addresses
    )
    try:
        # the allow-list key keeps a non-default port (`127.0.0.1:8000`), as a source's hosts do
        allowed = normalize_allowed([urlsplit(url).netloc])
        response = await client.for_source("inspect", allowed).get(url, conditional=False)
        return response.content, response.text
    finally:
        await client.aclose()


def inspect_target(
    text: str, url: str, type_: str = "auto", *, target: str | None = None, config: Config | None = None
) -> Inspection:
    """Read `text` (served at `url`) the way a run of a source of `type_` would."""
    result = Inspection(target=target or url)
    tz = ZoneInfo("Europe/London")
    try:
        check_complexity(text, url)
        kind = not_the_post(text)
        if kind is not None:
            raise ParseError(f"not the post: {kind[1]}", url=url, kind=kind[0])
        head = text.lstrip()[:512].lower()
        if type_ == "feed" or (
            type_ == "auto" and (head.startswith("<?xml") or "<rss" in head or "<feed" in head)
        ):
            _inspect_feed(result, text, url, config)
        elif type_ == "html":
            _inspect_selectors(result, text, url, config)
        elif (fixed := _fixed_reader(type_)) is not None:
            post, comments = fixed(url, text, tz)
            result.platform = type_
            result.posts = [post_json(post, comments, config=config)]
        else:
            _inspect_page(result, text, url, None if type_ == "auto" else type_, tz, config)
    except (ParseError, FetchError) as e:
        result.error = f"{getattr(e, 'kind', 'error')}: {e}"
    return result


def _fixed_reader(type_: str) -> SingleReader | None:
    """A platform read by fixed selectors only (no markup reader for the layered extractor): its
    single-page reader, which `inspect --type NAME` uses as a run would."""
    from necwatch.sources.registry import PLATFORMS

    entry = PLATFORMS.get(type_)
    return entry.read_single if entry is not None and entry.read_page is None else None


def _inspect_page(
    result: Inspection, text: str, url: str, hint: str | None, tz: ZoneInfo, config: Config | None = None
) -> None:
    """A post page through the adapter a run would use, plus the layered extractor for precision."""
    from necwatch.sources.registry import PLATFORMS

    tree = parse_html(text, url)
    platform = hint or detect_platform(tree, text, url)
    result.platform = platform
    entry = PLATFORMS.get(platform)
    if entry is not None and entry.read_listing is not None:
        listed = entry.read_listing(url, text, tz)
        if listed is not None:
            result.kind = "listing"
            result.posts = [post_json(post, None, config=config) for post in listed]
            return
    if (cards := listing_links(tree, url)) is not None:  # a listing of post cards, not one post
        result.kind, result.links = "listing", [{"url": c.url, "title": c.title} for c in cards]
        return
    extracted = extract_post(text, url, platform, tz=tz)
    result.warnings.extend(extracted.warnings)
    comments: tuple[Comment, ...] | None
    if entry is not None and entry.read_single is not None:
        post, comments = entry.read_single(url, text, tz)
    else:
        post, comments = extracted.to_post(tz=tz, default_author=None), extracted.comments
    for name in ("author", "published"):
        if name not in dict(post.extraction):
            result.warnings.append(f"no {name} found by any layer")
    if any(m.startswith("generic") for _, m in post.extraction):
        result.warnings.append("relies on the generic fallback: check the fields below")
    result.posts = [post_json(post, comments, extracted, config)]


def _inspect_feed(result: Inspection, text: str, url: str, config: Config | None = None) -> None:
    """A feed through the `feed` source's own mapping of an entry to a post."""
    from necwatch.sources.feed import read_feed

    result.kind, result.platform = "feed", "feed"
    posts = read_feed(url, text, ZoneInfo("Europe/London"))
    result.posts = [post_json(post, None, config=config) for post in posts]


def _inspect_selectors(result: Inspection, text: str, url: str, config: Config | None) -> None:
    """html: the selectors of the first html source in --config."""
    from necwatch.sources.html import parse_article

    sources = [s for s in (config.sources if config else []) if s.type == "html"]
    if not sources:
        raise ParseError("--type html needs --config with an html source's selectors", url=url)
    selectors: Any = sources[0].selectors  # type: ignore[attr-defined]
    result.platform = "html"
    post = parse_article(url, text, selectors, tz=ZoneInfo("Europe/London"))
    result.posts = [post_json(post, None, config=config)]


def render(result: Inspection) -> str:
    """Human output: platform, each field with the method that produced it, warnings."""
    lines = [f"target:    {result.target}", f"platform:  {result.platform}   kind: {result.kind}"]
    if result.kind == "listing" and not result.posts and result.links:
        count = len(result.links)
        lines.append(f"listing:   {count} post links: a listing of posts, not one post; inspect one:")
        lines += [f"  {link['url']}   {link['title']}" for link in result.links]
    for post in result.posts:
        methods = post["extraction"]
        words = post["body_text"].split()
        preview = " ".join(words[:8]) + (" … " + " ".join(words[-6:]) if len(words) > 14 else "")
        lines += [
            f"url:       {post['url']}",
            f"title:     {post['title']}   [{methods.get('title', '-')}]",
            f"author:    {post['author']}   [{methods.get('author', 'config/none')}]",
            f"published: {post['published_at']}   [{methods.get('published', '-')}]",
            f"updated:   {post['updated_at']}   [{methods.get('updated', '-')}]",
            f"labels:    {', '.join(post['labels']) or '-'}   [{methods.get('labels', '-')}]",
            f"body:      {len(words)} words: {preview}   [{methods.get('body', '-')}]",
            f"comments:  {post['comment_count']}   [{methods.get('comments', '-')}]",
            *render_record(post["record"]),
        ]
    lines += [f"warning:   {w}" for w in result.warnings]
    return "\n".join(lines)  # a failure is not here: the CLI prints it once, on stderr


def render_record(record: dict[str, Any]) -> list[str]:
    """The record's lines of the human output: meeting, items, decisions (outcome, manner, count or
    "count not reported", mover and seconder), people (as written → canonical, role), statements
    and the names no one on the roster matched."""
    meeting = record["meeting"]
    kind = f" ({meeting['kind']})" if meeting.get("kind") else ""
    lines = [f"meeting:   {meeting.get('date') or 'not found'}{kind}"]
    items = record["items"]
    lines.append(f"items:     {len(items)}" + (": " + "; ".join(i["title"] for i in items) if items else ""))
    lines.append(f"decisions: {len(record['decisions'])}")
    for d in record["decisions"]:
        manner = f", {d['manner']}" if d.get("manner") else ""
        by = "".join(f", {r} {d[r]}" for r in ("mover", "seconder") if d.get(r))
        what = " ".join((d.get("subject") or d["quote"]).split())
        lines.append(f"  - {d['outcome']}{manner}, {_count(d)}{by}: {_short(what, 160)}")
    lines.append(f"people:    {len(record['people'])}")
    for p in record["people"]:
        who = p["canonical"] or "unmatched"
        role = f", {p['role']}" if p.get("role") else ""
        n = len(p["paragraphs"])
        lines.append(f"  - {p['name']} → {who}{role} ({n} paragraph{'' if n == 1 else 's'})")
    lines.append(f"statements: {len(record['statements'])}")
    for st in record["statements"]:
        lines.append(f"  - {st['speaker']}: {_short(' '.join(st['quote'].split()), 160)}")
    lines.append(f"unmatched: {', '.join(record['unmatched']) or '-'}")
    return lines


def _count(d: dict[str, Any]) -> str:
    """ "22–12", "22–12 with 3 abstentions", or "count not reported" (never a guessed count)."""
    if d.get("votes_for") is None and d.get("votes_against") is None and d.get("abstentions") is None:
        return "count not reported"
    score = "–".join("?" if d.get(k) is None else str(d[k]) for k in ("votes_for", "votes_against"))
    if d.get("abstentions") is not None:
        score += f" with {d['abstentions']} abstentions"
    return score


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
