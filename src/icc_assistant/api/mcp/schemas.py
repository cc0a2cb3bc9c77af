"""Inputs and outputs of the MCP tools that the HTTP schemas do not already define."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from icc_assistant.documents import DocType, Passage, RetrievalResult, RetrievalStatus


class YearRange(BaseModel):
    """Publication years to keep, both ends inclusive; leave an end out to keep it open."""

    model_config = ConfigDict(extra="forbid")

    start: int | None = Field(None, ge=1900, le=2100, examples=[2018])
    end: int | None = Field(None, ge=1900, le=2100, examples=[2021])


class SearchHit(BaseModel):
    """One retrieved passage with where it comes from."""

    rank: int = Field(description="1 for the most relevant passage.")
    relevance: float = Field(description="Relevance in [0, 1]; higher is better.")
    text: str = Field(description="The passage, widened with its neighbours when short.")
    title: str = Field(description="Title of the document the passage is from.")
    city: str | None
    country: str | None
    year: int | None
    doc_type: DocType
    section: str = Field(description='Heading path in the document, e.g. "LENS > EDUCATION".')
    url: str | None = Field(description="Public page of the document, when known.")
    doc_id: str = Field(description="Pass to get_document to read the whole document.")
    chunk_id: str
    is_recommendation: bool = Field(
        description="The passage suggests practices to the city, often other cities' practices."
    )

    @classmethod
    def of(cls, rank: int, passage: Passage) -> SearchHit:
        doc, chunk = passage.document, passage.chunk
        return cls(
            rank=rank,
            relevance=round(passage.score, 4),
            text=passage.context,
            title=doc.title,
            city=doc.city,
            country=doc.country,
            year=doc.year,
            doc_type=doc.doc_type,
            section=chunk.section,
            url=doc.url,
            doc_id=doc.doc_id,
            chunk_id=chunk.chunk_id,
            is_recommendation=chunk.is_recommendation,
        )


class SearchResult(BaseModel):
    """Ranked passages for a question, or why there are none."""

    status: RetrievalStatus = Field(
        description="`found`, or `no_evidence` when the material does not cover the question."
    )
    language: str = Field(description="ISO 639-1 code of the question's language.")
    passages: list[SearchHit] = Field(description="Best first; empty when no_evidence.")
    nearest: list[SearchHit] = Field(
        description="With no_evidence: the closest passages, below the evidence threshold. They "
        "show what the material does cover; do not present them as answering the question."
    )
    cities: list[str] = Field(description="Cities recognised in the question.")

    @classmethod
    def of(cls, result: RetrievalResult) -> SearchResult:
        return cls(
            status=result.status,
            language=result.language,
            passages=[SearchHit.of(rank, p) for rank, p in enumerate(result.passages, start=1)],
            nearest=[SearchHit.of(rank, p) for rank, p in enumerate(result.nearest, start=1)],
            cities=list(result.cities),
        )
