"""One exception tree for necwatch.

    NecwatchError
    ├── ConfigError          bad config.yaml: names file, field and value
    ├── FetchError           a URL could not be fetched: names url, kind, status
    │   ├── HostNotAllowed       host outside the allow-list
    │   ├── AddressNotAllowed    host resolves to a private/loopback/link-local address
    │   ├── RobotsDisallowed     robots.txt forbids the path (or robots.txt failed with 5xx)
    │   ├── ResponseTooLarge     body over the size cap
    │   └── RateLimited          429/503 with a Retry-After beyond the in-run cap
    ├── ParseError           a page did not have the shape its parser expects
    ├── StoreError           the database refused a write (full, locked, corrupt)
    │   └── DatabaseUnusable     the database path cannot be used: not SQLite, damaged, unwritable
    └── LockHeld             another necwatch process holds the run lock

Expected errors become per-source results; anything else is a bug and crashes loudly.
"""

from __future__ import annotations

# The closed set of fetch error kinds (RELIABILITY.md G15). Every fetch_errors row uses one.
FETCH_ERROR_KINDS = frozenset(
    {
        "http_4xx",
        "not_found",  # 404
        "gone",  # 410
        "http_5xx",
        "rate_limited",
        "timeout",
        "deadline",
        "connect",
        "dns",
        "truncated",
        "protocol",
        "too_large",
        "too_many_redirects",
        "redirect_loop",
        "host_not_allowed",
        "address_not_allowed",
        "robots_disallowed",
        "robots_unavailable",
        "challenge",  # a bot check (Cloudflare "Just a moment…") instead of the page
        "unavailable",  # a 200 page that is not the post: account suspended, parked domain
        "too_complex",  # a page too deeply nested to extract in bounded time
        "unexpected_page",
        "parse_empty",
        "feed_unparseable",
        "tls",
        "storage_full",
        "storage_locked",  # a poll's write could not start or finish: the database was locked
        "storage_error",  # a poll's write was refused (a constraint): the source's writes rolled back
    }
)


class NecwatchError(Exception):
    """Base class of every error necwatch raises on purpose."""


class ConfigError(NecwatchError):
    """The configuration is invalid; the message names file, field and value."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        where = ": ".join(p for p in (file, field) if p)
        super().__init__(f"{where}: {message}" if where else message)


class FetchError(NecwatchError):
    """A URL could not be fetched. `kind` is one of FETCH_ERROR_KINDS."""

    kind: str = "protocol"

    def __init__(
        self,
        message: str,
        *,
        url: str,
        kind: str | None = None,
        status: int | None = None,
        final_url: str | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
        bytes_read: int = 0,
    ) -> None:
        if kind is not None:
            self.kind = kind
        assert self.kind in FETCH_ERROR_KINDS, self.kind
        self.url = url
        self.status = status
        self.final_url = final_url or url
        self.attempts = attempts
        self.retry_after = retry_after
        self.bytes_read = bytes_read
        self.message = message
        super().__init__(f"{url}: {self.kind}{f' (HTTP {status})' if status else ''}: {message}")


class HostNotAllowed(FetchError):
    kind = "host_not_allowed"


class AddressNotAllowed(FetchError):
    kind = "address_not_allowed"


class RobotsDisallowed(FetchError):
    kind = "robots_disallowed"


class ResponseTooLarge(FetchError):
    kind = "too_large"


class RateLimited(FetchError):
    kind = "rate_limited"


class ParseError(NecwatchError):
    """A page did not have the expected shape (a selector matched nothing, a feed had no entries)."""

    def __init__(self, message: str, *, url: str, selector: str | None = None, kind: str = "parse_empty"):
        self.url = url
        self.selector = selector
        self.kind = kind
        detail = f" (selector {selector!r})" if selector else ""
        super().__init__(f"{url}: {message}{detail}")


class StoreError(NecwatchError):
    """The database refused a write; nothing of the failed transaction was kept."""

    def __init__(self, message: str, *, kind: str = "storage_full") -> None:
        self.kind = kind
        super().__init__(message)


class DatabaseUnusable(StoreError):
    """The database cannot be used at all: its path cannot be written, it is not SQLite, or it is
    damaged. `str()` is one line, `<path>: <reason>` with what to do; the CLI prints it and exits 2.
    Nothing was written to the file."""

    def __init__(self, path: object, reason: str, *, kind: str = "database_unusable") -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}", kind=kind)


class LockHeld(NecwatchError):
    """Another necwatch process is running against the same database."""


def rebase(error: FetchError, *, url: str, final_url: str | None) -> FetchError:
    """The same failure as a public error type, naming the caller's URL (guard errors name neither)."""
    cls = type(error) if type(error).__module__ == __name__ else FetchError
    return cls(
        error.message,
        url=url,
        kind=error.kind,
        status=error.status,
        final_url=final_url,
        attempts=error.attempts,
        retry_after=error.retry_after,
        bytes_read=error.bytes_read,
    )
