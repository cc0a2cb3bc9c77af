"""Files -> clean, structured, described chunks. Knows nothing of the index.

from icc_assistant.ingest import collect_paths, load_document, load_files
files, errors = collect_paths([Path("corpus")])
doc = load_document(files[0][0], doc_id=files[0][1])
for loaded in load_files(files):  # each file parsed, or the error that stopped it
    ...
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from icc_assistant.documents import (
    DocType,
    DocumentMeta,
    DocumentSignals,
    FigureRead,
    ParsedDocument,
)
from icc_assistant.errors import DocumentError, EmptyDocumentError, UnsupportedDocumentError
from icc_assistant.ingest.chunking import make_chunks
from icc_assistant.ingest.cleaning import CleanPage, clean_page
from icc_assistant.ingest.loaders import (
    PDF_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TextLimits,
    read_bytes,
    text_of,
)
from icc_assistant.ingest.metadata import (
    date_precision,
    facts_of,
    infer_city,
    infer_country,
    infer_year,
    metadata_line,
    read_sidecar,
    split_front_matter,
)
from icc_assistant.ingest.scores import is_strong, read_figures
from icc_assistant.ingest.structure import Block, promote_pdf_headings, structure_report
from icc_assistant.ingest.titles import prose_title, usable_title
from icc_assistant.ingest.worker import WORKERS
from icc_assistant.language import detect_language

__all__ = [
    "CHUNKER_VERSION",
    "PARSER_REVISION",
    "SUPPORTED_SUFFIXES",
    "LoadedFile",
    "TextLimits",
    "collect_paths",
    "load_document",
    "load_files",
    "parse_document",
]

# Part of the index fingerprint: bump when chunk ids or their stored metadata change shape, and
# an index built before must be rebuilt (`ingest --rebuild`).
CHUNKER_VERSION = "2"
# Part of every document's content hash: bump when cleaning or chunking output changes, or how a
# document's type, topics and Index figures are read (here or in ingest/describe.py, data files
# included), and the next ingest re-chunks and re-describes every document by itself.
PARSER_REVISION = "8"
# Figures a document must state, by their form, to be read as an Index report before its
# meaning is checked (ingest/describe.py decides again from the figures it keeps).
INDEX_FIGURES = 2

_NOTE_PREFIXES = ("readme", "provenance")
MAX_TITLE_CHARS = 300
_TAG_LIKE = re.compile(r"<\s*[a-zA-Z/!?][^>]*>?")


def _is_note(path: Path) -> bool:
    name = path.name.casefold()
    return name.startswith(".") or name.endswith(".meta.json") or name.startswith(_NOTE_PREFIXES)


def collect_paths(paths: Sequence[Path]) -> tuple[list[tuple[Path, str]], list[DocumentError]]:
    """Expand files and folders into (path, doc_id) pairs, plus an error per unusable path."""
    files: list[tuple[Path, str]] = []
    errors: list[DocumentError] = []
    for given in paths:
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file()):
                relative = path.relative_to(given)
                if any(part.startswith(".") for part in relative.parts) or _is_note(path):
                    continue
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append((path, relative.as_posix()))
                else:
                    errors.append(_unsupported(path))
        elif given.is_file():
            if given.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append((given, given.name))
            else:
                errors.append(_unsupported(given))
        else:
            errors.append(DocumentError(f"{given} does not exist.", str(given)))
    return files, errors


def _unsupported(path: Path) -> UnsupportedDocumentError:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return UnsupportedDocumentError(
        f"{path}: unsupported file type {path.suffix or '(none)'!r}; use one of {kinds}.", str(path)
    )


def load_document(
    path: Path,
    *,
    doc_id: str | None = None,
    max_bytes: int | None = None,
    limits: TextLimits | None = None,
) -> ParsedDocument:
    """Read, clean, describe and chunk one file; raises a DocumentError naming the file.

    `limits` bound the file and its text (defaults: the settings' defaults); `max_bytes`, if
    given, overrides their byte limit."""
    limits = limits or TextLimits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    data = read_bytes(path, limits.max_bytes)
    sidecar, sidecar_bytes = read_sidecar(path)
    return parse_document(
        data,
        suffix=path.suffix,
        source=str(path),
        doc_id=doc_id or path.name,
        overrides=sidecar,
        hashed_extra=sidecar_bytes,
        name=path.name,
        limits=limits,
    )


@dataclass(frozen=True)
class LoadedFile:
    """One file of an ingest: its document, or the error that kept it out."""

    path: Path
    doc_id: str
    document: ParsedDocument | None
    error: DocumentError | None = None


def load_files(
    files: Iterable[tuple[Path, str]], *, limits: TextLimits | None = None
) -> Iterator[LoadedFile]:
    """Load each (path, doc_id) of collect_paths() in turn, one document in memory at a time,
    each bounded by `limits` (default: TextLimits())."""
    for path, doc_id in files:
        try:
            yield LoadedFile(path, doc_id, load_document(path, doc_id=doc_id, limits=limits))
        except DocumentError as exc:
            yield LoadedFile(path, doc_id, None, exc)


def parse_document(
    data: bytes,
    *,
    suffix: str,
    source: str,
    doc_id: str,
    overrides: Mapping[str, Any] | None = None,
    hashed_extra: bytes = b"",
    name: str | None = None,
    limits: TextLimits | None = None,
) -> ParsedDocument:
    """Clean, describe and chunk a document's bytes, as if read from a file of type `suffix`.

    Args:
        source: names the document in error messages.
        overrides: metadata fields that replace the inferred ones (a sidecar's, or a fetch's).
        hashed_extra: bytes that join `data` in the content hash (the sidecar's), so that a
            change to them re-indexes the document; metadata left out of it (fetch time, HTTP
            validators) is stored with the next changed version only.
        name: the `source` field of the metadata; default: `source`.
        limits: how large the document and its text may be, and how long parsing it may
            take (default: TextLimits(), no time budget).
    """
    if limits is not None and limits.max_parse_seconds is not None:
        in_worker = replace(limits, max_parse_seconds=None)
        return WORKERS.run(
            limits.max_parse_seconds,
            source,
            parse_document,
            data,
            suffix=suffix,
            source=source,
            doc_id=doc_id,
            overrides=overrides,
            hashed_extra=hashed_extra,
            name=name,
            limits=in_worker,
        )
    raw_text = text_of(data, suffix, source, limits)
    front_matter, text = split_front_matter(raw_text, source)
    merged = {**front_matter, **(overrides or {})}
    content_hash = hashlib.sha256(
        data + b"\0" + hashed_extra + f"\0{CHUNKER_VERSION}.{PARSER_REVISION}".encode()
    ).hexdigest()
    report = _is_report(suffix, text)
    if report:
        title, body, blocks, fields, line = _describe_report(suffix, text)
    else:
        title, body, blocks, fields, line = _describe_page(clean_page(text))
    if not body.strip():
        raise EmptyDocumentError(f"{source} has no readable text after cleaning.", source)
    meta = _metadata(
        {**fields, "title": title},
        merged,
        body=body,
        doc_id=doc_id,
        name=name or source,
        content_hash=content_hash,
    )
    chunks = make_chunks(
        blocks,
        doc_id=doc_id,
        content_hash=content_hash,
        city=meta.city,
        language=meta.language,
    )
    figures = read_figures(chunks, meta.city, meta.language)
    precision = date_precision(line)
    signals = DocumentSignals(
        report=report,
        event_date=precision == "day",
        practice_line=precision == "year",
        given=tuple(sorted(merged)),
    )
    if "doc_type" not in merged:
        meta = meta.model_copy(update={"doc_type": type_by_form(signals, figures)})
    return ParsedDocument(
        meta=meta,
        text=_readable(title, blocks),
        chunks=chunks,
        figures=figures,
        signals=signals,
    )


def type_by_form(signals: DocumentSignals, figures: Sequence[FigureRead]) -> DocType:
    """The type a document's form gives before any meaning is weighed: Index figures in a
    report's layout, or with one whose form alone says it is a result, make an Index report; a
    metadata line dated to a day, news; one giving a year or a span, a practice; anything
    else is `other` until its meaning is (ingest/describe.py)."""
    results = signals.report or any(is_strong(f) for f in figures)
    if len(figures) >= INDEX_FIGURES and results:
        return "index_report"
    if signals.event_date and not signals.report:
        return "news"
    if signals.practice_line and not signals.report:
        return "good_practice"
    return "other"


def _is_report(suffix: str, text: str) -> bool:
    if suffix.lower() in PDF_SUFFIXES:
        return True
    headings = sum(1 for line in text.splitlines() if line.startswith("## "))
    return suffix.lower() in {".md", ".markdown"} and headings >= 3


Described = tuple[str, str, list[Block], dict[str, Any], str | None]


def _describe_report(suffix: str, text: str) -> Described:
    """Title, body, blocks, fields and the metadata line (its dateline) of a report."""
    if suffix.lower() in PDF_SUFFIXES:
        text = promote_pdf_headings(text)
    report = structure_report(text)
    title = usable_title(report.title) or prose_title(report.front)
    body = "\n\n".join(b.text for b in report.blocks)
    fields = {"year": infer_year([title, *report.front])}
    return title, body, list(report.blocks), fields, None


def _describe_page(page: CleanPage) -> Described:
    """Title, body, blocks, fields and the metadata line ("Country | City | Year", or the
    dateline) of a web page."""
    body = "\n\n".join(page.paragraphs)
    facts = facts_of(page.head)
    title = page.title or prose_title(page.paragraphs)
    fields = {
        "year": facts.get("year") or infer_year([page.year_line, page.dateline, page.title]),
        **{k: v for k, v in facts.items() if k in ("city", "country")},
    }
    line = page.dateline or page.year_line or metadata_line(page.head)
    return title, body, [Block((), p) for p in page.paragraphs], fields, line


def _metadata(
    fields: dict[str, Any],
    overrides: dict[str, Any],
    *,
    body: str,
    doc_id: str,
    name: str,
    content_hash: str,
) -> DocumentMeta:
    title = _shortened(overrides.get("title") or fields["title"])
    city = overrides.get("city") or fields.get("city") or infer_city(title, body)
    country = fields.get("country") if city == fields.get("city") else None
    values = {
        "doc_id": doc_id,
        "title": title,
        "city": city,
        "country": overrides.get("country") or country or infer_country(city, body),
        "year": fields["year"],
        "language": detect_language(body[:3000]),
        "source": name,
        "url": None,
        "content_hash": content_hash,
    }
    values.update({k: v for k, v in overrides.items() if k != "title"})
    return DocumentMeta(**values)


def _shortened(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """The title, without anything shaped like an HTML tag (a document's own `<title>` may
    spell one with entities), cut at a word before `limit` characters: it heads every chunk's
    embedding, and lists of sources show it."""
    title = " ".join(_TAG_LIKE.sub(" ", title).split())
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"


def _readable(title: str, blocks: Sequence[Block]) -> str:
    """The cleaned document as text: title, headings on their own lines, paragraphs."""
    lines = [f"# {title}"]
    current: tuple[str, ...] = ()
    for block in blocks:
        if block.path != current and block.path:
            lines.append("#" * (len(block.path) + 1) + " " + block.path[-1])
            current = block.path
        lines.append(block.text)
    return "\n\n".join(lines)
