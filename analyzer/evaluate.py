"""Scoring the analyzer on a hand-labeled folder of saved pages.

The labels file has one JSON object per line with ``file``, ``offered``, ``mix`` and
``primary`` (the format of shared/eval/pages.jsonl). ``evaluate`` prints nothing; the
CLI and bench scripts render its ``Scores``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

from .extract import extract_text
from .model import BlockModel, load_model
from .scanner import classify_html
from .taxonomy import LABELS, SPECIALTIES

Prediction = tuple[list[str], str | None, dict[str, float]]


@dataclass(frozen=True)
class LabeledPage:
    id: str
    path: Path
    offered: list[str]
    primary: str | None
    mix: dict[str, float]


@dataclass
class Scores:
    pages: int
    f1: dict[str, float]
    macro_f1: float
    primary_accuracy: float
    mix_error: float
    vendor_accuracy: float
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "f1": self.f1,
            "macro_f1": self.macro_f1,
            "primary_accuracy": self.primary_accuracy,
            "mix_error": self.mix_error,
            "vendor_accuracy": self.vendor_accuracy,
        }


def read_labeled(labels_file: str | Path, pages_dir: str | Path) -> list[LabeledPage]:
    rows = []
    with open(labels_file, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                rows.append(
                    LabeledPage(
                        id=str(row.get("id", row["file"])),
                        path=Path(pages_dir) / row["file"],
                        offered=list(row.get("offered", [])),
                        primary=row.get("primary"),
                        mix={label: float(row.get("mix", {}).get(label, 0.0)) for label in LABELS},
                    )
                )
    return rows


def read_html(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def model_predictor(model: BlockModel | None = None) -> Callable[[str], Prediction]:
    model = model or load_model()

    def predict(html: str) -> Prediction:
        report = classify_html(html, model=model)
        return report.offered, report.primary, report.mix

    return predict


def keyword_predictor(html: str) -> Prediction:
    """The obvious baseline: count taxonomy specialty phrases in the page's text."""
    text = extract_text(html)
    counts = dict.fromkeys(LABELS, 0)
    for specialty in SPECIALTIES:
        counts[specialty.label] += len(specialty.pattern.findall(text))
    total = sum(counts.values())
    mix = {label: counts[label] / total if total else 0.0 for label in LABELS}
    offered = [label for label in LABELS if counts[label]]
    primary = max(offered, key=counts.__getitem__) if offered else None
    return offered, primary, mix


def evaluate(pages: Sequence[LabeledPage], predict: Callable[[str], Prediction]) -> Scores:
    results = [(page, predict(read_html(page.path))) for page in pages]
    return score(results)


def offered_f1(expected: Sequence[Collection[str]], got: Sequence[Collection[str]]) -> dict[str, float]:
    """Each label's F1 over pages (or sites) of whether it is offered; 1 where none expects or gets it."""
    return {
        label: round(float(f1_score([label in e for e in expected], [label in g for g in got], zero_division=1.0)), 4)
        for label in LABELS
    }


def score(results: Sequence[tuple[LabeledPage, Prediction]]) -> Scores:
    f1 = offered_f1([page.offered for page, _ in results], [offered for _, (offered, _, _) in results])
    mistakes = [
        {"id": page.id, "expected": page.offered, "got": offered, "primary": primary, "expected_primary": page.primary}
        for page, (offered, primary, _) in results
        if sorted(offered) != sorted(page.offered) or primary != page.primary
    ]
    n = len(results) or 1
    return Scores(
        pages=len(results),
        f1=f1,
        macro_f1=round(sum(f1.values()) / len(LABELS), 4),
        primary_accuracy=round(sum(page.primary == primary for page, (_, primary, _) in results) / n, 4),
        mix_error=round(sum(_total_variation(page.mix, mix) for page, (_, _, mix) in results) / n, 4),
        vendor_accuracy=round(sum(bool(page.offered) == bool(offered) for page, (offered, _, _) in results) / n, 4),
        mistakes=mistakes,
    )


def _total_variation(expected: dict[str, float], got: dict[str, float]) -> float:
    return 0.5 * sum(abs(expected.get(label, 0.0) - got.get(label, 0.0)) for label in LABELS)
