"""GET /api/search, /api/sources, /api/documents/{doc_id}, /api/facets and /api/scores: the
material itself."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from icc_assistant.api.limits import question_cost
from icc_assistant.api.listings import (
    DOCUMENT_CHARS,
    DocumentText,
    SourceList,
    count_facets,
    list_sources,
    read_document,
)
from icc_assistant.api.routes.deps import assistant_of, charge, client_access, query_filters
from icc_assistant.api.schemas import ERRORS, Facets, ScoreList, error_responses
from icc_assistant.documents import Filters, RetrievalResult
from icc_assistant.retrieve.scores import find_scores

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
    charge(request, question_cost(q))
    assistant = assistant_of(request)
    return await asyncio.to_thread(assistant.search, q, filters=filters, k=k)


@router.get("/sources", response_model=SourceList)
async def sources(request: Request, filters: QueryFilters) -> SourceList:
    """The indexed documents the filters allow (all without any), with metadata and chunk
    count; the filters are search's, and a bad one is the same 422."""
    assistant = assistant_of(request)
    return await asyncio.to_thread(list_sources, assistant, filters)


@router.get("/documents/{doc_id:path}", response_model=DocumentText, responses=error_responses(404))
async def document(
    request: Request,
    doc_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=1000,
            description="A doc_id from /api/sources, a search passage or a citation (it may"
            " hold slashes).",
        ),
    ],
    offset: Annotated[
        int,
        Query(ge=0, description="Character to start from: 0, or the last read's next_offset."),
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=DOCUMENT_CHARS, description="Most characters to return.")
    ] = DOCUMENT_CHARS,
) -> DocumentText:
    """One document's metadata and a window of its cleaned text (section headings as `## `
    lines): read on from `next_offset` until it is null. 404 for an id not indexed."""
    assistant = assistant_of(request)
    return await asyncio.to_thread(read_document, assistant, doc_id, offset=offset, limit=limit)


@router.get("/facets", response_model=Facets)
async def facets(request: Request) -> Facets:
    """Cities, countries, topics, years, types and languages, with document counts."""
    # The first call builds the catalog from Chroma: in a thread, not on the event loop.
    return await asyncio.to_thread(count_facets, assistant_of(request))


@router.get("/scores", response_model=ScoreList)
async def scores(
    request: Request,
    city: Annotated[
        str | None, Query(max_length=200, description="A city, by any of its names.")
    ] = None,
    indicator: Annotated[
        str | None,
        Query(max_length=200, description="An indicator id or published name (education)."),
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="The report's year.")] = None,
    doc_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=1000,
            description="Only the rows read from this document (a doc_id from /api/sources).",
        ),
    ] = None,
) -> ScoreList:
    """ICC Index results read from the Index reports: aggregate index, ranks with the
    sample's size, each indicator's score beside the sample's; each row cites its source."""
    assistant = assistant_of(request)
    rows = await asyncio.to_thread(lambda: assistant.store.catalog.scores)
    found = find_scores(rows, city=city, indicator=indicator, year=year, doc_id=doc_id)
    return ScoreList(rows=found)
