"""Finding a vendor's services pages, starting from its home page.

A small best-first crawl, two levels deep. Every same-site link on the home page is scored
by what names a services page: its anchor text and title, its URL path, and its place (a
menu, a dropdown under "Services", a section headed "Our services"). The best links are
fetched through the Fetcher a few at a time; a services page's own links to its child pages
(``/services/data-entry``) or to the pages its cards describe join the queue one level down.
The crawl stops at ``settings.max_pages`` pages, when no link left looks like a services
page, or once the pages fetched hold enough distinct text to judge the vendor by. (Before the
crawl, the scan trades a home page in another language for the English version it names,
``english_versions``: the model reads English.) When the home page links to nothing useful,
``sitemap.xml`` (and the ``Sitemap:`` lines of robots.txt) is read instead; when nothing is
found at all, the home page itself is classified.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from . import errors
from .config import Settings
from .extract import ParsedPage, parse_page
from .fetch import DEFAULT_PORTS, FetchedPage, Fetcher

logger = logging.getLogger(__name__)

# Words that name a page of services, and how surely. Anchor text, headings and URL paths are
# reduced to lowercase words first (hyphens, underscores and camelCase split), so "Services",
# "our-services", "what_we_do" and "WhatWeDo.html" all meet the same entry. Weights were set by
# hand: the generic names of a services page at 4-5, names that sometimes mean one (products,
# our work) lower, and names of pages about customers rather than offerings (industries) lowest.
SERVICE_TERMS: dict[str, float] = {
    "services": 5.0, "service": 4.5, "what we do": 5.0, "what we offer": 5.0, "how we help": 3.5,
    "offerings": 4.5, "offering": 4.0, "solutions": 4.0, "solution": 3.5,
    "capabilities": 4.0, "capability": 3.5, "expertise": 3.5, "areas of expertise": 4.0,
    "practice areas": 4.5, "practice area": 4.5, "specialties": 3.0, "specialities": 3.0,
    "our work": 2.0, "products": 1.5, "industries": 0.5, "sectors": 0.5, "who we serve": 0.5,
}
# Words that may surround a term in a label that names the services page itself ("View all
# our services") rather than one service ("Data entry services").
HUB_FILLER = frozenset({"our", "all", "view", "see", "explore", "browse", "the", "we", "and", "more", "other", "key", "core"})
# A label of more words is a sentence (a hero slogan), not the name of a menu or section.
LABEL_MAX_WORDS = 5
# Only the surer names (expertise and up) make a menu or heading a services label.
LABEL_MIN_WEIGHT = 3.0
# The first words of those names: text without any of them is no label (a cheap first test).
LABEL_STARTS = frozenset(term.split()[0] for term, weight in SERVICE_TERMS.items() if weight >= LABEL_MIN_WEIGHT)

# Scores: a link is fetched only when it reaches MIN_SCORE, i.e. when at least one strong sign
# says "services" (or two weak ones do).
MIN_SCORE = 4.0
TEXT_BONUS = 1.0        # the anchor text says it: stronger than the same word in a path
HUB_BONUS = 1.0         # the label is the services page's own name: fetch it first, it leads on
MENU_BONUS = 1.0        # site menus link the pages a vendor most wants found
EXTRA_SIGNAL = 0.5      # each further independent sign
GROUP_WEIGHT = 4.0      # a link in a "Services" dropdown or under an "Our services" heading
CHILD_WEIGHT = 4.5      # a services page's link to a page beneath its own path
HUB_ITEM_WEIGHT = 4.0   # a link in a services page's content (its cards' "Learn more")
# Each page already taken from a group (one dropdown, one column of a mega-menu's services
# dropdown, one hub's children) lowers the next one from that group by this much, so a vendor
# with two lines of business is read on both.
DIVERSITY_PENALTY = 1.0
# Stop once the services pages fetched hold this many distinct offering blocks beyond those
# of the home page: a full services hub and then some, or one page for each of three lines of
# business (a vendor selling call-center, research and software work often gives each line its
# own page of a dozen blocks). Past that, more pages of the same site repeat what the mix
# already says, so the crawl saves the vendor's server (and the scan's time) the rest. At 24,
# the crawl stopped after the first line of business of such vendors and missed the others.
ENOUGH_BLOCKS = 40
MAX_LINKS_PER_PAGE = 2000
# What a language switcher's English link reads, in lower case.
ENGLISH_LINK_TEXTS = frozenset({"en", "eng", "english", "english version", "in english", "en english", "english en"})
# A script's literal redirect: location = "...", window.location.href = '...', location.replace("...");
# not some object's own "location" (office.location = "Berlin").
_SCRIPT_REDIRECT = re.compile(
    r"""(?:\b(?:window|document|top|self)\.|(?<![\w.$]))location"""
    r"""(?:(?:\.href)?\s*=\s*(?P<q1>["'])(?P<target>[^"'\s]{1,500})(?P=q1)"""
    r"""|\.(?:replace|assign)\(\s*(?P<q2>["'])(?P<called>[^"'\s]{1,500})(?P=q2)\s*\))"""
)
# The type of a script a browser runs (no type, or a JavaScript one); JSON and templates are data.
_SCRIPT_TYPES = frozenset({"", "text/javascript", "application/javascript", "module"})
# What a "page not found" page served with status 200 (a soft 404) says: a whole part of its
# title ("404", "Page not found", between separators such as " | ") or its short first heading,
# or a sentence about the page being missing. Numbers and words that merely contain these
# ("SOX 404 compliance", "Studio 404", "Staff not found? We find them.") are services pages.
_NOT_FOUND_NAME = re.compile(
    r"(?:(?:error|http)\s*)?404(?:\s*(?:error|page|not\s+found))?|(?:(?:page|file|content)\s+)?not\s+found"
    r"|nothing\s+(?:was\s+)?found|page\s+(?:is\s+)?missing",
    re.IGNORECASE,
)
_NOT_FOUND_SENTENCE = re.compile(
    r"\bpage\b[^.!?]{0,40}?\b(?:can(?:no|\W)?t|could(?:\s*no|n\W?)t)\s+be\s+found"
    r"|\bpage\b[^.!?]{0,40}?\b(?:does(?:\s*no|n\W?)t\s+exist|no\s+longer\s+exists|is(?:\s*no|n\W?)t\s+available)"
    r"|\b(?:can(?:no|\W)?t|could(?:\s*no|n\W?)t)\s+find\s+(?:that|this|the)\s+page\b",
    re.IGNORECASE,
)
_TITLE_SEPARATOR = re.compile(r"\s[|\u2013\u2014\u00b7:-]\s|\s?\|\s?")
_INTERJECTION = re.compile(r"^(?:oops|whoops|sorry|uh[\s-]?oh|error)\b\W*", re.IGNORECASE)
# The longest first heading read as a soft 404's: longer ones are content.
NOT_FOUND_HEADING_WORDS = 12
# A soft 404's own text is short: a real services page that happens to match is not.
NOT_FOUND_MAX_WORDS = 150
# A site's pages share their menus and footers, so the same link targets come back page after
# page: the cleaned URL and key of the last URL_CACHE_SIZE targets are kept (a few hundred
# bytes each; enough for every link of the sites a batch has in flight). Longer URLs are
# rare and not kept.
URL_CACHE_SIZE = 8192
URL_CACHE_MAX_CHARS = 2048
MAX_SITEMAPS = 4
MAX_SITEMAP_URLS = 5000

SKIP_SEGMENT = re.compile(
    r"^(?:about(?:-?us)?|contact(?:-?us)?|blogs?|news|articles?|careers?|jobs?|vacanc(?:y|ies)|"
    r"privacy(?:-?policy)?|terms.*|cookies?(?:-?policy)?|disclaimer|legal-notice|imprint|impressum|"
    r"refunds?(?:-policy)?|log-?in|sign-?in|sign-?up|register|cart|checkout|account|my-account|"
    r"faqs?|team|our-team|press|events?|webinars?|sitemap|search|tags?|category|categories|author|"
    r"feed|rss|wp-admin|wp-login|testimonials?|reviews?|clients?|partners?|gallery|portfolio|"
    r"case-stud(?:y|ies)|thanks?|thank-you|404)$",
    re.IGNORECASE,
)
SKIP_EXTENSIONS = (
    ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".zip", ".gz", ".rar", ".doc",
    ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".mp3", ".mp4", ".mov", ".avi", ".css", ".js", ".json",
    ".xml", ".txt", ".csv",
)
TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w+|gclid|dclid|gbraid|wbraid|fbclid|msclkid|yclid|igshid|twclid|mc_cid|mc_eid|_ga|_gl|"
    r"_hsenc|_hsmi|hsctatracking|mkt_tok|ref|ref_src|trk|spm|pk_\w+|mtm_\w+|piwik_\w+|s_cid|oly_\w+)$",
    re.IGNORECASE,
)
# ISO 639-1 codes: a path segment or file-name suffix made of one marks a translated copy.
LANGUAGE_CODES = frozenset(
    "aa ab af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de "
    "dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia "
    "id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo "
    "lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl "
    "ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk "
    "tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu".split()
)
_LANGUAGE_SUFFIX = re.compile(r"^(.+)[-_.]([a-z]{2})(?:[-_][a-z]{2})?$", re.IGNORECASE)
_LANGUAGE_SEGMENT = re.compile(r"^([a-z]{2})(?:[-_][a-z]{2,4})?$", re.IGNORECASE)
_INDEX_FILE = re.compile(r"/(?:index|default|home)\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9&]+")
_TERMS = re.compile(r"\b(" + "|".join(sorted((re.escape(t) for t in SERVICE_TERMS), key=len, reverse=True)) + r")\b")
_LOC = re.compile(r"<loc>\s*(.*?)\s*</loc>", re.IGNORECASE | re.DOTALL)
_MENU_MARK = re.compile(r"\b(?:nav|navbar|navigation|menu|menubar|submenu|sub-menu|dropdown|mega-?menu)\b", re.IGNORECASE)
_FOOTER_MARK = re.compile(r"\bfooter\b", re.IGNORECASE)
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
REGION_TAGS = frozenset({"header", "nav", "footer", "aside", "main"})
TOGGLE_TAGS = frozenset({"a", "span", "button", "strong", "b", "p", "div", "label"})
EYEBROW_TAGS = frozenset({"p", "span", "div", "small", "strong", "b", "em", "label"})
BLOCK_TAGS = frozenset({"div", "p", "section", "article", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"})

# needs-JavaScript detection. A page under NEEDS_JS_TEXT chars of visible text that carries
# scripts is an app shell; so is one under SHELL_TEXT chars (a menu and a footer around an
# empty mount point, or a body that is almost all script). Real services pages, even short
# ones, carry well over SHELL_TEXT chars of text.
NEEDS_JS_TEXT = 200
SHELL_TEXT = 1000
SCRIPT_SHARE = 0.9
UNSHOWN = "script, style, noscript, template, svg"
APP_ROOTS = "#root, #app, #__next, #__nuxt, #___gatsby, #svelte, [ng-app], [data-reactroot], app-root"


@dataclass(frozen=True)
class Link:
    """A same-site link and what its page says about it."""

    url: str
    key: str
    text: str
    group: str
    in_menu: bool
    in_content: bool


@dataclass(frozen=True)
class FoundPage:
    """A page chosen for classification, with its role and what its one parse yielded.

    ``parsed`` keeps the blocks and title but not the lexbor tree, so a crawl in flight holds
    no trees (one costs several times its page's size).
    """

    page: FetchedPage
    role: str
    parsed: ParsedPage


@dataclass(frozen=True)
class Crawl:
    """What discovery read: the pages to classify, and the services pages it chose but could
    not read, each as the error that stopped it (its ``url`` the page's)."""

    pages: list[FoundPage]
    unread: list[errors.ScanError]


@dataclass(frozen=True)
class Candidate:
    url: str
    key: str
    score: float
    group: str
    depth: int
    order: int  # where the link first appeared: ties go to the one a vendor lists first


@dataclass(frozen=True)
class Site:
    """The vendor's site, as the home page defines it."""

    host: str
    port: int | None
    language: str | None

    @classmethod
    def of(cls, page: FetchedPage, tree: LexborHTMLParser | None = None) -> Site:
        """The site of a home page; pass ``tree`` when the page is already parsed."""
        root = _tree(page.html if tree is None else tree)
        lang = root.root if root is not None else None
        code = (lang.attrs.get("lang") or "") if lang is not None else ""
        return cls.at(page.final_url, code[:2].lower() or None)

    @classmethod
    def at(cls, url: str, language: str | None = None) -> Site:
        """The site a URL is on."""
        parts = urlsplit(url)
        return cls(_bare_host(parts.hostname or ""), _port(parts.scheme, parts.port), language)

    def contains(self, url: str) -> bool:
        """Same host (``www.`` aside) or a subdomain of it, on the same port."""
        parts = urlsplit(url)
        host = _bare_host(parts.hostname or "")
        same_host = host == self.host or host.endswith("." + self.host)
        return same_host and _port(parts.scheme, parts.port) == self.port


async def discover(
    home: FetchedPage,
    fetcher: Fetcher,
    settings: Settings,
    *,
    deadline: float | None = None,
    home_parsed: ParsedPage | None = None,
) -> Crawl:
    """The pages to classify with their role (services pages, or else the home page, "home"),
    and the services pages chosen but not read.

    ``deadline`` (event-loop time) ends the crawl early with the pages fetched so far.
    ``home_parsed`` is ``parse_page(home.html, url=home.final_url)`` when the caller has it.
    Every page is parsed once, here or by the caller, and its blocks are handed on.
    """
    parsed = home_parsed or parse_page(home.html, url=home.final_url)
    site = Site.of(home, parsed.tree)
    home_key = url_key(home.final_url)
    home_links = page_links(parsed.tree, home.final_url, site)
    home_parsed = _without_tree(parsed)
    del parsed  # the home page's tree is not needed past its links
    queue = {c.key: c for c in rank_links(home_links, depth=1)}
    if not queue:
        sitemap_links = await _sitemap_links(home, fetcher, site, deadline)
        queue = {c.key: c for c in rank_links(sitemap_links, depth=1)}
    chrome = {link.key for link in home_links}
    seen_blocks = {block.text for block in home_parsed.blocks}
    known_blocks = len(seen_blocks)
    tried = {home_key}
    taken: Counter[str] = Counter()
    pages: list[FoundPage] = []
    unread: list[errors.ScanError] = []
    seen = {home_key}  # the pages read or listed as unread, so no page is listed twice
    budget = settings.max_pages - 1
    while budget > 0 and len(seen_blocks) - known_blocks < ENOUGH_BLOCKS:
        batch = _pick(queue, tried, taken, min(settings.per_host, budget))
        if not batch:
            break
        budget -= len(batch)
        results, finished = await _fetch_all(batch, fetcher, site, deadline)
        for candidate, page in results:
            if isinstance(page, errors.ScanError):
                _note_unread(unread, page, candidate.url, seen)
                continue
            if url_key(page.final_url) in tried - {candidate.key}:
                continue
            read = _read(page, site, with_links=candidate.depth == 1)
            if isinstance(read, errors.ScanError):
                _note_unread(unread, read, candidate.url, seen)
                continue
            parsed, links = read
            tried.add(url_key(page.final_url))
            seen.add(url_key(page.final_url))
            pages.append(FoundPage(page, "services", parsed))
            seen_blocks.update(block.text for block in parsed.blocks)
            for child in rank_links(links, depth=2, source=page.final_url, chrome=chrome):
                if child.key not in queue or queue[child.key].score < child.score:
                    queue[child.key] = child
        if not finished:
            logger.info("site budget spent; classifying the %d pages fetched", len(pages))
            break
    return Crawl(pages or [FoundPage(home, "home", home_parsed)], unread)


def english_versions(page: FetchedPage, tree: LexborHTMLParser | None = None) -> list[str]:
    """The URLs a page names as its English version, other than itself, surest first: its
    ``<link rel="alternate" hreflang="en" href="/en/">`` on the same site; an hreflang
    alternate on another site (``vendor.de`` naming ``vendor.com``), which is the same vendor's
    only if that page names this site back (``names_alternate``); then its language switcher's
    English links on the same site (``<a hreflang="en">``, or a link reading "EN" or "English")."""
    root = _tree(page.html if tree is None else tree)
    if root is None:
        return []
    site = Site.of(page, root)
    base = _document_base(root, page.final_url)
    alternates = _targets((link for link in _alternates(root) if _names_english(link)), base)
    switchers = _targets((link for link in root.css("a[href]")
                          if _names_english(link) or _words(link.text(separator=" ")) in ENGLISH_LINK_TEXTS), base)
    ordered = [
        *(url for url in alternates if site.contains(url)),
        *(url for url in alternates if not site.contains(url)),
        *(url for url in switchers if site.contains(url)),
    ]
    seen = {url_key(page.final_url)}
    versions = []
    for url in ordered:
        if (key := url_key(url)) not in seen:
            seen.add(key)
            versions.append(url)
    return versions


def names_alternate(tree: LexborHTMLParser | None, url: str, site: Site) -> bool:
    """Whether the page at ``url`` lists a language version of itself on ``site``: the return
    link that makes an hreflang alternate on another site the same vendor's, as search engines
    require before they trust one."""
    if tree is None:
        return False
    return any(site.contains(target) for target in _targets(_alternates(tree), _document_base(tree, url)))


def _alternates(root: LexborHTMLParser) -> list[LexborNode]:
    """The page's ``<link rel="alternate" hreflang>`` elements."""
    return [link for link in root.css("link[hreflang]") if "alternate" in (link.attrs.get("rel") or "").lower().split()]


def _targets(links: Iterable[LexborNode], base: str) -> list[str]:
    """The clean absolute URLs that links' hrefs name, resolved against ``base``."""
    return [url for link in links if (url := clean_url(_join(base, link.attrs.get("href") or ""))) is not None]


def _names_english(link: LexborNode) -> bool:
    return (link.attrs.get("hreflang") or "").lower().split("-")[0] == "en"


def _note_unread(unread: list[errors.ScanError], error: errors.ScanError, url: str, seen: set[str]) -> None:
    """List a page that could not be read, once: several links may end at one failing page."""
    key = url_key(error.url or url)
    if key not in seen:
        seen.add(key)
        unread.append(error)


def _read(page: FetchedPage, site: Site, *, with_links: bool) -> tuple[ParsedPage, list[Link]] | errors.ScanError:
    """One parse of a fetched page: its blocks and title, and its links if asked; or why it
    cannot be read as a services page (it needs JavaScript, or it is a "page not found" page).
    The tree goes when this returns."""
    parsed = parse_page(page.html, url=page.final_url)
    if needs_javascript(parsed.tree):
        return errors.NeedsJavaScript(f"{page.final_url} shows almost no text without JavaScript", url=page.final_url)
    if not_found_page(parsed):
        return errors.HTTPStatusError(f"{page.final_url} is a 'page not found' page, though served with status "
                                      f"{page.status}", url=page.final_url, status=404)
    links = page_links(parsed.tree, page.final_url, site) if with_links else []
    return _without_tree(parsed), links


def not_found_page(parsed: ParsedPage) -> bool:
    """Whether a page that loaded is a "page not found" page (a soft 404): its title or short
    first heading says so and it has little text of its own."""
    heading = parsed.tree.css_first("h1") if parsed.tree is not None else None
    heading_text = heading.text(separator=" ") if heading is not None else ""
    said = _TITLE_SEPARATOR.split(parsed.title)
    if len(heading_text.split()) <= NOT_FOUND_HEADING_WORDS:
        said.append(heading_text)
    if not any(_says_not_found(text) for text in said):
        return False
    return sum(len(block.text.split()) for block in parsed.blocks) <= NOT_FOUND_MAX_WORDS


def _says_not_found(text: str) -> bool:
    text = " ".join(text.split())
    whole = _INTERJECTION.sub("", text).strip(" !.?\u2026")
    return bool(_NOT_FOUND_NAME.fullmatch(whole) or _NOT_FOUND_SENTENCE.search(text))


def _without_tree(parsed: ParsedPage) -> ParsedPage:
    return replace(parsed, tree=None)


def _tree(html: str | LexborHTMLParser | None) -> LexborHTMLParser | None:
    """The parsed page: ``html`` itself when it is already a tree (or None, unparsable)."""
    return LexborHTMLParser(html) if isinstance(html, str) else html


def rank_links(
    links: Iterable[Link], *, depth: int, source: str | None = None, chrome: Set[str] = frozenset()
) -> list[Candidate]:
    """Links that look like services pages, best first; ``source`` is the services page they are on."""
    links = list(links)
    source_dir = _directory(source) if source else None
    content_links = sum(1 for link in links if link.in_content)
    best: dict[str, Candidate] = {}
    for order, link in enumerate(links):
        score = _score(link, source_dir=source_dir, hub_content=source is not None and content_links >= 2,
                       chrome=chrome)
        if score < MIN_SCORE:
            continue
        group = link.group or (source or "")
        if link.key not in best or best[link.key].score < score:
            first = best[link.key].order if link.key in best else order
            best[link.key] = Candidate(link.url, link.key, score, group, depth, first)
    return sorted(best.values(), key=lambda c: (-c.score, c.order))


def page_links(html: str | LexborHTMLParser | None, base_url: str, site: Site) -> list[Link]:
    """The same-site links of a page worth considering, with their text and their place on it.

    ``html`` may be the page already parsed; the tree is only read.
    """
    tree = _tree(html)
    root = (tree.body or tree.root) if tree is not None else None
    if tree is None or root is None:
        return []
    own_key = url_key(base_url)
    base_url = _document_base(tree, base_url)
    origin = _origin(base_url)
    keys: set[str] = set()
    found: list[tuple[str, str, str, str, _Place]] = []
    sections = _SectionLabels()
    places = _Places()
    for node in root.traverse(include_text=False):
        tag = node.tag
        if tag in HEADINGS:
            sections.heading(places.of(node).region, HEADINGS[tag], _label_words(node.text(separator=" ")))
        elif tag == "a" and len(found) < MAX_LINKS_PER_PAGE:
            href = (node.attrs.get("href") or "").strip()
            # a root-relative link resolves the same on every page of the site: look it up once
            base = origin if origin and href.startswith("/") and not href.startswith("//") else base_url
            target = _link_target(base, href, site)
            if target is None:
                continue
            url, key = target
            keys.add(key)
            if key == own_key:
                continue
            place = places.of(node)
            found.append((url, key, _anchor_text(node), place.group or sections.label(place.region), place))
        elif tag in EYEBROW_TAGS and not any(child.tag in BLOCK_TAGS for child in node.iter()):
            text = _label_words(node.text(separator=" "))
            if _is_label(text) and node.css_first("a, button") is None and not _inside_link(node):
                sections.eyebrow(places.of(node).region, text)
    originals = {base for key in keys | {own_key} for code, base in _language_variants(key) if code in (None, site.language)}
    return [
        Link(url, key, text, group, place.in_menu, not (place.in_menu or place.in_footer))
        for url, key, text, group, place in found
        if not any(code not in (None, site.language) and base in originals for code, base in _language_variants(key))
    ]


class _SectionLabels:
    """The services label in force at each point of a page, kept per region (header, main, footer).

    A heading that names services ("Our services") labels its section, which lasts until the
    next heading of its level or above. A short standalone label before a heading ("PRACTICE
    AREAS" above a slogan in an h2) names that heading's section, and until then the links
    that follow it. The h1 is a page's title or slogan, so it names no section by itself.
    """

    def __init__(self) -> None:
        self._stacks: dict[int, list[tuple[int, str]]] = {}
        self._pending: dict[int, str] = {}

    def heading(self, region: int, level: int, text: str) -> None:
        stack = self._stacks.setdefault(region, [])
        while stack and stack[-1][0] >= level:
            stack.pop()
        label = self._pending.pop(region, "") or (text if level > 1 and _is_label(text) else "")
        stack.append((level, label))

    def eyebrow(self, region: int, text: str) -> None:
        self._pending[region] = text

    def label(self, region: int) -> str:
        outer = next((label for _, label in self._stacks.get(region, []) if label), "")
        return outer or self._pending.get(region, "")


def needs_javascript(html: str | LexborHTMLParser | None) -> bool:
    """True for a page that shows (almost) no text until JavaScript runs.

    ``html`` may be the page already parsed; the tree is only read (what is not shown is cut
    from a copy of the body).
    """
    tree = _tree(html)
    body = tree.body if tree is not None else None
    if tree is None or body is None:
        return False
    scripts = tree.css("script")
    if not scripts:
        return False
    script_chars = sum(len(script.text()) for script in scripts)
    if body.any_css_matches((UNSHOWN,)):
        body = body.clone()
        for node in body.css(UNSHOWN):
            node.decompose()
    text_chars = len(_words(body.text(separator=" ")))
    if text_chars < NEEDS_JS_TEXT:
        return True
    if text_chars >= SHELL_TEXT:
        return False
    empty_root = any(not _words(node.text(separator=" ")) for node in body.css(APP_ROOTS))
    return empty_root or script_chars >= SCRIPT_SHARE * (script_chars + text_chars)


def script_redirect(html: str | LexborHTMLParser | None, url: str, site: Site) -> str | None:
    """Where an empty page's script sends a browser on ``site`` (``window.location.href =
    "/en/"``), when the scripts name one page of the site, or one English page among a
    language chooser's; else None.

    Only a literal URL is read: a page that builds its target at run time needs a browser. A
    target off the site (an app shell's "outdated browser" page) or one discovery would skip
    (an app's ``/login``) is no page of the vendor's offer.
    """
    tree = _tree(html)
    if tree is None:
        return None
    base = _document_base(tree, url)
    targets: dict[str, str] = {}
    for script in tree.css("script"):
        if (script.attrs.get("type") or "").strip().lower() not in _SCRIPT_TYPES:
            continue
        for found in _SCRIPT_REDIRECT.finditer(script.text()):
            try:
                target = urljoin(base, found.group("target") or found.group("called"))
            except ValueError:
                continue
            if site.contains(target) and url_key(target) != url_key(url) and not _skipped(target):
                targets.setdefault(url_key(target), target)
    if len(targets) > 1:
        targets = {key: target for key, target in targets.items()
                   if any(code == "en" for code, _ in _language_variants(key))}
    return next(iter(targets.values())) if len(targets) == 1 else None


@lru_cache(maxsize=URL_CACHE_SIZE)
def _cached_target(base: str, href: str, site: Site) -> tuple[str, str] | None:
    cleaned = clean_url(_join(base, href))
    if cleaned is None or not site.contains(cleaned) or _skipped(cleaned):
        return None
    return cleaned, _key_of_clean(cleaned)


def _document_base(tree: LexborHTMLParser, url: str) -> str:
    """The URL a page's relative links resolve against: its ``<base href>``, if it has one.

    Only the head is searched, where the element belongs: searching the whole tree costs ten
    times as much on every page for the rare page that puts it elsewhere.
    """
    base = tree.head.css_first("base[href]") if tree.head is not None else None
    if base is None:
        return url
    try:
        resolved = urljoin(url, (base.attrs.get("href") or "").strip())
    except ValueError:
        return url
    return resolved if urlsplit(resolved).scheme in ("http", "https") else url


def _link_target(base: str, href: str, site: Site) -> tuple[str, str] | None:
    """The cleaned URL and key of a link on a page at ``base``; None when it is off the site or skipped."""
    if len(href) > URL_CACHE_MAX_CHARS:  # e.g. a data: URI; not worth keeping
        return _cached_target.__wrapped__(base, href, site)
    return _cached_target(base, href, site)


def _origin(url: str) -> str:
    """``scheme://host/`` of a page URL: the base against which ``/path`` links resolve alike.

    urljoin reads only the base's scheme and host for a link that starts with one slash.
    "" when the URL has no host, so the page's own URL is used.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""


def clean_url(url: str) -> str | None:
    """An absolute http(s) URL without fragment or tracking parameters; None for anything else."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not TRACKING_PARAMS.match(k)]
        query = query if len(kept) == len(pairs) else urlencode(kept)
    return parts._replace(query=query, fragment="").geturl()


def url_key(url: str) -> str:
    """One string per page: no scheme, ``www.``, default port, index file, trailing slash or tracking."""
    cleaned = clean_url(url)
    return url if cleaned is None else _key_of_clean(cleaned)


def _key_of_clean(cleaned: str) -> str:
    """``url_key`` of a URL that ``clean_url`` returned (it leaves its own output unchanged)."""
    parts = urlsplit(cleaned)
    port = _port(parts.scheme, parts.port)
    host = _bare_host(parts.hostname or "") + (f":{port}" if port not in (None, 80, 443) else "")
    path = quote(unquote(_INDEX_FILE.sub("/", parts.path or "/")), safe="/:@!$&'()*+,;=-._~")
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            segments = segments[:-1]
        elif segment not in ("", "."):
            segments.append(segment)
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return host + "/" + "/".join(segments) + (f"?{query}" if query else "")


@dataclass(frozen=True)
class _Place:
    region: int
    in_menu: bool
    in_footer: bool
    group: str


class _Places:
    """Where the nodes of one page sit: each one's region, whether in a menu or footer, and its
    dropdown's label, with the column's own heading when the dropdown is a mega-menu whose
    columns ("Contact Center", "Legal Support") carry no services word of their own. What an
    ancestor says of its descendants is read once per page."""

    def __init__(self) -> None:
        self._ancestors: dict[int, tuple[str, bool, bool]] = {}
        self._toggles: dict[tuple[int, int], str] = {}

    def of(self, node: LexborNode) -> _Place:
        region = 0
        in_menu = in_footer = False
        group = column = ""
        child, child_tag, ancestor = node, node.tag, node.parent
        while ancestor is not None:
            tag, menu_mark, footer_mark = self._marks(ancestor)
            if tag in ("body", "html"):
                break
            in_menu = in_menu or menu_mark
            in_footer = in_footer or footer_mark
            if not region and tag in REGION_TAGS:
                region = ancestor.mem_id
            if not group and (tag == "li" or in_menu) and child_tag in ("ul", "ol", "div"):
                toggle = self._toggle_text(ancestor, child)
                if _is_label(toggle):
                    group = f"{toggle} / {column}" if column else toggle
                elif not column and len(toggle.split()) <= LABEL_MAX_WORDS:
                    column = toggle
            child, child_tag, ancestor = ancestor, tag, ancestor.parent
        return _Place(region, in_menu, in_footer, group)

    def _marks(self, node: LexborNode) -> tuple[str, bool, bool]:
        """The node's tag, and whether it marks a menu or a footer."""
        found = self._ancestors.get(node.mem_id)
        if found is None:
            tag = node.tag or ""
            attrs = node.attrs
            marks = " ".join(attrs.get(name) or "" for name in ("class", "id", "role"))
            menu = tag in ("nav", "header") or bool(_MENU_MARK.search(marks))
            footer = tag == "footer" or "contentinfo" in marks or bool(_FOOTER_MARK.search(marks))
            found = self._ancestors[node.mem_id] = (tag, menu, footer)
        return found

    def _toggle_text(self, parent: LexborNode, submenu: LexborNode) -> str:
        key = (parent.mem_id, submenu.mem_id)
        text = self._toggles.get(key)
        if text is None:
            text = self._toggles[key] = _toggle_text(parent, submenu)
        return text


def _toggle_text(parent: LexborNode, submenu: LexborNode) -> str:
    """The words of a dropdown's toggle: the parent's first child, when the link is in a later one."""
    first = next(iter(parent.iter()), None)
    if first is None or first.mem_id == submenu.mem_id or first.tag not in TOGGLE_TAGS:
        return ""
    return _words(first.text(separator=" "))


def _score(link: Link, *, source_dir: str | None, hub_content: bool, chrome: Set[str]) -> float:
    path_words = _words(unquote(urlsplit(link.url).path))
    text_weight = _term_weight(link.text)
    signals = [
        text_weight + TEXT_BONUS if text_weight else 0.0,
        _term_weight(path_words),
        GROUP_WEIGHT if link.group else 0.0,
    ]
    if source_dir is not None:
        below = urlsplit(link.url).path.startswith(source_dir) and urlsplit(link.url).path != source_dir
        signals.append(CHILD_WEIGHT if below else 0.0)
        # a link the home page also shows, with no sign of services there, is site chrome
        signals.append(HUB_ITEM_WEIGHT if hub_content and link.in_content and link.key not in chrome else 0.0)
    present = sorted((s for s in signals if s > 0), reverse=True)
    if not present:
        return 0.0
    score = present[0] + EXTRA_SIGNAL * (len(present) - 1)
    if link.in_menu:
        score += MENU_BONUS
    if _is_hub_label(link.text) or _is_hub_label(_words(_last_segment(link.url))):
        score += HUB_BONUS
    return score


def _pick(queue: dict[str, Candidate], tried: set[str], taken: Counter[str], count: int) -> list[Candidate]:
    """The next ``count`` candidates, best first, each group's score lowered by what it already gave."""
    batch: list[Candidate] = []
    for _ in range(count):
        open_ = [c for c in queue.values() if c.key not in tried]
        if not open_:
            break
        best = max(open_, key=lambda c: (c.score - DIVERSITY_PENALTY * taken[c.group], -c.depth, -c.order))
        tried.add(best.key)
        taken[best.group] += 1
        batch.append(best)
    return batch


async def _fetch_all(
    batch: list[Candidate], fetcher: Fetcher, site: Site, deadline: float | None
) -> tuple[list[tuple[Candidate, FetchedPage | errors.ScanError]], bool]:
    """Fetch a batch at once; a page that fails comes back as its error. False when the
    deadline cut it short."""
    tasks = [asyncio.ensure_future(fetcher.fetch(c.url, may_redirect=site.contains)) for c in batch]
    timeout = None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())
    try:
        done, pending = await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            task.cancel()  # a no-op for finished tasks; stops the rest if the scan is cancelled
        await asyncio.gather(*tasks, return_exceptions=True)
    results: list[tuple[Candidate, FetchedPage | errors.ScanError]] = []
    for candidate, task in zip(batch, tasks, strict=True):
        if task not in done:
            late = errors.FetchTimeout("the site's time budget ran out before this page loaded", url=candidate.url)
            results.append((candidate, late))
        elif isinstance(failure := task.exception(), errors.ScanError):
            logger.info("skipping %s: %s", candidate.url, failure)
            results.append((candidate, failure))
        else:
            results.append((candidate, task.result()))  # re-raises anything that is a bug
    return results, not pending


async def _sitemap_links(home: FetchedPage, fetcher: Fetcher, site: Site, deadline: float | None) -> list[Link]:
    """Page URLs from the site's sitemaps (those robots.txt lists, else /sitemap.xml), as bare links."""
    links: list[Link] = []
    try:
        async with asyncio.timeout_at(deadline):
            queue = [u for u in await fetcher.sitemaps(home.final_url) if site.contains(u)]
            queue = queue or [urljoin(home.final_url, "/sitemap.xml")]
            for _ in range(MAX_SITEMAPS):
                if not queue or len(links) >= MAX_SITEMAP_URLS:
                    break
                text = await fetcher.fetch_text(queue.pop(0))
                if text is None:
                    continue
                locations = [htmllib.unescape(loc) for loc in _LOC.findall(text)][:MAX_SITEMAP_URLS]
                if "<sitemapindex" in text[:2000].lower():
                    queue.extend(loc for loc in locations if site.contains(loc))
                    continue
                for loc in locations:
                    url = clean_url(loc)
                    if url is not None and site.contains(url) and not _skipped(url):
                        links.append(Link(url, url_key(url), "", "", False, False))
    except TimeoutError:
        logger.info("site budget spent while reading sitemaps")
    return links


def _join(base: str, href: str) -> str:
    try:
        return urljoin(base, href.strip())
    except ValueError:  # a malformed href, such as an unclosed IPv6 bracket
        return ""


def _inside_link(node: LexborNode) -> bool:
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.tag in ("a", "button"):
            return True
        ancestor = ancestor.parent
    return False


def _anchor_text(node: LexborNode) -> str:
    attrs = node.attrs
    parts = [node.text(separator=" "), attrs.get("title") or "", attrs.get("aria-label") or ""]
    if next(node.iter(), None) is not None:  # an <img> needs an element child to sit in
        parts += [img.attrs.get("alt") or "" for img in node.css("img")]
    return _words(" ".join(parts))


def _words(text: str) -> str:
    """Lowercase words: camelCase, hyphens, underscores and punctuation become spaces."""
    return " ".join(_NON_WORD.split(_CAMEL.sub(" ", text).lower())).strip()


def _label_words(text: str) -> str:
    """``_words(text)`` when the text may be a services label (see ``_is_label``), else "".

    Each word ``_words`` makes is a run of ``text.lower()``, so a label's term starts with one of
    LABEL_STARTS there; most text of a page has none and is not split into words at all.
    """
    lowered = text.lower()
    return _words(text) if any(start in lowered for start in LABEL_STARTS) else ""


def _term_weight(words: str) -> float:
    return max((SERVICE_TERMS[m] for m in _TERMS.findall(words)), default=0.0)


def _is_label(words: str) -> bool:
    """A short heading or menu label that names services ("Our services", "IT solutions")."""
    return 0 < len(words.split()) <= LABEL_MAX_WORDS and _term_weight(words) >= LABEL_MIN_WEIGHT


def _is_hub_label(words: str) -> bool:
    """A label that is the name of the services page itself, not of one service."""
    if not words or len(words.split()) > LABEL_MAX_WORDS:
        return False
    rest = _TERMS.sub(" ", words).split()
    return _term_weight(words) >= LABEL_MIN_WEIGHT and all(word in HUB_FILLER for word in rest)


def _skipped(url: str) -> bool:
    path = urlsplit(url).path.lower()
    if path.endswith(SKIP_EXTENSIONS):
        return True
    return any(SKIP_SEGMENT.match(re.sub(r"\.\w+$", "", segment)) for segment in path.split("/") if segment)


@lru_cache(maxsize=URL_CACHE_SIZE)
def _language_variants(key: str) -> tuple[tuple[str | None, str], ...]:
    """(language, key of the page it translates) readings of a URL key, the unmarked reading first.

    A translated copy is marked by a language code as its first path segment (``/fr/services``)
    or as a suffix of its file name (``services-fr.html``); a translation is only ever dropped
    when the page it translates is linked too.
    """
    host, _, path = key.partition("/")
    segments = path.split("/")
    readings: list[tuple[str | None, str]] = [(None, key.rstrip("/"))]
    first = _LANGUAGE_SEGMENT.match(segments[0])
    if first and first.group(1).lower() in LANGUAGE_CODES:
        readings.append((first.group(1).lower(), url_key(f"http://{host}/{'/'.join(segments[1:])}").rstrip("/")))
    stem, dot, extension = segments[-1].rpartition(".") if "." in segments[-1] else (segments[-1], "", "")
    suffix = _LANGUAGE_SUFFIX.match(stem)
    if suffix and suffix.group(2).lower() in LANGUAGE_CODES:
        base = "/".join([*segments[:-1], suffix.group(1) + dot + extension])
        readings.append((suffix.group(2).lower(), url_key(f"http://{host}/{base}").rstrip("/")))
    return tuple(readings)


def _directory(url: str) -> str:
    """The path under which a page's child pages live: /services/ for /services and /services.html."""
    path = urlsplit(url).path
    path = _INDEX_FILE.sub("/", path)
    return re.sub(r"\.\w+$", "", path).rstrip("/") + "/"


def _last_segment(url: str) -> str:
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    return unquote(re.sub(r"\.\w+$", "", segment))


def _bare_host(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


def _port(scheme: str, port: int | None) -> int | None:
    return port if port not in (None, DEFAULT_PORTS.get(scheme)) else None
