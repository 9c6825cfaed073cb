"""Refusing private addresses where the socket is opened, so DNS rebinding cannot get past.

Pipelines feed the analyzer untrusted URL lists; it must not become a way into an internal
network. ``GuardedBackend`` is httpcore's network layer with the check inside ``connect_tcp``:
the host is resolved once, every address it resolves to is checked, and the socket goes to
an address that passed. Checking in a separate lookup before httpx connects would leave a
window in which a second DNS answer (rebinding) points the connection somewhere else.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from . import errors

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (OSError, UnicodeError) as exc:
            raise errors.DNSError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        refused = [address for address in addresses if not self.allows(address)]
        if refused:
            raise errors.PrivateAddress(
                f"{host} resolves to non-public address {refused[0]}; pass allow_private to allow it"
            )
        return addresses


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a ``GuardedBackend``; environment proxies are never used."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx has no public way to choose httpcore's network backend, so the pool it built
        # is replaced by one that uses ours; test_fetch's private-address tests fail loudly if
        # a future httpx stops reading ``_pool``.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
