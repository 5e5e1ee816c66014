"""`necwatch add URL` and `necwatch check --online`: what a site is and what necwatch would read there.

A probe goes through the same HttpClient as a run (User-Agent, robots.txt, address guards, per-host
delay): `auto`'s detection (one page, at most two platform probes), the detected adapter's listing
(one feed/API/listing request, its own paging), and up to `PAGES` post pages when the listing does
not carry content. Nothing is stored.

When the page shows no platform and links no feed, `add` looks further before settling for generic
extraction (`discover`): feeds the page's text links (a footer's "RSS", at most `FEED_ANCHORS`), then
the common feed paths (`FEED_PATHS`) and every registered platform's `feed_paths`, under the URL's
folder and its origin, one request each and at most `MAX_FEED_PROBES`, stopping at the first that
answers a feed with entries (or at a sign the site wants fewer requests: 429, a bot check, a failing
host); then the page's post links (cards whose link wraps the heading, and headings holding a link:
necwatch.extract.cards), read as an html listing. Each step and what it found is printed, in order,
whether a source is found or not.

`add_source` then writes the entry into the config file with ruamel.yaml, keeping the file's
comments and order, and validates the result (restoring the file when it does not validate).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from necwatch.config import Config, load_config
from necwatch.errors import ConfigError, FetchError, ParseError
from necwatch.extract.cards import post_links
from necwatch.extract.feeds import is_feed_document, parse_any_feed
from necwatch.extract.select import parse_html
from necwatch.fetch import Fetcher, HttpClient
from necwatch.models import Post
from necwatch.normalize import classify
from necwatch.settings import SourceConfig
from necwatch.sources import REGISTRY, Listing, Source, SourceContext
from necwatch.sources.auto import Detection, GenericHtmlSource, delegate_config, detect

__all__ = [
    "FEED_PATHS",
    "PAGES",
    "ProbeResult",
    "add_source",
    "discover",
    "entry_for",
    "feed_anchors",
    "feed_candidates",
    "probe",
    "probe_source",
    "slug_for",
]

PAGES = 5  # post pages read at most when the listing carries no content (to classify titles)
# Where blogs keep a feed they do not link: WordPress and Ghost (/feed/, /rss/), Jekyll (/feed.xml,
# /atom.xml), Hugo (/index.xml); registered platforms add their own `feed_paths`.
FEED_PATHS = ("feed/", "rss/", "atom.xml", "index.xml", "feed.xml")
MAX_FEED_PROBES = 12  # requests at most, one per candidate: a polite probe, not a crawl
FEED_ANCHORS = 2  # feed links in the page's text tried first, at most
FEED_ENDINGS = (".xml", ".rss", ".atom", "/feed", "/rss", "/atom", "/feed.json")
FEED_WORDS = frozenset(
    {"rss", "atom", "feed", "rss feed", "atom feed", "subscribe via rss", "subscribe to rss"}
)
# Answers after which no more paths are tried on the host: it asks for fewer requests or is failing.
STOP_KINDS = frozenset(
    {
        "rate_limited",
        "challenge",
        "connect",
        "dns",
        "timeout",
        "deadline",
        "tls",
        "http_5xx",
        "robots_unavailable",
    }
)


def comments_note(platform: str) -> str:
    """How the platform's comments are read (its registry entry's `comments`), "" when it does not say."""
    from necwatch.sources.registry import PLATFORMS

    entry = PLATFORMS.get(platform)
    return entry.comments if entry is not None else ""


@dataclass
class ProbeResult:
    """What a probe found, for printing and for the config entry."""

    url: str
    detection: Detection | None = None
    posts: int = 0
    complete: bool = False
    reports: list[str] = field(default_factory=list)  # titles that classify as NEC reports
    labels: Counter[str] = field(default_factory=Counter)  # label → NEC reports carrying it
    comments: str = ""
    tried: list[str] = field(default_factory=list)  # "status URL" of every request
    steps: list[str] = field(default_factory=list)  # what discovery looked for, in order, and found
    error: str | None = None

    def _steps(self) -> list[str]:
        return (
            ["tried, in order:", *(f"  {i}. {s}" for i, s in enumerate(self.steps, 1))] if self.steps else []
        )

    def _requests(self) -> list[str]:
        return ["requests:" if self.steps else "tried:", *(f"  {t}" for t in self.tried)]

    def lines(self) -> list[str]:
        """The human summary `add` and `check --online` print."""
        if self.detection is None:
            return [f"cannot read {self.url}: {self.error}", *self._steps(), *self._requests()]
        d = self.detection
        out = [f"platform: {d.platform} at {d.url}" + "".join(f" ({k}: {v})" for k, v in d.options.items())]
        out += [f"  evidence: {e}" for e in d.evidence]
        out += self._steps()  # how `add` came to it, when the page did not say
        listed = "complete" if self.complete else "incomplete"
        out.append(f"posts: {self.posts} listed ({listed}); {len(self.reports)} look like NEC reports")
        out += [f"  {t}" for t in self.reports[:10]]
        if self.labels:
            out.append(
                "labels/tags on them: " + ", ".join(f"{k} ({n})" for k, n in self.labels.most_common(8))
            )
        out.append(f"comments: {self.comments}")
        if self.error:
            out.append(f"problem: {self.error}")
            if not self.posts:
                out += self._requests()
        return out


def slug_for(url: str) -> str:
    """A source name from a URL: `https://www.annblack.co.uk/` → `annblack-co-uk`."""
    host = (urlsplit(url).hostname or "site").removeprefix("www.")
    return re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"


def entry_for(name: str, detection: Detection, *, match: str | None, author: str | None) -> dict[str, Any]:
    """The config entry for a detected site: the explicit type and options it was detected as
    (`auto` for generic extraction, which has no explicit form), validated."""
    kind = "auto" if detection.platform == "html" else detection.platform
    entry: dict[str, Any] = {"name": name, "type": kind, "url": detection.url, **detection.options}
    if author:
        entry["author"] = author
    if match:
        entry["match"] = match
    SourceConfig.model_validate(entry)  # raises pydantic's ValidationError, caught by the caller
    return entry


def _client(config: Config) -> HttpClient:
    return HttpClient(
        config.fetch, user_agent=config.user_agent, allow_private=config.allow_private_addresses
    )


def _adapter(source: SourceConfig, fetcher: Fetcher, detection: Detection | None) -> Source:
    if detection is not None:
        source = delegate_config(source, detection)
    cls = GenericHtmlSource if source.type == "auto" else REGISTRY[source.type]
    return cls(SourceContext(config=source, fetcher=fetcher, wants_comments=lambda post: False))


def feed_candidates(url: str) -> list[str]:
    """Where the feed of the site at `url` may be when no page links it, in the order tried: the
    common paths under the URL's folder (a blog in /blog/), then under its origin, then every
    registered platform's `feed_paths` the same way; each URL once, at most MAX_FEED_PROBES."""
    from necwatch.sources.registry import platforms

    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}/"
    bases = list(dict.fromkeys((urljoin(url, "./").split("?", 1)[0], origin)))
    extra = [path.lstrip("/") for p in platforms() for path in p.feed_paths]
    candidates = [urljoin(base, path) for paths in (FEED_PATHS, extra) for base in bases for path in paths]
    return list(dict.fromkeys(candidates))[:MAX_FEED_PROBES]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def feed_anchors(tree: LexborHTMLParser, url: str) -> list[str]:
    """Feeds the page links in its text rather than its head ("RSS", "Atom", "Subscribe via RSS" in a
    footer, `/feed.xml`, `/blog.atom`): same-host `<a href>`s whose path ends like a feed or whose text
    names one, in page order, at most FEED_ANCHORS."""
    host = urlsplit(url).netloc.lower()
    found: list[str] = []
    for a in tree.css("a[href]"):
        link = urljoin(url, (a.attributes.get("href") or "").strip()).split("#", 1)[0]
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host or link in found:
            continue
        path = parts.path.lower().rstrip("/")
        words = " ".join((a.text() or "").lower().split())
        if "sitemap" not in path and (path.endswith(FEED_ENDINGS) or words in FEED_WORDS):
            found.append(link)
    return found[:FEED_ANCHORS]


async def discover(fetcher: Fetcher, url: str, steps: list[str]) -> Detection | None:
    """A site whose page shows no platform and links no feed in its head: a feed its text links, or
    one at a common or platform path, else the page's post links as an html listing; None when
    neither is there. Each step is appended to `steps`. FetchError when the page itself cannot be
    read, or when the host answers a feed path with a sign to stop (STOP_KINDS: 429, a bot check,
    5xx, a failing connection)."""
    asked = {r.url for r in fetcher.records}  # detection's own probes are not asked again
    page = await fetcher.get(url)
    tree = parse_html(page.text, page.final_url)
    linked = feed_anchors(tree, page.final_url)
    steps.append("feed links in the page's text: " + (", ".join(_path(u) for u in linked) or "none"))
    answers: list[str] = []
    for candidate in dict.fromkeys([*linked, *feed_candidates(page.final_url)]):
        if candidate in asked:
            continue
        try:
            response = await fetcher.get(candidate, probe=True)
        except FetchError as e:
            answers.append(f"{_path(candidate)} ({e.status or e.kind})")
            if e.kind in STOP_KINDS:  # the probe ends here, failing with this answer
                answers.append(f"stopped: {e.kind} is a sign to ask this host no more")
                steps.append("feed paths: " + ", ".join(answers))
                raise
            continue
        if not is_feed_document(response.content_type, response.text):
            answers.append(f"{_path(candidate)} ({response.status}, a page, not a feed)")
            continue
        try:
            entries = len(parse_any_feed(response.final_url, response.text))
        except ParseError as e:
            answers.append(f"{_path(candidate)} (a feed that does not parse: {e.kind})")
            continue
        if not entries:
            answers.append(f"{_path(candidate)} (an empty feed)")
            continue
        kind = response.content_type or "by content"
        steps.append("feed paths: " + ", ".join([*answers, f"{_path(candidate)} (a feed: found)"]))
        where = "a link in the page's text" if candidate in linked else "no feed link on the page"
        evidence = (
            f"no platform marker; {where}",
            f"{response.final_url} answers a feed ({kind}) with {entries} entries",
        )
        return Detection("feed", response.final_url, evidence=evidence)
    steps.append("feed paths: " + (", ".join(answers) or "none left to try") + ": no feed")
    links = post_links(tree, page.final_url)
    if not links:
        steps.append(
            "post links on the page (cards whose link wraps a heading, headings holding a link): none"
        )
        return None
    steps.append(
        f"post links on the page: {len(links)} (cards whose link wraps a heading, headings holding a link)"
    )
    evidence = (
        "no platform marker, no feed link, no feed at the common paths",
        f"{len(links)} post links on the page: generic extraction of each post",
    )
    return Detection("html", page.final_url, evidence=evidence)


async def probe_source(config: Config, source: SourceConfig, *, look_further: bool = False) -> ProbeResult:
    """Read what `source` would read (detecting first for `type: auto`), without storing anything.
    `look_further` (`add`): a site that shows no platform and links no feed is `discover`ed."""
    result = ProbeResult(source.url)
    client = _client(config)
    fetcher = client.for_source(source.name, source.allowed_hosts)
    try:
        detection = await detect(fetcher, source.url) if source.type == "auto" else None
        if detection is not None and detection.platform == "html" and look_further:
            probes = ", ".join(f"{_path(r.url)} ({r.status or r.error_kind})" for r in fetcher.records[1:])
            result.steps.append(
                'the page: no platform marker (generator, API link, host) and no <link rel="alternate">'
                f" feed; platform probes: {probes or 'none'}"
            )
            detection = await discover(fetcher, detection.url, result.steps)
            if detection is None:
                result.error = "no platform, no feed and no post links found"
                return result
        result.detection = detection or Detection(source.type, source.url, evidence=("configured type",))
        adapter = _adapter(source, fetcher, detection)
        listing = await adapter.discover()
        await _summarize(result, adapter, listing, source.match)
    except (FetchError, ParseError) as e:
        result.error = f"{getattr(e, 'kind', 'error')}: {e}"
    finally:  # also after a `return` above
        result.tried = [f"{r.status or r.error_kind} {r.url}" for r in fetcher.records]
        await client.aclose()
    return result


async def _summarize(result: ProbeResult, adapter: Source, listing: Listing, match: str | None) -> None:
    """Count the listing, classify its titles (reading a few pages when it carries no content)."""
    assert result.detection is not None
    result.posts, result.complete = len(listing.posts), listing.complete
    if listing.failures:
        result.error = "; ".join(f"{f.kind}: {f.url}" for f in listing.failures[:3])
    posts: list[Post] = [lp.post for lp in listing.posts if lp.post is not None]
    unread = [lp.url for lp in listing.posts if lp.post is None][:PAGES]
    for obs in await asyncio.gather(*(adapter.fetch_post(u) for u in unread)):
        if obs.post is not None:
            posts.append(obs.post)
    for post in posts:
        if classify(post, match).is_nec_report:
            result.reports.append(post.title)
            result.labels.update(post.labels)
    platform = result.detection.platform
    linked = any(lp.comments_url for lp in listing.posts)
    result.comments = comments_note(platform) or (
        "the entries' comment feeds (wfw:commentRss)" if linked else "the feed links no comments: not read"
    )


def probe(config: Config, url: str, *, name: str, match: str | None = None) -> ProbeResult:
    """Probe a URL as `type: auto` would read it."""
    source = SourceConfig.model_validate({"name": name, "type": "auto", "url": url, "match": match})
    return asyncio.run(probe_source(config, source, look_further=True))


def add_source(path: Path, entry: dict[str, Any], *, comment: str | None = None) -> Config:
    """Append `entry` to the config file's `sources:` (comments and order kept) and validate the
    result; the file is restored and ConfigError raised when it does not validate."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML()
    yaml.preserve_quotes = True
    original = path.read_text(encoding="utf-8") if path.exists() else None
    data = yaml.load(original or "") or CommentedMap()
    sources = data.get("sources")
    if sources is None:
        sources = data["sources"] = CommentedSeq()
    if any(s.get("name") == entry["name"] for s in sources):
        raise ConfigError(f"a source named {entry['name']!r} exists already (use --name)", file=str(path))
    item = CommentedMap(entry)
    if comment:
        item.yaml_set_start_comment(comment, indent=4)
    sources.append(item)
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(data, f)
    try:
        return load_config(path)
    except ConfigError:
        if original is None:
            path.unlink()
        else:
            path.write_text(original, encoding="utf-8")
        raise
