"""What the analyst reads beside the mix: the specialties a site offers, and its claim against its offering.

``match_specialties`` finds the taxonomy's specialties in offering blocks; ``claim_finding``
compares what a vendor calls itself with the mix of what it lists, in one line. Both take
plain values, so report.py can call them while building a Report.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, TypeVar

from .taxonomy import LABEL_WORK, LABELS, SPECIALTIES, Specialty

# A label counts as part of what a vendor sells, for the finding, when at least one in five
# of its listed offerings carries it: below that it is a sideline (one stray block among a
# dozen, or a model slip) and would turn most findings into "broader" on its own. It also
# keeps the example whole: "20% legal (LPO)" is reported, a 10% share is not.
MIN_SHARE = 0.2

CONSISTENT = "consistent"
BROADER = "broader"
NARROWER = "narrower"
DIFFERENT = "different"
NO_CLAIM = "no_claim"
FINDING_KINDS: tuple[str, ...] = (CONSISTENT, BROADER, NARROWER, DIFFERENT, NO_CLAIM)
MISMATCH_KINDS: frozenset[str] = frozenset({BROADER, NARROWER, DIFFERENT})
KIND_TITLES: dict[str, str] = {
    CONSISTENT: "consistent with its claim",
    BROADER: "broader than claimed",
    NARROWER: "narrower than claimed",
    DIFFERENT: "different from claimed",
    NO_CLAIM: "no claim",
}


class Offering(Protocol):
    """An offering block as the findings need it (report.BlockPrediction is one)."""

    @property
    def text(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def probabilities(self) -> Mapping[str, float]: ...


OfferingT = TypeVar("OfferingT", bound=Offering)


def match_specialties(
    offerings: Sequence[OfferingT], *, limit: int
) -> list[tuple[Specialty, list[OfferingT]]]:
    """Specialties named by offering blocks of the same label, each with its strongest blocks.

    A block counts for a specialty only when the model gave the block the specialty's label:
    "legal transcription" on a block labeled LPO is legal transcription, "transcription" on a
    block labeled BPO is the BPO specialty. Specialties come in label order, then by how many
    blocks name them; each keeps at most ``limit`` blocks, the most confident first.
    """
    found: list[tuple[Specialty, list[OfferingT]]] = []
    for specialty in SPECIALTIES:
        blocks = [b for b in offerings if b.label == specialty.label and specialty.pattern.search(b.text)]
        if blocks:
            found.append((specialty, blocks))
    found.sort(key=lambda item: (LABELS.index(item[0].label), -len(item[1])))
    return [
        (specialty, sorted(blocks, key=lambda b: -b.probabilities.get(specialty.label, 0.0))[:limit])
        for specialty, blocks in found
    ]


def claim_finding(claim: Collection[str], mix: Mapping[str, float]) -> dict[str, str]:
    """Where a vendor's claim and its offering part, as ``{"kind": ..., "text": ...}``.

    With C the claimed labels and S the labels holding at least MIN_SHARE of the mix:
    no claim when C is empty; consistent when S equals C; broader when C is a proper
    subset of S; narrower when S is a proper subset of C (a vendor that lists none of
    the four kinds of work is narrower than any claim); different otherwise, when the
    two do not overlap or each has a label the other lacks.
    """
    claimed = [label for label in LABELS if label in claim]
    sold = [label for label in LABELS if mix.get(label, 0.0) >= MIN_SHARE]
    if not claimed:
        return {"kind": NO_CLAIM, "text": f"no self-description found; {_offering(mix)}"}
    calls = f"calls itself {_names(claimed)}"
    if set(sold) == set(claimed):
        return {"kind": CONSISTENT, "text": f"{calls}, and its listing agrees: {_offering(mix)}"}
    if set(claimed) < set(sold):
        extra = _work([label for label in sold if label not in claimed])
        return {"kind": BROADER, "text": f"{calls} but also sells {extra}: {_offering(mix)}"}
    missing = [label for label in claimed if label not in sold]
    if set(sold) < set(claimed):
        if not any(mix.get(label, 0.0) for label in LABELS):
            return {"kind": NARROWER, "text": f"{calls} but {_offering(mix)}"}
        return {"kind": NARROWER, "text": f"{calls} but lists {_little(mix, missing)}: {_offering(mix)}"}
    text = f"{calls}; {_offering(mix, sold)}"
    return {"kind": DIFFERENT, "text": text + (f", and {_little(mix, missing)}" if missing else "")}


def _offering(mix: Mapping[str, float], labels: Sequence[str] | None = None) -> str:
    """ "70% of its listed services are knowledge work (KPO), 20% legal work (LPO) and ..."."""
    chosen = [label for label in (labels or LABELS) if mix.get(label, 0.0) > 0]
    if not chosen:
        return "it lists none of the four kinds of outsourced work"
    first, *rest = sorted(chosen, key=lambda label: -mix[label])
    lead = f"{_percent(mix[first])} of its listed services are {LABEL_WORK[first]} ({first})"
    return _join([lead, *(f"{_percent(mix[label])} {LABEL_WORK[label]} ({label})" for label in rest)])


def _work(labels: Sequence[str]) -> str:
    return _join([f"{LABEL_WORK[label]} ({label})" for label in labels])


def _little(mix: Mapping[str, float], labels: Sequence[str]) -> str:
    parts = [
        f"only {_percent(mix[label])} {LABEL_WORK[label]} ({label})" if mix.get(label, 0.0) > 0
        else f"no {LABEL_WORK[label]} ({label})"
        for label in labels
    ]
    return _join(parts)


def _names(labels: Sequence[str]) -> str:
    # The article goes by sound: "a BPO", "a KPO", "an LPO" (el-pee-oh), "an ITO".
    return _join([f"{'an' if label[0] in 'ILO' else 'a'} {label}" for label in labels])


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
