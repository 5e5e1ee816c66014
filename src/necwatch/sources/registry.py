"""The one list of platforms: what each knows how to detect, read and poll.

Every consumer (auto detection, `inspect`, `add`, `status`, the CLI's `--type` choices, the
extraction-method lists, the archive source's choice of post pages) reads `PLATFORMS` instead of
naming platforms itself. A platform is one package (or small module) under `necwatch.sources` that
builds a `Platform` and calls `register_platform` when imported; `necwatch.sources.__init__` imports it.

The descriptor holds plain functions and data, so a contract test can walk the registry: detect the
platform on its own fixture, read a page of it, build its config model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

    from necwatch.extract.page import MarkupReader
    from necwatch.models import Response
    from necwatch.sources.base import Source

__all__ = [
    "PLATFORMS",
    "Detected",
    "PageFacts",
    "Platform",
    "Probe",
    "platform",
    "platforms",
    "register_platform",
]


@dataclass(frozen=True)
class PageFacts:
    """One fetched page, parsed once, as every platform's `detect` sees it."""

    url: str  # the final URL (after redirects)
    text: str
    headers: Mapping[str, str]  # lower-case names
    content_type: str | None
    tree: LexborHTMLParser
    generator: str  # <meta name="generator"> content, "" when none
    feeds: tuple[str, ...]  # absolute URLs of <link rel="alternate"> feeds, in page order
    host: str  # lower-case host name


@dataclass(frozen=True)
class Detected:
    """A platform's answer to "is this page yours?": where its adapter starts (site origin, API
    base or feed URL), the options the URL implies (tag, label, ...), and the evidence `add` prints."""

    url: str
    evidence: tuple[str, ...]
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """One extra request detection may make when the page alone does not say: `path` relative to
    the site's origin, and whether the answer proves the platform."""

    path: str
    recognise: Callable[[Response], bool]
    evidence: str  # "{url} is an Atom feed" ({url} is the probed URL)


@dataclass(frozen=True)
class Platform:
    """Everything necwatch knows about one platform, in one place."""

    name: str  # the `type:` in config.yaml, and the extraction method its markup reader records
    summary: str  # one line for `--help`, `add` and the docs
    source: type[Source]  # its adapter (registered with @register; `.options` is its config model)
    detect: Callable[[PageFacts], Detected | None] | None = None  # pure: from one page
    probes: tuple[Probe, ...] = ()  # requests to try when no platform's detect answered
    read_page: MarkupReader | None = None  # tree, url, tz → MarkupRead (None: metadata + generic only)
    post_url: re.Pattern[str] | None = None  # a post's permalink path (the archive source picks these)
    feed_paths: tuple[str, ...] = ()  # where its feeds live, relative to the origin
    methods: tuple[str, ...] = ()  # extraction method names its readers and API mapping record
    order: int = 100  # detection order, lower first: specific platforms before `feed` and `html`


PLATFORMS: dict[str, Platform] = {}


def register_platform(entry: Platform) -> Platform:
    """Add a platform (at import of its package). A second platform of the same name is a bug."""
    if entry.name in PLATFORMS and PLATFORMS[entry.name] is not entry:
        raise ValueError(f"platform {entry.name!r} is registered twice")
    PLATFORMS[entry.name] = entry
    return entry


def platforms() -> list[Platform]:
    """Every platform in detection order."""
    return sorted(PLATFORMS.values(), key=lambda p: (p.order, p.name))


def platform(name: str) -> Platform:
    """The platform called `name`; KeyError naming the known ones."""
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS)) or "none"
        raise KeyError(f"unknown platform {name!r} (known: {known})") from None
