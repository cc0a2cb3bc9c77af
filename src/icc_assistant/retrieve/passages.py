"""Selected candidates -> Passages, short ones widened with their neighbours, each sentence
scored against the question.

A passage's score is the one that ranked it (dense similarity, less the language bias for a
passage in the question's language, plus the boost for a document about a city the question
names and the keyword bonus: ranking.py), and each sentence's is its own cosine with the same
corrections, so that what the answer quotes first is what retrieval found first: a Ukrainian
question does not quote a Ukrainian page's sentences ahead of the Greek page it is about."""

from __future__ import annotations

import numpy as np

from icc_assistant.documents import Chunk, Passage
from icc_assistant.index import ChunkCatalog
from icc_assistant.retrieve.candidates import Candidate


def to_passage(
    candidate: Candidate, catalog: ChunkCatalog, short_chars: int, vectors: np.ndarray
) -> Passage:
    """The passage of a candidate; its score is its ranking score, its sentences' the cosines
    of their stored vectors to the query's `vectors` with the passage's ranking corrections."""
    chunk = candidate.chunk
    correction = candidate.score - candidate.dense
    cosines = catalog.sentence_cosines(vectors, chunk.chunk_id)
    return Passage(
        chunk=chunk,
        document=candidate.document,
        score=round(min(1.0, max(0.0, candidate.score)), 4),
        context=_context(chunk, catalog, short_chars),
        focus=candidate.view if candidate.view >= 0 else None,
        sentence_scores=tuple(round(value + correction, 4) for value in cosines),
    )


def _context(chunk: Chunk, catalog: ChunkCatalog, short_chars: int) -> str:
    """The chunk's text, widened with same-section neighbours when it is short."""
    if len(chunk.text) >= short_chars:
        return chunk.text
    ids = catalog.doc_chunks.get(chunk.doc_id, [])
    if chunk.chunk_id not in ids:
        return chunk.text
    at = ids.index(chunk.chunk_id)
    # The ids are in ordinal order: only those either side can be neighbours (the others are
    # not read, which a long document's hundreds of chunks would cost).
    near = [catalog.chunks[i] for i in [*ids[max(0, at - 1) : at], *ids[at + 1 : at + 2]]]
    neighbours = [
        n for n in near if abs(n.ordinal - chunk.ordinal) == 1 and n.section == chunk.section
    ]
    before = [n.text for n in neighbours if n.ordinal < chunk.ordinal]
    after = [n.text for n in neighbours if n.ordinal > chunk.ordinal]
    return "\n\n".join([*before, chunk.text, *after])
