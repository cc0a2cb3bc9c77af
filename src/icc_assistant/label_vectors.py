"""Vectors of fixed texts (labels, descriptions, probe questions), computed once per machine.

What the project compares documents and questions with by meaning (ICC topics and document
types described in words, the Index's indicators, the gate's off-topic probes, questions that
ask for Index results) depends only on the embedder and on those texts. Their vectors are
kept in memory and in the user's cache (`~/.cache/icc-assistant`), named by a hash of the
embedder and the texts, so a process embeds them once on a machine and never again after a
change to neither.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from icc_assistant.embeddings import Embedder

_MEMORY: dict[str, np.ndarray] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    return Path.home() / ".cache" / "icc-assistant"


def fixed_vectors(
    embedder: Embedder, texts: Sequence[str], *, queries: bool, name: str
) -> np.ndarray:
    """(len(texts), dimension) vectors of `texts`, as queries or as passages: from memory,
    else from the user's cache, else embedded now and cached. `name` starts the file's name."""
    stamp = hashlib.sha256(
        f"{embedder.name}:{embedder.dimension}:{'query' if queries else 'passage'}".encode()
    )
    stamp.update("\0".join(texts).encode())
    key = f"{name}-{stamp.hexdigest()[:16]}"
    with _LOCK:
        found = _MEMORY.get(key)
        if found is None:
            found = _load(key, (len(texts), embedder.dimension))
            if found is None:
                embed = embedder.embed_queries if queries else embedder.embed_passages
                found = np.asarray(embed(list(texts)), dtype=np.float32)
                _save(key, found)
            _MEMORY[key] = found
        return found


def _load(key: str, shape: tuple[int, int]) -> np.ndarray | None:
    try:
        vectors = np.load(cache_dir() / f"{key}.npy")
    except (OSError, ValueError):
        return None
    return vectors.astype(np.float32) if vectors.shape == shape else None


def _save(key: str, vectors: np.ndarray) -> None:
    path = cache_dir() / f"{key}.npy"
    try:  # a cache that cannot be written is no error
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as handle:
            np.save(handle, vectors)
        os.replace(handle.name, path)
    except OSError:
        pass


@lru_cache(maxsize=1)
def gate_probes() -> tuple[str, ...]:
    """The off-topic questions of data/gate_probes.json: the evidence gate's reference, and
    the baseline of what any text is near (ingest/describe.py)."""
    raw = resources.files("icc_assistant").joinpath("data/gate_probes.json").read_text("utf-8")
    return tuple(json.loads(raw)["probes"])
