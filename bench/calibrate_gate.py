"""Where the evidence gate falls: relevance of answerable, unanswerable and off-topic questions.

The gate has two tests (retrieve/gate.py). Its floor is not a constant: when a catalog is
built, off-topic probe questions (src/icc_assistant/data/gate_probes.json) are compared with
every passage, and the floor is the median of their best scores (index/calibration.py). Then
the best passage may not trail the nearest off-topic probe (in another language, less its
hubness) by more than CONTRAST_SLACK. This prints, for the chosen set's index, the
calibration, per population (answerable and unanswerable development questions, the off-topic
questions of bench/, with and without a city the material covers named, and the off-topic
probes of bench/trust_probes.jsonl) the relevance the gate judged and the contrast (relevance
less the nearest probe's similarity), what the gate lets through, and its reasons.

    python bench/calibrate_gate.py [--set seeds|multilingual|all] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from eval_retrieval import ROOT, SETS, Question, chosen_sets, load_questions, open_index
from eval_trust import load_probes

from icc_assistant.documents import RetrievalResult
from icc_assistant.retrieve import Retriever
from icc_assistant.retrieve.gate import CONTRAST_SLACK

OFFTOPIC = {
    "off-topic": ROOT / "bench/offtopic_questions.jsonl",
    "off-topic, city": ROOT / "bench/offtopic_city_questions.jsonl",
}


def describe(label: str, results: list[RetrievalResult]) -> None:
    """Relevance and contrast min / median / max of one population, how many the gate let
    through, why."""
    scores = [r.gate.score for r in results if r.gate and r.gate.score is not None]
    contrast = [
        r.gate.score - r.gate.off_topic
        for r in results
        if r.gate and r.gate.score is not None and r.gate.off_topic is not None
    ]
    found = sum(r.status == "found" for r in results)
    reasons = Counter(r.gate.reason for r in results if r.gate)
    print(
        f"{label:22} n={len(results):3} relevance {_spread(scores)}  contrast {_spread(contrast)}"
        f"  found {found}/{len(results)}  {dict(reasons)}"
    )


def _spread(values: list[float]) -> str:
    if not values:
        return "(none)"
    return f"{min(values):+.3f}/{statistics.median(values):+.3f}/{max(values):+.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["seeds", "multilingual", "all"], default="all")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    args = parser.parse_args(argv)
    names = chosen_sets(args.set)
    questions: list[Question] = [q for n in names for q in load_questions(SETS[n][1], n)]
    groups = {
        "answerable": [q for q in questions if not q.unanswerable],
        "unanswerable": [q for q in questions if q.unanswerable],
        **{name: load_questions(path) for name, path in OFFTOPIC.items()},
        **{
            f"probes: {kind}": [
                Question(p.id, p.lang, p.question, (), frozenset(), (), (), "unanswerable")
                for p in load_probes()
                if p.kind == kind
            ]
            for kind in ("offtopic", "offtopic_city")
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        corpora = [SETS[n][0] for n in names]
        settings, embedder, store = open_index(corpora, args.data_dir or Path(tmp) / "index")
        retriever = Retriever(store, embedder, settings)
        calibration = store.stats().calibration
        results = {
            name: [retriever.search(q.search_text, k=5) for q in qs] for name, qs in groups.items()
        }
    print(
        f"calibration: floor {calibration['gate_threshold']:.4f} = probe median "
        f"{calibration['probe_median']:.4f} + spreads x {calibration['probe_spread']:.4f} "
        f"({int(calibration['probes'])} probes); language bias {calibration['language_bias']:.4f}"
        f"; contrast slack {CONTRAST_SLACK}\n(relevance and contrast: min/median/max)"
    )
    for name, found in results.items():
        describe(name, found)
    for q, r in zip(groups["answerable"], results["answerable"], strict=True):
        if r.status != "found" and r.gate:
            print(f"  answerable refused: {q.id} {r.gate.reason} {r.gate.score} | {q.text[:70]}")
    for name in [n for n in groups if n not in ("answerable", "unanswerable")]:
        for q, r in zip(groups[name], results[name], strict=True):
            if r.status == "found" and r.gate:
                print(f"  {name} answered: {r.gate.score} | {q.text[:70]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
