"""Reading the labeled corpus: JSON Lines of blocks, documented in corpus/README.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .taxonomy import CLASSES


@dataclass(frozen=True)
class CorpusBlock:
    page: str
    label: str
    kind: str
    text: str
    section: str = ""
    notes: str = ""


def read_corpus(directory: str | Path) -> list[CorpusBlock]:
    """Every block of every ``*.jsonl`` file in ``directory``, in file and line order."""
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise CorpusError(f"no *.jsonl files in {directory}")
    return [block for path in files for block in _read_file(path)]


def _read_file(path: Path) -> Iterator[CorpusBlock]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                block = CorpusBlock(
                    page=str(row["page"]),
                    label=str(row["label"]),
                    kind=str(row.get("kind", "other")),
                    text=str(row["text"]),
                    section=str(row.get("section") or ""),
                    notes=str(row.get("notes") or ""),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{number}: {exc}") from None
            if block.label not in CLASSES:
                raise CorpusError(f"{path}:{number}: unknown label {block.label!r}")
            if not block.text.strip():
                raise CorpusError(f"{path}:{number}: empty text")
            yield block
