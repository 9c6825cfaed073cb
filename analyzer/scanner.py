"""From a URL, HTML or text to a Report: the one path every entry point takes.

The async core (``ascan``, ``ascan_many``) is written once; ``scan`` and ``scan_many``
wrap it for synchronous callers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from . import errors
from .config import Settings
from .discover import Site, discover, english_versions, names_alternate, needs_javascript, script_redirect
from .extract import Block, ParsedPage, drop_repeated, parse_page
from .fetch import FetchedPage, Fetcher, normalize_input_url
from .language import foreign_language
from .model import BlockModel, decide_labels, load_model
from .report import BlockPrediction, ErrorInfo, PageInfo, Report, UnreadPage, build_report, error_report
from .taxonomy import CLASSES, NONE, find_claims

logger = logging.getLogger(__name__)

# The English versions a home page names that are tried before it is read as it is.
MAX_ENGLISH_VERSIONS = 3
# A services page that failed with one of these tells why a site could not be read.
SAYS_WHY_KINDS = frozenset({"timeout", "connect", "tls", "blocked", "robots", "needs_js"})
DEAD_LINK_STATUSES = frozenset({404, 410})
# An unread page's message is cut to this length: a link's URL can run to kilobytes.
MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class PageSource:
    """A page to classify: its HTML and where it came from; ``parsed`` when already parsed."""

    url: str | None
    html: str
    role: str = "services"
    http_status: int | None = None
    parsed: ParsedPage | None = None


def classify_pages(
    url: str,
    pages: Sequence[PageSource],
    *,
    model: BlockModel | None = None,
    final_url: str | None = None,
    home: str | ParsedPage | None = None,
) -> Report:
    """Classify already-fetched pages of one vendor; the home page (HTML or parsed), if given,
    is read for its claim. Pages surely written in another language than English give an
    error report (``not_english``): the model cannot read them."""
    model = model or load_model()
    parsed = [page.parsed or parse_page(page.html, url=page.url) for page in pages]
    blocks_by_page = [page.blocks for page in parsed]
    if len(pages) >= 2:  # with two pages only their shared opening and closing runs go
        blocks_by_page = drop_repeated(blocks_by_page)
    blocks = [block for page_blocks in blocks_by_page for block in page_blocks]
    page_infos = [
        PageInfo(page.url or url, page.role, page.http_status, sum(len(b.text) for b in page_blocks))
        for page, page_blocks in zip(pages, blocks_by_page, strict=True)
    ]
    foreign = _not_english("\n".join(block.text for block in blocks), final_url or url)
    if foreign is not None:
        return error_report(url, foreign, pages=page_infos, model=model.info)
    predictions = predict_blocks(blocks, model)
    claim_text = "\n".join([*(page.title for page in parsed), *(b.text for b in blocks)])
    if home is not None:
        home = parse_page(home) if isinstance(home, str) else home
        claim_text += "\n" + home.title + "\n" + home.text
    return build_report(
        url,
        predictions,
        final_url=final_url,
        pages=page_infos,
        claim=sorted(find_claims(claim_text)),
        model=model.info,
    )


def predict_blocks(blocks: Sequence[Block], model: BlockModel) -> list[BlockPrediction]:
    """Label each block, read in the context of its page; when the page model does not read the
    blocks together as a vendor's, every block is none."""
    texts = [block.text for block in blocks]
    probabilities = model.page_probabilities(texts, [block.section for block in blocks], [block.url for block in blocks])
    labels = decide_labels(probabilities, model.block_threshold)
    if model.vendor_probability(texts) < model.vendor_threshold:
        labels = [NONE] * len(labels)
    return [
        BlockPrediction(block.text, block.url, label, {c: float(p) for c, p in zip(CLASSES, row, strict=True)})
        for block, label, row in zip(blocks, labels, probabilities, strict=True)
    ]


def classify_html(html: str | bytes, *, url: str | None = None, model: BlockModel | None = None) -> Report:
    """Classify one saved page's HTML, with no network."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    return classify_pages(url or "", [PageSource(url, html)], model=model, final_url=url)


def classify_text(text: str, *, model: BlockModel | None = None) -> Report:
    """Classify plain text: each paragraph (blank-line separated) is one block."""
    model = model or load_model()
    foreign = _not_english(text, "")
    if foreign is not None:
        return error_report("", foreign, model=model.info)
    blocks = [Block(" ".join(chunk.split()), "paragraph") for chunk in text.split("\n\n") if chunk.strip()]
    return build_report(
        "", predict_blocks(blocks, model), final_url=None, claim=sorted(find_claims(text)), model=model.info
    )


async def ascan(url: str, *, settings: Settings | None = None, allow_private: bool | None = None) -> Report:
    """Scan one vendor URL: fetch its home page, find its services pages, classify them."""
    settings = _settings(settings, allow_private)
    model = load_model(settings.model_path)
    async with Fetcher(settings) as fetcher:
        return await scan_site(url, fetcher, model, settings)


def scan(url: str, *, settings: Settings | None = None, allow_private: bool | None = None) -> Report:
    """Synchronous ``ascan``."""
    return asyncio.run(ascan(url, settings=settings, allow_private=allow_private))


async def ascan_many(
    urls: Iterable[str] | AsyncIterable[str], *, settings: Settings | None = None, allow_private: bool | None = None
) -> AsyncGenerator[Report, None]:
    """Scan many URLs over one client, ``settings.concurrency`` at a time; yields as each finishes.

    ``urls`` is read lazily, so a long list is never held whole. Closing the generator early
    cancels the sites in flight.
    """
    settings = _settings(settings, allow_private)
    model = load_model(settings.model_path)
    slots = asyncio.Semaphore(settings.concurrency)
    running: set[asyncio.Task[Report]] = set()
    finished: asyncio.Queue[asyncio.Task[Report] | None] = asyncio.Queue()

    async with Fetcher(settings) as fetcher:

        async def start_scans() -> None:
            try:
                async for url in _as_async(urls):
                    await slots.acquire()
                    task = asyncio.create_task(scan_site(url, fetcher, model, settings))
                    running.add(task)
                    task.add_done_callback(finished.put_nowait)
                for _ in range(settings.concurrency):  # every slot back: every scan reported
                    await slots.acquire()
            finally:
                finished.put_nowait(None)

        starter = asyncio.create_task(start_scans())
        try:
            while (task := await finished.get()) is not None:
                running.discard(task)
                slots.release()
                yield task.result()
            await starter  # raises what reading the input raised
        finally:
            for pending in (starter, *running):
                pending.cancel()
            await asyncio.gather(starter, *running, return_exceptions=True)


async def _as_async(urls: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(urls, AsyncIterable):
        async for url in urls:
            yield url
    else:
        for url in urls:
            yield url


def scan_many(urls: Iterable[str], *, settings: Settings | None = None, allow_private: bool | None = None) -> Iterator[Report]:
    """Synchronous ``ascan_many``: an iterator of reports in the order they finish."""
    with asyncio.Runner() as runner:
        reports = ascan_many(urls, settings=settings, allow_private=allow_private)
        try:
            while True:
                try:
                    yield runner.run(_next_report(reports))
                except StopAsyncIteration:
                    return
        finally:
            runner.run(reports.aclose())


async def _next_report(reports: AsyncGenerator[Report, None]) -> Report:
    return await anext(reports)


async def scan_site(url: str, fetcher: Fetcher, model: BlockModel, settings: Settings) -> Report:
    """One vendor, start to finish; every failure becomes an error Report, never an exception."""
    try:
        start = normalize_input_url(url)
        deadline = asyncio.get_running_loop().time() + settings.site_timeout
        async with asyncio.timeout_at(deadline):
            home, home_parsed = await _home_shown(await _fetch_home(url, start, fetcher), fetcher)
            home, home_parsed = await _in_english(home, home_parsed, fetcher)
        home_read = replace(home_parsed, tree=None)
        # discovery keeps the pages it has when the site budget runs out, rather than failing
        crawling = discover(home, fetcher, settings, deadline=deadline, home_parsed=home_parsed)
        del home_parsed  # discover drops the home page's tree once it has read the links
        crawl = await crawling
        sources = [PageSource(f.page.final_url, f.page.html, f.role, f.page.status, f.parsed) for f in crawl.pages]
        unread = [UnreadPage(exc.url or "", exc.kind, _shortened(exc.message)) for exc in crawl.unread]
        home_classified = any(source.role == "home" for source in sources)
        report = classify_pages(
            url, sources, model=model, final_url=home.final_url, home=None if home_classified else home_read
        )
        if report.error is None and all(source.role == "home" for source in sources) and not report.offered:
            report = _nothing_read(url, home, crawl.unread, pages=report.pages, model=model)
        return replace(report, unread=unread)
    except errors.ScanError as exc:
        return error_report(url, exc, model=model.info)
    except TimeoutError:
        return error_report(url, errors.FetchTimeout(f"site took over {settings.site_timeout:g} s", url=url), model=model.info)
    except Exception as exc:  # a bug must cost one row, not the batch
        logger.exception("internal error scanning %s", url)
        return error_report(url, errors.InternalError(f"{type(exc).__name__}: {exc}", url=url), model=model.info)


def _nothing_read(
    url: str, home: FetchedPage, unread: Sequence[errors.ScanError], *, pages: Sequence[PageInfo], model: BlockModel
) -> Report:
    """The error row of a scan that read no services page and found no offerings on the home
    page. When a services page failed in a way that says why the site could not be read (a
    timeout, a 5xx, bot protection, robots.txt, ...), that failure is the row's error; a dead
    link, or a page that is not one (another site's, a PDF), leaves ``no_services_page``."""
    failed = next((exc for exc in unread if _says_why(exc)), None)
    if failed is None:
        missing = f"no services page found on {home.final_url}, and the home page lists no offerings"
        return error_report(url, errors.NoServicesPage(missing, url=home.final_url), pages=pages, model=model.info)
    report = error_report(url, failed, pages=pages, model=model.info)
    message = f"no services page could be read ({_shortened(failed.message)}), and the home page lists no offerings"
    return replace(report, final_url=home.final_url, error=ErrorInfo(failed.kind, message))


def _says_why(failure: errors.ScanError) -> bool:
    """Whether a services page's failure tells why the site could not be read, rather than
    that the link led nowhere useful (404 or 410, another site, a PDF, a redirect loop)."""
    if isinstance(failure, errors.HTTPStatusError) and not isinstance(failure, errors.Blocked):
        return failure.status not in DEAD_LINK_STATUSES
    return failure.kind in SAYS_WHY_KINDS


def _shortened(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"


def fetch_page(url: str, *, settings: Settings | None = None) -> FetchedPage:
    """Fetch one page with the scan's safety rules; raises a ScanError on failure."""

    async def fetch() -> FetchedPage:
        async with Fetcher(settings or Settings()) as fetcher:
            return await fetcher.fetch(normalize_input_url(url))

    return asyncio.run(fetch())


async def _in_english(home: FetchedPage, parsed: ParsedPage, fetcher: Fetcher) -> tuple[FetchedPage, ParsedPage]:
    """The home page's English version with its parse, when the home page is in another language
    (declared, or else read from its text) and names an English version that loads; else the
    home page. The versions it names are tried in turn, surest first, at most a few."""
    site = Site.of(home, parsed.tree)
    if site.language in (None, "en") and foreign_language(parsed.text) is None:
        return home, parsed
    for english in english_versions(home, parsed.tree)[:MAX_ENGLISH_VERSIONS]:
        try:
            page = await fetcher.fetch(english)
            page_parsed = _rendered(page)
        except errors.ScanError as exc:
            logger.info("%s: its English version %s failed: %s", home.final_url, english, exc)
            continue
        if _english_version_of(site, page, page_parsed):
            return page, page_parsed
        logger.info("%s: %s is not its English version", home.final_url, page.final_url)
    return home, parsed


def _english_version_of(site: Site, page: FetchedPage, parsed: ParsedPage) -> bool:
    """Whether a page the home page names as its English version is one: not in another
    language, as declared or as its text shows (a switcher may set a cookie and send the
    browser back to the home page, now in English), and, on another site, naming the home
    page's site back."""
    if not site.contains(page.final_url) and not names_alternate(parsed.tree, page.final_url, site):
        return False
    return Site.of(page, parsed.tree).language in (None, "en") and foreign_language(parsed.text) is None


async def _fetch_home(given: str, start: str, fetcher: Fetcher) -> FetchedPage:
    """The home page. A host name that does not resolve is tried with ``www.`` in front, since
    some domains publish an address for the ``www.`` name only. When that name does not
    resolve either, the given name's failure is reported; when it resolves but fails another
    way (robots.txt, a certificate, a status), that failure is."""
    try:
        return await _fetch_over_either_scheme(given, start, fetcher)
    except errors.DNSError as exc:
        www = _with_www(start)
        if www is None or urlsplit(exc.url or "").hostname != urlsplit(start).hostname:
            raise  # a redirect's target that does not resolve is not the name given
        try:
            return await _fetch_over_either_scheme(given, www, fetcher)
        except errors.DNSError:
            raise exc from None


async def _fetch_over_either_scheme(given: str, start: str, fetcher: Fetcher) -> FetchedPage:
    """The page at ``start``; a bare domain that cannot be reached over HTTPS is tried over HTTP,
    as a browser does. When both fail, the HTTPS failure is the one reported. A site whose
    HTTPS works but whose certificate does not verify is not read over HTTP: that is for the
    user to allow (``verify_tls=False``)."""
    try:
        return await fetcher.fetch(start)
    except errors.ConnectError as exc:
        certificate = isinstance(exc, errors.TLSError) and exc.certificate
        if "://" in given or not start.startswith("https://") or certificate:
            raise
        try:
            return await fetcher.fetch("http://" + start.removeprefix("https://"))
        except errors.ScanError:
            raise exc from None


def _with_www(url: str) -> str | None:
    """``url`` with ``www.`` before its host name; None when the host has it already, or is not
    a domain name (an address, or a single label such as ``localhost``)."""
    parsed = httpx.URL(url)
    host = parsed.host
    if host.startswith("www.") or "." not in host or host.replace(".", "").isdigit() or ":" in host:
        return None
    return str(parsed.copy_with(host="www." + host))


async def _home_shown(home: FetchedPage, fetcher: Fetcher) -> tuple[FetchedPage, ParsedPage]:
    """The home page with its parse; when it is an empty page whose script only sends the
    browser on (``location.href = "/en/"``), the page it sends to. Raises NeedsJavaScript
    for an app shell."""
    parsed = parse_page(home.html, url=home.final_url)
    if not needs_javascript(parsed.tree):
        return home, parsed
    site = Site.of(home, parsed.tree)
    target = script_redirect(parsed.tree, home.final_url, site)
    if target is None:
        raise _needs_javascript(home)
    logger.info("%s shows no text; following its script to %s", home.final_url, target)
    page = await fetcher.fetch(target, may_redirect=site.contains)
    return page, _rendered(page)


def _rendered(home: FetchedPage) -> ParsedPage:
    """The home page parsed, once for the whole scan; raises NeedsJavaScript for an app shell."""
    parsed = parse_page(home.html, url=home.final_url)
    if needs_javascript(parsed.tree):
        raise _needs_javascript(home)
    return parsed


def _needs_javascript(page: FetchedPage) -> errors.NeedsJavaScript:
    return errors.NeedsJavaScript(f"{page.final_url} shows almost no text without JavaScript", url=page.final_url)


def _not_english(text: str, url: str) -> errors.NotEnglish | None:
    """The error for text the model cannot read: text surely in another language than English."""
    language = foreign_language(text)
    if language is None:
        return None
    return errors.NotEnglish(f"the text is written in {language}; the model reads English only", url=url)


def _settings(settings: Settings | None, allow_private: bool | None) -> Settings:
    settings = settings or Settings()
    if allow_private is not None and allow_private != settings.allow_private:
        settings = settings.with_changes(allow_private=allow_private)
    return settings
