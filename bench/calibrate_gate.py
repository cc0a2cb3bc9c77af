"""Calibrate the evidence gate: relevance of answerable vs off-topic questions.

The gate (RetrievalConfig.min_similarity) judges a result's relevance: the best passage's dense
similarity, measured on the question without the city names in it. It must sit between the
answerable questions and the off-topic ones, with and without a member city named in them ("the
weather in Ansan"). This prints the three distributions, the overlap, the midpoint between the
lowest answerable and the highest off-topic question (how the shipped default was chosen), and
how many questions of each kind the shipped gate lets through, its chapter rule included.

    python bench/calibrate_gate.py [--questions FILE] [--offtopic FILE] [--offtopic-cities FILE]
                                   [--corpus DIR] [--data-dir DIR]
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


def relevance(retriever: Retriever, question: Question) -> float:
    """The relevance the gate judges for the question."""
    return retriever.search(question.text, k=5).relevance or 0.0


def passed(retriever: Retriever, questions: list[Question]) -> int:
    """How many of the questions the retriever finds evidence for."""
    return sum(retriever.search(q.text, k=5).status == "found" for q in questions)


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
    parser.add_argument(
        "--offtopic-cities", type=Path, default=ROOT / "bench/offtopic_city_questions.jsonl"
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings, embedder, store = open_index(args.corpus, args.data_dir or Path(tmp) / "index")
        ungated = Retriever(store, embedder, settings, RetrievalConfig(min_similarity=0.0))
        shipped = Retriever(store, embedder, settings)
        groups = {
            "answerable": [q for q in load_questions(args.questions) if not q.unanswerable],
            "off-topic": load_questions(args.offtopic),
            "+city": load_questions(args.offtopic_cities),
        }
        values = {name: [relevance(ungated, q) for q in qs] for name, qs in groups.items()}
        let_through = {name: passed(shipped, qs) for name, qs in groups.items()}
    for name, population in values.items():
        describe(name, population)
    answerable = values["answerable"]
    highest_offtopic = max(values["off-topic"] + values["+city"])
    overlap = sum(a <= highest_offtopic for a in answerable)
    print(f"answerable at or below the highest off-topic: {overlap}")
    print(f"suggested min_similarity: {(min(answerable) + highest_offtopic) / 2:.3f}")
    print(f"shipped min_similarity:   {RetrievalConfig().min_similarity:.3f}")
    for name, count in let_through.items():
        print(f"found by the shipped gate: {name:12} {count}/{len(groups[name])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
