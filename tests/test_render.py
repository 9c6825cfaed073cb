"""The terminal view and the Markdown memo of one report, and `analyzer scan`'s formats."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import click
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.errors import FetchTimeout
from analyzer.render import render_markdown, render_text
from analyzer.report import Report, error_report

from .test_report import vendor_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def report() -> Report:
    return vendor_report(
        "https://northwind.example/",
        [
            (("Inbound Customer Care\nAgents answer your customers' calls, chats and emails around the clock, "
              "resolve order questions and log every ticket in your CRM."), "BPO", 0.97),
            ("Outbound Telemarketing\nCallers run outbound sales campaigns.", "BPO", 0.95),
            ("Data Entry\nWe key invoices and claim forms.", "BPO", 0.93),
            ("Payroll\nMonthly payroll runs.", "BPO", 0.91),
            ("Web Development\nWe build websites and online stores.", "ITO", 0.88),
        ],
        claim=["BPO"],
    )


def bar_length(line: str) -> int:
    return len(re.findall(r"[█▏▎▍▌▋▊▉]", line))


def test_text_view_shows_mix_claim_finding_evidence(report: Report) -> None:
    text = render_text(report)
    assert not ANSI.search(text)
    rows = {line.split()[0]: line for line in text.splitlines() if re.match(r"  (BPO|KPO|LPO|ITO) +\d+%", line)}
    assert set(rows) == {"BPO", "KPO", "LPO", "ITO"}
    assert "80%" in rows["BPO"] and "20%" in rows["ITO"] and " 0%" in rows["KPO"]
    assert bar_length(rows["BPO"]) == 4 * bar_length(rows["ITO"]) > 0
    assert bar_length(rows["KPO"]) == 0
    assert re.search(r"Claims +BPO", text)
    assert "broader than claimed" in text and "also sells IT work (ITO)" in text
    evidence = text.split("Evidence", 1)[1].split("Specialties", 1)[0]
    assert evidence.count("https://northwind.example/services") == 4  # 3 BPO blocks (the cap) and 1 ITO
    assert "Payroll" not in evidence  # the fourth-strongest BPO block
    assert "Inbound Customer Care — Agents answer" in evidence
    assert re.search(r"BPO +call center \(2\), telemarketing", text)


@pytest.mark.parametrize("width", [60, 80, 120])
def test_text_view_fits_the_width(report: Report, width: int) -> None:
    lines = render_text(report, width=width).splitlines()
    assert max(len(line) for line in lines if "https://" not in line) <= width
    bpo = next(line for line in lines if line.startswith("  BPO "))
    assert len(bpo) <= width


def test_bars_grow_with_the_terminal(report: Report) -> None:
    def bpo_bar(width: int) -> int:
        return bar_length(next(line for line in render_text(report, width=width).splitlines() if line.startswith("  BPO ")))

    assert bpo_bar(50) < bpo_bar(60) < bpo_bar(70)
    assert bpo_bar(1000) == bpo_bar(2000) < 100  # capped: a bar across a wide screen is hard to read


def test_colour_is_only_styling(report: Report) -> None:
    coloured = render_text(report, width=90, color=True)
    assert ANSI.search(coloured)
    assert click.unstyle(coloured) == render_text(report, width=90)


def test_error_view() -> None:
    # the error's URL is where it happened (robots.txt); the view names the vendor as asked
    failed = error_report("https://slow.example/", FetchTimeout("site took over 60 s", url="https://slow.example/robots.txt"))
    assert render_text(failed).startswith("https://slow.example/\n")
    assert "error (timeout): site took over 60 s" in render_text(failed)
    markdown = render_markdown(failed)
    assert markdown.startswith("## https://slow.example/") and "`timeout`" in markdown


def test_markdown_memo(report: Report) -> None:
    markdown = render_markdown(report)
    assert markdown.startswith("## https://northwind.example/\n")
    assert "| **Calls itself** | BPO |" in markdown
    assert "| **Finding** | broader than claimed: calls itself a BPO" in markdown
    assert re.search(r"\| BPO \| business process outsourcing \| 80% \| `█{16}░{4}` \|", markdown)
    assert "1. **Inbound Customer Care** Agents answer" in markdown
    assert "[services](<https://northwind.example/services>)" in markdown
    assert "| call center | BPO | Inbound Customer Care; Outbound Telemarketing |" in markdown
    mix_rows = [line for line in markdown.splitlines() if re.match(r"\| (BPO|KPO|LPO|ITO) \|", line)]
    assert len(mix_rows) == 4 and all(line.count("|") == 6 for line in mix_rows)


def test_markdown_makes_vendor_text_inert() -> None:
    hostile = vendor_report(
        "https://evil.example/",
        [("Call center | <script>alert(1)</script>\n**Data entry** [click](javascript:alert(1)) | more", "BPO", 0.9)],
    )
    markdown = render_markdown(hostile)
    assert "<script>" not in markdown and not re.search(r"(?<!\\)\]\(javascript:", markdown)
    assert r"\<script\>" in markdown and r"\*\*Data entry\*\*" in markdown
    specialty_row = next(line for line in markdown.splitlines() if line.startswith("| call center"))
    assert specialty_row.count("|") - specialty_row.count(r"\|") == 4


def test_scan_command_formats(serve_site: Callable[[str], str]) -> None:
    url = serve_site("northwind")
    runner = CliRunner()
    text = runner.invoke(cli, ["scan", url, "--allow-private"])
    assert text.exit_code == 0, text.output
    assert not ANSI.search(text.output)  # CliRunner's stdout is no terminal
    assert "Evidence" in text.output and "Specialties" in text.output and "█" in text.output

    markdown = runner.invoke(cli, ["scan", url, "--allow-private", "--format", "md"])
    assert markdown.exit_code == 0 and markdown.output.startswith("## http://127.0.0.1:")
    assert "### Evidence" in markdown.output

    data = json.loads(runner.invoke(cli, ["scan", url, "--allow-private", "--json"]).output)
    assert data["finding"]["kind"] == "consistent"
    assert {"name", "label", "evidence"} <= set(data["specialties"][0])
    assert all(len(items) <= 3 for items in data["evidence"].values())


def test_scan_colour_on_a_terminal_unless_no_color(serve_site: Callable[[str], str]) -> None:
    url = serve_site("northwind")
    runner = CliRunner()
    assert ANSI.search(runner.invoke(cli, ["scan", url, "--allow-private"], color=True).output)
    plain = runner.invoke(cli, ["scan", url, "--allow-private"], color=True, env={"NO_COLOR": "1"})
    assert plain.exit_code == 0 and not ANSI.search(plain.output)
