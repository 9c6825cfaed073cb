"""Model quality against the issue's floors, the keyword baseline beside it, and its speed and size.

    python bench/bench_model.py [--runs 5]

Quality: `offered` per-label F1 and macro-F1, primary accuracy, mix error and vendor accuracy on
../shared/eval/pages.jsonl (60 real vendor pages), for the model and for the keyword baseline
(counting taxonomy phrases in the same extracted text); vendor accuracy on the 165 WCXB service
pages; the 95% bootstrap intervals of the model's figures (1,000 resamples of the pages), which
say how much of a gap to a floor a set this small can tell from chance; and the grouped
cross-validation figures the manifest recorded at training time.
Speed: median time to classify the extracted blocks of pages of about 50 KB (extraction
excluded), median model load time (hash check and unpickling), and the model file's size.
Measuring only: nothing here feeds back into training.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.evaluate import (  # noqa: E402
    LabeledPage, Prediction, Scores, evaluate, keyword_predictor, model_predictor, read_html, read_labeled, score,
)
from analyzer.extract import extract_blocks  # noqa: E402
from analyzer.model import _load_model, default_model_dir, load_model  # noqa: E402
from analyzer.scanner import predict_blocks  # noqa: E402

SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
WCXB = SHARED / "bench" / "wcxb-service"
FLOORS = {"macro_f1": 0.85, "label_f1": 0.80, "primary_accuracy": 0.85, "mix_error": 0.15, "vendor_accuracy": 0.95}


def show(name: str, scores: Scores) -> None:
    f1 = "  ".join(f"{label} {value:.3f}" for label, value in scores.f1.items())
    print(f"  {name:<18} macro-F1 {scores.macro_f1:.3f}  ({f1})")
    print(f"  {'':<18} primary {scores.primary_accuracy:.3f}  mix error {scores.mix_error:.3f}  vendor {scores.vendor_accuracy:.3f}")


def interval(results: list[tuple[LabeledPage, Prediction]], figure: str, draws: int = 1000) -> tuple[float, float]:
    """The 95% bootstrap interval of a figure: how far it moves when the pages are resampled."""
    rng = random.Random(0)
    values = sorted(getattr(score([rng.choice(results) for _ in results]), figure) for _ in range(draws))
    return values[int(0.025 * draws)], values[int(0.975 * draws) - 1]


def show_interval(results: list[tuple[LabeledPage, Prediction]], figures: tuple[str, ...]) -> None:
    names = {"macro_f1": "macro-F1", "vendor_accuracy": "vendor"}
    spans = "  ".join(f"{names[figure]} {low:.3f}-{high:.3f}" for figure in figures for low, high in [interval(results, figure)])
    print(f"  {'':<18} 95% interval over resampled pages: {spans}")


def speed(runs: int) -> None:
    pages = sorted(EVAL.glob("pages/*.html"), key=lambda p: abs(p.stat().st_size - 50_000))[:5]
    model = load_model()
    timings = []
    for page in pages:
        blocks = extract_blocks(read_html(page))
        predict_blocks(blocks, model)
        samples = []
        for _ in range(runs * 10):
            start = time.perf_counter()
            predict_blocks(blocks, model)
            samples.append(time.perf_counter() - start)
        timings.append(statistics.median(samples))
        print(f"  classify {page.name} ({page.stat().st_size / 1000:.0f} KB, {len(blocks)} blocks): "
              f"median {statistics.median(samples) * 1000:.2f} ms")
    print(f"  classify a ~50 KB page: median {statistics.median(timings) * 1000:.2f} ms (floor 5 ms)")
    loads = []
    for _ in range(runs):
        _load_model.cache_clear()
        start = time.perf_counter()
        load_model()
        loads.append(time.perf_counter() - start)
    print(f"  load model: median {statistics.median(loads) * 1000:.0f} ms over {runs} loads (floor 300 ms)")
    size = sum(p.stat().st_size for p in default_model_dir().glob("*.joblib"))
    print(f"  model file: {size / 1e6:.1f} MB (floor 20 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    model = load_model()
    cv = model.manifest["cross_validation"]
    print(f"model {model.info.name} {model.info.sha256[:12]}  thresholds: block {model.block_threshold}, "
          f"vendor {model.vendor_threshold}")
    print(f"corpus cross-validation ({cv['folds']} folds grouped by page): block macro-F1 {cv['blocks']['macro_f1']:.3f}, "
          f"offered macro-F1 {cv['pages']['macro_f1']:.3f}, vendor accuracy {cv['vendor_accuracy']:.3f}")
    if not EVAL.is_dir():
        sys.exit(f"{EVAL} not found: the measuring sets live in ../shared beside the checkout")
    pages = read_labeled(EVAL / "pages.jsonl", EVAL / "pages")
    print(f"\n{len(pages)} eval pages (floors: macro-F1 {FLOORS['macro_f1']}, each label {FLOORS['label_f1']}, "
          f"primary {FLOORS['primary_accuracy']}, mix error <= {FLOORS['mix_error']}, vendor {FLOORS['vendor_accuracy']})")
    predict = model_predictor(model)
    results = [(page, predict(read_html(page.path))) for page in pages]
    show("model", score(results))
    show_interval(results, ("macro_f1", "vendor_accuracy"))
    show("keyword baseline", evaluate(pages, keyword_predictor))
    wcxb = read_labeled(WCXB / "labels.jsonl", WCXB / "html")
    wcxb_results = [(page, predict(read_html(page.path))) for page in wcxb]
    low, high = interval(wcxb_results, "vendor_accuracy")
    print(f"\n{len(wcxb)} WCXB service pages: vendor accuracy {score(wcxb_results).vendor_accuracy:.3f} "
          f"(95% interval {low:.3f}-{high:.3f}; floor 0.95), "
          f"keyword baseline {evaluate(wcxb, keyword_predictor).vendor_accuracy:.3f}")
    print("\nspeed")
    speed(args.runs)


if __name__ == "__main__":
    main()
