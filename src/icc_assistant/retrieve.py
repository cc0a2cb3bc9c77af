"""Question -> ranked Passages: hybrid dense + keyword retrieval over the index (read-only).

Dense (multilingual e5 over Chroma) and keyword (bm25s) candidate lists are fused with reciprocal
rank fusion. The keyword leg never filters the dense one and only gets a say where it can help
across languages: a question's full keyword tokens are matched against passages in the question's
own language, while passages in other languages are matched only on language-neutral tokens
(rare numbers, acronyms and names). Dense candidates are re-ranked by CSLS to demote "hub"
passages that are close to every query. Cities named in the question (in any script) boost the
passages about them; they restrict results only through an explicit filter. ICC Index fields
named in the question boost passages from that chapter of a report. Near-duplicate passages are
dropped (keyword-token Jaccard overlap), every document has a quota of the results, and an
evidence gate on the dense similarity of the question without its city names decides
`no_evidence`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from icc_assistant import gazetteer, index_fields
from icc_assistant.documents import Chunk, DocumentMeta, Filters, Passage, RetrievalResult
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import InvalidFilterError, InvalidQuestionError
from icc_assistant.index import IndexStore
from icc_assistant.index.vectors import DenseHit
from icc_assistant.language import detect_language
from icc_assistant.settings import Settings
from icc_assistant.tokens import keyword_tokens

_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,}\b")
_LATIN_WORD = re.compile(r"\b[A-Za-z][A-Za-z'’-]+\b")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}\b")
_NON_LATIN_LANGUAGES = frozenset(
    {"ar", "be", "bg", "el", "he", "ja", "ko", "mk", "ru", "sr", "uk", "zh"}
)
_GENERAL_QUESTION = re.compile(
    r"\b(cities|towns|municipalities|villes|städte|ciudades|città|cidades|miast|городов|города|"
    r"πόλεις|şehirler|도시들|도시가|都市|城市)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RetrievalConfig:
    """Tuning of the retriever; defaults calibrated on the dev set (see bench/eval_retrieval.py)."""

    candidates: int = 40
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 0.6
    neutral_weight: float = 0.25
    city_boost: float = 0.25
    field_boost: float = 0.15
    duplicate_overlap: float = 0.7
    general_quota: int = 2
    specific_share: float = 0.75  # of k, for one document when the question is specific
    min_similarity: float = 0.787  # bench/calibrate_gate.py: midpoint of 0.795 and 0.781
    hubness_penalty: float = 0.5
    view_weight: float = 0.5  # a chunk's dense score: its whole vector and its closest half
    short_chunk_chars: int = 350


@dataclass(frozen=True)
class _Query:
    """A question as analysed once: its text, language, cities and allowed documents."""

    text: str
    language: str
    english: str | None
    cities: tuple[str, ...]
    fields: tuple[str, ...]
    allowed: set[str] | None
    asks_score: bool = False


@dataclass
class _Candidate:
    chunk: Chunk
    document: DocumentMeta
    fused: float = 0.0
    similarity: float | None = None


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
        """Rank passages for `question`; `english_query` (from a model) helps the keyword leg."""
        question = self._check_question(question)
        if not 1 <= k <= 50:
            raise InvalidQuestionError(f"k must be between 1 and 50, got {k}.")
        with self._store.pinned():
            return self._search(question, filters or Filters(), k, english_query)

    def _search(
        self, question: str, filters: Filters, k: int, english_query: str | None
    ) -> RetrievalResult:
        language = detect_language(question)
        cities = tuple(gazetteer.find_cities(question))
        fields = index_fields.find_fields(question)
        allowed = self._allowed_documents(filters)
        base = RetrievalResult(
            query=question,
            language=language,
            status="no_evidence",
            cities=cities,
            fields=fields,
            filters=filters,
        )
        if allowed is not None and not allowed:
            return base
        asks_score = index_fields.asks_score(question)
        query = _Query(question, language, english_query, cities, fields, allowed, asks_score)
        texts = [question]
        if english_query and english_query.strip() != question:
            texts.append(english_query)
        vectors = np.vstack([self._embedder.embed_query(text) for text in texts])
        dense = self._dense(vectors, allowed)
        chapters = self._chapter_ranking(vectors[0], query)
        candidates = self._candidates(query, [*dense, chapters] if chapters else dense)
        ranked = self._select(candidates, k, general=self._is_general(question, cities))
        passages = tuple(self._to_passage(c) for c in ranked)
        if not passages:
            return base
        relevance = self._relevance(ranked, query)
        found = base.model_copy(update={"relevance": round(relevance, 4)})
        if not self._has_evidence(ranked, query, relevance):
            return found.model_copy(update={"nearest": passages})
        return found.model_copy(update={"status": "found", "passages": passages})

    # -- validation and filters ---------------------------------------------------------------

    def _check_question(self, question: str) -> str:
        text = question.strip()
        if not text:
            raise InvalidQuestionError("The question is empty: type what you want to know.")
        if not any(ch.isalnum() for ch in text):  # only emoji, punctuation or invisible marks
            raise InvalidQuestionError("The question has no words: type what you want to know.")
        limit = self._settings.max_question_chars
        if len(text) > limit:
            raise InvalidQuestionError(
                f"The question has {len(text)} characters; the limit is {limit}. Shorten it."
            )
        return text

    def _allowed_documents(self, filters: Filters) -> set[str] | None:
        """Doc ids matching explicit filters, or None when nothing is filtered."""
        if filters.is_empty():
            return None
        city = _canonical_filter(filters.city, gazetteer.canonical_city, "city")
        country = _canonical_filter(filters.country, gazetteer.canonical_country, "country")
        if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
            raise InvalidFilterError(
                f"year_from {filters.year_from} is after year_to {filters.year_to}."
            )
        documents = self._store.catalog.documents.values()
        return {d.doc_id for d in documents if _matches(d, filters, city, country)}

    # -- candidate generation ------------------------------------------------------------------

    def _candidates(
        self, query: _Query, dense_rankings: list[list[tuple[str, float]]]
    ) -> list[_Candidate]:
        pool: dict[str, _Candidate] = {}
        for ranking in dense_rankings:
            for rank, (chunk_id, similarity) in enumerate(ranking):
                cand = self._candidate(pool, chunk_id)
                if cand is None:
                    continue
                cand.fused += self.config.dense_weight / (self.config.rrf_k + rank + 1)
                cand.similarity = max(cand.similarity or 0.0, similarity)
        for weight, chunk_ids in self._keyword(query):
            for rank, chunk_id in enumerate(chunk_ids):
                cand = self._candidate(pool, chunk_id)
                if cand is not None:
                    cand.fused += weight / (self.config.rrf_k + rank + 1)
        self._boost_cities(pool.values(), query.cities)
        self._boost_fields(pool.values(), query.fields)
        floor = min((c.similarity for c in pool.values() if c.similarity is not None), default=0.0)
        for cand in pool.values():
            if cand.similarity is None:
                cand.similarity = floor
        return sorted(pool.values(), key=lambda c: c.fused, reverse=True)

    def _candidate(self, pool: dict[str, _Candidate], chunk_id: str) -> _Candidate | None:
        if chunk_id in pool:
            return pool[chunk_id]
        catalog = self._store.catalog
        chunk = catalog.chunks.get(chunk_id)
        if chunk is None:
            return None
        pool[chunk_id] = _Candidate(chunk, catalog.documents[chunk.doc_id])
        return pool[chunk_id]

    def _dense(
        self, vectors: np.ndarray, allowed: set[str] | None
    ) -> list[list[tuple[str, float]]]:
        """For each vector, dense candidates scored on the whole chunk and its closest view
        (index/views.py). One Chroma query per collection serves all the vectors."""
        found = self._store.query_dense_many(vectors, self.config.candidates, doc_ids=allowed)
        return [self._csls_ranking(hits) for hits in found]

    def _csls_ranking(self, hits: Iterable[DenseHit]) -> list[tuple[str, float]]:
        """(chunk id, dense score) re-ranked by CSLS: similarity minus half the chunk's
        hubness, the best `candidates` of them."""
        hubness = self._store.catalog.hubness
        penalty = self.config.hubness_penalty
        scored = [(hit.chunk_id, self._mixed(hit)) for hit in hits]
        scored.sort(key=lambda p: p[1] - penalty * hubness.get(p[0], 0.0), reverse=True)
        return scored[: self.config.candidates]

    def _chapter_ranking(self, vector: np.ndarray, query: _Query) -> list[tuple[str, float]]:
        """For a question asking a named city's score in named chapters, the passages of those
        chapters in the city's Index reports, by dense score: "Ansan's score in participation"
        reaches that chapter even when its wording, in another language, matches the chapter
        poorly. Scored from the vectors the catalog holds, with no Chroma query. (Only for
        score questions: a question merely using a chapter's word, "how many languages",
        lost passages from elsewhere to that chapter.)"""
        if not (query.cities and query.fields and query.asks_score):
            return []
        catalog = self._store.catalog
        reports = [
            doc
            for doc in self._city_documents(query.cities, query.allowed)
            if catalog.documents[doc].doc_type == "index_report"
        ]
        ids = [
            chunk_id
            for doc in reports
            for chunk_id in catalog.doc_chunks.get(doc, [])
            if _in_named_chapter(catalog.chunks[chunk_id], query.fields)
        ]
        return self._csls_ranking(catalog.similarities(vector, ids)) if ids else []

    def _city_documents(self, cities: tuple[str, ...], allowed: set[str] | None) -> set[str]:
        """The documents about the named cities, within the allowed ones."""
        documents = self._store.catalog.documents.values()
        own = {d.doc_id for d in documents if d.city in cities}
        return own if allowed is None else own & allowed

    def _keyword(self, query: _Query) -> list[tuple[float, list[str]]]:
        """Weighted keyword rankings.

        Passages in the question's language are matched on all its keyword tokens; passages in
        other languages only on rare language-neutral tokens (numbers, acronyms, names), with a
        lower weight, or on the English query when a model wrote one.
        """
        keyword = self._store.catalog.keyword
        language, allowed = query.language, query.allowed
        neutral = [
            t for t in _neutral_tokens(query.text, language, query.cities) if keyword.is_rare(t)
        ]
        rankings = [
            (
                self.config.keyword_weight,
                self._keyword_ranking(
                    keyword_tokens(query.text), allowed, lambda lang: lang == language
                ),
            ),
            (
                self.config.neutral_weight,
                self._keyword_ranking(neutral, allowed, lambda lang: lang != language),
            ),
        ]
        if query.english:
            english = keyword_tokens(query.english)
            rankings.append(
                (
                    self.config.keyword_weight,
                    self._keyword_ranking(english, allowed, lambda lang: lang == "en"),
                )
            )
        return [(weight, ranking) for weight, ranking in rankings if ranking and weight > 0]

    def _keyword_ranking(
        self, tokens: list[str], allowed: set[str] | None, wanted: Callable[[str], bool]
    ) -> list[str]:
        """Chunk ids by BM25 score over `tokens`, restricted to passages of wanted languages."""
        if not tokens:
            return []
        catalog = self._store.catalog
        ranked = []
        for chunk_id, _ in catalog.keyword.search(tokens, self.config.candidates * 3):
            chunk = catalog.chunks.get(chunk_id)
            if chunk is None or (allowed is not None and chunk.doc_id not in allowed):
                continue
            if wanted(catalog.documents[chunk.doc_id].language):
                ranked.append(chunk_id)
        return ranked[: self.config.candidates]

    def _boost_cities(self, candidates: Iterable[_Candidate], cities: tuple[str, ...]) -> None:
        if not cities:
            return
        wanted = set(cities)
        for cand in candidates:
            about = {cand.document.city, *cand.chunk.mentioned_cities}
            if wanted & about:
                cand.fused *= 1.0 + self.config.city_boost

    def _boost_fields(self, candidates: Iterable[_Candidate], fields: tuple[str, ...]) -> None:
        """Favour passages from the Index report chapters the question names."""
        if not fields:
            return
        for cand in candidates:
            if _in_named_chapter(cand.chunk, fields):
                cand.fused *= 1.0 + self.config.field_boost

    # -- selection -------------------------------------------------------------------------------

    def _is_general(self, question: str, cities: tuple[str, ...]) -> bool:
        return not cities and bool(_GENERAL_QUESTION.search(question))

    def _select(self, candidates: list[_Candidate], k: int, *, general: bool) -> list[_Candidate]:
        """The best candidates, skipping near-duplicates and any document already holding its
        quota: a few passages for general questions, most of k otherwise. Passages held back by
        the quota fill the list if too few others remain."""
        catalog = self._store.catalog
        share = self.config.specific_share
        quota = self.config.general_quota if general else math.ceil(share * k)
        selected: list[_Candidate] = []
        held_back: list[_Candidate] = []
        for cand in candidates:
            if len(selected) == k:
                break
            chunk_id = cand.chunk.chunk_id
            overlaps = (catalog.overlap(chunk_id, s.chunk.chunk_id) for s in selected)
            if any(overlap >= self.config.duplicate_overlap for overlap in overlaps):
                continue
            if _doc_count(selected, cand) >= quota:
                held_back.append(cand)
                continue
            selected.append(cand)
        return selected + held_back[: k - len(selected)]

    def _relevance(self, ranked: Sequence[_Candidate], query: _Query) -> float:
        """The best passage's similarity to what the question asks about: for a question naming
        cities, to the question without them (see _topic)."""
        topic = _topic(query)
        if topic is None:
            return max((c.similarity or 0.0) for c in ranked)
        vector = self._embedder.embed_query(topic)
        hits = self._store.catalog.similarities(vector, [c.chunk.chunk_id for c in ranked])
        return max((self._mixed(hit) for hit in hits), default=0.0)

    def _mixed(self, hit: DenseHit) -> float:
        """A chunk's dense score: its whole vector's cosine and its closest view's."""
        share = self.config.view_weight
        return (1 - share) * hit.similarity + share * hit.view_similarity

    def _has_evidence(self, ranked: Sequence[_Candidate], query: _Query, relevance: float) -> bool:
        """The gate: named cities are covered at all, and the question's topic is similar enough
        to a passage or a passage comes from the chapter the question names of a named city's
        Index report ("the score of Ansan in public space")."""
        if query.cities and not set(query.cities) & self._store.catalog.cities:
            return False
        return relevance >= self.config.min_similarity or any(
            c.document.city in query.cities and _in_named_chapter(c.chunk, query.fields)
            for c in ranked
        )

    # -- passages --------------------------------------------------------------------------------

    def _to_passage(self, cand: _Candidate) -> Passage:
        return Passage(
            chunk=cand.chunk,
            document=cand.document,
            score=round(float(cand.similarity or 0.0), 4),
            context=self._context(cand.chunk),
        )

    def _context(self, chunk: Chunk) -> str:
        """The chunk's text, widened with same-section neighbours when it is short."""
        if len(chunk.text) >= self.config.short_chunk_chars:
            return chunk.text
        catalog = self._store.catalog
        ids = catalog.doc_chunks.get(chunk.doc_id, [])
        neighbours = [
            catalog.chunks[i]
            for i in ids
            if abs(catalog.chunks[i].ordinal - chunk.ordinal) == 1
            and catalog.chunks[i].section == chunk.section
        ]
        before = [n.text for n in neighbours if n.ordinal < chunk.ordinal]
        after = [n.text for n in neighbours if n.ordinal > chunk.ordinal]
        return "\n\n".join([*before, chunk.text, *after])


def _canonical_filter(value: str | None, resolve: object, kind: str) -> str | None:
    if value is None:
        return None
    assert callable(resolve)
    found = resolve(value)
    if found is None:
        raise InvalidFilterError(f"Unknown {kind} {value!r}: check the spelling or list facets.")
    return str(found)


def _matches(doc: DocumentMeta, filters: Filters, city: str | None, country: str | None) -> bool:
    checks = (
        city is None or doc.city == city,
        country is None or doc.country == country,
        filters.year_from is None or (doc.year is not None and doc.year >= filters.year_from),
        filters.year_to is None or (doc.year is not None and doc.year <= filters.year_to),
        filters.doc_type is None or doc.doc_type == filters.doc_type,
        filters.topic is None or filters.topic.casefold() in {t.casefold() for t in doc.topics},
        filters.language is None or doc.language == filters.language,
    )
    return all(checks)


def _in_named_chapter(chunk: Chunk, fields: tuple[str, ...]) -> bool:
    """The chunk comes from the chapter of an Index report that one of `fields` names."""
    return bool(set(fields) & index_fields.section_fields(chunk.section))


def _topic(query: _Query) -> str | None:
    """What a question naming cities asks about them: the question without their names.

    A city's name alone makes every passage about that city similar to the question ("the
    football results in Ansan"), so the evidence gate judges this text instead."""
    if not query.cities:
        return None
    topic = gazetteer.without_cities(query.text)
    return topic if any(ch.isalnum() for ch in topic) else None


def _neutral_tokens(question: str, language: str, cities: tuple[str, ...]) -> list[str]:
    """Tokens that mean the same in any language: numbers, acronyms, Latin names, cities."""
    neutral = [t for t in keyword_tokens(question) if t[0].isdigit()]
    neutral += [t for m in _ACRONYM.findall(question) for t in keyword_tokens(m)]
    if language in _NON_LATIN_LANGUAGES:
        # In a question written in another script, Latin words are names or borrowed terms.
        neutral += [t for m in _LATIN_WORD.findall(question) for t in keyword_tokens(m)]
    # Cities are left out: the city boost handles them, and the city a corpus is about is in
    # most of its passages, which would turn the keyword leg into noise.
    city_tokens = {t for city in cities for t in keyword_tokens(city)}
    return [t for t in neutral if t not in city_tokens]


def _doc_count(selected: list[_Candidate], cand: _Candidate) -> int:
    return sum(1 for s in selected if s.chunk.doc_id == cand.chunk.doc_id)
