"""Answer evaluation over the whole pipeline, per set, per language and overall.

Measures: answer-language accuracy (the language detected in the answer's own sentences, quotes
excluded, equals the question's), citation precision (cited passages from expected files), fact
recall (must_mention found in the answer or its cited passages), abstention accuracy on
unanswerable questions, and trap accuracy (the city that runs the practice is named, and no
heading credits it to the city of the report or page that cites it). Runs in extractive mode,
and in model mode too when ICC_LLM_BASE_URL is set. One index holds the chosen set's corpora.

    python bench/eval_answers.py [--set seeds|multilingual|all] [--data-dir DIR] [--misses]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from eval_retrieval import SETS, Question, chosen_sets, load_questions, open_index

from icc_assistant import gazetteer
from icc_assistant.answer import AnswerRequest
from icc_assistant.assistant import Assistant
from icc_assistant.documents import Answer
from icc_assistant.language import detect_language
from icc_assistant.settings import Settings

COLUMNS = ("n", "language", "cite_prec", "fact_recall", "abstain", "trap")
Row = dict[str, float | None]


def own_sentences(answer: Answer) -> str:
    """The answer without quotes, headings, citation markers or Sources list."""
    lines = []
    for line in answer.text.splitlines():
        if line.startswith(("- ", "**", "Sources:")) or not line.strip():
            continue
        lines.append(line.strip("_ "))
    return " ".join(lines)


def names_city(text: str, city: str) -> bool:
    """Whether `text` names the city, in any spelling the gazetteer knows."""
    if city.casefold() in text.casefold():
        return True
    return any(gazetteer.same_city(city, c) for c in gazetteer.find_cities(text, small=True))


def trap_ok(question: Question, answer: Answer, cited_by: set[str]) -> bool:
    """The practice's city is named and no heading credits it to a city citing it."""
    practising = [c for c in question.expected_cities if c not in cited_by]
    named = all(names_city(answer.text, city) for city in practising)
    credited_elsewhere = any(
        line.startswith(f"**{city}**") and any(names_city(line, p) for p in practising)
        for city in cited_by
        for line in answer.text.splitlines()
    )
    return named and not credited_elsewhere


def score_one(question: Question, answer: Answer, cities: dict[str, str | None]) -> Row:
    """Each measure for one question (None where it does not apply)."""
    cited = list(answer.citations)
    evidence = (answer.text + "\n" + "\n".join(c.quote for c in cited)).casefold()
    result: Row = {
        "language": float(detect_language(own_sentences(answer)) == question.lang),
        "cite_prec": None,
        "fact_recall": None,
        "abstain": None,
        "trap": None,
    }
    if question.unanswerable:
        result["abstain"] = float(answer.status == "no_evidence")
        return result
    if cited:
        result["cite_prec"] = sum(c.source in question.expected_files for c in cited) / len(cited)
    if question.must_mention:
        found = sum(f.casefold() in evidence for f in question.must_mention)
        result["fact_recall"] = found / len(question.must_mention)
    if question.kind == "trap":
        citing = {city for f in question.expected_files if (city := cities.get(f))}
        result["trap"] = float(trap_ok(question, answer, citing))
    return result


def aggregate(rows: list[Row]) -> dict[str, float]:
    out = {"n": float(len(rows))}
    for column in COLUMNS[1:]:
        values = [v for r in rows if (v := r[column]) is not None]
        out[column] = statistics.fmean(values) if values else float("nan")
    return out


def evaluate(
    assistant: Assistant, questions: Sequence[Question], misses: bool
) -> dict[str, dict[str, float]]:
    cities = {d.source: d.city for d in assistant.store.catalog.documents.values()}
    groups: dict[str, list[Row]] = defaultdict(list)
    for q in questions:
        answer = assistant.ask(AnswerRequest(question=q.text, history=q.history))
        row = score_one(q, answer, cities)
        for key in (f"{q.set[:5]}:{q.lang}", f"{q.set[:5]}:ALL", "ALL"):
            groups[key].append(row)
        if misses and _missed(row):
            print(f"\n### {q.set[:5]} {q.id} {q.kind} {row}\n{q.text}\n{answer.text[:1500]}")
    return {key: aggregate(rows) for key, rows in sorted(groups.items())}


def _missed(row: Row) -> bool:
    return any(v is not None and v < 1.0 for v in row.values())


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n## {title}")
    print(f"{'':12}" + "".join(f"{c:>13}" for c in COLUMNS))
    for label, row in table.items():
        cells = "".join(f"{int(row[c]):>13}" if c == "n" else f"{row[c]:>13.3f}" for c in COLUMNS)
        print(f"{label:12}{cells}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["seeds", "multilingual", "all"], default="all")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    parser.add_argument("--misses", action="store_true", help="Print each answer that misses.")
    args = parser.parse_args(argv)
    names = chosen_sets(args.set)
    questions = [q for n in names for q in load_questions(SETS[n][1], n)]
    with tempfile.TemporaryDirectory() as tmp:
        corpora = [SETS[n][0] for n in names]
        settings, _, _ = open_index(corpora, args.data_dir or Path(tmp) / "index")
        table = evaluate(Assistant.open(settings), questions, args.misses)
        print_table("extractive", table)
        if os.environ.get("ICC_LLM_BASE_URL"):
            model_settings = Settings(data_dir=settings.data_dir, corpus_dir=corpora[0])
            print_table(
                f"model ({model_settings.llm_model})",
                evaluate(Assistant.open(model_settings), questions, args.misses),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
