"""The report's findings: claims, specialties, claim versus offering, and their round trip."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

import analyzer
from analyzer import Settings
from analyzer.errors import DNSError
from analyzer.findings import MIN_SHARE, claim_finding, match_specialties
from analyzer.report import BlockPrediction, ModelInfo, Report, build_report, error_report
from analyzer.taxonomy import CLASSES, find_claims

Item = tuple[str, str, float]


def block(text: str, label: str, confidence: float = 0.9, url: str | None = "https://vendor.example/services") -> BlockPrediction:
    rest = (1 - confidence) / (len(CLASSES) - 1)
    return BlockPrediction(text, url, label, {c: confidence if c == label else rest for c in CLASSES})


def vendor_report(url: str, items: Sequence[Item], claim: Sequence[str] = ()) -> Report:
    """A report built from hand-labeled blocks, as the model would have labeled them."""
    predictions = [block(text, label, confidence, url + "services") for text, label, confidence in items]
    return build_report(url, predictions, claim=claim, model=ModelInfo("test-model", "0" * 64))


def mix(**shares: float) -> dict[str, float]:
    return {"BPO": 0.0, "KPO": 0.0, "LPO": 0.0, "ITO": 0.0, **shares}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Northwind Outsourcing is a leading BPO company in Cebu", {"BPO"}),
        ("Your trusted LPO partner since 2004.", {"LPO"}),
        ("Premium KPO Services", {"KPO"}),
        ("Acme | Premium KPO Services", {"KPO"}),
        ("We're one of the largest BPOs in the Philippines.", {"BPO"}),
        ("Top-rated ITO provider in Eastern Europe", {"ITO"}),
        ("A leading provider of business process outsourcing.", {"BPO"}),
        ("We are an IT services company with 300 engineers.", {"ITO"}),
        ("Acme, a Cebu BPO firm since 2004, answers your calls.", {"BPO"}),
        ("Unlike other BPO companies, we are a full-service KPO.", {"KPO"}),
        ("A premier BPO and IT outsourcing provider in Central Luzon.", {"BPO", "ITO"}),
        # talk about the industry, not the vendor saying what it is
        ("What is BPO?", set()),
        ("Why choose a BPO company?", set()),
        ("How to choose an LPO provider", set()),
        ("Unlike other BPOs, we answer every call ourselves.", set()),
        ("BPO vs KPO: what is the difference", set()),
        ("The difference between BPO and KPO services", set()),
        ("Outsourcing to a BPO company saves money.", set()),
        ("Our clients include BPO companies and banks.", set()),
        ("KPO firms hire graduates in finance and pharmacy.", set()),
        ("Medical coding is routinely sold as a BPO service.", set()),
        ("ACME is not a BPO company.", set()),
        ("Our call center agents answer calls.", set()),
        ("Mr. Ito is the founder of a software firm.", set()),
        ("We are a global outsourcing company.", set()),
    ],
)
def test_find_claims(text: str, expected: set[str]) -> None:
    assert find_claims(text) == expected


@pytest.mark.parametrize(
    ("claim", "shares", "kind"),
    [
        (["BPO"], mix(BPO=0.8333, ITO=0.1667), "consistent"),
        (["BPO", "ITO"], mix(BPO=0.5, ITO=0.5), "consistent"),
        (["BPO"], mix(BPO=0.6, ITO=0.4), "broader"),
        (["BPO", "KPO"], mix(BPO=1.0), "narrower"),
        (["BPO", "KPO"], mix(BPO=0.9, KPO=0.1), "narrower"),
        (["LPO"], mix(), "narrower"),
        (["BPO"], mix(BPO=0.1, KPO=0.7, LPO=0.2), "different"),
        (["ITO"], mix(KPO=1.0), "different"),
        (["BPO", "LPO"], mix(BPO=0.5, KPO=0.5), "different"),
        ([], mix(BPO=0.5, ITO=0.5), "no_claim"),
        ([], mix(), "no_claim"),
    ],
)
def test_claim_finding_kinds(claim: list[str], shares: dict[str, float], kind: str) -> None:
    finding = claim_finding(claim, shares)
    assert finding["kind"] == kind
    assert finding["text"] and "\n" not in finding["text"]


def test_finding_says_where_claim_and_offering_part() -> None:
    finding = claim_finding(["BPO"], mix(BPO=0.1, KPO=0.7, LPO=0.2))
    assert finding["text"].startswith("calls itself a BPO; 70% of its listed services are knowledge work (KPO)")
    assert "20% legal work (LPO)" in finding["text"]
    assert "only 10% process work (BPO)" in finding["text"]
    assert claim_finding(["LPO"], mix(LPO=1.0))["text"].startswith("calls itself an LPO")


def test_share_threshold_decides_broader() -> None:
    below = claim_finding(["BPO"], mix(BPO=1 - MIN_SHARE / 2, ITO=MIN_SHARE / 2))
    at = claim_finding(["BPO"], mix(BPO=1 - MIN_SHARE, ITO=MIN_SHARE))
    assert (below["kind"], at["kind"]) == ("consistent", "broader")
    assert "IT work (ITO)" in at["text"]


def test_specialty_takes_the_label_of_its_block() -> None:
    offerings = [
        block("Legal Transcription\nDepositions and hearings transcribed for law firms.", "LPO"),
        block("Medical Transcription\nDictation from physicians turned into clinical notes.", "BPO"),
        block("Transcription of depositions and court hearings for attorneys.", "LPO"),
    ]
    found = {(s.name, s.label): blocks for s, blocks in match_specialties(offerings, limit=3)}
    assert set(found) == {("legal transcription", "LPO"), ("transcription", "BPO")}
    assert len(found["legal transcription", "LPO"]) == 2
    assert found["transcription", "BPO"][0].text.startswith("Medical")


def test_specialty_needs_an_offering_block_of_its_label() -> None:
    offerings = [
        block("Why outsource your call center? Lower costs.", "none"),
        block("Custom software with 24/7 customer support included.", "ITO"),
    ]
    names = [s.name for s, _ in match_specialties(offerings, limit=3)]
    assert "call center" not in names
    assert names == ["software development"]


def test_specialty_evidence_is_strongest_first_and_capped() -> None:
    offerings = [block(f"Data entry team {n}\nKeying forms.", "BPO", 0.5 + n / 10) for n in range(5)]
    ((_, blocks),) = [item for item in match_specialties(offerings, limit=3) if item[0].name == "data entry"]
    assert [b.text.split("\n")[0] for b in blocks] == ["Data entry team 4", "Data entry team 3", "Data entry team 2"]


def test_build_report_fills_specialties_and_finding() -> None:
    report = vendor_report(
        "https://vendor.example/",
        [
            ("Inbound Call Center\nAgents answer calls and chats.", "BPO", 0.97),
            ("Data Entry\nWe key invoices and forms.", "BPO", 0.95),
            ("Market Research\nSurveys, market sizing and competitor analysis.", "KPO", 0.9),
            ("Why choose us\nISO certified, 20 years.", "none", 0.9),
        ],
        claim=["BPO"],
    )
    assert report.finding == claim_finding(["BPO"], report.mix)
    assert report.finding is not None and report.finding["kind"] == "broader"
    by_name = {s.name: s for s in report.specialties}
    assert {"call center", "data entry", "market research", "business research"} <= set(by_name)
    assert by_name["market research"].label == "KPO"
    evidence = by_name["call center"].evidence[0]
    assert evidence.url == "https://vendor.example/services" and evidence.score == 0.97
    assert [s.label for s in report.specialties] == sorted((s.label for s in report.specialties), key="BPO KPO LPO ITO".index)


def test_error_report_has_no_finding() -> None:
    report = error_report("https://dead.example/", DNSError("no such host", url="https://dead.example/"))
    assert report.finding is None and report.specialties == []


def test_report_round_trips_through_json() -> None:
    report = vendor_report("https://vendor.example/", [("Patent Search\nPrior-art searches.", "LPO", 0.9)], claim=["LPO"])
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert again.specialties[0].name == "patent research"


def test_scan_reports_specialties_and_finding(serve_site: Callable[[str], str], local_settings: Settings) -> None:
    report = analyzer.scan(serve_site("northwind"), settings=local_settings)
    assert report.status == "ok", report.error
    assert report.claim == ["BPO"]
    assert report.finding is not None and report.finding["kind"] == "consistent"
    by_name = {s.name: s for s in report.specialties}
    assert {"call center", "data entry", "medical billing", "payroll"} <= set(by_name)
    assert {s.label for s in report.specialties} <= set(report.offered)
    assert all(e.url and e.url.endswith("/services.html") for s in report.specialties for e in s.evidence)
    assert all(len(s.evidence) <= 3 for s in report.specialties)
