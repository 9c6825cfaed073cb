"""Every misbehaving server ends in the right ``error.kind`` or a correct report, and no batch dies.

Each case runs a real scan against a real local server with short timeouts; the test's own
timeout is what "never hangs" means here. Memory under the size cap is checked in test_fetch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import analyzer
from analyzer import Settings

from .server import SITES, SiteServer, gzip_bomb

SETTINGS = Settings(allow_private=True, timeout=0.5, retry_backoff=0.01, max_bytes=1_000_000, site_timeout=10.0)

# (site, routes, path, expected kind or None for a successful report)
FAULTS: dict[str, tuple[str, dict[str, str], str, str | None]] = {
    "slow headers": ("crumbs", {}, "/_fault/slow/3", "timeout"),
    "slow body": ("crumbs", {}, "/_fault/drip/3", "timeout"),
    "connection reset": ("crumbs", {}, "/_fault/reset", "connect"),
    "reset then 200": ("northwind", {"/": "/_fault/seq/r/reset,ok"}, "/", None),
    "503 then 200": ("northwind", {"/": "/_fault/seq/s/503,ok"}, "/", None),
    "500 then 200": ("northwind", {"/": "/_fault/seq/t/500,ok"}, "/", "http_status"),
    "503 for ever": ("crumbs", {}, "/_fault/status/503", "http_status"),
    "404": ("crumbs", {}, "/_fault/status/404", "http_status"),
    "redirect loop": ("crumbs", {}, "/_fault/loop", "redirects"),
    "50 MB declared": ("crumbs", {}, "/_fault/big/52428800", "too_large"),
    "50 MB streamed": ("crumbs", {}, "/_fault/stream/52428800", "too_large"),
    "gzip bomb": ("crumbs", {}, "/_fault/gzipbomb/64", "too_large"),
    "PDF": ("crumbs", {}, "/_fault/pdf", "not_html"),
    "PDF as text/html": ("crumbs", {}, "/_fault/as-html/pdf", "not_html"),
    "image as text/html": ("crumbs", {}, "/_fault/as-html/png", "not_html"),
    "empty body": ("crumbs", {}, "/_fault/empty", "not_html"),
    "robots disallows all": ("private-eye", {}, "/", "robots"),
    "robots.txt 503": ("northwind", {"/robots.txt": "/_fault/status/503"}, "/", "robots"),
    "wrong charset and bad bytes": ("badbytes", {}, "/", None),
    "broken HTML": ("brokenhtml", {}, "/", None),
}


@pytest.fixture
def servers() -> Iterator[dict[str, SiteServer]]:
    started: dict[str, SiteServer] = {}
    for name, (site, routes, _, _) in FAULTS.items():
        started[name] = SiteServer(SITES / site, routes=routes).__enter__()
    yield started
    for server in started.values():
        server.__exit__()


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", list(FAULTS))
def test_fault(name: str) -> None:
    site, routes, path, kind = FAULTS[name]
    gzip_bomb(64)  # built once, before the clock starts: building it takes longer than the timeout
    with SiteServer(SITES / site, routes=routes) as server:
        report = analyzer.scan(server.url + path, settings=SETTINGS)
    if kind is None:
        assert report.status == "ok", report.error
        assert report.pages and report.pages[0].role == "services"
        assert report.primary == "BPO"
    else:
        assert report.status == "error" and report.error is not None
        assert report.error.kind == kind, report.error.message
        assert report.error.message


@pytest.mark.timeout(20)
def test_429_retry_after_then_report() -> None:
    with SiteServer(SITES / "northwind", routes={"/": "/_fault/seq/q/429-1,ok"}) as server:
        report = analyzer.scan(server.url + "/", settings=SETTINGS.with_changes(timeout=2.0))
        assert server.requests.count("/") == 2
    assert report.status == "ok" and report.primary == "BPO"


@pytest.mark.timeout(20)
def test_redirect_to_private_address() -> None:
    with SiteServer(SITES / "northwind") as internal:
        routes = {"/": f"/_fault/redirect?to={internal.url}/"}
        with SiteServer(SITES / "northwind", host="127.0.0.2", routes=routes) as public:
            settings = SETTINGS.with_changes(allow_private=False, allow_networks=("127.0.0.2/32",))
            report = analyzer.scan(public.url + "/", settings=settings)
    assert report.error is not None and report.error.kind == "private_address"
    assert internal.requests == []


@pytest.mark.timeout(30)
def test_batch_survives_every_fault(servers: dict[str, SiteServer]) -> None:
    gzip_bomb(64)
    urls = [servers[name].url + FAULTS[name][2] for name in FAULTS] + ["not a url", "http://localhost:1/"]
    # Twenty scans share one event loop, and classifying a page holds it for a few milliseconds:
    # a longer per-request limit (still under the slow servers' 3 s) keeps a busy machine from
    # timing out the servers that answer at once.
    settings = SETTINGS.with_changes(timeout=2.0)
    rows = [report.to_dict() for report in analyzer.scan_many(urls, settings=settings)]
    assert sorted(row["url"] for row in rows) == sorted(urls)
    by_url = {row["url"]: row for row in rows}
    for name, (_, _, path, kind) in FAULTS.items():
        row = by_url[servers[name].url + path]
        assert (row["error"] or {}).get("kind") == kind, name
    assert by_url["not a url"]["error"]["kind"] == "invalid_url"
    assert by_url["http://localhost:1/"]["error"]["kind"] == "connect"
