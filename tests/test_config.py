"""config.yaml validation: source types come from the adapter registry, options are per type,
and every error names file, field and value."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from necwatch.config import SourceConfig, config_from_dict, load_config, source_types
from necwatch.errors import ConfigError
from necwatch.sources import REGISTRY
from necwatch.sources.blogger import BloggerSourceConfig
from necwatch.sources.html import HtmlSourceConfig

ROOT = Path(__file__).resolve().parents[1]

# The smallest valid source of each type: only what the type requires beyond name, type and url.
REQUIRED: dict[str, dict[str, Any]] = {
    "html": {"selectors": {"item": "article", "title": "h1", "body": ".b"}}
}


def _source(type_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "s",
        "type": type_name,
        "url": "https://example.org/",
        **REQUIRED.get(type_name, {}),
        **extra,
    }


def _error(data: dict[str, Any], file: str = "config.yaml") -> str:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, file=file)
    return str(info.value)


# -- the registry contract ---------------------------------------------------------------------


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_every_registered_type_has_an_options_model_that_validates(type_name: str) -> None:
    adapter = REGISTRY[type_name]
    model = adapter.options
    assert issubclass(model, SourceConfig) and model is not SourceConfig
    assert typing.get_args(model.model_fields["type"].annotation) == (type_name,)
    assert adapter.type_name == type_name
    config = config_from_dict({"sources": [_source(type_name)]})
    (source,) = config.sources
    assert type(source) is model and source.type == type_name
    assert type(SourceConfig.model_validate(_source(type_name))) is model


def test_source_types_is_the_registry() -> None:
    assert set(source_types()) == set(REGISTRY)


def test_shipped_config_validates() -> None:
    config = load_config(ROOT / "config.yaml")
    assert {s.type for s in config.sources} <= set(REGISTRY)


def test_constructing_the_base_gives_the_types_model() -> None:
    source = SourceConfig(name="s", type="blogger", url="https://example.org/", interval=3600)
    assert isinstance(source, BloggerSourceConfig) and source.via == "auto" and source.label is None
    assert source.allowed_hosts == frozenset({"example.org"})


# -- per-type options --------------------------------------------------------------------------


def test_an_option_of_another_type_is_refused_naming_the_types_options() -> None:
    text = _error(
        {"sources": [_source("blogger"), _source("wordpress", name="w"), _source("blogger", tag="nec")]}
    )
    assert "config.yaml: sources[2] (s).tag: not an option of type blogger (options: label, via)" in text
    assert "'nec'" in text


@pytest.mark.parametrize(
    ("type_name", "key", "value"),
    [
        ("blogger", "selectors", {"item": "a", "title": "b", "body": "c"}),
        ("blogger", "category", "x"),
        ("wordpress", "label", "NEC"),
        ("labourlist", "via", "html"),
        ("html", "tag", "nec"),
    ],
)
def test_foreign_options_are_errors(type_name: str, key: str, value: object) -> None:
    text = _error({"sources": [_source(type_name, **{key: value})]})
    assert f"sources[0] (s).{key}: not an option of type {type_name}" in text


def test_via_values_are_per_type() -> None:
    assert "sources[0] (s).via" in _error({"sources": [_source("blogger", via="rest")]})
    config = config_from_dict({"sources": [_source("wordpress", via="json")]})
    assert config.sources[0].via == "json"  # type: ignore[attr-defined]


def test_html_needs_selectors() -> None:
    text = _error({"sources": [{"name": "h", "type": "html", "url": "https://example.org/"}]})
    assert "sources[0] (h).selectors: Field required" in text
    config = config_from_dict({"sources": [_source("html")]})
    assert isinstance(config.sources[0], HtmlSourceConfig)


def test_unknown_type_lists_the_registered_types() -> None:
    text = _error({"sources": [{"name": "x", "type": "blogspot", "url": "https://x/", "colour": 1}]})
    assert "sources[0] (x).type: unknown source type 'blogspot'" in text
    assert f"(registered types: {', '.join(sorted(REGISTRY))})" in text
    assert "sources[0] (x).colour: unknown key (got 1)" in text


# -- file-level errors --------------------------------------------------------------------------


def test_duplicate_name_has_no_stray_colon(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "sources:\n"
        "  - {name: a, type: blogger, url: 'https://a.example/'}\n"
        "  - {name: a, type: blogger, url: 'https://b.example/'}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(dup)
    assert str(info.value) == f"{dup}: sources[1].name: duplicate source name 'a'"


def test_binary_file_is_a_config_error(tmp_path: Path) -> None:
    binary = tmp_path / "config.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(ConfigError) as info:
        load_config(binary)
    assert str(info.value).startswith(f"{binary}: not YAML text: byte 0x89 at offset 0")
