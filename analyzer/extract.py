"""HTML to ordered offering blocks: a heading with the text under it, a card, a list item.

The extractor drops what never describes an offering (scripts, navigation, headers,
footers, forms, hidden nodes) and keeps the short text of cards and lists that article
extractors throw away. It knows nothing about labels.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser as HTMLParser, LexborNode as Node

logger = logging.getLogger(__name__)

DROP_TAGS = (
    "script", "style", "noscript", "svg", "iframe", "form", "nav", "header", "footer",
    "aside", "template", "button", "select", "textarea", "input", "canvas", "video",
    "audio", "object", "embed", "map",
)
DROP_SELECTORS = (
    '[role="navigation"]', '[role="banner"]', '[role="contentinfo"]', '[role="complementary"]',
    '[role="dialog"]', '[role="search"]', "[hidden]", '[aria-hidden="true"]',
)
HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
TEXT_TAGS = frozenset({"p", "li", "td", "th", "dt", "dd", "blockquote", "figcaption", "pre"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOILERPLATE_CLASS = re.compile(
    r"cookie|consent|gdpr|newsletter|subscribe|popup|modal|breadcrumb|share|social|"
    r"menu|navbar|site-header|site-footer|sidebar|skip-link|back-to-top",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Block:
    """One offering block: a heading with the text under it, a card or a list item."""

    text: str
    kind: str
    heading: str = ""
    heading_path: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None


def extract_blocks(html: str | bytes, *, url: str | None = None) -> list[Block]:
    """Return the page's offering blocks in document order; never raises on bad HTML."""
    tree = _parse(html)
    if tree is None:
        return []
    root = tree.body or tree.root
    if root is None:
        return []
    _strip_boilerplate(root)
    return list(_blocks(_text_nodes(root), url))


def extract_text(html: str | bytes) -> str:
    """The cleaned text of a page, block by block: what the model reads."""
    return "\n\n".join(block.text for block in extract_blocks(html))


def page_title(html: str | bytes) -> str:
    tree = _parse(html)
    node = tree.css_first("title") if tree is not None else None
    return _clean(node.text()) if node is not None else ""


def drop_repeated(pages: Sequence[list[Block]]) -> list[list[Block]]:
    """Drop blocks that repeat on every one of several pages of a site (menus, footers, CTAs)."""
    if len(pages) < 2:
        return [list(blocks) for blocks in pages]
    common = set.intersection(*({b.text for b in blocks} for blocks in pages))
    return [[b for b in blocks if b.text not in common] for blocks in pages]


def _parse(html: str | bytes) -> HTMLParser | None:
    try:
        if isinstance(html, bytes):
            html = html.decode("utf-8", errors="replace")
        return HTMLParser(html)
    except Exception:  # selectolax raises on a few pathological inputs; an empty page is the answer
        logger.debug("unparseable HTML", exc_info=True)
        return None


def _strip_boilerplate(root: Node) -> None:
    root.strip_tags(list(DROP_TAGS))
    for selector in DROP_SELECTORS:
        for node in root.css(selector):
            node.decompose()
    for node in root.css("[style]"):
        if _HIDDEN_STYLE.search(node.attributes.get("style") or ""):
            node.decompose()
    for node in root.css("[class], [id]"):
        marker = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if _BOILERPLATE_CLASS.search(marker) and node.tag not in ("body", "html", "main"):
            node.decompose()


def _text_nodes(root: Node) -> Iterable[tuple[str, str]]:
    """(tag, text) for headings and text-bearing elements in document order."""
    for node in root.traverse(include_text=False):
        tag = node.tag
        if tag in HEADING_TAGS or tag in TEXT_TAGS:
            if tag == "li" and node.css_first("li, p, h1, h2, h3, h4, h5, h6") is not None:
                continue
            if tag in ("td", "th", "dd", "dt") and node.css_first("p, li, h1, h2, h3, h4") is not None:
                continue
            if tag == "p" and node.parent is not None and node.parent.tag in ("li", "td", "th", "dd", "blockquote"):
                continue
            text = _clean(node.text(separator=" "))
            if text:
                yield tag, text
        elif tag in ("div", "span", "a", "section", "article") and _is_leaf_text(node):
            text = _clean(node.text(separator=" "))
            if text:
                yield "p", text


def _is_leaf_text(node: Node) -> bool:
    """A div or span holding text directly, with no block-level children (card text)."""
    own = _clean(node.text(deep=False))
    if not own:
        return False
    for child in node.iter(include_text=False):
        if child.tag in HEADING_TAGS or child.tag in TEXT_TAGS or child.tag in ("div", "section", "article", "ul", "ol", "table"):
            return False
    return True


def _blocks(nodes: Iterable[tuple[str, str]], url: str | None) -> Iterable[Block]:
    path: list[tuple[int, str]] = []
    body: list[str] = []

    def flush() -> Iterable[Block]:
        if path and body:
            heading = path[-1][1]
            yield Block(f"{heading}\n{' '.join(body)}", "section", heading, tuple(h for _, h in path), url)
        elif path and not body:
            yield Block(path[-1][1], "heading", path[-1][1], tuple(h for _, h in path), url)
        elif body:
            yield Block(" ".join(body), "paragraph", "", (), url)

    for tag, text in nodes:
        if tag in HEADING_TAGS:
            yield from flush()
            body = []
            level = HEADING_TAGS[tag]
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, text))
        elif tag == "li":
            heading = path[-1][1] if path else ""
            yield Block(text, "list_item", heading, tuple(h for _, h in path), url)
        else:
            body.append(text)
    yield from flush()


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
