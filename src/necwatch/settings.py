"""The typed settings models every stage reads, and the registry of source types' option models.

This module knows no adapter: adapters (sources/) import it to declare their options, and register
them into SOURCE_TYPES; necwatch.config, above both, imports the adapters and assembles `Config`.
Defaults live here, in the models (RELIABILITY.md gives the reasons behind the fetch defaults).
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any, Literal, Self, Union, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    Tag,
    TypeAdapter,
    field_validator,
)
from pydantic_core import CoreSchema

from necwatch import __version__

DEFAULT_USER_AGENT = f"necwatch/{__version__} (+https://github.com/necwatch/necwatch)"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: object) -> float:
    """'90s', '30m', '6h', '1d' or a number of seconds → seconds (float)."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 30m, 6h, 1d)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds < 0:
        raise ValueError(f"duration must not be negative: {value!r}")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    """Unknown keys are errors; a loaded config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchSettings(Strict):
    """HTTP behaviour shared by every source (RELIABILITY.md 'Proposed necwatch defaults')."""

    connect_timeout: Duration = 10.0
    read_timeout: Duration = 20.0
    deadline: Duration = 45.0  # total per request, including a slow drip
    max_bytes: int = Field(10 * 1024 * 1024, gt=0)  # decoded body cap
    warn_bytes: int = Field(2 * 1024 * 1024, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(2, ge=0, le=10)  # retries after the first attempt
    backoff: Duration = 1.0  # first backoff; doubles, with jitter
    max_retry_after: Duration = 60.0  # longer Retry-After defers the source to a later run
    per_host_concurrency: int = Field(1, ge=1, le=16)
    per_host_delay: Duration = 1.0  # minimum gap between requests to one host
    concurrency: int = Field(8, ge=1, le=64)  # requests in flight across all hosts
    robots_cache: Duration = 86400.0
    respect_robots: bool = True


class SourceConfig(Strict):
    """One polled site: the keys every source type has. `url` may be any base (https://host/ or
    http://127.0.0.1:PORT/).

    Each adapter declares its own subclass with its options and a `type: Literal["<name>"]`, and
    registers it with the adapter (sources/base.py `register`). `type` is checked against that
    registry, never against a list kept here. `SourceConfig(...)` and `SourceConfig.model_validate`
    give the registered subclass for the `type` (so options are checked the same way everywhere);
    in `Config.sources` the subclasses form a discriminated union on `type` (`source_config_union`).
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    type: str
    url: str
    author: str | None = None  # default author when a page does not say
    match: str | None = None  # label/tag name or title regex that marks NEC reports (titles always count)
    interval: Duration = 6 * 3600.0
    timezone: str = "Europe/London"  # for dates printed without an offset
    allow_hosts: list[str] = Field(default_factory=list)  # extra hosts this source may fetch
    max_pages: int = Field(50, ge=1)  # listing pages per poll
    # Posts a backfill poll reads at most (incremental sources; the next poll carries on): a poll
    # holds its posts in memory until they are written, so this bounds a poll's memory.
    backfill_batch: int = Field(2000, ge=1)
    enabled: bool = True
    # Poll only what changed when the platform can say so (WordPress REST, Blogger feeds); off: the
    # whole listing every poll, as before.
    incremental: bool = True
    # Every stored post is revalidated at least once per this period (rolling, spread across polls),
    # so an edit that does not move the platform's modified time is still found.
    sweep_period: Duration = 7 * 86400.0
    # Recovery from the web archive (docs/archive.md): removed reports never stored in full, and posts
    # gone before the first poll, read from the archive at `archive_url` (default the Wayback Machine).
    archive: bool = False
    archive_url: str | None = None
    archive_delay: Duration | None = None  # seconds between two requests to the archive (default 3)

    def __new__(cls, *args: Any, **data: Any) -> SourceConfig:
        """`SourceConfig(type="blogger", ...)` builds the registered model of that type."""
        kind = data.get("type")
        model = source_types().get(kind) if cls is SourceConfig and isinstance(kind, str) else None
        return super().__new__(model or cls)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """On the base class: validate through the union, so the result is the type's own model."""
        if cls is SourceConfig:
            return cast(Self, source_config_adapter().validate_python(obj, *args, **kwargs))
        return super().model_validate(obj, *args, **kwargs)

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        types = source_types()
        if v not in types:
            raise ValueError(f"unknown source type {v!r} (registered types: {', '.join(sorted(types))})")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v if parts.path else v + "/"

    @field_validator("archive_url")
    @classmethod
    def _archive_url(cls, v: str | None) -> str | None:
        """The web archive's base (docs/archive.md): an http(s) URL ending in `/`."""
        if v is None:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v if v.endswith("/") else v + "/"

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: float) -> float:
        if v < 60:
            raise ValueError(f"interval must be at least 1 minute, got {v:g}s")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}") from e
        return v

    @field_validator("match")
    @classmethod
    def _match(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"match is not a valid regular expression: {v!r} ({e})") from e
        return v

    @classmethod
    def options(cls) -> list[str]:
        """The keys this type adds to the common ones (for error messages and docs)."""
        return [f for f in cls.model_fields if f not in SourceConfig.model_fields]

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc.lower()

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset([self.host, *(h.lower() for h in self.allow_hosts)])


SourceConfigBase = SourceConfig  # the name adapters' option models subclass

# Tag of the union member that validates a source whose `type` is not registered: the common model,
# so the error names the unknown type (and lists the registered ones) along with any unknown key.
_UNREGISTERED = "<unregistered>"


# Registered type name → its options model. Filled by sources.base.register (the adapter registry)
# when the adapters are imported, which necwatch.config does: there is no other list of types.
SOURCE_TYPES: dict[str, type[SourceConfig]] = {}


def source_types() -> dict[str, type[SourceConfig]]:
    """Registered type name → its options model."""
    return SOURCE_TYPES


def _source_tag(value: Any) -> str:
    """Which union member validates `value`: its `type` when registered."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in source_types() else _UNREGISTERED


@functools.cache
def _source_union(types: tuple[tuple[str, type[SourceConfig]], ...]) -> Any:
    members = [Annotated[model, Tag(name)] for name, model in types]
    members.append(Annotated[SourceConfig, Tag(_UNREGISTERED)])
    return Annotated[Union[tuple(members)], Discriminator(_source_tag)]  # noqa: UP007


def source_config_union() -> Any:
    """The discriminated union (on `type`) of every registered type's options model."""
    return _source_union(tuple(sorted(source_types().items())))


@functools.cache
def _adapter(union: Any) -> TypeAdapter[SourceConfig]:
    return TypeAdapter(union)


def source_config_adapter() -> TypeAdapter[SourceConfig]:
    """Validates one source mapping into its type's model."""
    return _adapter(source_config_union())


class _AnySource:
    """Field type of `Config.sources`: the union, built when Config's schema is (deferred, see
    Config.model_config), after every adapter has registered."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(source_config_union())


AnySource = Annotated[SourceConfig, _AnySource]


class ScheduleSettings(Strict):
    """How `necwatch schedule` spaces polls (see schedule.py)."""

    jitter: Duration = 300.0
    adaptive: bool = False
    min_interval: Duration = 3600.0
    max_interval: Duration = 86400.0
    after_meeting_interval: Duration = 3600.0
    after_meeting_days: int = Field(7, ge=0)
    max_backoff: Duration = 86400.0
    unhealthy_after: int = Field(3, ge=1)  # consecutive failed runs before one source_unhealthy alert
    run_deadline: Duration = 900.0


class NotifySettings(Strict):
    """Apprise delivery. URLs come from the environment or a secrets file, never from config.yaml."""

    urls_env: str = "NECWATCH_APPRISE_URLS"
    secrets_file: str | None = None
    include_backfill: bool = False
    max_attempts: int = Field(10, ge=1)


class StorageSettings(Strict):
    """What the database keeps beyond the dataset (docs/configuration.md, docs/schema.md)."""

    # Raw responses of post pages that are not NEC reports: "latest" keeps only the body last seen
    # (what a conditional request's 304 and `necwatch reextract` re-classification read); "all" keeps
    # every superseded body too, as reports' pages always do.
    non_report_raw: Literal["latest", "all"] = "latest"
    # Raw responses of pages that are not post pages (listings, feeds, comment feeds): "latest"
    # keeps the body last seen, so a listing whose items shifted replaces its old body instead of
    # adding one, and for a source read through change queries (never re-extracted) only the listings
    # its latest poll fetched; "all" keeps every body (the raw archive of what each listing showed when).
    listing_raw: Literal["latest", "all"] = "latest"


class PublishSettings(Strict):
    title: str = "necwatch: Labour NEC reports"
    base_url: str | None = None  # public Datasette URL, for links in feeds
    feeds_url: str | None = None  # where data/feeds is served (GitHub Pages)
    target: Literal["cloudrun", "vercel", "fly", "static"] = "cloudrun"
    service: str = "necwatch"
