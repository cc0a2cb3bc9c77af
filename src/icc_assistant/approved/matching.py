"""Which approved answer, if any, a user's question asks for, from the question's own vector.

A question is compared with every wording (question and variants) of the active approved
answers by the cosine of their query vectors; no embedding is made here, the question's vector
is the one retrieval computes. Multilingual embeddings put two questions in one language close
whatever they ask ("What are the benefits of joining?" is at 0.97 to "How does a city join?";
a Korean paraphrase of it at 0.83), so a wording in the question's own language counts
SAME_LANGUAGE_PENALTY less. The best answer must reach MATCH_THRESHOLD and lead every other
approved answer by MATCH_MARGIN ("how does a city leave" comes close to "how does a city join":
a question between two answers gets neither).

bench/approved_answers.py measures these on bench/approved_probes.json (paraphrases in 16
languages, near misses that ask something else about the same subjects) and prints how many
match; the figures are in the README and the CHANGELOG, not here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from icc_assistant.approved.model import ApprovedAnswer
from icc_assistant.approved.store import ApprovedStore, StoredVectors
from icc_assistant.embeddings import Embedder
from icc_assistant.language import detect_language

SAME_LANGUAGE_PENALTY = 0.10  # cosine a wording in the question's own language counts less
MATCH_THRESHOLD = 0.8775  # the best wording's cosine, after the penalty, to match
MATCH_MARGIN = 0.02  # how far the best answer must lead the next approved answer


@dataclass(frozen=True)
class Match:
    """An approved answer a question asks for, with the score that chose it."""

    answer: ApprovedAnswer
    score: float
    runner_up: float | None


def embed_wordings(embedder: Embedder, questions: tuple[str, ...]) -> StoredVectors:
    """The query vectors and languages of an answer's wordings (once, when it is written)."""
    return wordings(questions, embedder.embed_queries(list(questions)), embedder.name)


def wordings(questions: tuple[str, ...], vectors: np.ndarray, embedder: str) -> StoredVectors:
    """Vectors computed for `questions` by the embedder named `embedder`, with their languages."""
    languages = tuple(detect_language(text) for text in questions)
    return StoredVectors(np.asarray(vectors, dtype=np.float32), languages, embedder)


@dataclass(frozen=True)
class _Table:
    """The active answers' wordings as one matrix, rows grouped by answer."""

    answers: tuple[ApprovedAnswer, ...]
    vectors: np.ndarray  # (wordings, dimension)
    languages: np.ndarray  # (wordings,) language codes
    starts: np.ndarray  # index of each answer's first row

    @classmethod
    def build(cls, rows: list[tuple[ApprovedAnswer, StoredVectors]], dimension: int) -> _Table:
        active = [(a, v) for a, v in rows if a.active and len(v.languages)]
        if not active:
            empty = np.zeros((0, dimension), dtype=np.float32)
            return cls((), empty, np.asarray([], dtype=str), np.asarray([], dtype=np.int64))
        sizes = [len(v.languages) for _, v in active]
        return cls(
            tuple(a for a, _ in active),
            np.vstack([v.vectors for _, v in active]).astype(np.float32),
            np.asarray([code for _, v in active for code in v.languages]),
            np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        )

    def scores(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """Each answer's best wording score for the question's vectors (rows). einsum, not BLAS:
        a product this small is quick on one thread, while BLAS's threads, on cores busy with
        other requests, wait for each other for milliseconds."""
        rows = np.atleast_2d(vectors).astype(np.float32)
        cosines = np.einsum("wd,qd->qw", self.vectors, rows).max(axis=0)
        cosines = cosines - SAME_LANGUAGE_PENALTY * (self.languages == language)
        return np.maximum.reduceat(cosines, self.starts)


class ApprovedIndex:
    """The active approved answers in memory, read again whenever the store's file changes
    (another worker or the command line wrote it)."""

    def __init__(self, store: ApprovedStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder
        self._lock = threading.Lock()
        self._stamp: tuple[object, ...] | None = None
        self._table = _Table.build([], embedder.dimension)

    def match(
        self,
        vectors: np.ndarray,
        language: str,
        fits: Callable[[ApprovedAnswer], bool] = lambda _: True,
    ) -> Match | None:
        """The approved answer the question (its query vectors, its language) asks for, among
        those `fits` accepts (the caller's filters), or None."""
        table = self.table()
        if not table.answers:
            return None
        scores = table.scores(vectors, language)
        ranked = np.argsort(-scores)
        if scores[ranked[0]] < MATCH_THRESHOLD:  # nothing is near: no filter to check
            return None
        order = [int(i) for i in ranked if fits(table.answers[int(i)])]
        if not order or scores[order[0]] < MATCH_THRESHOLD:
            return None
        best = float(scores[order[0]])
        runner_up = float(scores[order[1]]) if len(order) > 1 else None
        if runner_up is not None and best - runner_up < MATCH_MARGIN:
            return None
        return Match(table.answers[order[0]], round(best, 4), runner_up)

    def table(self) -> _Table:
        """The current table, read again if the store changed since it was built."""
        stamp = self._store.stamp()
        if stamp == self._stamp:
            return self._table
        with self._lock:
            if stamp != self._stamp:
                # The stamp taken before reading: a write meanwhile is read on the next call.
                self._table = _Table.build(self._current_rows(), self._embedder.dimension)
                self._stamp = stamp
        return self._table

    def _current_rows(self) -> list[tuple[ApprovedAnswer, StoredVectors]]:
        """The stored rows, their vectors made again where another embedder made them."""
        rows = []
        for answer, vectors in self._store.with_vectors():
            if vectors.embedder != self._embedder.name:
                vectors = embed_wordings(self._embedder, answer.questions)
                self._store.replace_vectors(answer.id, vectors)
            rows.append((answer, vectors))
        return rows
