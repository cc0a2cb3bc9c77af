"""Hostile documents built from scratch: a Flate-compressed PDF bomb and deeply nested HTML."""

from __future__ import annotations

import zlib
from collections.abc import Sequence


def pdf(content: bytes, *, compress: bool = True, pages: int = 1) -> bytes:
    """A PDF (Helvetica, no embedded font) of `pages` pages that each draw `content`."""
    stream = zlib.compress(content, 9) if compress else content
    flate = b" /Filter /FlateDecode" if compress else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join([b"3 0 R"] * pages), pages),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), flate) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def pdf_file(objects: Sequence[bytes | str]) -> bytes:
    """A PDF file of these objects (numbered from 1, the first the catalog), with its
    cross-reference table and trailer; text objects are written as Latin-1."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        data = body.encode("latin-1") if isinstance(body, str) else body
        out += b"%d 0 obj\n" % number + data + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def text_lines(lines: list[str]) -> bytes:
    """A content stream that writes each line (ASCII) on its own row."""
    ops = []
    for row, line in enumerate(lines):
        ops.append(b"BT /F1 10 Tf 40 %d Td (%s) Tj ET\n" % (760 - 12 * (row % 60), line.encode()))
    return b"".join(ops)


def pdf_bomb(text_bytes: int = 1_000_000) -> bytes:
    """A few kilobytes of PDF whose one page expands to about `text_bytes` of text."""
    line = b"BT /F1 10 Tf 40 700 Td (intercultural cities welcome newcomers) Tj ET\n"
    return pdf(line * (text_bytes // 38))


# Ways to open an element that a naive tag count misses, each nesting like `<blockquote>`: the
# slash of `<div/>` means nothing on an HTML element; `<` and `>` are plain text inside a quoted
# attribute value; an end tag nothing matches is ignored; inside <foreignObject> it is HTML again.
NESTING = {
    "blockquote": (b"<blockquote>x", b"</blockquote>"),
    "self-closing": (b"<div/>x", b""),
    "attribute": (b'<div title="<">x', b""),
    "quoted-gt": (b"<div title='a>b'>x", b""),
    "stray-end-tag": (b"<div>x</span>", b""),
    "foreign-object": (b"<svg><foreignObject><div/>x", b""),
}


def nested_html(depth: int, style: str = "blockquote") -> bytes:
    """A page whose body nests `depth` elements, opened the `style` way (NESTING)."""
    opening, closing = NESTING[style]
    return b"<html><body>" + opening * depth + closing * depth + b"</body></html>"
