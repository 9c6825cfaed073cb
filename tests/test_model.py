"""The model file: verified before loading, reproducible from the corpus, shipped in the wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from analyzer.corpus import read_corpus
from analyzer.errors import CorpusError, ModelError
from analyzer.model import (
    CONTEXT_WEIGHTS,
    MANIFEST_FILE,
    MODEL_FILE,
    block_documents,
    default_model_dir,
    in_page_context,
    load_model,
    train,
)
from analyzer.taxonomy import CLASSES, NONE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fifteenth page of the real corpus: enough to train on in seconds."""
    blocks = read_corpus(ROOT / "corpus")
    pages = sorted({b.page for b in blocks})[::15]
    keep = set(pages)
    folder = tmp_path_factory.mktemp("corpus")
    with (folder / "small.jsonl").open("w", encoding="utf-8") as out:
        for b in blocks:
            if b.page in keep:
                out.write(json.dumps({"page": b.page, "label": b.label, "kind": b.kind, "text": b.text}) + "\n")
    return folder


def test_training_is_reproducible(small_corpus: Path, tmp_path: Path) -> None:
    """Two runs of `analyzer train` on the same corpus write the same bytes."""
    manifests = []
    for out in ("a", "b"):
        subprocess.run(
            [sys.executable, "-m", "analyzer", "train", "--corpus", str(small_corpus), "--out", str(tmp_path / out), "--folds", "2"],
            check=True, capture_output=True, timeout=600,
        )
        manifests.append(json.loads((tmp_path / out / MANIFEST_FILE).read_text(encoding="utf-8")))
    assert manifests[0]["sha256"] == manifests[1]["sha256"]
    assert manifests[0]["cross_validation"] == manifests[1]["cross_validation"]
    assert (tmp_path / "a" / MODEL_FILE).read_bytes() == (tmp_path / "b" / MODEL_FILE).read_bytes()


def test_training_in_process_gives_the_same_model(small_corpus: Path, tmp_path: Path) -> None:
    """In a long-lived process the bytes may differ (pickle memoises shared objects), the model may not."""
    train(small_corpus, tmp_path / "a", folds=2)
    train(small_corpus, tmp_path / "b", folds=2)
    first, second = load_model(tmp_path / "a"), load_model(tmp_path / "b")
    texts = ["Medical billing and coding for clinics.", "We build mobile apps.", "Opening hours: 9 to 5."]
    assert (first.predict_proba(texts) == second.predict_proba(texts)).all()
    assert first.vendor_probability(texts) == second.vendor_probability(texts)
    assert (first.block_threshold, first.vendor_threshold, first.context_weight) == (
        second.block_threshold, second.vendor_threshold, second.context_weight
    )
    assert first.context_weight in CONTEXT_WEIGHTS


def test_altered_model_file_is_refused(small_corpus: Path, tmp_path: Path) -> None:
    train(small_corpus, tmp_path, folds=2)
    load_model(tmp_path)
    path = tmp_path / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    from analyzer.model import _load_model

    _load_model.cache_clear()
    with pytest.raises(ModelError, match="does not match"):
        load_model(tmp_path)


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="analyzer train"):
        load_model(tmp_path)


def test_bad_corpus_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"page": "x", "label": "BPO", "text": "ok"}\n{"page": "x", "label": "XYZ", "text": "t"}\n')
    with pytest.raises(CorpusError, match="bad.jsonl:2"):
        read_corpus(tmp_path)


def test_shipped_manifest_describes_the_shipped_model() -> None:
    manifest = json.loads((default_model_dir() / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert {"sklearn_version", "sha256", "trained_at", "corpus", "cross_validation"} <= set(manifest)
    assert manifest["corpus"]["blocks"] == len(read_corpus(ROOT / "corpus"))
    assert load_model().info.sha256 == manifest["sha256"]


def test_wheel_ships_the_model(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("analyzer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert f"analyzer/models/{MODEL_FILE}" in names
    assert f"analyzer/models/{MANIFEST_FILE}" in names


def test_the_section_a_block_sits_under_changes_its_reading() -> None:
    model = load_model()
    texts = ["Implementation", "Implementation"]
    sections = ["Medical billing and revenue cycle services", "Custom software development services"]
    with_sections = model.predict_proba(texts, sections)
    assert not (with_sections[0] == with_sections[1]).all()
    assert (model.predict_proba(texts) == model.predict_proba(texts, ["", ""])).all()


def _row(**probabilities: float) -> list[float]:
    return [probabilities.get(label, 0.0) for label in CLASSES]


def test_page_context_moves_a_weak_block_towards_the_page_lean() -> None:
    """Three clear BPO offerings and one block that alone reads slightly more KPO than BPO."""
    page = np.array([_row(BPO=0.9, none=0.1)] * 3 + [_row(KPO=0.4, BPO=0.3, none=0.3)])
    in_context = in_page_context(page, 1.0)
    assert CLASSES[page[3].argmax()] == "KPO"
    assert CLASSES[in_context[3].argmax()] == "BPO"
    none = CLASSES.index(NONE)
    assert (in_context[:, none] == page[:, none]).all()
    assert np.allclose(in_context.sum(axis=1), 1.0)


def test_page_context_weight_zero_and_other_pages_leave_blocks_alone() -> None:
    blocks = np.array([_row(BPO=0.9, none=0.1), _row(KPO=0.4, BPO=0.3, none=0.3), _row(KPO=0.4, BPO=0.3, none=0.3)])
    assert in_page_context(blocks, 0.0) is blocks
    # The last block is alone on its own page: its only lean is its own, which keeps KPO first.
    separate = in_page_context(blocks, 1.0, np.array([0, 0, 1]))
    assert CLASSES[separate[1].argmax()] == "BPO"
    assert CLASSES[separate[2].argmax()] == "KPO"


def test_blocks_of_different_pages_are_read_in_their_own_page_context() -> None:
    model = load_model()
    texts = ["Medical billing and coding", "Claims processing", "Reporting and analysis"]
    together = model.page_probabilities(texts, pages=["https://a.example/billing"] * 2 + ["https://a.example/reports"])
    alone = model.page_probabilities(texts[2:])
    assert np.allclose(together[2], alone[0])
    assert np.allclose(together[:2], model.page_probabilities(texts[:2]))


def test_the_page_gate_reads_content_words_not_prose_style() -> None:
    model = load_model()
    plain = ["Patent drafting and filing for inventors"]
    wordy = ["This is how we do the patent drafting and the filing, if you are one of the inventors"]
    assert model.vendor_probability(plain) == model.vendor_probability(wordy)
    assert model.vendor_probability(plain) != model.vendor_probability(["Patent drafting software for inventors"])


def test_a_long_block_is_read_by_its_strongest_sentence_too() -> None:
    model = load_model()

    def whole(text: str) -> np.ndarray:
        """The block pipeline on the block as one text, columns in CLASSES order."""
        order = [model.block_pipeline.classes_.tolist().index(label) for label in CLASSES]
        return np.asarray(model.block_pipeline.predict_proba(block_documents([text])))[0, order]

    filler = (
        "We are a friendly team that values honesty, clear communication and long relationships with every client we meet. "
        "Our people care about quality, deadlines and the small details that make working together easy and pleasant. "
        "Whatever your size, we listen first and tailor our approach to the way your organisation already works. "
    )
    offering = "Our paralegals review and redline commercial contracts for in-house legal departments against their playbook."
    long_block = filler + offering
    assert len(long_block.split()) > model.long_block_words
    lpo = CLASSES.index("LPO")
    read = model.predict_proba([long_block])[0]
    assert read[lpo] > whole(long_block)[lpo]
    assert read[lpo] == pytest.approx(whole(offering)[lpo])
    short = "Contract review for legal departments."
    assert (model.predict_proba([short])[0] == whole(short)).all()
