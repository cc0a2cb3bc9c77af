"""Bytes on disk -> raw text, by file type (.txt, .md, .html/.htm, .pdf)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from icc_assistant.errors import (
    DocumentTooLargeError,
    EmptyDocumentError,
    UnreadableDocumentError,
    UnsupportedDocumentError,
)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES

_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "blockquote", "dd", "dt")
_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "form", "svg", "iframe")


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


def html_to_text(html: str) -> str:
    """Readable text of an HTML page: headings as Markdown lines, one block per paragraph."""
    tree = HTMLParser(html)
    for tag in _DROP_TAGS:
        for node in tree.css(tag):
            node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    blocks = [_block_text(node) for node in root.css(",".join(_BLOCK_TAGS)) if _is_leaf(node)]
    title = tree.css_first("title")
    if not any(b.startswith("# ") for b in blocks) and title is not None:
        blocks.insert(0, f"# {title.text(strip=True)}")
    return "\n\n".join(b for b in blocks if b.strip())


def _is_leaf(node: Node) -> bool:
    """A block that holds no other block (so nested blocks are not repeated)."""
    descendants = list(node.traverse(include_text=False))[1:]  # the first is the node itself
    return not any(child.tag in _BLOCK_TAGS for child in descendants)


def _block_text(node: Node) -> str:
    text = " ".join(node.text(separator=" ").split())
    if node.tag and node.tag[0] == "h" and node.tag[1:].isdigit():
        return "#" * int(node.tag[1:]) + " " + text
    return text


def pdf_to_text(data: bytes, source: str) -> str:
    """The text layer of a PDF, one page after another."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocumentError(
                f"{source} is an encrypted PDF; save an unencrypted copy first.", source
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        raise UnreadableDocumentError(f"{source} is not a readable PDF: {exc}", source) from exc
    text = "\n\n".join(pages)
    if len(text.strip()) < 20:
        raise UnreadableDocumentError(
            f"{source} has no text layer (a scan?); run OCR on it first.", source
        )
    return text


def text_of(data: bytes, suffix: str, source: str) -> str:
    """Raw text of a document's bytes, read as the file type `suffix` says."""
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedDocumentError(
            f"{source}: unsupported file type {suffix or '(none)'!r}; use one of {kinds}.", source
        )
    if not data:
        raise EmptyDocumentError(f"{source} is empty.", source)
    if suffix in PDF_SUFFIXES:
        return pdf_to_text(data, source)
    text = decode_text(data, source)
    return html_to_text(text) if suffix in HTML_SUFFIXES else text

