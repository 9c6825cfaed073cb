"""The due-diligence report measured: claim detection, the claim-versus-offering finding, rendering cost.

    python bench/bench_report.py [--runs 5] [--vendors 10000] [--shared ../shared]

On ``shared/eval/pages`` (held-out labeled pages), each page goes through ``classify_html``
as a scan would, and the report is compared with the labels:

- claim: precision and recall of the claimed labels (the ``claim`` field) over all pages;
- finding: how often the report's finding kind equals the kind that ``claim_finding``
  gives for the labeled claim and the labeled mix, and the same with the labeled claim and
  the predicted mix (which isolates the claim detector from the classifier).

Then the rendering cost, as medians of ``--runs`` passes: reports per second of
``render_text`` and ``render_markdown``, and of ``write_html`` streaming ``--vendors``
reports (the eval reports repeated) to /dev/null, with the page's size per vendor and the
peak memory that rendering allocates (tracemalloc).

Only measures: nothing here feeds back into the patterns or thresholds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

# The editable install's finder does not resolve the package from a script in bench/, so the
# checkout it lives in comes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.findings import claim_finding  # noqa: E402
from analyzer.html_report import write_html  # noqa: E402
from analyzer.model import load_model  # noqa: E402
from analyzer.render import render_markdown, render_text  # noqa: E402
from analyzer.report import Report  # noqa: E402
from analyzer.scanner import classify_html  # noqa: E402
from analyzer.taxonomy import LABELS  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def eval_reports(shared: Path) -> list[tuple[dict[str, object], Report]]:
    root = shared / "eval"
    model = load_model()
    rows = [json.loads(line) for line in (root / "pages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row, classify_html((root / "pages" / str(row["file"])).read_bytes(), model=model)) for row in rows]


def claim_scores(pairs: list[tuple[dict[str, object], Report]]) -> None:
    true_pos = false_pos = false_neg = 0
    for row, report in pairs:
        expected, got = set(row["claim"]), set(report.claim)  # type: ignore[call-overload]
        true_pos += len(expected & got)
        false_pos += len(got - expected)
        false_neg += len(expected - got)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    pages_with_claim = sum(bool(row["claim"]) for row, _ in pairs)
    print(f"claim on {len(pairs)} eval pages ({pages_with_claim} with a labeled claim): "
          f"precision {precision:.2f}  recall {recall:.2f}  (tp {true_pos}, fp {false_pos}, fn {false_neg})")


def finding_scores(pairs: list[tuple[dict[str, object], Report]]) -> None:
    end_to_end = claim_only = 0
    confusion: Counter[tuple[str, str]] = Counter()
    for row, report in pairs:
        labeled_mix = {label: float(row["mix"][label]) for label in LABELS}  # type: ignore[index]
        expected = claim_finding(row["claim"], labeled_mix)["kind"]  # type: ignore[arg-type]
        got = (report.finding or {}).get("kind", "")
        end_to_end += got == expected
        claim_only += claim_finding(row["claim"], report.mix)["kind"] == got  # type: ignore[arg-type]
        confusion[expected, got] += 1
    n = len(pairs)
    print(f"finding kind: {end_to_end / n:.2f} agree with the labels end to end; "
          f"{claim_only / n:.2f} with the labeled claim on the predicted mix")
    print("  expected -> got: " + ", ".join(f"{e}->{g} {c}" for (e, g), c in sorted(confusion.items())))


def timed(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render_speed(reports: list[Report], runs: int, vendors: int) -> None:
    many = list(itertools.islice(itertools.cycle(reports), 2000))
    text = timed(runs, lambda: [render_text(r, width=100, color=True) for r in many])
    markdown = timed(runs, lambda: [render_markdown(r) for r in many])
    print(f"render_text {len(many) / text:,.0f} reports/s   render_markdown {len(many) / markdown:,.0f} reports/s"
          f"   (median of {runs})")

    def stream() -> Iterable[Report]:
        return itertools.islice(itertools.cycle(reports), vendors)

    with open(os.devnull, "w", encoding="utf-8") as sink:
        seconds = timed(runs, lambda: write_html(stream(), sink))
    sizer = _Counter()
    write_html(stream(), sizer)
    tracemalloc.start()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        write_html(stream(), sink)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"write_html {vendors:,} vendors: {vendors / seconds:,.0f} vendors/s ({seconds:.2f} s, median of {runs}), "
          f"{sizer.chars / vendors / 1024:.1f} KiB per vendor, {sizer.chars / 2**20:.1f} MiB page, "
          f"peak allocation {peak / 2**20:.1f} MiB")


class _Counter:
    """A sink that only counts what is written."""

    chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    pairs = eval_reports(args.shared)
    claim_scores(pairs)
    finding_scores(pairs)
    render_speed([report for _, report in pairs], args.runs, args.vendors)


if __name__ == "__main__":
    main()
