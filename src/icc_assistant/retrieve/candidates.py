"""The passages worth ranking for a query, each with its dense similarity.

Candidates come from three places: the chunks (and views) nearest to the query vectors in
Chroma, every chunk of the documents about a city the question names (a question in German about
a Polish page may find German pages nearer than the one about the city it names), and the best
keyword matches. All are then scored alike from the vectors the catalog holds: a chunk's dense
similarity mixes its whole vector's cosine with its best view's (index/views.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icc_assistant import gazetteer
from icc_assistant.documents import Chunk, DocumentMeta
from icc_assistant.index import ChunkCatalog, IndexStore
from icc_assistant.index.keyword import KeywordScores
from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.keyword import keyword_candidates
from icc_assistant.retrieve.query import Query


@dataclass
class Candidate:
    """A chunk under consideration: its document, dense similarity and final score."""

    chunk: Chunk
    document: DocumentMeta
    dense: float
    view: int = -1  # the chunk's view closest to the question (-1: the chunk has none)
    score: float = 0.0


def gather(
    store: IndexStore,
    catalog: ChunkCatalog,
    query: Query,
    keyword: KeywordScores,
    config: RetrievalConfig,
) -> list[Candidate]:
    """Candidates for the query, scored by dense similarity (the best over its vectors)."""
    ids: dict[str, None] = {}
    for hits in store.query_dense_many(query.vectors, config.candidates, doc_ids=query.allowed):
        ids.update((hit.chunk_id, None) for hit in hits)
    ids.update((i, None) for i in _city_chunks(catalog, query, config))
    ids.update(
        (i, None) for i in keyword_candidates(catalog, query, keyword, config.keyword_candidates)
    )
    known = catalog.known(list(ids))
    dense, views = dense_similarities(catalog, query.vectors, known, config.view_weight)
    chunks = [catalog.chunks[i] for i in known]
    return [
        Candidate(chunk, catalog.documents[chunk.doc_id], float(s), int(v))
        for chunk, s, v in zip(chunks, dense, views, strict=True)
    ]


def dense_similarities(
    catalog: ChunkCatalog,
    vectors: np.ndarray,
    chunk_ids: list[str],
    view_weight: float,
    *,
    sentences: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Each chunk's dense similarity, for the best of the vectors: (1 - view_weight) times the
    whole chunk's cosine plus view_weight times its best view's (with `sentences`, its best
    view's or sentence's); and which view that was."""
    if not chunk_ids:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    whole, view, which = catalog.cosines(vectors, chunk_ids, sentences=sentences)
    mixed = (1 - view_weight) * whole + view_weight * view
    best = mixed.argmax(axis=0)  # the first vector on ties
    columns = np.arange(len(chunk_ids))
    return mixed[best, columns].astype(np.float64), which[best, columns]


def about_cities(document: DocumentMeta, chunk: Chunk, cities: Sequence[str]) -> bool:
    """Whether the document is about one of the cities, or the chunk discusses it."""
    places = [p for p in (document.city, *chunk.mentioned_cities) if p]
    return any(gazetteer.same_city(city, place) for city in cities for place in places)


def _city_chunks(catalog: ChunkCatalog, query: Query, config: RetrievalConfig) -> list[str]:
    """The chunks of the allowed documents about the cities the question names: all of them,
    or the `config.candidates` nearest to the question when there are more."""
    if not query.cities:
        return []
    # Names are compared once per city the index holds, not once per document.
    named = {
        held
        for held in catalog.cities
        if any(gazetteer.same_city(city, held) for city in query.cities)
    }
    found = [
        chunk_id
        for doc in catalog.documents.values()
        if doc.city in named and (query.allowed is None or doc.doc_id in query.allowed)
        for chunk_id in catalog.doc_chunks.get(doc.doc_id, [])
    ]
    if len(found) <= config.candidates:
        return found
    dense, _ = dense_similarities(catalog, query.vectors, found, config.view_weight)
    nearest = np.argsort(-dense, kind="stable")[: config.candidates]
    return [found[i] for i in sorted(nearest)]
