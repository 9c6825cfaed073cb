"""Markdown documents read as the HTML they publish.

Static-site generators keep a vendor's pages as Markdown (``content/services/bpo.md``) and
scraping pipelines often hand over Markdown instead of HTML. Rendered, its headings, lists
and paragraphs become the same blocks a published page would give; read as HTML, the whole
file would be one block of text.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

# Markup that only HTML has; one of these in a document's opening means it is HTML, even if
# it also has lines that look like Markdown (a "# " inside a script, a "- " in a <pre>).
_HTML_MARKUP = re.compile(rb"<(?:!doctype|html|head|body|div|p|section|main|article|table|span|ul|ol|h[1-6]|a)[\s>/]", re.IGNORECASE)
# A YAML front-matter block at the very start: metadata for the site generator, not page text.
_FRONT_MATTER = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(rb"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_MARKDOWN_STRUCTURE = re.compile(rb"^(?:#{1,6}[ \t]+\S|[-*+][ \t]+\S|\d{1,3}[.)][ \t]+\S)", re.MULTILINE)
# How much of a document is read to tell Markdown from HTML.
_SNIFF_BYTES = 64 * 1024
_QUICK_SNIFF_BYTES = 1024
_MIN_STRUCTURE_LINES = 2

_renderer = MarkdownIt("commonmark", {"html": False})


def looks_like_html(document: str | bytes) -> bool:
    """Whether the document's opening has markup that only HTML has."""
    if _HTML_MARKUP.search(_bytes(document[:_QUICK_SNIFF_BYTES])):
        return True  # nearly every HTML page says so in its first line or two
    return bool(_HTML_MARKUP.search(_bytes(document[:_SNIFF_BYTES])))


def is_markdown(document: str | bytes) -> bool:
    """Whether the document is Markdown: front matter or Markdown headings and lists, and no HTML markup."""
    if looks_like_html(document):
        return False
    opening = _bytes(document[:_SNIFF_BYTES])
    return bool(_FRONT_MATTER.match(opening)) or len(_MARKDOWN_STRUCTURE.findall(opening)) >= _MIN_STRUCTURE_LINES


def markdown_to_html(document: str | bytes) -> str:
    """The HTML page a Markdown document publishes: its front matter's title, then the rendered body."""
    data = _bytes(document)
    title = ""
    front_matter = _FRONT_MATTER.match(data)
    if front_matter:
        found = _FRONT_MATTER_TITLE.search(front_matter.group(1))
        title = found.group(1).decode("utf-8", errors="replace").strip("\"'") if found else ""
        data = data[front_matter.end():]
    body = _renderer.render(data.decode("utf-8", errors="replace"))
    return f"<html><head><title>{html.escape(title)}</title></head><body>{body}</body></html>"


def _bytes(document: str | bytes) -> bytes:
    return document.encode("utf-8", errors="replace") if isinstance(document, str) else document
