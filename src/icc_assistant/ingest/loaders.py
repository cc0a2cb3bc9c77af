"""Bytes on disk -> raw text, by file type (.txt, .md, .html/.htm, .pdf), within bounds.

ICC_MAX_FILE_BYTES bounds the file; `TextLimits` bounds what it may turn into, because a few
kilobytes of compressed PDF can expand to megabytes of text (and hundreds of chunks, minutes of
embedding and gigabytes of memory): the text of any document (characters), a PDF's pages, and
how much a PDF may grow per byte of file, both in decompressed streams and in extracted text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from icc_assistant.errors import (
    DocumentTooLargeError,
    EmptyDocumentError,
    UnreadableDocumentError,
    UnsupportedDocumentError,
)
from icc_assistant.ingest.depth import markup_depth
from icc_assistant.ingest.titles import usable_title
from icc_assistant.settings import Settings

if TYPE_CHECKING:  # pypdf is imported when a PDF is read: readers of the index need none
    from pypdf import PageObject, PdfReader

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES

_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "blockquote", "dd", "dt")
_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "form", "svg", "iframe")
MAX_HTML_DEPTH = 1000


# pypdf's own per-stream ceiling, which ours never exceeds.
_PYPDF_STREAM_CEILING = 75_000_000


@dataclass(frozen=True)
class TextLimits:
    """How big a document may be, on disk and once turned into text."""

    max_bytes: int = 20_000_000
    max_chars: int = 1_000_000
    max_pdf_pages: int = 1000
    max_pdf_expansion: int = 100
    # Seconds a parse may take, in a worker process; None parses in this process, unbounded.
    max_parse_seconds: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TextLimits:
        return cls(
            max_bytes=settings.max_file_bytes,
            max_chars=settings.max_document_chars,
            max_pdf_pages=settings.max_pdf_pages,
            max_pdf_expansion=settings.max_pdf_expansion,
            max_parse_seconds=settings.max_parse_seconds,
        )


def check_text_size(text: str, source: str, limits: TextLimits) -> str:
    """`text`, unless it is over the character limit (DocumentTooLargeError)."""
    if len(text) > limits.max_chars:
        raise DocumentTooLargeError(
            f"{source} yields over {limits.max_chars:,} characters of text "
            "(ICC_MAX_DOCUMENT_CHARS); split it into smaller documents.",
            source,
        )
    return text


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing missing, unsupported, empty or oversized files."""
    if not path.is_file():
        raise UnreadableDocumentError(f"{path} does not exist or is not a file.", str(path))
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedDocumentError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; use one of {kinds}.",
            str(path),
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentTooLargeError(
            f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit (ICC_MAX_FILE_BYTES).",
            str(path),
        )
    if size == 0:
        raise EmptyDocumentError(f"{path} is empty.", str(path))
    return path.read_bytes()


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is allowed); binary junk and other encodings are refused."""
    if b"\x00" in data[:8192]:
        raise UnreadableDocumentError(f"{source} looks binary (NUL bytes), not text.", source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(
            f"{source} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8.", source
        ) from exc
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise UnreadableDocumentError(f"{source} looks binary (control bytes), not text.", source)
    return text


def check_html_depth(html: str, source: str) -> None:
    """Refuse markup nested deeper than MAX_HTML_DEPTH elements, before any parser meets it:
    the parser's time grows with the square of the depth (`depth.markup_depth`)."""
    if markup_depth(html, MAX_HTML_DEPTH) > MAX_HTML_DEPTH:
        raise UnreadableDocumentError(
            f"{source} nests its markup over {MAX_HTML_DEPTH} elements deep; no real page does.",
            source,
        )


def html_to_text(html: str) -> str:
    """Readable text of an HTML page: headings as Markdown lines, one block per paragraph."""
    tree = HTMLParser(html)
    for tag in _DROP_TAGS:
        for node in tree.css(tag):
            node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    blocks = [_block_text(node) for node in _leaf_blocks(root)]
    title = tree.css_first("title")
    headings = [b for b in blocks if b.startswith("# ")]
    if title is not None and not any(usable_title(h[2:]) for h in headings):
        blocks.insert(0, f"# {title.text(strip=True)}")  # the page's <title> stands in
    return "\n\n".join(b for b in blocks if b.strip())


def _leaf_blocks(root: Node) -> list[Node]:
    """Blocks that hold no other block (so nested blocks are not repeated), in page order.

    Each block walks up its ancestors, marking those that are blocks as holding one, and stops
    at an ancestor an earlier walk passed: every element is visited once, so deeply nested
    markup costs linear time (testing each block's whole subtree was quadratic)."""
    blocks = root.css(",".join(_BLOCK_TAGS))
    is_block = {node.mem_id for node in blocks}
    holds_block: set[int] = set()
    visited: set[int] = set()
    for node in blocks:
        parent = node.parent
        while parent is not None and parent.mem_id not in visited:
            visited.add(parent.mem_id)
            if parent.mem_id in is_block:
                holds_block.add(parent.mem_id)
            parent = parent.parent
    return [node for node in blocks if node.mem_id not in holds_block]


def _block_text(node: Node) -> str:
    text = " ".join(node.text(separator=" ").split())
    if node.tag and node.tag[0] == "h" and node.tag[1:].isdigit():
        return "#" * int(node.tag[1:]) + " " + text
    return text


def pdf_to_text(data: bytes, source: str, limits: TextLimits | None = None) -> str:
    """The text layer of a PDF, one page after another, within `limits`."""
    limits = limits or TextLimits()
    # No single stream may decompress to more than the whole file may grow to.
    budget = limits.max_pdf_expansion * len(data)
    stream_cap = min(budget, _PYPDF_STREAM_CEILING)
    caps = {
        name: stream_cap
        for name in (
            "zlib_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "brotli_maximum_output_length",
            "array_based_stream_maximum_output_length",
        )
    }
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        with apply_configuration(None, **caps):
            text = _pdf_pages_text(PdfReader(io.BytesIO(data)), source, limits, budget)
    except (UnreadableDocumentError, DocumentTooLargeError):
        raise
    except LimitReachedError as exc:
        raise _expanded_too_much(source, limits) from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        raise UnreadableDocumentError(f"{source} is not a readable PDF: {exc}", source) from exc
    if len(text.strip()) < 20:
        raise UnreadableDocumentError(
            f"{source} has no text layer (a scan?); run OCR on it first.", source
        )
    return text


def _pdf_pages_text(reader: PdfReader, source: str, limits: TextLimits, budget: int) -> str:
    """Page texts joined, stopping as soon as a bound is crossed."""
    if reader.is_encrypted:
        raise UnreadableDocumentError(
            f"{source} is an encrypted PDF; save an unencrypted copy first.", source
        )
    if len(reader.pages) > limits.max_pdf_pages:
        raise DocumentTooLargeError(
            f"{source} has {len(reader.pages):,} pages, over the {limits.max_pdf_pages:,}-page "
            "limit (ICC_MAX_PDF_PAGES); split it first.",
            source,
        )
    pages: list[str] = []
    decompressed = chars = 0
    for page in reader.pages:
        decompressed += _content_bytes(page)
        page_text = page.extract_text() or ""
        chars += len(page_text) + 2
        if decompressed > budget or chars > budget:
            raise _expanded_too_much(source, limits)
        pages.append(check_text_size(page_text, source, limits))
        check_text_size("\n\n".join(pages), source, limits)
    return "\n\n".join(pages)


def _content_bytes(page: PageObject) -> int:
    contents = page.get_contents()
    return len(contents.get_data()) if contents is not None else 0


def _expanded_too_much(source: str, limits: TextLimits) -> DocumentTooLargeError:
    return DocumentTooLargeError(
        f"{source} expands to over {limits.max_pdf_expansion} times its size when decompressed "
        "(ICC_MAX_PDF_EXPANSION): a compression bomb, or a PDF to split or re-save.",
        source,
    )


def load_text(path: Path, limits: TextLimits | int) -> str:
    """Raw text of a supported file, within `limits` (an int: a byte limit, default others)."""
    if isinstance(limits, int):
        limits = TextLimits(max_bytes=limits)
    return text_of(read_bytes(path, limits.max_bytes), path.suffix, str(path), limits)


def text_of(data: bytes, suffix: str, source: str, limits: TextLimits | None = None) -> str:
    """Raw text of a document's bytes, read as the file type `suffix` says, within `limits`."""
    limits = limits or TextLimits()
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedDocumentError(
            f"{source}: unsupported file type {suffix or '(none)'!r}; use one of {kinds}.", source
        )
    if not data:
        raise EmptyDocumentError(f"{source} is empty.", source)
    if len(data) > limits.max_bytes:
        raise DocumentTooLargeError(
            f"{source} has {len(data):,} bytes, over the {limits.max_bytes:,}-byte limit "
            "(ICC_MAX_FILE_BYTES).",
            source,
        )
    if suffix in PDF_SUFFIXES:
        return pdf_to_text(data, source, limits)
    text = decode_text(data, source)
    if suffix in HTML_SUFFIXES:  # markup may be large; its text is what is bounded
        check_html_depth(text, source)
        text = html_to_text(text)
    return check_text_size(text, source, limits)
