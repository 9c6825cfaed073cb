"""The analyzer command: every command has help, and the scan path works from the shell."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from analyzer.cli import cli

SITES = Path(__file__).parent / "sites"


def test_every_command_has_help() -> None:
    runner = CliRunner()
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def test_scan_json_end_to_end_from_the_shell(serve_site: Callable[[str], str]) -> None:
    base = serve_site("northwind")
    run = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", base, "--json", "--allow-private"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["status"] == "ok"
    assert report["primary"] == "BPO"
    assert report["pages"][0]["role"] == "services"
    assert abs(sum(report["mix"].values()) - 1) < 1e-6


def test_scan_error_exits_non_zero(serve_site: Callable[[str], str]) -> None:
    result = CliRunner().invoke(cli, ["scan", serve_site("crumbs") + "/_fault/status/500", "--allow-private", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "error" and report["error"]["kind"] == "http_status"


def test_scan_refuses_loopback_without_flag(serve_site: Callable[[str], str]) -> None:
    result = CliRunner().invoke(cli, ["scan", serve_site("northwind")])
    assert result.exit_code == 1
    assert "private_address" in result.stdout
    assert result.stderr == "hint: --allow-private reads a site on a private or loopback address\n"


def test_a_failed_tls_handshake_gets_no_insecure_hint(serve_site: Callable[[str], str]) -> None:
    plain = serve_site("northwind").replace("http://", "https://")  # HTTPS to a plain-HTTP server
    result = CliRunner().invoke(cli, ["scan", plain, "--allow-private", "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "tls" and "handshake" in error["message"]
    assert result.stderr == ""  # --insecure would not help: the server speaks no TLS at all


def test_scan_text_output(serve_site: Callable[[str], str]) -> None:
    result = CliRunner().invoke(cli, ["scan", serve_site("northwind"), "--allow-private"])
    assert result.exit_code == 0, result.output
    assert "BPO" in result.output and "evidence" in result.output.lower()


def test_classify_file_and_stdin() -> None:
    path = SITES / "northwind" / "services.html"
    from_file = CliRunner().invoke(cli, ["classify", str(path), "--json"])
    assert from_file.exit_code == 0, from_file.output
    from_stdin = CliRunner().invoke(cli, ["classify", "-", "--json"], input=path.read_bytes())
    assert from_stdin.exit_code == 0
    file_report, stdin_report = json.loads(from_file.stdout), json.loads(from_stdin.stdout)
    assert file_report["mix"] == stdin_report["mix"]
    assert file_report["primary"] == "BPO"


def test_classify_plain_text() -> None:
    text = "Patent drafting\nOur engineers draft patent applications for attorneys.\n\nPrior-art searches for law firms."
    result = CliRunner().invoke(cli, ["classify", "-", "--json"], input=text)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["primary"] == "LPO"


def test_classify_exits_1_for_a_page_in_another_language() -> None:
    result = CliRunner().invoke(cli, ["classify", str(SITES / "nordlicht" / "services.html")])
    assert result.exit_code == 1
    assert "not_english" in result.output and "German" in result.output


def test_classify_markdown_reads_each_listed_service() -> None:
    markdown = (
        "---\ntitle: Services\n---\n# Our services\n\n## Medical billing\n\n"
        "- Claims submission and follow-up\n- Payment posting and denial management\n\n"
        "## Web development\n\nOur developers build and host clinic websites and patient portals.\n"
    )
    result = CliRunner().invoke(cli, ["classify", "-", "--json"], input=markdown)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["offered"] == ["BPO", "ITO"]
    assert len(report["evidence"]["BPO"]) >= 2  # the list items are blocks of their own


def test_extract_prints_clean_text_and_blocks() -> None:
    path = str(SITES / "northwind" / "services.html")
    text = CliRunner().invoke(cli, ["extract", path])
    assert text.exit_code == 0
    assert "Medical Billing" in text.output and "We use cookies" not in text.output
    blocks = CliRunner().invoke(cli, ["extract", path, "--json"])
    rows = [json.loads(line) for line in blocks.output.splitlines()]
    assert any(row["text"].startswith("Medical Billing") for row in rows)
    assert all({"kind", "text", "heading_path", "section"} <= set(row) for row in rows)


def test_extract_url(serve_site: Callable[[str], str]) -> None:
    result = CliRunner().invoke(cli, ["extract", serve_site("northwind") + "/services.html", "--allow-private"])
    assert result.exit_code == 0, result.output
    assert "Payroll and Bookkeeping" in result.output


def test_batch_writes_one_row_per_url(serve_site: Callable[[str], str], tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# long-list\n{serve_site('northwind')}\n\n{serve_site('lexhub')}\nnot a url\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(cli, ["batch", str(urls), "-o", str(out), "--allow-private"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3
    assert sorted(row["status"] for row in rows) == ["error", "ok", "ok"]


@pytest.mark.parametrize("command", [["scan", "http://"], ["classify", "/no/such/file.html"]])
def test_bad_arguments_fail_cleanly(command: list[str]) -> None:
    result = CliRunner().invoke(cli, command)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
