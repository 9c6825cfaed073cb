"""Batch scoring on one machine: input, output formats, resume after a crash, Ctrl-C, progress."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner

from analyzer import Report, Settings
from analyzer.batch import (
    BatchOptions,
    BatchSummary,
    SeenURLs,
    count_urls,
    read_urls,
    run_batch,
)
from analyzer.batch_output import CSV_COLUMNS
from analyzer.batch_workers import worker_of
from analyzer.cli import cli
from analyzer.errors import BatchError
from analyzer.progress import BarProgress, LineProgress, summary_text

ROOT = Path(__file__).resolve().parents[1]


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_read_urls_normalizes_skips_comments_and_duplicates() -> None:
    lines = [
        "# a sourcing long-list\n", "\n", "Example.com\n", "https://example.com/#top\n", "https://EXAMPLE.com:443\n",
        "http://example.com/\n", "  vendor.example/services?a=1   # spotted at a fair\n", "not a url\n", "not a url\n",
    ]
    summary = BatchSummary()
    urls = list(read_urls(lines, summary=summary))
    assert urls == ["https://example.com/", "http://example.com/", "https://vendor.example/services?a=1", "not a url"]
    assert summary.duplicates == 3
    assert count_urls(lines) == 7


def test_read_urls_skips_what_is_done() -> None:
    done = SeenURLs(["https://a.example/", "https://b.example/"])
    summary = BatchSummary()
    assert list(read_urls(["a.example", "c.example", "B.example/", "c.example"], done=done, summary=summary)) == [
        "https://c.example/"
    ]
    assert (summary.already_done, summary.duplicates) == (2, 1)


def test_rows_are_reports_one_per_input_url(serve_site: Callable[[str], str], local_settings: Settings,
                                            tmp_path: Path) -> None:
    northwind, lexhub, crumbs = serve_site("northwind"), serve_site("lexhub"), serve_site("crumbs")
    out = tmp_path / "results.jsonl"
    lines = [f"{northwind}\n", f"{lexhub}/\n", f"{crumbs}\n", "ftp://nope.example\n", f"{northwind}/\n"]
    summary = run_batch(lines, BatchOptions(output=str(out)), settings=local_settings)
    rows = {row["url"]: Report.from_dict(row) for row in rows_of(out)}
    assert sorted(rows) == sorted([northwind + "/", lexhub + "/", crumbs + "/", "ftp://nope.example"])
    assert rows[northwind + "/"].primary == "BPO"
    assert rows[lexhub + "/"].offered == ["LPO"]
    errors = {url: report.error.kind for url, report in rows.items() if report.error is not None}
    assert errors == {crumbs + "/": "no_services_page", "ftp://nope.example": "invalid_url"}
    assert summary.rows == 4 and summary.duplicates == 1
    assert summary.by_status == {"ok": 2, "error": 2}
    assert summary.by_error == {"no_services_page": 1, "invalid_url": 1}


def test_workers_write_the_rows_of_one_process(serve_site: Callable[[str], str], local_settings: Settings,
                                               tmp_path: Path) -> None:
    sites = [serve_site(name) for name in ("northwind", "lexhub", "crumbs", "cardhub", "megamenu")]
    lines = [*(f"{site}/\n" for site in sites), "ftp://nope.example\n", f"{sites[0]}\n", "# a comment\n"]
    rows, summaries = {}, {}
    for workers in (1, 2):
        out = tmp_path / f"results-{workers}.jsonl"
        summaries[workers] = run_batch(lines, BatchOptions(output=str(out), workers=workers), settings=local_settings)
        rows[workers] = {row["url"]: row for row in rows_of(out)}
    assert len(rows[2]) == len(sites) + 1 == summaries[2].rows
    assert rows[2] == rows[1]
    assert (summaries[2].by_status, summaries[2].duplicates) == (summaries[1].by_status, summaries[1].duplicates)


def test_one_worker_per_host() -> None:
    urls = [f"https://vendor-{n}.example/" for n in range(100)]
    chosen = [worker_of(url, 2) for url in urls]
    assert set(chosen) == {0, 1}  # hosts are spread over the workers
    assert all(worker_of(url + "services?page=2", 2) == worker for url, worker in zip(urls, chosen, strict=True))
    assert worker_of("not a url", 3) in (0, 1, 2)


def test_workers_are_local_only() -> None:
    with pytest.raises(ValueError, match="workers"):
        BatchOptions(workers=2, dask_address="tcp://127.0.0.1:8786")


def test_csv_flattens_reports_and_defuses_formulas(serve_site: Callable[[str], str], local_settings: Settings,
                                                   tmp_path: Path) -> None:
    northwind = serve_site("northwind")
    out = tmp_path / "results.csv"
    lines = [northwind, '=HYPERLINK("http://evil.example","click")', "+1 +2", "-2 + 3", "@SUM (A1)"]
    run_batch(lines, BatchOptions(output=str(out), output_format="csv"), settings=local_settings)
    with out.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        rows = {row["url"]: row for row in reader}
    ok = rows[northwind + "/"]
    assert (ok["status"], ok["primary"], ok["error_kind"]) == ("ok", "BPO", "")
    assert set(ok["offered"].split()) >= {"BPO", "ITO"}
    assert abs(sum(float(ok[f"mix_{label}"]) for label in ("BPO", "KPO", "LPO", "ITO")) - 1) < 1e-3
    assert ok["pages"].endswith("/services.html")
    assert sorted(url for url in rows if url != northwind + "/") == [
        "'+1 +2", "'-2 + 3", "'=HYPERLINK(\"http://evil.example\",\"click\")", "'@SUM (A1)"]
    assert {rows[url]["error_kind"] for url in rows if url != northwind + "/"} == {"invalid_url"}


def test_existing_output_is_refused_unless_resume_or_overwrite(local_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    out.write_text('{"url": "earlier run"}\n', encoding="utf-8")
    with pytest.raises(BatchError, match="--resume"):
        run_batch(["not a url"], BatchOptions(output=str(out)), settings=local_settings)
    assert out.read_text(encoding="utf-8") == '{"url": "earlier run"}\n'
    run_batch(["not a url"], BatchOptions(output=str(out), overwrite=True), settings=local_settings)
    assert [row["url"] for row in rows_of(out)] == ["not a url"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (BatchOptions(resume=True), "output file"),
        (BatchOptions(output="results.jsonl", resume=True, overwrite=True), "contradict"),
        (BatchOptions(output="results.jsonl", resume=True, output_format="csv"), "not csv"),
    ],
)
def test_resume_refuses_what_it_cannot_continue(options: BatchOptions, message: str, local_settings: Settings,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("results.jsonl").write_text('{"url": "x"}\n', encoding="utf-8")
    with pytest.raises(BatchError, match=message):
        run_batch(["y"], options, settings=local_settings)


def test_resume_refuses_a_csv_with_other_columns(local_settings: Settings, tmp_path: Path) -> None:
    older = tmp_path / "results.csv"
    older.write_text(",".join(CSV_COLUMNS[:-1]) + "\nhttps://a.example/,ok,,BPO,BPO,1,0,0,0,,\n", encoding="utf-8")
    with pytest.raises(BatchError, match="other columns"):
        run_batch(["https://b.example/"], BatchOptions(output=str(older), output_format="csv", resume=True),
                  settings=local_settings)
    assert older.read_text(encoding="utf-8").count("\n") == 2  # untouched


def test_resume_skips_done_rows_and_drops_a_partial_line(serve_site: Callable[[str], str],
                                                          local_settings: Settings, tmp_path: Path) -> None:
    northwind, lexhub = serve_site("northwind"), serve_site("lexhub")
    out = tmp_path / "results.jsonl"
    run_batch([northwind], BatchOptions(output=str(out)), settings=local_settings)
    first = out.read_bytes()
    with out.open("ab") as stream:
        stream.write(b'{"url": "' + lexhub.encode() + b'/", "status": "o')  # a write cut short by a crash
    summary = run_batch([northwind, lexhub, "bad url"], BatchOptions(output=str(out), resume=True), settings=local_settings)
    assert out.read_bytes().startswith(first)
    assert sorted(row["url"] for row in rows_of(out)) == sorted([northwind + "/", lexhub + "/", "bad url"])
    assert (summary.rows, summary.already_done) == (2, 1)


def test_input_is_streamed_and_rows_written_as_they_finish(local_settings: Settings, tmp_path: Path) -> None:
    pulled = 0

    def lines() -> Iterator[str]:
        nonlocal pulled
        for number in range(3000):
            pulled += 1
            yield f"not a url {number}\n"

    out = tmp_path / "results.jsonl"
    seen_at_first_row: list[int] = []

    def progress(summary: BatchSummary) -> None:
        if summary.rows == 1:
            seen_at_first_row.append(pulled)
            assert out.read_text(encoding="utf-8").count("\n") == 1  # already on disk

    summary = run_batch(lines(), BatchOptions(output=str(out)), settings=local_settings.with_changes(concurrency=4),
                        progress=progress)
    assert summary.rows == 3000 and len(rows_of(out)) == 3000
    assert seen_at_first_row[0] < 1000


def test_a_failing_write_stops_the_batch(local_settings: Settings, tmp_path: Path) -> None:
    def progress(summary: BatchSummary) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        run_batch(["bad url 1", "bad url 2"], BatchOptions(output=str(tmp_path / "r.jsonl")),
                  settings=local_settings, progress=progress)


def test_cli_reads_stdin_writes_stdout_and_summarizes() -> None:
    result = CliRunner().invoke(cli, ["batch", "-", "--allow-private"], input="# list\nbad url\nftp://x.example\nbad url\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["url"] for row in rows) == ["bad url", "ftp://x.example"]
    assert "scored 2 URLs" in result.stderr and "2 invalid_url" in result.stderr
    assert "1 repeated in the input" in result.stderr


def test_line_progress_prints_periodically() -> None:
    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock, stream = Clock(), _Lines()
    progress = LineProgress(stream, total=10, interval=5.0, clock=clock)
    summary = BatchSummary()
    for second in range(1, 11):
        clock.now = float(second)
        summary.started = time.monotonic() - second  # the run's rate: one URL a second
        summary.add({"status": "error" if second % 2 else "ok", "error": {"kind": "dns"} if second % 2 else None})
        progress(summary)
    assert stream.lines == ["batch: 5 done, 3 failed, 1.0/s, ETA 0:00:05", "batch: 10 done, 5 failed, 1.0/s, ETA 0:00:00"]


def test_bar_progress_shows_done_failed_and_total() -> None:
    stream = io.StringIO()
    bar = BarProgress(stream, total=4)
    summary = BatchSummary(duplicates=1)
    for status in ("ok", "error"):
        summary.add({"status": status, "error": {"kind": "dns"} if status == "error" else None})
        bar(summary)
    bar.close()
    assert "3/4" in stream.getvalue() and "failed=1" in stream.getvalue()


def test_summary_counts_statuses_kinds_and_skips() -> None:
    summary = BatchSummary(started=0.0, stopped=4.0, duplicates=2, already_done=5, interrupted=True)
    for row in ({"status": "ok"}, {"status": "error", "error": {"kind": "dns"}}, {"status": "error", "error": {"kind": "dns"}}):
        summary.add(row)
    text = summary_text(summary)
    assert "interrupted after 3 URLs in 0:00:04 (0.8/s): 2 error, 1 ok" in text
    assert "errors by kind: 2 dns" in text
    assert "skipped: 5 already in the output, 2 repeated in the input" in text
    assert "--resume" in text


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.extend(text.splitlines())

    def flush(self) -> None:
        pass


# A slow local "site" per URL, so a run can be stopped midway: the test server's slow route
# answers after 0.3 s, and per-host politeness lets two through at a time.
SLOW_URLS = 24


def _start_cli(args: list[str], urls: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", "batch", str(urls), "--allow-private", "--timeout", "5", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_rows(out: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if out.is_file() and out.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} rows appeared")


@pytest.fixture
def slow_list(serve_site: Callable[[str], str], tmp_path: Path) -> Path:
    base = serve_site("northwind")
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{base}/_fault/slow/0.3?n={n}\n" for n in range(SLOW_URLS)), encoding="utf-8")
    return urls


@pytest.mark.parametrize("workers", ["1", "2"])
def test_kill_9_then_resume_leaves_every_url_exactly_once(slow_list: Path, tmp_path: Path, workers: str) -> None:
    out = tmp_path / "results.jsonl"
    process = _start_cli(["-o", str(out), "--workers", workers], slow_list)
    _wait_for_rows(out, 3, process)
    children = psutil.Process(process.pid).children(recursive=True)
    process.kill()
    process.communicate()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []  # workers stop once their parent is gone
    interrupted = rows_of(out)  # every line whole
    assert 3 <= len(interrupted) < SLOW_URLS
    resumed = subprocess.run([sys.executable, "-m", "analyzer", "batch", str(slow_list), "-o", str(out), "--resume",
                              "--allow-private"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(interrupted)} already in the output" in resumed.stderr
    urls = [row["url"] for row in rows_of(out)]
    assert sorted(urls) == sorted(line.strip() for line in slow_list.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_cancels_work_in_flight_and_leaves_whole_rows(slow_list: Path, tmp_path: Path, workers: str) -> None:
    out = tmp_path / "results.csv"
    process = _start_cli(["-o", str(out), "--format", "csv", "--workers", workers], slow_list)
    _wait_for_rows(out, 3, process)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 130
    assert time.monotonic() - started < 5  # did not wait for the rest of the list
    assert "interrupted after" in stderr and "--resume" in stderr
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert 2 <= len(rows) < SLOW_URLS
    assert all(row["status"] in ("ok", "error") and row["pages"] is not None for row in rows)
    assert out.read_bytes().endswith(b"\n")
    assert os.path.getsize(out) > 0
