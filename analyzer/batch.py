"""Scoring a URL list: streamed in, scanned with bounded concurrency, written as each finishes.

    lines ──read_urls──▶ new URLs ──ascan_many (here) or run_on_dask (dask_runner)──▶ rows ──▶ RowWriter

The list is read lazily and rows leave as soon as each site is done, so memory does not grow
with the list except for the set of URLs already met, kept as 64-bit hashes. ``--resume``
fills that set from the rows the output file already holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .batch_output import FORMATS, open_output
from .config import Settings
from .errors import InvalidURL
from .fetch import DEFAULT_PORTS, normalize_input_url
from .scanner import ascan_many

logger = logging.getLogger(__name__)

# URLs a Dask worker scores in one task. Each task runs `concurrency` sites at once, so this is
# four rounds of the default 64: big enough that scheduling costs nothing next to the scans,
# small enough that one slow site holds back few rows and an interrupted task costs little.
DEFAULT_PARTITION_SIZE = 256
# Lines read ahead of the scans; the reader thread waits when this many are queued.
INPUT_BUFFER = 256
_TRAILING_COMMENT = re.compile(r"\s+#.*$")

Row = dict[str, Any]
Progress = Callable[["BatchSummary"], None]


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    """Where and how a batch writes, and where it runs; scan behaviour stays in Settings."""

    output: str | None = None  # None or "-": standard output
    output_format: str = "jsonl"
    resume: bool = False
    overwrite: bool = False
    dask_address: str | None = None
    partition_size: int = DEFAULT_PARTITION_SIZE
    workers: int = 1  # local processes; each scans its hosts' share with its share of the concurrency

    def __post_init__(self) -> None:
        if self.output_format not in FORMATS:
            raise ValueError(f"output_format must be one of {FORMATS}")
        if self.partition_size < 1:
            raise ValueError("partition_size must be at least 1")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.workers > 1 and self.dask_address:
            raise ValueError("workers are local processes; with a Dask cluster its own workers do the scanning")


@dataclass
class BatchSummary:
    """Counts of a run so far; ``rows`` are the lines written by this run."""

    rows: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_error: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    already_done: int = 0
    interrupted: bool = False
    started: float = field(default_factory=time.monotonic)
    stopped: float | None = None

    def add(self, row: Row) -> None:
        self.rows += 1
        self.by_status[row.get("status", "")] += 1
        if row.get("error"):
            self.by_error[row["error"].get("kind", "")] += 1

    @property
    def failed(self) -> int:
        return self.by_status["error"]

    @property
    def elapsed(self) -> float:
        return (self.stopped or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Rows written per second."""
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def consumed(self) -> int:
        """Input URLs dealt with: written, or skipped as repeated or already done."""
        return self.rows + self.duplicates + self.already_done


class SeenURLs:
    """URL keys (see ``url_key``) met so far, as 64-bit hashes: a million take about 80 MB
    where a set of the strings would take 125 MB or more (measured with 34-character URLs).

    Two different keys share a hash with odds of about n²/2⁶⁵ (3e-8 for a million), the only
    way a URL could be wrongly skipped.
    """

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._hashes: set[int] = set()
        for key in keys:
            self.add(key)

    def __contains__(self, key: str) -> bool:
        return _hash(key) in self._hashes

    def add(self, key: str) -> bool:
        """Remember ``key``; False if it was already here."""
        digest = _hash(key)
        if digest in self._hashes:
            return False
        self._hashes.add(digest)
        return True


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def normalize_url(raw: str) -> str:
    """The form a URL is scanned, written and compared in.

    Bare domains get ``https://``; scheme and host are lower-cased, a default port and the
    fragment dropped, an empty path made ``/``. Raises InvalidURL for what cannot be scanned.
    """
    parts = urlsplit(normalize_input_url(raw))
    userinfo, _, hostport = parts.netloc.rpartition("@")
    hostport = hostport.lower()
    port = parts.port
    if port is not None and port == DEFAULT_PORTS.get(parts.scheme.lower()):
        hostport = hostport.rsplit(":", 1)[0]
    netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """What two input lines must share to be the same URL; unusable lines compare as written."""
    try:
        return normalize_url(url)
    except InvalidURL:
        return url.strip()


def clean_line(line: str) -> str | None:
    """The URL on one input line, or None for a blank or ``#`` comment line."""
    text = _TRAILING_COMMENT.sub("", line.strip())
    return None if not text or text.startswith("#") else text


def read_urls(lines: Iterable[str], *, done: SeenURLs | None = None, summary: BatchSummary | None = None) -> Iterator[str]:
    """The URLs still to scan, each once, in input order, as their ``url_key``; read lazily.

    Lines whose URL is in ``done`` or came earlier are skipped and counted in ``summary``. A
    line that is no usable URL is passed on as written, to come back as an ``invalid_url`` row.
    """
    seen = SeenURLs()
    for line in lines:
        text = clean_line(line)
        if text is None:
            continue
        key = url_key(text)
        if done is not None and key in done:
            if summary is not None:
                summary.already_done += 1
        elif seen.add(key):
            yield key
        elif summary is not None:
            summary.duplicates += 1


def count_urls(lines: Iterable[str]) -> int:
    """Lines holding a URL (duplicates included): the length a progress bar aims at."""
    return sum(1 for line in lines if clean_line(line) is not None)


async def arun_batch(
    lines: Iterable[str],
    options: BatchOptions,
    *,
    settings: Settings,
    progress: Progress | None = None,
    summary: BatchSummary | None = None,
) -> BatchSummary:
    """Scan every URL in ``lines`` on this machine, writing one row per URL as each finishes.

    Pass ``summary`` to keep the counts when the run is cancelled.
    """
    summary = summary if summary is not None else BatchSummary()
    with _session(lines, options, summary, progress) as (urls, emit):
        async for report in ascan_many(_pull_in_thread(urls), settings=settings):
            emit(report.to_dict())
    summary.stopped = time.monotonic()
    return summary


def run_batch(
    lines: Iterable[str],
    options: BatchOptions | None = None,
    *,
    settings: Settings,
    progress: Progress | None = None,
) -> BatchSummary:
    """Synchronous batch, on this machine (in ``options.workers`` processes) or on the Dask
    cluster at ``options.dask_address``.

    Ctrl-C stops it cleanly: work in flight is cancelled, every row written is whole, and the
    summary says ``interrupted``.
    """
    options = options or BatchOptions()
    summary = BatchSummary()
    try:
        if options.dask_address:
            from .dask_runner import run_on_dask

            with _session(lines, options, summary, progress) as (urls, emit):
                run_on_dask(urls, emit, address=options.dask_address, settings=settings, partition_size=options.partition_size)
        elif options.workers > 1:
            from .batch_workers import run_in_processes

            with _session(lines, options, summary, progress) as (urls, emit):
                run_in_processes(urls, emit, settings=settings, workers=options.workers)
        else:
            asyncio.run(arun_batch(lines, options, settings=settings, progress=progress, summary=summary))
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.stopped = time.monotonic()
    return summary


@contextmanager
def _session(
    lines: Iterable[str], options: BatchOptions, summary: BatchSummary, progress: Progress | None
) -> Iterator[tuple[Iterator[str], Callable[[Row], None]]]:
    """The URLs to scan and the function that records one row, around the open output."""
    writer, done_urls = open_output(options.output, options.output_format, resume=options.resume, overwrite=options.overwrite)
    with writer:
        done = SeenURLs(url_key(url) for url in done_urls) if options.resume else None

        def emit(row: Row) -> None:
            writer.write(row)
            summary.add(row)
            if progress is not None:
                progress(summary)

        yield read_urls(lines, done=done, summary=summary), emit


async def _pull_in_thread(items: Iterator[str]) -> AsyncIterator[str]:
    """Items of a blocking iterator (a file, a pipe, a terminal) read in a daemon thread, so a
    slow input never stalls the scans in flight."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    room = threading.Semaphore(INPUT_BUFFER)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not room.acquire(timeout=0.5):
            if stop.is_set():
                return False
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody reads any more
            return False
        return not stop.is_set()

    def pull() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
        except Exception as exc:  # noqa: BLE001 - handed to the reading side, which raises it
            put((False, exc))
            return
        put((False, None))

    threading.Thread(target=pull, name="batch-input", daemon=True).start()
    try:
        while True:
            more, item = await queue.get()
            room.release()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
