"""`necwatch add URL` on sites whose pages link no feed (issue 21): the common feed paths and the
registered platforms' `feed_paths` are tried in order, one request each, stopping at the first feed;
failing that, the home page's post cards (links wrapping a heading) are read as an html listing; a
site with neither is refused, and the message says what was tried, in order. Every site here is
our own making, served from loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from necwatch.cli import cli
from necwatch.config import load_config
from necwatch.probe import FEED_PATHS, MAX_FEED_PROBES, feed_candidates
from necwatch.replay import ReplayWeb
from necwatch.sources.feed import FeedSource
from necwatch.sources.registry import PLATFORMS, Platform
from necwatch.store import Store
from tests.sources.blogsites import HTML, REPORT_HTML, RSS, rss, rss_item, serve

CONFIG = """\
database: {db}
allow_private_addresses: true   # local test servers
fetch:
  per_host_delay: 0
  retries: 0
sources: []
"""
COMMON = ["/feed/", "/rss/", "/atom.xml", "/index.xml", "/feed.xml"]  # FEED_PATHS at the origin


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "n.db"), encoding="utf-8")
    return path


def add(url: str, config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["add", url, "-c", str(config), *args])


def asked(web: ReplayWeb, host: str, since: str | None = None) -> list[str]:
    """The paths requested of `host`, in order (robots.txt aside); with `since`, from the first
    request of that path on (what detection asked before discovery depends on the registry)."""
    paths = [r.path for r in web.requests if r.host == host and r.path != "/robots.txt"]
    return paths[paths.index(since) :] if since in paths else ([] if since else paths)


def home(title: str, body: str) -> str:
    """A home page that names no platform and links no feed."""
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


def report_rss(site: str) -> str:
    return rss(
        site,
        [
            rss_item(
                f"{site}2024/01/nec-report/",
                "NEC report, January 2024",
                content=REPORT_HTML,
                description="The NEC met.",
                date="Tue, 23 Jan 2024 18:00:00 +0000",
            ),
            rss_item(
                f"{site}2024/01/canvassing/",
                "Canvassing in the rain",
                content="<p>Thanks to all who came.</p>",
                description="Thanks.",
                date="Sat, 20 Jan 2024 12:00:00 +0000",
            ),
        ],
    )


def post_page(title: str, published: str) -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><main><article>"
        f"<h1>{title}</h1><p>By Jo Member, <time datetime='{published}'>{published[:10]}</time></p>"
        f"{REPORT_HTML}</article></main></body></html>"
    )


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[ReplayWeb]:
    jekyll, hugo, cards, bare = (
        "https://jekyll.example/",
        "https://hugo.example/",
        "https://cards.example/",
        "https://bare.example/",
    )
    card = "<a class='post-card' href='/posts/{slug}/'><div><h2>{title}</h2><p>{teaser}</p></div></a>"
    pages: dict[str, tuple[str | bytes, str]] = {
        # a WordPress-less blog whose feed is only at /feed.xml (Jekyll's default), linked from nowhere
        jekyll: (home("Jo's notes", "<h1>Jo's notes</h1><p>Posts are in the feed.</p>"), HTML),
        jekyll + "feed.xml": (report_rss(jekyll), RSS),
        # a Hugo-like site in a folder: /blog/index.xml; /blog/feed/ answers a page with 200 (a soft 404)
        hugo + "blog/": (home("Sam's blog", "<h1>Sam</h1><p>Welcome.</p>"), HTML),
        hugo + "blog/feed/": (home("Not found", "<h1>Nothing here</h1>"), HTML),
        hugo + "blog/index.xml": (report_rss(hugo + "blog/"), RSS),
        # a site with only post cards whose link wraps the heading: no feed anywhere
        cards: (
            home(
                "Alex writes",
                "<header><a href='/'><h1>Alex writes</h1></a><nav><a href='/about/'><h3>About</h3></a></nav>"
                "</header><main>"
                + card.format(
                    slug="nec-report-january", title="NEC report, January 2024", teaser="The NEC met."
                )
                + card.format(slug="canvassing", title="Canvassing in the rain", teaser="Thanks to all.")
                + "</main><footer><p>Alex is a member of the NEC.</p></footer>",
            ),
            HTML,
        ),
        cards + "posts/nec-report-january/": (
            post_page("NEC report, January 2024", "2024-01-23T18:00:00+00:00"),
            HTML,
        ),
        cards + "posts/canvassing/": (post_page("Canvassing in the rain", "2024-01-20T12:00:00+00:00"), HTML),
        # a site with nothing to read: no platform, no feed, no post links
        bare: (
            home("Robin Member", "<h1>Robin Member</h1><p>Labour councillor for Riverside ward.</p>"),
            HTML,
        ),
    }
    web = serve(tmp_path, pages)
    try:
        yield web
    finally:
        web.stop()


def test_a_feed_only_at_feed_xml_is_found_after_the_common_paths_before_it(
    sites: ReplayWeb, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    url = sites.base("jekyll.example")
    result = add(url, config, "--name", "jo", "--author", "Jo Member")
    assert result.exit_code == 0, result.output
    assert "platform: feed at " + url + "feed.xml" in result.output
    assert "evidence: no platform marker; no feed link on the page" in result.output
    assert f"evidence: {url}feed.xml answers a feed (application/rss+xml) with 2 entries" in result.output
    assert "posts: 2 listed" in result.output and "NEC report, January 2024" in result.output
    misses = "/feed/ (404), /rss/ (404), /atom.xml (404), /index.xml (404)"
    assert "2. feed links in the page's text: none" in result.output
    assert f"3. feed paths: {misses}, /feed.xml (a feed: found)" in result.output
    # the common paths in order, one request each, and none after the feed was found
    assert asked(sites, "jekyll.example", since="/feed/") == [*COMMON, "/feed.xml"]  # + the read
    (source,) = load_config(config).sources
    assert (source.type, source.url) == ("feed", url + "feed.xml")

    ran = CliRunner().invoke(cli, ["run", "-c", str(config)])
    assert ran.exit_code == 0, ran.output
    store = Store.open(tmp_path / "n.db")
    assert store.db.execute("select count(*) from reports where is_nec_report = 1").fetchone()[0] == 1


def test_a_hugo_site_in_a_folder_has_its_index_xml_found_past_a_soft_404(
    sites: ReplayWeb, tmp_path: Path
) -> None:
    url = sites.local("https://hugo.example/blog/")
    result = add(url, _config(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"platform: feed at {url}index.xml" in result.output
    assert "type: feed" in result.output and f"url: {url}index.xml" in result.output
    # the folder's paths first; /blog/feed/ answered a page (200), which is not a feed
    in_folder = ["/blog/feed/", "/blog/rss/", "/blog/atom.xml", "/blog/index.xml"]
    assert asked(sites, "hugo.example", since="/blog/feed/") == [*in_folder, "/blog/index.xml"]


def test_a_site_with_only_post_cards_is_an_html_listing_that_a_run_reads(
    sites: ReplayWeb, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    url = sites.base("cards.example")
    result = add(url, config, "--name", "alex", "--author", "Alex Member")
    assert result.exit_code == 0, result.output
    assert f"platform: html at {url}" in result.output
    assert "evidence: 2 post links on the page: generic extraction of each post" in result.output
    assert "4. post links on the page: 2 (cards whose link wraps a heading" in result.output
    assert "posts: 2 listed" in result.output and "1 look like NEC reports" in result.output
    assert "NEC report, January 2024" in result.output
    assert [p for p in asked(sites, "cards.example") if p in COMMON] == COMMON  # each once, in order
    (source,) = load_config(config).sources
    assert (source.type, source.url) == ("auto", url)

    ran = CliRunner().invoke(cli, ["run", "-c", str(config)])
    assert ran.exit_code == 0, ran.output
    store = Store.open(tmp_path / "n.db")
    assert (store.source_row("alex") or {})["detected_type"] == "html"
    titles = {r[0] for r in store.db.execute("select title from posts")}
    assert titles == {"NEC report, January 2024", "Canvassing in the rain"}


def test_a_site_with_nothing_is_refused_saying_what_was_tried_in_order(
    sites: ReplayWeb, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    url = sites.base("bare.example")
    result = add(url, config)
    assert result.exit_code == 1
    out = result.output
    assert f"cannot read {url}: no platform, no feed and no post links found" in out
    steps = [
        "tried, in order:",
        "  1. the page: no platform marker",
        "  2. feed links in the page's text: none",
        "  3. feed paths: /feed/ (404), /rss/ (404), /atom.xml (404), /index.xml (404), /feed.xml (404)",
        ": no feed",  # after the registered platforms' paths, if any
        "  4. post links on the page (cards whose link wraps a heading, headings holding a link): none",
        "requests:",
        f"  404 {url}feed.xml",
        "nothing to add",
    ]
    positions = [out.find(s) for s in steps]
    assert -1 not in positions and positions == sorted(positions), out
    assert "; platform probes: /" in out and "/wp-json/ (404)" in out
    assert load_config(config).sources == []


def test_registered_platforms_feed_paths_come_after_the_common_ones(
    sites: ReplayWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a platform registered by another part of necwatch (here a stand-in): its feed path is tried too
    stand_in = Platform(
        "standin", "a test platform", FeedSource, feed_paths=("/blog?format=rss", "feed/"), order=-1
    )  # first in detection order, so whatever else is registered comes after it
    monkeypatch.setitem(PLATFORMS, "standin", stand_in)
    candidates = feed_candidates("https://x.example/")
    assert candidates[: len(FEED_PATHS) + 1] == [
        *(f"https://x.example/{p}" for p in FEED_PATHS),
        "https://x.example/blog?format=rss",
    ]
    assert len(candidates) == len(set(candidates)) <= MAX_FEED_PROBES  # feed/ once
    # a folder URL: the common paths in the folder, then at the origin, then the platforms' paths
    folder = feed_candidates("https://x.example/writing/post.html")
    assert folder[:2] == ["https://x.example/writing/feed/", "https://x.example/writing/rss/"]
    assert folder[5:7] == ["https://x.example/feed/", "https://x.example/rss/"]
    assert folder[10] == "https://x.example/writing/blog?format=rss"

    sites.set("https://bare.example/blog?format=rss", report_rss("https://bare.example/"), content_type=RSS)
    result = add(sites.base("bare.example"), _config(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "/feed.xml (404), /blog?format=rss (a feed: found)" in result.output
    assert "platform: feed at " in result.output and "blog?format=rss" in result.output
    assert asked(sites, "bare.example")[-2:] == ["/blog?format=rss", "/blog?format=rss"]  # found, then read


def test_robots_and_a_rate_limit_are_obeyed(sites: ReplayWeb, tmp_path: Path) -> None:
    # robots.txt forbids /feed/: never requested, the next paths are
    sites.set(
        "https://jekyll.example/robots.txt", "User-agent: *\nDisallow: /feed/\n", content_type="text/plain"
    )
    result = add(sites.base("jekyll.example"), _config(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "/feed/" not in asked(sites, "jekyll.example") and "/feed.xml" in asked(sites, "jekyll.example")
    # a 429 stops the probing of that host at once
    sites.set("https://bare.example/feed/", "slow down", status=429)
    result = add(sites.base("bare.example"), _config(tmp_path), "--dry-run")
    assert result.exit_code == 1
    assert "cannot read" in result.output and "rate_limited" in result.output
    assert "/feed/ (429), stopped: rate_limited is a sign to ask this host no more" in result.output
    assert asked(sites, "bare.example", since="/feed/") == ["/feed/"]


def test_a_feed_linked_only_in_the_pages_text_is_tried_first(sites: ReplayWeb, tmp_path: Path) -> None:
    # no <link rel="alternate">, but the footer links the feed (and a sitemap, which is no feed)
    footer = (
        "<footer><a href='/sitemap.xml'>Sitemap</a> · <a href='https://twitter.example/jo'>RSS</a>"
        " · <a href='/notes.atom'>Subscribe</a> · <a href='/syndication/'>RSS</a></footer>"
    )
    sites.set("https://jekyll.example/", home("Jo's notes", "<h1>Jo's notes</h1>" + footer))
    sites.set("https://jekyll.example/syndication/", report_rss("https://jekyll.example/"), content_type=RSS)
    result = add(sites.base("jekyll.example"), _config(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "2. feed links in the page's text: /notes.atom, /syndication/" in result.output
    assert "3. feed paths: /notes.atom (404), /syndication/ (a feed: found)" in result.output
    assert "evidence: no platform marker; a link in the page's text" in result.output
    assert f"url: {sites.base('jekyll.example')}syndication/" in result.output
    # no guessed path was asked: the linked feed was found first (then read by the feed source)
    assert asked(sites, "jekyll.example", since="/notes.atom") == [
        "/notes.atom",
        "/syndication/",
        "/syndication/",
    ]
