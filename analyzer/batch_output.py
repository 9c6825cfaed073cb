"""A batch's output file: one row per URL, JSON lines or CSV, each row written whole.

Each row goes out in one write to a file opened for appending and is flushed at once, so a
run stopped at any moment, even by ``kill -9``, leaves only whole lines behind, and
``--resume`` can read back which URLs are done. A JSON row is ``Report.to_dict()``; a CSV row
flattens it to ``CSV_COLUMNS``, with cells that a spreadsheet would run as a formula defused.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from .errors import BatchError
from .taxonomy import LABELS

logger = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("url", "status", "error_kind", "primary", "offered", *(f"mix_{label}" for label in LABELS), "claim", "pages",
               "unread")
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (OWASP, "CSV injection"); a leading apostrophe makes it plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Report.to_dict() puts the URL first, so resume reads it without parsing a whole row.
JSON_ROW_START = '{"url": '
_DECODER = json.JSONDecoder()


def json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


def csv_cells(row: dict[str, Any]) -> list[str]:
    """A report row flattened to ``CSV_COLUMNS``, every text cell safe to open in a spreadsheet."""
    error = row.get("error") or {}
    mix = row.get("mix") or {}
    cells = [
        row.get("url", ""),
        row.get("status", ""),
        error.get("kind", ""),
        row.get("primary") or "",
        " ".join(row.get("offered") or ()),
        *(f"{float(mix.get(label, 0.0)):.4f}" for label in LABELS),
        " ".join(row.get("claim") or ()),
        " ".join(page.get("url", "") for page in row.get("pages") or ()),
        " ".join(page.get("url", "") for page in row.get("unread") or ()),
    ]
    return [safe_cell(" ".join(str(cell).splitlines())) for cell in cells]


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def unsafe_cell(value: str) -> str:
    """The value ``safe_cell`` was given."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


class RowWriter:
    """Writes rows to a binary stream, each row in one write, flushed before the next."""

    def __init__(self, stream: IO[bytes], output_format: str, *, close: bool) -> None:
        if output_format not in FORMATS:
            raise ValueError(f"output format must be one of {FORMATS}, not {output_format!r}")
        self.format = output_format
        self._stream = stream
        self._close = close

    def write_header(self) -> None:
        if self.format == "csv":
            self._write(csv_line(list(CSV_COLUMNS)))

    def write(self, row: dict[str, Any]) -> None:
        self._write(json_line(row) if self.format == "jsonl" else csv_line(csv_cells(row)))

    def close(self) -> None:
        if self._close:
            self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _write(self, line: str) -> None:
        data = memoryview(line.encode("utf-8"))
        while data:
            written = self._stream.write(data)
            data = data[len(data) if written is None else written :]
        self._stream.flush()


def open_output(path: str | Path | None, output_format: str, *, resume: bool, overwrite: bool) -> tuple[RowWriter, Iterator[str]]:
    """The writer for a batch's output, and the URLs its earlier rows hold (empty unless resuming).

    ``None`` or ``"-"`` is standard output. An existing, non-empty file is continued with
    ``resume`` or replaced with ``overwrite``; without either it is refused rather than mixed
    with a new run. A last line cut short by a crash is dropped before appending.
    """
    if resume and overwrite:
        raise BatchError("--resume and --overwrite contradict each other; pick one")
    if path is None or str(path) == "-":
        if resume:
            raise BatchError("--resume needs an output file (-o), not standard output")
        writer = RowWriter(sys.stdout.buffer, output_format, close=False)
        writer.write_header()
        return writer, iter(())
    path = Path(path)
    existing = path.is_file() and path.stat().st_size > 0
    if existing and not (resume or overwrite):
        raise BatchError(f"{path} already holds results; pass --resume to continue it or --overwrite to replace it")
    if existing and resume:
        _check_format(path, output_format)
        _drop_partial_line(path)
    stream = path.open("wb" if overwrite else "ab", buffering=0)
    writer = RowWriter(stream, output_format, close=True)
    if not (existing and resume):
        writer.write_header()
    return writer, (done_urls(path, output_format) if existing and resume else iter(()))


def done_urls(path: Path, output_format: str) -> Iterator[str]:
    """The ``url`` of every whole row in an output file, read as a stream."""
    with path.open(encoding="utf-8", errors="replace", newline="") as lines:
        if output_format == "csv":
            reader = csv.reader(lines)
            next(reader, None)
            for cells in reader:
                if cells:
                    yield unsafe_cell(cells[0])
            return
        for number, line in enumerate(lines, 1):
            url = _json_row_url(line)
            if url is None:
                logger.warning("%s line %d is not a report row; its URL will be scanned again", path, number)
            else:
                yield url


def _json_row_url(line: str) -> str | None:
    try:
        if line.startswith(JSON_ROW_START):
            url, _ = _DECODER.raw_decode(line, len(JSON_ROW_START))
        else:
            url = json.loads(line).get("url")
    except (ValueError, AttributeError):
        return None
    return url if isinstance(url, str) else None


def _check_format(path: Path, output_format: str) -> None:
    """Refuse to continue a file of another format, or a CSV whose columns differ (one
    written by another version of the analyzer): rows appended to it would not line up."""
    with path.open("rb") as stream:
        head = stream.readline(64 * 1024)
    found = "csv" if head.startswith(b"url,") else "jsonl" if head.startswith(b"{") else None
    if found != output_format:
        raise BatchError(f"{path} is not {output_format} output from analyzer batch (found {found or 'something else'})")
    if found == "csv" and head.decode("utf-8", errors="replace").rstrip("\r\n").split(",") != list(CSV_COLUMNS):
        raise BatchError(f"{path} has other columns than this version writes ({', '.join(CSV_COLUMNS)}); "
                         "continue it with the version that started it, or write to a new file")


def _drop_partial_line(path: Path) -> None:
    with path.open("rb+") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - 1))
        if stream.read(1) == b"\n":
            return
        end = _last_newline_end(stream, size)
        logger.warning("%s ended in a partial row (%d bytes) from an interrupted run; dropping it", path, size - end)
        stream.truncate(end)


def _last_newline_end(stream: IO[bytes], size: int, block: int = 1 << 16) -> int:
    position = size
    while position > 0:
        start = max(0, position - block)
        stream.seek(start)
        chunk = stream.read(position - start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0
