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
    return Specialty(name, label, re.compile(rf"\b(?:{alternatives})(?:e?s)?\b", re.IGNORECASE))


# Phrases are regex fragments matched as whole words (a plural s or es allowed),
# case-insensitively. Each specialty is named as TAXONOMY.md names it. A specialty is
# reported only for a block the model gave the specialty's label, so a phrase whose label
# depends on who buys the work ("help desk", "transcription") sits under each label it can
# have, and the block's label picks one.
SPECIALTIES: tuple[Specialty, ...] = (
    _specialty("call center", "BPO", r"call[- ]?cent(?:er|re)s?", r"contact[- ]cent(?:er|re)s?",
               r"inbound (?:calls?|sales|support)", r"outbound (?:calls?|sales|campaigns?)",
               r"customer (?:care|support|service)s?", r"customer retention", r"answering services?"),
    _specialty("help desk line", "BPO", r"(?:chat|email|e-mail|phone) support", r"live chat",
               r"help[- ]?desk", r"service[- ]desk", r"technical support", r"tech support"),
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
    _specialty("back-office support", "BPO",
               r"back[- ]office (?:support|services?|processing|operations|outsourcing|solutions?)"),
    _specialty("translation", "BPO", r"(?<!legal )translation", r"locali[sz]ation",
               r"interpreting", r"interpretation services"),
    _specialty("market research", "KPO", r"market research", r"market sizing",
               r"consumer research", r"survey (?:design|analysis)"),
    _specialty("business research", "KPO", r"business research", r"competitive (?:research|intelligence|analysis)",
               r"competitor (?:research|analysis|intelligence)", r"industry research",
               r"secondary research", r"primary research", r"web research"),
    _specialty("data analytics", "KPO", r"data analytics", r"data analysis", r"business intelligence",
               r"predictive (?:analytics|modell?ing)", r"forecasting", r"analytics"),
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
    _specialty("legal transcription", "LPO", r"(?<!medical )(?:legal )?transcription",
               r"(?<!certified )(?:legal )?translation",
               r"court reporting"),
    _specialty("compliance research", "LPO", r"compliance research", r"regulatory research"),
    _specialty("software development", "ITO", r"software development", r"custom software",
               r"application development", r"app development", r"software engineering"),
    _specialty("web development", "ITO", r"web (?:design|development)", r"website (?:design|development)",
               r"wordpress", r"\bcms\b", r"front[- ]end", r"back[- ]end", r"full[- ]stack"),
    _specialty("mobile apps", "ITO", r"mobile app", r"(?-i:iOS)", r"android", r"flutter", r"react native"),
    _specialty("eCommerce development", "ITO", r"e-?commerce (?:development|website|store|solutions?)",
               r"shopify", r"magento", r"woocommerce"),
    _specialty("software testing", "ITO", r"software testing", r"quality assurance", r"\bqa\b",
               r"test automation", r"automation testing"),
    _specialty("IT support", "ITO", r"(?-i:IT) support", r"managed (?-i:IT)", r"(?-i:IT) infrastructure",
               r"help[- ]?desk", r"service[- ]desk", r"technical support",
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

# A vendor's self-description is read as a grammar, not a bag of words: the label's name
# must stand where the vendor says what it is ("Acme is a leading BPO company", "your LPO
# partner", "Premium KPO Services" as a title), never merely be mentioned. Acronyms must be
# upper case, so "Ito" (a surname, a Tagalog word) is no claim.
_CLAIM_NAMES: dict[str, str] = {
    "BPO": r"(?-i:BPOs?)|business process outsourcing",
    "KPO": r"(?-i:KPOs?)|knowledge process outsourcing",
    "LPO": r"(?-i:LPOs?)|legal process outsourcing|legal outsourcing",
    "ITO": r"(?-i:ITOs?)|(?-i:IT) outsourcing|information technology outsourcing",
}
# Kinds of company that imply a label by themselves; they count only where the vendor says
# it is one ("we are a call center", "a top-rated software house"), not as a heading,
# which would turn every call-center offering into a claim.
_CLAIM_KINDS: dict[str, str] = {
    "BPO": r"call[- ]?cent(?:er|re)|contact[- ]cent(?:er|re)",
    "KPO": r"(?:market )?research (?:and analytics )?(?:firm|company)|analytics (?:firm|company)"
    r"|knowledge services (?:firm|company|provider)",
    "LPO": r"legal process outsourcer|legal support (?:company|provider)",
    "ITO": r"software (?:development |testing )?(?:company|house|firm|agency)"
    r"|(?-i:IT) (?:services|solutions|outsourcing) (?:company|provider|firm|partner)",
}
_NOUN = (
    r"(?:company|companies|firm|provider|partner|vendor|services?|solutions?|specialist|expert|"
    r"agency|organi[sz]ation|outsourcer|cent(?:er|re)|hub|leader|powerhouse|house|player|team)s?"
)
_PRAISE = (
    r"(?:leading|top|top[- ]rated|top[- ]ranked|trusted|premier|premium|global|best|largest|"
    r"award[- ]winning|full[- ]service|end[- ]to[- ]end|one[- ]stop|reliable|experienced|"
    r"established|certified|dedicated|offshore|nearshore|expert|specialist|speciali[sz]ed|"
    r"professional|fast[- ]growing|fastest[- ]growing|innovative|preferred|reputed|renowned|"
    r"independent|boutique|international|world[- ]class|cost[- ]effective|affordable|quality)"
)
# One word with the space after it, "a {few words} BPO"; not a preposition, which would
# reach into another noun phrase ("is the founder of a software firm").
_WORDS = r"(?:(?!(?:of|for|to|with|at|by|from|in|on|about|into|than)\b)[\w'’&-]+[\s,]+)"
_SELF_DET = r"(?:a|an|the|your|one\s+of\s+the|\w+['’]s?)"  # "a", "India's", "the Philippines'"
_HEADLINE_END = r"(?:\s+(?:for|in|from|since|with|to|of|by|across)\b.*)?\W*$"  # "... in Cebu"


def _claim_forms(name: str, kind: str) -> re.Pattern[str]:
    either = f"(?:{name}|{kind})"
    name_noun = rf"(?:{name})(?:\s+(?:and|&)(?:\s+[\w'’-]+){{0,2}}?)?[\s-]+{_NOUN}\b"
    forms = (
        # "Acme is a leading BPO company", "Acme is India's trusted KPO partner"
        rf"\b(?:is|are)\s+{_SELF_DET}\s+{_WORDS}{{0,4}}?{either}\b",
        rf"\bwe(?:\s+are|['’]re)\s+(?:{_SELF_DET}\s+)?{_WORDS}{{0,4}}?{either}\b",
        # "As your LPO partner, we", "trusted as an LPO partner"; not "sold as a BPO service"
        rf"(?:^\W*|\b(?:trusted|recogni[sz]ed|ranked|rated|chosen|selected)\s+)as\s+{_SELF_DET}\s+{_WORDS}{{0,4}}?{either}\b",
        # "your trusted LPO partner", "our offshore BPO services"; not "our clients include BPOs"
        rf"\b(?:your|our)\s+(?:{_PRAISE}[\s,]+){{0,2}}{_WORDS}?{name_noun}",
        # "a global BPO", "Wroclaw's leading KPO centre", "a certified KPO company"
        rf"\b{_SELF_DET}\s+{_PRAISE}[\s,]+{_WORDS}{{0,3}}?(?:{name})\b",
        rf"\b{_PRAISE}[\s,]+{_WORDS}{{0,2}}?{name_noun}",
        # a clause that is what the vendor is: a title, a heading, an apposition ("Premium
        # KPO Services", "Acme, a Cebu BPO firm since 2004"); not "outsource to a BPO firm",
        # nor "KPO firms hire graduates"
        (rf"^\W*(?:{_SELF_DET}\s+(?:{_PRAISE}[\s,]+){{0,3}}{_WORDS}{{0,2}}?|(?:{_PRAISE}[\s,]+){{0,3}}{_WORDS}?)"
         rf"{name_noun}{_HEADLINE_END}"),
        rf"^\W*(?:{_SELF_DET}\s+)?(?:{_PRAISE}[\s,]+){{1,3}}{_WORDS}{{0,2}}?(?:{kind})\b{_HEADLINE_END}",
        # "a leading provider of business process outsourcing", "your partner for LPO"
        rf"\b(?:a|an|the|your|{_PRAISE})\s+{_NOUN}\s+(?:of|for|in)\s+{_WORDS}{{0,3}}?(?:{name})\b",
        # "we offer BPO services", "we specialise in KPO"
        rf"\bwe\s+(?:offer|provide|deliver|speciali[sz]e)\s+(?:in\s+)?{_WORDS}{{0,3}}?(?:{name})\b",
    )
    return re.compile("|".join(f"(?:{form})" for form in forms), re.IGNORECASE)


CLAIM_PATTERNS: dict[str, re.Pattern[str]] = {
    label: _claim_forms(_CLAIM_NAMES[label], _CLAIM_KINDS[label]) for label in LABELS
}
# The label's bare terms: a clause without one cannot be a claim, and most clauses have none,
# so this cheap search spares the full grammar nearly every clause of a page.
_CLAIM_TERMS: dict[str, re.Pattern[str]] = {
    label: re.compile(rf"\b(?:{_CLAIM_NAMES[label]}|{_CLAIM_KINDS[label]})\b", re.IGNORECASE) for label in LABELS
}
_ANY_CLAIM_TERM = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in _CLAIM_TERMS.values()), re.IGNORECASE)

# A label named in a question ("What is BPO?") or beside a contrast ("unlike other BPOs",
# "BPO vs KPO") is talk about the industry, not the vendor saying what it is.
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:what|why|how|which|who|when|where|is|are|do|does|should|can|will)\b", re.IGNORECASE
)
_CONTRAST = re.compile(
    r"\b(?:unlike|other|others|versus|vs|compared|comparison|differences?\s+between|instead|"
    r"rather\s+than|not\s+an?|like\s+many|traditional|typical)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+|\s+[|·•–—]\s+|\s+-\s+")
_CLAUSES = re.compile(r"[,;()]|:(?!\d)|\s+(?:but|while|whereas)\s+", re.IGNORECASE)


def find_claims(text: str) -> set[str]:
    """Labels a vendor names itself by in ``text`` ("a leading BPO company" -> {"BPO"}).

    Sentences are split at full stops, line breaks and title separators, then into clauses;
    a question or a clause of contrast is skipped.
    """
    found: set[str] = set()
    if not _ANY_CLAIM_TERM.search(text):
        return found
    for sentence in _SENTENCES.split(text):
        if not _ANY_CLAIM_TERM.search(sentence) or _QUESTION.search(sentence):
            continue
        for clause in _CLAUSES.split(sentence):
            clause = clause.strip()
            if _CONTRAST.search(clause):
                continue
            found.update(
                label for label, pattern in CLAIM_PATTERNS.items()
                if label not in found and _CLAIM_TERMS[label].search(clause) and pattern.search(clause)
            )
    return found
