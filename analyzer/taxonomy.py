"""The four labels, their specialties, and the patterns of a vendor's self-description.

Label meanings are specified in TAXONOMY.md; this module holds them as data. It imports
nothing from the rest of the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABELS: tuple[str, ...] = ("BPO", "KPO", "LPO", "ITO")
NONE = "none"
CLASSES: tuple[str, ...] = (*LABELS, NONE)

LABEL_NAMES: dict[str, str] = {
    "BPO": "business process outsourcing",
    "KPO": "knowledge process outsourcing",
    "LPO": "legal process outsourcing",
    "ITO": "IT outsourcing",
}

# What each label's work is called in a one-line finding ("70% ... knowledge work (KPO)").
LABEL_WORK: dict[str, str] = {
    "BPO": "process work",
    "KPO": "knowledge work",
    "LPO": "legal work",
    "ITO": "IT work",
}


@dataclass(frozen=True)
class Specialty:
    name: str
    label: str
    pattern: re.Pattern[str]


def _specialty(name: str, label: str, *phrases: str) -> Specialty:
    alternatives = "|".join(phrases)
    return Specialty(name, label, re.compile(rf"\b(?:{alternatives})", re.IGNORECASE))


# Phrases are regex fragments matched at a word start, case-insensitively. Each specialty
# is named as TAXONOMY.md names it.
SPECIALTIES: tuple[Specialty, ...] = (
    _specialty("call center", "BPO", r"call[- ]?cent(?:er|re)s?", r"contact[- ]cent(?:er|re)s?",
               r"inbound (?:calls?|sales|support)", r"outbound (?:calls?|sales|campaigns?)",
               r"customer (?:care|support|service)s?", r"customer retention", r"answering services?"),
    _specialty("help desk line", "BPO", r"(?:chat|email|e-mail|phone) support", r"live chat",
               r"technical support (?:line|hotline)s?"),
    _specialty("telemarketing", "BPO", r"telemarketing", r"telesales", r"cold[- ]calling"),
    _specialty("lead generation", "BPO", r"lead generation", r"appointment setting",
               r"lead qualification"),
    _specialty("order taking", "BPO", r"order (?:taking|processing|management)"),
    _specialty("collections", "BPO", r"debt collections?", r"collections? services?",
               r"accounts receivable (?:management|recovery)"),
    _specialty("data entry", "BPO", r"data entry", r"data capture", r"data keying",
               r"product data entry", r"catalog(?:ue)? (?:entry|management|upload)"),
    _specialty("data cleansing", "BPO", r"data cleans(?:ing|e)", r"data scrubbing",
               r"data enrichment", r"data validation"),
    _specialty("data conversion", "BPO", r"data conversion", r"document conversion",
               r"(?:xml|sgml|pdf|html|epub) conversion", r"digiti[sz]ation"),
    _specialty("forms processing", "BPO", r"forms? processing", r"document processing",
               r"scanning and indexing", r"document indexing", r"ocr"),
    _specialty("image processing", "BPO", r"image (?:processing|editing)", r"photo editing",
               r"clipping paths?", r"background removal"),
    _specialty("transcription", "BPO", r"(?<!legal )transcription", r"medical transcription"),
    _specialty("medical billing", "BPO", r"medical billing", r"revenue cycle",
               r"charge entry", r"payment posting", r"denial management",
               r"insurance (?:eligibility )?verification", r"ar follow[- ]?up"),
    _specialty("medical coding", "BPO", r"medical coding", r"icd-?10", r"cpt coding"),
    _specialty("claims processing", "BPO", r"claims? processing", r"claims? adjudication",
               r"claims? management"),
    _specialty("payroll", "BPO", r"payroll"),
    _specialty("bookkeeping", "BPO", r"bookkeeping", r"book-keeping", r"bank reconciliation",
               r"accounts payable", r"accounts receivable", r"invoice processing",
               r"payment processing"),
    _specialty("HR administration", "BPO", r"hr administration", r"human resources? administration",
               r"benefits administration", r"employee onboarding"),
    _specialty("recruitment", "BPO", r"recruitment process outsourcing", r"\brpo\b",
               r"recruitment", r"recruiting", r"staffing services", r"talent acquisition"),
    _specialty("virtual assistant", "BPO", r"virtual assistan(?:t|ts|ce)",
               r"executive assistan(?:t|ce)"),
    _specialty("content moderation", "BPO", r"content moderation", r"trust and safety"),
    _specialty("back-office support", "BPO", r"back[- ]office"),
    _specialty("translation", "BPO", r"(?<!legal )translation", r"locali[sz]ation",
               r"interpreting", r"interpretation services"),
    _specialty("market research", "KPO", r"market research", r"market sizing",
               r"consumer research", r"survey (?:design|analysis)"),
    _specialty("business research", "KPO", r"business research", r"competitive (?:research|intelligence|analysis)",
               r"competitor (?:research|analysis|intelligence)", r"industry research",
               r"secondary research", r"primary research", r"web research"),
    _specialty("data analytics", "KPO", r"data analytics", r"data analysis", r"business intelligence",
               r"predictive (?:analytics|modell?ing)", r"forecasting", r"insights?"),
    _specialty("financial research", "KPO", r"financial (?:research|analysis|modell?ing)",
               r"equity research", r"investment research", r"credit (?:research|analysis)",
               r"valuations?", r"due diligence research"),
    _specialty("clinical research", "KPO", r"clinical (?:research|data)", r"pharmaceutical research",
               r"medical (?:research|writing)", r"pharmacovigilance", r"biostatistics",
               r"literature (?:review|search)"),
    _specialty("R&D", "KPO", r"r&d", r"research and development"),
    _specialty("engineering design", "KPO", r"engineering design", r"cad (?:drafting|design|services)",
               r"\bcad\b", r"drafting services", r"\bbim\b", r"technical documentation",
               r"technical writing"),
    _specialty("consulting", "KPO", r"consulting", r"consultancy", r"advisory"),
    _specialty("actuarial and risk analysis", "KPO", r"actuarial", r"risk (?:analysis|assessment|modell?ing)"),
    _specialty("tax advisory", "KPO", r"tax (?:advisory|planning|consulting)", r"audit support",
               r"internal audit"),
    _specialty("legal research", "LPO", r"legal research", r"legal writing", r"case law research",
               r"brief(?:s)? (?:writing|drafting)"),
    _specialty("document review", "LPO", r"document review", r"privilege (?:review|logs?)"),
    _specialty("eDiscovery", "LPO", r"e-?discovery", r"electronic discovery"),
    _specialty("litigation support", "LPO", r"litigation support", r"deposition summar(?:y|ies)",
               r"medical chronolog(?:y|ies)", r"medical records? review"),
    _specialty("contract management", "LPO", r"contract (?:drafting|review|management|abstraction)",
               r"lease abstraction", r"contract lifecycle"),
    _specialty("patent research", "LPO", r"patent (?:research|search(?:es)?|drafting|filing|prosecution|illustrations?)",
               r"prior[- ]art", r"freedom[- ]to[- ]operate", r"patentability", r"invalidity search",
               r"ip research", r"intellectual property (?:research|services)"),
    _specialty("trademark", "LPO", r"trademark (?:search(?:es)?|filing|registration|watch|prosecution)"),
    _specialty("paralegal services", "LPO", r"paralegal", r"legal support services?"),
    _specialty("legal transcription", "LPO", r"legal transcription", r"legal translation"),
    _specialty("compliance research", "LPO", r"compliance research", r"regulatory research"),
    _specialty("software development", "ITO", r"software development", r"custom software",
               r"application development", r"app development", r"software engineering"),
    _specialty("web development", "ITO", r"web (?:design|development)", r"website (?:design|development)",
               r"wordpress", r"\bcms\b", r"front[- ]end", r"back[- ]end", r"full[- ]stack"),
    _specialty("mobile apps", "ITO", r"mobile app", r"ios", r"android", r"flutter", r"react native"),
    _specialty("eCommerce development", "ITO", r"e-?commerce (?:development|website|store|solutions?)",
               r"shopify", r"magento", r"woocommerce"),
    _specialty("software testing", "ITO", r"software testing", r"quality assurance", r"\bqa\b",
               r"test automation", r"automation testing"),
    _specialty("IT support", "ITO", r"it support", r"managed it", r"it infrastructure",
               r"infrastructure management", r"network (?:administration|management)",
               r"system administration"),
    _specialty("cloud and DevOps", "ITO", r"cloud (?:migration|services|computing|infrastructure)",
               r"devops", r"\baws\b", r"azure", r"kubernetes"),
    _specialty("ERP", "ITO", r"\berp\b", r"\bsap\b", r"odoo", r"salesforce", r"\bcrm (?:implementation|development)"),
    _specialty("database work", "ITO", r"database (?:administration|development|management)",
               r"data (?:engineering|pipelines?|warehous(?:e|es|ing))", r"dashboards?"),
    _specialty("cybersecurity", "ITO", r"cyber ?security", r"penetration testing", r"security operations",
               r"\bsoc\b"),
    _specialty("staff augmentation", "ITO", r"staff augmentation", r"dedicated (?:developers?|development teams?)",
               r"hire (?:developers?|programmers?)"),
)

SPECIALTIES_BY_NAME: dict[str, Specialty] = {s.name: s for s in SPECIALTIES}

_CLAIM_TERMS: dict[str, str] = {
    "BPO": r"bpo|business process outsourcing|business process management|bpm|call cent(?:er|re)|contact cent(?:er|re)",
    "KPO": r"kpo|knowledge process outsourcing|research (?:and analytics )?(?:firm|company)",
    "LPO": r"lpo|legal process outsourcing|legal outsourcing",
    "ITO": r"ito|it outsourcing|information technology outsourcing|software (?:development )?(?:company|house|firm)|it (?:services|solutions) (?:company|provider|firm)",
}
_CLAIM_NOUNS = r"(?:company|companies|firm|provider|partner|vendor|services?|solutions?|specialists?|agency|organi[sz]ation|outsourcer|center|centre|hub|leader|powerhouse|house|player)"

# A self-description: "a leading BPO company", "your trusted LPO partner", "we are a KPO".
CLAIM_PATTERNS: dict[str, re.Pattern[str]] = {
    label: re.compile(
        rf"(?:\b(?:a|an|the|your|our|leading|top|trusted|premier|global|best|largest|award[- ]winning|full[- ]service|we are|is)\b[\w\s,'’-]{{0,40}}?)\b(?:{terms})\b(?:[\s-]+{_CLAIM_NOUNS}\b)?",
        re.IGNORECASE,
    )
    for label, terms in _CLAIM_TERMS.items()
}


def find_claims(text: str) -> set[str]:
    """Labels a vendor names itself by in ``text`` ("a leading BPO company" -> {"BPO"})."""
    return {label for label, pattern in CLAIM_PATTERNS.items() if pattern.search(text)}
