"""Platform knowledge lives in `necwatch.sources` only: no module outside it names a platform.

A string literal equal to a platform's name (`"blogger"`, `"wordpress"`, …) outside
`src/necwatch/sources/` is platform knowledge written out again beside the registry (a type list, an
if/elif, a list of extraction methods); consumers read `necwatch.sources.registry` instead. Docstrings
and messages that mention a platform in a sentence are not literals equal to its name.

The names are the issue's list and every registered platform's (a platform added later is covered
without editing this file), less the generic `feed` and `html`, which are also ordinary words. A
literal made of platform names only ("blogger|wordpress", "blogger wordpress") is a list in
disguise, and importing a platform's own module from outside `sources/` is the same knowledge by
another road.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from necwatch.sources.registry import platforms

SRC = Path(__file__).parent.parent.parent / "src" / "necwatch"
GENERIC = {"feed", "html"}  # platforms that are ordinary words: consumers may say "html" or "feed"
NAMES = {"blogger", "wordpress", "labourlist", "substack", "ghost", "medium", "squarespace"} | {
    p.name for p in platforms() if p.name not in GENERIC
}
_SEPARATORS = re.compile(r"[\s,;|/]+")
# (file relative to src/necwatch, name): the few justified places, each with its reason.
ALLOWED = {
    # The demo's config.yaml, written out for `necwatch demo`: real sources need an explicit type.
    ("demo.py", "blogger"),
    ("demo.py", "wordpress"),
    ("demo.py", "labourlist"),
}


def _only_names(value: str) -> bool:
    """A platform's name, or platform names joined by spaces or separators."""
    words = [w for w in _SEPARATORS.split(value.strip().lower()) if w]
    return bool(words) and all(w in NAMES for w in words)


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _only_names(node.value)
    ]


def _platform_imports(path: Path) -> list[tuple[int, str]]:
    """Imports of a named platform's own module (`necwatch.sources.wordpress…`, `from
    necwatch.sources import blogger`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
            if node.module == "necwatch.sources":
                modules += [f"necwatch.sources.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[:2] == ["necwatch", "sources"] and len(parts) > 2 and parts[2] in NAMES:
                found.append((node.lineno, module))
    return found


def test_no_platform_name_is_a_string_literal_outside_sources() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("sources/"):
            continue
        found += [f"{rel}:{line} {value!r}" for line, value in _literals(path) if (rel, value) not in ALLOWED]
    assert not found, "platform names outside necwatch.sources (read the registry):\n" + "\n".join(found)


def test_no_module_outside_sources_imports_a_platforms_own_module() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if not rel.startswith("sources/"):
            found += [f"{rel}:{line} imports {module}" for line, module in _platform_imports(path)]
    assert not found, "platform modules imported outside necwatch.sources (read the registry):\n" + "\n".join(
        found
    )


def test_every_registered_platform_is_a_forbidden_name() -> None:
    assert {p.name for p in platforms()} - GENERIC <= NAMES


def test_the_check_sees_a_literal(tmp_path: Path) -> None:
    probe = tmp_path / "x.py"
    probe.write_text('KINDS = ("auto", "Blogger")\n"""A docstring naming wordpress in a sentence."""\n')
    assert _literals(probe) == [(1, "Blogger")]
    probe.write_text(
        'ALL = "blogger|wordpress"\nSOME = "wordpress blogger".split()\nOK = "see the wordpress docs"\n'
        'HOST = "aliceperry.wordpress.com"\n'
    )
    assert _literals(probe) == [(1, "blogger|wordpress"), (2, "wordpress blogger")]


def test_the_check_sees_a_platform_import(tmp_path: Path) -> None:
    probe = tmp_path / "x.py"
    probe.write_text(
        "from necwatch.sources.wordpress.api import parse_rest_posts\n"
        "from necwatch.sources import blogger, feed\n"
        "import necwatch.sources.substack\n"
        "from necwatch.sources.registry import platforms\n"
    )
    assert _platform_imports(probe) == [
        (1, "necwatch.sources.wordpress.api"),
        (2, "necwatch.sources.blogger"),
        (3, "necwatch.sources.substack"),
    ]


# URL shapes of one platform, which its registry entry holds (`Platform.post_url`, `feed_url`,
# `comment_feed_url`, `listing_url`, `not_post`, `comment_page`): a string literal of the web archive
# (a regex source, a path) carrying one is platform knowledge written out again. Docstrings may
# name them in a sentence. Lower case; a literal is checked lower-cased.
SHAPES = (
    "wp-json",
    "wp-admin",
    "wp-content",
    "wp-includes",
    "wp-login",
    "xmlrpc",
    "comment-page",
    "trackback",
    "attachment",
    "feed=",
    "feeds/",
    "search/label",
    "_archive.html",
    "atom.xml",
    "rss.xml",
    "alt=",
    "max-results",
    "start-index",
    "archives/",
    "?p=",
    "blogspot",
)
SHAPE_AREAS = ("webarchive/",)  # the consumers of the URL shapes
# the emulated archive (a test double) composes captures of a made-up WordPress and Blogger site
SHAPE_ALLOWED = {"webarchive/emulator.py"}


def _shape_literals(path: Path) -> list[tuple[int, str]]:
    """String literals (docstrings aside) that carry a platform's URL shape."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and any(shape in node.value.lower() for shape in SHAPES)
    ]


def test_no_platform_url_shape_in_the_web_archive() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(SHAPE_AREAS) and rel not in SHAPE_ALLOWED:
            found += [f"{rel}:{line} {value[:80]!r}" for line, value in _shape_literals(path)]
    assert not found, "platform URL shapes outside the registry (add a Platform field):\n" + "\n".join(found)


def test_the_check_sees_a_url_shape(tmp_path: Path) -> None:
    probe = tmp_path / "x.py"
    probe.write_text(
        '"""Refuses /wp-json/ and Blogger\'s /feeds/posts/default (a docstring may say so)."""\n'
        'NOT_POST = r"(?:^|/)(?:tag|wp-json|wp-admin)(?:/|$)"\n'
        'FEED = r"^/feeds/posts/(?:default|full)/?$|/(?:atom|rss2?)\\.xml$"\n'
        'LISTING = r"^/search/label/[^/]{1,200}/?$"\n'
        'QUERY = {"alt", "max-results"}\n'
        'DATED = r"^/(?:19|20)\\d\\d/[01]\\d/[^/]{3,300}/?$"\n'
    )
    assert [line for line, _ in _shape_literals(probe)] == [2, 3, 4, 5]
