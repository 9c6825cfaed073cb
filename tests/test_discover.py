"""Discovery: which pages of a vendor's site get fetched and classified, on real local sites."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

import analyzer
from analyzer import Settings
from analyzer import discover as discovery
from analyzer.discover import Crawl, Site, clean_url, discover, needs_javascript, page_links, rank_links, url_key
from analyzer.extract import parse_page
from analyzer.fetch import FetchedPage, Fetcher

from .server import SITES, SiteServer

SETTINGS = Settings(allow_private=True, timeout=2.0, retry_backoff=0.01)


def crawled(server: SiteServer, settings: Settings = SETTINGS, *, deadline_in: float | None = None) -> Crawl:
    """Discover from the server's home page."""

    async def main() -> Crawl:
        async with Fetcher(settings) as fetcher:
            home = await fetcher.fetch(server.url + "/")
            loop = asyncio.get_running_loop()
            deadline = None if deadline_in is None else loop.time() + deadline_in
            return await discover(home, fetcher, settings, deadline=deadline)

    return asyncio.run(main())


def paths_and_roles(server: SiteServer, found: Crawl) -> list[tuple[str, str]]:
    """(path, role) of each page a crawl chose."""
    return [(page.page.final_url.removeprefix(server.url), page.role) for page in found.pages]


def crawl(server: SiteServer, settings: Settings = SETTINGS, *, deadline_in: float | None = None) -> list[tuple[str, str]]:
    """Discover from the server's home page; (path, role) of each page chosen."""
    return paths_and_roles(server, crawled(server, settings, deadline_in=deadline_in))


def pages_requested(server: SiteServer) -> list[str]:
    return [p for p in server.requests if not p.startswith(("/robots.txt", "/sitemap", "/maps/"))]


def ranked(html: str, url: str = "https://www.vendor.example/") -> list[str]:
    page = FetchedPage(url, url, 200, html, "text/html")
    return [c.url for c in rank_links(page_links(html, url, Site.of(page)), depth=1)]


# --- URLs --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "variant",
    [
        "https://www.vendor.example/services/",
        "http://vendor.example/services",
        "https://VENDOR.example:443/services/index.html",
        "https://vendor.example/services#data-entry",
        "https://vendor.example/services?utm_source=newsletter&gclid=abc",
        "https://vendor.example/company/../services/./",
        "https://vendor.example/%73ervices",
    ],
)
def test_url_key_merges_spellings_of_one_page(variant: str) -> None:
    assert url_key(variant) == "vendor.example/services"


def test_url_key_keeps_what_names_another_page() -> None:
    assert url_key("https://vendor.example/services?page=2") != url_key("https://vendor.example/services")
    assert url_key("https://vendor.example:8443/services") != url_key("https://vendor.example/services")
    assert url_key("https://vendor.example/Services") != url_key("https://vendor.example/services")
    assert url_key("https://vendor.example/s?b=2&a=1") == url_key("https://vendor.example/s?a=1&b=2")


def test_clean_url() -> None:
    assert clean_url("https://v.example/a?id=3&utm_medium=x&fbclid=y#top") == "https://v.example/a?id=3"
    assert clean_url("https://v.example/a?id=3") == "https://v.example/a?id=3"
    for bad in ("mailto:a@v.example", "javascript:void(0)", "tel:+1555", "ftp://v.example/", "http://[::1"):
        assert clean_url(bad) is None


def test_site_membership() -> None:
    site = Site("vendor.example", None, "en")
    assert site.contains("https://www.vendor.example/x") and site.contains("http://solutions.vendor.example/")
    assert not site.contains("https://vendor.example.evil.test/") and not site.contains("https://othervendor.example/")
    assert not site.contains("https://vendor.example:8080/")


# --- ranking -----------------------------------------------------------------------------

def test_services_link_ranked_and_chrome_skipped() -> None:
    html = """<html lang="en"><body><header><nav>
      <a href="/">Home</a><a href="/about-us">About us</a><a href="/our-services">Our Services</a>
      <a href="/blog/">Blog</a><a href="/contact">Contact</a><a href="/industries">Industries</a></nav></header>
      <main><p>Read our <a href="/terms-of-service">Terms of Service</a>.</p>
      <a href="https://partner.example/services">Partner services</a>
      <a href="/brochure.pdf">Services brochure</a></main></body></html>"""
    assert ranked(html) == ["https://www.vendor.example/our-services"]


@pytest.mark.parametrize(
    ("script", "target"),
    [
        ('window.location.href = "/en/";', "https://www.vendor.example/en/"),
        ("location.replace('https://vendor.example/home')", "https://vendor.example/home"),
        ('if (fr) { location = "/fr/"; } else { location = "/en/"; }', "https://www.vendor.example/en/"),
        ('if (a) { location = "/a"; } else { location = "/b"; }', None),  # two pages, neither the English one
        ('location.href = base + "/x";', None),  # built at run time
        ('if (!token) window.location.href = "/login";', None),  # an app's sign-in, not the vendor's offer
        ('location.href = "javascript:void(0)";', None),
        ('location.href = "/";', None),  # the page itself
        ('if (!window.Promise) { location.href = "https://browsehappy.example/"; }', None),  # off the site
        ('office.location = "Berlin";', None),  # some object's own location
        ('</script><script type="text/template">location = "/en/";', None),  # a template is no script run
    ],
)
def test_script_redirect_of_an_empty_page(script: str, target: str | None) -> None:
    url = "https://www.vendor.example/"
    html = f"<html><head><script>{script}</script></head><body></body></html>"
    site = Site.of(FetchedPage(url, url, 200, html, "text/html"))
    assert discovery.script_redirect(html, url, site) == target


def test_relative_links_resolve_against_the_base_element() -> None:
    html = """<html><head><base href="/en/"></head><body><nav>
      <a href="services.html">Our Services</a><a href="/solutions/">Solutions</a></nav></body></html>"""
    assert ranked(html) == ["https://www.vendor.example/en/services.html", "https://www.vendor.example/solutions/"]
    off_site = html.replace('"/en/"', '"https://cdn.example/en/"')
    assert ranked(off_site) == []  # a browser would leave the vendor's site, so discovery does not follow


def test_dropdown_items_are_services() -> None:
    html = """<html><body><nav><ul>
      <li class="dropdown"><a href="#">Solutions</a><div class="dropdown-menu">
        <a href="/claims">Claims handling</a><a href="/payroll">Payroll</a></div></li>
      <li><a href="/pricing">Pricing</a></li></ul></nav></body></html>"""
    assert set(ranked(html)) == {"https://www.vendor.example/claims", "https://www.vendor.example/payroll"}


def test_columns_of_a_services_mega_menu_are_read_in_turn() -> None:
    html = """<html><body><nav><ul>
      <li class="dropdown"><a href="#">Services</a><ul class="dropdown-menu">
        <li class="dropdown-submenu"><a href="#">Contact Center</a><ul>
          <li><a href="/inbound">Inbound calls</a></li><li><a href="/outbound">Outbound calls</a></li>
          <li><a href="/chat">Chat support</a></li></ul></li>
        <li class="dropdown-submenu"><a href="#">Legal Support</a><ul>
          <li><a href="/document-review">Document review</a></li><li><a href="/contracts">Contracts</a></li></ul></li>
      </ul></li></ul></nav></body></html>"""
    url = "https://www.vendor.example/"
    links = page_links(html, url, Site.of(FetchedPage(url, url, 200, html, "text/html")))
    assert {link.group for link in links} == {"services / contact center", "services / legal support"}
    queue = {c.key: c for c in rank_links(links, depth=1)}
    first_two = [c.url.removeprefix(url) for c in discovery._pick(queue, set(), Counter(), 2)]
    assert sorted(first_two) == ["document-review", "inbound"]  # one line of business each


def test_section_labels_name_their_links() -> None:
    html = """<html><body><main>
      <h1>Outsourced solutions for growing firms</h1>
      <section><span class="eyebrow">What we do</span><h2>Everything behind the counter, handled</h2>
        <a class="card" href="/bookkeeping"><h3>Bookkeeping</h3><p>Monthly books.</p></a>
        <a class="card" href="/tax-returns"><h3>Tax returns</h3></a></section>
      <section><h2>Latest news</h2><a href="/award-2025">We won an award</a></section>
      </main><footer><div><h4>Our services</h4><a href="/audit-support">Audit support</a></div>
      <div><h4>Company</h4><a href="/locations">Locations</a></div></footer></body></html>"""
    assert set(ranked(html)) == {
        "https://www.vendor.example/bookkeeping", "https://www.vendor.example/tax-returns",
        "https://www.vendor.example/audit-support",
    }


def test_translations_dropped() -> None:
    html = """<html lang="en"><body><nav><a href="/services.html">Services</a>
      <a href="/services-fr.html">Services (FR)</a><a href="/de/services.html">Leistungen</a>
      <a href="/it-services.html">IT services</a></nav></body></html>"""
    assert ranked(html) == ["https://www.vendor.example/services.html", "https://www.vendor.example/it-services.html"]
    prefixed = """<html lang="en"><body><nav><a href="/en/services">Services</a><a href="/fr/services">Services</a>
      <a href="/fr/">FR</a></nav></body></html>"""
    assert ranked(prefixed, "https://vendor.example/en/") == ["https://vendor.example/en/services"]


def test_english_versions_of_a_page() -> None:
    def english(links: str, url: str = "https://vendor.example/") -> list[str]:
        html = f'<html lang="de"><head>{links}</head><body><p>Hallo</p></body></html>'
        return discovery.english_versions(FetchedPage(url, url, 200, html, "text/html"))

    alternates = '<link rel="alternate" hreflang="de" href="/"><link rel="alternate" hreflang="en-US" href="/en/">'
    assert english(alternates) == ["https://vendor.example/en/"]
    assert english('<link rel="alternate" hreflang="fr" href="/fr/">') == []
    assert english('<link rel="canonical" hreflang="en" href="/en/">') == []
    assert english('<link rel="alternate" hreflang="en" href="/">') == []  # the page itself
    # without alternates, the page's language switcher
    assert english('</head><body><nav><a href="/">DE</a> | <a href="/en/">EN</a></nav>') == ["https://vendor.example/en/"]
    assert english('</head><body><a href="/english/" hreflang="en-GB">Sprache</a>') == ["https://vendor.example/english/"]
    assert english('</head><body><a href="https://vendor-global.example/">English</a>') == []
    assert english('</head><body><a href="/englisch-kurse">English courses</a>') == []
    # surest first: same-site alternates, another site's (read only if it names this one
    # back), then switchers; each URL once
    elsewhere = '<link rel="alternate" hreflang="en" href="https://vendor.example.com/">'
    assert english(elsewhere) == ["https://vendor.example.com/"]
    assert english(elsewhere + '</head><body><a href="/en">EN</a> <a href="/en/">English</a>') == [
        "https://vendor.example.com/", "https://vendor.example/en"]
    assert english(elsewhere + alternates) == ["https://vendor.example/en/", "https://vendor.example.com/"]


def test_a_page_names_its_language_versions_on_a_site() -> None:
    url = "https://vendor.example.com/en/"

    def names(links: str, site: str = "vendor.example") -> bool:
        tree = LexborHTMLParser(f'<html lang="en"><head>{links}</head><body><p>Hello</p></body></html>')
        return discovery.names_alternate(tree, url, Site(site, None, None))

    assert names('<link rel="alternate" hreflang="de" href="https://www.vendor.example/">')
    assert names('<link rel="alternate" hreflang="x-default" href="https://vendor.example/start">')
    assert not names('<link rel="alternate" hreflang="de" href="/de/">')  # its own site's version
    assert not names('<link rel="canonical" hreflang="de" href="https://vendor.example/">')
    assert not names('</head><body><a href="https://vendor.example/" hreflang="de">Deutsch</a>')


# --- crawling real sites -----------------------------------------------------------------

def test_dropdown_site_reads_service_pages_from_both_lines() -> None:
    with SiteServer(SITES / "megamenu") as server:
        chosen = crawl(server)
        requested = pages_requested(server)
    services = {"/cloud-migration.html", "/application-support.html", "/network-monitoring.html",
                "/claims-processing.html", "/payroll.html", "/order-entry.html"}
    assert {path for path, _ in chosen} <= services and all(role == "services" for _, role in chosen)
    assert requested[0] == "/" and set(requested[1:]) <= services
    assert len(requested) == len(set(requested)), "a page was fetched twice"
    first_two = {path for path, _ in chosen[:2]}
    assert first_two & {"/cloud-migration.html", "/application-support.html", "/network-monitoring.html"}
    assert first_two & {"/claims-processing.html", "/payroll.html", "/order-entry.html"}


def test_a_page_not_found_served_as_200_is_not_read_as_a_services_page() -> None:
    with SiteServer(SITES / "gonemissing") as server:
        found = crawled(server)
        requested = pages_requested(server)
    assert "/services/" in requested  # fetched: only its content tells it is missing
    assert paths_and_roles(server, found) == [("/what-we-do.html", "services")]
    [missing] = found.unread
    assert missing.url == server.url + "/services/" and missing.kind == "http_status"
    assert "'page not found' page" in missing.message


@pytest.mark.parametrize(
    ("title", "heading", "words", "missing"),
    [
        ("Page not found – Vendor", "Oops! That page can’t be found.", 20, True),
        ("Vendor", "404", 20, True),
        ("Error | Vendor", "The page you are looking for doesn't exist", 20, True),
        ("Vendor", "Sorry, we can’t find that page", 20, True),
        ("Error 404 - Page Not Found", "Nothing here", 20, True),
        ("Data entry services | Vendor", "Data entry services", 20, False),
        ("Lost and found call handling | Vendor", "Lost and found call handling", 20, False),
        ("SOX 404 Compliance Services | Vendor", "SOX 404 compliance", 20, False),
        ("Data Entry Services | Studio 404", "Data entry services", 20, False),
        ("Bookkeeping Atlanta GA | Call (404) 555-0142", "Bookkeeping", 20, False),
        ("Skip tracing | Vendor", "Debtor not found? We trace them.", 20, False),
        ("Page not found – Vendor", "Our services", 400, False),  # too much text of its own
    ],
)
def test_not_found_page(title: str, heading: str, words: int, missing: bool) -> None:
    body = " ".join(["We key in supplier invoices every day."] * (words // 7))
    html = f"<html><head><title>{title}</title></head><body><main><h1>{heading}</h1><p>{body}</p></main></body></html>"
    assert discovery.not_found_page(parse_page(html)) is missing


def test_services_pages_that_fail_are_reported_as_unread() -> None:
    routes = {"/payroll.html": "/_fault/status/503", "/order-entry.html": "/_fault/status/404"}
    with SiteServer(SITES / "megamenu", routes=routes) as server:
        found = crawled(server)
    unread = {exc.url.removeprefix(server.url): (exc.kind, exc.message) for exc in found.unread if exc.url}
    assert set(unread) == {"/payroll.html", "/order-entry.html"} and len(found.unread) == 2
    assert unread["/payroll.html"][0] == "http_status" and "503" in unread["/payroll.html"][1]
    assert {path for path, _ in paths_and_roles(server, found)}.isdisjoint(unread)


def test_page_cap() -> None:
    with SiteServer(SITES / "megamenu") as server:
        chosen = crawl(server, SETTINGS.with_changes(max_pages=3))
        assert len(chosen) == 2 and len(pages_requested(server)) == 3


def test_enough_text_stops_the_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "ENOUGH_BLOCKS", 1)
    with SiteServer(SITES / "megamenu") as server:
        crawl(server)
        assert len(pages_requested(server)) == 1 + SETTINGS.per_host


def test_hub_followed_one_level_down() -> None:
    with SiteServer(SITES / "cardhub") as server:
        chosen = crawl(server)
        requested = pages_requested(server)
    assert chosen[0] == ("/what-we-do.html", "services")
    assert {path for path, _ in chosen[1:]} == {"/medical-billing.html", "/transcription.html", "/coding-audits.html"}
    assert "/pricing.html" not in requested and "/careers.html" not in requested


def test_nested_hub_followed() -> None:
    with SiteServer(SITES / "lexhub") as server:
        chosen = [path for path, _ in crawl(server)]
    assert chosen[0] == "/services/"
    assert set(chosen[1:]) == {"/services/document-review.html", "/services/legal-research.html", "/services/patent-search.html"}


def test_sitemap_read_when_home_links_lead_nowhere() -> None:
    with SiteServer(SITES / "sitemapped") as server:
        chosen = crawl(server)
        requested = server.requests
    assert sorted(chosen) == [("/services/data-labelling.html", "services"), ("/services/translation.html", "services")]
    assert "/maps/index.xml" in requested and "/maps/pages.xml" in requested
    assert not any(p.startswith(("/blog/", "/team", "/company")) for p in requested)


def test_home_classified_when_no_services_page() -> None:
    with SiteServer(SITES / "homelist") as server:
        assert crawl(server) == [("/", "home")]
        report = analyzer.scan(server.url, settings=SETTINGS)
    assert report.status == "ok", report.error
    assert [page.role for page in report.pages] == ["home"] and "BPO" in report.offered


def test_javascript_services_page_skipped() -> None:
    with SiteServer(SITES / "jsservices") as server:
        assert crawl(server) == [("/", "home")]
        assert "/services.html" in server.requests


def test_off_site_redirect_not_followed() -> None:
    with SiteServer(SITES / "northwind") as elsewhere:
        routes = {"/services.html": f"/_fault/redirect?to={elsewhere.url}/services.html"}
        with SiteServer(SITES / "northwind", routes=routes) as server:
            assert crawl(server) == [("/", "home")]
    assert elsewhere.requests == []


@pytest.mark.timeout(10)
def test_deadline_keeps_what_was_fetched() -> None:
    with SiteServer(SITES / "northwind", routes={"/services.html": "/_fault/slow/5"}) as server:
        found = crawled(server, SETTINGS.with_changes(timeout=8.0), deadline_in=0.3)
    assert paths_and_roles(server, found) == [("/", "home")]
    [late] = found.unread
    assert late.url == server.url + "/services.html" and late.kind == "timeout"


# --- pages that need JavaScript ----------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("emptyshell/index.html", True),
        ("jsservices/services.html", True),
        ("jsservices/index.html", False),
        ("northwind/services.html", False),
        ("crumbs/index.html", False),
    ],
)
def test_needs_javascript(path: str, expected: bool) -> None:
    assert needs_javascript((SITES / path).read_text(encoding="utf-8")) is expected


def test_needs_javascript_script_heavy_body() -> None:
    bundle = "<script>" + "var a=1;" * 5000 + "</script>"
    assert needs_javascript(f"<html><body><p>{'Loading your dashboard. ' * 15}</p>{bundle}</body></html>")
    text = "<p>" + "We key invoices and claims into your systems every day. " * 30 + "</p>"
    assert not needs_javascript(f"<html><body>{text}{bundle}</body></html>")


def test_scan_reports_needs_js(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<html><head><script src="/app.js"></script></head><body><nav><a href="/">Home</a> <a href="/about">About</a>'
        '</nav><div id="__next"></div><footer>' + "Copyright Example Services Ltd, all rights reserved. " * 5
        + "</footer></body></html>"
    )
    with SiteServer(tmp_path) as server:
        report = analyzer.scan(server.url, settings=SETTINGS)
    assert report.error is not None and report.error.kind == "needs_js"
