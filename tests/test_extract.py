"""extract.py: what it keeps, what it drops, how it groups blocks, and that it never raises."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from analyzer import extract
from analyzer.extract import (
    Block,
    ParsedPage,
    drop_repeated,
    extract_blocks,
    extract_text,
    page_title,
    parse_page,
)

from .server import SITES

GRIDWORKS = (SITES / "gridworks" / "services.html").read_text(encoding="utf-8")
NORTHWIND = (SITES / "northwind" / "services.html").read_text(encoding="utf-8")
SAMPLES = [GRIDWORKS, NORTHWIND, (SITES / "lexhub" / "services" / "index.html").read_text(encoding="utf-8")]


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>"


def texts(html: str) -> list[str]:
    return [block.text for block in extract_blocks(html)]


# --- what it keeps ------------------------------------------------------------------

def test_every_northwind_card_is_one_block() -> None:
    blocks = extract_blocks(NORTHWIND, url="http://northwind.test/services.html")
    cards = [b for b in blocks if b.kind == "card"]
    assert [c.heading for c in cards] == [
        "Inbound Customer Care", "Outbound Telemarketing", "Data Entry and Forms Processing",
        "Medical Billing", "Payroll and Bookkeeping", "Web and Mobile App Development",
    ]
    assert all(c.heading_path == ("Our Services", c.heading) for c in cards)
    assert all(c.url == "http://northwind.test/services.html" for c in blocks)
    assert cards[3].text == (
        "Medical Billing\nCharge entry, payment posting and denial follow-up for clinics and physician "
        "groups, handled by certified billers."
    )


def test_cards_marked_up_with_links_and_bold_titles_are_blocks() -> None:
    cards = {b.heading: b.text for b in extract_blocks(GRIDWORKS) if b.kind == "card"}
    assert set(cards) == {
        "Insurance claims processing", "Medical billing and coding", "Contact centre outsourcing",
        "Order management", "Accounts payable",
    }
    assert cards["Order management"] == "Order management\nWe key, check and route every web and phone order within the hour."
    assert "Learn more" not in "".join(cards.values())  # button links are calls to action


def test_hero_inside_the_site_header_is_kept_but_its_menu_is_not() -> None:
    blocks = extract_blocks(GRIDWORKS)
    assert blocks[0].heading == "Back-office services that run while you sleep"
    assert "delivery centres in Manila" in blocks[0].text
    text = extract_text(GRIDWORKS)
    assert "Careers" not in text and "About us" not in text and "Get a quote" not in text


def test_collapsed_accordion_panel_is_content() -> None:
    assert "never from home" in extract_text(GRIDWORKS)


def test_section_header_element_is_not_page_chrome() -> None:
    html = page("<main><section><header><h2>Claims intake</h2><p>We index every claim form.</p></header>"
                "<p>Same-day turnaround.</p></section></main>")
    assert "Claims intake\nWe index every claim form. Same-day turnaround." in texts(html)


def test_react_streamed_content_is_not_hidden() -> None:
    html = page('<div id="root"></div><div hidden id="S:0"><h2>Payroll services</h2><p>Monthly payroll runs.</p></div>')
    assert texts(html) == ["Payroll services\nMonthly payroll runs."]


@pytest.mark.parametrize("html", [
    page('<noscript><iframe src="https://t.example/ns" height="0"/></noscript><h2>Data entry</h2><p>Forms keyed twice.</p>'),
    ('<html><head><noscript><iframe src="https://t.example/ns"/></noscript></head>'
     "<body><h2>Data entry</h2><p>Forms keyed twice.</p></body></html>"),
    page('<h2>Data entry</h2><p>Forms keyed twice.</p><noscript><iframe src="https://t.example/ns"/></noscript'),
])
def test_tracking_pixel_in_noscript_does_not_swallow_the_page(html: str) -> None:
    assert texts(html) == ["Data entry\nForms keyed twice."]


def test_table_cells_and_definition_lists_are_kept() -> None:
    html = page("<h2>Plans</h2><table><tr><th>Plan</th><th>Price</th></tr><tr><td>Starter</td><td>$9</td></tr></table>"
                "<dl><dt>Turnaround</dt><dd>Four hours</dd></dl>")
    assert texts(html) == ["Plans\nPlan Price Starter $9 Turnaround Four hours"]


def test_words_split_across_inline_boxes_stay_apart_but_punctuation_joins() -> None:
    html = page("<p><span>Billing</span><span>Coding</span>, and <a href='/x'>appeals</a>.</p>")
    assert texts(html) == ["Billing Coding, and appeals."]


# --- what it drops ------------------------------------------------------------------

@pytest.mark.parametrize("snippet", [
    "Script text never shows", "We use cookies", "Skip to content", "Home", "Recent posts",
    "Mobile-only promotional", "Decorative duplicate", "Get our newsletter", "Share",
    "Registered in Ireland", "© 2026", "Privacy", "tracker.example",
])
def test_gridworks_chrome_is_dropped(snippet: str) -> None:
    assert snippet not in extract_text(GRIDWORKS)


@pytest.mark.parametrize("chrome", [
    "<nav><p>Navigation text</p></nav>",
    "<footer><p>Navigation text</p></footer>",
    "<aside><p>Navigation text</p></aside>",
    "<form><label>Navigation text</label><input name='q'></form>",
    "<div role='navigation'><p>Navigation text</p></div>",
    "<div role='contentinfo'><p>Navigation text</p></div>",
    "<div role='dialog'><p>Navigation text</p></div>",
    "<div hidden><p>Navigation text</p></div>",
    "<div aria-hidden='true'><p>Navigation text</p></div>",
    "<div style='visibility: hidden'><p>Navigation text</p></div>",
    "<div class='gdpr-consent'><p>Navigation text</p></div>",
    "<div id='popup-modal'><p>Navigation text</p></div>",
    "<ol class='breadcrumb'><li>Navigation text</li></ol>",
    "<div class='sharing-bar'><p>Navigation text</p></div>",
    "<header><a href='/'><h1>Navigation text</h1></a></header>",
    "<template><p>Navigation text</p></template>",
    "<p>Before <span class='sr-only'>Navigation text</span> after the fact.</p>",
])
def test_chrome_is_dropped(chrome: str) -> None:
    html = page(f"{chrome}<h2>Medical coding</h2><p>Certified coders assign ICD-10 codes.</p>")
    text = extract_text(html)
    assert "Navigation text" not in text
    assert "Certified coders assign ICD-10 codes." in text


def test_class_words_match_whole_words_only() -> None:
    html = page("<div class='sharepoint-services'><h3>SharePoint migration</h3><p>We move your intranet.</p></div>"
                "<div class='research-desk'><h3>Equity research</h3><p>Models and notes.</p></div>"
                "<div class='social-media-card'><h3>Social media moderation</h3><p>Comments reviewed 24/7.</p></div>")
    assert texts(html) == [
        "SharePoint migration\nWe move your intranet.", "Equity research\nModels and notes.",
        "Social media moderation\nComments reviewed 24/7.",
    ]


NAME_PIECES = ["nav", "menu", "header", "site-header", "masthead", "pop-up", "sr-only", "top", "sub", "sign",
               "cookies", "btn", "cta", "card", "grid", "NAV", "Menu", "x1", "é", "\u212a", "_", "-", " ", "\t", ":"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(NAME_PIECES), max_size=8).map("".join))
def test_class_word_verdicts_agree_with_their_pattern(names: str) -> None:
    # The verdicts answer most strings without the pattern search; they must agree with it.
    for verdict, pattern in (
        (extract._is_block_chrome_name, extract._BLOCK_CHROME_CLASS),
        (extract._is_chrome_name, extract._CHROME_CLASS),
        (extract._is_button_name, extract._BUTTON_CLASS),
    ):
        assert verdict(names) == (pattern.search(names.lower()) is not None), (names, pattern.pattern)


TEXT_PIECES = ["ab", "c", " ", "  ", "\n", "\t", "\x0b", "\x1c", "\xa0", "\u200b", "\x00", ".", "é", ""]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TEXT_PIECES), max_size=10).map("".join), max_size=6))
def test_cleaned_lengths_are_counted_exactly(texts_: list[str]) -> None:
    for text in texts_:
        assert extract._clean_length(text) == len(extract._clean(text)), repr(text)
    assert extract._links_length(texts_) == sum(len(extract._clean(text)) for text in texts_), texts_


def test_tag_kinds_follow_the_tag_sets() -> None:
    document = LexborHTMLParser("")
    expected = {name: extract.DROPPED for name in extract.DROP_TAGS - {"-comment"} - extract.SWALLOWING_TAGS}
    expected |= {name: extract.SWALLOWING for name in extract.SWALLOWING_TAGS}
    expected |= {name: extract.INLINE for name in extract.INLINE_TAGS - extract.EMPHASIS_TAGS - {"a"}}
    expected |= {"a": extract.LINK, "b": extract.EMPHASIS, "strong": extract.EMPHASIS, "hr": extract.RULE,
                 "br": extract.BREAK, "img": extract.VOID, "li": extract.LIST_ITEM, "section": extract.SECTION,
                 "article": extract.SECTION, "main": extract.MAIN, "header": extract.PAGE_HEADER, "form": extract.FORM,
                 "table": extract.TABLE,
                 "h1": extract.HEADING + 1, "h6": extract.HEADING + 6}
    for name, kind in expected.items():
        assert extract._KINDS[document.create_node(name).tag_id] == kind, name
    for name in ("div", "p", "ul", "td", "my-card", "service-grid"):  # any other element is a block
        assert document.create_node(name).tag_id not in extract._KINDS, name


def test_long_prose_under_a_chrome_class_is_kept() -> None:
    prose = "Our analysts build financial models and valuation reports for private equity funds. " * 15
    html = page(f"<div class='sidebar-layout'><h2>Financial research</h2><p>{prose}</p></div>")
    assert texts(html) == [f"Financial research\n{prose.strip()}"]


def test_menu_of_short_links_is_dropped_but_grid_of_linked_cards_is_kept() -> None:
    menu = "".join(f"<li><a href='/{n}'>Service {n}</a></li>" for n in range(6))
    cards = "".join(
        f"<a href='/c{n}'><h3>Service line {n}</h3><p>A full sentence describing what service line {n} does for clients.</p></a>"
        for n in range(3)
    )
    text = extract_text(page(f"<div class='dropdown'><ul>{menu}</ul></div><div class='grid'>{cards}</div>"))
    assert "Service 1" not in text
    assert all(f"Service line {n}\nA full sentence" in text for n in range(3))


def test_main_landmark_narrows_the_page() -> None:
    html = page("<div class='promo-strip'><p>Unrelated banner text outside the main landmark.</p></div>"
                "<main><h1>Legal process outsourcing</h1><p>Document review and contract abstraction for law firms.</p></main>"
                "<div><p>Trailing text outside main.</p></div>")
    assert texts(html) == ["Legal process outsourcing\nDocument review and contract abstraction for law firms."]


# --- how blocks are grouped ---------------------------------------------------------

def test_heading_text_and_list_items() -> None:
    html = page("<h1>Services</h1><p>Intro text.</p><h2>Finance</h2><ul><li>Payroll</li><li>Bookkeeping</li></ul>"
                "<h3>Tax</h3><p>Returns filed.</p><h2>IT</h2><p>Help desk.</p>")
    blocks = extract_blocks(html)
    assert [(b.kind, b.text, b.heading_path) for b in blocks] == [
        ("section", "Services\nIntro text.", ("Services",)),
        ("heading", "Finance", ("Services", "Finance")),
        ("list_item", "Payroll", ("Services", "Finance")),
        ("list_item", "Bookkeeping", ("Services", "Finance")),
        ("section", "Tax\nReturns filed.", ("Services", "Finance", "Tax")),
        ("section", "IT\nHelp desk.", ("Services", "IT")),
    ]
    assert blocks[2].heading == "Finance"
    # The heading each block sits under, as the model reads it: a list item's own heading, a
    # section's parent heading, nothing above the first heading.
    assert [b.section for b in blocks] == ["", "Services", "Finance", "Finance", "Finance", "Services"]


def test_short_lines_of_divs_under_a_heading_are_list_items() -> None:
    # A services list built of <div>s reads like a <ul>: one item per line, under the card's
    # title, not one run-on line.
    html = page("<div class='card'><h3>Outbound calling</h3><div>Market research surveys</div>"
                "<div>Customer follow-up</div><div>Subscription renewals</div></div>")
    blocks = extract_blocks(html)
    assert [(b.kind, b.text, b.section) for b in blocks] == [
        ("heading", "Outbound calling", ""),
        ("list_item", "Market research surveys", "Outbound calling"),
        ("list_item", "Customer follow-up", "Outbound calling"),
        ("list_item", "Subscription renewals", "Outbound calling"),
    ]


def test_a_sentence_a_figure_or_a_table_keeps_the_lines_of_a_body_together() -> None:
    sentence = page("<h3>Payroll</h3><div>Monthly runs</div><div>We file every return on time.</div>")
    assert texts(sentence) == ["Payroll\nMonthly runs We file every return on time."]
    figures = page("<h3>Our record</h3><div>300K+</div><div>Calls answered</div><div>99%</div><div>On time</div>")
    assert texts(figures) == ["Our record\n300K+ Calls answered 99% On time"]
    table = page("<h3>Rates</h3><table><tr><td>Data entry</td><td>$6/hour</td></tr></table>")
    assert texts(table) == ["Rates\nData entry $6/hour"]


def test_text_after_a_card_grid_belongs_to_the_grid_heading() -> None:
    html = page("<h2>Why us</h2><div><h3>Speed</h3><p>Four-hour turnaround.</p></div><p>ISO 27001 certified.</p>")
    blocks = extract_blocks(html)
    assert blocks[-1].text == "ISO 27001 certified."
    assert blocks[-1].heading_path == ("Why us",)


def test_page_title() -> None:
    assert page_title(GRIDWORKS) == "Services | Gridworks Back Office"
    assert page_title("<p>no title</p>") == ""


# --- one parse per page ------------------------------------------------------------------

def test_parse_page_gives_blocks_title_and_the_tree_from_one_parse() -> None:
    url = "http://northwind.test/services.html"
    parsed = parse_page(NORTHWIND, url=url)
    assert isinstance(parsed, ParsedPage)
    assert parsed.blocks == extract_blocks(NORTHWIND, url=url)
    assert all(block.url == url for block in parsed.blocks)
    assert parsed.title == page_title(NORTHWIND) == "Services | Northwind Outsourcing"
    assert parsed.text == extract_text(NORTHWIND)
    assert isinstance(parsed.tree, LexborHTMLParser)
    assert parsed.tree.css_first("title") is not None  # the whole page, head included
    assert parsed.tree.css("a")  # what a crawler reads its links from


def test_parse_page_reads_bytes_as_utf8() -> None:
    html = page("<h2>Café services</h2><p>Bookkeeping for cafés and bistros across the region.</p>")
    from_bytes, from_text = parse_page(html.encode("utf-8")), parse_page(html)
    assert (from_bytes.blocks, from_bytes.title) == (from_text.blocks, from_text.title)
    assert from_bytes.blocks[0].heading == "Café services"


def test_changing_the_tree_afterwards_leaves_blocks_alone() -> None:
    parsed = parse_page(GRIDWORKS)
    before = list(parsed.blocks)
    assert parsed.tree is not None and parsed.tree.body is not None
    for node in parsed.tree.css("script, style, h2"):  # what a caller like needs_javascript does
        node.decompose()
    assert parsed.blocks == before and parsed.blocks


def test_title_outside_the_head_is_still_found() -> None:
    assert page_title("<html><head></head><body><p>Intro</p><title>Late title</title></body></html>") == "Late title"


# --- boilerplate shared by the pages of a site ---------------------------------------

def blocks_of(*lines: str) -> list[Block]:
    return [Block(line, "paragraph") for line in lines]


def test_blocks_on_every_one_of_three_pages_are_dropped() -> None:
    pages = [blocks_of("Menu", "Claims", "Call us"), blocks_of("Menu", "Billing", "Call us"), blocks_of("Menu", "Call us", "Coding")]
    assert [[b.text for b in p] for p in drop_repeated(pages)] == [["Claims"], ["Billing"], ["Coding"]]


def test_two_pages_keep_their_shared_service_list_but_drop_shared_ends() -> None:
    home = blocks_of("Menu", "Welcome", "Payroll", "Claims", "Ready to talk?")
    services = blocks_of("Menu", "Payroll", "Claims", "Our process", "Ready to talk?")
    kept = drop_repeated([home, services])
    assert [[b.text for b in p] for p in kept] == [["Welcome", "Payroll", "Claims"], ["Payroll", "Claims", "Our process"]]


def test_one_page_is_left_alone() -> None:
    assert drop_repeated([blocks_of("A", "B")]) == [blocks_of("A", "B")]


# --- never raises ---------------------------------------------------------------------

class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_swallowed_errors() -> Iterator[None]:
    """extract_blocks turns an internal error into an empty page; here that must not happen."""
    handler = Collect()
    logger = logging.getLogger("analyzer.extract")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


def check(html: str | bytes) -> None:
    with no_swallowed_errors():
        blocks = extract_blocks(html)
        text = extract_text(html)
        title = page_title(html)
        parsed = parse_page(html)
    assert all(isinstance(b, Block) and b.text for b in blocks)
    assert isinstance(text, str)
    assert (parsed.blocks, parsed.text, parsed.title) == (blocks, text, title)


TAGS = ["div", "p", "li", "ul", "a", "span", "h2", "h3", "strong", "header", "nav", "main", "section", "table", "td", "form"]
markup = st.lists(
    st.one_of(
        st.sampled_from([f"<{t}>" for t in TAGS] + [f"</{t}>" for t in TAGS]),
        st.sampled_from(["<div hidden>", "<p class='cookie'>", "<a class='btn' href=x>", "<br>", "<!--", "<script>", "<noscript>"]),
        st.text(max_size=20),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup)
def test_random_markup_never_raises(html: str) -> None:
    check(html)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    check(data)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SAMPLES), st.floats(min_value=0, max_value=1))
def test_truncated_pages_never_raise(html: str, cut: float) -> None:
    check(html[: int(len(html) * cut)])
    check(html.encode("utf-8")[: int(len(html) * cut)])


def test_deeply_nested_markup_is_walked_without_recursion() -> None:
    depth = 5000
    html = "<div>" * depth + "<p>Deep service text.</p>" + "</div>" * depth
    with no_swallowed_errors():
        assert extract_text(html) == "Deep service text."


@pytest.mark.parametrize("html", [b"", "", b"\xff\xfe\x00garbage", "<html>", "%PDF-1.7 binary", "<p>" + "x" * 200_000])
def test_odd_inputs(html: str | bytes) -> None:
    check(html)
