"""F7, F8, F9, G3: redirects, the allow-list and the private-address guard (L1 stubs and L2 sockets)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest

from necwatch.errors import AddressNotAllowed, FetchError, HostNotAllowed
from necwatch.fetch import HttpClient
from necwatch.fetch.guard import is_blocked_address
from tests.faultserver import FaultServer, ok, status
from tests.fetch.conftest import UA, client_for, fast, run


class StubResolver:
    """Names → addresses, without DNS. A list of answers is used one per call (rebinding)."""

    def __init__(self, table: dict[str, list[str] | list[list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.table.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if answer and isinstance(answer[0], list):
            n = sum(1 for c in self.calls if c == host) - 1
            return list(answer[min(n, len(answer) - 1)])  # type: ignore[arg-type]
        return list(answer)  # type: ignore[arg-type]


PUBLIC = ["93.184.216.34"]
RESOLVER_TABLE: dict[str, list[str] | list[list[str]]] = {
    "blog.example": PUBLIC,
    "a.example": PUBLIC,
    "b.example": PUBLIC,
    "evil.example": PUBLIC,
    "internal.example": ["10.0.0.5"],
    "mixed.example": ["93.184.216.34", "192.168.1.10"],
}


def mock_web(
    routes: dict[str, Callable[[httpx.Request], httpx.Response]],
) -> tuple[httpx.MockTransport, list[str]]:
    """A MockTransport over full URLs; robots.txt is 404 everywhere unless routed. Logs every URL asked."""
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        asked.append(url)
        if url in routes:
            return routes[url](request)
        return httpx.Response(404)

    return httpx.MockTransport(handler), asked


def redirect(to: str, code: int = 302) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, headers={"location": to})


def page(body: bytes = b"<p>ok</p>") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, content=body, headers={"content-type": "text/html"})


async def mock_get(
    url: str, routes: dict, allowed: set[str], **settings: object
) -> tuple[object, list[str], list]:
    transport, asked = mock_web(routes)
    resolver = StubResolver(RESOLVER_TABLE)
    async with HttpClient(fast(**settings), user_agent=UA, transport=transport, resolver=resolver) as client:
        fetcher = client.for_source("s", frozenset(allowed))
        try:
            result: object = await fetcher.get(url)
        except FetchError as e:
            result = e
        return result, asked, fetcher.records


# -- redirects (F7) ------------------------------------------------------------------------------------
def test_redirect_loop_is_stopped_with_the_chain() -> None:
    routes = {"http://a.example/1": redirect("http://b.example/2"), "http://b.example/2": redirect("/1")}
    routes["http://b.example/1"] = redirect("http://a.example/1")
    result, asked, records = run(mock_get("http://a.example/1", routes, {"a.example", "b.example"}))
    assert isinstance(result, FetchError) and result.kind == "redirect_loop"
    assert "http://a.example/1 -> http://b.example/2 -> http://b.example/1 -> http://a.example/1" in str(
        result
    )
    assert [u for u in asked if not u.endswith("robots.txt")] == [
        "http://a.example/1",
        "http://b.example/2",
        "http://b.example/1",
    ]
    assert records[0].attempts == 3 and records[0].error_kind == "redirect_loop"


def test_six_hop_chain_is_too_many_redirects() -> None:
    routes = {f"http://blog.example/{i}": redirect(f"/{i + 1}", 301) for i in range(6)}
    routes["http://blog.example/6"] = page()
    result, asked, _ = run(mock_get("http://blog.example/0", routes, {"blog.example"}))
    assert isinstance(result, FetchError) and result.kind == "too_many_redirects"
    assert "http://blog.example/0 -> " in str(result) and str(result).endswith("http://blog.example/6")
    assert "http://blog.example/6" not in asked and len([u for u in asked if "robots" not in u]) == 6


def test_five_hops_are_followed() -> None:
    routes = {f"http://blog.example/{i}": redirect(f"/{i + 1}", 308) for i in range(5)}
    routes["http://blog.example/5"] = page(b"end")
    result, _, records = run(mock_get("http://blog.example/0", routes, {"blog.example"}))
    assert result.content == b"end" and result.final_url == "http://blog.example/5"
    assert records[0].attempts == 6 and records[0].final_url == "http://blog.example/5"


# -- allow-list (F8) -----------------------------------------------------------------------------------
def test_redirect_to_another_host_is_refused_before_any_request() -> None:
    routes = {"http://blog.example/p": redirect("https://evil.example/steal")}
    result, asked, records = run(mock_get("http://blog.example/p", routes, {"blog.example"}))
    assert isinstance(result, HostNotAllowed) and result.kind == "host_not_allowed"
    assert result.final_url == "https://evil.example/steal"
    assert not [u for u in asked if "evil.example" in u]
    assert len(records) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/",
        "http://blog.example@evil.example/",
        "file:///etc/passwd",
        "http://blog.example:8080/",
    ],
)
def test_urls_outside_the_allow_list_are_never_requested(url: str) -> None:
    result, asked, records = run(mock_get(url, {}, {"blog.example"}))
    assert isinstance(result, HostNotAllowed) and asked == [] and records[0].attempts == 0


def test_allow_list_ignores_case_and_default_ports() -> None:
    routes = {"https://blog.example/p": page()}
    result, _, _ = run(mock_get("https://BLOG.example:443/p", routes, {"blog.example"}))
    assert result.status == 200


# -- private addresses (F9) ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.64.0.1/",
        "http://10.0.0.5/",
        "http://internal.example/",
        "http://mixed.example/",
        "http://0.0.0.0/",
    ],
)
def test_redirect_to_a_private_address_is_refused(target: str) -> None:
    host = httpx.URL(target).netloc.decode()
    routes = {"http://blog.example/p": redirect(target)}
    result, asked, _ = run(mock_get("http://blog.example/p", routes, {"blog.example", host}))
    assert isinstance(result, AddressNotAllowed) and result.kind == "address_not_allowed"
    assert result.url == "http://blog.example/p" and result.final_url == target
    assert asked == ["http://blog.example/robots.txt", "http://blog.example/p"]


def test_dns_failure_is_kind_dns() -> None:
    result, asked, _ = run(mock_get("http://nowhere.example/", {}, {"nowhere.example"}))
    assert isinstance(result, FetchError) and result.kind == "dns" and asked == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fe80::1%eth0",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:100.64.0.1",
        "::",
        "not-an-ip",
    ],
)
def test_blocked_addresses(address: str) -> None:
    assert is_blocked_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "100.128.0.1", "172.32.0.1", "2606:4700::1111"]
)
def test_public_addresses(address: str) -> None:
    assert not is_blocked_address(address)


# -- the same at socket level (L2) ---------------------------------------------------------------------
def test_redirect_to_another_loopback_server_is_refused_at_connect(server: FaultServer) -> None:
    with FaultServer(routes={"/secret": ok(b"secret")}) as private:
        server.routes["/p"] = status(302, location=private.url("/secret"))

        async def scenario() -> FetchError:
            # The override admits this test's own server only; the other loopback port stays private.
            async with client_for(server) as client:
                fetcher = client.for_source("s", frozenset([server.netloc, private.netloc]))
                with pytest.raises(AddressNotAllowed) as e:
                    await fetcher.get(server.url("/p"))
                return e.value

        error = run(scenario())
        assert error.final_url == private.url("/secret")
        assert private.count() == 0


def test_dns_rebinding_is_caught_at_connect_time(server: FaultServer) -> None:
    server.routes["/p"] = ok()
    name = f"rebind.test:{server.port}"
    resolver = StubResolver({"rebind.test": [["127.0.0.1"], ["127.0.0.1"], ["10.0.0.5"]]})

    async def scenario() -> tuple[int, str]:
        async with HttpClient(
            fast(), user_agent=UA, resolver=resolver, allow_addresses=[server.netloc]
        ) as client:
            fetcher = client.for_source("s", frozenset([name]))
            first = await fetcher.get(f"http://{name}/p")  # robots.txt + page: two connects, both public
            with pytest.raises(AddressNotAllowed) as e:  # the name now answers with a private address
                await fetcher.get(f"http://{name}/p")
            return first.status, e.value.kind

    assert run(scenario()) == (200, "address_not_allowed")
    assert server.count("/p") == 1
    assert resolver.calls == ["rebind.test"] * 3


def test_dns_failure_at_connect_time(server: FaultServer) -> None:
    async def scenario() -> FetchError:
        async with HttpClient(fast(), user_agent=UA, resolver=StubResolver({})) as client:
            fetcher = client.for_source("s", frozenset(["gone.test"]))
            with pytest.raises(FetchError) as e:
                await fetcher.get("http://gone.test/p")
            return e.value

    error = run(scenario())
    assert error.kind == "dns" and type(error) is FetchError


def test_private_addresses_refused_without_override(server: FaultServer) -> None:
    server.routes["/p"] = ok()

    async def scenario() -> None:
        async with HttpClient(fast(), user_agent=UA) as client:
            fetcher = client.for_source("s", frozenset([server.netloc]))
            with pytest.raises(AddressNotAllowed):
                await fetcher.get(server.url("/p"))

    run(scenario())
    assert server.count() == 0
