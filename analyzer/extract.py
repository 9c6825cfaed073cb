"""HTML to ordered offering blocks: a heading with the text under it, a card, a list item.

The extractor drops what never describes an offering (scripts, navigation, headers,
footers, forms, cookie banners, hidden nodes, link-dense menus, buttons) and keeps the
short text of cards and lists that article extractors throw away. It knows nothing about
labels.

One walk over the DOM does the work. Each element is judged twice: on entry by what it is
(tag, role, hidden; furniture by tag or class name is measured in C and skipped whole),
and on exit by what it held (its share of link text, whether it carried the page's
title, whether it looked like a card). An element judged chrome on exit has its lines
taken back, so the walk stays linear.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from .markdown_input import is_markdown, markdown_to_html

logger = logging.getLogger(__name__)

# Never content, whatever their class: skipped with everything inside them.
DROP_TAGS = frozenset({
    "script", "style", "noscript", "svg", "iframe", "template", "nav", "aside", "footer",
    "button", "select", "textarea", "input", "option", "canvas", "video", "audio",
    "object", "embed", "map", "head", "dialog", "menu", "-comment", "title", "meta", "link",
})
DROP_ROLES = frozenset({
    "navigation", "contentinfo", "complementary", "search", "dialog", "alertdialog",
    "menu", "menubar", "tooltip",
})
# Roles and class words of collapsed accordion and tab panels (WAI-ARIA disclosure pattern).
DISCLOSURE_ROLES = frozenset({"tabpanel", "region"})
_DISCLOSURE_CLASS = re.compile(r"(?<![a-z0-9])(?:accordion|collapse|collapsible|tab-pane|tabpanel|tab-content|panel)")
# React's streaming server rendering sends a page's content in <div hidden id="S:0">,
# which a script then moves into place: content, not a hidden node.
_STREAMED_ID = re.compile(r"S:\d+$")
HEADING_LEVEL = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Phrasing elements: their text joins the surrounding line; every other element breaks it.
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em",
    "font", "i", "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small",
    "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var",
})
# A <header> inside one of these heads that section, not the page.
SECTIONING_TAGS = frozenset({"article", "section"})  # and <main>
SWALLOWING_TAGS = frozenset({"noscript", "iframe"})  # see _drop_noscript
EMPHASIS_TAGS = frozenset({"b", "strong"})
# Elements without content: a line break or a word gap at most.
VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "source", "track", "area", "col", "param"})
# Marks the end of an inline element: a word gap unless punctuation follows.
_BOX_END = "\x00"

# Class or id words of page furniture; matched as whole words between -, _ or spaces so
# "share" drops "share-bar" but "sharepoint" or "shared-services" are left alone. Words
# that also name what vendors sell ("social" media, "search" marketing) are left out:
# a card named for its service must not go.
_CHROME_WORDS = (
    "cookie", "cookies", "consent", "gdpr", "newsletter", "subscribe", "popup", "pop-up", "modal",
    "breadcrumb", "breadcrumbs", "share", "sharing", "skip-link", "skiplink", "sr-only",
    "screen-reader-text", "visually-hidden", "visuallyhidden", "offcanvas", "off-canvas", "sidebar",
    "footer", "navbar", "nav", "navigation", "menu", "megamenu", "mega-menu", "submenu", "sub-menu",
    "topbar", "top-bar", "pagination", "related", "promo", "announcement", "login", "signin", "sign-in",
)
# A page header by class or id only as a whole name: "card-header" or "module_header"
# title a card, not the page.
_HEADER_NAMES = ("header", "site-header", "masthead")
_BUTTON_WORDS = ("btn", "button", "cta")


def _words_pattern(words: Sequence[str]) -> str:
    return "|".join(map(re.escape, words))


_CHROME_CLASS = re.compile(rf"(?<![a-z0-9])(?:{_words_pattern(_CHROME_WORDS)})(?![a-z0-9])")
# Both in one alternation behind one lookbehind: "A|B" of two patterns searches about
# twice as slowly.
_BLOCK_CHROME_CLASS = re.compile(
    rf"(?<![a-z0-9])(?:{_words_pattern(_CHROME_WORDS)}|(?<!\S)(?:{_words_pattern(_HEADER_NAMES)})(?!\S))(?![a-z0-9])"
)
# Class words of buttons: a short link styled as one is a call to action, not content.
_BUTTON_CLASS = re.compile(rf"(?<![a-z0-9])(?:{_words_pattern(_BUTTON_WORDS)})(?![a-z0-9])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOX_END_BEFORE_PUNCT = re.compile(r"\x00+(?=[\s.,;:!?)\]}'\"’”%]|$)")
_PUNCT_AFTER_BOX_END = re.compile(r"\x00[.,;:!?)\]}'\"’”%]")

# A container whose text is at least this share link text, over at least MENU_MIN_LINKS
# links averaging at most MENU_MAX_LINK_CHARS characters, is a menu: menus are lists of
# short links, while a grid of linked cards has long links (heading plus a sentence).
# Set from how menus and card grids are built in general (a menu entry is one to four
# words), then checked on the WCXB benchmark as a whole.
MENU_LINK_SHARE = 0.5
MENU_MIN_LINKS = 3
MENU_MAX_LINK_CHARS = 40
# A line made only of link text and shorter than this many words, outside lists and
# headings, is a button or a stray menu link ("Get started", "Contact us"), not content.
BUTTON_MAX_WORDS = 5
# Share of a line's characters in links above which the line counts as all links (the
# rest is the spaces and separators between them).
LINK_LINE_SHARE = 0.8
# A card is a container starting with a heading and holding no other heading; longer
# than this it is a page section rather than a card (a card is a title and a sentence or
# three).
CARD_MAX_CHARS = 600
CARD_MIN_LEVEL = 3  # an <h1> or <h2> heads a page section, not a card
# A bold or stand-alone line at most this long, followed by text, heads a card that
# marks its title with <strong> or a styled div instead of a heading.
CARD_TITLE_MAX_WORDS = 8
# An unmarked short line heads a card only when a sentence follows it (about eight words).
CARD_BODY_MIN_CHARS = 40
# Two or more lines under a heading, each at most this many words and none a sentence or a
# bare figure, are a list built of <div>s rather than <li>s ("Market research", "Customer
# follow-up"): each line is its own list item, as it would be in a <ul>. Table cells are a
# grid, and a figure ("300K+") goes with its caption: those stay together.
LIST_LINE_MAX_WORDS = 6
_NAMING_WORD = re.compile(r"[^\W\d_]{2}")  # two letters in a row: "QA" names, "300K+" counts
# <main> holds the content when it carries at least this share of the page's text; a
# smaller <main> is taken as a misused landmark and the whole body is read instead.
MAIN_MIN_SHARE = 0.3
# A long element of prose under a chrome class ("sidebar-layout" around the content) is
# not furniture: furniture is short (a cookie notice, a share bar) or made of links
# (menus, footers, sidebars of links). F1 on WCXB is flat for limits from 800 to 1,200.
CHROME_MAX_CHARS = 1000
CHROME_LINK_SHARE = 0.25


@dataclass(frozen=True)
class Block:
    """One offering block: a heading with the text under it, a card or a list item."""

    text: str
    kind: str
    heading: str = ""
    heading_path: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None

    @property
    def section(self) -> str:
        """The heading this block sits under: a list item's heading, a card's or section's parent heading."""
        if not self.heading_path:
            return ""
        if self.text.split("\n", 1)[0].strip() == self.heading_path[-1].strip():
            return self.heading_path[-2] if len(self.heading_path) >= 2 else ""
        return self.heading_path[-1]


@dataclass(frozen=True)
class ParsedPage:
    """What one parse of a page yields: its blocks, its title and the tree itself.

    ``tree`` is the lexbor tree of the page (None when the markup could not be parsed) for
    callers that read more from it (links, language); the blocks and the title are already
    taken, so a caller may change the tree.
    """

    blocks: list[Block]
    title: str
    tree: HTMLParser | None

    @property
    def text(self) -> str:
        """The blocks' text, as extract_text returns it."""
        return "\n\n".join(block.text for block in self.blocks)


def parse_page(html: str | bytes, *, url: str | None = None) -> ParsedPage:
    """Parse a page once: its offering blocks (each carrying ``url``), title and tree; never raises.

    A Markdown document is read as the HTML page it publishes (``markdown_input``).
    """
    html = _as_html(html)
    tree = _parse(html)
    parts = _safe_parts(tree, html, url)
    return ParsedPage([Block(text, kind, heading, path, url) for text, kind, heading, path in parts], _title(tree), tree)


def extract_blocks(html: str | bytes, *, url: str | None = None) -> list[Block]:
    """Return the page's offering blocks in document order; never raises on any input."""
    return parse_page(html, url=url).blocks


def extract_text(html: str | bytes) -> str:
    """The cleaned text of a page, block by block: what the model reads."""
    html = _as_html(html)
    return "\n\n".join(part[0] for part in _safe_parts(_parse(html), html, None))


def page_title(html: str | bytes) -> str:
    """The page's <title>, whitespace collapsed; "" when it has none."""
    return _title(_parse(_as_html(html)))


def _as_html(document: str | bytes) -> str | bytes:
    return markdown_to_html(document) if is_markdown(document) else document


def _title(tree: HTMLParser | None) -> str:
    if tree is None:
        return ""
    head = tree.head  # where the title is: searching there first spares a search of the body
    node = (head.css_first("title") if head is not None else None) or tree.css_first("title")
    return _clean(node.text()) if node is not None else ""


def _safe_parts(tree: HTMLParser | None, html: str | bytes, url: str | None) -> list[_Part]:
    try:
        return _assemble(_items(tree, html))
    except Exception:  # a parser bug must cost one page, never the scan
        logger.warning("extraction failed for %s", url or "a page", exc_info=True)
        return []


def drop_repeated(pages: Sequence[list[Block]]) -> list[list[Block]]:
    """Drop boilerplate blocks that repeat on every page of a site (menus, footers, CTAs).

    With three or more pages, a block found on all of them is boilerplate. Two pages (a
    home page and its services page) legitimately share their service list, so there only
    the run of blocks that both pages open with, or close with, in the same order is
    dropped: that is where site chrome sits, while a shared service list sits among each
    page's own content.
    """
    if len(pages) < 2:
        return [list(blocks) for blocks in pages]
    if len(pages) >= 3:
        common = set.intersection(*({b.text for b in blocks} for blocks in pages))
        return [[b for b in blocks if b.text not in common] for blocks in pages]
    first, second = ([b.text for b in blocks] for blocks in pages)
    head = _shared_run(first, second)
    tail = _shared_run(first[head:][::-1], second[head:][::-1])
    return [list(blocks[head:len(blocks) - tail]) for blocks in pages]


def _shared_run(first: Sequence[str], second: Sequence[str]) -> int:
    """How many leading items the two sequences share, in order."""
    run = 0
    for a, b in zip(first, second):
        if a != b:
            break
        run += 1
    return run


def _parse(html: str | bytes) -> HTMLParser | None:
    """The lexbor tree of the page; bytes are read as UTF-8 as they are (no decoding to str,
    which lexbor would only encode back)."""
    try:
        return HTMLParser(html)
    except Exception:  # selectolax raises on a few pathological inputs; an empty page is the answer
        logger.debug("unparseable HTML", exc_info=True)
        return None


def _drop_noscript(html: str) -> str:
    """Cut <noscript> elements out of the markup, for a page that one swallowed.

    lexbor parses <noscript> as markup (scripting off), so a tracking pixel written as
    <noscript><iframe .../></noscript> opens an <iframe> that swallows the rest of the
    page as raw text. Browsers run scripts and never render <noscript>. str.find is used
    because a regular expression costs several times more on big pages.
    """
    parts = []
    position = 0
    while (start := html.find("<noscript", position)) >= 0:
        parts.append(html[position:start])
        end = html.find("</noscript", start)
        if end < 0:  # unclosed: it runs to the end of the page, as a browser reads it
            return "".join(parts)
        close = html.find(">", end)
        position = len(html) if close < 0 else close + 1
    parts.append(html[position:])
    return "".join(parts)


# An item is one line the walk found: (kind, text, level, list_id).
#   kind "h": a heading of `level`; "t": a line of text, whose level may mark it BOLD_LINE
#   or LINK_LINE; "end": a card closes here.
#   list_id: the <li> the line sits in (0 outside lists), so lines of one item join.
Item = tuple[str, str, int, int]
BOLD_LINE = 7
# A short line that is one link and nothing else: a card's title when text follows it in
# the card, otherwise a button or a stray menu link ("Get started", "Contact us").
LINK_LINE = 8
# A line in a table cell: a table's short cells are a grid, not a list of lines.
TABLE_LINE = 9


def _items(tree: HTMLParser | None, html: str | bytes) -> list[Item]:
    try:
        return _walk_tree(tree, watch_noscript=True)
    except _Swallowed:  # rare: pay for the search through the markup only then
        if isinstance(html, bytes):
            html = html.decode("utf-8", errors="replace")
        return _walk_tree(_parse(_drop_noscript(html)), watch_noscript=False)


def _walk_tree(tree: HTMLParser | None, *, watch_noscript: bool) -> list[Item]:
    if tree is None:
        return []
    root = tree.body or tree.root
    if root is None:
        return []
    walker = _Walker(watch_noscript=watch_noscript)
    walker.walk(root)
    return walker.content_items()


class _Swallowed(Exception):
    """A <noscript> holds the rest of the page as text (see _drop_noscript)."""


# A walked element, as a tuple (one is made per element and the walk must stay fast): its
# children iterator, kind (see _KINDS) and attributes; the walker's counts when it was
# entered (items, chars, link_chars, links, h1s); where its text starts in the current
# line; the enclosing <li>; and a flag: for an inline element, whether a bold element opens
# its line (LEADS); for a block, whether it looked like furniture on entry (FURNITURE).
_Frame = tuple[Any, ...]
CHILDREN, KIND, ATTRS, ITEMS, CHARS, LINK_CHARS, LINKS, H1S, LINE_START, SAVED_LIST, FLAG = range(11)
LEADS = FURNITURE = FLAG
_NO_ATTRIBUTES: dict[str, str | None] = {}

# What the walk does with a node, by kind: skipped with what it holds (DROPPED; SWALLOWING
# is checked for a swallowed page first), void (RULE, BREAK, VOID), inline (INLINE, LINK,
# EMPHASIS), or a block. Of the blocks, MAIN (the content landmark), PAGE_HEADER and FORM
# (furniture by tag, whatever their class: a page's <header>, not a section's, and a
# <form>) are judged by their tag alone, chrome unless they carry the title; MAIN and
# SECTION open a section; a TABLE marks the lines in it (TABLE_LINE). HEADING + level is
# an <h1> to <h6>. The walk reads lexbor's numeric tag id, which costs about half of
# reading the tag name (a new string each time), and one lookup in _KINDS replaces the
# tests of the name against each set above.
(TEXT, DROPPED, SWALLOWING, RULE, BREAK, VOID, INLINE, LINK, EMPHASIS, BLOCK, TABLE, LIST_ITEM, SECTION, MAIN,
 PAGE_HEADER, FORM) = range(16)
HEADING = FORM


def _kinds() -> dict[int, int]:
    """Lexbor's tag ids of the tags the walk tells apart (any other element is a BLOCK).

    The ids of HTML's tags are lexbor constants, the same in every document: they are read
    here from elements made by name, so the table is lexbor's own.
    """
    named = {name: DROPPED for name in DROP_TAGS} | {name: SWALLOWING for name in SWALLOWING_TAGS}
    named |= {name: VOID for name in VOID_TAGS} | {"hr": RULE, "br": BREAK}
    named |= {name: INLINE for name in INLINE_TAGS} | {name: EMPHASIS for name in EMPHASIS_TAGS} | {"a": LINK}
    named |= {name: SECTION for name in SECTIONING_TAGS} | {"li": LIST_ITEM, "main": MAIN, "table": TABLE}
    named |= {"header": PAGE_HEADER, "form": FORM} | {name: HEADING + level for name, level in HEADING_LEVEL.items()}
    document = HTMLParser("<p>text<!--comment--></p>")
    paragraph = document.css_first("p")
    assert paragraph is not None
    text, comment = (node.tag_id for node in paragraph.iter(True))
    kinds = {text: TEXT, comment: named.pop("-comment")}
    kinds |= {document.create_node(name).tag_id: kind for name, kind in named.items()}
    return kinds


_KINDS = _kinds()


class _Walker:
    """Collects the lines of a page in one depth-first walk, judging each element.

    The walk keeps its own stack rather than recursing, so deeply nested markup (broken
    pages nest thousands of unclosed tags) cannot exhaust Python's recursion limit. Its
    loop is written out in one function because it runs once per node and is most of the
    extractor's time; elements that look like furniture (a page header, a form, a chrome
    class) are measured in C on entry and skipped whole when they are.
    """

    def __init__(self, *, watch_noscript: bool = True) -> None:
        self.watch_noscript = watch_noscript  # raise _Swallowed at a <noscript> holding the page
        self.items: list[Item] = []
        self.line: list[str] = []
        self.line_link_chars = 0
        self.chars = 0  # text kept so far, and how much of it sat inside links
        self.link_chars = 0
        self.links = 0
        self.h1s = 0  # non-link <h1> lines kept so far
        self.in_link = 0
        self.in_section = 0
        self.in_table = 0
        self.list_id = 0
        self.next_list_id = 1
        self.bold_line = True  # every character of the current line so far is bold
        self.in_bold = 0
        self.mains: list[tuple[int, int, int]] = []  # (first item, end item, chars)
        self.marks: list[int] = []  # where the "h" and "end" items are, in order

    def walk(self, root: Node) -> None:
        line = self.line
        items = self.items
        kinds = _KINDS
        verdicts = _BLOCK_CHROME_VERDICTS
        stack: list[_Frame] = [(root.iter(True, True), BLOCK, _NO_ATTRIBUTES, 0, 0, 0, 0, 0, 0, 0, False)]
        while stack:
            frame = stack[-1]
            for child in frame[CHILDREN]:  # resumes where this element was left
                kind = kinds.get(child.tag_id, BLOCK)
                if kind == TEXT:
                    text = child.text_content  # never blank: skip_empty leaves those out
                    line.append(text)
                    if self.in_link:
                        self.line_link_chars += len(text.strip())
                    if self.bold_line and not self.in_bold:
                        self.bold_line = False
                    continue
                if kind < INLINE:
                    if kind == SWALLOWING:
                        if self.watch_noscript and "</noscript" in child.text():
                            raise _Swallowed  # its end tag, read as text: it swallowed what follows
                    elif kind == RULE:
                        self.flush()
                    elif kind != DROPPED and line:
                        line.append(" " if kind == BREAK else _BOX_END)
                    continue
                attrs = child.attributes
                if attrs and (
                    "style" in attrs or "role" in attrs or "hidden" in attrs or "aria-hidden" in attrs
                ) and _is_dropped(attrs):  # most elements have none of what _is_dropped reads
                    continue
                if kind < BLOCK:
                    leads = False
                    if kind == LINK:
                        self.in_link += 1
                    elif kind == EMPHASIS:
                        self.in_bold += 1
                        leads = not "".join(line).strip()
                    stack.append((
                        child.iter(True, True), kind, attrs, len(items), self.chars, self.link_chars,
                        self.links, self.h1s, len(line), self.list_id, leads,
                    ))
                    break
                if kind == PAGE_HEADER:
                    furniture = not self.in_section  # a page's <header>, not a section's
                elif kind == FORM:
                    furniture = True
                elif kind > HEADING or not attrs:  # a heading is the title
                    furniture = False
                else:  # a chrome class or id
                    furniture = False
                    element_id = attrs.get("id")
                    if element_id:
                        cached = verdicts.get(element_id)
                        furniture = _is_block_chrome_name(element_id) if cached is None else cached
                    names = attrs.get("class")
                    if names and not furniture:
                        cached = verdicts.get(names)
                        furniture = _is_block_chrome_name(names) if cached is None else cached
                if furniture and _is_furniture(child):
                    continue
                if line:
                    self.flush()
                stack.append((
                    child.iter(True, True), kind, attrs, len(items), self.chars, self.link_chars,
                    self.links, self.h1s, 0, self.list_id, furniture,
                ))
                if kind == LIST_ITEM:
                    self.list_id, self.next_list_id = self.next_list_id, self.next_list_id + 1
                elif kind == SECTION or kind == MAIN:
                    self.in_section += 1
                elif kind == TABLE:
                    self.in_table += 1
                break
            else:  # every child done: leave the element
                stack.pop()
                if not stack:  # the root has nothing above it to keep instead
                    break
                kind = frame[KIND]
                if kind < BLOCK:
                    if kind == LINK:
                        self.in_link -= 1
                        self.links += 1
                    elif kind == EMPHASIS:
                        self.in_bold -= 1
                    if self.chars != frame[CHARS] or frame[LEADS] or frame[ATTRS] and len(line) > frame[LINE_START]:
                        self._exit_inline(frame)
                    else:
                        # The walk skips blank text nodes (in C, which is much faster), so the
                        # gap in "<a>One</a> <a>Two</a>" is put back here, and taken out again
                        # before punctuation. Spans styled as blocks ("<span>Title</span><span>
                        # Text") need it too.
                        line.append(_BOX_END)
                    continue
                if line:
                    self.flush(kind - HEADING if kind > HEADING else 0)
                if kind == LIST_ITEM:  # any other element leaves the <li> as it found it
                    self.list_id = frame[SAVED_LIST]
                elif kind == SECTION or kind == MAIN:
                    self.in_section -= 1
                elif kind == TABLE:
                    self.in_table -= 1
                if self.chars != frame[CHARS] and (
                    frame[FURNITURE] or len(items) - frame[ITEMS] > 1 or self.links - frame[LINKS] >= MENU_MIN_LINKS
                    or MAIN <= kind <= FORM or "role" in frame[ATTRS]
                ):  # else one line, no menu, no furniture and no landmark: nothing to judge
                    self._judge(frame)
        self.flush()

    def _exit_inline(self, frame: _Frame) -> None:
        """Leave an inline element that held blocks, may be a button or a chrome span, or
        is a bold lead-in (the walk itself ends the others)."""
        if self.chars != frame[CHARS]:  # the element held blocks: judge it like one
            self.flush()
            self._judge(frame)
        elif len(self.line) > frame[LINE_START] and frame[ATTRS] and self._is_inline_chrome(frame):
            del self.line[frame[LINE_START]:]
        elif frame[LEADS] and len("".join(self.line).split()) <= CARD_TITLE_MAX_WORDS:
            self.flush()  # a bold lead-in ("<strong>Payroll</strong> We run...") titles what follows
        else:
            self.line.append(_BOX_END)

    def _is_inline_chrome(self, frame: _Frame) -> bool:
        """A short button link, or a "Share" or "skip to content" span inside a line."""
        is_link = frame[KIND] == LINK
        if not _has_name(frame[ATTRS], _is_button_name if is_link else _is_chrome_name):
            return False
        words = "".join(self.line[frame[LINE_START]:]).split()
        if len(words) > BUTTON_MAX_WORDS:
            return False
        if is_link:
            self.line_link_chars -= sum(map(len, words)) + len(words) - 1 if words else 0
        return True

    def _judge(self, frame: _Frame) -> None:
        """Take back an element's lines if it turned out to be chrome; note cards and <main>."""
        chars = self.chars - frame[CHARS]
        if self.h1s <= frame[H1S] and self._is_chrome(frame, chars):  # the page's title is never in its furniture
            self._rollback(frame)
            return
        first = frame[ITEMS]
        if frame[KIND] == MAIN or frame[ATTRS].get("role") == "main":
            self.mains.append((first, len(self.items), chars))
        if chars <= CARD_MAX_CHARS and len(self.items) - first >= 2:
            self._close_card(first)

    def _is_chrome(self, frame: _Frame, chars: int) -> bool:
        links = self.links - frame[LINKS]
        link_chars = self.link_chars - frame[LINK_CHARS]
        if links >= MENU_MIN_LINKS and link_chars >= MENU_LINK_SHARE * chars and link_chars <= MENU_MAX_LINK_CHARS * links:
            return True
        if chars > CHROME_MAX_CHARS and link_chars < CHROME_LINK_SHARE * chars:
            return False
        if frame[KIND] < BLOCK:  # a link wrapping blocks: its flag means LEADS
            return _has_name(frame[ATTRS], _is_block_chrome_name)
        return bool(frame[FURNITURE])

    def _close_card(self, first: int) -> None:
        """Mark the end of a card: a short container opening with its one title."""
        items = self.items
        head = items[first]
        last_mark = self.marks[-1] if self.marks else -1
        if head[0] == "h":
            if head[2] < CARD_MIN_LEVEL or last_mark != first:  # a second heading, or a card inside
                return
            level = head[2]
        elif last_mark >= first or not _is_card_title(head, items[first + 1]):
            return
        else:
            level = 6
            items[first] = ("h", head[1], level, 0)
            self.marks.append(first)
        self.marks.append(len(items))
        items.append(("end", "", level, 0))

    def flush(self, level: int = 0) -> None:
        """End the current line: a heading of `level`, or text."""
        line = self.line
        if not line:
            return
        text = _clean("".join(line))
        line.clear()
        link_chars = self.line_link_chars
        if text:
            length = len(text)
            if level:
                self.marks.append(len(self.items))
                self.items.append(("h", text, level, self.list_id))
                if level == 1 and link_chars < length / 2:
                    self.h1s += 1
            elif self.list_id or text.count(" ") >= BUTTON_MAX_WORDS:
                self.items.append(("t", text, TABLE_LINE if self.in_table else 0, self.list_id))
            else:  # a short line outside lists: it could title a card
                marked = (
                    LINK_LINE if link_chars >= LINK_LINE_SHARE * length
                    else BOLD_LINE if self.bold_line
                    else TABLE_LINE if self.in_table
                    else 0
                )
                self.items.append(("t", text, marked, 0))
            self.chars += length
            self.link_chars += min(link_chars, length)
        self.line_link_chars = 0
        self.bold_line = True

    def _rollback(self, frame: _Frame) -> None:
        first = frame[ITEMS]
        del self.items[first:]
        while self.marks and self.marks[-1] >= first:
            self.marks.pop()
        self.chars, self.link_chars, self.links, self.h1s = frame[CHARS], frame[LINK_CHARS], frame[LINKS], frame[H1S]
        self.mains = [m for m in self.mains if m[0] < first]

    def content_items(self) -> list[Item]:
        """The page's items, narrowed to <main> when one landmark holds most of the text."""
        items = self.items
        if len(self.mains) == 1:
            first, end, chars = self.mains[0]
            if chars >= MAIN_MIN_SHARE * self.chars:
                items = items[first:end]
        return [item for item in items if item[2] != LINK_LINE or item[0] != "t"]


def _is_furniture(node: Node) -> bool:
    """Judge a furniture-looking element on entry, measuring it in C, and skip it whole.

    The rules are those of _Walker._is_chrome for a page header, a form or a chrome class,
    applied to the element's raw text (hidden parts included), which is never shorter
    than what the walk would keep. Anything let through is judged again on exit. The
    search for an <h1> is made only when the rest says furniture.
    """
    text = node.text()
    if len(text) > CHROME_MAX_CHARS:  # cleaning only ever shortens it
        chars = _clean_length(text)
        if chars > CHROME_MAX_CHARS and _links_length([link.text() for link in node.css("a")]) < CHROME_LINK_SHARE * chars:
            return False
    return node.css_first("h1") is None


def _has_name(attrs: dict[str, str | None], verdict: Callable[[str], bool]) -> bool:
    """Whether the element's id or class string gets the verdict."""
    element_id = attrs.get("id")
    if element_id and verdict(element_id):
        return True
    names = attrs.get("class")
    return names is not None and names != "" and verdict(names)


# Verdicts on class and id strings, kept across pages: a site's pages, and pages built with
# one framework, repeat the same strings. Each cache is a dict (the walk reads the one of
# block chrome itself, as a call costs more than the lookup) emptied when it reaches
# NAME_CACHE_SIZE, which is far above a page's distinct strings.
NAME_CACHE_SIZE = 8192


def _name_verdict(pattern: re.Pattern[str], words: Iterable[str]) -> tuple[dict[str, bool], Callable[[str], bool]]:
    """A cache of verdicts and the function that fills it: whether a class or id string
    holds one of ``words`` (as ``pattern`` finds them, between non-alphanumerics).

    Most strings hold none of the words, and a pattern search tries every position; a word
    can only match where its first part is a whole run of letters and digits, so an ASCII
    string without any such run is answered by a split, in C, without the search.
    """
    verdicts: dict[str, bool] = {}
    first_runs = frozenset(word.split("-")[0].encode() for word in words)

    def verdict(names: str) -> bool:
        found = verdicts.get(names)
        if found is None:
            if names.isascii() and first_runs.isdisjoint(names.encode().translate(_RUNS).split()):
                found = False
            else:
                found = pattern.search(names.lower()) is not None
            if len(verdicts) >= NAME_CACHE_SIZE:
                verdicts.clear()
            verdicts[names] = found
        return found

    return verdicts, verdict


# Bytes A-Z lowered, a-z and 0-9 kept, every other byte made a space: what is left splits
# into the runs of letters and digits between which the patterns look for their words.
_RUNS = bytes(c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))
_BLOCK_CHROME_VERDICTS, _is_block_chrome_name = _name_verdict(_BLOCK_CHROME_CLASS, _CHROME_WORDS + _HEADER_NAMES)
_is_chrome_name = _name_verdict(_CHROME_CLASS, _CHROME_WORDS)[1]
_is_button_name = _name_verdict(_BUTTON_CLASS, _BUTTON_WORDS)[1]


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    style = attrs.get("style")
    return "hidden" in attrs or attrs.get("aria-hidden") == "true" or bool(style and _is_hidden_style(style))


@lru_cache(maxsize=8192)  # inline styles repeat across a page's elements and a site's pages
def _is_hidden_style(style: str) -> bool:
    return _HIDDEN_STYLE.search(style) is not None


def _is_dropped(attrs: dict[str, str | None]) -> bool:
    """Hidden (unless a collapsed disclosure panel or streamed content) or in a chrome role."""
    if attrs.get("role") in DROP_ROLES:
        return True
    return _is_hidden(attrs) and not _is_disclosure_panel(attrs) and not _STREAMED_ID.match(attrs.get("id") or "")


def _is_disclosure_panel(attrs: dict[str, str | None]) -> bool:
    """A collapsed accordion or tab panel: hidden until a click, but part of the page."""
    return (
        attrs.get("role") in DISCLOSURE_ROLES
        or "aria-labelledby" in attrs
        or bool(_DISCLOSURE_CLASS.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()))
    )


def _is_card_title(first: Item, second: Item) -> bool:
    """A short line heading a card without a heading tag: set apart by bold or a link, or
    followed by a sentence (a plain short line followed by more short lines is a list)."""
    text = first[1]
    if first[0] != "t" or second[0] != "t" or text.count(" ") >= CARD_TITLE_MAX_WORDS or text.endswith("."):
        return False
    if first[2] in (BOLD_LINE, LINK_LINE):
        return second[2] != first[2]
    return len(second[1]) >= CARD_BODY_MIN_CHARS and len(second[1]) > 2 * len(text)


# A block before it becomes a Block: (text, kind, heading, heading path). extract_text
# needs only the text, and building Blocks for it cost more than assembling them.
_Part = tuple[str, str, str, tuple[str, ...]]


def _assemble(items: Iterable[Item]) -> list[_Part]:
    """Group lines into blocks: each heading with the text under it, list items, cards."""
    parts: list[_Part] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    body_in_table = False
    list_lines: list[str] = []
    list_id = 0
    heading_list = 0  # the <li> the current heading sits in: its lines are the heading's body
    heading_shown = True  # the innermost heading has been emitted with a block already

    def section(kind: str) -> None:
        nonlocal heading_shown, body_in_table
        heading = path[-1][1] if path else ""
        heading_path = tuple(h for _, h in path)
        if len(body) >= 2 and not body_in_table and all(_is_list_line(line) for line in body):
            if heading and not heading_shown:
                parts.append((heading, "heading", heading, heading_path))
            parts.extend((line, "list_item", heading, heading_path) for line in body)
        elif body and heading and not heading_shown:
            parts.append((f"{heading}\n{' '.join(body)}", kind, heading, heading_path))
        elif body:  # more text under a heading already shown, e.g. after a grid of cards
            parts.append((" ".join(body), "paragraph", heading, heading_path))
        elif heading and not heading_shown:
            parts.append((heading, "heading", heading, heading_path))
        heading_shown = True
        body_in_table = False
        body.clear()

    def list_item() -> None:
        heading = path[-1][1] if path else ""
        parts.append((" ".join(list_lines), "list_item", heading, tuple(h for _, h in path)))
        list_lines.clear()

    for kind, text, level, item_list in items:
        if item_list != list_id or kind != "t":
            if list_lines:
                list_item()
            list_id = item_list
        if kind == "h":
            if body or not heading_shown:
                section("section")
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, text))
            heading_list = item_list
            heading_shown = False
        elif kind == "end":
            if body or not heading_shown:
                section("card")
            if path and path[-1][0] == level:
                path.pop()
        elif item_list and item_list != heading_list:
            if not list_lines and (body or not heading_shown):
                section("section")  # the heading goes before its list
            list_lines.append(text)
        else:
            body.append(text)
            body_in_table = body_in_table or level == TABLE_LINE
    if list_lines:
        list_item()
    section("section")
    return parts


def _is_list_line(line: str) -> bool:
    """A short line that names something: not a sentence, and not a bare figure ("300K+",
    "$149", "99%"), whose caption on the next line belongs with it."""
    return (
        line.count(" ") < LIST_LINE_MAX_WORDS
        and not line.endswith((".", "!", "?"))
        and _NAMING_WORD.search(line) is not None
    )


# ASCII whitespace (as str.split() reads it) made a space, every other byte an "x".
_SPACE_OR_MARK = bytes(32 if chr(c).isspace() and c < 128 else 120 for c in range(256))


def _clean_length(text: str) -> int:
    """len(_clean(text)), counted in C without splitting the text into words when it is ASCII
    (an element's whole text can run to many thousands of words)."""
    if not text.isascii() or _BOX_END in text:
        return len(_clean(text))
    marks = text.encode().translate(_SPACE_OR_MARK)
    words = marks.count(b" x") + marks.startswith(b"x")
    return len(marks) - marks.count(b" ") + words - 1 if words else 0


def _links_length(texts: list[str]) -> int:
    """sum(len(_clean(text)) for text in texts), counted from the texts joined by whitespace
    (cleaning a text drops one gap fewer than its words, and nothing from a blank one)."""
    joined = "\n".join(texts)
    if not joined.isascii() or _BOX_END in joined:
        return sum(len(_clean(text)) for text in texts)
    filled = sum(1 for text in texts if text and not text.isspace())
    return _clean_length(joined) + 1 - filled if filled else 0


def _clean(text: str) -> str:
    """Whitespace collapsed, zero-width spaces and box ends resolved."""
    if _BOX_END in text:
        # Before a space or at the end a box end is a space as good as taken out, so the
        # substitution is needed only where punctuation follows one.
        if _PUNCT_AFTER_BOX_END.search(text) is not None:
            text = _BOX_END_BEFORE_PUNCT.sub("", text)
        text = text.replace(_BOX_END, " ")
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())
