"""What the corpus itself says about its scores, measured whenever a catalog is built.

Two figures adapt retrieval to the material indexed rather than to constants fitted once:

- The language bias: multilingual embeddings place texts in one language closer together than
  texts in two, whatever they say. Measured as the mean cosine between passages of different
  documents in the same language, minus that between passages in different languages, it is
  the head start a passage in the question's language gets, which retrieval takes off again.
- The evidence floor: questions about nothing the corpus covers (data/gate_probes.json: the
  weather, cooking, sport, films, gadgets, health, money... in many languages) still find a
  nearest passage. The typical score of that nearest passage is the background; the gate asks
  a question's best passage to reach it (GATE_SPREADS robust standard deviations, 1.4826 times
  the median absolute deviation, above its median).

The same probes are the gate's off-topic reference (OffTopicReference): a question nearer to
one of them than its best passage is to it asks about something else. Their vectors depend on
the embedder only, so they are computed once per machine and kept in the user's cache.
bench/calibrate_gate.py shows where both fall between answerable and off-topic questions.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from icc_assistant.embeddings import Embedder
from icc_assistant.index.vectors import VectorTable
from icc_assistant.label_vectors import fixed_vectors, gate_probes
from icc_assistant.language import detect_language

GATE_SPREADS = 0.0
HUB_NEIGHBOURS = 10  # a probe's hubness: its mean cosine to this many nearest other probes
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


@dataclass(frozen=True)
class OffTopicReference:
    """The off-topic probes as the embedder sees them: one query vector each, its language, and
    its hubness: some probes ("what can I do about a headache?") sit close to almost any
    question, so each probe's similarity counts less by how much closer than usual it is to
    its HUB_NEIGHBOURS nearest other probes.

    A question is compared only with probes in other languages: two questions in one language
    are close whatever they ask, and the passages it is compared with are mostly in other
    languages too."""

    vectors: np.ndarray
    languages: tuple[str, ...]
    hubness: np.ndarray

    def nearest(self, vectors: np.ndarray, language: str) -> float:
        """The highest hubness-corrected cosine of any of `vectors` (rows) to a probe in
        another language than `language`."""
        other = np.asarray([code != language for code in self.languages])
        if not other.any():
            return -1.0
        scores = np.atleast_2d(vectors) @ self.vectors[other].T - self.hubness[other]
        return float(scores.max())


_REFERENCES: dict[str, OffTopicReference] = {}
_REFERENCE_LOCK = threading.Lock()


def off_topic_reference(embedder: Embedder) -> OffTopicReference:
    """The probes' reference for this embedder: from memory, else computed from the probes'
    vectors (label_vectors: embedded once per machine, 154 queries, a couple of seconds)."""
    with _REFERENCE_LOCK:
        found = _REFERENCES.get(embedder.name)
        if found is None:
            vectors = fixed_vectors(embedder, gate_probes(), queries=True, name="gate-probes")
            found = _reference(vectors)
            _REFERENCES[embedder.name] = found
        return found


def _reference(vectors: np.ndarray) -> OffTopicReference:
    languages = tuple(detect_language(probe) for probe in gate_probes())
    codes = np.asarray(languages)
    cosines = np.where(codes[:, None] != codes[None, :], vectors @ vectors.T, -1.0)
    neighbours = min(HUB_NEIGHBOURS, max(1, len(codes) - 1))
    closest = np.sort(cosines, axis=1)[:, -neighbours:].mean(axis=1)
    return OffTopicReference(vectors, languages, closest - np.median(closest))


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
    reference = off_topic_reference(embedder)
    scores = vectors.mixed_scores(reference.vectors, VIEW_WEIGHT, sentences=True)
    lang = np.asarray(languages)
    probe_languages = reference.languages
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
        probes=len(probe_languages),
    )
