"""The composition root: one object that wires embedder, index, retriever and answerer.

The CLI and the HTTP service both go through it, so a question takes the same path everywhere:
condense (with history) -> the approved answers -> retrieve -> answer -> (when nothing answered
it) record the gap. A question that asks for an approved answer (the secretariat's reviewed
reply) gets it instead of passages: matched on what would be searched (the question, the
model's standalone query, or for a follow-up without a model what retrieval searched), from
the vector retrieval uses, so a chat still embeds its question once. Every answer id it hands
out is signed (`signing.AnswerIds`), whatever the surface.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Literal

import numpy as np
import structlog
from pydantic import BaseModel

from icc_assistant.answer import (
    AnswerDoneEvent,
    Answerer,
    AnswerEvent,
    AnswerRequest,
    TokenEvent,
    create_answerer,
)
from icc_assistant.answer.extractive import answer_language
from icc_assistant.answer.score_table import render_score_table
from icc_assistant.answer.types import SearchQuery, events_of
from icc_assistant.approved import ApprovedAnswer, ApprovedAnswers, Match
from icc_assistant.approved.reply import approved_reply, cited_text, keeps_meaning
from icc_assistant.documents import (
    Answer,
    ApprovedMark,
    ApprovedMatch,
    Filters,
    RetrievalResult,
    RetrievalStatus,
    ScoreRow,
    Turn,
)
from icc_assistant.embeddings import Embedder, RememberedQueries, create_embedder
from icc_assistant.errors import ICCAssistantError
from icc_assistant.gaps import Gap, GapRecorder, GapStore, TopicLabels
from icc_assistant.index import FileResult, IndexStore
from icc_assistant.ingest import TextLimits, load_document
from icc_assistant.language import detect_language
from icc_assistant.retrieve import Retriever
from icc_assistant.retrieve.filters import allowed_documents
from icc_assistant.retrieve.query import checked_question
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
    approved: ApprovedMark | None = None


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
        approved: ApprovedAnswers | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = retriever
        self.answerer = answerer
        self.answer_ids = answer_ids or AnswerIds.ephemeral()
        self.gaps = gaps
        self.approved = approved

    @classmethod
    def open(cls, settings: Settings) -> Assistant:
        """Build every stage from settings; fails early if the index cannot be opened."""
        embedder = RememberedQueries(create_embedder(settings))
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
            approved=ApprovedAnswers.open(settings, embedder),
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
        """Condense the conversation into a search query; the approved answer it asks for, else
        the passages retrieved for it."""
        query = self.answerer.condense(request)
        if query.context is None:
            found = self._approved_for(query.text, query.english, query.language, filters)
            if found is not None:
                return self._approved_result(query.text, query.language, found, filters)
        result = self._search_for(query, filters, self.settings.answer_passages)
        if query.context is not None:  # retrieval decided what a follow-up searches
            found = self._approved_for(result.query, None, query.language, filters)
            if found is not None:
                matched = self._approved_result(result.query, query.language, found, filters)
                return matched.model_copy(update={"history_used": result.history_used})
        return result

    def _retrieve(self, request: AnswerRequest, filters: Filters | None, k: int) -> RetrievalResult:
        return self._search_for(self.answerer.condense(request), filters, k)

    def _search_for(self, query: SearchQuery, filters: Filters | None, k: int) -> RetrievalResult:
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

    def _approved_for(
        self, text: str, english: str | None, language: str, filters: Filters | None
    ) -> Match | None:
        """The approved answer `text` (in `language`, and its English version) asks for among
        those that fit the filters, from the vectors retrieval uses (RememberedQueries: embedded
        once)."""
        if self.approved is None or not self.approved.any_active():
            return None  # spares an encoder run: retrieval embeds the question with its topic
        text = checked_question(text, self.settings.max_question_chars)
        texts = [text] + ([english.strip()] if english and english.strip() != text else [])
        vectors = np.vstack([self.embedder.embed_query(t) for t in texts])
        return self.approved.match(vectors, language, self._fitting(filters))

    def _fitting(self, filters: Filters | None) -> Callable[[ApprovedAnswer], bool]:
        """Whether an approved answer fits the caller's filters: any, without filters; else one
        of its sources must be a document the filters allow."""
        if filters is None or filters.is_empty():
            return lambda _: True
        with self.store.pinned() as catalog:
            allowed = allowed_documents(catalog, filters) or frozenset()
        return lambda answer: any(s.doc_id in allowed for s in answer.sources if s.doc_id)

    def _approved_result(
        self, text: str, language: str, found: Match, filters: Filters | None
    ) -> RetrievalResult:
        """A retrieval that found the approved answer `found` rather than passages."""
        mark = ApprovedMatch(
            id=found.answer.id, approved_at=found.answer.approved_at, score=found.score
        )
        return RetrievalResult(
            query=text,
            language=language,
            status="found",
            filters=filters or Filters(),
            approved=mark,
        )

    def ask(self, request: AnswerRequest, *, filters: Filters | None = None) -> Answer:
        """A complete answer with citations (and its gap recorded if nothing answered it)."""
        return self.answer(request, self.retrieve_for(request, filters))

    def answer(
        self, request: AnswerRequest, retrieval: RetrievalResult, *, score_table: bool = True
    ) -> Answer:
        """The answer to passages already retrieved (or the approved answer found), with a
        signed id (and its gap recorded if nothing answered it); a question about Index results
        opens with their table, unless the caller shows them its own way (`score_table`)."""
        table: str = ""
        rows: tuple[ScoreRow, ...] = ()
        if retrieval.approved is not None:
            answer = self._approved_answer(request, retrieval.approved)
        else:
            answer = self.answerer.write_answer(request, retrieval)
            if score_table:
                table, rows = self._score_table(request, retrieval, answer.language)
        update = {"answer_id": self.answer_ids.issue(), **_told(retrieval)}
        if table:
            update.update(text=f"{table}\n\n{answer.text}", scores=rows)
        answer = answer.model_copy(update=update)
        self._record(request, retrieval, answer)
        return answer

    def _approved_answer(self, request: AnswerRequest, mark: ApprovedMark) -> Answer:
        """The approved answer `mark` names, in the request's language: translated by the model
        when there is one and its translation keeps every citation, number and link."""
        assert self.approved is not None
        approved = self.approved.get(mark.id)
        language = answer_language(request)
        translation = None
        if approved.language != language and self.answerer.uses_model:
            original = cited_text(approved)
            translated = self.answerer.translate(original, language)
            if translated is not None and keeps_meaning(original, translated):
                translation = translated
            elif translated is not None:
                log.warning("approved answer's translation changed it; shown as written")
        with self.store.pinned() as catalog:
            documents = catalog.documents
        return approved_reply(
            approved, language, documents, translation=translation, model=self.answerer.name
        )

    def _record(self, request: AnswerRequest, retrieval: RetrievalResult, answer: Answer) -> None:
        """What an answer leaves behind: the approved answer it served, the gap it showed."""
        self._record_served(answer)
        self._record_gap(request, retrieval, answer)

    def _record_served(self, answer: Answer) -> None:
        """Remember which approved answer an answer served, so that its rating counts for it;
        a database problem is logged and the answer goes on."""
        if answer.approved is None or self.approved is None:
            return
        try:
            self.approved.record_served(answer.answer_id, answer.approved.id)
        except ICCAssistantError as exc:
            log.warning("approved answer's serving not recorded", error=str(exc))

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
        vector = retrieval.question_vector  # the searched text: the question, or its condensed form
        if vector is None:
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

    def mark_answered_gaps(self) -> int:
        """Mark each gap whose text was kept that an approved answer now answers (and unmark
        those none answers any more); how many are answered. Each gap's text is embedded once,
        the first time, and its vector kept with it."""
        if self.gaps is None or self.approved is None:
            return 0
        kept = self.gaps.store.kept_texts()
        fresh = [g for g in kept if not _fits_vector(g.vector, self.embedder.dimension)]
        vectors = self.embedder.embed_queries([g.text for g in fresh]) if fresh else None
        computed = {g.id: vectors[i] for i, g in enumerate(fresh)} if vectors is not None else {}
        marks: list[tuple[int, str | None, bytes | None]] = []
        for gap in kept:
            vector = computed.get(gap.id)
            if vector is None:
                vector = np.frombuffer(gap.vector or b"", dtype=np.float32)
            found = self._approved_for_gap(gap.text, vector, gap.filters)
            new = np.asarray(vector, dtype=np.float32).tobytes() if gap.id in computed else None
            marks.append((gap.id, found, new))
        self.gaps.store.set_answered(marks)
        return sum(answered is not None for _, answered, _ in marks)

    def _approved_for_gap(
        self, text: str, vector: np.ndarray, filters: dict[str, str | int]
    ) -> str | None:
        assert self.approved is not None
        try:
            fits = self._fitting(Filters.model_validate(filters) if filters else None)
        except (ICCAssistantError, ValueError):  # a filter the index no longer knows
            return None
        found = self.approved.match(vector[np.newaxis, :], detect_language(text), fits)
        return found.answer.id if found else None

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
        approved = retrieval.approved
        yield MetaEvent(
            answer_id=answer_id,
            language=request.language or retrieval.language,
            status=retrieval.status,
            filters=retrieval.filters,
            mode="model" if self.answerer.uses_model else "extractive",
            history_used=retrieval.history_used,
            approved=ApprovedMark(id=approved.id, approved_at=approved.approved_at)
            if approved
            else None,
        )
        table: str = ""
        rows: tuple[ScoreRow, ...] = ()
        if approved is None:
            language = request.language or retrieval.language
            table, rows = await asyncio.to_thread(self._score_table, request, retrieval, language)
            if table:
                yield TokenEvent(text=f"{table}\n\n")
        events = (
            self._stream_approved(request, approved)
            if approved is not None
            else self.answerer.stream_answer(request, retrieval)
        )
        async for event in events:
            if isinstance(event, AnswerDoneEvent):
                update = {"answer_id": answer_id, **_told(retrieval)}
                if table:
                    update.update(text=f"{table}\n\n{event.answer.text}", scores=rows)
                answer = event.answer.model_copy(update=update)
                await asyncio.to_thread(self._record, request, retrieval, answer)
                event = AnswerDoneEvent(answer=answer)
            yield event

    async def _stream_approved(
        self, request: AnswerRequest, mark: ApprovedMark
    ) -> AsyncIterator[AnswerEvent]:
        """The approved answer as tokens (a word at a time), then the answer."""
        answer = await asyncio.to_thread(self._approved_answer, request, mark)
        for event in events_of(answer):
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


def _fits_vector(vector: bytes | None, dimension: int) -> bool:
    """A stored vector of the embedder's size (one of another size was another embedder's)."""
    return vector is not None and len(vector) == 4 * dimension


def _told(retrieval: RetrievalResult) -> dict[str, object]:
    """What an answer repeats of its retrieval: whether the conversation was searched, and the
    named cities the material does not cover."""
    return {"history_used": retrieval.history_used, "uncovered": retrieval.uncovered}
