"""`necwatch add URL` and `necwatch check --online`: what a site is and what necwatch would read there.

A probe goes through the same HttpClient as a run (User-Agent, robots.txt, address guards, per-host
delay): `auto`'s detection (one page, at most two platform probes), the detected adapter's listing
(one feed/API/listing request, its own paging), and up to `PAGES` post pages when the listing does
not carry content. Nothing is stored. `add_source` then writes the entry into the config file with
ruamel.yaml, keeping the file's comments and order, and validates the result (restoring the file
when it does not validate).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from necwatch.config import Config, load_config
from necwatch.errors import ConfigError, FetchError, ParseError
from necwatch.fetch import Fetcher, HttpClient
from necwatch.models import Post
from necwatch.normalize import classify
from necwatch.settings import SourceConfig
from necwatch.sources import REGISTRY, Listing, Source, SourceContext
from necwatch.sources.auto import Detection, GenericHtmlSource, delegate_config, detect

__all__ = ["PAGES", "ProbeResult", "add_source", "entry_for", "probe", "probe_source", "slug_for"]

PAGES = 5  # post pages read at most when the listing carries no content (to classify titles)


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
    error: str | None = None

    def lines(self) -> list[str]:
        """The human summary `add` and `check --online` print."""
        if self.detection is None:
            return [f"cannot read {self.url}: {self.error}", "tried:", *(f"  {t}" for t in self.tried)]
        d = self.detection
        out = [f"platform: {d.platform} at {d.url}" + "".join(f" ({k}: {v})" for k, v in d.options.items())]
        out += [f"  evidence: {e}" for e in d.evidence]
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


async def probe_source(config: Config, source: SourceConfig) -> ProbeResult:
    """Read what `source` would read (detecting first for `type: auto`), without storing anything."""
    result = ProbeResult(source.url)
    client = _client(config)
    fetcher = client.for_source(source.name, source.allowed_hosts)
    try:
        detection = await detect(fetcher, source.url) if source.type == "auto" else None
        result.detection = detection or Detection(source.type, source.url, evidence=("configured type",))
        adapter = _adapter(source, fetcher, detection)
        listing = await adapter.discover()
        await _summarize(result, adapter, listing, source.match)
    except (FetchError, ParseError) as e:
        result.error = f"{getattr(e, 'kind', 'error')}: {e}"
    finally:
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
    return asyncio.run(probe_source(config, source))


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
