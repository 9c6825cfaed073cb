"""Batch scoring on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on
127.0.0.1, started here, scoring the local test sites; the rows must equal a local run's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analyzer import Settings
from analyzer.batch import BatchOptions, run_batch
from analyzer.cli import cli
from analyzer.dask_runner import run_on_dask
from analyzer.errors import BatchError

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0


def _dask(module: str, *args: str, log: Path) -> subprocess.Popen[bytes]:
    # Workers import analyzer from this checkout, as an installed copy would be imported.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as output:
        return subprocess.Popen([sys.executable, "-m", f"distributed.cli.{module}", *args], cwd=ROOT, env=env,
                                stdout=output, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two single-threaded workers on 127.0.0.1; yields the scheduler's address."""
    import distributed

    dask: Any = distributed  # untyped library
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    processes = [_dask("dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                       "--scheduler-file", str(scheduler_file), log=folder / "scheduler.log")]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not scheduler_file.is_file() or not scheduler_file.read_text():
            assert time.monotonic() < deadline and processes[0].poll() is None, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for number in range(2):
            processes.append(_dask("dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                                   "--no-dashboard", "--local-directory", str(folder), log=folder / f"worker{number}.log"))
        with dask.Client(address, timeout=START_TIMEOUT, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        yield address
    finally:
        for process in reversed(processes):  # workers first: they say goodbye to the scheduler
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _rows(path: Path) -> list[dict[str, Any]]:
    return sorted((json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()), key=lambda row: str(row["url"]))


def test_cluster_rows_equal_local_rows(dask_scheduler: str, serve_site: Callable[[str], str], local_settings: Settings,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sites = [serve_site(name) for name in ("northwind", "lexhub", "crumbs", "private-eye", "emptyshell")]
    urls = tmp_path / "urls.txt"
    urls.write_text("# vendors\n" + "".join(f"{site}\n" for site in sites) + "not a url\n" + f"{sites[0]}/\n", encoding="utf-8")
    local = tmp_path / "local.jsonl"
    run_batch(urls.read_text(encoding="utf-8").splitlines(), BatchOptions(output=str(local)), settings=local_settings)

    # The same list through the CLI, the scheduler named by the environment, two URLs a task.
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", dask_scheduler)
    clustered = tmp_path / "cluster.jsonl"
    result = CliRunner().invoke(cli, ["batch", str(urls), "-o", str(clustered), "--allow-private", "--timeout", "2",
                                      "--partition-size", "2"])
    assert result.exit_code == 0, result.output
    assert "scored 6 URLs" in result.stderr and "1 repeated in the input" in result.stderr

    local_rows, cluster_rows = _rows(local), _rows(clustered)
    assert len(cluster_rows) == 6
    assert {row["status"] for row in cluster_rows} == {"ok", "error"}
    assert cluster_rows == local_rows


def test_resume_on_the_cluster_scores_only_what_is_left(dask_scheduler: str, serve_site: Callable[[str], str],
                                                        local_settings: Settings, tmp_path: Path) -> None:
    northwind, lexhub = serve_site("northwind"), serve_site("lexhub")
    out = tmp_path / "results.jsonl"
    cluster = BatchOptions(output=str(out), dask_address=dask_scheduler)
    run_batch([northwind], cluster, settings=local_settings)
    summary = run_batch([northwind, lexhub], BatchOptions(output=str(out), resume=True, dask_address=dask_scheduler),
                        settings=local_settings)
    assert (summary.rows, summary.already_done) == (1, 1)
    assert [row["url"] for row in _rows(out)] == sorted([northwind + "/", lexhub + "/"])


def test_unreachable_scheduler_is_a_clear_error(local_settings: Settings) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler"):
        run_on_dask(iter(["https://a.example/"]), lambda row: None, address=f"tcp://127.0.0.1:{port}",
                    settings=local_settings, partition_size=1, connect_timeout=1.0)
