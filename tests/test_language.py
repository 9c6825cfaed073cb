"""English or not: the model reads English only, and says so rather than answer for other languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import analyzer
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


@pytest.mark.parametrize("names_back", [True, False])
def test_an_english_version_on_another_site_is_read_only_when_it_names_the_home_site_back(
    tmp_path: Path, names_back: bool
) -> None:
    german, english = tmp_path / "de", tmp_path / "com"
    (english / "en").mkdir(parents=True)
    german.mkdir()
    with SiteServer(german) as de, SiteServer(english, host="127.0.0.2") as com:
        home = (SITES / "zweisprachig" / "index.html").read_text(encoding="utf-8")
        home = home.replace('<link rel="alternate" hreflang="en-GB" href="/en/">',
                            f'<link rel="alternate" hreflang="en-GB" href="{com.url}/en/">')
        (german / "index.html").write_text(home.replace('<a href="/en/">English</a>', ""), encoding="utf-8")
        shutil.copy(SITES / "zweisprachig" / "services.html", german)
        english_home = (SITES / "zweisprachig" / "en" / "index.html").read_text(encoding="utf-8")
        if names_back:
            english_home = english_home.replace('hreflang="de" href="/"', f'hreflang="de" href="{de.url}/"')
        (english / "en" / "index.html").write_text(english_home, encoding="utf-8")
        shutil.copy(SITES / "zweisprachig" / "en" / "services.html", english / "en")
        report = analyzer.scan(de.url + "/", allow_private=True)
        read_in_german = "/services.html" in de.requests
    if names_back:
        assert report.status == "ok" and report.final_url == com.url + "/en/" and report.offered == ["BPO"]
        assert not read_in_german
    else:
        assert report.error is not None and report.error.kind == "not_english"
        assert report.final_url == de.url + "/"
