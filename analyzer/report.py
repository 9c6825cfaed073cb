"""The Report: what a scan says about one vendor, and how block predictions become one.

``build_report`` aggregates per-block predictions into the mix, the offered labels, the
primary label and the evidence, and adds the specialties and the claim-versus-offering
finding (findings.py); ``error_report`` turns a ScanError into a row of the same shape.
Rendering for people lives in render.py and html_report.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ScanError
from .findings import claim_finding, match_specialties
from .taxonomy import LABELS


@dataclass(frozen=True)
class PageInfo:
    url: str
    role: str
    http_status: int | None
    chars: int


@dataclass(frozen=True)
class UnreadPage:
    """A services page the crawl chose but could not read, and why (an error kind)."""

    url: str
    kind: str
    message: str


@dataclass(frozen=True)
class Evidence:
    text: str
    url: str | None
    score: float


@dataclass(frozen=True)
class ErrorInfo:
    kind: str
    message: str


@dataclass(frozen=True)
class ModelInfo:
    name: str
    sha256: str


@dataclass(frozen=True)
class SpecialtyFinding:
    name: str
    label: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class BlockPrediction:
    """One offering block with the model's probability for each label (and for none)."""

    text: str
    url: str | None
    label: str
    probabilities: dict[str, float]


@dataclass
class Report:
    url: str
    final_url: str | None = None
    status: str = "ok"
    error: ErrorInfo | None = None
    pages: list[PageInfo] = field(default_factory=list)
    unread: list[UnreadPage] = field(default_factory=list)
    offered: list[str] = field(default_factory=list)
    primary: str | None = None
    mix: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LABELS, 0.0))
    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LABELS, 0.0))
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    claim: list[str] = field(default_factory=list)
    specialties: list[SpecialtyFinding] = field(default_factory=list)
    finding: dict[str, str] | None = None
    model: ModelInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        def evidence(items: list[dict[str, Any]]) -> list[Evidence]:
            return [Evidence(**item) for item in items]

        return cls(
            url=data["url"],
            final_url=data.get("final_url"),
            status=data.get("status", "ok"),
            error=ErrorInfo(**data["error"]) if data.get("error") else None,
            pages=[PageInfo(**p) for p in data.get("pages", [])],
            unread=[UnreadPage(**p) for p in data.get("unread", [])],
            offered=list(data.get("offered", [])),
            primary=data.get("primary"),
            mix=dict(data.get("mix") or dict.fromkeys(LABELS, 0.0)),
            scores=dict(data.get("scores") or dict.fromkeys(LABELS, 0.0)),
            evidence={k: evidence(v) for k, v in (data.get("evidence") or {}).items()},
            claim=list(data.get("claim", [])),
            specialties=[
                SpecialtyFinding(s["name"], s["label"], evidence(s.get("evidence", [])))
                for s in data.get("specialties", [])
            ],
            finding=data.get("finding"),
            model=ModelInfo(**data["model"]) if data.get("model") else None,
        )


MAX_EVIDENCE = 3


def build_report(
    url: str,
    predictions: Sequence[BlockPrediction],
    *,
    final_url: str | None = None,
    pages: Sequence[PageInfo] = (),
    claim: Sequence[str] = (),
    model: ModelInfo | None = None,
) -> Report:
    """Aggregate block predictions: the mix is the share of distinct offering blocks per label."""
    offerings = _distinct_offerings(predictions)
    counts = dict.fromkeys(LABELS, 0)
    for block in offerings:
        counts[block.label] += 1
    total = sum(counts.values())
    mix = {label: round(counts[label] / total, 4) if total else 0.0 for label in LABELS}
    offered = [label for label in LABELS if counts[label]]
    primary = max(offered, key=lambda label: (counts[label], _label_score(offerings, label))) if offered else None
    scores = {label: round(_label_score(predictions, label), 4) for label in LABELS}
    evidence = {
        label: [
            _evidence(b, label)
            for b in sorted(
                (b for b in offerings if b.label == label),
                key=lambda b: -b.probabilities[label],
            )[:MAX_EVIDENCE]
        ]
        for label in offered
    }
    claimed = [label for label in LABELS if label in claim]
    specialties = [
        SpecialtyFinding(specialty.name, specialty.label, [_evidence(b, specialty.label) for b in blocks])
        for specialty, blocks in match_specialties(offerings, limit=MAX_EVIDENCE)
    ]
    return Report(
        url=url,
        final_url=final_url or url,
        pages=list(pages),
        offered=offered,
        primary=primary,
        mix=mix,
        scores=scores,
        evidence=evidence,
        claim=claimed,
        specialties=specialties,
        finding=claim_finding(claimed, mix),
        model=model,
    )


def error_report(
    url: str,
    error: ScanError,
    *,
    pages: Sequence[PageInfo] = (),
    unread: Sequence[UnreadPage] = (),
    model: ModelInfo | None = None,
) -> Report:
    return Report(
        url=url,
        final_url=error.url or None,
        status="error",
        error=ErrorInfo(error.kind, error.message),
        pages=list(pages),
        unread=list(unread),
        model=model,
    )


def _evidence(block: BlockPrediction, label: str) -> Evidence:
    return Evidence(block.text, block.url, round(block.probabilities[label], 4))


def _distinct_offerings(predictions: Sequence[BlockPrediction]) -> list[BlockPrediction]:
    seen: set[str] = set()
    distinct = []
    for block in predictions:
        key = " ".join(block.text.lower().split())
        if block.label in LABELS and key not in seen:
            seen.add(key)
            distinct.append(block)
    return distinct


def _label_score(predictions: Sequence[BlockPrediction], label: str) -> float:
    return max((b.probabilities.get(label, 0.0) for b in predictions), default=0.0)
