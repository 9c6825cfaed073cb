"""Pure renderings of Reports for people: terminal text, Markdown and JSON."""

from __future__ import annotations

import json

from .report import Report
from .taxonomy import LABEL_NAMES, LABELS

BAR_WIDTH = 30


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False)


def render_text(report: Report) -> str:
    lines = [f"{report.url}" + (f"  →  {report.final_url}" if report.final_url and report.final_url != report.url else "")]
    if report.error is not None:
        lines.append(f"error ({report.error.kind}): {report.error.message}")
        return "\n".join(lines) + "\n"
    for page in report.pages:
        lines.append(f"  read {page.role:<8} {page.url}  ({page.chars} chars)")
    lines.append("")
    if not report.offered:
        lines.append("Offers none of BPO, KPO, LPO, ITO.")
    else:
        lines.append(f"Primary: {report.primary} ({LABEL_NAMES[report.primary or 'BPO']})")
        lines.append("")
        for label in LABELS:
            share = report.mix[label]
            bar = "█" * round(share * BAR_WIDTH)
            lines.append(f"  {label}  {share:>6.0%}  {bar:<{BAR_WIDTH}}  score {report.scores[label]:.2f}")
    lines.append(f"Calls itself: {', '.join(report.claim) if report.claim else '(no claim found)'}")
    for label in report.offered:
        lines.append("")
        lines.append(f"{label} evidence:")
        for item in report.evidence.get(label, []):
            lines.append(f"  [{item.score:.2f}] {_shorten(item.text)}")
            if item.url:
                lines.append(f"         {item.url}")
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    lines = [f"## {report.final_url or report.url}", ""]
    if report.error is not None:
        lines.append(f"**Error** `{report.error.kind}`: {report.error.message}")
        return "\n".join(lines) + "\n"
    lines += ["| label | share | score |", "|---|---:|---:|"]
    lines += [f"| {label} | {report.mix[label]:.0%} | {report.scores[label]:.2f} |" for label in LABELS]
    lines += ["", f"- **Primary:** {report.primary or 'none'}", f"- **Calls itself:** {', '.join(report.claim) or 'no claim'}"]
    for label in report.offered:
        lines += ["", f"### {label} evidence", ""]
        lines += [f"- {_shorten(item.text)} ({item.url or 'page'}, {item.score:.2f})" for item in report.evidence.get(label, [])]
    return "\n".join(lines) + "\n"


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
