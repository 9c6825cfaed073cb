"""A benchmark site farm: thousands of distinct vendor sites served on loopback.

Site ``i`` has a loopback address of its own, ``127.(64 + i // 62500).(i // 250 % 250).(1 + i % 250)``,
all on one port, so every site is a distinct host to the analyzer: its own robots.txt, its own
per-host politeness slots and connections, exactly as on the public web. Linux routes the whole
of 127/8 to the loopback interface, so nothing leaves the machine.

Sites are built from the project's corpus text and the test sites under tests/sites: most are
vendors with a home page and a services page of cards, some have a services hub with one page
per service, some list their offerings on the home page, and a few misbehave (HTTP 500, a PDF,
a redirect, robots.txt that disallows everything, a JavaScript shell). Each site is generated
on first request from its number, so the farm costs no memory per site. Its pages set
cookies, as real sites' do, so a client that kept every site's cookies would show it.

The server is a bare asyncio protocol in separate processes (each holds up to
``SITES_PER_PROCESS`` listening sockets, under the usual 20,000 open-file limit), so it costs
the analyzer little CPU.

    python bench/farm.py --sites 2000 --urls urls.txt     # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import random
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
TEST_SITES = ROOT / "tests" / "sites"

FIRST_ADDRESS = int(ipaddress.IPv4Address("127.64.0.0"))
HOSTS_PER_BLOCK = 250  # last octet 1..250 and third octet 0..249: no .0 or .255 addresses
# Listening sockets per server process; the hard open-file limit here is 20,000 and each
# process also needs descriptors for its client connections.
SITES_PER_PROCESS = 15_000
SITE_CACHE = 2048  # sites kept rendered per process; a site is re-rendered after eviction

# Share of each kind of site, roughly what a sourcing long-list holds.
SITE_KINDS: tuple[tuple[str, float], ...] = (
    ("cards", 0.70),
    ("hub", 0.12),
    ("home_only", 0.05),
    ("test_site", 0.05),
    ("redirect", 0.02),
    ("http_500", 0.02),
    ("robots_block", 0.015),
    ("not_found", 0.01),
    ("pdf", 0.01),
    ("js_shell", 0.005),
)
LABEL_WEIGHTS = {"BPO": 0.4, "ITO": 0.3, "KPO": 0.2, "LPO": 0.1}
OFFERING_KINDS = frozenset({"card", "section", "list_item"})
FILLER_KINDS = frozenset({"hero", "cta", "about", "testimonial", "stat", "paragraph", "faq"})
NAME_PARTS = (
    ("Blue", "North", "Summit", "Apex", "Cedar", "Harbor", "Silver", "Bright", "Iron", "Golden", "Clear",
     "River", "Stone", "Pacific", "Atlas", "Nova", "Crest", "Pioneer", "Evergreen", "Beacon"),
    ("peak", "wind", "line", "bridge", "field", "gate", "point", "path", "wave", "core", "view", "stone",
     "light", "ridge", "shore", "works", "sphere", "port", "mark", "vale"),
    ("Solutions", "Outsourcing", "Services", "Global", "Partners", "Consulting", "Group", "Associates",
     "Technologies", "Support"),
)


def site_address(index: int) -> str:
    block, host = divmod(index, HOSTS_PER_BLOCK)
    return str(ipaddress.IPv4Address(FIRST_ADDRESS + (block << 8) + host + 1))


def site_index(address: str) -> int:
    offset = int(ipaddress.IPv4Address(address)) - FIRST_ADDRESS
    return (offset >> 8) * HOSTS_PER_BLOCK + (offset & 0xFF) - 1


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None


Site = dict[str, Response]


class SiteBook:
    """Builds site ``i`` from the corpus, the same every time."""

    def __init__(self, corpus: Path = CORPUS, test_sites: Path = TEST_SITES) -> None:
        self.offerings: dict[str, list[tuple[str, str]]] = {label: [] for label in LABEL_WEIGHTS}
        self.filler: list[str] = []
        for path in sorted(corpus.glob("*.jsonl")):
            for row in _json_lines(path):
                if row.get("label") in self.offerings and row.get("kind") in OFFERING_KINDS:
                    self.offerings[row["label"]].append((row["kind"], row["text"]))
                elif row.get("label") == "none" and row.get("kind") in FILLER_KINDS:
                    self.filler.append(row["text"])
        if not self.filler or not all(self.offerings.values()):
            raise SystemExit(f"farm: corpus at {corpus} lacks offering or filler text")
        self.test_sites = [_read_test_site(folder) for folder in sorted(test_sites.iterdir()) if folder.is_dir()]
        self.site = lru_cache(maxsize=SITE_CACHE)(self._build)

    def respond(self, index: int, path: str) -> Response:
        path = path.split("?", 1)[0].split("#", 1)[0] or "/"
        return self.site(index).get(path) or Response(404, b"<html><body><h1>Not found</h1></body></html>")

    def _build(self, index: int) -> Site:
        rng = random.Random(index)
        kind = _pick(rng, dict(SITE_KINDS))
        name = " ".join((rng.choice(NAME_PARTS[0]) + rng.choice(NAME_PARTS[1]), rng.choice(NAME_PARTS[2])))
        robots = Response(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if kind == "test_site":
            return self.test_sites[index % len(self.test_sites)]
        if kind == "robots_block":
            robots = Response(200, b"User-agent: *\nDisallow: /\n", "text/plain")
        site: Site = {"/robots.txt": robots} if rng.random() < 0.9 else {}
        if kind == "http_500":
            site["/"] = Response(500, b"<html><body><h1>Internal Server Error</h1></body></html>")
        elif kind == "not_found":
            pass
        elif kind == "pdf":
            site["/"] = Response(200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")
        elif kind == "js_shell":
            site["/"] = Response(200, _js_shell(name))
        else:
            site.update(self._vendor(rng, name, kind))
        return site

    def _vendor(self, rng: random.Random, name: str, kind: str) -> Site:
        labels = [_pick(rng, LABEL_WEIGHTS)]
        if rng.random() < 0.5:
            labels.append(_pick(rng, LABEL_WEIGHTS))
        offers = [self._offering(rng, labels[0] if rng.random() < 0.7 else labels[-1]) for _ in range(rng.randint(4, 9))]
        claim = f"<p>{escape(name)} is a trusted {labels[0]} company serving clients in {rng.randint(5, 40)} countries.</p>"
        filler = [f"<p>{escape(rng.choice(self.filler))}</p>" for _ in range(rng.randint(1, 3))]
        extra_nav = ["industries"] if rng.random() < 0.3 else []
        pages: Site = {}
        if kind == "home_only":
            pages["/"] = Response(200, _page(rng, name, "Home", [claim, *offers, *filler], nav=[]))
            return pages
        home_path = "/en/" if kind == "redirect" else "/"
        if kind == "redirect":
            pages["/"] = Response(301, b"", location="/en/")
        if kind == "hub":
            groups = [offers[i::3] for i in range(3)]
            slugs = [f"/services/line-{n}.html" for n in range(len(groups))]
            links = "".join(f'<li><a href="{slug}">{_first_line(group[0])}</a></li>' for slug, group in zip(slugs, groups))
            pages["/services/"] = Response(200, _page(rng, name, "Services", [*filler, f"<ul>{links}</ul>"], nav=["services"]))
            for slug, group in zip(slugs, groups):
                pages[slug] = Response(200, _page(rng, name, "Services", group, nav=["services"]))
            services_link = "/services/"
        else:
            pages["/services.html"] = Response(
                200, _page(rng, name, "Our Services", [f'<div class="grid">{"".join(offers)}</div>', *filler], nav=["services", *extra_nav])
            )
            services_link = "/services.html"
        about = [f"<section><h2>Why {escape(name)}</h2><p>{escape(rng.choice(self.filler))}</p></section>" for _ in range(2)]
        pages[home_path] = Response(
            200, _page(rng, name, "Home", [claim, *filler, *about, f'<p><a href="{services_link}">See what we do</a></p>'],
                       nav=["services", *extra_nav])
        )
        if extra_nav:
            pages["/industries.html"] = Response(200, _page(rng, name, "Industries", filler, nav=["services", *extra_nav]))
        return pages

    def _offering(self, rng: random.Random, label: str) -> str:
        kind, text = rng.choice(self.offerings[label])
        title, _, body = text.partition("\n")
        if kind == "list_item" or not body:
            return f"<ul><li>{escape(text)}</li></ul>"
        return f'<div class="card"><h3>{escape(title)}</h3><p>{escape(body)}</p></div>'


def _page(rng: random.Random, name: str, title: str, parts: list[str], *, nav: list[str]) -> bytes:
    """A page shaped like a real vendor's: head with inline CSS and scripts, menus, cookie banner, footer."""
    links = [("Home", "/"), ("About us", "/about.html")]
    links += [("Our Services" if item == "services" else "Industries", "/services.html" if item == "services" else "/industries.html")
              for item in nav]
    links += [("Careers", "/careers.html"), ("Contact", "/contact.html")]
    menu = " ".join(f'<a href="{href}">{text}</a>' for text, href in links)
    # Real service pages weigh 15-60 KB, most of it styles, scripts and menus; the extractor's
    # cost depends on that, so each page carries a comparable load that it must strip.
    style = ".c{margin:0 auto;padding:1rem}" * rng.randint(300, 900)
    script = "window.dataLayer=window.dataLayer||[];function g(){dataLayer.push(arguments)}" * rng.randint(2, 12)
    footer_links = "".join(f'<li><a href="/p/{n}.html">Link {n}</a></li>' for n in range(rng.randint(10, 40)))
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {escape(name)}</title>'
        f'<style>{style}</style><script>{script}</script><script src="/static/site.js" defer></script></head><body>'
        f"<header><nav>{menu}</nav></header>"
        '<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience.</p></div>'
        f"<main><h1>{escape(title)}</h1>\n{body}\n</main>"
        f"<footer><ul>{footer_links}</ul><p>&copy; 2026 {escape(name)}</p></footer></body></html>"
    ).encode()


def _js_shell(name: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><title>{escape(name)}</title></head><body><div id="root"></div>'
            '<script src="/static/app.js"></script><script>window.__APP__={}</script></body></html>').encode()


def _first_line(offer_html: str) -> str:
    start = offer_html.find(">", offer_html.find("<h3") if "<h3" in offer_html else offer_html.find("<li")) + 1
    return offer_html[start : offer_html.find("<", start)][:80] or "Service"


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _json_lines(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _read_test_site(folder: Path) -> Site:
    site: Site = {}
    for file in folder.rglob("*"):
        if not file.is_file():
            continue
        path = "/" + file.relative_to(folder).as_posix()
        content_type = "text/plain" if file.suffix == ".txt" else "text/html; charset=utf-8"
        site[path] = Response(200, file.read_bytes(), content_type)
        if file.name == "index.html":
            site[path.removesuffix("index.html")] = site[path]
    return site


class FarmProtocol(asyncio.Protocol):
    """Just enough HTTP/1.1 for GET with keep-alive."""

    def __init__(self, book: SiteBook) -> None:
        self.book = book
        self.buffer = b""
        self.site = -1
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.site = site_index(transport.get_extra_info("sockname")[0])

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].split(b" ")
            if len(request_line) != 3:
                self.transport.close()
                return
            response = self.book.respond(self.site, request_line[1].decode("latin-1"))
            close = b"connection: close" in head.lower()
            self.transport.write(_http(response, site=self.site, close=close))
            if close:
                self.transport.close()


def _cookies(site: int) -> list[str]:
    """What a real site's page sets: a session cookie and an analytics one, its own values."""
    token = f"{site * 2654435761 % 2**32:08x}" * 4
    return [f"PHPSESSID={token}; path=/; HttpOnly", f"_ga=GA1.1.{site}.1763800000; Max-Age=63072000; path=/"]


def _http(response: Response, *, site: int, close: bool) -> bytes:
    head = [f"HTTP/1.1 {response.status} X", f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}", "Connection: close" if close else "Connection: keep-alive"]
    if response.location:
        head.append(f"Location: {response.location}")
    if response.status == 200 and response.content_type.startswith("text/html"):
        head += [f"Set-Cookie: {cookie}" for cookie in _cookies(site)]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + response.body


async def serve(first: int, count: int, port: int) -> None:
    """Serve sites ``first`` .. ``first + count - 1``; print "ready" once listening."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    book = SiteBook()
    loop = asyncio.get_running_loop()
    servers = []
    for index in range(first, first + count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((site_address(index), port))
        sock.listen(128)
        servers.append(await loop.create_server(lambda: FarmProtocol(book), sock=sock))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()


class Farm:
    """Start the farm's server processes; ``with Farm(10_000) as farm: farm.urls()``."""

    def __init__(self, sites: int, *, port: int = 0) -> None:
        self.sites = sites
        self.port = port or _free_port()
        self.processes: list[subprocess.Popen[str]] = []

    def url(self, index: int) -> str:
        return f"http://{site_address(index)}:{self.port}/"

    def urls(self, count: int | None = None) -> Iterator[str]:
        """URL ``i`` is site ``i % sites``; past the farm's size the same sites come back under a
        distinct query string (``?n=``), so a list can be longer than the farm."""
        for n in range(self.sites if count is None else count):
            yield self.url(n % self.sites) + (f"?n={n}" if n >= self.sites else "")

    def __enter__(self) -> Self:
        for first in range(0, self.sites, SITES_PER_PROCESS):
            count = min(SITES_PER_PROCESS, self.sites - first)
            self.processes.append(subprocess.Popen(
                [sys.executable, __file__, "serve", str(first), str(count), str(self.port)],
                stdout=subprocess.PIPE, text=True,
            ))
        for process in self.processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                self.__exit__(None, None, None)
                raise RuntimeError("farm server failed to start")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)
        self.processes.clear()

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((site_address(0), 0))
        return int(probe.getsockname()[1])


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        asyncio.run(serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description="Serve a farm of vendor sites on loopback until Ctrl-C.")
    parser.add_argument("--sites", type=int, default=1000, help="distinct sites (default 1000)")
    parser.add_argument("--urls", type=Path, help="write the sites' URLs here, one a line")
    args = parser.parse_args()
    # Stop cleanly, servers included, on Ctrl-C (even when started from a script, where SIGINT
    # comes ignored) and on a plain `kill`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with Farm(args.sites) as farm:
        if args.urls:
            args.urls.write_text("".join(url + "\n" for url in farm.urls()), encoding="utf-8")
        print(f"serving {args.sites} sites, {farm.url(0)} .. {farm.url(args.sites - 1)}", file=sys.stderr)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
