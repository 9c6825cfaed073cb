"""The block classifier: a TF-IDF + linear scikit-learn Pipeline trained on corpus/.

The Pipeline is the unit that is trained, saved and loaded. It is saved with joblib next
to a manifest (scikit-learn version, sha256 of the file, training date, corpus size,
cross-validated scores); loading checks the hash before unpickling, because a joblib
file executes code when loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.feature_extraction.text import TfidfVectorizer

from .corpus import CorpusBlock, read_corpus
from .errors import ModelError
from .report import ModelInfo
from .taxonomy import CLASSES

logger = logging.getLogger(__name__)

MODEL_NAME = "block-tfidf-logreg"
MODEL_FILE = "block_model.joblib"
MANIFEST_FILE = "manifest.json"
RANDOM_STATE = 0
CV_FOLDS = 5


def build_pipeline() -> Pipeline:
    """The untrained block classifier: word and character TF-IDF into a logistic regression."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True,
                                      token_pattern=r"(?u)\b\w[\w&/+-]*\b")),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)),
        ]
    )
    classifier = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced", random_state=RANDOM_STATE)
    return Pipeline([("features", features), ("classifier", classifier)])


def model_input(text: str, section: str = "") -> str:
    """The string the pipeline reads for one block."""
    return text


def fit_pipeline(blocks: Sequence[CorpusBlock]) -> Pipeline:
    pipeline = build_pipeline()
    pipeline.fit([model_input(b.text, b.section) for b in blocks], [b.label for b in blocks])
    return pipeline


def cross_validate(blocks: Sequence[CorpusBlock], *, folds: int = CV_FOLDS) -> dict[str, Any]:
    """Grouped k-fold scores: blocks of one written page never sit on both sides of a split."""
    texts = np.array([model_input(b.text, b.section) for b in blocks], dtype=object)
    labels = np.array([b.label for b in blocks])
    groups = np.array([b.page for b in blocks])
    predicted = np.empty(len(blocks), dtype=object)
    for train_index, test_index in GroupKFold(n_splits=folds).split(texts, labels, groups):
        pipeline = build_pipeline().fit(list(texts[train_index]), labels[train_index])
        predicted[test_index] = pipeline.predict(list(texts[test_index]))
    per_class = f1_score(labels, predicted, labels=list(CLASSES), average=None, zero_division=0)
    return {
        "folds": folds,
        "grouped_by": "page",
        "accuracy": round(float(np.mean(predicted == labels)), 4),
        "macro_f1": round(float(np.mean(per_class)), 4),
        "f1": {label: round(float(score), 4) for label, score in zip(CLASSES, per_class, strict=True)},
    }


def save_model(pipeline: Pipeline, directory: str | Path, *, blocks: Sequence[CorpusBlock], cv: dict[str, Any]) -> Path:
    """Write the model file and its manifest; returns the model file's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    joblib.dump(pipeline, path, compress=3)
    manifest = {
        "name": MODEL_NAME,
        "file": MODEL_FILE,
        "sha256": _sha256(path),
        "sklearn_version": sklearn.__version__,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "corpus": {
            "blocks": len(blocks),
            "pages": len({b.page for b in blocks}),
            "labels": dict(sorted(Counter(b.label for b in blocks).items())),
        },
        "pipeline": _describe(pipeline),
        "cross_validation": cv,
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class BlockModel:
    """A loaded, verified block classifier."""

    pipeline: Pipeline
    info: ModelInfo
    manifest: dict[str, Any]

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.pipeline.classes_)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities per block, columns in ``CLASSES`` order."""
        if not texts:
            return np.zeros((0, len(CLASSES)))
        probabilities = self.pipeline.predict_proba(list(texts))
        order = [self.classes.index(label) for label in CLASSES]
        return probabilities[:, order]


def default_model_dir() -> Path:
    """The shipped model: the installed ``analyzer.models`` package, else a checkout's models/."""
    try:
        return Path(str(resources.files("analyzer.models")))
    except ModuleNotFoundError:
        # Importing the package from a source checkout (pytest at the repo root puts it first on
        # sys.path) does not see the installed models package, but the folder is right there.
        return Path(__file__).resolve().parent.parent / "models"


def load_model(directory: str | Path | None = None) -> BlockModel:
    """Load and verify the model; cached per directory."""
    return _load_model(str(Path(directory).resolve()) if directory else str(default_model_dir()))


@lru_cache(maxsize=4)
def _load_model(directory: str) -> BlockModel:
    manifest_path = Path(directory) / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no model manifest at {manifest_path}; run `analyzer train`") from None
    except ValueError as exc:
        raise ModelError(f"unreadable model manifest {manifest_path}: {exc}") from None
    path = Path(directory) / manifest.get("file", MODEL_FILE)
    if not path.is_file():
        raise ModelError(f"model file {path} is missing; run `analyzer train`")
    digest = _sha256(path)
    if digest != manifest.get("sha256"):
        raise ModelError(
            f"refusing to load {path}: its sha256 {digest[:12]}… does not match the manifest's "
            f"{str(manifest.get('sha256'))[:12]}…; the file was altered or replaced"
        )
    if manifest.get("sklearn_version") != sklearn.__version__:
        logger.warning(
            "model trained with scikit-learn %s, running %s", manifest.get("sklearn_version"), sklearn.__version__
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        pipeline = joblib.load(path)
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{path} does not hold a scikit-learn Pipeline")
    return BlockModel(pipeline, ModelInfo(manifest.get("name", MODEL_NAME), digest), manifest)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(pipeline: Pipeline) -> dict[str, Any]:
    params = pipeline.get_params(deep=True)
    keep = ("ngram_range", "analyzer", "min_df", "sublinear_tf", "C", "class_weight", "max_iter")
    return {
        name: repr(value)
        for name, value in sorted(params.items())
        if "__" in name and name.rsplit("__", 1)[1] in keep
    }


def train(corpus_dir: str | Path, model_dir: str | Path, *, folds: int = CV_FOLDS) -> dict[str, Any]:
    """Cross-validate on the corpus, fit on all of it, save; returns the manifest written.

    Parameters
    ----------
    corpus_dir : folder of ``*.jsonl`` corpus files.
    model_dir : folder the model file and ``manifest.json`` are written to.
    folds : grouped cross-validation folds; 0 skips cross-validation.
    """
    blocks = read_corpus(corpus_dir)
    cv = cross_validate(blocks, folds=folds) if folds else {}
    save_model(fit_pipeline(blocks), model_dir, blocks=blocks, cv=cv)
    _load_model.cache_clear()
    return json.loads((Path(model_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
