"""The public API is the contract: __all__ is explicit, sorted and complete."""

from __future__ import annotations

import dataclasses
import json

import analyzer


def test_all_is_sorted_and_importable() -> None:
    assert analyzer.__all__ == sorted(analyzer.__all__)
    for name in analyzer.__all__:
        assert hasattr(analyzer, name), name


def test_public_functions_present() -> None:
    for name in ("scan", "ascan", "scan_many", "classify_html", "classify_text", "extract_text", "Report", "Settings"):
        assert name in analyzer.__all__


def test_classify_text_report_shape() -> None:
    report = analyzer.classify_text(
        "Medical Billing\nCharge entry, payment posting and denial management for clinics.\n\n"
        "Custom Software Development\nWe build web and mobile applications for our clients."
    )
    data = report.to_dict()
    assert set(data) >= {"url", "final_url", "status", "error", "pages", "offered", "primary", "mix", "scores",
                         "evidence", "claim", "model"}
    assert data["status"] == "ok" and data["error"] is None
    assert set(data["mix"]) == set(analyzer.LABELS)
    assert set(report.offered) == {"BPO", "ITO"}
    assert abs(sum(report.mix.values()) - 1) < 1e-6
    json.dumps(data)
    assert analyzer.Report.from_dict(json.loads(json.dumps(data))) == report
    assert dataclasses.is_dataclass(report)


def test_classify_html_non_vendor_has_zero_mix() -> None:
    html = "<html><body><h1>Opening hours</h1><p>Our bakery opens at seven every morning.</p></body></html>"
    report = analyzer.classify_html(html)
    assert report.offered == [] and report.primary is None
    assert all(value == 0 for value in report.mix.values())


def test_extract_text_returns_str() -> None:
    text = analyzer.extract_text("<html><body><nav>Home About</nav><h2>Data entry</h2><p>We key forms.</p></body></html>")
    assert isinstance(text, str)
    assert "Data entry" in text and "We key forms." in text
    assert "Home About" not in text
