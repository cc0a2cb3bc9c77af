"""The evidence gate: does the material answer the question at all?

Two tests. A question naming a city that no document is about is not answered from other
cities' pages, even when the city appears in passing in a list. Otherwise the best passage must
be relevant enough: its dense similarity to the question, without the city names in it (a city's
name alone makes every passage about that city look close), must reach the threshold the
corpus' calibration set (index/calibration.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from icc_assistant.documents import Gate
from icc_assistant.embeddings import Embedder
from icc_assistant.index import ChunkCatalog
from icc_assistant.retrieve.candidates import Candidate, dense_similarities
from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.query import Query
from icc_assistant.retrieve.ranking import language_penalty


def judge(
    query: Query,
    ranked: Sequence[Candidate],
    catalog: ChunkCatalog,
    embedder: Embedder,
    config: RetrievalConfig,
) -> Gate:
    """The gate's decision on the candidates ranked for the query (all of them, not only
    those selected: a city's boost may have put others first)."""
    threshold = catalog.calibration.gate_threshold if config.use_gate else -1.0
    if not ranked:
        return Gate(threshold=threshold, reason="nothing_found", message="No passage matched.")
    if query.uncovered and config.use_gate:
        # Decided by the city alone: the plain dense score says how near the passages came,
        # without embedding the question a second time.
        score = round(relevance(query, ranked, catalog, embedder, config, by_topic=False), 4)
        names = ", ".join(query.uncovered)
        return Gate(
            score=score,
            threshold=threshold,
            reason="uncovered_city",
            message=f"No document is about {names}.",
        )
    score = round(relevance(query, ranked, catalog, embedder, config), 4)
    if score < threshold:
        return Gate(
            score=score,
            threshold=threshold,
            reason="below_threshold",
            message="The nearest passages are not close enough to the question.",
        )
    return Gate(
        score=score, threshold=threshold, reason="relevant", message="Relevant passages found."
    )


def relevance(
    query: Query,
    ranked: Sequence[Candidate],
    catalog: ChunkCatalog,
    embedder: Embedder,
    config: RetrievalConfig,
    *,
    by_topic: bool = True,
) -> float:
    """The best passage's dense similarity to what the question asks about (for a question
    naming cities, the question without them, unless not `by_topic`), through its whole
    vector, its views and its sentences (a fact in one sentence of a long chunk is relevant
    evidence), less the language bias for passages in the question's language. The corpus'
    calibration measures its off-topic probes the same way."""
    topic = query.topic if by_topic else None
    vectors = query.vectors if topic is None else embedder.embed_query(topic)[np.newaxis, :]
    ids = [c.chunk.chunk_id for c in ranked]
    dense, _ = dense_similarities(catalog, vectors, ids, config.view_weight, sentences=True)
    same = np.asarray([c.document.language == query.language for c in ranked])
    return float(np.max(dense - language_penalty(catalog, config) * same))
