"""The registry's contract, walked for every registered platform (old and new alike).

Each platform keeps its own minimal fixtures in `tests/fixtures/platforms/<name>/` (pages `*.html`,
feeds `*.xml`/`*.json`; an optional `urls.json` maps a file name to the URL it is served from, else
`https://example.org/<name>/<file>`). For every platform: it is a registered source type whose config
model builds from a minimal entry; its name is an `inspect --type` and a CLI `--type` choice; when it
detects, one of its fixtures is detected as it by `auto` (all platforms asked, in order); when it
reads pages, one of its pages is read by its own markup reader (title and body by its methods).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from necwatch.extract.page import detect_platform, extract_post
from necwatch.extract.select import parse_html
from necwatch.inspection import types
from necwatch.models import Response
from necwatch.settings import SourceConfig
from necwatch.sources import REGISTRY
from necwatch.sources.auto import detect_page
from necwatch.sources.registry import Platform, page_facts_of, platforms

FIXTURES = Path(__file__).parent.parent / "fixtures" / "platforms"
NAMES = [p.name for p in platforms()]


def _entry(name: str) -> Platform:
    return next(p for p in platforms() if p.name == name)


def _files(name: str) -> list[tuple[Path, str]]:
    """(file, the URL it is served from) for a platform's fixtures."""
    folder = FIXTURES / name
    if not folder.is_dir():
        return []
    urls_file = folder / "urls.json"
    urls = json.loads(urls_file.read_text()) if urls_file.exists() else {}
    return [
        (f, urls.get(f.name, f"https://example.org/{name}/{f.name}"))
        for f in sorted(folder.iterdir())
        if f.suffix in (".html", ".xml", ".json") and f.name != "urls.json"
    ]


def _response(path: Path, url: str) -> Response:
    text = path.read_text(encoding="utf-8")
    kind = {".html": "text/html", ".xml": "application/xml", ".json": "application/json"}[path.suffix]
    return Response(url, url, 200, {"content-type": kind}, text.encode(), text, "utf-8")


def test_the_registry_holds_the_built_in_platforms_feed_and_html_last() -> None:
    assert {"blogger", "wordpress", "labourlist", "feed", "html"} <= set(NAMES)
    assert NAMES[-2:] == ["feed", "html"]  # every specific platform is asked before the generic ones


@pytest.mark.parametrize("name", NAMES)
def test_a_platform_is_a_source_type_with_a_config_model(name: str) -> None:
    entry = _entry(name)
    assert REGISTRY[name] is entry.source
    assert entry.source.type_name == name
    data = {"name": "contract", "type": name, "url": "https://example.org/", **entry.config_example}
    config = SourceConfig.model_validate(data)
    assert isinstance(config, entry.source.options)
    assert config.type == name


@pytest.mark.parametrize("name", NAMES)
def test_a_platform_is_an_inspect_type_and_a_cli_choice(name: str) -> None:
    from necwatch.cli import inspect

    option = next(p for p in inspect.params if p.name == "type_")
    assert name in option.type.choices  # type: ignore[attr-defined]
    assert name in types()


@pytest.mark.parametrize("name", [p.name for p in platforms() if p.detect is not None])
def test_auto_detects_a_platform_on_its_own_fixture(name: str) -> None:
    files = _files(name)
    assert files, f"no fixture in tests/fixtures/platforms/{name}/"
    found = {path.name: detect_page(url, _response(path, url)) for path, url in files}
    assert any(d is not None and d.platform == name and d.evidence for d in found.values()), found


@pytest.mark.parametrize("name", [p.name for p in platforms() if p.read_page is not None])
def test_a_platform_reads_a_page_of_its_own_with_its_markup_reader(name: str) -> None:
    entry = _entry(name)
    pages = [(p, u) for p, u in _files(name) if p.suffix == ".html"]
    assert pages, f"no page in tests/fixtures/platforms/{name}/"
    methods = set(entry.methods or (name,))
    read = []
    for path, url in pages:
        text = path.read_text(encoding="utf-8")
        if detect_platform(parse_html(text, url), text, url) != name:
            continue  # e.g. a listing page of the platform's that its detection alone names
        post = extract_post(text, url, name, tz=ZoneInfo("Europe/London"))
        assert post.platform == name
        if post.title and post.body_text and {post.extraction["title"], post.extraction["body"]} <= methods:
            read.append(path.name)
    assert read, f"no page of {name} read by its own markup reader (title and body)"


def test_page_facts_parse_a_page_once_with_generator_feeds_and_host() -> None:
    path, _ = _files("blogger")[0]
    facts = page_facts_of("https://Example-Member.blogspot.com/2023/03/x.html", path.read_text())
    assert facts.generator == "Blogger"
    assert facts.feeds == ("https://example-member.blogspot.com/feeds/posts/default",)
    assert facts.host == "example-member.blogspot.com"
    assert facts.tree.css_first("h3.post-title") is not None


# A post of each platform with a permalink pattern: (its fixture, the post's URL as that fixture
# shows it), and listing URLs of the platform (its documented tag, category, archive, search, feed
# and page-N shapes) that are never posts. A new platform with a post_url adds its row here.
POST_URLS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "blogger": (
        "post.html",
        "https://example-member.blogspot.com/2023/03/nec-report-14-march-2023.html",
        (
            "/",
            "/search/label/NEC",
            "/search?updated-max=2023-03-14T10:00:00Z&max-results=7",
            "/2023/",
            "/2023/03/",
            "/2023_03_01_archive.html",
            "/feeds/posts/default",
            "/p/about.html",
        ),
    ),
    "wordpress": (
        "post.html",
        "https://member.example.org/2023/03/nec-report-march/",
        (
            "/",
            "/tag/nec/",
            "/category/reports/",
            "/page/2/",
            "/2023/",
            "/2023/03/",
            "/2023/03/14/",
            "/2023/03/page/2/",
            "/2023/03/feed/",
            "/2023/03/14/page/2/",
            "/feed/",
            "/comments/feed/",
            "/author/admin/",
            "/?s=nec",
            "/?cat=3",
            "/?paged=2",
            "/?feed=rss2",
            "/about/",
            "/archives/category/nec/",
            "/archives/date/2023/03/",
            "/wp-json/wp/v2/posts",
        ),
    ),
    "labourlist": (
        "listing.html",
        "https://labourlist.example/2023/03/nec-meets/",
        (
            "/",
            "/tag/nec/",
            "/tag/nec/page/2/",
            "/2023/",
            "/2023/03/",
            "/2023/03/feed/",
            "/2023/03/page/2/",
            "/author/someone/",
            "/feed/",
            "/?s=nec",
        ),
    ),
    "medium": (
        "post.html",
        "https://medium.com/@jomember/nec-report-january-2024-4f2a9c1b7e3d",
        (
            "/",
            "/@jomember",
            "/@jomember/",
            "/tag/labour-party",
            "/feed/@jomember",
            "/archive/2024",
            "/search?q=nec",
            "/@jomember/followers",
        ),
    ),
    "substack": (
        "post.html",
        "https://jomember.substack.com/p/nec-report-january-2024",
        (
            "/",
            "/archive",
            "/archive?sort=new",
            "/feed",
            "/about",
            "/p/",
            "/s/nec-reports",
            "/podcast",
            "/api/v1/archive?sort=new&offset=0&limit=12",
        ),
    ),
    "squarespace": (
        "post.html",
        "https://www.jomember.org.uk/blog/nec-report-january-2024",
        (
            "/",
            "/blog",
            "/blog/",
            "/blog?offset=1700000000000",
            "/blog/tag/nec",
            "/blog/category/reports",
            "/blog?format=rss",
            "/blog?format=json",
            "/about",
            "/search?q=nec",
            "/blog/page/2",
        ),
    ),
}


def _path(url: str) -> str:
    """What a post_url pattern is matched against (webarchive.pick): the path, `?query` kept."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def test_every_platform_with_permalinks_has_a_post_url_and_its_cases() -> None:
    with_pattern = {p.name for p in platforms() if p.post_url is not None}
    assert with_pattern == set(POST_URLS)
    # generic platforms have no permalink shape; Ghost's `/{slug}/` is every page's (docs/sources.md)
    assert {"feed", "html", "ghost"}.isdisjoint(with_pattern)


@pytest.mark.parametrize("name", sorted(POST_URLS))
def test_a_post_url_matches_its_fixture_post_and_never_its_listings(name: str) -> None:
    pattern = _entry(name).post_url
    assert pattern is not None
    fixture, post, listings = POST_URLS[name]
    assert post in (FIXTURES / name / fixture).read_text(encoding="utf-8")  # the fixture's own post
    assert pattern.search(_path(post)), post
    taken = [u for u in listings if pattern.search(u)]
    assert not taken, f"{name}: listing URLs taken as posts: {taken}"


@pytest.mark.parametrize(
    ("path", "post"),
    [
        ("/2019/01/30/labour-nec-report-january-2019/", True),  # Day and name
        ("/2019/01/labour-nec-report-january-2019/", True),  # Month and name
        ("/archives/4076", True),  # Numeric
        ("/archives/4076/", True),
        ("/?p=4076", True),  # Plain
        ("/index.php/2012/05/nec-report/", True),  # PATHINFO permalinks
        ("/index.php?p=12", True),
        ("/blog/2016/03/nec-report/", True),  # an install in a folder
        ("/2019/01/30/", False),  # a day archive
        ("/2019/01/30/feed/", False),
        ("/2019/01/30/labour-nec-report/attachment/photo/", False),
        ("/nec-report-january-2019/", False),  # Post name: every page's shape, not a pattern
        ("/?p=", False),
        ("/?page_id=2", False),
    ],
)
def test_wordpress_post_url_knows_its_permalink_structures(path: str, post: bool) -> None:
    pattern = _entry("wordpress").post_url
    assert pattern is not None
    assert bool(pattern.search(path)) is post


@pytest.mark.parametrize(
    ("path", "post"),
    [
        ("/blog/nec-report-january-2024", True),  # post URL format %t
        ("/journal/nec-report-january-2024/", True),
        ("/blog/2015/5/20/nec-report-may", True),  # a dated format, month and day unpadded
        ("/news/2015/05/20/nec-report-may", True),
        ("/blog/2015/5/nec-report-may/", True),
        ("/blog/2015/5/", False),
        ("/blog/2015/", False),
        ("/blog/2015/05/20/", False),
        ("/blog/2015/5/20", False),
        ("/services/consulting", False),  # a collection that is not a blog's usual name
    ],
)
def test_squarespace_post_url_knows_collection_item_urls(path: str, post: bool) -> None:
    pattern = _entry("squarespace").post_url
    assert pattern is not None
    assert bool(pattern.search(path)) is post


# -- every URL pattern a platform registers is compiled and bounded (issue 21: no backtracking) --
URL_FIELDS = ("post_url", "feed_url", "comment_feed_url", "listing_url", "not_post", "comment_page")
NESTED_LIMIT = 10_000  # the product of the upper bounds of repetitions nested in one another


def _unbounded(pattern: re.Pattern[str]) -> list[str]:
    """The repetitions of `pattern` with no upper bound (`*`, `+`, `{n,}`), and nested repetitions
    whose bounds multiply past NESTED_LIMIT: the shapes that can backtrack without end."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    found: list[str] = []

    def walk(items: object, outer: int) -> None:
        for op, arg in items:  # type: ignore[attr-defined]
            if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                low, high, sub = arg
                if high == c.MAXREPEAT:
                    found.append(f"unbounded repetition {{{low},}}")
                    high = 1  # said once: what it repeats is checked on its own
                elif outer * high > NESTED_LIMIT:
                    found.append(f"nested repetitions up to {outer * high}")
                walk(sub, outer * max(high, 1))
            elif op == c.SUBPATTERN:
                walk(arg[-1], outer)
            elif op == c.BRANCH:
                for branch in arg[1]:
                    walk(branch, outer)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                walk(arg[1], outer)
            elif op == c.GROUPREF_EXISTS:
                walk(arg[1], outer)
                if arg[2] is not None:
                    walk(arg[2], outer)

    walk(_parser.parse(pattern.pattern, pattern.flags), 1)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_every_url_pattern_of_a_platform_is_compiled_and_bounded(name: str) -> None:
    entry = _entry(name)
    for field_name in URL_FIELDS:
        pattern = getattr(entry, field_name)
        if pattern is None:
            continue
        assert isinstance(pattern, re.Pattern), f"{name}.{field_name} is not a compiled pattern"
        assert not _unbounded(pattern), f"{name}.{field_name}: {_unbounded(pattern)}"


def test_the_bound_check_sees_unbounded_and_nested_repetition() -> None:
    assert _unbounded(re.compile(r"^/\d{4}/[^/]{1,300}\.html$")) == []
    assert _unbounded(re.compile(r"^/(?:[a-z]{1,40}/){0,2}(?!x)(?P<post>[^?]{1,1000}?/)feed/?$")) == []
    assert _unbounded(re.compile(r"^/p/[^/]+/?$")) == ["unbounded repetition {1,}"]
    assert _unbounded(re.compile(r"(?:a|(?:b{0,9})*)"))[0] == "unbounded repetition {0,}"
    assert _unbounded(re.compile(r"(?:x{1,200}){1,200}")) == ["nested repetitions up to 40000"]
    assert _unbounded(re.compile(r"(?=.{1,20}$)(?:a(?:b{1,5}c)+)")) == ["unbounded repetition {1,}"]
