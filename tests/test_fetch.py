"""The Fetcher against real local servers: addresses, retries, caps, robots, politeness, text."""

from __future__ import annotations

import asyncio
import codecs
import itertools
import socket
import ssl
import tracemalloc
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from html import escape
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psutil
import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import Settings, errors
from analyzer import fetch as fetch_module
from analyzer.decode import decode_html, looks_binary
from analyzer.fetch import FetchedPage, Fetcher, retry_after
from analyzer.guard import GuardedBackend, is_public_address

from .server import FRENCH, SITES, SiteServer

T = TypeVar("T")
NORTHWIND = SITES / "northwind"
CRUMBS = SITES / "crumbs"
FAST = Settings(allow_private=True, timeout=0.5, retry_backoff=0.01, site_timeout=5.0)


def run(settings: Settings, job: Callable[[Fetcher], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Fetcher(settings) as fetcher:
            return await job(fetcher)

    return asyncio.run(main())


def fetch(url: str, settings: Settings = FAST) -> FetchedPage:
    return run(settings, lambda fetcher: fetcher.fetch(url))


def fetch_error(url: str, settings: Settings = FAST) -> errors.ScanError:
    with pytest.raises(errors.ScanError) as caught:
        fetch(url, settings)
    return caught.value


# --- addresses ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
        ("172.16.0.9", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
        ("0.0.0.0", False), ("224.0.0.1", False), ("::1", False), ("fe80::1%eth0", False), ("fc00::1", False),
        ("::ffff:127.0.0.1", False), ("64:ff9b::7f00:1", False), ("2002:7f00:1::1", False),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "2130706433"])
def test_loopback_refused_by_default(host: str) -> None:
    with SiteServer(NORTHWIND) as server:
        error = fetch_error(f"http://{host}:{server.port}/", Settings(timeout=2.0))
        assert error.kind == "private_address"
        assert server.requests == []


def test_metadata_address_refused_without_connecting() -> None:
    # 169.254.169.254 is the cloud metadata service; nothing listens there in a test, so any
    # connection attempt would end in "timeout" or "connect", not in a refusal.
    error = fetch_error("http://169.254.169.254/latest/meta-data/", Settings(timeout=5.0))
    assert error.kind == "private_address"
    assert "169.254.169.254" in error.message


def test_allow_networks_opens_only_those_networks() -> None:
    with SiteServer(NORTHWIND, host="127.0.0.2") as allowed, SiteServer(NORTHWIND) as other:
        settings = Settings(timeout=2.0, allow_networks=("127.0.0.2/32",))
        assert fetch(allowed.url + "/services.html", settings).status == 200
        assert fetch_error(other.url + "/services.html", settings).kind == "private_address"
        assert other.requests == []


@pytest.mark.parametrize("fault", ["redirect", "refresh"])
def test_redirect_to_private_address_refused(fault: str) -> None:
    # The first server stands for a public host (the one network the settings allow); it
    # redirects (by HTTP or by a meta refresh) to another loopback address, which must be
    # refused before any request.
    with SiteServer(NORTHWIND) as internal:
        routes = {"/go": f"/_fault/{fault}?to={internal.url}/services.html"}
        with SiteServer(NORTHWIND, host="127.0.0.2", routes=routes) as public:
            error = fetch_error(public.url + "/go", Settings(timeout=2.0, allow_networks=("127.0.0.2/32",)))
    assert error.kind == "private_address"
    assert internal.requests == []


def test_name_resolving_to_private_address_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A DNS answer is the one thing no local server can produce, so the resolver is replaced.
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("intranet.vendor.test", b"intranet.vendor.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    error = fetch_error("http://intranet.vendor.test/", Settings(timeout=5.0))
    assert error.kind == "private_address"
    assert "10.0.0.7" in error.message


def test_dns_rebinding_cannot_reach_private_address(monkeypatch: pytest.MonkeyPatch) -> None:
    # The name first resolves to the allowed address, then to a private one. A fetcher that
    # checked one answer and connected by a second lookup would reach the private server.
    with SiteServer(NORTHWIND, host="127.0.0.2") as allowed:
        try:
            private = SiteServer(NORTHWIND, port=allowed.port).__enter__()
        except OSError:
            pytest.skip("the same port is taken on 127.0.0.1")
        answers = iter(["127.0.0.2"])
        real = socket.getaddrinfo

        def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host in ("rebind.vendor.test", b"rebind.vendor.test"):
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        settings = Settings(timeout=2.0, obey_robots=False, allow_networks=("127.0.0.2/32",))
        try:
            page = fetch(f"http://rebind.vendor.test:{allowed.port}/services.html", settings)
        finally:
            private.__exit__()
    assert page.status == 200
    assert allowed.requests == ["/services.html"]
    assert private.requests == []


# --- retries -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("steps", "requests"),
    [("503,200", 2), ("502,504,200", 3), ("reset,200", 2), ("reset,reset,200", 3)],
)
def test_retried_until_success(steps: str, requests: int) -> None:
    with SiteServer(CRUMBS) as server:
        page = fetch(f"{server.url}/_fault/seq/a/{steps}")
        assert page.status == 200 and f"attempt {requests}" in page.html
        assert server.requests.count(f"/_fault/seq/a/{steps}") == requests


@pytest.mark.parametrize(
    ("path", "kind", "requests"),
    [
        ("/_fault/blocked/503?header=cf-mitigated", "blocked", 1),  # a challenge: asking again will not pass it
        ("/_fault/blocked/403?server=cloudflare", "blocked", 1),
        ("/_fault/blocked/403?server=AkamaiGHost", "blocked", 1),
        ("/_fault/blocked/503?server=cloudflare", "http_status", 3),  # the vendor's own 503 through the proxy
        ("/_fault/blocked/403?header=x-iinfo", "blocked", 1),
        ("/_fault/blocked/503?header=x-iinfo", "http_status", 3),  # Imperva marks every answer it passes on
        ("/_fault/blocked/403?server=nginx", "http_status", 1),
        ("/_fault/blocked/202?header=x-amzn-waf-action", "blocked", 1),  # AWS WAF's challenge, a 2xx
        ("/_fault/blocked/405?header=x-amzn-waf-action", "blocked", 1),  # and its CAPTCHA
    ],
)
def test_bot_protection_is_told_apart_from_a_server_error(path: str, kind: str, requests: int) -> None:
    with SiteServer(CRUMBS) as server:
        error = fetch_error(server.url + path)
        assert error.kind == kind
        assert (kind == "blocked") == ("bot protection" in error.message)
        assert server.requests.count(path) == requests


def test_a_challenge_on_robots_txt_is_no_disallow_all() -> None:
    with SiteServer(CRUMBS, routes={"/robots.txt": "/_fault/blocked/503?header=cf-mitigated"}) as server:
        error = fetch_error(server.url + "/")
    assert error.kind == "blocked" and "Cloudflare" in error.message


@pytest.mark.parametrize(("steps", "kind"), [("503", "http_status"), ("reset", "connect")])
def test_retries_stop_after_two(steps: str, kind: str) -> None:
    with SiteServer(CRUMBS) as server:
        assert fetch_error(f"{server.url}/_fault/seq/b/{steps}").kind == kind
        assert server.requests.count(f"/_fault/seq/b/{steps}") == 3


def test_500_is_not_retried() -> None:
    with SiteServer(CRUMBS) as server:
        error = fetch_error(f"{server.url}/_fault/seq/c/500,200")
        assert isinstance(error, errors.HTTPStatusError) and error.status == 500
        assert server.requests.count("/_fault/seq/c/500,200") == 1


def test_429_waits_for_retry_after() -> None:
    with SiteServer(CRUMBS) as server:
        page = fetch(f"{server.url}/_fault/seq/d/429-1,200", FAST.with_changes(timeout=2.0))
        first, second = [t for p, t in zip(server.requests, server.request_times, strict=True) if p.startswith("/_fault")]
    assert page.status == 200
    assert second - first >= 0.95  # Retry-After: 1 was honoured (a lower bound, not a speed figure)


def test_429_with_long_retry_after_gives_up_at_once() -> None:
    with SiteServer(CRUMBS) as server:
        error = fetch_error(f"{server.url}/_fault/seq/e/429-3600,200")
        assert isinstance(error, errors.HTTPStatusError) and error.status == 429
        assert server.requests.count("/_fault/seq/e/429-3600,200") == 1


@pytest.mark.parametrize(
    ("value", "seconds"), [("7", 7.0), ("  0 ", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)]
)
def test_retry_after_parsing(value: str | None, seconds: float | None) -> None:
    assert retry_after(value) == seconds


# --- time and size -----------------------------------------------------------------------

@pytest.mark.timeout(10)
@pytest.mark.parametrize("path", ["/_fault/slow/3", "/_fault/drip/3"])
def test_slow_responses_time_out(path: str) -> None:
    with SiteServer(CRUMBS) as server:
        assert fetch_error(server.url + path).kind == "timeout"


def peak_memory(job: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        job()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path", ["/_fault/big/52428800", "/_fault/stream/52428800", "/_fault/gzipbomb/64"])
def test_body_cap_holds_memory(path: str) -> None:
    settings = FAST.with_changes(max_bytes=1_000_000, timeout=5.0)
    with SiteServer(CRUMBS) as server:
        caught: list[errors.ScanError] = []
        peak = peak_memory(lambda: caught.append(fetch_error(server.url + path, settings)))
    assert caught[0].kind == "too_large"
    assert peak < 12_000_000, f"peak {peak / 1e6:.1f} MB for a 1 MB cap"


def test_gzip_page_is_decoded() -> None:
    with SiteServer(CRUMBS) as server:
        assert FRENCH in fetch(server.url + "/_fault/gzip").html


# --- what comes back ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "kind"),
    [("/_fault/pdf", "not_html"), ("/_fault/as-html/pdf", "not_html"), ("/_fault/as-html/png", "not_html"),
     ("/_fault/empty", "not_html"), ("/_fault/status/404", "http_status"), ("/_fault/loop", "redirects"),
     ("/_fault/redirect?to=ftp://vendor.example/", "invalid_url"), ("/_fault/redirect?to=http://%5B::1", "invalid_url")],
)
def test_unusable_answers(path: str, kind: str) -> None:
    with SiteServer(CRUMBS) as server:
        assert fetch_error(server.url + path).kind == kind


@pytest.mark.parametrize(
    ("declared", "actual"),
    [("utf-8", "utf-8"), ("utf-8", "cp1252"), ("iso-8859-1", "utf-8"), ("none", "cp1252"), ("none", "utf-8"),
     ("no-such-charset", "utf-8"), ("windows-1252", "cp1252")],
)
def test_charsets(declared: str, actual: str) -> None:
    with SiteServer(CRUMBS) as server:
        assert FRENCH in fetch(f"{server.url}/_fault/charset/{declared}/{actual}").html


def test_invalid_utf8_never_raises() -> None:
    with SiteServer(CRUMBS) as server:
        html = fetch(server.url + "/_fault/invalid-utf8").html
    assert "Data entry" in html and "payroll" in html


def test_decode_order() -> None:
    meta = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>'
    body = (meta + "<p>Привет</p>").encode("cp1251")
    assert "Привет" in decode_html(body, None)  # the meta tag, with no header
    assert "Привет" in decode_html(body, "utf-8")  # a header that does not fit the bytes yields to the meta tag
    assert decode_html(codecs.BOM_UTF8 + "é".encode(), "cp1252") == "é"  # a byte-order mark beats both
    assert decode_html(b"\xff\xfe\xfd", None)  # undecodable bytes still give text


def test_looks_binary() -> None:
    assert looks_binary(b"%PDF-1.7 ...") and looks_binary(b"\x89PNG\r\n") and looks_binary(b"<p>\x00\x01\x02</p>")
    assert not looks_binary(b"<!doctype html><p>caf\xc3\xa9</p>")
    assert not looks_binary(codecs.BOM_UTF16_LE + "<p>hi</p>".encode("utf-16-le"))


@pytest.mark.parametrize("url", ["http://xn--zz.com/", "http://[::1/", "http://\u2603.com/"])
def test_a_url_that_cannot_be_requested_is_invalid_url(url: str) -> None:
    assert fetch_error(url).kind == "invalid_url"
    assert run(FAST, lambda fetcher: fetcher.fetch_text(url)) is None  # e.g. a robots.txt Sitemap: line


def test_redirect_within_limit_followed() -> None:
    with SiteServer(NORTHWIND) as server:
        page = fetch(f"{server.url}/_fault/redirect?to=/services.html")
    assert page.final_url == server.url + "/services.html" and page.url.endswith("/_fault/redirect?to=/services.html")


def test_meta_refresh_followed_like_a_redirect() -> None:
    with SiteServer(NORTHWIND) as server:
        page = fetch(f"{server.url}/_fault/refresh?to=/services.html")
        assert page.final_url == server.url + "/services.html" and "Moved." not in page.html
        assert page.url.endswith("/_fault/refresh?to=/services.html")
        # a refresh that is read first (a session timeout) or is for browsers without JavaScript is not
        for query in ("delay=600", "noscript=1"):
            kept = fetch(f"{server.url}/_fault/refresh?to=/services.html&{query}")
            assert kept.final_url == f"{server.url}/_fault/refresh?to=/services.html&{query}" and "Moved." in kept.html


def test_a_page_that_refreshes_itself_is_read() -> None:
    # the refresh names the path as written, the request sent it percent-encoded: one page
    routes = {"/leistungen/%C3%BCbersicht": "/_fault/refresh?to=/leistungen/übersicht&delay=5",
              "/later": "/_fault/refresh?to=/services.html&delay=" + "9" * 5000}
    with SiteServer(NORTHWIND, routes=routes) as server:
        page = fetch(server.url + "/leistungen/übersicht")
        assert "Moved." in page.html and server.requests.count("/leistungen/%C3%BCbersicht") == 1
        assert "Moved." in fetch(server.url + "/later").html  # an absurd delay is a long one, not a crash


REFRESH_PIECES = ["0", "5", "999", ".5", ";", ",", " ", "url", "URL", "=", "'", '"', "/en/", "http://", "[::1",
                  "javascript:x", "&amp;", "#top", "\u00fc", "%zz", "9" * 5000]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(REFRESH_PIECES), max_size=8).map("".join))
def test_any_refresh_content_gives_a_web_url_or_none(content: str) -> None:
    html = f'<meta http-equiv="refresh" content="{escape(content)}"><p>x</p>'
    target = fetch_module.refresh_target(html, "https://vendor.example/a/")
    assert target is None or urlsplit(target).scheme in ("http", "https"), target


def test_meta_refreshes_and_redirects_share_the_limit() -> None:
    chain = "/_fault/redirect?to=/_fault/refresh%3Fto%3D/services.html"
    with SiteServer(NORTHWIND) as server:
        assert fetch(server.url + chain, FAST.with_changes(max_redirects=2)).final_url == server.url + "/services.html"
        assert fetch_error(server.url + chain, FAST.with_changes(max_redirects=1)).kind == "redirects"
    refresh_loop = {"/a": "/_fault/refresh?to=/b", "/b": "/_fault/refresh?to=/a"}
    with SiteServer(NORTHWIND, routes=refresh_loop) as server:
        assert fetch_error(server.url + "/a").kind == "redirects"
        assert len(server.requests) == FAST.max_redirects + 2  # robots.txt, then the first page and each hop


@pytest.mark.parametrize("fault", ["redirect", "refresh"])
def test_may_redirect_vetoes_target(fault: str) -> None:
    with SiteServer(NORTHWIND) as elsewhere:
        routes = {"/go": f"/_fault/{fault}?to={elsewhere.url}/"}
        with SiteServer(NORTHWIND, routes=routes) as site, pytest.raises(errors.ScanError):
            run(FAST, lambda f: f.fetch(site.url + "/go", may_redirect=lambda url: url.startswith(site.url)))
    assert elsewhere.requests == []


# --- cookies ---------------------------------------------------------------------------------

def test_a_site_gets_its_cookies_back_and_only_recent_sites_keep_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "HOST_CACHE_SIZE", 2)
    with ExitStack() as stack:
        servers = [stack.enter_context(SiteServer(CRUMBS, host=f"127.0.0.{n}")) for n in (1, 2, 3)]

        async def visits(fetcher: Fetcher) -> list[str]:
            seen = []
            for server in servers:
                await fetcher.fetch(f"{server.url}/_fault/cookie?set=visit%3D{server.port}")
                seen.append((await fetcher.fetch(f"{server.url}/_fault/cookie")).html)
            seen.append((await fetcher.fetch(f"{servers[0].url}/_fault/cookie")).html)  # the oldest site, again
            return seen

        seen = run(FAST, visits)
    for server, html in zip(servers, seen[:3], strict=True):
        assert f"Cookie sent: [visit={server.port}]" in html
    assert "Cookie sent: []" in seen[-1]  # forgotten: two newer sites have set cookies since


def test_a_host_that_sets_too_many_cookies_keeps_none() -> None:
    async def visits(fetcher: Fetcher) -> list[str]:
        await fetcher.fetch(f"{server.url}/_fault/cookie?set=session%3D1")
        kept = (await fetcher.fetch(f"{server.url}/_fault/cookie?many=500")).html
        return [kept, (await fetcher.fetch(f"{server.url}/_fault/cookie")).html]

    with SiteServer(CRUMBS) as server:
        kept, after = run(FAST, visits)
    assert "Cookie sent: [session=1]" in kept and "Cookie sent: []" in after


# --- TLS -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def untrusted_tls() -> ssl.SSLContext:
    """A server context whose certificate (for localhost) comes from a CA nobody trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


def test_certificate_that_does_not_verify_is_a_tls_error(untrusted_tls: ssl.SSLContext) -> None:
    with SiteServer(NORTHWIND, tls=untrusted_tls) as server:
        error = fetch_error(server.url + "/services.html")
        assert error.kind == "tls" and "certificate" in error.message
        page = fetch(server.url + "/services.html", FAST.with_changes(verify_tls=False))
    assert page.status == 200 and "<title>Services | Northwind Outsourcing</title>" in page.html


def test_https_to_a_plain_http_server_is_a_tls_error() -> None:
    with SiteServer(NORTHWIND) as server:
        error = fetch_error(server.url.replace("http://", "https://") + "/")
    assert error.kind == "tls" and "handshake" in error.message


# --- robots.txt and politeness -----------------------------------------------------------

def test_robots_disallow_and_ignore() -> None:
    with SiteServer(SITES / "private-eye") as server:
        assert fetch_error(server.url + "/").kind == "robots"
        assert fetch(server.url + "/", FAST.with_changes(obey_robots=False)).status == 200


def test_robots_server_error_means_disallow_all() -> None:
    with SiteServer(NORTHWIND, routes={"/robots.txt": "/_fault/status/503"}) as server:
        error = fetch_error(server.url + "/")
    assert error.kind == "robots" and "503" in error.message


def test_robots_missing_means_allow_all() -> None:
    with SiteServer(CRUMBS) as server:
        assert fetch(server.url + "/").status == 200


def test_robots_read_once_per_site_and_user_agent_sent() -> None:
    async def many(fetcher: Fetcher) -> list[FetchedPage]:
        return await asyncio.gather(*(fetcher.fetch(server.url + p) for p in ("/", "/about.html", "/services.html")))

    with SiteServer(NORTHWIND) as server:
        run(FAST, many)
        assert server.requests.count("/robots.txt") == 1
        assert len(server.requests) == 4
        agent = server.user_agents[0]
    assert agent.startswith("analyzer/") and "+https://" in agent


def test_robots_path_rules_apply() -> None:
    with SiteServer(NORTHWIND) as server:  # its robots.txt disallows /private/
        assert fetch_error(server.url + "/private/x.html").kind == "robots"
        assert "/private/x.html" not in server.requests


def test_per_host_concurrency() -> None:
    async def many(fetcher: Fetcher) -> None:
        await asyncio.gather(*(fetcher.fetch(f"{server.url}/_fault/slow/0.2?n={n}") for n in range(6)))

    with SiteServer(CRUMBS) as server:
        run(FAST.with_changes(per_host=2), many)
        assert server.max_in_flight == 2


def test_host_state_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "HOST_CACHE_SIZE", 2)

    async def visit(fetcher: Fetcher) -> int:
        for server in (a, b, c, a):
            assert (await fetcher.fetch(server.url + "/")).status == 200
        return len(fetcher._hosts)  # noqa: SLF001 - the state whose growth is under test

    with SiteServer(CRUMBS) as a, SiteServer(CRUMBS) as b, SiteServer(CRUMBS) as c:
        assert run(FAST, visit) == 2
        assert a.requests.count("/robots.txt") == 2  # forgotten, then read again


def test_crawl_delay_spaces_requests(tmp_path: Any) -> None:
    (tmp_path / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.3\n")
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.html").write_text(f"<html><body><p>page {name}</p></body></html>")

    async def many(fetcher: Fetcher) -> None:
        await asyncio.gather(*(fetcher.fetch(f"{server.url}/{n}.html") for n in "abc"))

    with SiteServer(tmp_path) as server:
        run(FAST, many)
        starts = [t for p, t in zip(server.requests, server.request_times, strict=True) if p.endswith(".html")]
    assert len(starts) == 3
    # a lower bound on spacing, which is what Crawl-delay promises; not a speed figure
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(starts))


# --- connections -------------------------------------------------------------------------

def _client_connections(server_ports: set[int]) -> int:
    """Open TCP connections from this process to the given local ports (the servers run here too)."""
    return sum(1 for c in psutil.Process().net_connections(kind="tcp")
               if c.raddr and c.raddr.port in server_ports and c.status == psutil.CONN_ESTABLISHED)


def test_a_sites_requests_share_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[tuple[str, int]] = []
    real_connect = GuardedBackend.connect_tcp

    async def counted(self: GuardedBackend, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        opened.append((host, port))
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(GuardedBackend, "connect_tcp", counted)
    with SiteServer(NORTHWIND) as server:

        async def job(fetcher: Fetcher) -> list[int]:
            return [(await fetcher.fetch(server.url + path)).status for path in ("/", "/services.html", "/")]

        assert run(FAST, job) == [200, 200, 200]
        assert server.requests == ["/robots.txt", "/", "/services.html", "/"]
    assert opened == [("127.0.0.1", int(server.url.rsplit(":", 1)[1]))]


def test_idle_connections_of_finished_sites_are_closed() -> None:
    settings = FAST.with_changes(concurrency=1)  # idle connections are kept for 2 sites (POOLS_PER_SLOT)
    servers = [SiteServer(NORTHWIND).__enter__() for _ in range(4)]
    try:
        ports = {int(server.url.rsplit(":", 1)[1]) for server in servers}

        async def job(fetcher: Fetcher) -> list[int]:
            counts = []
            for server in servers:
                await fetcher.fetch(server.url + "/")
                await asyncio.sleep(0.05)  # let the server side settle
                counts.append(_client_connections(ports))
            return counts

        counts = run(settings, job)
    finally:
        for server in servers:
            server.__exit__()
    assert counts == [1, 2, 2, 2]  # kept alive for a next request, but for the 2 latest sites only
