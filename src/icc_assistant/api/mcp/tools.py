"""The MCP tools: typed wrappers over the paths /api/search, /api/chat, /api/sources,
/api/facets and /api/scores take, with descriptions written for a model choosing among them.

The docstrings below are what MCP clients show the model; parameter descriptions come from
the `Field`s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from anyio import to_thread
from pydantic import Field

from icc_assistant.api.listings import (
    DocumentText,
    SourceList,
    count_facets,
    list_sources,
    read_document,
)
from icc_assistant.api.mcp.schemas import SearchResult, YearRange
from icc_assistant.api.routes.deps import answer_request
from icc_assistant.api.schemas import ChatRequest, Facets, FiltersIn, ScoreList, TurnIn
from icc_assistant.assistant import Assistant
from icc_assistant.documents import Answer, DocType, Filters
from icc_assistant.retrieve.scores import find_scores

Question = Annotated[
    str,
    Field(
        min_length=1,
        max_length=10_000,
        description="The question or keywords, in any language.",
    ),
]
Place = Annotated[str | None, Field(max_length=100)]


class ICCTools:
    """The tools, over the Assistant a provider returns (opened when the service starts)."""

    def __init__(self, assistant: Callable[[], Assistant]) -> None:
        self._assistant = assistant

    async def search_icc(
        self,
        question: Question,
        city: Annotated[
            Place, Field(description="Only documents about this city, e.g. Ansan (any spelling).")
        ] = None,
        country: Annotated[Place, Field(description="Only this country, e.g. South Korea.")] = None,
        topic: Annotated[
            Place, Field(description="Only this ICC topic, e.g. Education (see icc_facets).")
        ] = None,
        doc_type: Annotated[
            DocType | None,
            Field(description="good_practice pages, index_report (ICC Index), news or other."),
        ] = None,
        years: Annotated[
            YearRange | None, Field(description="Only documents published in these years.")
        ] = None,
        k: Annotated[int, Field(ge=1, le=20, description="How many passages.")] = 5,
    ) -> SearchResult:
        """Find passages in the Council of Europe's Intercultural Cities (ICC) material (member
        cities' good-practice pages and ICC Index reports) relevant to a question.

        Use it to read and quote the sources yourself; use ask_icc for a finished answer with
        citations. Questions may be in any language. Returns passages best first, each with
        its city, country, year, document title, section, URL and relevance. Status
        `no_evidence` means the material does not cover the question: say so rather than
        answer from `nearest`. Filter values must exist in the index: icc_facets lists them.
        """
        filters = Filters(
            city=city,
            country=country,
            topic=topic,
            doc_type=doc_type,
            year_from=years.start if years else None,
            year_to=years.end if years else None,
        )
        assistant = self._assistant()
        result = await to_thread.run_sync(lambda: assistant.search(question, filters=filters, k=k))
        return SearchResult.of(result)

    async def ask_icc(
        self,
        question: Question,
        history: Annotated[
            list[TurnIn] | None,
            Field(description="Earlier turns, oldest first, for a follow-up question."),
        ] = None,
        filters: Annotated[
            FiltersIn | None, Field(description="Restrict the material the answer draws on.")
        ] = None,
    ) -> Answer:
        """Answer a question about intercultural inclusion policy from the Intercultural
        Cities (ICC) material, in the question's language, with numbered citations.

        Use it for a ready answer to pass on; use search_icc to see the passages themselves.
        The text cites sources as [n]; `citations` gives each number's city, document,
        section, URL and quoted passage: keep the numbers with the claims when you relay it.
        Status `no_evidence` means the material does not cover the question; `partial` that
        it covers part of it. Send `history` for follow-ups ("and in Ansan?").
        """
        assistant = self._assistant()
        body = ChatRequest(question=question, history=history or [], filters=filters)
        request = answer_request(assistant.settings, body)
        domain_filters = filters.to_domain() if filters else None
        return await to_thread.run_sync(lambda: assistant.ask(request, filters=domain_filters))

    async def list_sources(
        self,
        filters: Annotated[
            FiltersIn | None, Field(description="Only documents matching these fields.")
        ] = None,
    ) -> SourceList:
        """List the documents the ICC Assistant has indexed: id, title, city, country, year,
        type (good_practice, index_report, news), topics, language, URL and size in chunks.

        Use it to see what the material covers or to find a doc_id for get_document.
        """
        domain = filters.to_domain() if filters else None
        assistant = self._assistant()
        return await to_thread.run_sync(lambda: list_sources(assistant, domain))

    async def get_document(
        self,
        doc_id: Annotated[
            str,
            Field(
                min_length=1,
                max_length=1000,
                description="A doc_id from list_sources, search_icc or a citation.",
            ),
        ],
        offset: Annotated[
            int, Field(ge=0, description="Character to start from; use next_offset to go on.")
        ] = 0,
    ) -> DocumentText:
        """Read one indexed document: its metadata and its cleaned text (section headings as
        `## ` lines), a bounded window of the text a call.

        Use it when a passage is not enough and you need the surrounding report or page. If
        `next_offset` is set, call again with offset=next_offset for the rest.
        """
        assistant = self._assistant()
        return await to_thread.run_sync(lambda: read_document(assistant, doc_id, offset=offset))

    async def icc_facets(self) -> Facets:
        """Count the indexed documents by city, country, topic, year, type and language.

        Use it to learn which filter values exist before filtering search_icc, ask_icc or
        list_sources, or to tell the user what the material covers.
        """
        assistant = self._assistant()
        return await to_thread.run_sync(lambda: count_facets(assistant))

    async def icc_scores(
        self,
        city: Annotated[
            Place, Field(description="Only this city's results, e.g. Ansan (any spelling).")
        ] = None,
        indicator: Annotated[
            Place,
            Field(description="Only this indicator: aggregate, rank, education, public_space..."),
        ] = None,
        year: Annotated[
            int | None, Field(ge=1900, le=2100, description="The report's year.")
        ] = None,
        doc_id: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=1000,
                description="Only the rows read from this document (a doc_id from search).",
            ),
        ] = None,
    ) -> ScoreList:
        """Look up cities' ICC Index results: the aggregate index, ranks with the number of
        cities ranked, and each indicator's score beside the city sample's.

        Use it for "how does a city score on X" or to compare cities. Every row cites the
        document, chunk and sentence or table row it was read from; quote those, never guess.
        """
        assistant = self._assistant()
        rows = await to_thread.run_sync(lambda: assistant.store.catalog.scores)
        found = find_scores(rows, city=city, indicator=indicator, year=year, doc_id=doc_id)
        return ScoreList(rows=found)

    async def document_markdown(self, doc_id: str) -> str:
        """One document as Markdown: title, where and when, then its cleaned text (bounded)."""
        assistant = self._assistant()
        read = await to_thread.run_sync(lambda: read_document(assistant, doc_id))
        doc = read.document
        where = ", ".join(str(x) for x in (doc.city, doc.country, doc.year, doc.doc_type) if x)
        lines = [f"# {doc.title}", "", where, *([doc.url] if doc.url else []), "", read.text]
        if read.next_offset is not None:
            lines += ["", f"[truncated: call get_document with offset={read.next_offset}]"]
        return "\n".join(lines)
