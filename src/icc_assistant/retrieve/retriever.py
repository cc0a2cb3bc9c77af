"""The retriever: one question through analysis, candidates, ranking, selection and the gate.

In a conversation without a model, the earlier user question (`context`) is searched along
with the new one only when the new one cannot stand on its own: a question naming a city of its
own is searched alone ("What does Ansan do for migrant children?" after an anti-rumour
question); one naming none after a question that named a city continues it ("and what about
their schools?" after "What does Ansan do for migrant children?", "how many members has the
council?" after a question about Reykjavík's council); and where neither names a city, the new
question is searched alone when the material answers it alone (it passes the evidence gate),
else with the earlier one. The result says which (`history_used`).

At most as many searches run at once as the process has cores (`SEARCHES_AT_ONCE`); further
ones wait their turn, in the order they came (retrieve/turns.py). A search is CPU work (the
encoder, and Python that holds the GIL), so more at once only take turns on the cores, each
encoder run with its own pool threads: measured on two cores with 50 clients, a service ran
36-38 chats/s with two searches at once and 28-30 with six (asyncio's default thread pool),
using a quarter more CPU per chat.
"""

from __future__ import annotations

import os

from icc_assistant import gazetteer
from icc_assistant.documents import DocumentMeta, Filters, RetrievalResult
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import InvalidQuestionError
from icc_assistant.index import ChunkCatalog, IndexStore
from icc_assistant.language import detect_language
from icc_assistant.retrieve.candidates import gather
from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.filters import allowed_documents
from icc_assistant.retrieve.gate import judge
from icc_assistant.retrieve.keyword import keyword_scores
from icc_assistant.retrieve.passages import to_passage
from icc_assistant.retrieve.places import PlaceReader
from icc_assistant.retrieve.query import analyse, checked_question
from icc_assistant.retrieve.ranking import rank
from icc_assistant.retrieve.selection import select
from icc_assistant.retrieve.turns import Turns
from icc_assistant.settings import Settings


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


SEARCHES_AT_ONCE = _cores()


class Retriever:
    """Finds the passages that answer a question; reads the index, never writes it."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        settings: Settings,
        config: RetrievalConfig | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._places = PlaceReader(embedder)
        self.config = config or RetrievalConfig()
        self._turns = Turns(SEARCHES_AT_ONCE)

    def search(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        k: int = 5,
        english_query: str | None = None,
        context: str | None = None,
    ) -> RetrievalResult:
        """Rank passages for `question`; `english_query` (from a model) is searched as well;
        `context`, the earlier question of a conversation, only when `question` needs it."""
        text = checked_question(question, self._settings.max_question_chars)
        if not 1 <= k <= 50:
            raise InvalidQuestionError(f"k must be between 1 and 50, got {k}.")
        earlier = " ".join((context or "").split())[: self._settings.max_question_chars]
        with self._turns, self._store.pinned() as catalog:
            if not earlier:
                return self._search(catalog, text, filters or Filters(), k, english_query)
            return self._search_in_conversation(catalog, text, earlier, filters or Filters(), k)

    def documents_matching(self, filters: Filters) -> list[DocumentMeta]:
        """The indexed documents explicit filters allow (all when none), by doc_id; a bad
        filter raises InvalidFilterError as it does for a search."""
        with self._store.pinned() as catalog:
            allowed = allowed_documents(catalog, filters)
            chosen = catalog.documents if allowed is None else allowed
            return [catalog.documents[doc_id] for doc_id in sorted(chosen)]

    def _search_in_conversation(
        self, catalog: ChunkCatalog, text: str, earlier: str, filters: Filters, k: int
    ) -> RetrievalResult:
        """The question alone when it stands alone, else with the earlier question."""
        if not self._names_city(catalog, text):
            alone = None
            if not self._names_city(catalog, earlier):
                alone = self._search(catalog, text, filters, k, None)
                if alone.status == "found":
                    return alone
            joined = self._search(catalog, f"{earlier} {text}", filters, k, None)
            if alone is None or joined.status == "found":
                return joined.model_copy(update={"history_used": True})
            return alone
        return self._search(catalog, text, filters, k, None)

    def _names_city(self, catalog: ChunkCatalog, text: str) -> bool:
        language = detect_language(gazetteer.without_cities(text, known=catalog.cities))
        return bool(self._places.read(text, language, catalog.cities))

    def _search(
        self,
        catalog: ChunkCatalog,
        text: str,
        filters: Filters,
        k: int,
        english: str | None,
    ) -> RetrievalResult:
        allowed = allowed_documents(catalog, filters)
        query = analyse(
            text,
            english=english,
            catalog=catalog,
            allowed=allowed,
            embedder=self._embedder,
            places=self._places,
        )
        keyword = keyword_scores(catalog, query)
        candidates = (
            []
            if allowed == frozenset()
            else gather(self._store, catalog, query, keyword, self.config)
        )
        ranked = rank(candidates, query, keyword, catalog, self.config)
        chosen = select(ranked, k, catalog, self.config, query.language)
        gate = judge(query, ranked, catalog, self._embedder, self.config)
        passages = tuple(
            to_passage(c, catalog, self.config.short_chunk_chars, query.vectors) for c in chosen
        )
        found = gate.reason == "relevant"
        return RetrievalResult(
            query=text,
            language=query.language,
            status="found" if found else "no_evidence",
            passages=passages if found else (),
            nearest=() if found else passages,
            cities=query.cities,
            uncovered=query.uncovered,
            filters=filters,
            gate=gate,
        ).with_vectors(
            query.vectors[0],
            query.vectors[0] if query.topic_vector is None else query.topic_vector,
        )
