"""How a batch shows its progress on stderr: a tqdm bar on a terminal, plain periodic lines
otherwise (logs, CI, ``2> file``), and the closing summary. Used by the CLI; the library only
calls the progress callable it is given."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol, TextIO

from tqdm import tqdm

from .batch import BatchSummary

# Seconds between plain progress lines: often enough to show a run is alive, rare enough that
# a day-long run's log stays readable.
LINE_INTERVAL = 10.0


class TextSink(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class BarProgress:
    """A tqdm bar: URLs dealt with (of ``total`` when known), failed, rate and ETA."""

    def __init__(self, stream: TextIO, total: int | None) -> None:
        self._bar = tqdm(total=total, file=stream, unit="url", dynamic_ncols=True, smoothing=0.05)

    def __call__(self, summary: BatchSummary) -> None:
        self._bar.update(summary.consumed - self._bar.n)
        self._bar.set_postfix(failed=summary.failed, refresh=False)

    def close(self) -> None:
        self._bar.close()


class LineProgress:
    """One line every ``interval`` seconds: done, failed, rate and ETA."""

    def __init__(self, stream: TextSink, total: int | None, *, interval: float = LINE_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._total = total
        self._interval = interval
        self._clock = clock
        self._next = clock() + interval

    def __call__(self, summary: BatchSummary) -> None:
        now = self._clock()
        if now >= self._next:
            self._next = now + self._interval
            self._stream.write(progress_line(summary, self._total) + "\n")
            self._stream.flush()

    def close(self) -> None:
        pass


def make_progress(stream: TextIO, total: int | None) -> BarProgress | LineProgress:
    return BarProgress(stream, total) if stream.isatty() else LineProgress(stream, total)


def progress_line(summary: BatchSummary, total: int | None) -> str:
    line = f"batch: {summary.rows} done, {summary.failed} failed, {summary.rate:.1f}/s"
    if total and summary.rate > 0:
        left = max(0, total - summary.consumed)
        line += f", ETA {timedelta(seconds=round(left / summary.rate))}"
    return line


def summary_text(summary: BatchSummary) -> str:
    """The closing lines: counts by status and error kind, skips, elapsed time and rate."""
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(summary.by_status.items())) or "none"
    verb = "interrupted after" if summary.interrupted else "scored"
    lines = [f"{verb} {summary.rows} URLs in {timedelta(seconds=round(summary.elapsed))} ({summary.rate:.1f}/s): {statuses}"]
    if summary.by_error:
        kinds = ", ".join(f"{count} {kind}" for kind, count in summary.by_error.most_common())
        lines.append(f"errors by kind: {kinds}")
    skipped = [f"{summary.already_done} already in the output"] if summary.already_done else []
    skipped += [f"{summary.duplicates} repeated in the input"] if summary.duplicates else []
    if skipped:
        lines.append("skipped: " + ", ".join(skipped))
    if summary.interrupted:
        lines.append("every row written is whole; run again with --resume to finish")
    return "\n".join(lines) + "\n"
