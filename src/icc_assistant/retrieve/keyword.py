"""The keyword leg: BM25 over the question's keyword tokens, in every language.

Keyword tokens match across languages where words do (names, numbers, acronyms, shared
stems), so the leg is not restricted to the question's language: restricted, it ranked pages in
the question's language first whatever they were about. It adds candidates and a small bonus;
the dense leg decides.
"""

from __future__ import annotations

from icc_assistant.index import ChunkCatalog
from icc_assistant.index.keyword import KeywordScores
from icc_assistant.retrieve.query import Query
from icc_assistant.tokens import keyword_tokens


def keyword_scores(catalog: ChunkCatalog, query: Query) -> KeywordScores:
    """BM25 scores of every chunk for the question's tokens and its English version's."""
    tokens = keyword_tokens(query.text)
    if query.english:
        tokens += keyword_tokens(query.english)
    return catalog.keyword.scores(tokens)


def keyword_candidates(
    catalog: ChunkCatalog, query: Query, scores: KeywordScores, n: int
) -> list[str]:
    """The chunk ids of the n best keyword matches among the allowed documents."""
    found = []
    for chunk_id, _ in scores.best(4 * n):
        chunk = catalog.chunks.get(chunk_id)
        if chunk is not None and (query.allowed is None or chunk.doc_id in query.allowed):
            found.append(chunk_id)
    return found[:n]


def keyword_shares(scores: KeywordScores, chunk_ids: list[str]) -> list[float]:
    """Each chunk's BM25 score as a share of the best among them (0 to 1)."""
    values = scores.of(chunk_ids)
    best = max(values, default=0.0)
    return [v / best if best > 0 else 0.0 for v in values]
