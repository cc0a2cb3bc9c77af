"""A response body read up to a size limit counted after decompression, whatever it claims.

httpx decompresses each piece read from the socket whole, so a gzip bomb grows a thousandfold
before a limit on the decoded bytes can look at it. Here the raw bytes are read and inflated
with zlib's `max_length`, so no more than the limit (plus one byte) is ever produced.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import httpx

# What the sync asks servers for: encodings this module can bound.
ACCEPT_ENCODING = "gzip, deflate"


class UndecodableBodyError(Exception):
    """The body's Content-Encoding is unknown or its compressed data is corrupt."""


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
