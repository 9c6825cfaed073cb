"""Batch scoring on a Dask distributed cluster: partitions of URLs out, report rows back.

The URL stream is cut into partitions of plain strings. Each worker scores a partition with
the same async scanner as a local batch (``scanner.ascan_many``) and the model shipped with its
own installed copy of analyzer, and returns the rows; the client writes them to the output as
each partition completes. Only a bounded number of partitions is in flight at once, so the
input is still streamed and client memory stays flat. Needs the ``dask`` extra on the client
and on every worker: ``pip install 'analyzer[dask]'``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from .batch import Row
from .config import Settings
from .errors import BatchError
from .scanner import ascan_many

logger = logging.getLogger(__name__)

# Partitions queued per worker thread: one running and one waiting, so no thread idles while
# the client writes rows and sends the next partition.
PARTITIONS_PER_THREAD = 2
DEFAULT_CONNECT_TIMEOUT = 30.0


def score_partition(urls: list[str], settings: Settings) -> list[Row]:
    """Runs on a worker: scan one partition and return its rows, one per URL."""

    async def score() -> list[Row]:
        return [report.to_dict() async for report in ascan_many(urls, settings=settings)]

    return asyncio.run(score())


def run_on_dask(
    urls: Iterable[str],
    emit: Callable[[Row], None],
    *,
    address: str,
    settings: Settings,
    partition_size: int,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> None:
    """Score ``urls`` on the cluster whose scheduler is at ``address``, calling ``emit`` per row."""
    try:
        import distributed
    except ImportError:
        raise BatchError("--dask needs the dask extra: pip install 'analyzer[dask]'") from None
    dask: Any = distributed  # untyped library
    try:
        client = dask.Client(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        threads = max(1, sum(client.nthreads().values()))
        logger.info("scoring on %s: %d worker threads, partitions of %d", address, threads, partition_size)
        partitions = _partitions(urls, partition_size)
        in_flight: set[Any] = set()
        completed = dask.as_completed(loop=client.loop)

        def submit(part: list[str]) -> None:
            future = client.submit(score_partition, part, settings, pure=False)
            in_flight.add(future)
            completed.add(future)

        try:
            for part in islice(partitions, threads * PARTITIONS_PER_THREAD):
                submit(part)
            for future in completed:
                in_flight.discard(future)
                try:
                    rows = future.result()
                except Exception as exc:
                    raise BatchError(f"a partition failed on the cluster ({type(exc).__name__}: {exc}); "
                                     "the rows written so far are whole: rerun with --resume") from exc
                future.release()
                for row in rows:
                    emit(row)
                following = next(partitions, None)
                if following is not None:
                    submit(following)
        finally:
            if in_flight:
                client.cancel(list(in_flight))


def _partitions(urls: Iterable[str], size: int) -> Iterator[list[str]]:
    source = iter(urls)
    while part := list(islice(source, size)):
        yield part

