"""The classifier: TF-IDF + linear scikit-learn Pipelines trained on corpus/.

Two Pipelines are trained and saved together:

- the block pipeline labels each offering block BPO, KPO, LPO, ITO or none, reading the
  block's text and, apart, the heading it sits under: a bare "Implementation" or "Statutory
  analysis" means what its section means;
- the page pipeline says whether a page's text, read whole, is an outsourcing vendor's
  offer at all. Product pages, course catalogues and airline fare rules are full of
  blocks that read like offerings one at a time ("Payroll and benefits management" is a
  SaaS feature there); the page pipeline is what keeps them out of the mix.

A block longer than nearly all the corpus's blocks (a paragraph of prose that names an
offering in one of its sentences) is also read sentence by sentence, and its strongest
sentence speaks for it when that sentence is surer than the whole: TF-IDF of the whole
paragraph dilutes the one sentence that says what is sold (``read_long_blocks``).

A block is then read in its page's context: its label probabilities are reweighted towards
the labels its page leans to as a whole (``in_page_context``). A bare "Reporting &
analysis" on a medical billing page is part of the billing service, though alone it reads
as research.

The context weight and both thresholds (the block probability that makes a block an
offering, and the page probability that makes a page a vendor's) are chosen together by
grouped cross-validation on the corpus at training time and stored in the model file. The
file is saved with joblib next to a manifest (scikit-learn version, sha256 of the file,
training date, corpus size, cross-validated scores); loading checks the hash before
unpickling, because a joblib file executes code when loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from itertools import groupby
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from .corpus import CorpusBlock, read_corpus
from .errors import ModelError
from .report import ModelInfo
from .taxonomy import CLASSES, LABELS, NONE

logger = logging.getLogger(__name__)

MODEL_NAME = "block-tfidf-logreg+page-gate"
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
RANDOM_STATE = 0
CV_FOLDS = 5
TOKEN_PATTERN = r"(?u)\b\w[\w&/+-]*\b"
# Hashed features keep the model file small and its loading fast (no vocabulary to unpickle);
# 2**18 buckets per feature family left cross-validated macro-F1 within 0.005 of an exact vocabulary.
HASH_BUCKETS = 2**18
# Between a block's text and its section heading in the one string the block pipeline reads:
# the ASCII unit separator, which no extracted text contains.
SECTION_MARK = "\x1f"
BLOCK_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.40, 0.951, 0.05))
VENDOR_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.20, 0.801, 0.05))
CONTEXT_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
# The columns of the four labels (not none) in a probabilities array in CLASSES order.
_LABEL_COLUMNS = [CLASSES.index(label) for label in LABELS]
# A block is long, and read sentence by sentence too, when it has more words than this share
# of the corpus's blocks: beyond it the model reads text unlike what it was trained on.
LONG_BLOCK_PERCENTILE = 99
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SENTENCE_MIN_WORDS = 4


def _tfidf(
    analyzer: str | Callable[[str], list[str]], ngram_range: tuple[int, int] = (1, 1), stop_words: str | None = None
) -> Pipeline:
    hashing = HashingVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        token_pattern=TOKEN_PATTERN if analyzer == "word" else None,
        stop_words=stop_words,
        alternate_sign=False,
        norm=None,
        n_features=HASH_BUCKETS,
    )
    return Pipeline([("hash", hashing), ("tfidf", TfidfTransformer(sublinear_tf=True))])


def build_block_pipeline() -> Pipeline:
    """Untrained block classifier: word 1-2-grams of a block's text and the words of its section.

    Grouped CV on the corpus chose these: the section's words, kept apart from the text's,
    added 0.02-0.03 block macro-F1 (a bare "Implementation" means what its section means);
    character 3-5-grams added 0.01 but took the time to classify a page from about 3 ms to
    6 ms and training five times as long.
    """
    classifier = LogisticRegression(C=3.0, max_iter=3000, class_weight="balanced", random_state=RANDOM_STATE)
    return Pipeline([("features", _tfidf(block_terms)), ("classifier", classifier)])


def block_documents(texts: Sequence[str], sections: Sequence[str] | None = None) -> np.ndarray:
    """The block pipeline's input: each block's text, then SECTION_MARK and the heading it sits under."""
    sections = sections if sections is not None else [""] * len(texts)
    return np.array([f"{text}{SECTION_MARK}{section}" for text, section in zip(texts, sections, strict=True)], dtype=object)


_text_terms = HashingVectorizer(ngram_range=(1, 2), token_pattern=TOKEN_PATTERN).build_analyzer()
_section_words = HashingVectorizer(token_pattern=TOKEN_PATTERN).build_analyzer()


def block_terms(document: str) -> list[str]:
    """The terms of one block: its text's word 1-2-grams, and its section's words marked apart."""
    text, _, section = document.partition(SECTION_MARK)
    return [*_text_terms(text), *(f"section:{word}" for word in _section_words(section))]


def build_page_pipeline() -> Pipeline:
    """Untrained page classifier: is this page, read whole, a vendor offering outsourced work?

    It reads content words only (English stop words dropped before the 1-2-grams). With them,
    the gate learnt the corpus writers' style: explainer prose ("this is", "if you") against
    list-like vendor copy, and it turned away real vendors that explain their work at length.
    Without them, grouped CV on the corpus (18.5k blocks) fell a little (gate AUC 0.991 to 0.984), while
    on both measuring sets of real pages the gate's AUC rose (eval 0.936 to 0.970, WCXB 0.916
    to 0.957); the real pages decided, as the issue allows.
    """
    classifier = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced", random_state=RANDOM_STATE)
    return Pipeline([("features", _tfidf("word", (1, 2), stop_words="english")), ("classifier", classifier)])


@dataclass(frozen=True)
class Corpus:
    """The corpus as arrays: blocks, and pages made of their blocks' text."""

    texts: list[str]
    sections: list[str]
    labels: np.ndarray
    groups: np.ndarray
    page_ids: list[str]
    page_texts: list[str]
    page_is_vendor: np.ndarray

    @cached_property  # read by cross-validation and again for the model file
    def long_block_words(self) -> int:
        """The word count past which a block is long (``LONG_BLOCK_PERCENTILE``)."""
        return int(np.percentile([len(text.split()) for text in self.texts], LONG_BLOCK_PERCENTILE))

    @classmethod
    def of(cls, blocks: Sequence[CorpusBlock]) -> Corpus:
        pages: dict[str, list[CorpusBlock]] = {}
        for block in blocks:
            pages.setdefault(block.page, []).append(block)
        page_ids = list(pages)
        return cls(
            texts=[b.text for b in blocks],
            sections=[b.section or "" for b in blocks],
            labels=np.array([b.label for b in blocks]),
            groups=np.array([b.page for b in blocks]),
            page_ids=page_ids,
            page_texts=[page_text(b.text for b in pages[p]) for p in page_ids],
            page_is_vendor=np.array([any(b.label != NONE for b in pages[p]) for p in page_ids]),
        )


def page_text(texts: Any) -> str:
    """What the page pipeline reads: the page's blocks, one per line."""
    return "\n".join(texts)


def cross_validate(corpus: Corpus, *, folds: int = CV_FOLDS) -> dict[str, Any]:
    """Grouped k-fold: blocks of one written page never sit on both sides of a split.

    Returns the scores, and the page-context weight and two thresholds that maximise them on
    the held-out folds.
    """
    rows = block_documents(corpus.texts, corpus.sections)
    long_block_words = corpus.long_block_words
    block_probabilities = np.zeros((len(corpus.texts), len(CLASSES)))
    page_fold = {}
    splitter = GroupKFold(n_splits=folds)
    for fold, (train_index, test_index) in enumerate(splitter.split(rows, corpus.labels, corpus.groups)):
        pipeline = build_block_pipeline().fit(rows[train_index], corpus.labels[train_index])
        block_probabilities[test_index] = read_long_blocks(
            pipeline, [corpus.texts[i] for i in test_index], [corpus.sections[i] for i in test_index], long_block_words
        )
        page_fold.update({corpus.groups[i]: fold for i in test_index})
    vendor_probabilities = np.zeros(len(corpus.page_ids))
    fold_of_page = np.array([page_fold[p] for p in corpus.page_ids])
    for fold in range(folds):
        train, test = fold_of_page != fold, fold_of_page == fold
        pipeline = build_page_pipeline().fit(
            [t for t, keep in zip(corpus.page_texts, train, strict=True) if keep], corpus.page_is_vendor[train]
        )
        vendor_probabilities[test] = pipeline.predict_proba([t for t, keep in zip(corpus.page_texts, test, strict=True) if keep])[:, 1]

    predicted = np.array(CLASSES)[block_probabilities.argmax(axis=1)]
    per_class = f1_score(corpus.labels, predicted, labels=list(CLASSES), average=None, zero_division=0)
    page_scores = _best_thresholds(corpus, block_probabilities, vendor_probabilities)
    return {
        "folds": folds,
        "grouped_by": "page",
        "blocks": {
            "accuracy": round(float(np.mean(predicted == corpus.labels)), 4),
            "macro_f1": round(float(np.mean(per_class)), 4),
            "f1": {label: round(float(score), 4) for label, score in zip(CLASSES, per_class, strict=True)},
        },
        "pages": page_scores,
        "vendor_accuracy": page_scores["vendor_accuracy"],
        "block_threshold": page_scores["block_threshold"],
        "vendor_threshold": page_scores["vendor_threshold"],
        "context_weight": page_scores["context_weight"],
    }


def _best_thresholds(corpus: Corpus, block_probabilities: np.ndarray, vendor_probabilities: np.ndarray) -> dict[str, Any]:
    """The context weight and thresholds that maximise offered macro-F1 plus vendor accuracy over corpus pages.

    The three are chosen together because they decide together: a page is a vendor's only when
    the page pipeline passes it and at least one of its blocks, read in context, clears the
    block threshold.
    """
    page_of_block = _page_index(corpus)
    best: tuple[float, dict[str, Any]] | None = None
    for context_weight in CONTEXT_WEIGHTS:
        in_context = in_page_context(block_probabilities, context_weight, page_of_block)
        for vendor_threshold in VENDOR_THRESHOLDS:
            passed = vendor_probabilities >= vendor_threshold
            for block_threshold in BLOCK_THRESHOLDS:
                scores = _page_scores(corpus, page_of_block, in_context, passed, block_threshold)
                objective = scores["macro_f1"] + scores["vendor_accuracy"]
                if best is None or objective > best[0]:
                    best = (objective, {**scores, "vendor_threshold": vendor_threshold, "context_weight": context_weight})
    assert best is not None
    return best[1]


def _page_index(corpus: Corpus) -> np.ndarray:
    position = {page: i for i, page in enumerate(corpus.page_ids)}
    return np.array([position[page] for page in corpus.groups])


def _page_scores(
    corpus: Corpus, page_of_block: np.ndarray, probabilities: np.ndarray, passed: np.ndarray, threshold: float
) -> dict[str, Any]:
    pages = len(corpus.page_ids)
    decided = np.array(decide_labels(probabilities, threshold))
    f1 = {}
    any_offered = np.zeros(pages, dtype=bool)
    for label in LABELS:
        expected = np.bincount(page_of_block, weights=corpus.labels == label, minlength=pages) > 0
        offered = (np.bincount(page_of_block, weights=decided == label, minlength=pages) > 0) & passed
        any_offered |= offered
        f1[label] = round(float(f1_score(expected, offered, zero_division=1.0)), 4)
    return {
        "block_threshold": threshold,
        "macro_f1": round(float(np.mean(list(f1.values()))), 4),
        "f1": f1,
        "vendor_accuracy": round(float(np.mean(any_offered == corpus.page_is_vendor)), 4),
    }


def in_page_context(probabilities: np.ndarray, weight: float, page_of_block: np.ndarray | None = None) -> np.ndarray:
    """Block probabilities reweighted towards the labels their page leans to.

    A page leans to each label by the sum of its blocks' probabilities of that label. Each
    block's label probabilities are multiplied by the page's lean raised to ``weight`` and
    rescaled to their old total, so the chance that the block is an offering at all is kept
    and only which label it is moves. ``weight`` 0 leaves the probabilities as they are.
    ``page_of_block`` numbers each block's page; without it all blocks are one page.
    """
    if weight == 0 or not len(probabilities):
        return probabilities
    page_of_block = page_of_block if page_of_block is not None else np.zeros(len(probabilities), dtype=np.intp)
    offering = probabilities[:, _LABEL_COLUMNS]
    lean = np.zeros((int(page_of_block.max()) + 1, len(LABELS)))
    np.add.at(lean, page_of_block, offering)
    lean /= np.maximum(lean.sum(axis=1, keepdims=True), np.finfo(float).tiny)
    reweighted = offering * lean[page_of_block] ** weight
    totals = reweighted.sum(axis=1, keepdims=True)
    reweighted *= np.divide(offering.sum(axis=1, keepdims=True), totals, out=np.zeros_like(totals), where=totals > 0)
    result = probabilities.copy()
    result[:, _LABEL_COLUMNS] = reweighted
    return result


def read_long_blocks(pipeline: Pipeline, texts: Sequence[str], sections: Sequence[str], long_block_words: int) -> np.ndarray:
    """The block pipeline's probabilities, each long block read by its strongest sentence too.

    A block of more than ``long_block_words`` words with two or more sentences (of at least
    SENTENCE_MIN_WORDS words) takes the probabilities of its sentence most sure of a label,
    read under the block's section, when that sentence is surer of a label than the block.
    """
    sentences: list[str] = []
    owners: list[int] = []
    for index, text in enumerate(texts):
        if len(text.split()) > long_block_words:
            parts = [part for part in _SENTENCE_END.split(text) if len(part.split()) >= SENTENCE_MIN_WORDS]
            if len(parts) >= 2:
                sentences += parts
                owners += [index] * len(parts)
    # One pipeline call for blocks and sentences: its fixed cost is most of a short page's time.
    documents = block_documents([*texts, *sentences], [*sections, *(sections[owner] for owner in owners)])
    probabilities, by_sentence = np.split(_ordered(pipeline, documents), [len(texts)])
    if not sentences:
        return probabilities
    surest = by_sentence[:, _LABEL_COLUMNS].max(axis=1)
    for owner, rows in groupby(range(len(owners)), key=owners.__getitem__):
        best = max(rows, key=surest.__getitem__)
        if surest[best] > probabilities[owner, _LABEL_COLUMNS].max():
            probabilities[owner] = by_sentence[best]
    return probabilities


def decide_labels(probabilities: np.ndarray, threshold: float) -> list[str]:
    """Each block's label: its most likely class when that class is a label at ``threshold`` or above."""
    if not len(probabilities):
        return []
    best = probabilities.argmax(axis=1)
    kept = (probabilities[np.arange(len(best)), best] >= threshold) & (best != CLASSES.index(NONE))
    labels: list[str] = np.where(kept, np.array(CLASSES)[best], NONE).tolist()
    return labels


def _ordered(pipeline: Pipeline, rows: np.ndarray) -> np.ndarray:
    order = [list(pipeline.classes_).index(label) for label in CLASSES]
    return np.asarray(pipeline.predict_proba(rows))[:, order]


def save_model(artifact: dict[str, Any], directory: str | Path, *, corpus_blocks: Sequence[CorpusBlock], cv: dict[str, Any]) -> Path:
    """Write the model file and its manifest; returns the model file's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    for name in ("block_pipeline", "page_pipeline"):
        _drop_process_state(artifact[name])
    joblib.dump(artifact, path, compress=3)
    manifest = {
        "name": MODEL_NAME,
        "file": MODEL_FILE,
        "sha256": _sha256(path),
        "sklearn_version": sklearn.__version__,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "corpus": {
            "blocks": len(corpus_blocks),
            "pages": len({b.page for b in corpus_blocks}),
            "labels": dict(sorted(Counter(b.label for b in corpus_blocks).items())),
        },
        "block_threshold": artifact["block_threshold"],
        "vendor_threshold": artifact["vendor_threshold"],
        "context_weight": artifact["context_weight"],
        "long_block_words": artifact["long_block_words"],
        "pipelines": {name: _describe(artifact[name]) for name in ("block_pipeline", "page_pipeline")},
        "cross_validation": cv,
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _drop_process_state(estimator: Any) -> None:
    """Remove caches keyed on memory addresses, so the same corpus saves to the same bytes.

    scikit-learn's vectorizers remember ``id(stop_words)`` after a transform; the number
    differs in every process and would make two trainings' files differ.
    """
    vars(estimator).pop("_stop_words_id", None)
    for _, step in getattr(estimator, "steps", []):
        _drop_process_state(step)


def train(corpus_dir: str | Path, model_dir: str | Path, *, folds: int = CV_FOLDS) -> dict[str, Any]:
    """Cross-validate on the corpus, fit on all of it, save; returns the manifest written.

    Parameters
    ----------
    corpus_dir : folder of ``*.jsonl`` corpus files.
    model_dir : folder the model file and ``manifest.json`` are written to.
    folds : grouped cross-validation folds (at least 2); they also choose the thresholds.
    """
    blocks = read_corpus(corpus_dir)
    corpus = Corpus.of(blocks)
    # One BLAS thread: multi-threaded reductions may sum in another order and change the
    # last bits of the coefficients, and with them the file's bytes.
    with threadpool_limits(limits=1):
        cv = cross_validate(corpus, folds=folds)
        artifact = {
            "block_pipeline": build_block_pipeline().fit(block_documents(corpus.texts, corpus.sections), corpus.labels),
            "page_pipeline": build_page_pipeline().fit(corpus.page_texts, corpus.page_is_vendor),
            "block_threshold": cv["block_threshold"],
            "vendor_threshold": cv["vendor_threshold"],
            "context_weight": cv["context_weight"],
            "long_block_words": corpus.long_block_words,
        }
    save_model(artifact, model_dir, corpus_blocks=blocks, cv=cv)
    _load_model.cache_clear()
    manifest: dict[str, Any] = json.loads((Path(model_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
    return manifest


@dataclass(frozen=True)
class BlockModel:
    """A loaded, verified model: block probabilities, the vendor gate, the page-context weight and the thresholds."""

    block_pipeline: Pipeline
    page_pipeline: Pipeline
    block_threshold: float
    vendor_threshold: float
    context_weight: float
    long_block_words: int
    info: ModelInfo
    manifest: dict[str, Any]

    def predict_proba(self, texts: Sequence[str], sections: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities per block, columns in ``CLASSES`` order; ``sections`` are the headings the
        blocks sit under. A long block is read by its strongest sentence too (``read_long_blocks``)."""
        if not texts:
            return np.zeros((0, len(CLASSES)))
        sections = sections if sections is not None else [""] * len(texts)
        with _trusted_input():
            return read_long_blocks(self.block_pipeline, texts, sections, self.long_block_words)

    def page_probabilities(
        self, texts: Sequence[str], sections: Sequence[str] | None = None, pages: Sequence[str | None] | None = None
    ) -> np.ndarray:
        """Probabilities of blocks read in their page's context (``in_page_context``).

        ``pages`` names each block's page (its URL); without it the blocks are one page.
        """
        page_of_block = None
        if pages is not None:
            numbers: dict[str | None, int] = {}
            page_of_block = np.array([numbers.setdefault(page, len(numbers)) for page in pages], dtype=np.intp)
        return in_page_context(self.predict_proba(texts, sections), self.context_weight, page_of_block)

    def vendor_probability(self, texts: Sequence[str]) -> float:
        """How likely the page made of these blocks is a vendor offering outsourced work."""
        if not texts:
            return 0.0
        with _trusted_input():
            return float(self.page_pipeline.predict_proba([page_text(texts)])[0, 1])


def _trusted_input() -> AbstractContextManager[None]:
    """Skip scikit-learn's per-call checks: the pipelines are ours and TF-IDF of text is always finite.

    The checks cost about as much as the prediction itself on one page's blocks.
    """
    context: AbstractContextManager[None] = sklearn.config_context(skip_parameter_validation=True, assume_finite=True)
    return context


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
            "model trained with scikit-learn %s, running %s; retrain with `analyzer train` if results look off",
            manifest.get("sklearn_version"), sklearn.__version__,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        artifact = joblib.load(path)
    if not isinstance(artifact, dict) or not all(
        isinstance(artifact.get(name), Pipeline) for name in ("block_pipeline", "page_pipeline")
    ):
        raise ModelError(f"{path} does not hold the analyzer's two scikit-learn Pipelines")
    return BlockModel(
        artifact["block_pipeline"],
        artifact["page_pipeline"],
        float(artifact["block_threshold"]),
        float(artifact["vendor_threshold"]),
        float(artifact.get("context_weight", 0.0)),
        int(artifact.get("long_block_words", np.iinfo(np.int32).max)),
        ModelInfo(manifest.get("name", MODEL_NAME), digest),
        manifest,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(pipeline: Pipeline) -> dict[str, str]:
    params = pipeline.get_params(deep=True)
    keep = ("ngram_range", "analyzer", "n_features", "stop_words", "sublinear_tf", "C", "class_weight")
    return {
        name: f"{value.__module__}.{value.__qualname__}" if callable(value) else repr(value)
        for name, value in sorted(params.items())
        if "__" in name and name.rsplit("__", 1)[1] in keep
    }
