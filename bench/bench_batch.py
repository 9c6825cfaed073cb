"""Batch throughput, memory and profile on the benchmark site farm (bench/farm.py).

Every figure is an ``analyzer batch`` process run end to end against farm sites on loopback:
fetch, discover, extract, classify, write. The farm's server runs in its own processes on the
same machine.

    python bench/bench_batch.py                      # everything, 3 runs each (about an hour)
    python bench/bench_batch.py --throughput 1000 --repeat 5 --no-memory --no-profile

Printed:
- throughput at each size: sites/s over the process's whole life (Python start-up and model load
  included), the batch's own rate, CPU seconds per site, peak RSS; medians of ``--repeat`` runs;
- peak RSS at 1k and 100k input URLs; the 100k run stops early (Ctrl-C, as a user would) once
  RSS has stayed flat over the last ``--settle-rows`` rows;
- the top five functions of a cProfile of a 1k batch, by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from farm import Farm  # bench/ is not a package

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"(?:scored|interrupted after) (\d+) URLs in \S+ \(([\d.]+)/s\): (.*)")
# The 100k run stops once it has done at least MIN_ROWS rows and its RSS grew by less than
# SETTLED_GROWTH over the last --settle-rows rows: the point where memory no longer depends on
# how far into the list the run is. 2% of ~180 MB leaves room for the set of URLs met, which
# grows by design (~0.7 MB per 10,000 URLs), and allocator noise.
MIN_ROWS = 20_000
SETTLED_GROWTH = 0.02


# The stages of one site, as (module, function) in analyzer/, for the profile's breakdown.
STAGES = (
    ("scanner.py", "scan_site"),
    ("fetch.py", "fetch"),
    ("discover.py", "discover"),
    ("discover.py", "page_links"),
    ("extract.py", "extract_blocks"),
    ("scanner.py", "classify_pages"),
    ("model.py", "predict_proba"),
    ("taxonomy.py", "find_claims"),
    ("report.py", "build_report"),
    ("report.py", "to_dict"),
    ("batch_output.py", "write"),
)


@dataclass
class Run:
    sites: int
    rows: int
    wall: float
    batch_rate: float
    cpu: float
    peak_rss_mb: float
    statuses: str
    stopped_early: bool = False
    peak_tree_mb: float = 0.0  # peak PSS summed over the batch process and its workers

    @property
    def memory_mb(self) -> float:
        """Peak memory of the batch: its RSS, or its processes' summed PSS with --workers."""
        return self.peak_tree_mb if WORKERS > 1 else self.peak_rss_mb

    @property
    def rate(self) -> float:
        return self.rows / self.wall


# Processes of each batch (analyzer batch --workers); set from the command line.
WORKERS = 1


def batch_command(urls: Path, out: Path, concurrency: int, *prefix: str, workers: int | None = None) -> list[str]:
    return [*prefix, "-m", "analyzer", "batch", str(urls), "-o", str(out), "--overwrite", "--allow-private",
            "--concurrency", str(concurrency), "--workers", str(workers or WORKERS)]


class TreeMemory:
    """Samples the summed PSS of a process and its children (each shared page counted once
    across them, so forked workers sharing the model are not counted twice); keeps the peak."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_mb = 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def now_mb(self) -> float:
        total = 0
        try:
            for process in [self.process, *self.process.children(recursive=True)]:
                total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            pass
        return total / 2**20

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self.now_mb())

    def stop(self) -> float:
        self.stopped.set()
        self.thread.join()
        return self.peak_mb


def run_batch(urls: Path, out: Path, sites: int, concurrency: int, *, settle_rows: int = 0,
              extra: tuple[str, ...] = ()) -> Run:
    """One batch process; with ``settle_rows``, stopped by SIGINT once its memory has settled."""
    log = out.with_suffix(".stderr")
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen([*batch_command(urls, out, concurrency, sys.executable), *extra], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    tree = TreeMemory(process.pid)
    stopped_early = watch_memory(process, out, settle_rows, tree) if settle_rows else False
    # the rusage of this child: its CPU (its workers' included, once they are waited for) and peak RSS
    _, status, usage = os.wait4(process.pid, 0)
    peak_tree = tree.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    match = SUMMARY.search(stderr_text := log.read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit(f"batch failed ({process.returncode}):\n{stderr_text}")
    return Run(sites, int(match[1]), wall, float(match[2]), usage.ru_utime + usage.ru_stime,
               usage.ru_maxrss / 1024, match[3], stopped_early, peak_tree)


def watch_memory(process: subprocess.Popen[bytes], out: Path, settle_rows: int, tree: TreeMemory) -> bool:
    """Print RSS every ``settle_rows // 2`` rows; SIGINT the run once RSS has settled.

    With --workers the figure is the summed PSS of the batch's processes."""
    watched = psutil.Process(process.pid)
    label = "PSS of all processes" if WORKERS > 1 else "RSS"
    lines = LineCounter(out)
    history: list[tuple[int, float]] = []
    next_report = 0
    while process.poll() is None:
        time.sleep(1.0)
        try:
            rss = tree.now_mb() if WORKERS > 1 else watched.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            break
        rows = lines.count()
        history.append((rows, rss))
        if rows >= next_report:
            print(f"    {rows:>7} rows  {label} {rss:6.1f} MB", flush=True)
            next_report = rows + settle_rows // 2
        earlier = [peak for done, peak in history if done <= rows - settle_rows]
        if rows >= MIN_ROWS and earlier and max(r for _, r in history) <= max(earlier) * (1 + SETTLED_GROWTH):
            print(f"    {rows:>7} rows  {label} {rss:6.1f} MB: flat over the last {settle_rows} rows, stopping", flush=True)
            process.send_signal(signal.SIGINT)
            return True
    return False


class LineCounter:
    """Lines in a growing file, reading only what was added since the last count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.lines = 0

    def count(self) -> int:
        try:
            if self.path.stat().st_size < self.offset:  # replaced by --overwrite
                self.offset = self.lines = 0
            with self.path.open("rb") as stream:
                stream.seek(self.offset)
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    self.lines += chunk.count(b"\n")
                    self.offset += len(chunk)
        except FileNotFoundError:
            pass
        return self.lines


def write_urls(farm: Farm, count: int, folder: Path) -> Path:
    path = folder / f"urls-{count}.txt"
    with path.open("w", encoding="utf-8") as stream:
        for url in farm.urls(count):
            stream.write(url + "\n")
    return path


def throughput(sizes: list[int], repeat: int, concurrency: int, folder: Path) -> dict[int, list[Run]]:
    runs: dict[int, list[Run]] = {}
    with Farm(max(sizes)) as farm:
        servers = [psutil.Process(pid) for pid in farm.pids()]
        for size in sizes:
            urls = write_urls(farm, size, folder)
            runs[size] = []
            for number in range(repeat):
                server_cpu = farm_cpu(servers)
                run = run_batch(urls, folder / "out.jsonl", size, concurrency)
                server_ms = (farm_cpu(servers) - server_cpu) / run.rows * 1000
                runs[size].append(run)
                print(f"  {size:>6} sites, run {number + 1}: {run.rate:6.1f} sites/s end to end, batch {run.batch_rate:6.1f}/s, "
                      f"{run.cpu / run.rows * 1000:5.1f} ms CPU/site (farm server {server_ms:.1f}), "
                      f"peak {'PSS of all processes' if WORKERS > 1 else 'RSS'} {run.memory_mb:5.0f} MB  [{run.statuses}]",
                      flush=True)
    return runs


def farm_cpu(servers: list[psutil.Process]) -> float:
    return sum(sum(server.cpu_times()[:2]) for server in servers)


def memory(size: int, concurrency: int, settle_rows: int, folder: Path) -> Run:
    with Farm(size) as farm:
        urls = write_urls(farm, size, folder)
        return run_batch(urls, folder / "memory.jsonl", size, concurrency, settle_rows=settle_rows)


def profile(size: int, concurrency: int, folder: Path, top: int = 5) -> None:
    with Farm(size) as farm:
        urls = write_urls(farm, size, folder)
        stats_file = folder / "batch.prof"
        # one process: cProfile sees only the process it runs in
        subprocess.run(batch_command(urls, folder / "out.jsonl", concurrency, sys.executable, "-m", "cProfile", "-o",
                                     str(stats_file), workers=1), cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]
    print(f"  profile of a {size}-site batch ({total:.1f} s of wall time under cProfile)")
    print(f"  top {top} functions by own time:")
    for (filename, line, name), (_, calls, own, cumulative, _) in sorted(entries.items(), key=lambda item: -item[1][2])[:top]:
        print(f"    {own:7.2f} s own {cumulative:7.2f} s cumulative {calls:>9} calls  {_short(filename)}:{line}({name})")
    print("  per stage, cumulative (a stage includes the stages it calls):")
    for module, function in STAGES:
        found = [(calls, cumulative) for (filename, _, name), (_, calls, _, cumulative, _) in entries.items()
                 if filename.endswith(f"/analyzer/{module}") and name == function]
        if found:
            calls, cumulative = max(found, key=lambda item: item[1])
            print(f"    {cumulative / size * 1000:7.1f} ms/site  {calls:>8} calls  {module}:{function}")


def on_dask(size: int, workers: int, repeat: int, concurrency: int, folder: Path) -> list[Run]:
    """The same batch sent to a local Dask cluster: a scheduler and ``workers`` single-threaded
    worker processes, each scanning its partitions with its own async client."""
    scheduler_file = folder / "scheduler.json"
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(scheduler_file)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        while not scheduler_file.is_file() or not scheduler_file.read_text():
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        processes += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
                                        "--nthreads", "1", "--no-nanny", "--no-dashboard", "--local-directory", str(folder)],
                                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                      for _ in range(workers)]
        time.sleep(5)  # workers join and import analyzer; the first partition loads the model
        runs = []
        with Farm(size) as farm:
            urls = write_urls(farm, size, folder)
            for number in range(repeat):
                run = run_batch(urls, folder / "out.jsonl", size, concurrency, extra=("--dask", address))
                runs.append(run)
                print(f"  {size:>6} sites on {workers} Dask workers, run {number + 1}: {run.rate:6.1f} sites/s end to end, "
                      f"batch {run.batch_rate:6.1f}/s  [{run.statuses}]", flush=True)
        return runs
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/lib/python3.", "/work/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def median_line(runs: list[Run]) -> str:
    return (f"{statistics.median(r.rate for r in runs):6.1f} sites/s end to end (median of {len(runs)}; "
            f"runs {', '.join(f'{r.rate:.1f}' for r in runs)}), batch {statistics.median(r.batch_rate for r in runs):.1f}/s, "
            f"{statistics.median(r.cpu / r.rows for r in runs) * 1000:.1f} ms CPU/site, "
            f"peak {'PSS' if WORKERS > 1 else 'RSS'} {statistics.median(r.memory_mb for r in runs):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", type=int, nargs="*", default=[1000, 10_000], help="site counts (default 1000 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per throughput size (default 3)")
    parser.add_argument("--memory", type=int, default=100_000, help="URLs in the long memory run (default 100000)")
    parser.add_argument("--no-memory", dest="memory", action="store_const", const=0, help="skip the long memory run")
    parser.add_argument("--settle-rows", type=int, default=10_000, help="rows over which RSS must stay flat (default 10000)")
    parser.add_argument("--profile", type=int, default=1000, help="sites in the profiled batch (default 1000)")
    parser.add_argument("--no-profile", dest="profile", action="store_const", const=0, help="skip the profile")
    parser.add_argument("--top", type=int, default=5, help="functions listed from the profile (default 5)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes per batch (analyzer batch --workers; default 1); the profile always uses 1")
    parser.add_argument("--concurrency", type=int, default=64, help="sites in flight (default 64, the CLI's default)")
    parser.add_argument("--dask-workers", type=int, default=0,
                        help="also run the first throughput size on a local Dask cluster of this many workers")
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers
    # A shell starts background jobs with SIGINT ignored, and children inherit that; a handler
    # is reset to the default across exec, so the batch runs below can be stopped with Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"concurrency {args.concurrency}, {args.workers} batch process(es); farm server in separate processes on loopback")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        runs: dict[int, list[Run]] = {}
        if args.throughput:
            print("throughput")
            runs = throughput(args.throughput, args.repeat, args.concurrency, folder)
            for size, size_runs in runs.items():
                print(f"  {size:>6} sites: {median_line(size_runs)}")
        if args.dask_workers and args.throughput:
            print("throughput on a local Dask cluster")
            dask_runs = on_dask(args.throughput[0], args.dask_workers, args.repeat, args.concurrency, folder)
            print(f"  {args.throughput[0]:>6} sites on {args.dask_workers} workers: {median_line(dask_runs)} (client process only)")
        if args.memory:
            print("memory")
            if 1000 in runs:
                print(f"    1000 input URLs: peak {'PSS' if WORKERS > 1 else 'RSS'} {statistics.median(r.memory_mb for r in runs[1000]):.0f} MB "
                      f"(median of the throughput runs)")
            run = memory(args.memory, args.concurrency, args.settle_rows, folder)
            stop = "stopped by Ctrl-C once flat" if run.stopped_early else "ran to the end"
            print(f"  {args.memory} input URLs: peak {'PSS' if WORKERS > 1 else 'RSS'} {run.memory_mb:.0f} MB after {run.rows} rows ({stop}), "
                  f"{run.rate:.1f} sites/s  [{run.statuses}]")
        if args.profile:
            print("profile")
            profile(args.profile, args.concurrency, folder, args.top)


if __name__ == "__main__":
    main()
