"""What the material holds: the document list, facet counts and one document's text.

/api/sources and /api/facets answer with these, and so do the MCP tools, so the two
interfaces cannot drift apart.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from icc_assistant.api.schemas import FacetCount, Facets
from icc_assistant.assistant import Assistant
from icc_assistant.documents import Chunk, DocumentMeta, Filters
from icc_assistant.errors import InvalidRequestError, NotFoundError

# One read of a document returns at most this many characters; `offset` reads on.
DOCUMENT_CHARS = 20_000


class SourceDocument(DocumentMeta):
    """An indexed document's metadata and how many chunks it was split into."""

    chunks: int


class SourceList(BaseModel):
    """The indexed documents, by doc_id."""

    documents: list[SourceDocument]


class DocumentText(BaseModel):
    """One document's metadata and a window of its cleaned text."""

    document: DocumentMeta
    chunks: int = Field(description="How many chunks the document was split into.")
    text: str = Field(description="Cleaned text as indexed, section headings as `## ` lines.")
    offset: int = Field(description="Where this window starts in the whole text.")
    total_chars: int = Field(description="Length of the whole cleaned text.")
    next_offset: int | None = Field(
        None, description="Offset to read the rest from; None when this window reaches the end."
    )


def list_sources(assistant: Assistant, filters: Filters | None = None) -> SourceList:
    """Every indexed document the filters allow, with its chunk count."""
    documents = assistant.retriever.documents_matching(filters or Filters())
    doc_chunks = assistant.store.catalog.doc_chunks
    return SourceList(
        documents=[
            SourceDocument(**doc.model_dump(), chunks=len(doc_chunks.get(doc.doc_id, [])))
            for doc in documents
        ]
    )


def _counts(counts: dict[str, int]) -> list[FacetCount]:
    return [
        FacetCount(value=k, count=v)
        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def count_facets(assistant: Assistant) -> Facets:
    """Cities, countries, topics, years, types and languages, most documents first."""
    stats = assistant.store.stats()
    return Facets(
        cities=_counts(stats.cities),
        countries=_counts(stats.countries),
        topics=_counts(stats.topics),
        years=_counts(stats.years),
        doc_types=_counts(stats.doc_types),
        languages=_counts(stats.languages),
    )


def join_chunks(chunks: list[Chunk]) -> str:
    """A document's cleaned text rebuilt from its chunks, a heading line where sections change."""
    parts: list[str] = []
    section = ""
    for chunk in chunks:
        if chunk.section and chunk.section != section:
            parts.append(f"## {chunk.section}")
        section = chunk.section
        parts.append(chunk.text)
    return "\n\n".join(parts)


def read_document(
    assistant: Assistant, doc_id: str, *, offset: int = 0, limit: int = DOCUMENT_CHARS
) -> DocumentText:
    """A window of one document's cleaned text; NotFoundError names what to do instead, and an
    offset past the end is InvalidRequestError (offset == length reads an empty window)."""
    with assistant.store.pinned() as catalog:
        document = catalog.documents.get(doc_id)
        if document is None:
            raise NotFoundError(
                f"No indexed document has the id {doc_id!r}; list_sources (or GET /api/sources) "
                "shows the ids."
            )
        chunks = [catalog.chunks[c] for c in catalog.doc_chunks.get(doc_id, [])]
    text = join_chunks(chunks)
    if offset > len(text):
        raise InvalidRequestError(
            f"offset {offset} is past the end of {doc_id!r}, which has {len(text)} characters."
        )
    window = text[offset : offset + limit]
    end = offset + len(window)
    return DocumentText(
        document=document,
        chunks=len(chunks),
        text=window,
        offset=offset,
        total_chars=len(text),
        next_offset=end if end < len(text) else None,
    )
