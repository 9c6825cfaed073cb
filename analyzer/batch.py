"""Scoring a URL list: streamed in, scanned with bounded concurrency, written as each finishes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from .config import Settings
from .errors import InvalidURL
from .fetch import normalize_input_url
from .report import Report
from .scanner import scan_many


@dataclass
class BatchSummary:
    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_error: Counter[str] = field(default_factory=Counter)

    def add(self, report: Report) -> None:
        self.total += 1
        self.by_status[report.status] += 1
        if report.error is not None:
            self.by_error[report.error.kind] += 1


def read_urls(lines: Iterable[str]) -> Iterator[str]:
    """URLs from a list: blank lines and ``#`` comments skipped, duplicates dropped."""
    seen: set[str] = set()
    for line in lines:
        url = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not url:
            continue
        try:
            key = normalize_input_url(url)
        except InvalidURL:
            key = url
        if key not in seen:
            seen.add(key)
            yield url


def run_batch(lines: Iterable[str], output: IO[str], *, settings: Settings) -> BatchSummary:
    """Scan every URL in ``lines`` and write one JSON line per URL to ``output``."""
    summary = BatchSummary()
    for report in scan_many(read_urls(lines), settings=settings):
        output.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
        output.flush()
        summary.add(report)
    return summary
