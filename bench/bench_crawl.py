"""Crawl quality and cost on the held-out eval sites, each served from its folder on 127.0.0.1.

For every site in ../shared/eval/sites.jsonl this starts a real HTTP server (one port per
site) on the site's folder, scans the entry URL, and compares what the crawler did with the
site's labels:

- hit: the pages chosen for classification include one of the site's ``services_pages``;
- precision: the share of non-home HTML pages fetched (counted by the server, so nothing the
  crawler does escapes the count) that are services pages;
- pages fetched per site (HTML pages, home included; robots.txt and sitemaps not counted);
- ``offered`` macro-F1 over the four labels, across the sites;
- the same F1 when the model reads every labelled services page of each site, with no crawler
  in between: what a crawler that never misses a services page would score, which splits a
  shortfall between the crawler and the model.

    python bench/bench_crawl.py [--runs 3] [--max-pages 8] [-v]

Only measures: nothing here feeds back into the crawler's rules.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# The editable install's finder does not resolve the package from a script in bench/, so the
# checkout it lives in comes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import analyzer
from analyzer import Settings
from analyzer.evaluate import offered_f1
from analyzer.scanner import PageSource, classify_pages

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EVAL = SHARED / "eval"
NOT_PAGES = ("/robots.txt", "/sitemap")


class LoggingHandler(SimpleHTTPRequestHandler):
    """Serves a folder and records the path of every GET in the server's ``requests`` list."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep output clean
        pass

    def do_GET(self) -> None:
        self.server.requests.append(unquote(urlsplit(self.path).path))  # type: ignore[attr-defined]
        super().do_GET()

    def translate_path(self, path: str) -> str:
        """Clean URLs as GitHub Pages and Netlify serve them: /services finds services.html."""
        local = super().translate_path(path)
        if not Path(local).exists() and Path(local + ".html").is_file():
            return local + ".html"
        return local


@dataclass
class SiteServer:
    folder: Path
    httpd: ThreadingHTTPServer = field(init=False)
    base: str = field(init=False)

    def __post_init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(LoggingHandler, directory=str(self.folder)))
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests  # type: ignore[attr-defined, no-any-return]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class SiteResult:
    id: str
    hit: bool
    fetched: int
    services_fetched: int
    chosen: list[str]
    unread: list[str]
    offered: list[str]
    expected: list[str]
    error: str | None
    seconds: float


def served_file(folder: Path, path: str, entry: str) -> str:
    """The site file a URL path was answered with, as the server resolves it."""
    name = unquote(urlsplit(path).path).lstrip("/")
    if not name or (folder / name).is_dir():
        return str(Path(name) / "index.html") if name else entry
    if not (folder / name).exists() and (folder / f"{name}.html").is_file():
        return f"{name}.html"
    return name


def scan_site(site: dict[str, Any], settings: Settings) -> SiteResult:
    server = SiteServer(EVAL / "sites" / site["id"])
    try:
        started = time.perf_counter()
        report = analyzer.scan(f"{server.base}/{site['entry']}", settings=settings)
        seconds = time.perf_counter() - started
        requests = list(server.requests)
    finally:
        server.close()
    folder = EVAL / "sites" / site["id"]
    services = set(site["services_pages"])
    pages = [served_file(folder, r, site["entry"]) for r in requests if not r.startswith(NOT_PAGES)]
    others = [p for p in pages if p != site["entry"]]
    chosen = [served_file(folder, p.url, site["entry"]) for p in report.pages]
    return SiteResult(
        id=site["id"],
        hit=any(c in services for c in chosen),
        fetched=len(pages),
        services_fetched=sum(p in services for p in others),
        chosen=chosen,
        unread=[f"{served_file(folder, p.url, site['entry'])} ({p.kind})" for p in report.unread],
        offered=report.offered,
        expected=site["offered"],
        error=report.error.kind if report.error else None,
        seconds=seconds,
    )


def labelled_pages_offered(site: dict[str, Any]) -> list[str]:
    """The labels offered when the model reads all of the site's labelled services pages."""
    folder = EVAL / "sites" / site["id"]
    pages = [PageSource(name, (folder / name).read_text(encoding="utf-8", errors="replace"))
             for name in site["services_pages"]]
    home = (folder / site["entry"]).read_text(encoding="utf-8", errors="replace")
    return classify_pages(site["id"], pages, home=home).offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="repeat the whole bench; timings are medians")
    parser.add_argument("--max-pages", type=int, default=Settings().max_pages)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the pages chosen (and not read) per site")
    args = parser.parse_args()
    if not (EVAL / "sites.jsonl").is_file():
        sys.exit(f"no eval data at {EVAL}")
    sites = [json.loads(line) for line in (EVAL / "sites.jsonl").read_text().splitlines() if line.strip()]
    settings = Settings(allow_private=True, max_pages=args.max_pages)
    analyzer.classify_text("warm up the model cache")
    runs: list[list[SiteResult]] = []
    walls: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        runs.append([scan_site(site, settings) for site in sites])
        walls.append(time.perf_counter() - started)
    results = runs[-1]
    seconds = {r.id: statistics.median(run[i].seconds for run in runs) for i, r in enumerate(results)}

    print(f"{'site':5} {'hit':4} {'fetched':>7} {'svc/other':>9} {'secs':>5}  offered / expected")
    for r in results:
        others = r.fetched - 1
        print(f"{r.id:5} {'yes' if r.hit else 'NO':4} {r.fetched:7d} {f'{r.services_fetched}/{others}':>9} "
              f"{seconds[r.id]:5.2f}  {','.join(r.offered) or '-'} / {','.join(r.expected)}"
              + (f"  error={r.error}" if r.error else ""))
        if args.verbose:
            print("      chosen:", ", ".join(r.chosen))
            if r.unread:
                print("      not read:", ", ".join(r.unread))
    hits = sum(r.hit for r in results)
    others = sum(r.fetched - 1 for r in results)
    services = sum(r.services_fetched for r in results)
    expected = [r.expected for r in results]
    per_label = offered_f1(expected, [r.offered for r in results])
    f1 = statistics.mean(per_label.values())
    print()
    print(f"sites with a services page chosen   {hits}/{len(results)}   (target >= 11)")
    print(f"non-home pages that are services    {services}/{others} = {services / max(others, 1):.1%}   (target >= 80%)")
    print(f"median pages fetched per site       {statistics.median(r.fetched for r in results):g}   (target <= 6)")
    print(f"offered macro-F1                    {f1:.3f}   ({', '.join(f'{k} {v:.2f}' for k, v in per_label.items())})")
    labelled = offered_f1(expected, [labelled_pages_offered(site) for site in sites])
    print(f"  every labelled services page read {statistics.mean(labelled.values()):.3f}   "
          f"({', '.join(f'{k} {v:.2f}' for k, v in labelled.items())})")
    print(f"median scan time per site           {statistics.median(seconds.values()):.3f} s")
    print(f"wall time, 12 servers and scans     {statistics.median(walls):.2f} s (median of {len(walls)} runs)")
    print(f"peak RSS                            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
