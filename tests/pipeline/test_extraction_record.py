"""Which extraction layer answered is recorded by a real run (`posts.extraction`) and surfaced by
`necwatch status`: a source whose pages need the metadata or generic layers says so (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.demo import demo_config
from necwatch.job import run_job
from necwatch.replay import ReplayWeb
from necwatch.store import Store
from tests.sources.blogsites import HTML, REPORT_HTML, serve

FIXTURES = Path(__file__).resolve().parents[1] / "extract" / "fixtures"
SITE = "https://static.example/"
HOME = (
    "<html><head><title>Static notes</title></head><body><main>"
    "<article><h2><a href='/2020/01/nec-notes/'>NEC notes, 14 January 2020</a></h2></article>"
    "<article><h2><a href='/2024/01/nec-report/'>NEC Report – 23 January 2024</a></h2></article>"
    "</main></body></html>"
)
# No platform markup and no metadata but og:type (the page says it is an article): title, body and
# date can only come from layer 3.
BARE = (
    "<html><head><title>NEC Report – 23 January 2024 | Static notes</title>"
    "<meta property='og:type' content='article'></head><body>"
    "<div class='site'><h1>NEC Report – 23 January 2024</h1><p class='when'>24 January 2024</p>"
    "<div class='text'>" + REPORT_HTML + "</div>"
    "<div class='foot'>Home · About</div></div></body></html>"
)


def _static_site(tmp_path: Path) -> ReplayWeb:
    """Two posts: one marked up only with microformats (layer 2), one bare page (layer 3)."""
    return serve(
        tmp_path,
        {
            SITE: (HOME, HTML),
            SITE + "2020/01/nec-notes/": ((FIXTURES / "hentry_other.html").read_text(encoding="utf-8"), HTML),
            SITE + "2024/01/nec-report/": (BARE, HTML),
        },
    )


def _config_file(tmp_path: Path, web: ReplayWeb) -> Path:
    path = tmp_path / "config.yaml"
    data = {
        "database": str(tmp_path / "s.db"),
        "allow_private_addresses": True,
        "fetch": {"per_host_delay": 0, "retries": 0, "backoff": 0.01},
        "sources": [{"name": "static", "type": "auto", "url": web.local(SITE), "author": "Sam Writer"}],
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_status_shows_a_source_relying_on_fallback_layers(tmp_path: Path) -> None:
    web = _static_site(tmp_path)
    try:
        config = _config_file(tmp_path, web)
        run = CliRunner().invoke(cli, ["run", "--config", str(config)])
        assert run.exit_code == 0, run.output
        store = Store.open(tmp_path / "s.db")
        methods = {
            web.real(r["url"]): json.loads(r["extraction"])
            for r in store.db.query("select url, extraction from posts")
        }
        store.close()
        notes, bare = methods[SITE + "2020/01/nec-notes/"], methods[SITE + "2024/01/nec-report/"]
        assert (notes["title"], notes["body"], notes["published"]) == ("microformats",) * 3
        assert bare["title"] == "generic:heading" and bare["body"] == "generic:trafilatura"
        expected = {
            f"{name}: {method}": 1
            for post in (notes, bare)
            for name, method in post.items()
            if name in ("title", "body", "published")
        }

        as_json = CliRunner().invoke(cli, ["status", "--config", str(config), "--json"])
        assert as_json.exit_code == 0, as_json.output
        (status,) = json.loads(as_json.output)
        assert status["name"] == "static" and status["health"] == "ok"
        assert status["fallbacks"] == expected

        text = CliRunner().invoke(cli, ["status", "--config", str(config)])
        assert text.exit_code == 0, text.output
        line = next(x for x in text.output.splitlines() if "relies on fallback extraction" in x)
        for key, n in expected.items():
            assert f"{key} ×{n}" in line
    finally:
        web.stop()


def test_extraction_is_recorded_for_pages_and_null_for_feeds_and_apis(
    web: ReplayWeb, tmp_path: Path, expected_posts: dict[str, dict[str, Any]]
) -> None:
    config = demo_config(web, database=tmp_path / "ref.db")
    assert run_job(config).exit_code == 0
    store = Store.open(config.database_path)
    rows = list(store.db.query("select source, via, url, extraction from posts"))
    store.close()
    assert {web.real(r["url"]) for r in rows} == set(expected_posts)
    by_via = {(r["source"], r["via"]) for r in rows}
    assert {("luke-akehurst", "feed"), ("alice-perry", "rest"), ("progress", "html")} <= by_via
    for r in rows:
        if r["via"] in ("feed", "rest", "json", "rss"):  # the feed and API paths read no page
            assert r["extraction"] is None, r["url"]
    (progress,) = [r for r in rows if r["source"] == "progress"]
    methods = json.loads(progress["extraction"])
    assert {"title", "body", "published", "author"} <= set(methods)
    assert set(methods.values()) == {"wordpress"}  # Progress's theme is read by the platform markup
