"""Quality gate: the extractor on held-out real pages, scored as bench/bench_extract.py scores it.

The data sits beside the clone in ../shared (CI puts it there); without it these tests skip.
They measure only: nothing in the extractor is tuned to these files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from analyzer.extract import extract_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WCXB = SHARED / "bench" / "wcxb-service"
EVAL = SHARED / "eval"

# The floors.
MIN_WORD_F1 = 0.85
MAX_LEAK = 0.10
MIN_SERVICE_RECALL = 0.95


def load_bench() -> ModuleType:
    """bench/bench_extract.py holds the benchmark's scoring; the gate uses the same code."""
    spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "bench" / "bench_extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench()


@pytest.mark.skipif(not WCXB.is_dir(), reason=f"WCXB service pages not found at {WCXB} (../shared beside the clone)")
def test_wcxb_word_f1_and_leak_meet_the_floors(bench: ModuleType) -> None:
    pages = bench.load_wcxb(WCXB)
    assert len(pages) >= 100
    score = bench.score_wcxb(pages, extract_text)
    assert score.f1 >= MIN_WORD_F1, score
    assert score.leak <= MAX_LEAK, score


@pytest.mark.skipif(not EVAL.is_dir(), reason=f"labeled eval pages not found at {EVAL} (../shared beside the clone)")
def test_labeled_service_names_are_in_the_blocks(bench: ModuleType) -> None:
    recall = bench.service_recall(bench.load_eval(EVAL), lambda html: "")
    assert recall.on_page >= 100
    assert recall.ours_on_page >= MIN_SERVICE_RECALL, recall


def test_scoring_follows_the_benchmark_method(bench: ModuleType) -> None:
    f1, precision, recall = bench.word_scores("Payroll payroll TAX", "payroll tax tax audit")
    assert (precision, recall) == (pytest.approx(2 / 3), 0.5)  # multiset overlap: one payroll, one tax
    assert f1 == pytest.approx(4 / 7)
    assert bench.word_scores("", "") == (1.0, 1.0, 1.0)
    assert bench.word_scores("words", "") == (0.0, 0.0, 0.0)
    assert bench.snippet_rate(["Contact Us", "absent"], "please contact us today") == 0.5
    assert bench.snippet_rate([], "anything") is None
    assert bench.fold("Follow-Up & Appeals (denials)") == " follow up and appeal "
