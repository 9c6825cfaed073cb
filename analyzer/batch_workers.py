"""Batch scoring in several local processes: one asyncio process uses one core, this uses more.

    URLs ──route by host──▶ worker inboxes ──▶ N forked workers (ascan_many each) ──▶ rows ──▶ emit

The parent reads the list and writes every row, as in a one-process batch; each worker runs
the same ``ascan_many`` with its share of the concurrency. Every URL of one host (and port) goes to
the same worker, so the per-host limit and the robots.txt cache still hold for the whole batch.
Workers are forked once the model is loaded, so its arrays are shared rather than copied,
and they stop by themselves if the parent dies (``kill -9``): the output, written by the parent
alone, is left whole either way.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import os
import queue
import signal
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from multiprocessing.process import BaseProcess
from typing import Any
from urllib.parse import urlsplit

from .config import Settings
from .errors import BatchError
from .model import load_model
from .scanner import ascan_many

logger = logging.getLogger(__name__)

Row = dict[str, Any]

# URLs queued for each worker: enough that none waits for the parent, few enough that memory
# does not grow with the list and Ctrl-C loses little queued work.
INBOX_SIZE = 256
# How often a blocked queue operation looks up whether the run is stopping or the other side
# has died: a stop costs at most this long.
POLL_SECONDS = 0.5


def run_in_processes(urls: Iterator[str], emit: Callable[[Row], None], *, settings: Settings, workers: int) -> None:
    """Score ``urls`` in ``workers`` forked processes, calling ``emit`` with each row as it comes."""
    load_model(settings.model_path)  # loaded before the fork, so the workers share it
    context = multiprocessing.get_context("fork")
    shared = settings.with_changes(concurrency=math.ceil(settings.concurrency / workers))
    results: multiprocessing.Queue[Row | None] = context.Queue()
    inboxes: list[multiprocessing.Queue[str | None]] = [context.Queue(INBOX_SIZE) for _ in range(workers)]
    processes = [context.Process(target=_work, args=(inbox, results, shared, os.getpid()), name=f"batch-worker-{n}",
                                 daemon=True) for n, inbox in enumerate(inboxes)]
    for process in processes:
        process.start()
    stop = threading.Event()
    failure: list[BaseException] = []
    feeder = threading.Thread(target=_feed, args=(urls, inboxes, stop, failure), name="batch-feeder", daemon=True)
    feeder.start()
    try:
        _collect(results, processes, emit)
        feeder.join()
        if failure:
            raise failure[0]
    finally:
        stop.set()
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()


def _collect(results: multiprocessing.Queue[Row | None], processes: Sequence[BaseProcess], emit: Callable[[Row], None]) -> None:
    """Emit rows until every worker has said it is done."""
    done = 0
    while done < len(processes):
        try:
            row = results.get(timeout=POLL_SECONDS)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise BatchError(f"batch worker {dead[0].name} died (exit code {dead[0].exitcode}); "
                                 "the rows written so far are whole: rerun with --resume") from None
            continue
        if row is None:
            done += 1
        else:
            emit(row)


def _feed(urls: Iterator[str], inboxes: list[multiprocessing.Queue[str | None]], stop: threading.Event,
          failure: list[BaseException]) -> None:
    """Runs in a thread of the parent: each URL to its host's worker, then an end mark to all."""
    try:
        for url in urls:
            if not _put(inboxes[worker_of(url, len(inboxes))], url, stop):
                return
    except Exception as exc:  # noqa: BLE001 - reading the input failed: raised by the parent
        failure.append(exc)
    for inbox in inboxes:
        if not _put(inbox, None, stop):
            return


def _put(inbox: multiprocessing.Queue[str | None], item: str | None, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            inbox.put(item, timeout=POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def worker_of(url: str, workers: int) -> int:
    """The worker for ``url``: one per host and port, the unit the fetcher's per-host limit counts."""
    try:
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc.lower()}" if parts.netloc else url
    except ValueError:  # a line that is no URL: any worker reports it
        host = url
    return zlib.crc32(host.encode("utf-8", "surrogatepass")) % workers


def _work(inbox: multiprocessing.Queue[str | None], results: multiprocessing.Queue[Row | None], settings: Settings,
          parent: int) -> None:
    """A worker process: scan what comes in, send each row back, then an end mark."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us

    async def score() -> None:
        async for report in ascan_many(_inbox_urls(inbox, parent), settings=settings):
            results.put(report.to_dict())

    asyncio.run(score())
    if os.getppid() != parent:
        results.cancel_join_thread()  # nobody reads: exit without flushing
        return
    results.put(None)


async def _inbox_urls(inbox: multiprocessing.Queue[str | None], parent: int) -> AsyncIterator[str]:
    while (url := await asyncio.to_thread(_next_url, inbox, parent)) is not None:
        yield url


def _next_url(inbox: multiprocessing.Queue[str | None], parent: int) -> str | None:
    """The next URL, or None at the end of the list or once the parent is gone."""
    while True:
        try:
            return inbox.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                logger.warning("the batch's parent process is gone; stopping")
                return None
