"""Markdown documents are read as the page they publish, HTML is left to the HTML parser."""

from __future__ import annotations

from analyzer.extract import extract_text, page_title, parse_page
from analyzer.markdown_input import is_markdown, looks_like_html, markdown_to_html

SERVICES_MD = """---
title: "Our services"
description: Front-matter text that the published page never shows
---

# What we do

We run back offices for clinics and build their software.

## Medical billing

- Claims submission and follow-up
- Payment posting

## Software development

Custom patient portals and integrations with practice-management systems.
"""


def test_markdown_is_told_from_html() -> None:
    assert is_markdown(SERVICES_MD)
    assert is_markdown(SERVICES_MD.encode("utf-8"))
    assert is_markdown("\ufeff" + SERVICES_MD)
    assert is_markdown("# Services\n\n- Data entry\n- Bookkeeping\n")
    html_with_markdown_lines = "<html><body><pre>\n# not a heading\n- not a list\n</pre><p>Hi</p></body></html>"
    assert not is_markdown(html_with_markdown_lines)
    assert not is_markdown("Just one line of plain text.")
    assert not is_markdown(b"")


def test_html_is_told_by_its_markup_not_by_a_stray_angle_bracket() -> None:
    assert looks_like_html("<section><h2>Services</h2><ul><li>Data entry</li></ul></section>")
    assert looks_like_html(b"<!DOCTYPE html><title>x</title>")
    assert looks_like_html("x" * 5000 + "<div>late markup</div>")  # past the quick first look
    assert not looks_like_html("Orders of < 5 seats, and a <presentation> of our work")
    assert not looks_like_html(SERVICES_MD)


def test_a_markdown_page_gives_one_block_per_section_and_its_front_matter_title() -> None:
    page = parse_page(SERVICES_MD)
    assert page.title == "Our services"
    texts = [block.text for block in page.blocks]
    assert "Claims submission and follow-up" in texts
    assert "Payment posting" in texts
    assert any(text.startswith("Software development") for text in texts)
    assert len(page.blocks) >= 4
    by_text = {block.text: block for block in page.blocks}
    assert by_text["Payment posting"].section == "Medical billing"
    assert "Front-matter text" not in page.text
    assert page_title(SERVICES_MD) == "Our services"
    assert "Payment posting" in extract_text(SERVICES_MD)


def test_markdown_without_front_matter_and_raw_html_is_escaped() -> None:
    rendered = markdown_to_html("## Services\n\n- Web <b>design</b>\n- Hosting\n")
    assert "<title></title>" in rendered
    assert "&lt;b&gt;" in rendered  # raw HTML in Markdown is shown as text, never run as markup


def test_html_pages_are_parsed_as_before() -> None:
    html = "<html><head><title>Services</title></head><body><h2>Data entry</h2><p>Forms keyed by hand.</p></body></html>"
    page = parse_page(html)
    assert page.title == "Services"
    assert [block.text for block in page.blocks] == ["Data entry\nForms keyed by hand."]
