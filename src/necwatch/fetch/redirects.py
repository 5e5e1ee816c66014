"""The hops of one get(): redirects followed by hand, each target checked before it is requested."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from necwatch.errors import FetchError
from necwatch.fetch.conditional import without_validators
from necwatch.fetch.exchange import Exchange, Hop
from necwatch.fetch.guard import check_allowed

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})

# The before-the-hop address check: (hop URL, the caller's URL) -> None or a raised FetchError.
AddressCheck = Callable[[httpx.URL, str], Awaitable[None]]


class RedirectChain:
    """Where one get() is: the current URL, the chain that led there and the headers for the next hop."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        try:
            self.current = httpx.URL(url)
        except httpx.InvalidURL as e:
            raise FetchError(f"invalid URL: {e}", url=url, kind="protocol", attempts=0) from e
        self.url = url
        self.headers = headers
        self.chain = [str(self.current)]
        self.redirect_status: int | None = None  # the status of the redirect that led here, if any
        self.permanent = True  # every redirect so far was permanent (301/308)
        self._first_host: str | None = None

    async def admit(self, allowed: frozenset[str], check_address: AddressCheck) -> Hop:
        """The current hop, once its host is on the allow-list and its address passes the check.

        Validators are dropped for good once a redirect leaves the first host; a refused redirect
        target's error says how we got there.
        """
        try:
            host = check_allowed(self.current, allowed, original=self.url)
            if self._first_host is None:
                self._first_host = host
            elif host != self._first_host:
                self.headers = without_validators(self.headers)
            await check_address(self.current, self.url)
        except FetchError as e:
            if self.redirect_status is not None:
                e.status = self.redirect_status
                e.message = f"{e.message}; redirected by HTTP {self.redirect_status}: " + " -> ".join(
                    self.chain
                )
            raise
        return Hop(self.url, self.current, host, self.headers)

    def follow(self, ex: Exchange, max_redirects: int) -> None:
        """Move to the redirect's target, or raise: no Location, a loop, or too many redirects."""
        location = ex.headers.get("location")
        if not location:
            raise FetchError(
                "redirect without a Location",
                url=self.url,
                kind="protocol",
                status=ex.status,
                final_url=str(self.current),
            )
        target = self.current.join(location.strip()).copy_with(fragment=None)
        if str(target) in self.chain:
            raise FetchError(
                "redirect loop: " + " -> ".join([*self.chain, str(target)]),
                url=self.url,
                kind="redirect_loop",
                status=ex.status,
                final_url=str(target),
            )
        if len(self.chain) > max_redirects:
            raise FetchError(
                f"more than {max_redirects} redirects: " + " -> ".join([*self.chain, str(target)]),
                url=self.url,
                kind="too_many_redirects",
                status=ex.status,
                final_url=str(target),
            )
        self.chain.append(str(target))
        self.current = target
        self.redirect_status = ex.status
        self.permanent = self.permanent and ex.status in PERMANENT_REDIRECTS

    @property
    def moved(self) -> bool:
        """The URL asked for has moved for good: one or more redirects, every one permanent."""
        return self.redirect_status is not None and self.permanent
