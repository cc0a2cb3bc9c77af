"""GET /api/search, /api/sources and /api/facets: the material itself."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from icc_assistant.api.listings import SourceList, count_facets, list_sources
from icc_assistant.api.routes.deps import assistant_of, client_access, query_filters
from icc_assistant.api.schemas import ERRORS, Facets
from icc_assistant.documents import Filters, RetrievalResult

router = APIRouter(
    prefix="/api", tags=["library"], dependencies=[Depends(client_access)], responses=ERRORS
)
QueryFilters = Annotated[Filters, Depends(query_filters)]


@router.get("/search", response_model=RetrievalResult)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=10_000, description="The question or keywords.")],
    filters: QueryFilters,
    k: Annotated[int, Query(ge=1, le=50)] = 8,
) -> RetrievalResult:
    """Ranked passages for tools that want retrieval only."""
    assistant = assistant_of(request)
    return await asyncio.to_thread(assistant.search, q, filters=filters, k=k)


@router.get("/sources", response_model=SourceList)
async def sources(request: Request, filters: QueryFilters) -> SourceList:
    """The indexed documents the filters allow (all without any), with metadata and chunk
    count; the filters are search's, and a bad one is the same 422."""
    assistant = assistant_of(request)
    return await asyncio.to_thread(list_sources, assistant, filters)


@router.get("/facets", response_model=Facets)
async def facets(request: Request) -> Facets:
    """Cities, countries, topics, years, types and languages, with document counts."""
    return count_facets(assistant_of(request))
