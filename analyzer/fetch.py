"""Fetching pages politely and safely over one shared httpx client.

``Fetcher`` owns the ``httpx.AsyncClient`` and every rule about talking to a vendor's server:

- time: connect and read timeouts and a total deadline, each ``settings.timeout``, per request;
- size: the body cap, counted while streaming and again after decompression, which decode.py
  does in bounded steps (httpx would inflate a whole 64 KiB read of a gzip bomb to 64 MiB);
- safety: every connection goes through guard.py, which refuses non-public addresses where
  the socket is opened; redirects are followed here, by hand, so each hop is vetted again,
  and so is a page's ``<meta http-equiv="refresh">`` to another URL, which a browser follows
  like a redirect (old sites' home pages often are only that);
- politeness: robots.txt (RFC 9309, parsed by protego), its Crawl-delay, and at most
  ``per_host`` requests at once to one host, over at most ``per_host`` connections that its
  requests share (kept alive ``KEEPALIVE_EXPIRY`` seconds; see guard.GuardedTransport);
- retries: connection resets, 429 (honouring Retry-After) and 502/503/504, with backoff;
- text: the charset from the header, then the meta tag, then detection (decode.py).
"""

from __future__ import annotations

import asyncio
import email.utils
import http.cookiejar
import html as html_entities
import logging
import re
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego
from selectolax.lexbor import LexborHTMLParser, LexborNode

from . import errors
from .config import Settings
from .decode import Inflater, decode_html, inflate, looks_binary
from .guard import GuardedBackend, GuardedTransport

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({429, 502, 503, 504})
# Only the encodings this module can inflate under the size cap are offered to servers.
ACCEPT_ENCODING = "gzip, deflate"
# RFC 9309 section 2.5: a crawler must parse at least the first 500 KiB of robots.txt.
ROBOTS_MAX_BYTES = 500 * 1024
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"
# Hosts whose robots rules and politeness state are remembered. A batch visits each vendor
# once, so the oldest idle hosts are forgotten rather than kept for the whole run.
HOST_CACHE_SIZE = 1024
# An idle connection is kept this long for the next request to its site: the shortest
# keep-alive timeout of the common servers (Apache's 5 s; nginx keeps 75 s), so a vendor's
# server rarely closes a connection just as it is reused.
KEEPALIVE_EXPIRY = 5.0
# Browsers keep about 180 cookies per domain; a vendor's pages need a few.
MAX_COOKIES_PER_HOST = 100
# Sites whose idle connections are kept, per site in flight: the sites just finished linger a
# little (a redirect's second host, a site a later URL of the list repeats) and the
# descriptors stay well under the usual limits.
POOLS_PER_SLOT = 2
# Bot-protection services answer a client they will not serve (a challenge page, a firewall
# rule) with 403, 429 or 503 and headers that name them; such an answer is no server fault,
# and asking again will not change it. AWS WAF answers a challenge with 202 and a CAPTCHA
# with 405, each with its header.
_BLOCK_HEADERS = {"cf-mitigated": "Cloudflare", "x-sucuri-block": "Sucuri", "x-amzn-waf-action": "AWS WAF"}
# Headers (and Server names) that such a service puts on every answer it passes on, blocked or not.
_PROXY_HEADERS = {"x-iinfo": "Imperva", "x-datadome": "DataDome"}
_PROXY_SERVERS = {"cloudflare": "Cloudflare", "akamaighost": "Akamai", "sucuri/cloudproxy": "Sucuri",
                  "datadome": "DataDome"}
BLOCKING_CODES = frozenset({202, 403, 405, 429, 503})
# Nearly no page has a refresh, so a page is parsed for one only when this finds one; a
# plain substring test for the word ("Refresh", "refresh", "REFRESH") runs first, as the
# case-blind regex costs about 0.2 ms on a 25 KB page.
_REFRESH_MARK = re.compile(r"http-equiv\s*=\s*[\"']?\s*refresh", re.IGNORECASE)
# The content of a refresh (HTML's "shared declarative refresh steps"): the delay, then the URL.
_REFRESH_CONTENT = re.compile(r"^\s*(\d*)(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(.*)$", re.IGNORECASE | re.DOTALL)
# A refresh this soon stands for a redirect; a later one (a session timeout, "you will be taken
# to our new site") leaves a reader on the page first, and the page is what is read.
REFRESH_MAX_DELAY = 10


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    html: str
    content_type: str


@dataclass(frozen=True)
class _Answer:
    """One HTTP response, body read under the cap (empty for redirects and errors)."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    charset: str | None
    redirects: int = 0


@dataclass
class _Host:
    """What the fetcher remembers about one origin: its robots rules, its request pacing, and
    the cookies it set (sent back on its later requests, as a browser does)."""

    slots: asyncio.Semaphore
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots: Protego | None = None
    robots_loaded: bool = False
    robots_note: str = ""
    delay: float = 0.0
    next_start: float = 0.0
    users: int = 0
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)


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


class Fetcher:
    """One shared client for a run; use as ``async with Fetcher(settings) as fetcher``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        backend = GuardedBackend(allow_private=settings.allow_private, allow_networks=settings.allow_networks)
        transport = GuardedTransport(backend, per_origin=settings.per_host, keepalive_expiry=KEEPALIVE_EXPIRY,
                                     max_pools=POOLS_PER_SLOT * settings.concurrency, verify=settings.verify_tls)
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            trust_env=False,  # an environment proxy would connect on our behalf, past the address check
            # Cookies live in each host's record (_Host.cookies), not in the client: one jar for a
            # whole batch would keep every site's cookies, and the standard library's jar looks
            # through all of them on each request.
            cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                # sites that choose a page's language by it then serve the English one the model reads
                "Accept-Language": "en;q=1.0, *;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,
                **settings.extra_headers,
            },
        )
        self._hosts: OrderedDict[str, _Host] = OrderedDict()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, may_redirect: Callable[[str], bool] | None = None) -> FetchedPage:
        """GET an HTML page, following redirects and meta refreshes; raises a ScanError subclass on failure.

        ``may_redirect`` vets each redirect target before it is requested (discovery uses it
        to stay on the vendor's site). Redirects and refreshes share ``settings.max_redirects``.
        """
        current, hops = normalize_input_url(url), self.settings.max_redirects
        while True:
            answer = await self._follow(current, self.settings.max_bytes, obey_robots=self.settings.obey_robots,
                                        may_redirect=may_redirect, hops=hops)
            html, content_type = self._html(answer)
            target = refresh_target(html, answer.url)
            if target is None:
                return FetchedPage(url, answer.url, answer.status, html, content_type)
            hops -= answer.redirects + 1
            if hops < 0:
                raise errors.TooManyRedirects(f"more than {self.settings.max_redirects} redirects from {url}",
                                              url=answer.url)
            current = self._vetted(answer.url, target, may_redirect)

    @staticmethod
    def _html(answer: _Answer) -> tuple[str, str]:
        """The page's text and content type; raises when it is an error, a bot-protection
        challenge (which may come with a 2xx status), empty or not HTML."""
        if answer.status >= 400 or bot_protection(answer.status, answer.headers):
            raise _status_error(answer)
        content_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            raise errors.NotHTML(f"{answer.url} is {content_type}, not HTML", url=answer.url)
        if not answer.body.strip():
            raise errors.NotHTML(f"{answer.url} sent an empty body", url=answer.url)
        if looks_binary(answer.body):
            raise errors.NotHTML(f"{answer.url} is labelled {content_type or 'nothing'} but its body is binary",
                                 url=answer.url)
        return decode_html(answer.body, answer.charset), content_type or "text/html"

    async def fetch_text(self, url: str) -> str | None:
        """A text resource such as sitemap.xml (gzipped or not); None when it is unavailable."""
        limit = self.settings.max_bytes
        try:
            answer = await self._follow(normalize_input_url(url), limit, obey_robots=self.settings.obey_robots)
            body = answer.body
            if body.startswith(b"\x1f\x8b"):  # a .gz file served as is, not as Content-Encoding
                body = inflate(body, "gzip", limit, url=url)
        except errors.ScanError as exc:
            logger.info("cannot read %s: %s", url, exc)
            return None
        if answer.status != 200 or looks_binary(body):
            return None
        return decode_html(body, answer.charset)

    async def sitemaps(self, url: str) -> list[str]:
        """The ``Sitemap:`` URLs that the robots.txt of ``url``'s site lists."""
        try:
            host = await self._robots_host(url)
        except errors.ScanError:
            return []
        return list(host.robots.sitemaps) if host.robots is not None else []

    async def _follow(
        self, url: str, limit: int, *, obey_robots: bool, truncate: bool = False,
        may_redirect: Callable[[str], bool] | None = None, hops: int | None = None,
    ) -> _Answer:
        """The answer at the end of ``url``'s HTTP redirects, at most ``hops`` of them
        (``settings.max_redirects`` by default)."""
        hops = self.settings.max_redirects if hops is None else hops
        current = url
        for hop in range(hops + 1):
            if obey_robots:
                await self._check_robots(current)
            answer = await self._request(current, limit, truncate)
            location = answer.headers.get("location")
            if answer.status not in REDIRECT_CODES or not location:
                return replace(answer, redirects=hop)
            current = self._vetted(current, _join(current, location), may_redirect)
        raise errors.TooManyRedirects(f"more than {self.settings.max_redirects} redirects from {url}", url=current)

    @staticmethod
    def _vetted(source: str, target: str, may_redirect: Callable[[str], bool] | None) -> str:
        target = normalize_input_url(target)
        if may_redirect is not None and not may_redirect(target):
            raise errors.OffSite(f"{source} redirects off the site to {target}", url=source)
        return target

    async def _request(self, url: str, limit: int, truncate: bool) -> _Answer:
        """One URL, retried on resets, 429 and 502/503/504 with exponential backoff."""
        host = self._host(url)
        for attempt in range(self.settings.retries + 1):
            last = attempt == self.settings.retries
            async with self._turn(host):
                try:
                    answer = await self._exchange(url, limit, truncate, host.cookies)
                except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                    if last:
                        raise errors.ConnectError(f"connection to {url} broke: {exc or type(exc).__name__}",
                                                  url=url) from None
                    wait = self.settings.retry_backoff * 2**attempt
                else:
                    if answer.status not in RETRY_CODES or last or bot_protection(answer.status, answer.headers):
                        return answer
                    asked = retry_after(answer.headers.get("retry-after"))
                    if asked is not None and asked > self.settings.timeout:
                        return answer  # waiting that long is not worth it: report the status
                    wait = asked if asked is not None else self.settings.retry_backoff * 2**attempt
                    host.next_start = max(host.next_start, time.monotonic() + wait)
            logger.info("retrying %s in %.2f s (attempt %d)", url, wait, attempt + 2)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _exchange(self, url: str, limit: int, truncate: bool, cookies: httpx.Cookies) -> _Answer:
        try:
            async with asyncio.timeout(self.settings.timeout):
                try:
                    request = self._client.build_request("GET", url)
                except ValueError as exc:  # e.g. an IDNA label that does not encode ("xn--zz")
                    raise errors.InvalidURL(f"cannot request {url}: {exc}", url=url) from None
                cookies.set_cookie_header(request)
                response = await self._client.send(request, stream=True)
                try:
                    cookies.extract_cookies(response)
                    if len(cookies.jar) > MAX_COOKIES_PER_HOST:
                        cookies.clear()  # no site's pages need this many; a hostile host would fill memory
                    body = b""
                    if 200 <= response.status_code < 300:
                        body = await _read_body(response, limit, truncate=truncate, url=url)
                    return _Answer(str(response.url), response.status_code, response.headers, body,
                                   response.charset_encoding)
                finally:
                    await response.aclose()
        except errors.ScanError as exc:
            exc.url = exc.url or url
            raise
        except (httpx.TimeoutException, TimeoutError):
            raise errors.FetchTimeout(f"timed out fetching {url} (limit {self.settings.timeout:g} s)", url=url) from None
        except httpx.ConnectError as exc:
            tls = _tls_failure(exc, url)
            if tls is not None:
                raise tls from None
            raise errors.ConnectError(f"cannot connect to {url}: {exc}", url=url) from None
        except httpx.InvalidURL as exc:
            raise errors.InvalidURL(f"cannot request {url}: {exc}", url=url) from None
        except httpx.RemoteProtocolError as exc:
            # httpx parses Location itself, even when not following it; that is no reset to retry
            if "location header" in str(exc).lower():
                raise errors.InvalidURL(f"{url} redirects to a malformed URL: {exc}", url=url) from None
            raise
        except (httpx.ReadError, httpx.WriteError):
            raise  # a reset: _request retries it
        except httpx.TransportError as exc:
            raise errors.ConnectError(f"transfer from {url} failed: {exc}", url=url) from None

    async def _check_robots(self, url: str) -> None:
        try:
            host = await self._robots_host(url)
        except (errors.DNSError, errors.PrivateAddress, errors.ConnectError, errors.FetchTimeout) as exc:
            exc.url = url  # the host cannot be reached: the page asked for is what failed
            raise
        if host.robots is not None and not host.robots.can_fetch(url, self.settings.user_agent):
            raise errors.RobotsDisallowed(f"robots.txt disallows {url}{host.robots_note}", url=url)

    async def _robots_host(self, url: str) -> _Host:
        host = self._host(url)
        async with host.robots_lock:
            if not host.robots_loaded:
                host.robots, host.robots_note = await self._load_robots(url)
                host.robots_loaded = True
                if host.robots is not None:
                    host.delay = float(host.robots.crawl_delay(self.settings.user_agent) or 0.0)
        return host

    async def _load_robots(self, url: str) -> tuple[Protego | None, str]:
        """RFC 9309 section 2.3.1: 4xx means no rules; 5xx (after retries) means disallow all."""
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            answer = await self._follow(robots_url, ROBOTS_MAX_BYTES, obey_robots=False, truncate=True)
        except (errors.TooManyRedirects, errors.InvalidURL):
            return None, ""
        if answer.status >= 500 or answer.status == 429:
            if bot_protection(answer.status, answer.headers):
                raise _status_error(answer)  # a challenge, not the site's rules
            note = f" (robots.txt answered HTTP {answer.status}; RFC 9309 treats that as disallow-all)"
            return Protego.parse(DISALLOW_ALL), note
        if answer.status != 200:
            return None, ""
        return Protego.parse(answer.body.decode("utf-8", errors="replace")), ""

    def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        host = self._hosts.get(key)
        if host is None:
            self._forget_idle_hosts()
            host = self._hosts[key] = _Host(asyncio.Semaphore(self.settings.per_host))
        self._hosts.move_to_end(key)
        return host

    def _forget_idle_hosts(self) -> None:
        excess = len(self._hosts) + 1 - HOST_CACHE_SIZE
        if excess > 0:
            idle = [key for key, host in self._hosts.items() if host.users == 0 and not host.robots_lock.locked()]
            for key in idle[:excess]:
                del self._hosts[key]

    @asynccontextmanager
    async def _turn(self, host: _Host) -> AsyncIterator[None]:
        """A request slot on ``host``, started no sooner than its Crawl-delay allows."""
        host.users += 1
        try:
            async with host.slots:
                now = time.monotonic()
                start = max(now, host.next_start)
                host.next_start = start + host.delay
                if start > now:
                    await asyncio.sleep(start - now)
                yield
        finally:
            host.users -= 1


def bot_protection(status: int, headers: httpx.Headers) -> str | None:
    """The bot-protection service that refused a request, named by its answer's headers.

    A header the service sends only when it blocks says so for any of BLOCKING_CODES. A header or
    ``Server`` name that it puts on every answer says so for 403 only: a 503 through such a
    proxy may be the vendor's own server down for maintenance, worth asking again.
    """
    if status not in BLOCKING_CODES:
        return None
    named = [name for header, name in _BLOCK_HEADERS.items() if header in headers]
    if status == 403:
        named += [name for header, name in _PROXY_HEADERS.items() if header in headers]
        named.append(_PROXY_SERVERS.get(headers.get("server", "").strip().lower(), ""))
    return next((name for name in named if name), None)


def _status_error(answer: _Answer) -> errors.HTTPStatusError:
    protection = bot_protection(answer.status, answer.headers)
    if protection is not None:
        return errors.Blocked(f"HTTP {answer.status} from {answer.url}: {protection}'s bot protection turned the "
                              "request away; the site may need a browser", url=answer.url, status=answer.status)
    return errors.HTTPStatusError(f"HTTP {answer.status} from {answer.url}", url=answer.url, status=answer.status)


async def _read_body(response: httpx.Response, limit: int, *, truncate: bool, url: str) -> bytes:
    """The decoded body, at most ``limit`` bytes on the wire and after decompression."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise errors.TooLarge(f"{url} declares {declared} bytes (cap {limit})", url=url)
    inflater = Inflater(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    async for raw in response.aiter_raw():
        room = limit - len(body)
        piece = inflater.feed(raw, room + 1)
        if len(piece) > room:
            if truncate:
                return bytes(body + piece[:room])
            raise errors.TooLarge(f"{url} is over the {limit}-byte cap", url=url)
        body += piece
    return bytes(body)


def refresh_target(html: str, url: str) -> str | None:
    """Where a page's ``<meta http-equiv="refresh" content="0; url=...">`` sends a browser
    straight away (within REFRESH_MAX_DELAY seconds), when that is another page. A refresh
    inside ``<noscript>`` is for browsers without JavaScript only, and is left alone like the
    rest of such a page's fallback."""
    if ("efresh" not in html and "EFRESH" not in html) or not _REFRESH_MARK.search(html):
        return None
    for meta in LexborHTMLParser(html).css("meta[http-equiv]"):
        if (meta.attrs.get("http-equiv") or "").strip().lower() != "refresh" or _in_noscript(meta):
            continue
        found = _REFRESH_CONTENT.match(meta.attrs.get("content") or "")
        delay, written = (found.group(1), found.group(2).strip().strip("\"'").strip()) if found else ("", "")
        if not written or len(delay) > 3 or int(delay or 0) > REFRESH_MAX_DELAY:
            return None  # a page that reloads itself, or one that is read before it moves on
        try:
            target = urljoin(url, html_entities.unescape(written)).split("#")[0]
            # compared as httpx sends them: "übersicht" and "%C3%BCbersicht" are one page
            itself = httpx.URL(target) == httpx.URL(url.split("#")[0])
        except (ValueError, httpx.InvalidURL):
            return None
        if urlsplit(target).scheme not in ("http", "https") or itself:
            return None
        return target
    return None


def _in_noscript(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "noscript":
            return True
        parent = parent.parent
    return False


def _tls_failure(exc: BaseException, url: str) -> errors.TLSError | None:
    """The error to report when TLS is why a connection to ``url`` failed."""
    seen: BaseException | None = exc
    where = f"no secure connection to {urlsplit(url).netloc}"
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return errors.TLSError(f"{where}: its certificate does not verify ({seen.verify_message})", url=url,
                                   certificate=True)
        if isinstance(seen, ssl.SSLError):
            return errors.TLSError(f"{where}: the TLS handshake failed ({seen.reason or seen})", url=url)
        seen = seen.__cause__ or seen.__context__
    return None


def _join(base: str, location: str) -> str:
    try:
        return urljoin(base, location.strip())
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise errors.InvalidURL(f"{base} redirects to a malformed URL {location!r}: {exc}", url=base) from None


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
