"""The ``analyzer`` command: a thin layer that parses, builds Settings, calls the library, renders."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from . import render
from .batch import DEFAULT_PARTITION_SIZE, BatchOptions, count_urls, run_batch
from .batch_output import FORMATS as BATCH_FORMATS
from .config import DEFAULT_CONCURRENCY, DEFAULT_MAX_PAGES, DEFAULT_PER_HOST, DEFAULT_TIMEOUT, Settings
from .errors import AnalyzerError
from .evaluate import evaluate, keyword_predictor, model_predictor, read_labeled
from .extract import extract_blocks, extract_text
from .html_report import DEFAULT_TITLE, read_results, write_html
from .markdown_input import is_markdown, looks_like_html
from .model import load_model, train
from .progress import make_progress, summary_text
from .report import ErrorInfo, Report
from .scanner import classify_html, classify_text, fetch_page, scan
from .version import __version__

FORMATS = ("text", "json", "md")
# What to try next, by error kind, told on stderr after a failed scan's report.
RETRY_HINTS = {
    "tls": "--insecure reads a site whose certificate does not verify",
    "robots": "--ignore-robots reads a site whose robots.txt refuses this tool",
    "private_address": "--allow-private reads a site on a private or loopback address",
}


def _retry_hint(error: ErrorInfo | None) -> str | None:
    """The option that would read the site anyway, if one would: ``--insecure`` mends a
    certificate that does not verify, not a TLS handshake that fails."""
    if error is None or (error.kind == "tls" and "certificate" not in error.message):
        return None
    return RETRY_HINTS.get(error.kind)


def _scan_options(function: Any) -> Any:
    for option in reversed(
        [
            click.option("--allow-private", is_flag=True, help="Allow loopback, private and link-local addresses."),
            click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt."),
            click.option("--insecure", is_flag=True,
                         help="Read HTTPS sites whose certificate does not verify (expired, self-signed)."),
            click.option("--max-pages", type=click.IntRange(min=1), default=DEFAULT_MAX_PAGES, show_default=True,
                         help="Most pages fetched per site."),
            click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
                         help="Seconds per request."),
            click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None,
                         help="Model folder (default: the shipped model)."),
        ]
    ):
        function = option(function)
    return function


def _settings(allow_private: bool, ignore_robots: bool, insecure: bool, max_pages: int, timeout: float,
              model_dir: str | None, **extra: Any) -> Settings:
    return Settings(allow_private=allow_private, obey_robots=not ignore_robots, verify_tls=not insecure,
                    max_pages=max_pages, timeout=timeout, model_path=model_dir, **extra)


def _output_format(as_json: bool, output_format: str) -> str:
    return "json" if as_json else output_format


def _render(report: Report, output_format: str) -> str:
    if output_format == "json":
        return render.render_json(report) + "\n"
    if output_format == "md":
        return render.render_markdown(report)
    # Styled always, unless NO_COLOR is set; click.echo drops the codes when stdout is no terminal.
    width = shutil.get_terminal_size().columns
    return render.render_text(report, width=width, color=not os.environ.get("NO_COLOR"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="analyzer")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Tell what an outsourcing vendor really sells: BPO, KPO, LPO and ITO, with evidence."""
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command("scan")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@_scan_options
def scan_command(url: str, as_json: bool, output_format: str, **options: Any) -> None:
    """Scan a vendor's site: find its services pages and label what it sells.

    Exits 1 when the site could not be scanned (the report says why).
    """
    report = scan(url, settings=_settings(**options))
    click.echo(_render(report, _output_format(as_json, output_format)), nl=False)
    if not report.ok:
        hint = _retry_hint(report.error)
        if hint:
            click.echo(f"hint: {hint}", err=True)
        sys.exit(1)


@cli.command("classify")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--text", "is_text", is_flag=True, help="Treat the input as plain text, not HTML.")
@click.option("--url", default=None, help="The page's URL, recorded in the report.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None,
              help="Model folder (default: the shipped model).")
def classify_command(file: Any, as_json: bool, output_format: str, is_text: bool, url: str | None,
                     model_dir: str | None) -> None:
    """Classify a saved HTML, Markdown or text file (- for stdin), with no network.

    Exits 1 when the page could not be classified (the report says why).
    """
    data = file.read()
    model = load_model(model_dir)
    text = data.decode("utf-8", errors="replace")
    if is_text or not (looks_like_html(text) or is_markdown(text)):
        report = classify_text(text, model=model)
    else:
        report = classify_html(text, url=url or _file_url(file), model=model)
    click.echo(_render(report, _output_format(as_json, output_format)), nl=False)
    if not report.ok:
        sys.exit(1)


@cli.command("batch")
@click.argument("urls", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", default="-", show_default=True, help="Output file; - for stdout.")
@click.option("--format", "output_format", type=click.Choice(BATCH_FORMATS), default="jsonl", show_default=True,
              help="JSON lines (one report per line) or CSV (the report flattened to columns).")
@click.option("--resume", is_flag=True, help="Skip URLs already in the output file and append the rest.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--concurrency", type=click.IntRange(min=1), default=DEFAULT_CONCURRENCY, show_default=True,
              help="Sites scanned at once (per Dask partition with --dask).")
@click.option("--per-host", type=click.IntRange(min=1), default=DEFAULT_PER_HOST, show_default=True,
              help="Requests at once to one host.")
@click.option("--dask", "dask_address", envvar="DASK_SCHEDULER_ADDRESS", default=None, metavar="ADDRESS",
              help="Run on the Dask cluster whose scheduler is at ADDRESS (default: $DASK_SCHEDULER_ADDRESS).")
@click.option("--partition-size", type=click.IntRange(min=1), default=DEFAULT_PARTITION_SIZE, show_default=True,
              help="URLs per Dask task.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local processes sharing the scans (one core each); --concurrency is their total.")
@_scan_options
def batch_command(urls: str, output: str, output_format: str, resume: bool, overwrite: bool, concurrency: int,
                  per_host: int, dask_address: str | None, partition_size: int, workers: int, **options: Any) -> None:
    """Scan a list of URLs (one a line, # comments; - for stdin), writing one row per URL as each finishes.

    An existing output file is continued with --resume or replaced with --overwrite, never mixed
    with a new run. Progress and a closing summary go to stderr. Ctrl-C stops cleanly (exit 130);
    --resume then finishes the list.
    """
    batch = BatchOptions(output=output, output_format=output_format, resume=resume, overwrite=overwrite,
                         dask_address=dask_address, partition_size=partition_size, workers=workers)
    settings = _settings(concurrency=concurrency, per_host=per_host, **options)
    total = None
    if urls != "-":
        with click.open_file(urls, encoding="utf-8", errors="replace") as lines:
            total = count_urls(lines)
    progress = make_progress(click.get_text_stream("stderr"), total)
    try:
        with click.open_file(urls, encoding="utf-8", errors="replace") as lines:
            summary = run_batch(lines, batch, settings=settings, progress=progress)
    finally:
        progress.close()
    click.echo(summary_text(summary), err=True, nl=False)
    if summary.interrupted:
        sys.exit(130)


@cli.command("report")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: stdout).")
@click.option("--format", "output_format", type=click.Choice(("html", "md")), default=None,
              help="Output format  [default: md for a .md output, else html]")
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="The page's title.")
def report_command(results: str, output: str, output_format: str | None, title: str) -> None:
    """Turn batch results (JSON lines) into one HTML page, or Markdown for a memo.

    The HTML page is self-contained (it opens with no network): a sortable table of vendors
    with a stacked bar of each one's mix, filters by primary label and by claim/offer
    mismatch, and each vendor's evidence on demand. The output file is replaced only once
    the whole report is written.
    """
    output_format = output_format or ("md" if output.lower().endswith((".md", ".markdown")) else "html")
    name = "stdin" if results == "-" else Path(results).name
    with click.open_file(results, "r", encoding="utf-8", errors="replace") as lines, _replaced_on_success(output) as out:
        count = _write_report(read_results(lines, name=name), out, output_format, title, name)
    click.echo(f"{count} vendor{'s' if count != 1 else ''} -> {'stdout' if output == '-' else output}", err=True)


def _write_report(reports: Iterable[Report], out: IO[str], output_format: str, title: str, source: str) -> int:
    if output_format == "html":
        return write_html(reports, out, title=title, source=source)
    out.write(f"# {title}\n\n")
    count = 0
    for report in reports:
        out.write(render.render_markdown(report) + "\n")
        count += 1
    return count


@contextlib.contextmanager
def _replaced_on_success(path: str) -> Iterator[IO[str]]:
    """A file to write ``path`` through, which replaces ``path`` only if the block completes."""
    if path == "-":
        yield sys.stdout
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; the report need not be
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@cli.command("train")
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False), default="corpus",
              show_default=True, help="Folder of corpus *.jsonl files.")
@click.option("--out", "model_dir", type=click.Path(file_okay=False), default="models", show_default=True,
              help="Folder to write the model and manifest to.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="Grouped cross-validation folds; they also choose the decision thresholds.")
def train_command(corpus_dir: str, model_dir: str, folds: int) -> None:
    """Train the classifier on the corpus and save it with its manifest."""
    manifest = train(corpus_dir, model_dir, folds=folds)
    corpus, cv = manifest["corpus"], manifest["cross_validation"]
    click.echo(f"trained on {corpus['blocks']} blocks from {corpus['pages']} pages: {corpus['labels']}")
    click.echo(f"cross-validated, {cv['folds']} folds grouped by page:")
    click.echo(f"  blocks   macro-F1 {cv['blocks']['macro_f1']:.3f}  " + _scores(cv["blocks"]["f1"]))
    click.echo(f"  offered  macro-F1 {cv['pages']['macro_f1']:.3f}  " + _scores(cv["pages"]["f1"])
               + f"  (block threshold {cv['block_threshold']}, page-context weight {cv['context_weight']})")
    click.echo(f"  vendor   accuracy {cv['vendor_accuracy']:.3f}  (page threshold {cv['vendor_threshold']})")
    click.echo(f"wrote {Path(model_dir) / manifest['file']}  sha256 {manifest['sha256']}")


def _scores(by_label: dict[str, float]) -> str:
    return "  ".join(f"{label} {score:.3f}" for label, score in by_label.items())


@cli.command("evaluate")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.argument("pages_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--baseline", is_flag=True, help="Also score the keyword baseline.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None,
              help="Model folder (default: the shipped model).")
def evaluate_command(labels: str, pages_dir: str, baseline: bool, as_json: bool, model_dir: str | None) -> None:
    """Score the model on a labeled folder of saved pages (the format of pages.jsonl)."""
    pages = read_labeled(labels, pages_dir)
    results = {"model": evaluate(pages, model_predictor(load_model(model_dir)))}
    if baseline:
        results["keyword baseline"] = evaluate(pages, keyword_predictor)
    if as_json:
        click.echo(json.dumps({name: scores.to_dict() for name, scores in results.items()}, indent=2))
        return
    for name, scores in results.items():
        f1 = "  ".join(f"{label} {value:.3f}" for label, value in scores.f1.items())
        click.echo(f"{name} on {scores.pages} pages")
        click.echo(f"  F1            {f1}")
        click.echo(f"  macro-F1      {scores.macro_f1:.3f}")
        click.echo(f"  primary acc.  {scores.primary_accuracy:.3f}")
        click.echo(f"  mix error     {scores.mix_error:.3f}")
        click.echo(f"  vendor acc.   {scores.vendor_accuracy:.3f}")


@cli.command("extract")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the offering blocks as JSON lines.")
@_scan_options
def extract_command(source: str, as_json: bool, **options: Any) -> None:
    """Print the cleaned text of a page (a file, - for stdin, or a URL): what the model reads."""
    if source == "-":
        html, url = sys.stdin.buffer.read().decode("utf-8", errors="replace"), None
    elif Path(source).is_file():
        html, url = Path(source).read_bytes().decode("utf-8", errors="replace"), None
    else:
        page = fetch_page(source, settings=_settings(**options))
        html, url = page.html, page.final_url
    if as_json:
        for block in extract_blocks(html, url=url):
            click.echo(json.dumps({"kind": block.kind, "heading_path": list(block.heading_path),
                                   "section": block.section, "text": block.text, "url": block.url},
                                  ensure_ascii=False))
    else:
        click.echo(extract_text(html))


def _file_url(file: Any) -> str | None:
    name = getattr(file, "name", None)
    return None if not name or name == "<stdin>" else str(name)


def main() -> None:
    """Entry point: library errors become `Name: message` and exit code 2."""
    try:
        cli(standalone_mode=True)
    except AnalyzerError as exc:
        click.echo(f"{type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
