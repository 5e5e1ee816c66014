"""config.yaml → strict typed models. Unknown keys are errors; errors name file, field and value.

Defaults live here, in the models (RELIABILITY.md gives the reasons behind the fetch defaults).
The config object is passed in everywhere, never global.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from necwatch import __version__
from necwatch.errors import ConfigError

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchSettings(_Strict):
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


class HtmlSelectors(_Strict):
    """CSS selectors for the generic `html` source type (see docs/sources.md)."""

    item: str  # one per post on a listing page
    link: str = "a"  # inside item: the post's permalink
    next_page: str | None = None  # on a listing page: the "Older posts" link
    title: str
    body: str
    date: str | None = None
    date_attr: str | None = None  # read the date from this attribute (e.g. datetime) instead of text
    author: str | None = None
    labels: str | None = None  # tag/label links of a post (default: a[rel~=tag])
    remove: list[str] = Field(default_factory=list)  # removed from the body before extraction
    comment: str | None = None
    comment_author: str | None = None
    comment_date: str | None = None
    comment_body: str | None = None


SourceType = Literal["blogger", "wordpress", "labourlist", "html"]
Via = Literal["auto", "feed", "json", "rss", "rest", "html"]


class SourceConfig(_Strict):
    """One polled site. `url` may be any base (https://host/ or http://127.0.0.1:PORT/)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    type: SourceType
    url: str
    author: str | None = None  # default author when a page does not say
    match: str | None = None  # label/tag name or title regex that marks NEC reports (titles always count)
    label: str | None = None  # Blogger: read only this label's feed
    tag: str | None = None  # WordPress/LabourList: tag slug whose posts are read
    category: str | None = None  # WordPress: category slug
    author_slug: str | None = None  # WordPress: author archive (/author/SLUG/)
    via: Via = "auto"
    interval: Duration = 6 * 3600.0
    timezone: str = "Europe/London"  # for dates printed without an offset
    allow_hosts: list[str] = Field(default_factory=list)  # extra hosts this source may fetch
    max_pages: int = Field(50, ge=1)  # listing pages per poll
    selectors: HtmlSelectors | None = None  # required for type html
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v if parts.path else v + "/"

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

    @model_validator(mode="after")
    def _selectors(self) -> SourceConfig:
        if self.type == "html" and self.selectors is None:
            raise ValueError("type html needs a `selectors` block (item, title, body, ...)")
        if self.type != "html" and self.selectors is not None:
            raise ValueError(f"`selectors` is only for type html, not {self.type}")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc.lower()

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset([self.host, *(h.lower() for h in self.allow_hosts)])


class ScheduleSettings(_Strict):
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


class NotifySettings(_Strict):
    """Apprise delivery. URLs come from the environment or a secrets file, never from config.yaml."""

    urls_env: str = "NECWATCH_APPRISE_URLS"
    secrets_file: str | None = None
    include_backfill: bool = False
    max_attempts: int = Field(10, ge=1)


class PublishSettings(_Strict):
    title: str = "necwatch: Labour NEC reports"
    base_url: str | None = None  # public Datasette URL, for links in feeds
    feeds_url: str | None = None  # where data/feeds is served (GitHub Pages)
    target: Literal["cloudrun", "vercel", "fly", "static"] = "cloudrun"
    service: str = "necwatch"


class Config(_Strict):
    database: str = "data/necwatch.db"
    feeds_dir: str = "data/feeds"
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_addresses: bool = False  # true only for local test servers
    fetch: FetchSettings = Field(default_factory=lambda: FetchSettings())
    schedule: ScheduleSettings = Field(default_factory=lambda: ScheduleSettings())
    notify: NotifySettings = Field(default_factory=lambda: NotifySettings())
    publish: PublishSettings = Field(default_factory=lambda: PublishSettings())
    authors: dict[str, list[str]] = Field(default_factory=dict)  # canonical name → other spellings
    sources: list[SourceConfig] = Field(default_factory=list)
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


def _describe(error: ValidationError, data: object) -> str:
    lines = []
    for e in error.errors():
        loc = e["loc"]
        field = ""
        node = data
        for part in loc:
            if isinstance(part, int):
                name = (
                    node[part].get("name")
                    if isinstance(node, list) and isinstance(node[part], dict)
                    else None
                )
                field += f"[{part}]" + (f" ({name})" if name else "")
            else:
                field += ("." if field else "") + str(part)
            try:
                node = node[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                node = None
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        value = e.get("input")
        shown = (
            ""
            if e["type"] in ("missing",) or isinstance(value, dict | list) or repr(value) in msg
            else f" (got {value!r})"
        )
        lines.append(f"{field}: {msg}{shown}")
    return ("\n  " if len(lines) > 1 else "") + "\n  ".join(lines)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file. Raises ConfigError naming file, field and value."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read config: {e.strerror}", file=str(path)) from e
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
