"""Calibrate the evidence gate: top-1 dense similarity of answerable vs off-topic questions.

The gate (RetrievalConfig.min_similarity) must sit between the two populations. This prints both
distributions, the overlap, and the midpoint between the lowest answerable and the highest
off-topic question, which is how the shipped default was chosen.

    python bench/calibrate_gate.py [--questions FILE] [--offtopic FILE] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from eval_retrieval import ROOT, Question, load_questions, open_index

from icc_assistant.retrieve import RetrievalConfig, Retriever


def top_similarity(retriever: Retriever, question: Question) -> float:
    """Best dense similarity among the passages retrieved for the question (gate off)."""
    result = retriever.search(question.text, k=5)
    return max((p.score for p in result.passages + result.nearest), default=0.0)


def describe(label: str, values: list[float]) -> None:
    """min / median / max of one population."""
    print(
        f"{label:12} n={len(values):3} min={min(values):.3f} "
        f"median={statistics.median(values):.3f} max={max(values):.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/questions_dev.jsonl"
    )
    parser.add_argument("--offtopic", type=Path, default=ROOT / "bench/offtopic_questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings, embedder, store = open_index(args.corpus, args.data_dir or Path(tmp) / "index")
        retriever = Retriever(store, embedder, settings, RetrievalConfig(min_similarity=0.0))
        dev = load_questions(args.questions)
        answerable = [top_similarity(retriever, q) for q in dev if not q.unanswerable]
        offtopic = [top_similarity(retriever, q) for q in load_questions(args.offtopic)]
    describe("answerable", answerable)
    describe("off-topic", offtopic)
    overlap = sum(a <= max(offtopic) for a in answerable)
    print(f"answerable at or below the highest off-topic: {overlap}")
    print(f"suggested min_similarity: {(min(answerable) + max(offtopic)) / 2:.3f}")
    print(f"shipped min_similarity:   {RetrievalConfig().min_similarity:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
