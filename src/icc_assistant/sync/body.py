"""A response body read up to a size limit counted after decompression, whatever it claims,
and an HTML page's bytes turned into text by the encodings the web uses, and no other.

httpx decompresses each piece read from the socket whole, so a gzip bomb grows a thousandfold
before a limit on the decoded bytes can look at it. Here the raw bytes are read and inflated
with zlib's `max_length`, so no more than the limit (plus one byte) is ever produced.

A page names its own charset (Content-Type, `<meta charset>`), and Python's codec registry
answers to names that are no text encoding at all (`bz2`, `base64`, `rot13`) or that cannot
decode a page (`idna`, `punycode`). Only the encodings of the WHATWG Encoding Standard, which
browsers are limited to, are accepted: w3lib (2.6 on) drops any other label, so such a page is
read as UTF-8 as a browser reads it, and a label that still resolves elsewhere is refused.
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass

import httpx
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# What the sync asks servers for: encodings this module can bound.
ACCEPT_ENCODING = "gzip, deflate"
# The encodings of the WHATWG Encoding Standard (https://encoding.spec.whatwg.org/#names-and-labels)
# that Python can decode; w3lib resolves a page's label to one of these the way browsers do.
WEB_ENCODINGS = (
    "utf-8", "ibm866", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6",
    "iso-8859-7", "iso-8859-8", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15",
    "iso-8859-16", "koi8-r", "koi8-u", "macintosh", "windows-874", "windows-1250",
    "windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255",
    "windows-1256", "windows-1257", "windows-1258", "x-mac-cyrillic", "gbk", "gb18030", "big5",
    "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr", "utf-16be", "utf-16le", "utf-16",
)  # fmt: skip


def _codec_name(label: str) -> str | None:
    resolved = resolve_encoding(label)
    return codecs.lookup(resolved).name if resolved else None


_WEB_CODECS = frozenset(name for name in map(_codec_name, WEB_ENCODINGS) if name)


class UndecodableBodyError(Exception):
    """The body's Content-Encoding is unknown, its compressed data is corrupt, or its charset
    is no text encoding the web uses."""


@dataclass(frozen=True)
class Body:
    """The decoded bytes read, and whether more followed past the limit."""

    data: bytes
    truncated: bool


class _Inflater:
    """Decodes one Content-Encoding without ever producing more than asked for."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif encoding in ("", "identity"):
            self._zlib = None
        else:
            raise UndecodableBodyError(f"unsupported Content-Encoding {encoding!r}")
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        """At most `room` decoded bytes of `data` (the rest is dropped: the caller stops)."""
        if self._zlib is None:
            return data[:room]
        try:
            return self._zlib.decompress(data, room)
        except zlib.error as exc:
            if self._encoding == "deflate" and self._first:  # raw deflate, without zlib header
                self._zlib, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False
                return self.feed(data, room)
            raise UndecodableBodyError(f"corrupt {self._encoding} data") from exc
        finally:
            self._first = False

    def finish(self) -> None:
        """UndecodableBodyError when the compressed data stopped before its end."""
        if self._zlib is not None and not self._zlib.eof:
            raise UndecodableBodyError(f"truncated {self._encoding} data")


def read_body(response: httpx.Response, limit: int) -> Body:
    """Up to `limit` decoded bytes of a streamed response; `truncated` when there were more.

    Raises UndecodableBodyError for an encoding other than identity, gzip or deflate, or
    corrupt compressed data."""
    encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    encodings = [e for e in encodings if e not in ("", "identity")]
    if len(encodings) > 1:
        raise UndecodableBodyError(f"stacked Content-Encoding {', '.join(encodings)}")
    inflater = _Inflater(encodings[0] if encodings else "")
    out = bytearray()
    for piece in response.iter_raw():
        out.extend(inflater.feed(piece, limit + 1 - len(out)))
        if len(out) > limit:
            return Body(bytes(out[:limit]), truncated=True)
    inflater.finish()
    return Body(bytes(out), truncated=False)


def decode_html(content_type: str, body: bytes) -> str:
    """The page's text, in the encoding a browser would pick (byte order mark, then the
    Content-Type's charset, then the page's own declaration, else UTF-8; w3lib's order).

    Raises UndecodableBodyError when the charset picked is no encoding of the web."""
    if read_bom(body)[0] is None:
        declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
        if declared is not None and _codec_name(declared) not in _WEB_CODECS:
            raise UndecodableBodyError(f"its charset {declared!r} is no text encoding of the web")
    try:
        return html_to_unicode(content_type, body)[1]
    except (LookupError, UnicodeError, ValueError) as exc:  # a codec failing on its own terms
        raise UndecodableBodyError(f"its text cannot be decoded ({exc})") from exc
