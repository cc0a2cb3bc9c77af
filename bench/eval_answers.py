"""Answer evaluation over the whole pipeline, per language and overall.

Measures: answer-language accuracy (the language detected in the answer's own sentences, quotes
excluded, equals the question's), citation precision (cited passages from expected files), fact
recall (must_mention found in the answer or its cited passages), abstention accuracy on
unanswerable questions, and trap accuracy (the city that runs the practice is named, and no
heading credits it to the report's city). Runs in extractive mode, and in model mode too when
ICC_LLM_BASE_URL is set.

    python bench/eval_answers.py [--questions FILE] [--corpus DIR]
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

from eval_retrieval import ROOT, Question, load_questions, open_index

from icc_assistant.answer import AnswerRequest
from icc_assistant.assistant import Assistant
from icc_assistant.documents import Answer
from icc_assistant.language import detect_language
from icc_assistant.settings import Settings

COLUMNS = ("n", "language", "cite_prec", "fact_recall", "abstain", "trap")


def own_sentences(answer: Answer) -> str:
    """The answer without quotes, headings, citation markers or Sources list."""
    lines = []
    for line in answer.text.splitlines():
        if line.startswith(("- ", "**", "Sources:")) or not line.strip():
            continue
        lines.append(line.strip("_ "))
    return " ".join(lines)


def score_one(question: Question, answer: Answer) -> dict[str, float | None]:
    """Each measure for one question (None where it does not apply)."""
    cited = [c for c in answer.citations]
    evidence = (answer.text + "\n" + "\n".join(c.quote for c in cited)).casefold()
    result: dict[str, float | None] = {
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
        result["trap"] = float(_trap_ok(question, answer))
    return result


def _trap_ok(question: Question, answer: Answer) -> bool:
    others = [c for c in question.expected_cities if c != "Ansan"]
    named = all(city in answer.text for city in others)
    credited_to_ansan = any(
        line.startswith("**Ansan**") and any(city in line for city in others)
        for line in answer.text.splitlines()
    )
    return named and not credited_to_ansan


def aggregate(rows: list[dict[str, float | None]]) -> dict[str, float]:
    out = {"n": float(len(rows))}
    for column in COLUMNS[1:]:
        values = [r[column] for r in rows if r[column] is not None]
        out[column] = statistics.fmean(values) if values else float("nan")  # type: ignore[arg-type]
    return out


def evaluate(assistant: Assistant, questions: Sequence[Question]) -> dict[str, dict[str, float]]:
    by_lang: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    every = []
    for q in questions:
        answer = assistant.ask(AnswerRequest(question=q.text, history=q.history))
        row = score_one(q, answer)
        by_lang[q.lang].append(row)
        every.append(row)
    table = {lang: aggregate(rows) for lang, rows in sorted(by_lang.items())}
    table["ALL"] = aggregate(every)
    return table


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n## {title}")
    print(f"{'':8}" + "".join(f"{c:>13}" for c in COLUMNS))
    for label, row in table.items():
        cells = "".join(f"{int(row[c]):>13}" if c == "n" else f"{row[c]:>13.3f}" for c in COLUMNS)
        print(f"{label:8}{cells}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/questions_dev.jsonl"
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        settings, _, _ = open_index(args.corpus, Path(tmp) / "index")
        print_table("extractive", evaluate(Assistant.open(settings), questions))
        if os.environ.get("ICC_LLM_BASE_URL"):
            model_settings = Settings(data_dir=settings.data_dir, corpus_dir=args.corpus)
            print_table(
                f"model ({model_settings.llm_model})",
                evaluate(Assistant.open(model_settings), questions),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
