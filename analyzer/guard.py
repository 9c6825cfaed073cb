"""Refusing private addresses where the socket is opened, so DNS rebinding cannot get past.

Pipelines feed the analyzer untrusted URL lists; it must not become a way into an internal
network. ``GuardedBackend`` is httpcore's network layer with the check inside ``connect_tcp``:
the host is resolved once, every address it resolves to is checked, and the socket goes to
an address that passed. Checking in a separate lookup before httpx connects would leave a
window in which a second DNS answer (rebinding) points the connection somewhere else.
DNS answers are kept for a short while (``DNS_TTL``) and checked again at each use; an
address literal is never looked up.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass

import anyio
import httpcore
import httpx

from . import errors

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# A scan opens one or two connections to its vendor's host, more when the server closes them
# between requests, all within the site's time budget of about a minute
# (config.DEFAULT_SITE_TIMEOUT). Answers are kept that long and no longer: long enough that a
# site is looked up once per scan, short next to usual DNS TTLs.
DNS_TTL = 60.0
# Hosts whose answers are kept; a batch has at most a few hundred sites in flight.
DNS_CACHE_SIZE = 4096


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses, including IPv6 forms that embed an IPv4 one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the address check where the socket is opened.

    The host is resolved once; if any of its addresses is not allowed the connection is
    refused, otherwise the socket goes to an address that was checked. TLS still sends the
    host name (SNI) and verifies the certificate against it, because httpcore starts TLS
    with the request's host, not with the address given here.
    """

    def __init__(self, *, allow_private: bool, allow_networks: Iterable[str] = ()) -> None:
        self._allow_private = allow_private
        self._networks = tuple(ipaddress.ip_network(n) for n in allow_networks)
        self._inner = httpcore.AnyIOBackend()
        self._answers: OrderedDict[tuple[str, int], tuple[float, list[str]]] = OrderedDict()

    def allows(self, address: str) -> bool:
        if self._allow_private or is_public_address(address):
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip in network for network in self._networks)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in await self._resolve(host, port, timeout):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used by the fetcher")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        addresses = [host] if _is_address(host) else await self._cached_look_up(host, port, timeout)
        refused = [address for address in addresses if not self.allows(address)]
        if refused:
            raise errors.PrivateAddress(
                f"{host} resolves to non-public address {refused[0]}; pass allow_private to allow it"
            )
        return addresses

    async def _cached_look_up(self, host: str, port: int, timeout: float | None) -> list[str]:
        key = (host, port)
        now = time.monotonic()
        cached = self._answers.get(key)
        if cached is not None and cached[0] > now:
            self._answers.move_to_end(key)
            return cached[1]
        addresses = await self._look_up(host, port, timeout)
        self._answers[key] = (now + DNS_TTL, addresses)
        self._answers.move_to_end(key)
        if len(self._answers) > DNS_CACHE_SIZE:
            self._answers.popitem(last=False)
        return addresses

    @staticmethod
    async def _look_up(host: str, port: int, timeout: float | None) -> list[str]:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (OSError, UnicodeError) as exc:
            raise errors.DNSError(f"cannot resolve {host}: {exc}") from None
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a ``GuardedBackend``, with a small connection pool per origin.

    Environment proxies are never used. Each origin (scheme, host, port) gets its own httpcore
    pool of at most ``per_origin`` connections kept alive for ``keepalive_expiry`` seconds, so
    a site's requests (robots.txt, home page, services pages) share a connection. One pool for
    all origins would do the same, but httpcore's pool scans every connection it holds on each
    request and response, quadratic in the connections of a batch with a hundred sites in
    flight; a pool per origin keeps that scan to one or two connections.
    """

    def __init__(
        self, backend: GuardedBackend, *, per_origin: int, keepalive_expiry: float, max_pools: int, verify: bool = True
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False)

        def new_pool() -> httpcore.AsyncConnectionPool:
            return httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=per_origin,
                max_keepalive_connections=per_origin,
                keepalive_expiry=keepalive_expiry,
                network_backend=backend,
            )

        # httpx has no public way to choose httpcore's network backend or pool, so the pool it
        # built is replaced; test_fetch's private-address tests fail loudly if a future httpx
        # stops reading ``_pool``.
        self._pool = OriginPools(new_pool, max_pools)  # type: ignore[assignment]


@dataclass
class _Pool:
    pool: httpcore.AsyncConnectionPool
    busy: int = 0  # requests whose response is not yet closed


class OriginPools:
    """One httpcore pool per origin, made on first use; pools with nothing in flight are closed,
    least recently used first, once more than ``max_pools`` are open."""

    def __init__(self, new_pool: Callable[[], httpcore.AsyncConnectionPool], max_pools: int) -> None:
        self._new_pool = new_pool
        self._max_pools = max_pools
        self._pools: OrderedDict[tuple[bytes, bytes, int | None], _Pool] = OrderedDict()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        key = (request.url.scheme, request.url.host, request.url.port)
        entry = self._pools.get(key)
        if entry is None:
            entry = self._pools[key] = _Pool(self._new_pool())
        self._pools.move_to_end(key)
        entry.busy += 1
        try:
            await self._close_idle()
            response = await entry.pool.handle_async_request(request)
        except BaseException:
            entry.busy -= 1
            raise
        return httpcore.Response(
            response.status, headers=response.headers, content=_Released(response.stream, entry),
            extensions=response.extensions,
        )

    async def _close_idle(self) -> None:
        excess = len(self._pools) - self._max_pools
        if excess <= 0:
            return
        idle = [key for key, entry in self._pools.items() if not entry.busy][:excess]
        closing = [self._pools.pop(key).pool for key in idle]
        for pool in closing:
            await pool.aclose()

    async def aclose(self) -> None:
        closing = [entry.pool for entry in self._pools.values()]
        self._pools.clear()
        for pool in closing:
            await pool.aclose()

    async def __aenter__(self) -> OriginPools:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Released:
    """A response body that marks its pool free of this request once it is closed."""

    def __init__(self, stream: Iterable[bytes] | AsyncIterable[bytes], entry: _Pool) -> None:
        assert isinstance(stream, AsyncIterable)
        self._stream = stream
        self._entry: _Pool | None = entry

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        entry, self._entry = self._entry, None
        if entry is None:
            return
        try:
            if hasattr(self._stream, "aclose"):
                await self._stream.aclose()
        finally:
            entry.busy -= 1
