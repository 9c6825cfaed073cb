"""analyzer: what an outsourcing vendor really sells (BPO, KPO, LPO, ITO), with the evidence.

    >>> import analyzer
    >>> report = analyzer.scan("https://vendor.example")       # doctest: +SKIP
    >>> report.mix, report.primary, report.evidence            # doctest: +SKIP
"""

import logging

from .config import Settings
from .errors import AnalyzerError, CorpusError, ModelError, ScanError
from .extract import Block, extract_blocks, extract_text
from .report import Evidence, ErrorInfo, ModelInfo, PageInfo, Report, SpecialtyFinding, UnreadPage
from .scanner import ascan, ascan_many, classify_html, classify_text, scan, scan_many
from .taxonomy import LABELS
from .version import __version__

__all__ = [
    "AnalyzerError",
    "Block",
    "CorpusError",
    "ErrorInfo",
    "Evidence",
    "LABELS",
    "ModelError",
    "ModelInfo",
    "PageInfo",
    "Report",
    "ScanError",
    "Settings",
    "SpecialtyFinding",
    "UnreadPage",
    "__version__",
    "ascan",
    "ascan_many",
    "classify_html",
    "classify_text",
    "extract_blocks",
    "extract_text",
    "scan",
    "scan_many",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
