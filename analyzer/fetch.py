"""Fetching pages politely and safely over one shared httpx client.

``Fetcher`` owns the ``httpx.AsyncClient``: timeouts, the body cap (enforced while
streaming), redirects followed by hand so every hop is checked against private
addresses, robots.txt, and a cap on concurrent requests per host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from . import errors
from .config import Settings

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    html: str
    content_type: str


def normalize_input_url(raw: str) -> str:
    """A user's URL made fetchable: bare domains get https://; anything else unusable raises."""
    url = raw.strip()
    if not url:
        raise errors.InvalidURL("empty URL")
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise errors.InvalidURL(f"malformed URL {raw!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise errors.InvalidURL(f"unsupported scheme {parts.scheme!r} in {raw!r}")
    host = parts.hostname or ""
    if not host or " " in host or host.startswith(".") or ".." in host:
        raise errors.InvalidURL(f"no valid host in {raw!r}")
    return url


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class Fetcher:
    """One shared client for a run; use as ``async with Fetcher(settings) as fetcher``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, **settings.extra_headers},
            limits=httpx.Limits(max_connections=max(settings.concurrency * 2, 10)),
        )
        self._robots: dict[str, Protego | None] = {}
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str) -> FetchedPage:
        """GET an HTML page, following redirects; raises a ScanError subclass on failure."""
        current = url
        for _ in range(self.settings.max_redirects + 1):
            await self._check_address(current)
            if self.settings.obey_robots and not await self._robots_allow(current):
                raise errors.RobotsDisallowed(f"robots.txt disallows {current}", url=current)
            async with self._host_slot(current):
                response, body = await self._get(current)
            if response.status_code in REDIRECT_CODES and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                normalize_input_url(current)
                continue
            return self._page(url, current, response, body)
        raise errors.TooManyRedirects(f"more than {self.settings.max_redirects} redirects from {url}", url=current)

    async def fetch_text(self, url: str) -> str | None:
        """A small text resource such as robots.txt or sitemap.xml; None when unavailable."""
        try:
            await self._check_address(url)
            response, body = await self._get(url)
        except errors.ScanError:
            return None
        if response.status_code != 200:
            return None
        return body.decode(response.encoding or "utf-8", errors="replace")

    def _page(self, url: str, final_url: str, response: httpx.Response, body: bytes) -> FetchedPage:
        if response.status_code >= 400:
            raise errors.HTTPStatusError(
                f"HTTP {response.status_code} from {final_url}", url=final_url, status=response.status_code
            )
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            raise errors.NotHTML(f"{final_url} is {content_type}, not HTML", url=final_url)
        html = body.decode(response.encoding or "utf-8", errors="replace")
        return FetchedPage(url, final_url, response.status_code, html, content_type or "text/html")

    async def _get(self, url: str) -> tuple[httpx.Response, bytes]:
        limit = self.settings.max_bytes
        try:
            async with asyncio.timeout(self.settings.timeout * 2):
                async with self._client.stream("GET", url) as response:
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise errors.TooLarge(f"{url} declares {declared} bytes (cap {limit})", url=url)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise errors.TooLarge(f"{url} is over the {limit}-byte cap", url=url)
                        chunks.append(chunk)
                    return response, b"".join(chunks)
        except (httpx.TimeoutException, TimeoutError):
            raise errors.FetchTimeout(f"timed out fetching {url}", url=url) from None
        except httpx.ConnectError as exc:
            raise errors.ConnectError(f"cannot connect to {url}: {exc}", url=url) from None
        except httpx.TooManyRedirects:
            raise errors.TooManyRedirects(f"too many redirects from {url}", url=url) from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise errors.ConnectError(f"transfer from {url} failed: {exc}", url=url) from None

    async def _check_address(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise errors.DNSError(f"cannot resolve {host}: {exc}", url=url) from None
        if self.settings.allow_private:
            return
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise errors.PrivateAddress(
                    f"{host} resolves to non-public address {address}; pass allow_private to allow it", url=url
                )

    async def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            text = await self.fetch_text(origin + "/robots.txt")
            self._robots[origin] = Protego.parse(text) if text else None
        rules = self._robots[origin]
        return rules is None or bool(rules.can_fetch(url, self.settings.user_agent))

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self.settings.per_host)
        return self._host_slots[host]
