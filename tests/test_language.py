"""English or not: the model reads English only, and says so rather than answer for other languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import analyzer
from analyzer import Settings
from analyzer.language import MIN_WORDS, foreign_language

from .server import SITES, SiteServer

SPANISH = (
    "Somos un equipo de cuarenta personas en Medellín. Atendemos las llamadas de sus clientes, registramos "
    "facturas y recibos todos los días, preparamos la nómina de cada mes y respondemos los correos en menos "
    "de dos horas. Trabajamos para tiendas, clínicas y despachos contables de toda América Latina desde hace "
    "once años, con contratos claros y sin permanencia mínima."
)
FRENCH = (
    "Notre cabinet accompagne les entreprises de taille moyenne dans la saisie de leurs factures, le "
    "rapprochement bancaire et la préparation des fiches de paie. Nos collaborateurs, basés à Lille et à "
    "Tunis, répondent aussi au téléphone pour vos clients du lundi au samedi, et vous remettent chaque mois "
    "un tableau de bord simple et lisible."
)
VIETNAMESE = (
    "Chúng tôi là công ty dịch vụ tại Đà Nẵng với hơn hai trăm nhân viên. Chúng tôi nhận cuộc gọi của khách "
    "hàng, nhập dữ liệu hóa đơn mỗi ngày, làm bảng lương hàng tháng và trả lời thư điện tử cho các cửa hàng, "
    "phòng khám và công ty kế toán ở Nhật Bản, Úc và Singapore trong suốt mười năm qua."
)
ENGLISH_PROSE = (
    "We are a team of forty people in Medellín. We answer your customers' calls, key in invoices and receipts "
    "every day, run the payroll each month and reply to emails within two hours. For eleven years we have "
    "worked for shops, clinics and accounting firms across Latin America, on clear contracts with no minimum term."
)
ENGLISH_LIST = "\n".join([
    "Inbound Customer Care", "Outbound Telesales", "Live Chat Support", "Email Ticket Handling", "Order Taking",
    "Data Entry", "Invoice Processing", "Payroll Processing", "Bank Reconciliation", "Medical Billing",
    "Medical Coding", "Claims Processing", "Legal Research", "Document Review", "Contract Abstraction",
    "Market Research", "Equity Research", "Web Development", "Mobile Apps", "Cloud Migration", "QA Testing",
])


def test_other_languages_are_named() -> None:
    assert foreign_language(SPANISH) == "Spanish"
    assert foreign_language(FRENCH) == "French"
    assert foreign_language(VIETNAMESE) == "Vietnamese"


def test_english_prose_and_a_bare_list_of_service_names_are_english() -> None:
    assert len(ENGLISH_LIST.split()) >= MIN_WORDS  # long enough to be judged, and nearly no function words
    assert foreign_language(ENGLISH_PROSE) is None
    assert foreign_language(ENGLISH_LIST) is None


def test_too_little_text_or_template_latin_is_not_judged() -> None:
    assert foreign_language("Lohnabrechnung und Buchhaltung für Handwerksbetriebe") is None
    lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. " * 6
    assert foreign_language(lorem) is None


def test_a_german_site_is_reported_not_english() -> None:
    with SiteServer(SITES / "nordlicht") as server:
        report = analyzer.scan(server.url + "/", allow_private=True)
    assert report.status == "error" and report.error is not None
    assert report.error.kind == "not_english" and "German" in report.error.message
    assert [page.url.removeprefix(server.url) for page in report.pages] == ["/services.html"]
    assert report.offered == [] and not any(report.mix.values())


def test_classify_says_not_english_for_saved_pages_and_text() -> None:
    html = (SITES / "nordlicht" / "services.html").read_text(encoding="utf-8")
    assert analyzer.classify_html(html).error.kind == "not_english"
    assert analyzer.classify_text(SPANISH).error.kind == "not_english"
    assert analyzer.classify_text(ENGLISH_PROSE).status == "ok"


def test_a_home_page_in_another_language_is_left_for_its_english_version() -> None:
    with SiteServer(SITES / "zweisprachig") as server:
        report = analyzer.scan(server.url + "/", allow_private=True)
        requested = server.requests
    assert report.status == "ok" and report.final_url == server.url + "/en/"
    assert [page.url.removeprefix(server.url) for page in report.pages] == ["/en/services.html"]
    assert report.offered == ["BPO"]
    assert "/services.html" not in requested  # the German pages are not read


def test_a_home_page_is_judged_by_its_text_when_it_declares_no_language_or_english() -> None:
    with SiteServer(SITES / "zweisprachig") as server:
        undeclared = analyzer.scan(server.url + "/ohne-lang.html", allow_private=True)  # German text, no lang
        english = analyzer.scan(server.url + "/english-declared.html", allow_private=True)
    assert undeclared.final_url == server.url + "/en/" and undeclared.offered == ["BPO"]
    assert english.final_url == server.url + "/english-declared.html"  # already English: kept


def test_a_language_switcher_leads_to_the_english_version_when_no_alternate_is_declared() -> None:
    with SiteServer(SITES / "zweisprachig") as server:
        report = analyzer.scan(server.url + "/umschalter.html", allow_private=True)
    assert report.final_url == server.url + "/en/" and report.offered == ["BPO"]


def test_a_site_that_picks_the_language_from_the_request_is_asked_for_english() -> None:
    with SiteServer(SITES / "zweisprachig", routes={"/": "/_fault/negotiate"}) as server:
        report = analyzer.scan(server.url + "/", allow_private=True)
    assert report.final_url == server.url + "/en/" and report.offered == ["BPO"]


def test_an_english_version_that_fails_leaves_the_home_page_as_it_is() -> None:
    with SiteServer(SITES / "zweisprachig", routes={"/en/": "/_fault/status/404"}) as server:
        report = analyzer.scan(server.url + "/", allow_private=True)
    assert report.error is not None and report.error.kind == "not_english"
    assert report.final_url == server.url + "/"


def test_a_home_page_in_another_language_is_not_english_even_when_its_services_page_fails() -> None:
    # The switcher leads to a German page (no cookie is read here), and the one services page
    # answers 503: the row says what a retry would say too.
    with SiteServer(SITES / "zweisprachig", routes={"/services.html": "/_fault/status/503"}) as server:
        report = analyzer.scan(server.url + "/keks.html", settings=Settings(allow_private=True, retry_backoff=0.01))
    assert report.error is not None and report.error.kind == "not_english"
    assert [(page.url.removeprefix(server.url), page.kind) for page in report.unread] == [("/services.html", "http_status")]


def test_a_switcher_that_sets_a_cookie_and_sends_back_home_leads_to_english() -> None:
    # The switcher sets lang=en and redirects to "/", which then answers in English.
    routes = {"/": "/_fault/by-cookie?cookie=lang%3Den&then=/en/&else=/keks.html"}
    with SiteServer(SITES / "zweisprachig", routes=routes) as server:
        report = analyzer.scan(server.url + "/", allow_private=True)
    assert report.status == "ok" and report.final_url == server.url + "/" and report.offered == ["BPO"]
    assert [page.url.removeprefix(server.url) for page in report.pages] == ["/en/services.html"]


def two_sites(tmp_path: Path, german_head: str, german_nav: str, english_heads: dict[str, str]) -> tuple[Path, Path]:
    """Folders for a German site and an English one on another host. ``german_head`` and
    ``german_nav`` replace the German home page's alternates and its nav's English link;
    ``english_heads`` maps each English folder to the alternates its home page declares.
    ``{de}`` and ``{com}`` in them stand for each server's URL, filled in once both run."""
    german, english = tmp_path / "de", tmp_path / "com"
    german.mkdir()
    home = (SITES / "zweisprachig" / "index.html").read_text(encoding="utf-8")
    home = home.replace('<link rel="alternate" hreflang="de" href="/">\n<link rel="alternate" hreflang="en-GB" href="/en/">',
                        german_head).replace('<a href="/en/">English</a>', german_nav)
    (german / "index.template").write_text(home, encoding="utf-8")
    shutil.copy(SITES / "zweisprachig" / "services.html", german)
    english_home = (SITES / "zweisprachig" / "en" / "index.html").read_text(encoding="utf-8")
    for folder, head in english_heads.items():
        (english / folder).mkdir(parents=True)
        page = english_home.replace('<link rel="alternate" hreflang="de" href="/">\n<link rel="alternate" hreflang="en-GB" href="/en/">', head)
        (english / folder / "index.template").write_text(page.replace("/en/", f"/{folder}/"), encoding="utf-8")
        shutil.copy(SITES / "zweisprachig" / "en" / "services.html", english / folder)
    return german, english


def fill_in(folder: Path, **urls: str) -> None:
    for template in folder.rglob("index.template"):
        text = template.read_text(encoding="utf-8")
        for name, url in urls.items():
            text = text.replace("{" + name + "}", url)
        template.with_suffix(".html").write_text(text, encoding="utf-8")


NAMES_DE_BACK = '<link rel="alternate" hreflang="de" href="{de}/">'
NAMES_ITSELF = '<link rel="alternate" hreflang="de" href="/de/">'


@pytest.mark.parametrize(
    ("german_head", "german_nav", "english_heads", "routes", "read_at"),
    [
        # vendor.de names vendor.com/en/, which names vendor.de back
        ('<link rel="alternate" hreflang="en" href="{com}/en/">', "", {"en": NAMES_DE_BACK}, {}, "/en/"),
        # ... but vendor.com/en/ names only its own versions: not the same vendor's
        ('<link rel="alternate" hreflang="en" href="{com}/en/">', "", {"en": NAMES_ITSELF}, {}, None),
        # the first English version fails that test, the second passes
        ('<link rel="alternate" hreflang="en-US" href="{com}/us/"><link rel="alternate" hreflang="en-GB" href="{com}/uk/">',
         "", {"us": NAMES_ITSELF, "uk": NAMES_DE_BACK}, {}, "/uk/"),
        # a switcher link on vendor.de that redirects to vendor.com/en/
        ("", '<a href="/english">EN</a>', {"en": NAMES_DE_BACK}, {"/english": "/_fault/redirect?to={com}/en/"}, "/en/"),
        # a broken switcher link does not hide the alternate on vendor.com
        ('<link rel="alternate" hreflang="en" href="{com}/en/">', '<a href="/english">EN</a>', {"en": NAMES_DE_BACK},
         {"/english": "/_fault/status/404"}, "/en/"),
    ],
    ids=["names back", "does not name back", "second of two", "switcher redirects", "broken switcher"],
)
def test_an_english_version_on_another_site_is_read_only_when_it_names_the_home_site_back(
    tmp_path: Path, german_head: str, german_nav: str, english_heads: dict[str, str], routes: dict[str, str],
    read_at: str | None,
) -> None:
    german, english = two_sites(tmp_path, german_head, german_nav, english_heads)
    with SiteServer(english, host="127.0.0.2") as com:
        routes = {path: target.replace("{com}", com.url) for path, target in routes.items()}
        with SiteServer(german, routes=routes) as de:
            fill_in(german, de=de.url, com=com.url)
            fill_in(english, de=de.url, com=com.url)
            report = analyzer.scan(de.url + "/", allow_private=True)
            read_in_german = "/services.html" in de.requests
    if read_at is not None:
        assert report.status == "ok" and report.final_url == com.url + read_at and report.offered == ["BPO"]
        assert not read_in_german
    else:
        assert report.error is not None and report.error.kind == "not_english"
        assert report.final_url == de.url + "/"
