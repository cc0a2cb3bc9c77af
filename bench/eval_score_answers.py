"""Score questions answered with the figure in a table, in several languages.

Each question of bench/score_questions.jsonl (written for this bench, none from the evaluation
sets) asks for a city's Index result; a right answer opens with a Markdown table that has a
row for that city holding the labelled value, and the table's headers are in the question's
language. Same index as bench/eval_metadata.py (the shipped corpus, the multilingual pages and
the unseen Index-report excerpts).

    python bench/eval_score_answers.py [--data-dir DIR] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from eval_metadata import build_index

from icc_assistant.answer import AnswerRequest
from icc_assistant.answer.messages import message
from icc_assistant.assistant import Assistant
from icc_assistant.settings import Settings

QUESTIONS = Path(__file__).resolve().parent / "score_questions.jsonl"


def table_rows(text: str) -> list[list[str]]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("|"):
            break
        lines.append([cell.strip() for cell in line.strip("|").split("|")])
    return lines


def judge(item: dict[str, object], text: str) -> tuple[bool, bool]:
    """(a table opens the answer with the city's labelled value, its headers are localised)."""
    rows = table_rows(text)
    if len(rows) < 3:
        return False, False
    header = " | ".join(rows[0])
    localised = header == message(str(item["lang"]), "score_table")
    value = f"{float(str(item['value'])):g}"
    city = str(item["city"]).casefold()
    found = any(
        row[0].casefold() == city and value in row[2].replace("#", "").split() for row in rows[2:]
    )
    return found, localised


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args(argv)
    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "index"
        if not data_dir.exists():
            build_index(data_dir)  # else the index a run of this or eval_metadata left there
        assistant = Assistant.open(Settings(data_dir=data_dir, llm_base_url=None))
        right = localised = 0
        for item in items:
            answer = assistant.ask(AnswerRequest(question=str(item["question"])))
            found, local = judge(item, answer.text)
            right += found
            localised += local
            if args.misses and not (found and local):
                print(f"  {item['id']} {item['lang']}: table={found} headers={local}")
                print("    " + "\n    ".join(answer.text.splitlines()[:6]))
    n = len(items)
    print(
        f"score questions: {n}  figure in the table: {right / n:.2f}  headers: {localised / n:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
