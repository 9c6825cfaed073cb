"""A real HTTP server on 127.0.0.1 for tests: serves a test site's files, plus fault routes.

Fault routes live under ``/_fault/`` so any site can also misbehave on demand:

    /_fault/status/500           that status             /_fault/slow/3        headers after 3 s
    /_fault/drip/3               body trickles for 3 s   /_fault/reset         connection reset (RST)
    /_fault/seq/ID/503,200       each request for ID takes the next step: a status, "reset",
                                 429-N (429 with Retry-After: N) or "ok" (the site's file for
                                 the path asked, when routed there); the last step repeats
    /_fault/redirect?to=URL      302 to URL              /_fault/loop          redirects to itself
    /_fault/refresh?to=URL&delay=N&noscript=1
                                 200, a page that is only <meta http-equiv="refresh" content="N; url=URL">
    /_fault/blocked/N?server=S&header=H
                                 status N as a bot-protection service sends it: Server S, header H: 1
    /_fault/cookie?set=NAME%3DVALUE&many=N&to=URL
                                 a page that sets that cookie (and N more) and shows the Cookie header it was
                                 sent; with ``to``, a 302 to URL that sets them (a language switcher's way)
    /_fault/by-cookie?cookie=NAME%3DVALUE&then=PATH&else=PATH
                                 the site's file at ``then`` when the request carries that cookie, else at ``else``
    /_fault/negotiate            302 to /en/ when Accept-Language names English first, else to /de/
    /_fault/big/N                N bytes, Content-Length declared
    /_fault/stream/N             N bytes, no Content-Length (read until close)
    /_fault/gzipbomb/N           N MiB of zeros, gzip-encoded (about N KiB on the wire)
    /_fault/gzip                 a small page, gzip-encoded
    /_fault/pdf                  a PDF as application/pdf
    /_fault/as-html/pdf|png      a PDF or a PNG labelled text/html
    /_fault/charset/DECL/ACTUAL  French text encoded in ACTUAL, header charset DECL ("none": no charset)
    /_fault/invalid-utf8         a page declared UTF-8 with bytes that are not UTF-8
    /_fault/empty                200 text/html with no body

In a site's .xml and .txt files (sitemaps, robots.txt), ``{{BASE}}`` becomes the server's base URL.
``SiteServer(folder, routes={"/robots.txt": "/_fault/status/503"})`` answers a path with a
fault route. ``server.requests`` lists the paths asked for (``request_times`` and
``user_agents`` say when and by whom), ``server.max_in_flight`` the most handled at once.
"""

from __future__ import annotations

import functools
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SITES = Path(__file__).parent / "sites"
FRENCH = "Café, crème brûlée et déjà-vu : nos équipes traitent vos dossiers à Besançon."
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"

FaultHandler = Callable[["SiteHandler", list[str]], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Callable[..., SiteHandler], routes: dict[str, str],
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, handler)
        self.tls = tls
        self.base_url = f"{'https' if tls else 'http'}://{address[0]}:{self.server_address[1]}"
        self.routes = routes
        self.requests: list[tuple[str, float, str]] = []
        self.steps: dict[str, int] = {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self.lock:
            self.connections += 1
        if self.tls is None:
            return connection, address
        # the handshake runs on the request's thread, at its first read, not in the accept loop
        return self.tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address


class SiteHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    routed = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:
        path = self.routed = self.server.routes.get(urlsplit(self.path).path, self.path)
        with self.server.lock:
            self.server.requests.append((self.path, time.monotonic(), self.headers.get("User-Agent", "")))
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        try:
            parts = urlsplit(path).path.strip("/").split("/")
            if parts[0] == "_fault" and len(parts) > 1 and parts[1] in FAULTS:
                FAULTS[parts[1]](self, parts[2:])
            elif path.endswith((".xml", ".txt")) and Path(self.translate_path(path)).is_file():
                self.send_template(Path(self.translate_path(path)))
            else:
                super().do_GET()
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def send_body(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
                  headers: dict[str, str | list[str]] | None = None) -> None:
        """``headers``: a list value sends that header once per item (Set-Cookie)."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                for item in [value] if isinstance(value, str) else value:
                    self.send_header(name, item)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, as timeout and size tests intend

    def send_template(self, file: Path) -> None:
        """robots.txt and sitemaps name absolute URLs, so ``{{BASE}}`` becomes this server's."""
        body = file.read_text(encoding="utf-8").replace("{{BASE}}", self.server.base_url)
        self.send_body(200, body.encode(), "application/xml" if file.suffix == ".xml" else "text/plain")

    def reset(self) -> None:
        """Abort the connection with a TCP reset, as a crashing server or a middlebox does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def query(self, name: str) -> str:
        return parse_qs(urlsplit(self.routed).query).get(name, [""])[0]


def _page(text: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Test</title></head><body><main><p>{text}</p></main></body></html>"


def _status(handler: SiteHandler, args: list[str]) -> None:
    code = int(args[0]) if args else 500
    handler.send_body(code, f"<html><body><h1>Error {code}</h1></body></html>".encode())


def _blocked(handler: SiteHandler, args: list[str]) -> None:
    if handler.query("server"):
        handler.server_version, handler.sys_version = handler.query("server"), ""
    headers = {handler.query("header"): "1"} if handler.query("header") else {}
    handler.send_body(int(args[0]), b"<html><body><h1>Just a moment...</h1></body></html>", headers=headers)


def _cookie(handler: SiteHandler, args: list[str]) -> None:
    cookies = [handler.query("set")] if handler.query("set") else []
    cookies += [f"c{n}=1" for n in range(int(handler.query("many") or 0))]
    headers: dict[str, str | list[str]] = {"Set-Cookie": [f"{cookie}; Path=/" for cookie in cookies]}
    if handler.query("to"):
        handler.send_body(302, b"", headers={**headers, "Location": handler.query("to")})
        return
    body = _page(f"Cookie sent: [{handler.headers.get('Cookie', '')}]").encode()
    handler.send_body(200, body, headers=headers)


def _by_cookie(handler: SiteHandler, args: list[str]) -> None:
    sent = [cookie.strip() for cookie in (handler.headers.get("Cookie") or "").split(";")]
    handler.path = handler.query("then") if handler.query("cookie") in sent else handler.query("else")
    SimpleHTTPRequestHandler.do_GET(handler)


def _negotiate(handler: SiteHandler, args: list[str]) -> None:
    first = (handler.headers.get("Accept-Language") or "").split(",")[0].split(";")[0].strip().lower()
    handler.send_body(302, b"", headers={"Location": "/en/" if first.startswith("en") else "/de/"})


def _slow(handler: SiteHandler, args: list[str]) -> None:
    time.sleep(float(args[0]) if args else 5.0)
    handler.send_body(200, b"<html><body><p>finally</p></body></html>")


def _drip(handler: SiteHandler, args: list[str]) -> None:
    seconds = float(args[0]) if args else 5.0
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    handler.close_connection = True
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            handler.wfile.write(b"<p>drip</p>\n")
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _reset(handler: SiteHandler, args: list[str]) -> None:
    handler.reset()


def _seq(handler: SiteHandler, args: list[str]) -> None:
    name, steps = args[0], args[1].split(",")
    with handler.server.lock:
        index = handler.server.steps.get(name, 0)
        handler.server.steps[name] = index + 1
    step = steps[min(index, len(steps) - 1)]
    if step == "reset":
        handler.reset()
    elif step.startswith("429-"):
        handler.send_body(429, b"<p>slow down</p>", headers={"Retry-After": step[4:]})
    elif step == "200":
        handler.send_body(200, _page(f"Answered on attempt {index + 1}.").encode())
    elif step == "ok":
        SimpleHTTPRequestHandler.do_GET(handler)  # the site's own file for the path asked
    else:
        _status(handler, [step])


def _redirect(handler: SiteHandler, args: list[str]) -> None:
    handler.send_body(302, b"", headers={"Location": handler.query("to")})


def _refresh(handler: SiteHandler, args: list[str]) -> None:
    meta = f'<meta http-equiv="Refresh" content="{handler.query("delay") or 0}; URL=\'{handler.query("to")}\'">'
    if handler.query("noscript"):
        meta = f"<noscript>{meta}</noscript>"
    body = f"<!DOCTYPE html><html><head>{meta}<title>Moved</title></head><body><p>Moved.</p></body></html>"
    handler.send_body(200, body.encode())


def _loop(handler: SiteHandler, args: list[str]) -> None:
    handler.send_body(302, b"", headers={"Location": "/_fault/loop"})


def _pdf(handler: SiteHandler, args: list[str]) -> None:
    handler.send_body(200, PDF, "application/pdf")


def _as_html(handler: SiteHandler, args: list[str]) -> None:
    handler.send_body(200, PNG if args and args[0] == "png" else PDF, "text/html")


def _big(handler: SiteHandler, args: list[str]) -> None:
    _send_filler(handler, int(args[0]) if args else 20 * 1024 * 1024, declare=True)


def _stream(handler: SiteHandler, args: list[str]) -> None:
    _send_filler(handler, int(args[0]) if args else 20 * 1024 * 1024, declare=False)


def _send_filler(handler: SiteHandler, size: int, *, declare: bool) -> None:
    chunk = b"<p>" + b"filler text " * 80 + b"</p>\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    if declare:
        handler.send_header("Content-Length", str(size))
    else:
        handler.close_connection = True
    handler.end_headers()
    sent = 0
    try:
        while sent < size:
            piece = chunk[: size - sent]
            handler.wfile.write(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass


@functools.cache
def gzip_bomb(mebibytes: int) -> bytes:
    """``mebibytes`` MiB of zeros gzip-compressed, built a MiB at a time so the test stays small."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(mebibytes)) + packer.flush()


def _gzipbomb(handler: SiteHandler, args: list[str]) -> None:
    body = gzip_bomb(int(args[0]) if args else 100)
    handler.send_body(200, body, "text/html", headers={"Content-Encoding": "gzip"})


def _charset(handler: SiteHandler, args: list[str]) -> None:
    declared, actual = args[0], args[1]
    content_type = "text/html" if declared == "none" else f"text/html; charset={declared}"
    handler.send_body(200, _page(FRENCH).encode(actual), content_type)


def _gzip(handler: SiteHandler, args: list[str]) -> None:
    body = zlib.compress(_page(FRENCH).encode(), wbits=zlib.MAX_WBITS | 16)
    handler.send_body(200, body, "text/html; charset=utf-8", headers={"Content-Encoding": "gzip"})


def _invalid_utf8(handler: SiteHandler, args: list[str]) -> None:
    body = _page("Data entry \xff\xfe and payroll \xc3\x28 processing for clinics.").encode("latin-1")
    handler.send_body(200, body, "text/html; charset=utf-8")


def _empty(handler: SiteHandler, args: list[str]) -> None:
    handler.send_body(200, b"", "text/html")


FAULTS: dict[str, FaultHandler] = {
    "status": _status, "blocked": _blocked, "cookie": _cookie, "by-cookie": _by_cookie, "negotiate": _negotiate, "slow": _slow, "drip": _drip, "reset": _reset, "seq": _seq, "redirect": _redirect,
    "refresh": _refresh, "loop": _loop, "pdf": _pdf, "as-html": _as_html, "big": _big, "stream": _stream, "gzipbomb": _gzipbomb, "gzip": _gzip,
    "charset": _charset, "invalid-utf8": _invalid_utf8, "empty": _empty,
}


class SiteServer:
    """Serve ``directory`` on a free port of ``host`` (a loopback address) in a background thread."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1", port: int = 0,
                 routes: dict[str, str] | None = None, tls: ssl.SSLContext | None = None) -> None:
        """``tls``: serve HTTPS with this server-side context (tests make one with trustme)."""
        self.httpd = _Server((host, port), partial(SiteHandler, directory=str(directory)), routes or {}, tls)
        # a short poll lets shutdown() return at once instead of after serve_forever's default 0.5 s
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return self.httpd.base_url

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def requests(self) -> list[str]:
        """The paths requested so far, in order."""
        with self.httpd.lock:
            return [path for path, _, _ in self.httpd.requests]

    @property
    def request_times(self) -> list[float]:
        with self.httpd.lock:
            return [when for _, when, _ in self.httpd.requests]

    @property
    def user_agents(self) -> list[str]:
        with self.httpd.lock:
            return [agent for _, _, agent in self.httpd.requests]

    @property
    def max_in_flight(self) -> int:
        return self.httpd.max_in_flight

    @property
    def connections(self) -> int:
        """Connections accepted so far, whether or not a request came over them."""
        return self.httpd.connections

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
