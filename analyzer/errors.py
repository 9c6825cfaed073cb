"""The analyzer's exceptions.

    AnalyzerError
    ├── ScanError                  a vendor could not be scanned; becomes a Report with status "error"
    │   ├── InvalidURL             kind "invalid_url"
    │   ├── PrivateAddress         kind "private_address"
    │   ├── DNSError               kind "dns"
    │   ├── ConnectError           kind "connect"
    │   │   └── TLSError           kind "tls": the certificate or the TLS handshake failed
    │   ├── FetchTimeout           kind "timeout"
    │   ├── TooManyRedirects       kind "redirects"
    │   ├── OffSite                kind "off_site": a page of the site redirects to another site
    │   ├── HTTPStatusError        kind "http_status"
    │   │   └── Blocked            kind "blocked": the site's bot protection refused the request
    │   ├── NotHTML                kind "not_html"
    │   ├── TooLarge               kind "too_large"
    │   ├── RobotsDisallowed       kind "robots"
    │   ├── NeedsJavaScript        kind "needs_js"
    │   ├── NoServicesPage         kind "no_services_page"
    │   ├── NotEnglish             kind "not_english": the model reads English only
    │   └── InternalError          kind "internal": a bug, reported as a row instead of a crash
    ├── ModelError                 the shipped model is missing, altered or from another version
    ├── CorpusError                a corpus file is malformed
    ├── BatchError                 a batch cannot start or go on: output in the way, cluster unreachable
    └── ResultsError               a results file (batch JSON lines) is malformed

Every ScanError carries a machine-readable ``kind``; batch rows and reports use it as
``error.kind``.
"""

from __future__ import annotations


class AnalyzerError(Exception):
    """Base of every error the analyzer raises on purpose."""


class ScanError(AnalyzerError):
    kind = "scan"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class InvalidURL(ScanError):
    kind = "invalid_url"


class PrivateAddress(ScanError):
    kind = "private_address"


class DNSError(ScanError):
    kind = "dns"


class ConnectError(ScanError):
    kind = "connect"


class TLSError(ConnectError):
    kind = "tls"

    def __init__(self, message: str, *, url: str | None = None, certificate: bool = False) -> None:
        super().__init__(message, url=url)
        self.certificate = certificate  # the site speaks TLS, but its certificate does not verify


class FetchTimeout(ScanError):
    kind = "timeout"


class TooManyRedirects(ScanError):
    kind = "redirects"


class OffSite(ScanError):
    kind = "off_site"


class HTTPStatusError(ScanError):
    kind = "http_status"

    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class Blocked(HTTPStatusError):
    kind = "blocked"


class NotHTML(ScanError):
    kind = "not_html"


class TooLarge(ScanError):
    kind = "too_large"


class RobotsDisallowed(ScanError):
    kind = "robots"


class NeedsJavaScript(ScanError):
    kind = "needs_js"


class NoServicesPage(ScanError):
    kind = "no_services_page"


class NotEnglish(ScanError):
    kind = "not_english"


class InternalError(ScanError):
    kind = "internal"


class ModelError(AnalyzerError):
    """The model file is missing, does not match its manifest, or cannot be loaded."""


class CorpusError(AnalyzerError):
    """A corpus file is malformed."""


class BatchError(AnalyzerError):
    """A batch cannot start or go on; the rows already written stay whole."""


class ResultsError(AnalyzerError):
    """A results file is not the JSON lines that ``analyzer batch`` writes."""
