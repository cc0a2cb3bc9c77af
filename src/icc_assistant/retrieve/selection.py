"""Ranked candidates -> the k passages returned: no near-duplicates, no document taking all."""

from __future__ import annotations

import math
from collections.abc import Sequence

from icc_assistant.index import ChunkCatalog
from icc_assistant.retrieve.candidates import Candidate
from icc_assistant.retrieve.config import RetrievalConfig


def select(
    ranked: Sequence[Candidate], k: int, catalog: ChunkCatalog, config: RetrievalConfig
) -> list[Candidate]:
    """The best candidates, skipping near-duplicates of one already taken (keyword-token
    overlap) and any document already holding `document_share` of k. Candidates held back by
    that share fill the list if too few others remain; near-duplicates never do."""
    quota = math.ceil(config.document_share * k)
    selected: list[Candidate] = []
    held_back: list[Candidate] = []
    for candidate in ranked:
        if len(selected) == k:
            break
        chunk_id = candidate.chunk.chunk_id
        overlaps = (catalog.overlap(chunk_id, s.chunk.chunk_id) for s in selected)
        if any(overlap >= config.duplicate_overlap for overlap in overlaps):
            continue
        same_document = sum(1 for s in selected if s.chunk.doc_id == candidate.chunk.doc_id)
        if same_document >= quota:
            held_back.append(candidate)
            continue
        selected.append(candidate)
    return selected + held_back[: k - len(selected)]
