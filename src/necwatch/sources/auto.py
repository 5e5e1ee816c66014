"""`type: auto`: detect the platform at the first poll, then read the site with that platform's adapter.

Detection reads `url` once and looks, in this order, for:

* **blogger**: `<meta name="generator" content="Blogger">`, a `/feeds/posts/default` feed link, or a
  `*.blogspot.com` host; a `/search/label/NAME` URL reads that label;
* **labourlist**: the page is a LabourList tag listing (its fixed selectors match);
* **wordpress**: a `WordPress` generator, a `Link: <…/wp-json/>` header or `<link rel="https://api.w.org/">`;
  `/tag/X/`, `/category/X/` and `/author/X/` URLs read that tag, category or author;
* **feed**: `url` is a feed, or its page advertises one with `<link rel="alternate">`;
* else, with one request each, `/feeds/posts/default` (Blogger) and `/wp-json/` (WordPress);
* else **html**: generic extraction (post links from the page's `<article>`s and headings, each
  post read with `necwatch.extract.page.read_post`).

The platform and the URL read are returned with the observation and stored on the `sources` row
(`detected_type`, `detected_url`); later polls use them without detecting again. The first failed
poll of a streak (listing failed with a stored detection) detects once more in the same poll and, if
the site now looks different (it moved platform), polls through the new detection, so a re-platformed
blog never counts as failing; if detection says the same, the failure stands, and the following
failed polls of the streak do not detect again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urljoin, urlsplit

from necwatch.errors import FetchError, ParseError
from necwatch.extract.feeds import feed_links, is_feed_document
from necwatch.extract.page import read_post
from necwatch.extract.select import parse_html
from necwatch.fetch import Fetcher
from necwatch.models import Failure, Outcome, PostObservation, Response, SourceObservation
from necwatch.settings import SOURCE_TYPES, SourceConfig
from necwatch.sources.base import REGISTRY, ListedPost, Listing, Source, register
from necwatch.sources.hosted import detect_registered  # registry-hook
from necwatch.sources.html import parse_listing, resolve
from necwatch.sources.labourlist import SELECTORS as LABOURLIST

__all__ = ["AutoSource", "AutoSourceConfig", "Detection", "GenericHtmlSource", "detect", "detect_page"]


class AutoSourceConfig(SourceConfig):
    """`type: auto`: the common keys only; the platform is detected (docs/sources.md)."""

    type: Literal["auto"]


@dataclass(frozen=True)
class Detection:
    """What a site is: the adapter type to read it with, the URL that adapter starts from, the
    options its URL implies (tag, label, ...), and the evidence, for `necwatch add` to print."""

    platform: str  # blogger, wordpress, labourlist, feed, html
    url: str
    options: Mapping[str, str] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()


_WP_PATH = re.compile(r"^/(tag|category|author)/([^/]+)/?")
_BLOGGER_LABEL = re.compile(r"^/search/label/([^/?#]+)")
_WP_OPTION = {"tag": "tag", "category": "category", "author": "author_slug"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def url_options(platform: str, url: str) -> dict[str, str]:
    """The options a listing URL implies: `/tag/nec/` → tag nec; `/search/label/NEC` → label NEC."""
    path = urlsplit(url).path
    if (hosted := getattr(REGISTRY.get(platform), "url_options", None)) is not None:  # registry-hook
        return dict(hosted(url))  # registry-hook
    if platform == "wordpress" and (m := _WP_PATH.match(path)):
        return {_WP_OPTION[m.group(1)]: m.group(2)}
    if platform == "blogger" and (m := _BLOGGER_LABEL.match(path)):
        return {"label": m.group(1)}
    return {}


def detect_page(url: str, response: Response) -> Detection | None:
    """Detect the platform from one response (pure). None: the page alone does not say."""
    text, headers = response.text, response.headers
    if (hit := detect_registered(url, response)) is not None:  # registry-hook
        return Detection(hit[0], hit[1].url, hit[1].options, hit[1].evidence)  # registry-hook
    if is_feed_document(response.content_type, text):
        return Detection(
            "feed", url, evidence=(f"{url} is a feed ({response.content_type or 'by content'})",)
        )
    tree = parse_html(text, url)
    gen_node = tree.css_first('meta[name="generator"]')
    generator = (gen_node.attributes.get("content") or "") if gen_node is not None else ""
    feeds = feed_links(url, text)
    host = urlsplit(url).hostname or ""
    blogger = [
        *(["generator meta: Blogger"] if generator.startswith("Blogger") else []),
        *([f"feed link {f}" for f in feeds if "/feeds/posts/default" in f][:1]),
        *(["a blogspot.com host"] if host.endswith(".blogspot.com") else []),
    ]
    if blogger:
        return Detection("blogger", _origin(url), url_options("blogger", url), tuple(blogger))
    try:
        if parse_listing(url, text, LABOURLIST).posts:
            return Detection("labourlist", url, {}, ("LabourList tag listing (its card selectors match)",))
    except ParseError:
        pass
    api = tree.css_first('link[rel="https://api.w.org/"]')
    api_href = api.attributes.get("href") if api is not None else None
    wordpress = [
        *([f"generator meta: {generator}"] if generator.startswith("WordPress") else []),
        *(["Link header to /wp-json/"] if "wp-json" in headers.get("link", "") else []),
        *([f'<link rel="https://api.w.org/"> {api_href}'] if api_href else []),
    ]
    if wordpress:
        base = urljoin(url, api_href).split("wp-json", 1)[0] if api_href else _origin(url)
        return Detection("wordpress", base, url_options("wordpress", url), tuple(wordpress))
    if feeds:
        return Detection("feed", feeds[0], {}, (f'<link rel="alternate"> to {feeds[0]}',))
    return None


async def detect(fetcher: Fetcher, url: str) -> Detection:
    """Detect the platform of `url` with a handful of requests through the source's fetcher.
    FetchError when `url` itself cannot be read."""
    response = await fetcher.get(url)
    found = detect_page(response.final_url, response)
    if found is not None:
        return found
    origin = _origin(response.final_url)
    for probe, platform in (("feeds/posts/default", "blogger"), ("wp-json/", "wordpress")):
        try:
            answer = await fetcher.get(origin + probe)
        except FetchError:
            continue
        if platform == "blogger" and is_feed_document(answer.content_type, answer.text):
            return Detection("blogger", origin, evidence=(f"{origin}{probe} is an Atom feed",))
        if platform == "wordpress" and '"namespaces"' in answer.text[:4096]:
            return Detection(
                "wordpress", origin, url_options("wordpress", url), (f"{origin}{probe} answers",)
            )
    return Detection(
        "html", response.final_url, evidence=("no platform marker, no feed: generic extraction",)
    )


class GenericHtmlSource(Source):
    """`auto`'s last resort: post links from the page's articles/headings, posts via read_post."""

    options = SourceConfig  # not a registered type: it reads the `auto` source's own config
    LINKS = ("article h1 a[href]", "article h2 a[href]", "article h3 a[href]", ".entry-title a[href]",
             "main h2 a[href]", "h2 a[href]")  # fmt: skip

    async def discover(self) -> Listing:
        response = await self.fetcher.get(self.config.url)
        tree = parse_html(response.text, response.final_url)
        home = urlsplit(response.final_url).netloc
        urls: list[str] = []
        for selector in self.LINKS:
            for a in tree.css(selector):
                link = resolve(response.final_url, a.attributes.get("href") or "")
                if urlsplit(link).netloc == home and link not in urls and link != response.final_url:
                    urls.append(link)
            if urls:
                break
        if not urls:
            raise ParseError("no post links found", url=response.final_url, selector=", ".join(self.LINKS))
        return Listing(posts=[ListedPost(url=u) for u in urls], exhausted=False)

    async def fetch_post(self, url: str) -> PostObservation:
        try:
            response = await self.fetcher.get(url)
            post = read_post(response.text, url, tz=self.config.timezone, default_author=self.config.author)
        except (FetchError, ParseError) as e:
            return self.observe_error(url, e)
        outcome = Outcome.NOT_MODIFIED if response.not_modified else Outcome.FETCHED
        return PostObservation(url, outcome, post=post, http_status=response.status)


def delegate_config(config: SourceConfig, detection: Detection) -> SourceConfig:
    """The detected platform's config: the source's common keys, the detected URL and its options."""
    if detection.platform == "html":
        return config
    common = {k: getattr(config, k) for k in SourceConfig.model_fields if k not in ("type", "url")}
    data = {**common, "type": detection.platform, "url": detection.url, **detection.options}
    return SOURCE_TYPES[detection.platform].model_validate(data)


@register("auto", options=AutoSourceConfig)
class AutoSource(Source):
    """Detects the platform, then polls through that platform's adapter."""

    config: AutoSourceConfig

    async def discover(self) -> Listing:  # poll() delegates whole; kept for the interface
        return await self._delegate(await detect(self.fetcher, self.config.url)).discover()

    async def fetch_post(self, url: str) -> PostObservation:
        return await self._delegate(await detect(self.fetcher, self.config.url)).fetch_post(url)

    def _delegate(self, detection: Detection) -> Source:
        cls = GenericHtmlSource if detection.platform == "html" else REGISTRY[detection.platform]
        return cls(replace(self.ctx, config=delegate_config(self.config, detection)))

    async def _poll_with(self, detection: Detection) -> SourceObservation:
        obs = await self._delegate(detection).poll()
        return replace(obs, source=self.config.name, detected=(detection.platform, detection.url))

    async def _detect(self) -> Detection | SourceObservation:
        try:
            return await detect(self.fetcher, self.config.url)
        except (FetchError, ParseError) as e:
            return SourceObservation(self.config.name, (), False, (Failure.from_error(e),))

    async def poll(self) -> SourceObservation:
        stored = self.ctx.state.get("detected_type")
        url = str(self.ctx.state.get("detected_url") or "")
        # a stored detection is used only while it still fits the config (the url's host may change)
        if stored in (*REGISTRY, "html") and urlsplit(url).netloc.lower() in self.config.allowed_hosts:
            before = Detection(stored, url, url_options(stored, self.config.url))
            obs = await self._poll_with(before)
            if not _failed(obs) or self.ctx.state.get("consecutive_failures"):
                return obs  # re-detected at the first failure of this streak already
            again = await self._detect()  # re-detect once, at the first failure, before it counts
            if isinstance(again, SourceObservation) or (again.platform, again.url) == (stored, url):
                return obs
            return await self._poll_with(again)
        detection = await self._detect()
        if isinstance(detection, SourceObservation):
            return detection
        return await self._poll_with(detection)


def _failed(obs: SourceObservation) -> bool:
    """The listing failed and nothing was read: the case worth detecting again."""
    return not obs.listing_complete and not any(
        o.outcome in (Outcome.FETCHED, Outcome.NOT_MODIFIED) for o in obs.posts
    )
