"""The retriever's knobs; bench/eval_retrieval.py measures them on both development sets."""

from __future__ import annotations

from dataclasses import dataclass

from icc_assistant.index.calibration import VIEW_WEIGHT


@dataclass(frozen=True)
class RetrievalConfig:
    """How candidates are gathered, scored and selected.

    Scores are on the cosine scale of the dense leg: a passage of a document about a city the
    question names gains `city_boost`, the best keyword match gains `keyword_weight` (others in
    proportion), and a passage in the question's language loses the corpus' measured language
    bias times `language_correction`."""

    candidates: int = 48  # nearest chunks (and views) asked of Chroma per query vector
    keyword_candidates: int = 10  # best keyword matches added to the candidates
    view_weight: float = VIEW_WEIGHT
    city_boost: float = 0.04
    keyword_weight: float = 0.02
    language_correction: float = 1.0
    duplicate_overlap: float = 0.7
    document_share: float = 0.75  # of k, the most one document may take
    short_chunk_chars: int = 350
    use_gate: bool = True
