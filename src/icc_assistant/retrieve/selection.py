"""Ranked candidates -> the k passages returned: no near-duplicates, no document taking all,
one language version of a page."""

from __future__ import annotations

import math
from collections.abc import Sequence

from icc_assistant.index import ChunkCatalog
from icc_assistant.retrieve.candidates import Candidate
from icc_assistant.retrieve.config import RetrievalConfig


def page_of(candidate: Candidate) -> str:
    """The page a candidate's document is a language version of (its own id if none)."""
    return candidate.document.variant_key or candidate.document.doc_id


def select(
    ranked: Sequence[Candidate],
    k: int,
    catalog: ChunkCatalog,
    config: RetrievalConfig,
    language: str,
) -> list[Candidate]:
    """The best candidates, skipping near-duplicates of one already taken (keyword-token
    overlap), passages of another language version of a page already drawn on, and any
    document already holding `document_share` of k. Candidates held back by that share fill
    the list if too few others remain; near-duplicates never do. A passage then gives way to
    the same page's version in the question's `language`, when retrieval found one."""
    quota = math.ceil(config.document_share * k)
    selected: list[Candidate] = []
    held_back: list[Candidate] = []
    for candidate in ranked:
        if len(selected) == k:
            break
        if _duplicates(candidate, selected, catalog, config) or _other_version(candidate, selected):
            continue
        same_document = sum(1 for s in selected if s.chunk.doc_id == candidate.chunk.doc_id)
        if same_document >= quota:
            held_back.append(candidate)
            continue
        selected.append(candidate)
    chosen = selected + held_back[: k - len(selected)]
    return _in_language(chosen, ranked, language)


def _duplicates(
    candidate: Candidate, selected: list[Candidate], catalog: ChunkCatalog, config: RetrievalConfig
) -> bool:
    chunk_id = candidate.chunk.chunk_id
    overlaps = (catalog.overlap(chunk_id, s.chunk.chunk_id) for s in selected)
    return any(overlap >= config.duplicate_overlap for overlap in overlaps)


def _other_version(candidate: Candidate, selected: list[Candidate]) -> bool:
    """Another document of the same page (another language version) is already selected."""
    page = page_of(candidate)
    return any(page_of(s) == page and s.chunk.doc_id != candidate.chunk.doc_id for s in selected)


def _in_language(
    chosen: list[Candidate], ranked: Sequence[Candidate], language: str
) -> list[Candidate]:
    """Each passage swapped for the best-ranked passage of its page's version in `language`,
    when that version was among the candidates and is not already chosen."""
    taken = {c.chunk.chunk_id for c in chosen}
    swapped = []
    for candidate in chosen:
        if candidate.document.language != language and candidate.document.variant_key:
            version = next(
                (
                    r
                    for r in ranked
                    if page_of(r) == page_of(candidate)
                    and r.document.language == language
                    and r.chunk.chunk_id not in taken
                ),
                None,
            )
            if version is not None:
                taken.add(version.chunk.chunk_id)
                candidate = version
        swapped.append(candidate)
    return swapped
