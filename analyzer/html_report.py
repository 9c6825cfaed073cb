"""A batch of Reports as one self-contained HTML page: a sortable, filterable vendor table.

The page carries its CSS and script inline and loads nothing, so it opens from a file with
no network. Vendor text is untrusted: the Jinja template escapes every value, and only
http(s) URLs become links. Reports are streamed into the page, so a batch of any size is
rendered in bounded memory; the summary at the top is counted by the page's script.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from io import StringIO
from typing import Protocol
from urllib.parse import urlsplit

import jinja2
import markupsafe

from .errors import ResultsError
from .findings import FINDING_KINDS, KIND_TITLES, MISMATCH_KINDS
from .render import shorten, split_block
from .report import Report
from .taxonomy import LABEL_NAMES, LABEL_WORK, LABELS
from .version import __version__

DEFAULT_TITLE = "Vendor due-diligence report"
# Evidence blocks can run to paragraphs; the page shows enough of each to judge it, and
# keeps a 10,000-vendor page to tens of megabytes.
EVIDENCE_CHARS = 400

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("analyzer", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def _script() -> tuple[str, str]:
    """The page's script and its CSP hash: only this script may run, so injected markup cannot."""
    source = _ENV.loader.get_source(_ENV, "report.js")[0] if _ENV.loader else ""
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    return source, f"sha256-{digest}"


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


def write_html(reports: Iterable[Report], out: Writer, *, title: str = DEFAULT_TITLE, source: str = "") -> int:
    """Write the page for ``reports`` to ``out`` as it renders; returns the number of vendors."""
    counted = _Counted(reports)
    template = _ENV.get_template("report.html")
    script, script_hash = _script()
    for chunk in template.generate(
        reports=counted,
        script=markupsafe.Markup(script),
        script_hash=script_hash,
        title=title,
        source=source,
        version=__version__,
        labels=LABELS,
        label_names=LABEL_NAMES,
        label_work=LABEL_WORK,
        finding_kinds=FINDING_KINDS,
        kind_titles=KIND_TITLES,
        mismatch_kinds=MISMATCH_KINDS,
        href=safe_href,
        host=host,
        split_block=split_block,
        shorten=_shorten,
    ):
        out.write(chunk)
    return counted.count


def render_html(reports: Iterable[Report], *, title: str = DEFAULT_TITLE, source: str = "") -> str:
    """The page as one string (for tests and small batches)."""
    buffer = StringIO()
    write_html(reports, buffer, title=title, source=source)
    return buffer.getvalue()


def read_results(lines: Iterable[str], *, name: str = "results") -> Iterator[Report]:
    """Reports from the JSON lines ``analyzer batch`` writes; blank lines are skipped.

    Raises ResultsError naming the line when one is not a report row.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            report = Report.from_dict(data)
            _check_shape(report)
        except (ValueError, KeyError, TypeError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ResultsError(f"{name} line {number} is not a report row: {detail}") from exc
        yield report


def _check_shape(report: Report) -> None:
    """What the page formats must have its type; a row of another shape is refused, not half-drawn."""
    numbers = [
        *report.mix.values(), *report.scores.values(), *(page.chars for page in report.pages),
        *(item.score for items in report.evidence.values() for item in items),
        *(item.score for specialty in report.specialties for item in specialty.evidence),
    ]
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        raise TypeError("shares, scores and page sizes must be numbers")
    finding = report.finding
    if finding is not None and not (isinstance(finding, dict) and all(isinstance(v, str) for v in finding.values())):
        raise TypeError("finding must be an object of strings")


def safe_href(url: str | None) -> str | None:
    """The URL if it may be a link (http or https), else None: no javascript: or data: links."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def host(url: str) -> str:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = ""
    return netloc.removeprefix("www.") or url or "(no URL)"


def _shorten(text: str, limit: int = EVIDENCE_CHARS) -> str:
    return shorten(text, limit)


class _Counted:
    """Iterates reports once, counting them for the page's footer."""

    def __init__(self, reports: Iterable[Report]) -> None:
        self._reports = reports
        self.count = 0

    def __iter__(self) -> Iterator[Report]:
        for report in self._reports:
            self.count += 1
            yield report
