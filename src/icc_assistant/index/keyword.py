"""The keyword index: bm25s over language-neutral keyword tokens."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np


class KeywordScores:
    """BM25 scores of every chunk of an index for one query."""

    def __init__(self, index: KeywordIndex, scores: np.ndarray) -> None:
        self._index = index
        self._scores = scores

    def best(self, k: int) -> list[tuple[str, float]]:
        """The k best (chunk_id, score) pairs with a positive score."""
        scores = self._scores
        k = min(k, len(scores))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = top[np.argsort(-scores[top])]
        return [(self._index.chunk_ids[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def of(self, chunk_ids: list[str]) -> list[float]:
        """The scores of these chunks (0 for chunks the index does not hold)."""
        rows = self._index.rows
        return [float(self._scores[rows[i]]) if i in rows else 0.0 for i in chunk_ids]


class KeywordIndex:
    """BM25 over a fixed, ordered list of chunk ids."""

    def __init__(
        self,
        chunk_ids: Sequence[str],
        model: bm25s.BM25 | None,
        document_frequency: dict[str, int] | None = None,
    ) -> None:
        self.chunk_ids = list(chunk_ids)
        self._model = model
        self.document_frequency = document_frequency or {}
        self.rows = {chunk_id: row for row, chunk_id in enumerate(self.chunk_ids)}

    def is_rare(self, token: str, share: float = 0.01, floor: int = 2) -> bool:
        """True for a token in at most `floor` chunks or `share` of them (an identifier)."""
        df = self.document_frequency.get(token, 0)
        return 0 < df <= max(floor, share * len(self.chunk_ids))

    @classmethod
    def build(cls, chunk_ids: Sequence[str], tokens: Sequence[list[str]]) -> KeywordIndex:
        """Index the token lists of the chunks, in order."""
        if not chunk_ids:
            return cls([], None)
        model = bm25s.BM25()
        model.index([t or [""] for t in tokens], show_progress=False)
        return cls(chunk_ids, model, dict(Counter(t for ts in tokens for t in set(ts))))

    def search(self, tokens: list[str], k: int) -> list[tuple[str, float]]:
        """The k best (chunk_id, score) pairs with a positive score."""
        return self.scores(tokens).best(k)

    def scores(self, tokens: list[str]) -> KeywordScores:
        """The BM25 score of every chunk for these tokens."""
        if self._model is None or not tokens:
            return KeywordScores(self, np.zeros(len(self.chunk_ids)))
        return KeywordScores(self, np.asarray(self._model.get_scores(tokens), dtype=np.float64))

    def save(self, directory: Path) -> None:
        """Write the BM25 matrices and document frequencies under `directory`."""
        if self._model is not None:
            self._model.save(str(directory / "bm25"))
        (directory / "df.json").write_text(json.dumps(self.document_frequency), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, chunk_ids: Sequence[str]) -> KeywordIndex:
        """Read what `save` wrote."""
        if not chunk_ids:
            return cls([], None)
        df = json.loads((directory / "df.json").read_text(encoding="utf-8"))
        return cls(chunk_ids, bm25s.BM25.load(str(directory / "bm25")), df)
