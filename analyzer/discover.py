"""Finding a vendor's services pages from its home page.

Same-site links are ranked by their anchor text and URL path; the best few are fetched
through the Fetcher. When no link looks like a services page, the home page itself is
classified (many small vendors list their services there).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from . import errors
from .config import Settings
from .fetch import Fetcher, FetchedPage

logger = logging.getLogger(__name__)

# Anchor or path words that name a services page, with their weight.
SERVICE_WORDS: dict[str, float] = {
    "services": 5.0, "service": 4.5, "what we do": 5.0, "what-we-do": 5.0, "solutions": 4.0,
    "solution": 3.5, "offerings": 4.5, "offering": 4.0, "capabilities": 4.0, "expertise": 3.0,
    "practice areas": 4.0, "practice-areas": 4.0, "our work": 2.0, "industries": 0.5,
}
SKIP_PATH = re.compile(
    r"(?:^|/)(?:contact|about|blog|news|careers?|jobs|privacy|terms|cookie|login|signin|"
    r"sign-in|register|cart|checkout|faq|team|press|events?)(?:[-/.]|$)",
    re.IGNORECASE,
)
SKIP_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".zip", ".doc", ".docx", ".mp4", ".svg")


@dataclass(frozen=True)
class Candidate:
    url: str
    score: float


def rank_links(page: FetchedPage) -> list[Candidate]:
    """Same-site links from a page that look like services pages, best first."""
    tree = LexborHTMLParser(page.html)
    site = _site(page.final_url)
    scores: dict[str, float] = {}
    for anchor in tree.css("a[href]"):
        href = anchor.attributes.get("href") or ""
        url = canonical_url(urljoin(page.final_url, href))
        if url is None or _site(url) != site or url == canonical_url(page.final_url):
            continue
        path = urlsplit(url).path.lower()
        if path.endswith(SKIP_EXTENSIONS) or SKIP_PATH.search(path):
            continue
        score = _link_score(anchor.text(strip=True).lower(), path)
        if score > 0:
            scores[url] = max(scores.get(url, 0.0), score)
    return sorted((Candidate(u, s) for u, s in scores.items()), key=lambda c: (-c.score, c.url))


async def discover(home: FetchedPage, fetcher: Fetcher, settings: Settings) -> list[tuple[FetchedPage, str]]:
    """The pages to classify with their role ("services" or "home")."""
    candidates = rank_links(home)[: settings.max_pages]
    results = await asyncio.gather(*(fetcher.fetch(c.url) for c in candidates), return_exceptions=True)
    pages = []
    for candidate, result in zip(candidates, results, strict=True):
        if isinstance(result, errors.ScanError):
            logger.info("skipping %s: %s", candidate.url, result)
        elif isinstance(result, BaseException):
            raise result
        else:
            pages.append((result, "services"))
    return pages or [(home, "home")]


def canonical_url(url: str) -> str | None:
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = re.sub(r"/(?:index|default)\.(?:html?|php|aspx?)$", "/", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc.lower()}{path}{query}"


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _link_score(text: str, path: str) -> float:
    score = 0.0
    for word, weight in SERVICE_WORDS.items():
        if word in text:
            score = max(score, weight + 1.0)
        if word.replace(" ", "-") in path:
            score = max(score, weight)
    return score
