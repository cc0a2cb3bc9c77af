"""Selected candidates -> Passages, short ones widened with their neighbours, each sentence
scored against the question."""

from __future__ import annotations

import numpy as np

from icc_assistant.documents import Chunk, Passage
from icc_assistant.index import ChunkCatalog
from icc_assistant.retrieve.candidates import Candidate


def to_passage(
    candidate: Candidate, catalog: ChunkCatalog, short_chars: int, vectors: np.ndarray
) -> Passage:
    """The passage of a candidate; its score is its dense similarity, its sentences' the
    cosines of their stored vectors to the query's `vectors`."""
    chunk = candidate.chunk
    return Passage(
        chunk=chunk,
        document=candidate.document,
        score=round(min(1.0, max(0.0, candidate.dense)), 4),
        context=_context(chunk, catalog, short_chars),
        focus=candidate.view if candidate.view >= 0 else None,
        sentence_scores=catalog.sentence_cosines(vectors, chunk.chunk_id),
    )


def _context(chunk: Chunk, catalog: ChunkCatalog, short_chars: int) -> str:
    """The chunk's text, widened with same-section neighbours when it is short."""
    if len(chunk.text) >= short_chars:
        return chunk.text
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
