"""The keyword index: bm25s over language-neutral keyword tokens."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np

from icc_assistant.index.chunk_table import ChunkIds


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
        rows = self._index.chunk_ids.rows(chunk_ids)
        return [float(self._scores[row]) if row >= 0 else 0.0 for row in rows]


class KeywordIndex:
    """BM25 over the chunks of a catalog, in the order of their ids (ChunkIds)."""

    def __init__(
        self,
        chunk_ids: ChunkIds,
        model: bm25s.BM25 | None,
        document_frequency: dict[str, int] | None = None,
    ) -> None:
        self.chunk_ids = chunk_ids
        self._model = model
        self.document_frequency = document_frequency or {}

    def is_rare(self, token: str, share: float = 0.01, floor: int = 2) -> bool:
        """True for a token in at most `floor` chunks or `share` of them (an identifier)."""
        df = self.document_frequency.get(token, 0)
        return 0 < df <= max(floor, share * len(self.chunk_ids))

    @classmethod
    def build(cls, chunk_ids: ChunkIds, tokens: list[list[str]]) -> KeywordIndex:
        """Index the token lists of the chunks, in order."""
        if not len(chunk_ids):
            return cls(chunk_ids, None)
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
    def load(cls, directory: Path, chunk_ids: ChunkIds) -> KeywordIndex:
        """Read what `save` wrote, its score matrix memory-mapped (shared by the processes
        serving one data directory); ValueError if it does not index `chunk_ids`."""
        if not len(chunk_ids):
            return cls(chunk_ids, None)
        df = json.loads((directory / "df.json").read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(directory / "bm25"), mmap=True)
        if model.scores.get("num_docs") != len(chunk_ids):
            raise ValueError("stored keyword index does not match the chunks")
        return cls(chunk_ids, model, df)
