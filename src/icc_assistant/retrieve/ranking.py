"""Candidates -> one score each, on the dense leg's cosine scale."""

from __future__ import annotations

from collections.abc import Sequence

from icc_assistant.index import ChunkCatalog
from icc_assistant.index.keyword import KeywordScores
from icc_assistant.retrieve.candidates import Candidate, about_cities
from icc_assistant.retrieve.config import RetrievalConfig
from icc_assistant.retrieve.keyword import keyword_shares
from icc_assistant.retrieve.query import Query


def language_penalty(catalog: ChunkCatalog, config: RetrievalConfig) -> float:
    """What a passage in the question's own language loses: the head start the corpus'
    calibration measured, scaled by the configuration."""
    return config.language_correction * catalog.calibration.language_bias


def rank(
    candidates: Sequence[Candidate],
    query: Query,
    keyword: KeywordScores,
    catalog: ChunkCatalog,
    config: RetrievalConfig,
) -> list[Candidate]:
    """The candidates best first: dense similarity, less the language bias for passages in the
    question's language, plus the city boost and the keyword bonus."""
    penalty = language_penalty(catalog, config)
    shares = keyword_shares(keyword, [c.chunk.chunk_id for c in candidates])
    for candidate, share in zip(candidates, shares, strict=True):
        candidate.score = candidate.dense + config.keyword_weight * share
        if candidate.document.language == query.language:
            candidate.score -= penalty
        if query.cities and about_cities(candidate.document, candidate.chunk, query.cities):
            candidate.score += config.city_boost
    return sorted(candidates, key=lambda c: c.score, reverse=True)
