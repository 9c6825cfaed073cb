"""End-to-end scans against real local sites, and every kind of bad input."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

import pytest
import trustme
from urllib.parse import quote

import analyzer
from analyzer import Settings
from analyzer.render import render_text

from .server import SITES, SiteServer


def test_scan_finds_services_page_and_labels_mix(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    base = serve_site("northwind")
    report = analyzer.scan(base + "/", settings=local_settings)
    assert report.status == "ok", report.error
    assert [p.role for p in report.pages] == ["services"]
    assert report.pages[0].url.endswith("/services.html")
    assert report.primary == "BPO"
    assert "BPO" in report.offered and "ITO" in report.offered
    assert report.mix["BPO"] > report.mix["ITO"] > 0
    assert abs(sum(report.mix.values()) - 1.0) < 1e-6
    assert report.claim == ["BPO"]
    assert 1 <= len(report.evidence["BPO"]) <= 3
    assert all(e.url and e.url.endswith("/services.html") for e in report.evidence["BPO"])
    assert report.model is not None and len(report.model.sha256) == 64


def test_scan_follows_hub_link(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    report = analyzer.scan(serve_site("lexhub"), settings=local_settings)
    assert report.status == "ok", report.error
    assert report.primary == "LPO"
    assert report.offered == ["LPO"]


@pytest.mark.parametrize("entry", ["/", "/scripted.html"], ids=["meta refresh", "script redirect"])
def test_home_page_that_only_sends_the_browser_on(entry: str, serve_site: Callable[[str], str],
                                                   local_settings: Settings) -> None:
    base = serve_site("relocated")
    report = analyzer.scan(base + entry, settings=local_settings)
    assert report.status == "ok", report.error
    assert report.final_url == base + "/en/"
    assert [p.url for p in report.pages] == [base + "/en/services.html"]
    assert report.offered == ["LPO"]


def test_a_bare_domain_without_https_is_read_over_http(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    base = serve_site("northwind")
    report = analyzer.scan(base.removeprefix("http://"), settings=local_settings)
    assert report.status == "ok", report.error
    assert report.final_url.rstrip("/") == base and report.primary == "BPO"
    explicit = analyzer.scan(base.replace("http://", "https://"), settings=local_settings)
    assert explicit.error is not None and explicit.error.kind == "tls"  # a scheme given is a scheme kept


def test_a_bare_domain_whose_certificate_fails_is_not_read_over_http(local_settings: Settings) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with SiteServer(SITES / "northwind", tls=context) as server:
        report = analyzer.scan(server.url.removeprefix("https://"), settings=local_settings)
        assert report.error is not None and report.error.kind == "tls" and "certificate" in report.error.message
        assert server.connections == 1  # no second, plain-HTTP attempt


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, str | None]) -> list[str]:
    """Answer lookups of ``names`` (an address, or None: the name does not exist) and record
    them; other names resolve as usual. DNS is the one layer these tests fake."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: str | bytes, port: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in names:
            return real(host, port, *args, **kwargs)
        lookups.append(name)
        address = names[name]
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return lookups


@pytest.mark.parametrize("given", ["northwind.test:{port}", "http://northwind.test:{port}/"])
def test_a_domain_that_does_not_resolve_is_tried_with_www(given: str, monkeypatch: pytest.MonkeyPatch,
                                                          local_settings: Settings) -> None:
    lookups = fake_dns(monkeypatch, {"northwind.test": None, "www.northwind.test": "127.0.0.1"})
    with SiteServer(SITES / "northwind") as server:
        report = analyzer.scan(given.format(port=server.port), settings=local_settings)
    assert report.status == "ok", report.error
    assert report.final_url.rstrip("/") == f"http://www.northwind.test:{server.port}" and report.primary == "BPO"
    assert lookups[0] == "northwind.test" and "www.northwind.test" in lookups


def test_a_dead_name_is_reported_as_itself_when_www_is_dead_too(monkeypatch: pytest.MonkeyPatch,
                                                                local_settings: Settings) -> None:
    fake_dns(monkeypatch, {"gone.test": None, "www.gone.test": None})
    report = analyzer.scan("https://gone.test/", settings=local_settings)
    assert report.error is not None and report.error.kind == "dns"
    assert "gone.test" in report.error.message and "www.gone.test" not in report.error.message
    assert report.final_url == "https://gone.test/"  # the page asked for, not its robots.txt


def test_a_www_site_that_answers_and_refuses_is_reported_as_such(monkeypatch: pytest.MonkeyPatch,
                                                                 local_settings: Settings) -> None:
    fake_dns(monkeypatch, {"eyes.test": None, "www.eyes.test": "127.0.0.1"})
    with SiteServer(SITES / "private-eye") as server:  # its robots.txt disallows everything
        report = analyzer.scan(f"http://eyes.test:{server.port}/", settings=local_settings)
    assert report.error is not None and report.error.kind == "robots"
    assert "www.eyes.test" in report.error.message


def test_a_redirect_to_a_dead_name_is_not_tried_with_www(monkeypatch: pytest.MonkeyPatch,
                                                         local_settings: Settings) -> None:
    with SiteServer(SITES / "northwind") as server:
        target = quote(f"http://gone-new.test:{server.port}/", safe="")
        lookups = fake_dns(monkeypatch, {"moved.test": "127.0.0.1", "gone-new.test": None,
                                         "www.moved.test": "127.0.0.1", "www.gone-new.test": "127.0.0.1"})
        report = analyzer.scan(f"http://moved.test:{server.port}/_fault/redirect?to={target}", settings=local_settings)
        home_requests = sum(path.startswith("/_fault/redirect") for path in server.requests)
    assert report.error is not None and report.error.kind == "dns" and "gone-new.test" in report.error.message
    assert lookups == ["moved.test", "gone-new.test"] and home_requests == 1


def test_a_services_page_that_fails_is_listed_as_unread(local_settings: Settings) -> None:
    with SiteServer(SITES / "megamenu", routes={"/payroll.html": "/_fault/status/503"}) as server:
        report = analyzer.scan(server.url + "/", settings=local_settings)
    assert report.status == "ok" and report.offered
    assert [(page.url.removeprefix(server.url), page.kind) for page in report.unread] == [("/payroll.html", "http_status")]
    assert "503" in report.unread[0].message
    assert analyzer.Report.from_dict(report.to_dict()).unread == report.unread
    assert f"not read      {server.url}/payroll.html  http_status" in render_text(report)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("/_fault/status/503", "http_status"), ("/_fault/slow/5", "timeout"), ("/_fault/blocked/403?server=cloudflare", "blocked"),
     ("/_fault/status/404", "no_services_page"), ("/_fault/pdf", "no_services_page"), ("/_fault/loop", "no_services_page")],
)
def test_a_scan_that_reads_no_services_page_says_why(fault: str, kind: str, local_settings: Settings) -> None:
    # northwind's home page lists no offerings; its one services page fails. A failure that says
    # why the site could not be read is the row's; a dead link, a PDF or a loop is no services page.
    with SiteServer(SITES / "northwind", routes={"/services.html": fault}) as server:
        report = analyzer.scan(server.url + "/", settings=local_settings.with_changes(timeout=1.0))
    assert report.error is not None and report.error.kind == kind
    assert report.final_url == server.url + "/" and [page.role for page in report.pages] == ["home"]
    assert len(report.unread) == 1 and report.unread[0].url.startswith(server.url + "/")
    if kind != "no_services_page":
        assert report.error.message.startswith("no services page could be read (")


def test_a_failing_page_that_several_links_reach_is_listed_once(local_settings: Settings) -> None:
    routes = {"/payroll.html": "/_fault/redirect?to=/claims-processing.html", "/claims-processing.html": "/_fault/status/503"}
    with SiteServer(SITES / "megamenu", routes=routes) as server:
        report = analyzer.scan(server.url + "/", settings=local_settings)
    assert [page.url.removeprefix(server.url) for page in report.unread] == ["/claims-processing.html"]


def test_private_addresses_refused_by_default(serve_site: Callable[[str], str]) -> None:
    report = analyzer.scan(serve_site("northwind"))
    assert report.status == "error"
    assert report.error is not None and report.error.kind == "private_address"


def test_allow_private_keyword(serve_site: Callable[[str], str]) -> None:
    report = analyzer.scan(serve_site("northwind"), allow_private=True)
    assert report.status == "ok"


def test_robots_disallow(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    report = analyzer.scan(serve_site("private-eye"), settings=local_settings)
    assert report.error is not None and report.error.kind == "robots"
    ignored = analyzer.scan(serve_site("private-eye"), settings=local_settings.with_changes(obey_robots=False))
    assert ignored.error is None or ignored.error.kind != "robots"


def test_site_without_services_page(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    report = analyzer.scan(serve_site("crumbs"), settings=local_settings)
    assert report.status == "error"
    assert report.error is not None and report.error.kind == "no_services_page"
    assert report.offered == [] and sum(report.mix.values()) == 0


def test_javascript_shell(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    report = analyzer.scan(serve_site("emptyshell"), settings=local_settings)
    assert report.error is not None and report.error.kind == "needs_js"


@pytest.mark.parametrize("url", ["http://", "ftp://example.com/", "http://exa mple.com/", "http://[::1", "   "])
def test_malformed_url(url: str) -> None:
    report = analyzer.scan(url)
    assert report.status == "error"
    assert report.error is not None and report.error.kind == "invalid_url"
    assert report.url == url


def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # A DNS failure is the one fault no local server can produce, so the resolver is made to fail.
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    report = analyzer.scan("https://vendor.invalid/")
    assert report.error is not None and report.error.kind == "dns"


def test_refused_connection(local_settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = analyzer.scan(f"http://127.0.0.1:{port}/", settings=local_settings)
    assert report.error is not None and report.error.kind == "connect"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/_fault/status/404", "http_status"),
        ("/_fault/status/500", "http_status"),
        ("/_fault/pdf", "not_html"),
        ("/_fault/big/20000000", "too_large"),
        ("/_fault/slow/3", "timeout"),
    ],
)
def test_bad_responses(serve_site: Callable[[str], str], path: str, kind: str) -> None:
    settings = Settings(allow_private=True, timeout=0.5, retries=0, max_bytes=1_000_000)
    report = analyzer.scan(serve_site("crumbs") + path, settings=settings)
    assert report.status == "error"
    assert report.error is not None and report.error.kind == kind
    assert report.error.message


def test_scan_many_yields_one_report_per_url(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    urls = [serve_site("northwind"), serve_site("lexhub"), "not a url", serve_site("crumbs") + "/_fault/status/500"]
    reports = list(analyzer.scan_many(urls, settings=local_settings))
    assert sorted(r.url for r in reports) == sorted(urls)
    by_url = {r.url: r for r in reports}
    assert by_url[urls[0]].primary == "BPO"
    assert by_url[urls[2]].error is not None and by_url[urls[2]].error.kind == "invalid_url"


@pytest.mark.anyio
async def test_ascan_inside_running_loop(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    report = await analyzer.ascan(serve_site("lexhub"), settings=local_settings)
    assert report.primary == "LPO"
