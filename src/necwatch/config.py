"""config.yaml → strict typed models. Unknown keys are errors; errors name file, field and value.

The models live in necwatch.settings; this module imports the source adapters (so every type is
registered) and assembles `Config`. The config object is passed in everywhere, never global.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

import necwatch.sources  # noqa: F401  (registers every adapter's options model)
from necwatch.errors import ConfigError
from necwatch.settings import (
    _UNREGISTERED,
    DEFAULT_USER_AGENT,
    AnySource,
    Duration,
    FetchSettings,
    NotifySettings,
    PublishSettings,
    ScheduleSettings,
    SourceConfig,
    SourceConfigBase,
    StorageSettings,
    Strict,
    parse_duration,
    source_config_adapter,
    source_config_union,
    source_types,
)
from necwatch.sources.html import HtmlSelectors

__all__ = [
    "DEFAULT_USER_AGENT",
    "Config",
    "Duration",
    "FetchSettings",
    "HtmlSelectors",
    "NotifySettings",
    "PublishSettings",
    "ScheduleSettings",
    "SourceConfig",
    "SourceConfigBase",
    "StorageSettings",
    "Strict",
    "config_from_dict",
    "load_config",
    "parse_duration",
    "source_config_adapter",
    "source_config_union",
    "source_types",
]


class Config(Strict):
    # Deferred: the sources union is built on first use, once every adapter has registered.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    database: str = "data/necwatch.db"
    feeds_dir: str = "data/feeds"
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_addresses: bool = False  # true only for local test servers
    fetch: FetchSettings = Field(default_factory=lambda: FetchSettings())
    schedule: ScheduleSettings = Field(default_factory=lambda: ScheduleSettings())
    notify: NotifySettings = Field(default_factory=lambda: NotifySettings())
    publish: PublishSettings = Field(default_factory=lambda: PublishSettings())
    storage: StorageSettings = Field(default_factory=lambda: StorageSettings())
    authors: dict[str, list[str]] = Field(default_factory=dict)  # canonical name → other spellings
    sources: list[AnySource] = Field(default_factory=list)
    base_dir: str = Field(".", exclude=True)  # the config file's directory; relative paths resolve here

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for i, s in enumerate(self.sources):
            if s.name in seen:
                raise ValueError(f"sources[{i}].name: duplicate source name {s.name!r}")
            seen.add(s.name)
        return self

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"no source named {name!r} (have: {', '.join(s.name for s in self.sources)})")

    def path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def database_path(self) -> Path:
        return self.path(self.database)

    @property
    def feeds_path(self) -> Path:
        return self.path(self.feeds_dir)


def _where(loc: tuple[int | str, ...], data: object) -> tuple[str, object]:
    """An error location → `sources[2] (name).tag`, and the mapping that holds the last key.

    Union tags in the location (a source's registered type) are skipped: they are not keys.
    """
    field = ""
    node, parent = data, None
    for part in loc:
        if isinstance(node, dict) and part not in node and part in (node.get("type"), _UNREGISTERED):
            continue
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            field += f"[{part}]" + (f" ({name})" if name else "")
        else:
            field += ("." if field else "") + str(part)
        parent = node
        try:
            node = node[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            node = None
    return field, parent


def _unknown_key(loc: tuple[int | str, ...], parent: object, data: object) -> str:
    """The message for a key the model does not have; on a source, it lists the type's options."""
    sources = data.get("sources") if isinstance(data, dict) else None
    is_source = (
        loc[:1] == ("sources",)
        and isinstance(sources, list)
        and any(parent is s for s in sources)
        and isinstance(parent, dict)
    )
    kind = parent.get("type") if is_source and isinstance(parent, dict) else None
    model = source_types().get(kind) if isinstance(kind, str) else None
    if model is None:
        return "unknown key"
    options = ", ".join(model.options()) or "none besides the common keys"
    return f"not an option of type {kind} (options: {options})"


def _describe(error: ValidationError, data: object) -> str:
    """Pydantic's errors → one `field: message (got value)` line each."""
    lines = []
    for e in error.errors():
        field, parent = _where(e["loc"], data)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = _unknown_key(e["loc"], parent, data)
        value = e.get("input")
        shown = (
            ""
            if e["type"] in ("missing",) or isinstance(value, dict | list) or repr(value) in msg
            else f" (got {value!r})"
        )
        lines.append(f"{field}: {msg}{shown}" if field else f"{msg}{shown}")
    return ("\n  " if len(lines) > 1 else "") + "\n  ".join(lines)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file. Raises ConfigError naming file, field and value."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read config: {e.strerror}", file=str(path)) from e
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"not YAML text: byte 0x{e.object[e.start]:02x} at offset {e.start} is not UTF-8", file=str(path)
        ) from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}", file=str(path)) from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys", file=str(path))
    return config_from_dict(data, file=str(path), base_dir=str(path.parent))


def config_from_dict(data: dict, *, file: str = "<config>", base_dir: str = ".") -> Config:
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as e:
        raise ConfigError(_describe(e, data), file=file) from e
