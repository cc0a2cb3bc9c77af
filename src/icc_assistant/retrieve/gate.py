"""The evidence gate: does the material answer the question at all?

A question naming only cities that no document is about is not answered from other cities'
pages, even when they appear in passing in a list (one naming a covered city too is answered
for that one). Otherwise relevance is judged on what the question asks, without the city names
in it (a city's name alone makes every passage about that city look close: "the weather in
Ansan"), by two tests:

- the best passage's dense similarity must reach the floor the corpus' calibration set (the
  typical best score of an off-topic probe question: index/calibration.py);
- it must not trail the nearest off-topic probe question by more than CONTRAST_SLACK: a
  question nearer to "will it rain tomorrow?" than to any passage asks about something else,
  however close some passage comes. Multilingual embeddings place any two questions in one
  language close together, so only probes in other languages count, each less its hubness
  (index/calibration.py: OffTopicReference).

Measured on both development sets and bench/trust_probes.jsonl (bench/calibrate_gate.py): the
answerable questions (and the questions of the probe conversations) trail the nearest probe by
at most 0.014, all but one of 63 off-topic ones by 0.02 or more.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from icc_assistant.documents import Gate
from icc_assistant.embeddings import Embedder
from icc_assistant.index import ChunkCatalog
from icc_assistant.index.calibration import off_topic_reference
from icc_assistant.retrieve.candidates import Candidate, dense_similarities
from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.query import Query
from icc_assistant.retrieve.ranking import language_penalty

CONTRAST_SLACK = 0.02


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
    if query.uncovered and len(query.uncovered) == len(query.cities) and config.use_gate:
        # Decided by the cities alone: the plain dense score says how near the passages came,
        # without embedding the question a second time.
        score = round(relevance(query, ranked, catalog, query.vectors, config), 4)
        names = ", ".join(query.uncovered)
        return Gate(
            score=score,
            threshold=threshold,
            reason="uncovered_city",
            message=f"No document is about {names}.",
        )
    vectors = asked_vectors(query)
    score = round(relevance(query, ranked, catalog, vectors, config), 4)
    if score < threshold:
        return Gate(
            score=score,
            threshold=threshold,
            reason="below_threshold",
            message="The nearest passages are not close enough to the question.",
        )
    off_topic = round(off_topic_reference(embedder).nearest(vectors, query.language), 4)
    if config.use_gate and score < off_topic - CONTRAST_SLACK:
        return Gate(
            score=score,
            threshold=threshold,
            off_topic=off_topic,
            reason="off_topic",
            message="The question is nearer to subjects the material does not cover than to"
            " any passage.",
        )
    return Gate(
        score=score,
        threshold=threshold,
        off_topic=off_topic,
        reason="relevant",
        message="Relevant passages found.",
    )


def asked_vectors(query: Query) -> np.ndarray:
    """The vectors of what the question asks: the question's own (and its English version's),
    or for a question naming cities, the question without their names (embedded with it)."""
    return query.vectors if query.topic_vector is None else query.topic_vector[np.newaxis, :]


def relevance(
    query: Query,
    ranked: Sequence[Candidate],
    catalog: ChunkCatalog,
    vectors: np.ndarray,
    config: RetrievalConfig,
) -> float:
    """The best passage's dense similarity to `vectors` (what the question asks about),
    through its whole vector, its views and its sentences (a fact in one sentence of a long
    chunk is relevant evidence), less the language bias for passages in the question's
    language. The corpus' calibration measures its off-topic probes the same way."""
    ids = [c.chunk.chunk_id for c in ranked]
    dense, _ = dense_similarities(catalog, vectors, ids, config.view_weight, sentences=True)
    same = np.asarray([c.document.language == query.language for c in ranked])
    return float(np.max(dense - language_penalty(catalog, config) * same))
