"""The retriever: one question through analysis, candidates, ranking, selection and the gate."""

from __future__ import annotations

from icc_assistant.documents import DocumentMeta, Filters, RetrievalResult
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import InvalidQuestionError
from icc_assistant.index import ChunkCatalog, IndexStore
from icc_assistant.retrieve.candidates import gather
from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.filters import allowed_documents
from icc_assistant.retrieve.gate import judge
from icc_assistant.retrieve.keyword import keyword_scores
from icc_assistant.retrieve.passages import to_passage
from icc_assistant.retrieve.query import analyse, checked_question
from icc_assistant.retrieve.ranking import rank
from icc_assistant.retrieve.selection import select
from icc_assistant.settings import Settings


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
        self.config = config or RetrievalConfig()

    def search(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        k: int = 5,
        english_query: str | None = None,
    ) -> RetrievalResult:
        """Rank passages for `question`; `english_query` (from a model) is searched as well."""
        text = checked_question(question, self._settings.max_question_chars)
        if not 1 <= k <= 50:
            raise InvalidQuestionError(f"k must be between 1 and 50, got {k}.")
        with self._store.pinned() as catalog:
            return self._search(catalog, text, filters or Filters(), k, english_query)

    def documents_matching(self, filters: Filters) -> list[DocumentMeta]:
        """The indexed documents explicit filters allow (all when none), by doc_id; a bad
        filter raises InvalidFilterError as it does for a search."""
        with self._store.pinned() as catalog:
            allowed = allowed_documents(catalog, filters)
            chosen = catalog.documents if allowed is None else allowed
            return [catalog.documents[doc_id] for doc_id in sorted(chosen)]

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
            text, english=english, catalog=catalog, allowed=allowed, embedder=self._embedder
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
        )
