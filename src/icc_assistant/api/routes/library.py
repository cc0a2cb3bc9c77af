"""GET /api/search, /api/sources and /api/facets: the material itself."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from icc_assistant.api.routes.deps import assistant_of, client_access
from icc_assistant.api.schemas import ERRORS, FacetCount, Facets, FiltersIn
from icc_assistant.documents import DocType, RetrievalResult

router = APIRouter(
    prefix="/api", tags=["library"], dependencies=[Depends(client_access)], responses=ERRORS
)


@router.get("/search", response_model=RetrievalResult)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=10_000, description="The question or keywords.")],
    k: Annotated[int, Query(ge=1, le=50)] = 8,
    city: Annotated[str | None, Query(max_length=100)] = None,
    country: Annotated[str | None, Query(max_length=100)] = None,
    year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    doc_type: Annotated[DocType | None, Query()] = None,
    topic: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
) -> RetrievalResult:
    """Ranked passages for tools that want retrieval only."""
    filters = FiltersIn(
        city=city,
        country=country,
        year_from=year_from,
        year_to=year_to,
        doc_type=doc_type,
        topic=topic,
        language=language,
    )
    assistant = assistant_of(request)
    return await asyncio.to_thread(assistant.search, q, filters=filters.to_domain(), k=k)


@router.get("/sources")
async def sources(request: Request) -> dict[str, Any]:
    """Every indexed document with its metadata and chunk count."""
    catalog = assistant_of(request).store.catalog
    documents = [
        {**doc.model_dump(mode="json"), "chunks": len(catalog.doc_chunks.get(doc.doc_id, []))}
        for doc in sorted(catalog.documents.values(), key=lambda d: d.doc_id)
    ]
    return {"documents": documents}


def _counts(counts: dict[str, int]) -> list[FacetCount]:
    return [
        FacetCount(value=k, count=v)
        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


@router.get("/facets", response_model=Facets)
async def facets(request: Request) -> Facets:
    """Cities, countries, topics, years, types and languages, with document counts."""
    stats = assistant_of(request).store.stats()
    return Facets(
        cities=_counts(stats.cities),
        countries=_counts(stats.countries),
        topics=_counts(stats.topics),
        years=_counts(stats.years),
        doc_types=_counts(stats.doc_types),
        languages=_counts(stats.languages),
    )
