"""What the corpus itself says about its scores, measured whenever a catalog is built.

Two figures adapt retrieval to the material indexed rather than to constants fitted once:

- The language bias: multilingual embeddings place texts in one language closer together than
  texts in two, whatever they say. Measured as the mean cosine between passages of different
  documents in the same language, minus that between passages in different languages, it is
  the head start a passage in the question's language gets, which retrieval takes off again.
- The evidence threshold: questions about nothing the corpus covers (data/gate_probes.json,
  cooking, astronomy, car repairs in many languages) still find a nearest passage. The typical
  score of that nearest passage is the background; the gate asks a question's best passage to
  rise GATE_SPREADS robust standard deviations (1.4826 times the median absolute deviation)
  above its median. bench/calibrate_gate.py shows where this falls between answerable and
  off-topic questions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from icc_assistant.embeddings import Embedder
from icc_assistant.index.vectors import VectorTable
from icc_assistant.language import detect_language

GATE_SPREADS = 1.5
BIAS_SAMPLE = 2000  # passages whose pairwise cosines estimate the language bias
VIEW_WEIGHT = 0.5  # a passage's dense score: its whole vector's cosine and its best view's


@dataclass(frozen=True)
class Calibration:
    """The corpus' language bias and the evidence threshold, with how they were found."""

    language_bias: float = 0.0
    gate_threshold: float = 0.0
    probe_median: float = 0.0
    probe_spread: float = 0.0
    probes: int = 0

    def to_json(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict[str, float]) -> Calibration:
        return cls(
            language_bias=float(raw["language_bias"]),
            gate_threshold=float(raw["gate_threshold"]),
            probe_median=float(raw["probe_median"]),
            probe_spread=float(raw["probe_spread"]),
            probes=int(raw["probes"]),
        )


@lru_cache(maxsize=1)
def gate_probes() -> tuple[str, ...]:
    """The off-topic questions of data/gate_probes.json."""
    raw = resources.files("icc_assistant").joinpath("data/gate_probes.json").read_text("utf-8")
    return tuple(json.loads(raw)["probes"])


def language_bias(
    vectors: VectorTable, languages: Sequence[str], documents: Sequence[str]
) -> float:
    """Mean cosine of same-language passage pairs from different documents, minus that of
    pairs in different languages (0 when the corpus has one language)."""
    rows = np.arange(len(languages))
    if len(rows) > BIAS_SAMPLE:
        rows = np.sort(np.random.default_rng(0).choice(rows, BIAS_SAMPLE, replace=False))
    matrix = vectors.whole_rows(rows)
    cosines = matrix @ matrix.T
    lang = np.asarray(languages)[rows]
    doc = np.asarray(documents)[rows]
    same_language = (lang[:, None] == lang[None, :]) & (doc[:, None] != doc[None, :])
    other_language = lang[:, None] != lang[None, :]
    if not same_language.any() or not other_language.any():
        return 0.0
    return float(cosines[same_language].mean() - cosines[other_language].mean())


def calibrate(
    vectors: VectorTable,
    languages: Sequence[str],
    documents: Sequence[str],
    embedder: Embedder,
) -> Calibration:
    """The calibration of a catalog's passages (`languages` and `documents` by row)."""
    if len(languages) == 0:
        return Calibration()
    bias = language_bias(vectors, languages, documents)
    probes = gate_probes()
    queries = np.vstack([embedder.embed_query(p) for p in probes])
    scores = vectors.mixed_scores(queries, VIEW_WEIGHT, sentences=True)
    lang = np.asarray(languages)
    probe_languages = [detect_language(p) for p in probes]
    best = np.array(
        [
            float(np.max(row - bias * (lang == language)))
            for row, language in zip(scores, probe_languages, strict=True)
        ]
    )
    median = float(np.median(best))
    spread = float(1.4826 * np.median(np.abs(best - median)))
    return Calibration(
        language_bias=round(bias, 5),
        gate_threshold=round(median + GATE_SPREADS * spread, 5),
        probe_median=round(median, 5),
        probe_spread=round(spread, 5),
        probes=len(probes),
    )
