"""A real HTTP server on 127.0.0.1 for tests: serves a test site's files, plus fault routes.

Fault routes live under ``/_fault/`` so any site can also misbehave on demand:
``/_fault/status/500``, ``/_fault/slow/3``, ``/_fault/pdf``, ``/_fault/big/1000000``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITES = Path(__file__).parent / "sites"

FaultHandler = Callable[["SiteHandler", list[str]], None]


class SiteHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if parts[0] == "_fault" and len(parts) > 1 and parts[1] in FAULTS:
            FAULTS[parts[1]](self, parts[2:])
        else:
            super().do_GET()

    def send_body(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, as timeout tests intend


def _status(handler: SiteHandler, args: list[str]) -> None:
    code = int(args[0]) if args else 500
    handler.send_body(code, f"<html><body><h1>Error {code}</h1></body></html>".encode())


def _slow(handler: SiteHandler, args: list[str]) -> None:
    time.sleep(float(args[0]) if args else 5.0)
    handler.send_body(200, b"<html><body><p>finally</p></body></html>")


def _pdf(handler: SiteHandler, args: list[str]) -> None:
    handler.send_body(200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")


def _big(handler: SiteHandler, args: list[str]) -> None:
    size = int(args[0]) if args else 20 * 1024 * 1024
    chunk = b"<p>" + b"filler text " * 80 + b"</p>\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    sent = 0
    try:
        while sent < size:
            piece = chunk[: size - sent]
            handler.wfile.write(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass


FAULTS: dict[str, FaultHandler] = {"status": _status, "slow": _slow, "pdf": _pdf, "big": _big}


class SiteServer:
    """Serve ``directory`` on a free port of 127.0.0.1 in a background thread."""

    def __init__(self, directory: Path) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SiteHandler, directory=str(directory)))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
