"""Issue 21's structure, kept: platforms are packages, shared polling is written once, consumers
read the registry.

Static checks read the source tree with `ast` (nothing is imported for them): no module under
`necwatch.sources` is over 400 lines; an incremental poll (`polling.IncrementalPoll` subclass)
lives in its platform's package, never beside it; the shared polling steps (cursor, sweep,
backfill, revisit, removal search) are called only from the platform-free modules; a Protocol
names public members only, and a poll reaches its adapter only through them.

The runtime check registers a made-up platform ("quill", its own minimal page and feed) for one
test and removes it after: `inspect --type quill`, the CLI's `--type` choices, `add`'s detection and
the config model all take it with no line changed outside its registration, which is what "adding
a platform is one package, one import line and its tests" means.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.config import Config, load_config
from necwatch.extract.metadata import Found
from necwatch.extract.page import MarkupRead
from necwatch.extract.select import first_of
from necwatch.extract.text import node_text
from necwatch.settings import SOURCE_TYPES, SourceConfig
from necwatch.sources.base import REGISTRY
from necwatch.sources.feed import FeedSource
from necwatch.sources.registry import PLATFORMS, Detected, PageFacts, Platform, platform_methods
from tests.sources.blogsites import HTML, REPORT_HTML, RSS, rss, rss_item, serve

SOURCES = Path(__file__).resolve().parents[2] / "src" / "necwatch" / "sources"
MAX_LINES = 400
# The platform-free polling modules: the only ones that run the shared steps.
SHARED = {"polling.py", "listing_poll.py", "incremental.py", "removals.py", "revisit.py"}
SHARED_STEPS = {
    "after_full_read",  # the cursor after a full read
    "backfill_out_of_time",  # a backfill's share of the run's time: asked through batch_full
    "backfill_warning",
    "due_posts",  # rolling revalidation of listing sources
    "fresh_sweep",
    "legacy_due",  # when a legacy site is probed again
    "oldest_published",  # where the next page back starts (sweep, backfill)
    "removal_candidates",  # the removal search
    "sweep_steps",  # the rolling sweep's schedule
}


def _modules() -> list[Path]:
    return sorted(SOURCES.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(SOURCES).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _base_names(node: ast.ClassDef) -> set[str]:
    return {
        b.id if isinstance(b, ast.Name) else b.attr
        for b in node.bases
        if isinstance(b, ast.Name | ast.Attribute)
    }


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# -- sizes and places ------------------------------------------------------------------------------


def test_no_module_in_sources_is_over_400_lines() -> None:
    sizes = {_rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    assert len(sizes) > 20  # the walk is recursive: the platform packages' modules are counted too
    assert any("/" in rel for rel in sizes)
    over = {rel: n for rel, n in sizes.items() if n > MAX_LINES}
    assert not over, f"modules in necwatch.sources over {MAX_LINES} lines (split them): {over}"


def test_each_platforms_incremental_poll_lives_in_its_package() -> None:
    polls = {
        _rel(path): node.name
        for path in _modules()
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef) and "IncrementalPoll" in _base_names(node)
    }
    assert {"wordpress/incremental.py", "blogger/incremental.py"} <= set(polls)
    beside = [rel for rel in polls if "/" not in rel]
    assert not beside, f"a platform's poll beside its package, not in it: {beside}"
    packages = {p.name for p in SOURCES.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    named = [
        p.name for p in SOURCES.glob("*.py") if any(re.match(rf"{k}_|.+_{k}\.py$", p.name) for k in packages)
    ]
    assert not named, f"modules named after a platform package, outside it: {named}"
    assert not (SOURCES / "wp_incremental.py").exists()


def test_the_shared_polling_steps_run_only_in_the_platform_free_modules() -> None:
    """A platform says how to ask; the cursor, sweep, backfill, revisit and removal search are
    polling.py's and listing_poll.py's (a platform calling one itself writes the loop again)."""
    found = []
    for path in _modules():
        if _rel(path) in SHARED:
            continue
        for node in ast.walk(_tree(path)):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else None
            )
            if isinstance(node, ast.ImportFrom):
                found += [
                    f"{_rel(path)}:{node.lineno} imports {a.name}"
                    for a in node.names
                    if a.name in SHARED_STEPS
                ]
            elif name in SHARED_STEPS:
                found.append(f"{_rel(path)}:{getattr(node, 'lineno', 0)} {name}")
    assert not found, "shared polling steps run outside the shared modules:\n" + "\n".join(found)


# -- Protocols and what a poll reaches ----------------------------------------------------------------


def _protocol_members(path: Path) -> list[tuple[str, str]]:
    out = []
    for node in ast.walk(_tree(path)):
        if not (isinstance(node, ast.ClassDef) and "Protocol" in _base_names(node)):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                out.append((node.name, item.name))
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                out.append((node.name, item.target.id))
    return out


def test_no_protocol_in_sources_names_a_private_member() -> None:
    members = {path: _protocol_members(path) for path in _modules()}
    assert any(m for m in members.values())  # the adapters' Protocols are seen
    private = [f"{_rel(p)}: {cls}.{name}" for p, ms in members.items() for cls, name in ms if _private(name)]
    assert not private, "Protocols naming private members (make the member public or drop it):\n" + "\n".join(
        private
    )


def test_a_poll_reaches_its_adapter_by_public_members_only() -> None:
    reached = []
    for path in _modules():
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            owner = node.value
            via_src = isinstance(owner, ast.Name) and owner.id == "src"
            via_self_src = isinstance(owner, ast.Attribute) and owner.attr == "src"
            if via_src or via_self_src:
                reached.append(f"{_rel(path)}:{node.lineno} .src.{node.attr}")
    assert not reached, "\n".join(reached)


def test_the_checks_see_what_they_forbid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from typing import Protocol\n"
        "class A(Protocol):\n    _base: str\n"
        "    def _parse(self) -> None: ...\n    def ok(self) -> None: ...\n"
        "class P(IncrementalPoll):\n    def f(self):\n        return self.src._parse()\n"
    )
    assert [n for _, n in _protocol_members(bad) if _private(n)] == ["_base", "_parse"]
    tree = _tree(bad)
    assert any(isinstance(n, ast.ClassDef) and "IncrementalPoll" in _base_names(n) for n in ast.walk(tree))
    assert any(isinstance(n, ast.Attribute) and n.attr == "_parse" for n in ast.walk(tree))


# -- a platform added at runtime ----------------------------------------------------------------------


class QuillSourceConfig(SourceConfig):
    """A made-up hosted platform: a feed-read blog whose section pages imply `section:`."""

    type: Literal["quill"]
    section: str | None = None


class QuillSource(FeedSource):
    """Reads a Quill blog through its feed (the `feed` adapter does the work)."""

    config: QuillSourceConfig  # type: ignore[assignment]


def _detect_quill(facts: PageFacts) -> Detected | None:
    if not facts.generator.startswith("Quill"):
        return None
    feed = facts.feeds[0] if facts.feeds else facts.url
    return Detected(feed, (f"generator meta: {facts.generator}",), _quill_options(facts.url))


def _quill_options(url: str) -> dict[str, str]:
    m = re.search(r"/s/([a-z0-9-]{1,80})/?$", url)
    return {"section": m.group(1)} if m else {}


def _read_quill(tree: object, url: str, tz: object) -> MarkupRead:
    read = MarkupRead(tried={"title": "h1.quill-title", "body": "div.quill-body"})
    title, body = first_of(tree, "h1.quill-title"), first_of(tree, "div.quill-body")  # type: ignore[arg-type]
    if title is not None:
        read.fields["title"] = Found(node_text(title), "quill")
    if body is not None:
        read.fields["body"] = Found(body.html or "", "quill")
    return read


QUILL_POST = (
    "<!doctype html><html><head><meta name='generator' content='Quill 3.2'>"
    "<title>NEC report, January 2024 · Jo's notes</title>"
    "<link rel='alternate' type='application/rss+xml' href='/feed.rss'></head><body>"
    "<h1 class='quill-title'>NEC report, January 2024</h1>"
    "<p class='quill-byline'>Jo Member · <time datetime='2024-01-23T18:00:00+00:00'>23 January</time></p>"
    f"<div class='quill-body'>{REPORT_HTML}</div></body></html>"
)


@pytest.fixture
def quill(monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    """The made-up platform registered as a package would register itself, removed after the test."""
    entry = Platform(
        name="quill",
        summary="Quill, a made-up hosted blog platform",
        source=QuillSource,
        detect=_detect_quill,
        read_page=_read_quill,
        url_options=_quill_options,
        methods=("quill",),
        order=-1,  # asked before every built-in platform
        comments="none shown",
    )
    monkeypatch.setattr(QuillSource, "type_name", "quill")
    monkeypatch.setattr(QuillSource, "options", QuillSourceConfig)
    monkeypatch.setitem(REGISTRY, "quill", QuillSource)
    monkeypatch.setitem(SOURCE_TYPES, "quill", QuillSourceConfig)
    monkeypatch.setitem(PLATFORMS, "quill", entry)
    # Config's `sources` union is built once, at its first use, after every package imported by
    # necwatch.sources has registered; a platform registered later rebuilds it (and so on removal).
    Config.model_rebuild(force=True)
    yield entry
    monkeypatch.undo()
    Config.model_rebuild(force=True)


def test_a_platform_registered_at_runtime_is_taken_by_every_consumer(quill: Platform, tmp_path: Path) -> None:
    runner = CliRunner()
    # the CLI's --type choices and inspect --type
    help_text = runner.invoke(cli, ["inspect", "--help"]).output
    assert "quill" in help_text
    page = tmp_path / "post.html"
    page.write_text(QUILL_POST, encoding="utf-8")
    url = "https://jo.quill.example/p/nec-report-january-2024"
    inspected = runner.invoke(cli, ["inspect", str(page), "--url", url, "--type", "quill", "--json"])
    assert inspected.exit_code == 0, inspected.output
    assert '"platform": "quill"' in inspected.output and '"title": "quill"' in inspected.output
    detected = runner.invoke(cli, ["inspect", str(page), "--url", url, "--json"])  # auto: its detect
    assert detected.exit_code == 0 and '"platform": "quill"' in detected.output
    assert "quill" in platform_methods()  # status's and the extractor's list of platform methods
    refused = runner.invoke(cli, ["inspect", str(page), "--url", url, "--type", "quillx"])
    assert refused.exit_code == 2

    # the config model
    config = SourceConfig.model_validate(
        {"name": "jo", "type": "quill", "url": "https://jo.quill.example/", "section": "nec"}
    )
    assert isinstance(config, QuillSourceConfig) and config.section == "nec"

    # add: detection by its detect, the options its URL implies, an entry that validates
    site = "https://jo.quill.example/"
    feed = rss(
        site,
        [
            rss_item(
                f"{site}p/nec-report-january-2024",
                "NEC report, January 2024",
                content=REPORT_HTML,
                description="The NEC met.",
                date="Tue, 23 Jan 2024 18:00:00 +0000",
            )
        ],
    )
    web = serve(tmp_path, {f"{site}s/nec/": (QUILL_POST, HTML), f"{site}feed.rss": (feed, RSS)})
    try:
        path = tmp_path / "config.yaml"
        path.write_text(
            f"database: {tmp_path / 'n.db'}\nallow_private_addresses: true\n"
            "fetch:\n  per_host_delay: 0\n  retries: 0\nsources: []\n",
            encoding="utf-8",
        )
        added = runner.invoke(cli, ["add", web.local(f"{site}s/nec/"), "--name", "jo", "-c", str(path)])
        assert added.exit_code == 0, added.output
        assert "platform: quill" in added.output and "generator meta: Quill 3.2" in added.output
        (source,) = load_config(path).sources
        assert isinstance(source, QuillSourceConfig)
        assert (source.type, source.section) == ("quill", "nec")
        assert source.url.endswith("/feed.rss")
    finally:
        web.stop()


def test_the_runtime_platform_is_gone_after_its_test() -> None:
    assert "quill" not in PLATFORMS and "quill" not in REGISTRY and "quill" not in SOURCE_TYPES
