"""Which hosts and addresses necwatch may connect to (RELIABILITY.md F8, F9, I6).

Two checks, both on every redirect hop:

* the allow-list: a URL's netloc (lower-case host, plus the port when it is not the scheme's default) must
  be one the source configured, parsed with httpx's own URL parser so the check and the request can never
  disagree about the host (the parser-differential class of SSRF bugs);
* the address: unless the test-only override is on, a host must not resolve to a loopback, private,
  link-local, CGNAT, unique-local or unspecified address (IPv4-mapped IPv6 forms included).

The address check runs at connect time inside the connection pool (`GuardedBackend`), which resolves the
name once, checks every address, and connects to the address it checked. A DNS answer that changes
between the check and the connect (rebinding) therefore cannot reach a private address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Protocol

import httpcore
import httpx

from necwatch.errors import AddressNotAllowed, FetchError, HostNotAllowed
from necwatch.fetch.outcome import rebase

_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network", including 0.0.0.0
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # CGNAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, including cloud metadata 169.254.169.254
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, including broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address we would not otherwise check
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    )
)


def is_blocked_address(address: str) -> bool:
    """True for addresses necwatch must never connect to without the test override."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address at all: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_blocked_address(str(embedded))
        if ip in ipaddress.ip_network("::ffff:0:0:0/96") or ip in ipaddress.ip_network("::/96"):
            return True  # IPv4-translated and deprecated IPv4-compatible forms
    return any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version)


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def netloc(url: httpx.URL) -> str:
    """The allow-list key of a URL: lower-case host, plus the port when not the scheme's default."""
    host = url.host.lower()
    if ":" in host:
        host = f"[{host}]"
    return host if url.port is None else f"{host}:{url.port}"


def normalize_allowed(hosts: Iterable[str]) -> frozenset[str]:
    """Allow-list entries as `netloc()` spells them (lower case, no userinfo, no default port)."""
    out = set()
    for entry in hosts:
        entry = entry.strip().lower().rsplit("@", 1)[-1]
        for default in (":80", ":443"):
            if entry.endswith(default):
                out.add(entry.removesuffix(default))
        out.add(entry)
    return frozenset(out)


def check_allowed(url: httpx.URL, allowed: frozenset[str], *, original: str) -> str:
    """Return the URL's netloc, or raise HostNotAllowed before anything is sent to it."""
    if url.scheme not in ("http", "https"):
        raise HostNotAllowed(f"scheme {url.scheme!r} is not fetched", url=original, final_url=str(url))
    key = netloc(url)
    if key not in allowed:
        raise HostNotAllowed(f"host {key} is not in the allow-list", url=original, final_url=str(url))
    return key


class Resolver(Protocol):
    """Name → addresses. Tests pass a stub; necwatch never needs anything but A/AAAA lookups."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """getaddrinfo in the event loop's executor."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class DnsError(FetchError):
    """The name did not resolve (kind=dns). Internal: surfaces as a FetchError."""

    kind = "dns"


class AddressGuard:
    """Resolves a host and refuses non-public answers unless the test override allows them.

    `allow_addresses` lets a test admit exactly its own server ("127.0.0.1:PORT" or a bare address)
    while every other private address stays refused, which is how the redirect-to-private tests run
    against a real loopback server.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        allow_addresses: Iterable[str] = (),
    ) -> None:
        self.allow_private = allow_private
        self.resolver: Resolver = resolver or SystemResolver()
        self.allow_addresses = frozenset(allow_addresses)

    def permits(self, address: str, port: int) -> bool:
        if self.allow_private or not is_blocked_address(address):
            return True
        shown = f"[{address}]" if ":" in address else address
        return address in self.allow_addresses or f"{shown}:{port}" in self.allow_addresses

    async def resolve(self, host: str, port: int, *, url: str) -> list[str]:
        """Addresses to connect to, all checked; raises AddressNotAllowed or a dns-kind FetchError."""
        host = host.strip("[]")
        if is_ip_literal(host):
            addresses = [host]
        else:
            try:
                addresses = await self.resolver.resolve(host, port)
            except (OSError, UnicodeError) as e:
                raise DnsError(f"cannot resolve {host}: {e}", url=url, attempts=0) from e
            if not addresses:
                raise DnsError(f"{host} has no addresses", url=url, attempts=0)
        refused = [a for a in addresses if not self.permits(a, port)]
        if refused:
            what = (
                f"{host} is a non-public address"
                if is_ip_literal(host)
                else f"{host} resolves to non-public address {', '.join(refused)}"
            )
            raise AddressNotAllowed(
                f"{what} (only for a local test server: set allow_private_addresses: true in the config)",
                url=url,
                attempts=0,
            )
        return addresses


class AddressPrecheck:
    """The address check before each hop, for when a custom transport (not `GuardedBackend`) connects.

    It runs only with a custom transport and allow_private off: on IP literals, and on names when a
    resolver was given.
    """

    def __init__(self, guard: AddressGuard, *, enabled: bool, names: bool) -> None:
        self.guard = guard
        self.enabled = enabled
        self.names = names

    async def check(self, url: httpx.URL, original: str) -> None:
        if not self.enabled:
            return
        host = url.host
        if is_ip_literal(host) or self.names:
            port = url.port or (443 if url.scheme == "https" else 80)
            try:
                await self.guard.resolve(host, port, url=original)
            except FetchError as e:
                raise rebase(e, url=original, final_url=str(url)) from e


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the guard has just checked."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.guard.resolve(host, port, url=f"//{host}:{port}")
        last: Exception | None = None
        for address in addresses:  # pinned: connect to what was checked, never re-resolve
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last = e
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressNotAllowed("unix sockets are never used", url=path, attempts=0)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(guard: AddressGuard, *, keepalive: int = 20) -> httpx.AsyncHTTPTransport:
    """httpx's default transport with the connect-time guard installed in its pool.

    httpx has no public hook for the network backend, so this sets the pool's backend attribute, and
    fails loudly at start-up (not silently unguarded) if a future httpx renames it (httpx is pinned <0.29).
    """
    # no pool-level cap (HostLimiter already bounds requests in flight); keep up to `keepalive` idle
    # connections, so a run with more concurrent connections than httpx's default 20 does not reconnect
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=keepalive)
    transport = httpx.AsyncHTTPTransport(retries=0, http2=False, limits=limits)
    pool = transport._pool
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore changed: cannot install the address guard")
    pool._network_backend = GuardedBackend(guard)
    return transport
