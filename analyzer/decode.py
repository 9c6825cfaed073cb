"""Bytes to text: bounded decompression, binary sniffing and charset decoding.

Nothing here raises on bad input except to refuse it: a body over its cap is ``TooLarge``, an
encoding nobody asked for is ``NotHTML``, and text always decodes, with replacement characters
at worst.
"""

from __future__ import annotations

import codecs
import logging
import re
import zlib

import charset_normalizer

from . import errors

logger = logging.getLogger(__name__)

# Leading bytes of formats that servers mislabel as text/html.
BINARY_SIGNATURES = (
    b"%PDF-", b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b",
    b"II*\x00", b"MM\x00*", b"wOFF", b"wOF2", b"OggS", b"ID3", b"\x7fELF", b"\x00asm",
)
# WHATWG MIME Sniffing, "binary data byte": control bytes that never occur in text.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SNIFF_BYTES = 1024
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-z0-9_.:-]{1,40})""", re.IGNORECASE)
_META_SCAN_BYTES = 4096
BYTE_ORDER_MARKS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Python's codec names for the labels browsers read as windows-1252 (WHATWG Encoding).
_WINDOWS_1252_ALIASES = frozenset({"ascii", "latin-1", "iso8859-1"})
# charset-normalizer's "chaos" (0 to 1, share of odd characters) within which two readings of
# a page count as a tie; its own results differ by about 0.03 between cousin Latin code pages.
DETECTION_TIE = 0.05


def inflate(data: bytes, encoding: str, limit: int, *, url: str) -> bytes:
    """Decompress a whole gzip or deflate body, refusing output over ``limit`` bytes."""
    out = Inflater(encoding, url).feed(data, limit + 1)
    if len(out) > limit:
        raise errors.TooLarge(f"{url} inflates past the {limit}-byte cap", url=url)
    return out


class Inflater:
    """Content-Encoding decoding whose output per call is bounded, so a bomb cannot fill memory."""

    def __init__(self, encoding: str, url: str) -> None:
        self._url = url
        self._encoding = encoding.strip().lower()
        self._zlib: zlib._Decompress | None = None  # noqa: SLF001 - the only public name for the type
        if self._encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
        elif self._encoding not in ("", "identity"):
            raise errors.NotHTML(f"{url} uses unsupported Content-Encoding {encoding!r}", url=url)
        self._started = False

    def feed(self, data: bytes, max_out: int) -> bytes:
        if self._zlib is None:
            return data
        try:
            out = self._zlib.decompress(data, max_out)
        except zlib.error:
            if self._started or self._encoding != "deflate":
                raise errors.ConnectError(f"{self._url} sent a corrupt {self._encoding} body", url=self._url) from None
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # some servers send raw deflate
            return self.feed(data, max_out)
        self._started = True
        return out


def looks_binary(body: bytes) -> bool:
    """A body that is a known binary format or holds bytes no text contains (WHATWG sniffing)."""
    head = body[:_SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return head.lstrip().startswith(BINARY_SIGNATURES) or _BINARY_BYTES.search(head) is not None


def decode_html(body: bytes, declared: str | None) -> str:
    """Bytes to text: byte-order mark, then the declared charsets, then detection; never raises."""
    for bom, bom_codec in BYTE_ORDER_MARKS:
        if body.startswith(bom):
            return body[len(bom):].decode(bom_codec, errors="replace")
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    labels: tuple[str | None, ...] = (declared, match.group(1).decode("ascii") if match else None)
    for label in labels:
        codec = _codec(label)
        if codec is None:
            continue
        if codec != "utf-8" and not body.isascii() and _is_utf8(body):
            return body.decode("utf-8")  # valid multi-byte UTF-8 is never accidental: the label is wrong
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            logger.debug("declared charset %s does not fit the body", label)
    if not body.isascii() and not _is_utf8(body):
        guess = _detect(body)
        if guess is not None:
            return guess
    return body.decode("utf-8", errors="replace")


def _detect(body: bytes) -> str | None:
    """charset-normalizer's reading, or windows-1252 (the web's legacy default) when about as plausible.

    On a short page the detector's top guesses are near ties (a French page scores cp1257 as
    high as cp1252); WHATWG makes windows-1252 the default for undeclared legacy pages.
    """
    results = charset_normalizer.from_bytes(body)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + DETECTION_TIE:
            return body.decode("cp1252", errors="replace")
    return str(best)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    if name in _WINDOWS_1252_ALIASES:
        return "cp1252"
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # WHATWG: a UTF-16 label on a page with no BOM means UTF-8
    return name


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
