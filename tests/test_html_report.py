"""The batch report page: its table, bars, filters and escaping, rendered by a real browser."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser

import analyzer
from analyzer import Settings
from analyzer.cli import cli
from analyzer.errors import DNSError, ResultsError
from analyzer.html_report import read_results, render_html, write_html
from analyzer.report import Report, UnreadPage, error_report

from .test_report import vendor_report

HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">\n</script><script>document.body.dataset.pwned=1</script>'


def sample_reports() -> list[Report]:
    return [
        vendor_report(
            "https://northwind.example/",
            [("Inbound Call Center\nAgents answer calls.", "BPO", 0.97), ("Data Entry\nInvoices keyed.", "BPO", 0.95),
             ("Medical Billing\nCharge entry.", "BPO", 0.93), ("Web Development\nWebsites built.", "ITO", 0.9)],
            claim=["BPO"],
        ),
        vendor_report(
            "https://lexhub.example/",
            [("Document Review\nPrivilege review.", "LPO", 0.96), ("Patent Search\nPrior-art searches.", "LPO", 0.94)],
            claim=["LPO"],
        ),
        vendor_report(
            "https://insight.example/",
            [("Market Research\nSurveys and sizing.", "KPO", 0.9), ("Equity Research\nModels.", "KPO", 0.92),
             ("Contract Review\nAbstraction.", "LPO", 0.8), ("Financial Analysis\nValuations.", "KPO", 0.88),
             ("Clinical Research\nLiterature reviews.", "KPO", 0.85), ("Call Center\nA small inbound team.", "BPO", 0.7)],
            claim=["BPO"],
        ),
        vendor_report("https://bakery.example/", [("Fresh bread every morning", "none", 0.9)]),
        vendor_report("javascript:alert(1)//evil.example/", [(HOSTILE, "BPO", 0.9)], claim=["BPO", "KPO"]),
        error_report("https://dead.example/", DNSError("Name or service not known", url="https://dead.example/")),
    ]


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def test_table_has_a_row_and_a_stacked_bar_per_vendor() -> None:
    reports = sample_reports()
    tree = parse(render_html(reports))
    groups = tree.css("tbody.vendor")
    assert len(groups) == len(reports)
    assert [g.attributes["data-primary"] for g in groups] == ["BPO", "LPO", "KPO", "none", "BPO", "error"]
    northwind = groups[0]
    segments = northwind.css(".bar span")
    assert [s.attributes["class"] for s in segments] == ["BPO", "ITO"]
    assert [s.attributes["style"] for s in segments] == ["width: 75.00%", "width: 25.00%"]
    assert groups[3].css(".bar span") == []  # offers none of the four: an empty bar
    assert groups[5].css(".bar") == [] and "Name or service not known" in groups[5].text()
    assert [g.attributes["data-mismatch"] for g in groups] == ["1", "0", "1", "0", "1", "0"]
    assert groups[2].attributes["data-finding"] == "different"


def test_evidence_and_specialties_are_in_a_hidden_detail_row() -> None:
    tree = parse(render_html(sample_reports()))
    detail = tree.css("tbody.vendor")[0].css_first("tr.detail")
    assert detail is not None and "hidden" in detail.attributes
    items = detail.css(".ev li")
    assert len(items) == 4  # 3 BPO blocks (the cap) and 1 ITO
    assert "Inbound Call Center" in items[0].text() and "0.97" in items[0].text()
    chips = [chip.text() for chip in detail.css(".chip")]
    assert "call center · BPO" in chips and "web development · ITO" in chips
    assert "calls itself a BPO but also sells IT work (ITO)" in detail.text()


def test_pages_not_read_are_listed_in_the_detail_row() -> None:
    unread = UnreadPage("https://northwind.example/payroll", "http_status", f"HTTP 503 from there {HOSTILE}")
    report = replace(sample_reports()[0], unread=[unread])
    tree = parse(render_html([report]))
    detail = tree.css_first("tbody.vendor tr.detail")
    assert detail is not None and "Pages not read" in detail.text()
    assert "https://northwind.example/payroll: http_status (HTTP 503 from there" in detail.text()
    assert tree.css("img") == []


def test_vendor_text_cannot_inject_markup_or_script() -> None:
    html = render_html(sample_reports())
    tree = parse(html)
    assert tree.css("img") == []
    assert len(tree.css("script")) == 1
    assert all(not a.attributes.get("href", "").lower().startswith("javascript") for a in tree.css("a"))
    hostile = tree.css("tbody.vendor")[4]
    assert hostile.css_first("a") is None  # a javascript: URL is shown, never linked
    assert "<img src=x" in hostile.text() and "</script><script>" in hostile.text()


def test_page_is_self_contained_and_only_its_own_script_may_run() -> None:
    tree = parse(render_html(sample_reports()))
    assert tree.css("link") == [] and tree.css("[src]") == []
    script = tree.css_first("script")
    assert script is not None
    csp = tree.css_first('meta[http-equiv="Content-Security-Policy"]')
    assert csp is not None
    digest = base64.b64encode(hashlib.sha256(script.text().encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.attributes["content"]
    assert "default-src 'none'" in csp.attributes["content"]


def test_page_streams_reports_as_they_come() -> None:
    out = io.StringIO()
    seen_before_first: list[str] = []

    def reports() -> Iterator[Report]:
        seen_before_first.append(out.getvalue())
        yield from sample_reports()

    assert write_html(reports(), out) == len(sample_reports())
    assert "<table" in seen_before_first[0] and "tbody" not in seen_before_first[0].split("<table", 1)[1]
    assert "6 vendors" in out.getvalue()


def test_read_results_names_the_bad_line() -> None:
    good = json.dumps(sample_reports()[0].to_dict())
    assert len(list(read_results([good, "", good]))) == 2
    bad_rows = [
        "{not json", "[1, 2]", '{"status": "ok"}', '{"url": "x", "evidence": {"BPO": [{"wrong": 1}]}}',
        '{"url": "x", "mix": {"BPO": "most"}}', '{"url": "x", "finding": "consistent"}',
    ]
    for bad in bad_rows:
        with pytest.raises(ResultsError, match=r"results\.jsonl line 2 is not a report row"):
            list(read_results([good, bad], name="results.jsonl"))


def write_results(path: Path, reports: list[Report]) -> None:
    path.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in reports), encoding="utf-8")


def test_report_command_writes_html_and_markdown(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    write_results(results, sample_reports())
    runner = CliRunner()
    html = runner.invoke(cli, ["report", str(results), "-o", str(tmp_path / "report.html"), "--title", "Q3 <long-list>"])
    assert html.exit_code == 0, html.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>Q3 &lt;long-list&gt;</title>" in page and page.count('<tbody class="vendor"') == 6
    markdown = runner.invoke(cli, ["report", str(results), "-o", str(tmp_path / "memo.md")])
    assert markdown.exit_code == 0
    memo = (tmp_path / "memo.md").read_text(encoding="utf-8")
    assert memo.startswith("# Vendor due-diligence report") and memo.count("\n## ") == 6


def test_report_command_keeps_the_old_page_on_a_bad_line(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    write_results(results, sample_reports())
    with results.open("a", encoding="utf-8") as handle:
        handle.write("truncated {\n")
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")
    outcome = CliRunner().invoke(cli, ["report", str(results), "-o", str(target)])
    assert isinstance(outcome.exception, ResultsError) and "line 7" in str(outcome.exception)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "results.jsonl"]


def test_batch_results_of_real_scans_become_a_page(
    serve_site: Callable[[str], str], local_settings: Settings, tmp_path: Path
) -> None:
    urls = [serve_site("northwind"), serve_site("crumbs") + "/_fault/status/500"]
    write_results(tmp_path / "results.jsonl", list(analyzer.scan_many(urls, settings=local_settings)))
    outcome = CliRunner().invoke(cli, ["report", str(tmp_path / "results.jsonl"), "-o", str(tmp_path / "r.html")])
    assert outcome.exit_code == 0, outcome.output
    groups = parse((tmp_path / "r.html").read_text(encoding="utf-8")).css("tbody.vendor")
    assert sorted(g.attributes["data-primary"] for g in groups) == ["BPO", "error"]


# --- in a real browser -------------------------------------------------------------------

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(sample_reports()), encoding="utf-8")
    return path


def visible(tree: LexborHTMLParser) -> list[str]:
    return [g.attributes["data-vendor"] or "" for g in tree.css("tbody.vendor") if "hidden" not in g.attributes]


@needs_chromium
def test_browser_runs_the_page_and_filters(page: Path, tmp_path: Path) -> None:
    tree = parse(chromium(tmp_path, "--dump-dom", page.as_uri() + "#primary=LPO"))
    html = tree.css_first("html")
    assert html is not None and html.attributes.get("data-ready") == "1"
    summary = [li.text() for li in tree.css("#summary li")]
    assert summary[0] == "6vendors" and "3claim and offering part" in summary and "1could not be scanned" in summary
    assert len(tree.css("tbody.vendor")) == 6 and len(tree.css("tbody.vendor .bar")) == 5
    assert visible(tree) == ["lexhub.example"]
    shown = tree.css_first("#shown")
    assert shown is not None and shown.text() == "Showing 1 of 6 vendors"
    body = tree.css_first("body")
    assert body is not None and "data-pwned" not in body.attributes


@needs_chromium
def test_browser_sorts_and_filters_mismatches(page: Path, tmp_path: Path) -> None:
    tree = parse(chromium(tmp_path, "--dump-dom", page.as_uri() + "#finding=mismatch&sort=KPO&dir=desc"))
    groups = tree.css("tbody.vendor")
    kpo = [float(g.attributes["data-kpo"] or 0) for g in groups]
    assert kpo == sorted(kpo, reverse=True) and kpo[0] > 0
    assert visible(tree) == ["insight.example", "northwind.example", "javascript:alert(1)//evil.example/"]
    header = tree.css_first('th[data-key="KPO"]')
    assert header is not None and header.attributes.get("aria-sort") == "descending"


@needs_chromium
def test_browser_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--hide-scrollbars", "--window-size=1280,900", f"--screenshot={shot}", page.as_uri() + "#open=all")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 900)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes
