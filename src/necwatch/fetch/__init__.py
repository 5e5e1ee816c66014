"""The only HTTP client in necwatch.

`HttpClient` is shared by a whole run (per-host limits and robots.txt are global); each source gets a
`Fetcher` view of it that knows the source's allowed hosts and keeps the source's request log.

`Fetcher.get(url)` returns a `Response` for a 2xx, or for a 304 answered from the stored body
(`not_modified=True`); every other outcome raises a `FetchError` whose `kind` classifies it.
"""

from necwatch.fetch.cache import Cached, DictCache, NoCache, ResponseCache
from necwatch.fetch.client import Fetcher, HttpClient

__all__ = ["Cached", "DictCache", "Fetcher", "HttpClient", "NoCache", "ResponseCache"]
