"""Judgement probes: does the assistant refuse what the material does not answer, answer what it
does, and keep to the question asked? Pass rates per kind over bench/trust_probes.jsonl.

Each probe is asked through the assistant (as `POST /api/chat` asks it, history included) over
one index of the chosen set's corpora (default: the shipped corpus, five documents about Ansan).
What passes, by kind:

- offtopic, offtopic_city: the answer is "not covered" (`no_evidence`), with or without a city
  the material covers named in the question;
- common_word: a word that is also some city's name is not taken for that city (`not_cities`
  are absent from the cities retrieval recognised, so no "not covered: <city>" and no gap);
- city_name: the cities the question does name are recognised (`cities`);
- topic_switch: a self-standing question after another subject is searched alone
  (`history_used` false) and its first citation comes from an expected file ("history": the
  decision alone);
- followup: a question that refers back is searched with the earlier one (`history_used`
  true) and its first citation comes from an expected file ("history": the decision alone);
- multi_city: a question naming covered and uncovered cities is answered, and the answer names
  every uncovered one; naming only uncovered ones, it is "not covered".

    python bench/eval_trust.py [--set seeds|multilingual|all] [--data-dir DIR] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval_retrieval import ROOT, SETS, chosen_sets, open_index

from icc_assistant import gazetteer
from icc_assistant.answer import AnswerRequest
from icc_assistant.assistant import Assistant
from icc_assistant.documents import Answer, RetrievalResult, Turn

PROBES = ROOT / "bench/trust_probes.jsonl"


@dataclass(frozen=True)
class Probe:
    """One line of trust_probes.jsonl."""

    id: str
    kind: str
    lang: str
    question: str
    history: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    not_cities: tuple[str, ...] = ()
    expected_files: frozenset[str] = field(default_factory=frozenset)


def load_probes(path: Path = PROBES) -> list[Probe]:
    probes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        probes.append(
            Probe(
                id=raw["id"],
                kind=raw["kind"],
                lang=raw["lang"],
                question=raw["question"],
                history=tuple(raw.get("history", [])),
                cities=tuple(raw.get("cities", [])),
                not_cities=tuple(raw.get("not_cities", [])),
                expected_files=frozenset(raw.get("expected_files", [])),
            )
        )
    return probes


def judge(probe: Probe, retrieval: RetrievalResult, answer: Answer, covered: frozenset[str]) -> str:
    """Empty when the probe passes, else why it does not."""
    refused = answer.status == "no_evidence"
    lead = answer.citations[0].source.rsplit("/", 1)[-1] if answer.citations else None
    if probe.kind in ("offtopic", "offtopic_city"):
        return "" if refused else f"answered (gate {retrieval.gate and retrieval.gate.reason})"
    if probe.kind == "common_word":
        taken = [c for c in probe.not_cities if c in retrieval.cities]
        return f"took {taken} for cities" if taken else ""
    if probe.kind == "city_name":
        missed = [c for c in probe.cities if not _among(c, retrieval.cities)]
        return f"did not recognise {missed}" if missed else ""
    if probe.kind in ("topic_switch", "followup"):
        wanted = probe.kind == "followup"
        if retrieval.history_used != wanted:
            return f"history_used={retrieval.history_used}"
        if probe.expected_files and lead not in probe.expected_files:
            return f"lead citation {lead}"
        return ""
    if probe.kind == "multi_city":
        named = gazetteer.find_cities(probe.question)
        uncovered = [c for c in named if not _among(c, covered)]
        if len(uncovered) == len(named):
            return "" if refused else "answered a question about uncovered cities only"
        if refused:
            return "refused"
        missing = [c for c in uncovered if c not in answer.text]
        return f"did not say {missing} are not covered" if missing else ""
    return f"unknown kind {probe.kind}"


def _among(city: str, cities: Sequence[str] | frozenset[str]) -> bool:
    return any(gazetteer.same_city(city, other) for other in cities)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["seeds", "multilingual", "all"], default="seeds")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    parser.add_argument("--misses", action="store_true", help="Print each probe that fails.")
    args = parser.parse_args(argv)
    probes = load_probes()
    results: dict[str, list[bool]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        corpora = [SETS[n][0] for n in chosen_sets(args.set)]
        settings, _, _ = open_index(corpora, args.data_dir or Path(tmp) / "index")
        assistant = Assistant.open(settings)
        covered = assistant.store.catalog.covered_cities
        for probe in probes:
            history = tuple(Turn(role="user", content=text) for text in probe.history)
            request = AnswerRequest(question=probe.question, history=history)
            retrieval = assistant.retrieve_for(request, None)
            answer = assistant.answer(request, retrieval)
            failure = judge(probe, retrieval, answer, covered)
            results[probe.kind].append(not failure)
            if probe.kind in ("topic_switch", "followup"):
                wanted = probe.kind == "followup"
                results[f"{probe.kind}: history"].append(retrieval.history_used == wanted)
            if failure and args.misses:
                print(f"\n### {probe.id} {probe.kind} ({probe.lang}): {failure}")
                print(f"{probe.question}\n{answer.text[:600]}")
    print(f"\n## probes over {args.set} ({len(probes)} probes)")
    print(f"{'kind':25}{'n':>5}{'passed':>8}{'rate':>8}")
    for kind, passed in sorted(results.items()):
        print(f"{kind:25}{len(passed):>5}{sum(passed):>8}{sum(passed) / len(passed):>8.2f}")
    every = [p for kind, passed in results.items() if ":" not in kind for p in passed]
    print(f"{'all':25}{len(every):>5}{sum(every):>8}{sum(every) / len(every):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
