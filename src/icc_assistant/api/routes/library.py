"""GET /api/search, /api/sources and /api/facets: the material itself."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from icc_assistant.api.listings import SourceList, count_facets, list_sources
from icc_assistant.api.routes.deps import assistant_of, client_access
from icc_assistant.api.schemas import ERRORS, Facets, FiltersIn
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


@router.get("/sources", response_model=SourceList)
async def sources(request: Request) -> SourceList:
    """Every indexed document with its metadata and chunk count."""
    return await asyncio.to_thread(list_sources, assistant_of(request))


@router.get("/facets", response_model=Facets)
async def facets(request: Request) -> Facets:
    """Cities, countries, topics, years, types and languages, with document counts."""
    return count_facets(assistant_of(request))
