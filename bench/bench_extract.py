"""Measure the extractor against trafilatura: quality on WCXB and on the labeled eval pages, and speed.

    python bench/bench_extract.py [--rounds 5] [--shared ../shared]

Prints, on ``shared/bench/wcxb-service`` (scored the benchmark's own way, see its README):
word F1, with-rate and leak (share of ``without`` snippets present) of
``analyzer.extract_text``, trafilatura and plain tag stripping; then pages per second of
``extract_text`` and ``trafilatura.extract`` over the same pages in this one process, in
CPU time: over all pages (median of ``--rounds`` passes), and at the median page (each
page's fastest pass), with the ratios; and ``extract_text`` given the pages as UTF-8 bytes,
as a caller holding the fetched bytes would pass them. On ``shared/eval/pages``: recall of the
labeled service names in the extracted blocks beside trafilatura's, and the share of
extracted characters that come from nav/header/footer/cookie elements.

trafilatura is a benchmark reference only (the ``bench`` extra), never a runtime dependency.
The scoring functions here are also what tests/test_extract_quality.py gates on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser

from analyzer.extract import extract_blocks, extract_text
from analyzer.markdown_input import is_markdown, markdown_to_html

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
WCXB = "bench/wcxb-service"
EVAL = "eval"

_WORD = re.compile(r"\w+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
# Page chrome whose characters should not reach the blocks (the list).
CHROME_SELECTOR = (
    "nav, header, footer, aside, [role=navigation], [role=banner], [role=contentinfo], "
    "[class*=cookie i], [id*=cookie i], [class*=consent i], [id*=consent i]"
)


@dataclass(frozen=True)
class WcxbPage:
    id: str
    html: str
    reference: str
    with_snippets: list[str]
    without_snippets: list[str]


@dataclass(frozen=True)
class WcxbScore:
    f1: float
    precision: float
    recall: float
    with_rate: float
    leak: float


def load_wcxb(root: Path) -> list[WcxbPage]:
    pages = []
    for path in sorted((root / "html").glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        truth = json.loads((root / "ground-truth" / f"{page_id}.json").read_text())["ground_truth"]
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        pages.append(
            WcxbPage(page_id, html, truth["main_content"], truth.get("with") or [], truth.get("without") or [])
        )
    return pages


def word_scores(predicted: str, reference: str) -> tuple[float, float, float]:
    """(F1, precision, recall) of lowercase \\w+ tokens, overlap as multiset intersection."""
    got = Counter(_WORD.findall(predicted.lower()))
    want = Counter(_WORD.findall(reference.lower()))
    overlap = sum((got & want).values())
    if not got or not want:
        return (1.0, 1.0, 1.0) if got == want else (0.0, 0.0, 0.0)
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return f1, precision, recall


def snippet_rate(snippets: Sequence[str], text: str) -> float | None:
    if not snippets:
        return None
    lowered = text.lower()
    return sum(snippet.lower() in lowered for snippet in snippets) / len(snippets)


def score_wcxb(pages: Sequence[WcxbPage], extract: Callable[[str], str | None]) -> WcxbScore:
    """The benchmark's scoring: per-page word F1 averaged, with-rate and leak averaged."""
    f1s, precisions, recalls, withs, leaks = [], [], [], [], []
    for page in pages:
        text = extract(page.html) or ""
        f1, precision, recall = word_scores(text, page.reference)
        f1s.append(f1)
        precisions.append(precision)
        recalls.append(recall)
        if (rate := snippet_rate(page.with_snippets, text)) is not None:
            withs.append(rate)
        if (rate := snippet_rate(page.without_snippets, text)) is not None:
            leaks.append(rate)
    mean = statistics.fmean
    return WcxbScore(mean(f1s), mean(precisions), mean(recalls), mean(withs), mean(leaks))


def strip_tags(html: str) -> str:
    """The naive baseline: all body text minus scripts, styles and page chrome."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript", "nav", "header", "footer", "aside"])
    return tree.body.text(separator=" ") if tree.body is not None else ""


Page = TypeVar("Page")


@dataclass(frozen=True)
class Speed:
    passes: list[float]  # pages per second over all pages, one figure per pass
    page_seconds: list[float]  # per page, the fastest of the passes

    @property
    def pages_per_second(self) -> float:
        return statistics.median(self.passes)

    @property
    def median_page_rate(self) -> float:
        return 1 / statistics.median(self.page_seconds)


def measure_speed(pages: Sequence[Page], extractors: Sequence[Callable[[Page], object]], rounds: int) -> list[Speed]:
    """Time each extractor over all pages, ``rounds`` times, in CPU seconds, after a warm-up.

    Passes alternate between the extractors so that both see the same machine load, and
    time is the process's CPU time: other work on a shared machine would otherwise slow
    the wall clock of whichever extractor it happens to overlap.
    """
    clock = time.process_time
    for extract in extractors:  # one untimed pass each: imports, caches and allocator warm up
        for html in pages:
            extract(html)
    passes: list[list[float]] = [[] for _ in extractors]
    page_times: list[list[float]] = [[float("inf")] * len(pages) for _ in extractors]
    for _ in range(rounds):
        for rates, best, extract in zip(passes, page_times, extractors, strict=True):
            total = 0.0
            for index, html in enumerate(pages):
                start = clock()
                extract(html)
                elapsed = clock() - start
                total += elapsed
                best[index] = min(best[index], elapsed)
            rates.append(len(pages) / max(total, 1e-9))
    return [Speed(rates, [max(t, 1e-9) for t in best]) for rates, best in zip(passes, page_times, strict=True)]


def fold(text: str) -> str:
    """Case, plural and punctuation folded, parenthetical remarks dropped, padded with spaces."""
    text = _PARENTHESES.sub(" ", text.lower()).replace("&", " and ")
    words = (w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in _NON_ALNUM.sub(" ", text).split())
    return f" {' '.join(words)} "


def visible_text(html: str) -> str:
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript", "template"])
    return tree.body.text(separator=" ") if tree.body is not None else ""


@dataclass(frozen=True)
class ServiceRecall:
    labels: int
    on_page: int
    ours_all: float
    ours_on_page: float
    reference_all: float
    reference_on_page: float


def service_recall(rows: Iterable[tuple[str, list[str]]], reference: Callable[[str], str | None]) -> ServiceRecall:
    """Share of labeled service names found in one extracted block (for trafilatura: one line).

    Labels are the annotators' words and many paraphrase the page; recall over the labels
    whose folded name appears anywhere in the page's visible text is what an extractor
    can be held to, and is the gated figure. Both are printed.
    """
    found = {"ours_all": 0, "ours_page": 0, "ref_all": 0, "ref_page": 0}
    labels = on_page = 0
    for html, services in rows:
        ours = [fold(block.text) for block in extract_blocks(html)]
        theirs = [fold(line) for line in (reference(html) or "").split("\n")]
        page = fold(visible_text(html))
        for service in services:
            name = fold(service)
            hit, ref_hit, visible = any(name in b for b in ours), any(name in b for b in theirs), name in page
            labels += 1
            on_page += visible
            found["ours_all"] += hit
            found["ref_all"] += ref_hit
            found["ours_page"] += hit and visible
            found["ref_page"] += ref_hit and visible
    return ServiceRecall(
        labels, on_page, found["ours_all"] / labels, found["ours_page"] / on_page,
        found["ref_all"] / labels, found["ref_page"] / on_page,
    )


def load_eval(root: Path) -> list[tuple[str, list[str]]]:
    rows = []
    for line in (root / "pages.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            html = (root / "pages" / row["file"]).read_text(encoding="utf-8", errors="replace")
            rows.append((html, list(row.get("services", []))))
    return rows


def chrome_share(pages: Iterable[str]) -> float:
    """Share of extracted characters that come from nav/header/footer/aside/cookie elements.

    Blocks of the page as it is, less the blocks of the page with those elements removed,
    are the blocks the chrome contributed (a hero <h1> kept from a <header> counts too).
    """
    total = chrome = 0
    for page in pages:
        html = markdown_to_html(page) if is_markdown(page) else page  # the page a Markdown file publishes
        kept = Counter(block.text for block in extract_blocks(html))
        tree = LexborHTMLParser(html)
        for node in tree.css(CHROME_SELECTOR):
            node.decompose()
        without = Counter(block.text for block in extract_blocks(tree.html or ""))
        total += sum(len(text) * n for text, n in kept.items())
        chrome += sum(len(text) * n for text, n in (kept - without).items())
    return chrome / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the pages (median is printed)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared/ folder beside the clone")
    args = parser.parse_args()
    import trafilatura  # the bench extra; imported here so the scoring above needs only the package

    def reference(html: str) -> str | None:
        return trafilatura.extract(html)

    pages = load_wcxb(args.shared / WCXB)
    print(f"WCXB service pages: {len(pages)}")
    for name, extract in (("analyzer.extract_text", extract_text), ("trafilatura.extract", reference), ("tag stripping", strip_tags)):
        s = score_wcxb(pages, extract)
        print(f"  {name:22} F1 {s.f1:.3f}  precision {s.precision:.3f}  recall {s.recall:.3f}  with {s.with_rate:.3f}  leak {s.leak:.3f}")
    html = [page.html for page in pages]
    ours, theirs = measure_speed(html, [extract_text, reference], args.rounds)
    print(f"  speed in CPU time, {args.rounds} alternating passes over the {len(html)} pages:")
    ratios = [a / b for a, b in zip(ours.passes, theirs.passes, strict=True)]
    print(f"    pages/s over all pages (median of passes): extract_text {ours.pages_per_second:.0f}, "
          f"trafilatura {theirs.pages_per_second:.1f}; ratio, median of the paired passes: "
          f"{statistics.median(ratios):.1f}x ({', '.join(f'{r:.1f}' for r in ratios)})")
    print(f"    pages/s at the median page: extract_text {ours.median_page_rate:.0f}, "
          f"trafilatura {theirs.median_page_rate:.1f}, ratio {ours.median_page_rate / theirs.median_page_rate:.1f}x")
    raw = [text.encode("utf-8") for text in html]
    as_text, as_bytes = measure_speed(
        range(len(html)), [lambda i: extract_text(html[i]), lambda i: extract_text(raw[i])], args.rounds
    )
    print(f"    extract_text given each page's UTF-8 bytes instead of str (no decoding and re-encoding), "
          f"paired passes: {as_bytes.pages_per_second:.0f} against {as_text.pages_per_second:.0f} pages/s, "
          f"{statistics.median(b / t for b, t in zip(as_bytes.passes, as_text.passes, strict=True)):.2f}x")

    rows = load_eval(args.shared / EVAL)
    recall = service_recall(rows, reference)
    print(f"Eval pages: {len(rows)}, labeled services {recall.labels}, found on the page {recall.on_page}")
    print(f"  service recall, names on the page: extract_blocks {recall.ours_on_page:.3f}  trafilatura {recall.reference_on_page:.3f}")
    print(f"  service recall, all labels:        extract_blocks {recall.ours_all:.3f}  trafilatura {recall.reference_all:.3f}")
    print(f"  share of extracted characters from nav/header/footer/aside/cookie elements: {chrome_share(h for h, _ in rows):.3f}")


if __name__ == "__main__":
    main()
