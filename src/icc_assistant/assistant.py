"""The composition root: one object that wires embedder, index, retriever and answerer.

The CLI and the HTTP service both go through it, so a question takes the same path everywhere:
condense (with history) -> retrieve -> answer -> (when nothing answered it) record the gap.
Every answer id it hands out is signed (`signing.AnswerIds`), whatever the surface.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import structlog
from pydantic import BaseModel

from icc_assistant.answer import (
    AnswerDoneEvent,
    Answerer,
    AnswerRequest,
    TokenEvent,
    create_answerer,
)
from icc_assistant.answer.score_table import render_score_table
from icc_assistant.documents import (
    Answer,
    Filters,
    RetrievalResult,
    RetrievalStatus,
    ScoreRow,
    Turn,
)
from icc_assistant.embeddings import Embedder, create_embedder
from icc_assistant.errors import ICCAssistantError
from icc_assistant.gaps import Gap, GapRecorder, GapStore, TopicLabels
from icc_assistant.index import FileResult, IndexStore
from icc_assistant.ingest import TextLimits, load_document
from icc_assistant.retrieve import Retriever
from icc_assistant.retrieve.scores import results_asked, rows_for_question
from icc_assistant.settings import Settings
from icc_assistant.signing import AnswerIds

log = structlog.get_logger("icc_assistant.assistant")


class MetaEvent(BaseModel):
    """First event of a streamed answer: what retrieval found, before any token."""

    kind: Literal["meta"] = "meta"
    answer_id: str
    language: str
    status: RetrievalStatus
    filters: Filters
    mode: Literal["model", "extractive"]
    history_used: bool = False


AssistantEvent = MetaEvent | TokenEvent | AnswerDoneEvent


class Assistant:
    """Answers questions over the index; the one entry point of CLI and API."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: IndexStore,
        retriever: Retriever,
        answerer: Answerer,
        *,
        answer_ids: AnswerIds | None = None,
        gaps: GapRecorder | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = retriever
        self.answerer = answerer
        self.answer_ids = answer_ids or AnswerIds.ephemeral()
        self.gaps = gaps

    @classmethod
    def open(cls, settings: Settings) -> Assistant:
        """Build every stage from settings; fails early if the index cannot be opened."""
        embedder = create_embedder(settings)
        store = IndexStore.open(settings, embedder)
        retriever = Retriever(store, embedder, settings)
        answerer = create_answerer(settings)
        gaps = GapRecorder(GapStore.from_settings(settings), TopicLabels(embedder))
        return cls(
            settings,
            embedder,
            store,
            retriever,
            answerer,
            answer_ids=AnswerIds.from_settings(settings),
            gaps=gaps,
        )

    def search(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        k: int = 8,
        history: tuple[Turn, ...] = (),
    ) -> RetrievalResult:
        """Ranked passages for a question, without writing an answer; with `history`, the
        conversation is condensed first, as a chat does."""
        if not history:
            return self.retriever.search(question, filters=filters, k=k)
        return self._retrieve(AnswerRequest(question=question, history=history), filters, k)

    def retrieve_for(self, request: AnswerRequest, filters: Filters | None) -> RetrievalResult:
        """Condense the conversation into a search query, then retrieve for it."""
        return self._retrieve(request, filters, self.settings.answer_passages)

    def _retrieve(self, request: AnswerRequest, filters: Filters | None, k: int) -> RetrievalResult:
        query = self.answerer.condense(request)
        result = self.retriever.search(
            query.text,
            filters=filters,
            k=k,
            english_query=query.english,
            context=query.context,
        )
        # The answer follows the user's question, not the condensed query.
        update: dict[str, object] = {"language": query.language}
        if query.history_used:
            update["history_used"] = True
        return result.model_copy(update=update)

    def ask(self, request: AnswerRequest, *, filters: Filters | None = None) -> Answer:
        """A complete answer with citations (and its gap recorded if nothing answered it)."""
        return self.answer(request, self.retrieve_for(request, filters))

    def answer(self, request: AnswerRequest, retrieval: RetrievalResult) -> Answer:
        """The answer to passages already retrieved, with a signed id (and its gap recorded
        if nothing answered it)."""
        answer = self.answerer.write_answer(request, retrieval)
        table, rows = self._score_table(request, retrieval, answer.language)
        update = {"answer_id": self.answer_ids.issue(), **_told(retrieval)}
        if table:
            update.update(text=f"{table}\n\n{answer.text}", scores=rows)
        answer = answer.model_copy(update=update)
        self._record_gap(request, retrieval, answer)
        return answer

    def _score_table(
        self, request: AnswerRequest, retrieval: RetrievalResult, language: str
    ) -> tuple[str, tuple[ScoreRow, ...]]:
        """The table of Index results a question about them opens with ("" when it asks for
        none, or the material has none for it), and its rows."""
        if retrieval.status != "found":
            return "", ()
        rows = self.store.catalog.scores
        if not rows:
            return "", ()
        vector = self.embedder.embed_query(request.question)
        asked, indicator = results_asked(self.embedder, vector)
        if not asked:
            return "", ()
        found, missing = rows_for_question(rows, retrieval, indicator)
        return render_score_table(found, missing, language), tuple(found)

    def _record_gap(
        self, request: AnswerRequest, retrieval: RetrievalResult, answer: Answer
    ) -> None:
        if self.gaps is not None:
            self.gaps.record_answer(request.question, retrieval, answer)

    def thumbs_down_gap(self, question: str | None) -> Gap | None:
        """The gap a rating "down" records (None without a gap record); a question that came
        with it is analysed as retrieval analyses it (language, cities, topic)."""
        if self.gaps is None:
            return None
        retrieval = None
        if question is not None:
            try:
                retrieval = self.retriever.search(question, k=1)
            except ICCAssistantError as exc:  # too long, index away: the rating still counts
                log.warning("down-rated question not analysed", error=type(exc).__name__)
        return self.gaps.thumbs_down_gap(question, retrieval)

    def replace_gap(self, earlier: int | None, gap: Gap | None) -> int | None:
        """Swap the gap an answer's earlier rating recorded for this rating's (see feedback)."""
        return self.gaps.replace(earlier, gap) if self.gaps is not None else None

    async def stream(
        self, request: AnswerRequest, *, filters: Filters | None = None
    ) -> AsyncIterator[AssistantEvent]:
        """A meta event, then the answer's tokens, then the final answer."""
        retrieval = await asyncio.to_thread(self.retrieve_for, request, filters)
        async for event in self.stream_retrieved(request, retrieval):
            yield event

    async def stream_retrieved(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AssistantEvent]:
        """Stream the answer to passages already retrieved (so retrieval errors come first)."""
        answer_id = self.answer_ids.issue()
        yield MetaEvent(
            answer_id=answer_id,
            language=request.language or retrieval.language,
            status=retrieval.status,
            filters=retrieval.filters,
            mode="model" if self.answerer.uses_model else "extractive",
            history_used=retrieval.history_used,
        )
        language = request.language or retrieval.language
        table, rows = await asyncio.to_thread(self._score_table, request, retrieval, language)
        if table:
            yield TokenEvent(text=f"{table}\n\n")
        async for event in self.answerer.stream_answer(request, retrieval):
            if isinstance(event, AnswerDoneEvent):
                update = {"answer_id": answer_id, **_told(retrieval)}
                if table:
                    update.update(text=f"{table}\n\n{event.answer.text}", scores=rows)
                answer = event.answer.model_copy(update=update)
                await asyncio.to_thread(self._record_gap, request, retrieval, answer)
                event = AnswerDoneEvent(answer=answer)
            yield event

    def index_ready(self) -> str:
        """The index's readiness, in words; raises IndexUnavailableError when it is not."""
        self.store.ping()
        self.store.refresh()
        stats = self.store.stats()
        return f"{stats.documents} documents, {stats.chunks} chunks"

    def model_ready(self) -> str:
        """The answerer's readiness, in words; raises ModelUnavailableError when it is not."""
        return self.answerer.check_ready()

    def ingest_file(self, path: Path, doc_id: str) -> FileResult:
        """Ingest (or re-ingest) one uploaded file; a bad file raises its DocumentError."""
        limits = TextLimits.from_settings(self.settings)
        document = load_document(path, doc_id=doc_id, limits=limits)
        return self.store.add_document(document)

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and its chunks; False if it was not indexed."""
        return self.store.delete_document(doc_id)


def _told(retrieval: RetrievalResult) -> dict[str, object]:
    """What an answer repeats of its retrieval: whether the conversation was searched, and the
    named cities the material does not cover."""
    return {"history_used": retrieval.history_used, "uncovered": retrieval.uncovered}
