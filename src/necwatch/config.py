"""config.yaml → strict typed models. Unknown keys are errors; errors name file, field and value.

The models live in necwatch.settings; this module imports the source adapters (so every type is
registered) and assembles `Config`. The config object is passed in everywhere, never global.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

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
    "PLACEHOLDER_CONTACT",
    "Config",
    "Duration",
    "FetchSettings",
    "HtmlSelectors",
    "MembershipEntry",
    "NotifySettings",
    "PersonEntry",
    "PublishSettings",
    "ScheduleSettings",
    "SourceConfig",
    "SourceConfigBase",
    "StorageSettings",
    "Strict",
    "config_findings",
    "config_from_dict",
    "load_config",
    "parse_duration",
    "source_config_adapter",
    "source_config_union",
    "source_types",
]


_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class MembershipEntry(Strict):
    """One dated membership of a roster person (Popolo): an NEC seat, an office, a staff post."""

    organization: str = "nec"  # nec, labour-party or government (see docs/record.md)
    role: str = "NEC member"  # NEC member, Leader, Deputy Leader, General Secretary, Treasurer, Chair, …
    section: str | None = None  # for NEC members: CLP, Trade unions, Local government, …
    post: str | None = None  # e.g. "acting"
    start_date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    end_date: str | None = None  # null = still held
    source: str | None = None  # where the period comes from

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, int):
            value = str(value)
        if value is None or (isinstance(value, str) and _PARTIAL_DATE.match(value.strip())):
            if isinstance(value, str):
                try:
                    date.fromisoformat((value.strip() + "-01-01")[:10] if len(value.strip()) < 10 else value)
                except ValueError:
                    raise ValueError(f"not a date: {value!r}") from None
            return value.strip() if isinstance(value, str) else value
        raise ValueError("a date is YYYY, YYYY-MM or YYYY-MM-DD")

    @model_validator(mode="after")
    def _ordered(self) -> MembershipEntry:
        from necwatch.record.roster import parse_partial_date

        start, end = parse_partial_date(self.start_date), parse_partial_date(self.end_date, end=True)
        if start and end and end < start:
            raise ValueError(f"end_date: {self.end_date} is before start_date {self.start_date}")
        return self


class PersonEntry(Strict):
    """A person added to the shipped roster, or a correction of one (same id)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str | None = None  # required for an id the shipped roster does not have
    other_names: list[str] = Field(default_factory=list)  # aliases: first name, short forms, misspellings
    memberships: list[MembershipEntry] = Field(default_factory=list)


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
    people: list[PersonEntry] = Field(default_factory=list)  # roster additions/corrections (docs/record.md)
    sources: list[AnySource] = Field(default_factory=list)
    base_dir: str = Field(".", exclude=True)  # the config file's directory; relative paths resolve here

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for i, s in enumerate(self.sources):
            if s.name in seen:
                raise ValueError(f"sources[{i}].name: duplicate source name {s.name!r}")
            seen.add(s.name)
        read: dict[tuple[str, str], tuple[int, str]] = {}
        for i, s in enumerate(self.sources):
            key = (_same_url(s.url), json.dumps(s.model_dump(exclude=_NOT_WHAT_IS_READ), sort_keys=True))
            if key in read:
                j, other = read[key]
                raise ValueError(
                    f"sources[{i}] ({s.name}).url: {s.url} is already read by sources[{j}] ({other}): "
                    "every post would be stored twice; remove one of the two"
                )
            read[key] = (i, s.name)
        self._check_people()
        return self

    def _check_people(self) -> None:
        from necwatch.record.roster import Roster  # the record is pure: no import cycle at module load

        shipped = {p["id"] for p in Roster.shipped().persons}
        seen: set[str] = set()
        for i, p in enumerate(self.people):
            if p.id in seen:
                raise ValueError(f"people[{i}].id: {p.id!r} is listed twice; merge the two entries")
            seen.add(p.id)
            if p.id not in shipped and not p.name:
                raise ValueError(
                    f"people[{i}] ({p.id}).name: a new person needs a name "
                    f"(no shipped person has id {p.id!r})"
                )

    def people_dicts(self) -> list[dict]:
        """`people:` as roster_for takes it."""
        return [p.model_dump() for p in self.people]

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


# Keys that do not change which posts a source reads: two sources that differ only in these read the
# same posts twice.
_NOT_WHAT_IS_READ = {
    "name", "url", "author", "interval", "timezone", "enabled", "max_pages", "backfill_batch",
    "incremental", "sweep_period", "allow_hosts",
}  # fmt: skip


def _same_url(url: str) -> str:
    """A URL as a site reads it: scheme and host in lower case, default port and trailing / dropped."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host += f":{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


PLACEHOLDER_CONTACT = "github.com/necwatch/necwatch"


def config_findings(config: Config) -> tuple[list[str], list[str]]:
    """What `necwatch check` reports beyond validation: (errors, warnings), one line each naming the
    field, the value and what to do. Errors would fail at run time; warnings are advice."""
    errors: list[str] = []
    warnings: list[str] = []
    if not config.allow_private_addresses:
        for i, s in enumerate(config.sources):
            host = (urlsplit(s.url).hostname or "").lower()
            if _is_private_host(host):
                errors.append(
                    f"sources[{i}] ({s.name}).url: {s.url} is a private address, refused unless "
                    "allow_private_addresses: true (set it only for a local test server)"
                )
    if PLACEHOLDER_CONTACT in config.user_agent:
        warnings.append(
            f"user_agent: {config.user_agent!r} still names the shipped project page: put your own "
            "contact in it (a URL or email where site owners can reach you), e.g. "
            '"necwatch/0.1 (+https://example.org/about; you@example.org)"'
        )
    return errors, warnings


def _is_private_host(host: str) -> bool:
    """An IP literal that is not public, or localhost (no DNS lookup: check runs offline)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


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
            label = "id" if loc[:1] == ("people",) else "name"
            name = item.get(label) if isinstance(item, dict) else None
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
        if e["type"] == "string_pattern_mismatch" and e["loc"][-1:] == ("name",):
            msg = (
                "a source name is lower-case letters, digits, - and _, starting with a letter or "
                "digit (e.g. ann-black)"
            )
        value = e.get("input")
        shown = (
            ""
            if e["type"] in ("missing",) or isinstance(value, dict | list) or repr(value) in msg
            else f" (got {value!r})"
        )
        lines.append(f"{field}: {msg}{shown}" if field else f"{msg}{shown}")
    return ("\n  " if len(lines) > 1 else "") + "\n  ".join(lines)


def load_config(path: str | Path, *, require_sources: bool = False) -> Config:
    """Read and validate a config file. Raises ConfigError naming file, field and value.

    `require_sources`: a file with no source is an error (for what polls: check, run, schedule)."""
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
        raise ConfigError(_yaml_problem(e), file=str(path)) from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys", file=str(path))
    config = config_from_dict(data, file=str(path), base_dir=str(path.parent))
    if require_sources and not config.sources:
        raise ConfigError(
            "no sources: add at least one under `sources:` (`necwatch add URL` probes a blog and adds it)",
            file=str(path),
            field="sources",
        )
    return config


def _yaml_problem(e: yaml.YAMLError) -> str:
    """`line N, column M: <problem>` (1-based, where the parser stopped), not the parser's dump."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or "not valid YAML"
    if mark is None:
        return f"not valid YAML: {problem}"
    for needle, words in _YAML_WORDS:
        if needle in problem:
            problem = words
            break
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


# The parser's phrases a newcomer meets most, in plain words (checked in order).
_YAML_WORDS = (
    ("expected <block end>", "this line is indented differently from the keys above it: line it up"),
    ("could not find expected ':'", "a key without ':' (write `key: value`)"),
    ("mapping values are not allowed", "a ':' where a value was expected: quote the value"),
    ("found character '\\t'", "a tab: indent with spaces"),
    ("expected ',' or ']'", "a [ list ] that is not closed"),
    ("expected ',' or '}'", "a { mapping } that is not closed"),
    ("found unexpected end of stream", "a quoted value that is not closed"),
)


def config_from_dict(data: dict, *, file: str = "<config>", base_dir: str = ".") -> Config:
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as e:
        raise ConfigError(_describe(e, data), file=file) from e
