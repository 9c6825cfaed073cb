"""Pure renderings of one Report for people: a terminal view, a Markdown memo section, JSON.

``render_text`` styles with click.style when asked (``color=True``); the CLI asks and lets
click.echo strip the codes when stdout is not a terminal. The HTML page for a whole batch
lives in html_report.py.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import click

from .findings import KIND_TITLES, MISMATCH_KINDS
from .report import Evidence, Report
from .taxonomy import LABEL_NAMES, LABELS

DEFAULT_WIDTH = 80
LABEL_COLORS: dict[str, str] = {"BPO": "blue", "KPO": "magenta", "LPO": "yellow", "ITO": "green"}
# The bar gets what the label, share and score columns leave of the width, within bounds
# that keep it readable on a 60-column pane and short enough to scan on a wide screen.
MIN_BAR, MAX_BAR = 10, 60
_EIGHTHS = " ▏▎▍▌▋▊▉"
_EVIDENCE_LINES = 3
_INDENT = 13  # "  BPO  0.97  " before each evidence line

Style = Callable[..., str]


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False)


def render_text(report: Report, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """The terminal view: the mix as bars, the claim and finding, evidence, specialties."""
    width = max(width, 40)

    def style(text: str, **styles: object) -> str:
        return click.style(text, **styles) if color else text  # type: ignore[arg-type]

    lines = [style(_vendor_url(report) or "(text)", bold=True)]
    if report.ok and report.final_url and report.url and report.final_url != report.url:
        lines.append(style(f"  from {report.url}", dim=True))
    for page in report.pages:
        lines.append(style(f"  read {page.role:<8} {page.url}  {page.chars:,} chars", dim=True))
    for unread in report.unread:
        lines.append(style(f"  not read      {unread.url}  {unread.kind}", fg="yellow"))
    if report.error is not None:
        lines += ["", style(f"error ({report.error.kind}): ", fg="red", bold=True) + report.error.message]
        return "\n".join(lines) + "\n"
    lines += ["", *_summary(report, width, style), "", *_mix(report, width, style)]
    if report.offered:
        lines += ["", style("Evidence", bold=True)]
        for label in report.offered:
            for item in report.evidence.get(label, []):
                lines += _evidence_lines(label, item, width, style)
    if report.specialties:
        lines += ["", style("Specialties", bold=True)]
        for label in LABELS:
            names = [s.name + (f" ({len(s.evidence)})" if len(s.evidence) > 1 else "")
                     for s in report.specialties if s.label == label]
            if names:
                wrapped = textwrap.wrap(", ".join(names), width - 7) or [""]
                lines.append(f"  {style(label, fg=LABEL_COLORS[label], bold=True)}  {wrapped[0]}")
                lines += [" " * 7 + rest for rest in wrapped[1:]]
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    """A section of a due-diligence memo: facts table, mix, evidence, specialties."""
    lines = [f"## {_md(_vendor_url(report) or 'Pasted text')}", ""]
    unread = ", ".join(f"{_md_link(_short_url(page.url), page.url)} (`{page.kind}`)" for page in report.unread)
    if report.error is not None:
        lines.append(f"**Could not be scanned** (`{report.error.kind}`): {_md(report.error.message)}")
        if unread:
            lines += ["", f"**Pages not read:** {unread}"]
        return "\n".join(lines) + "\n"
    finding = report.finding or {}
    primary = f"{report.primary} ({LABEL_NAMES[report.primary]})" if report.primary else "none of the four"
    pages = ", ".join(_md_link(_short_url(p.url), p.url) for p in report.pages) or "none"
    lines += [
        "| | |",
        "|---|---|",
        f"| **Primary** | {primary} |",
        f"| **Calls itself** | {', '.join(report.claim) or 'no self-description found'} |",
        f"| **Finding** | {_md(KIND_TITLES.get(finding.get('kind', ''), 'none'))}: {_md(finding.get('text', ''))} |",
        f"| **Pages read** | {pages} |",
        *([f"| **Pages not read** | {unread} |"] if unread else []),
        "",
        "| Label | Work | Share | Mix | Top block score |",
        "|---|---|---:|---|---:|",
    ]
    for label in LABELS:
        share = report.mix.get(label, 0.0)
        bar = "█" * round(share * 20) + "░" * (20 - round(share * 20))
        lines.append(f"| {label} | {LABEL_NAMES[label]} | {share:.0%} | `{bar}` | {report.scores.get(label, 0.0):.2f} |")
    if report.offered:
        lines += ["", "### Evidence"]
        for label in report.offered:
            lines += ["", f"**{label}** ({LABEL_NAMES[label]})", ""]
            for number, item in enumerate(report.evidence.get(label, []), 1):
                heading, body = split_block(item.text)
                text = f"**{_md(heading)}** {_md(shorten(body, 300))}" if heading else _md(shorten(body, 300))
                source = _md_link(_short_url(item.url), item.url) if item.url else "pasted text"
                lines.append(f"{number}. {text} ({source}, score {item.score:.2f})")
    if report.specialties:
        lines += ["", "### Specialties", "", "| Specialty | Label | Where |", "|---|---|---|"]
        for specialty in report.specialties:
            where = "; ".join(_md(shorten(split_block(e.text)[0] or e.text, 60)) for e in specialty.evidence)
            lines.append(f"| {_md(specialty.name)} | {specialty.label} | {where} |")
    if report.model is not None:
        lines += ["", f"_Model `{report.model.name}`, sha256 `{report.model.sha256[:12]}`._"]
    return "\n".join(lines) + "\n"


def _vendor_url(report: Report) -> str:
    """Where the vendor lives: after redirects when scanned; as asked when it failed, since
    a failure's final URL may be a sub-resource such as robots.txt."""
    return (report.final_url or report.url) if report.ok else report.url


def _summary(report: Report, width: int, style: Style) -> list[str]:
    finding = report.finding or {}
    kind = finding.get("kind", "")
    kind_color = "green" if kind == "consistent" else "yellow" if kind in MISMATCH_KINDS else None
    primary = (
        style(report.primary, fg=LABEL_COLORS[report.primary], bold=True) + f"  {LABEL_NAMES[report.primary]}"
        if report.primary else "none: lists none of BPO, KPO, LPO, ITO"
    )
    rows = [
        ("Primary", primary),
        ("Claims", ", ".join(report.claim) or style("no self-description found", dim=True)),
        ("Finding", style(KIND_TITLES.get(kind, kind), fg=kind_color, bold=True)),
    ]
    lines = [f"{style(f'{name:<9}', bold=True)}{value}" for name, value in rows]
    if finding.get("text"):
        lines += textwrap.wrap(finding["text"], width, initial_indent=" " * 9, subsequent_indent=" " * 9,
                               break_on_hyphens=False)
    return lines


def _mix(report: Report, width: int, style: Style) -> list[str]:
    bar_width = min(MAX_BAR, max(MIN_BAR, width - 25))  # 25: label, share, score and gaps
    lines = [style(f"  {'':<5}{'share':>5}  {'':<{bar_width}}  top score", dim=True)]
    for label in LABELS:
        share = report.mix.get(label, 0.0)
        bar = _bar(share, bar_width)
        track = "·" * (bar_width - len(bar))
        lines.append(
            f"  {style(f'{label:<5}', fg=LABEL_COLORS[label], bold=True)}{share:>5.0%}  "
            f"{style(bar, fg=LABEL_COLORS[label])}{style(track, dim=True)}  {report.scores.get(label, 0.0):>9.2f}"
        )
    return lines


def _evidence_lines(label: str, item: Evidence, width: int, style: Style) -> list[str]:
    heading, body = split_block(item.text)
    text = f"{heading} — {body}" if heading else body
    room = max(width - _INDENT, 20)
    wrapped = textwrap.wrap(text, room, max_lines=_EVIDENCE_LINES, placeholder=" …", break_on_hyphens=False) or [""]
    head = f"  {style(label, fg=LABEL_COLORS[label], bold=True)}  {item.score:.2f}  "
    lines = [head + wrapped[0], *(" " * _INDENT + rest for rest in wrapped[1:])]
    if item.url:
        lines.append(" " * _INDENT + style(item.url, dim=True))
    return lines


def _bar(share: float, width: int) -> str:
    eighths = round(max(0.0, min(share, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def split_block(text: str) -> tuple[str, str]:
    """A block's heading line and the rest, whitespace folded; a one-line block has no heading."""
    first, _, rest = text.strip().partition("\n")
    if not rest.strip():
        return "", " ".join(first.split())
    return " ".join(first.split()), " ".join(rest.split())


def shorten(text: str, limit: int) -> str:
    """``text`` with whitespace folded, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short_url(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc or url) if parts.scheme else url


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#~!"})


def _md(text: str) -> str:
    """Vendor text made inert in Markdown: no markup, no raw HTML, no table breaks."""
    return " ".join(text.split()).translate(_MD_SPECIAL)


def _md_link(text: str, url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        return _md(text)
    return f"[{_md(text)}](<{quote(url, safe=':/?#[]@!$&()*+,;=%~')}>)"

