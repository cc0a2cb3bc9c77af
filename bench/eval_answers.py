"""Answer evaluation over the whole pipeline, per set, per language and overall.

Measures of what the answer holds: answer-language accuracy (the language detected in the
answer's own sentences, quotes excluded, equals the question's), citation precision (cited
passages from expected files), lead (the first citation is from an expected file), passage fact
recall (must_mention found in the answer or its cited passages), abstention accuracy on
unanswerable questions, and trap accuracy (the city that runs the practice is named, and no
heading credits it to the city of the report or page that cites it).

Measures of what a reader sees (../shared/eval/README.md), over answerable questions: answered
(not `no_evidence`), facts (must_mention found, case- and accent-folded, in the answer's own
text), and per *item* (one bullet line, without its [n] marks and quotes) the shares of debris
(a table mark, a run of three ALL-CAPS words, or a question of six words or fewer), fragments
(starting lowercase, ending on a colon, or over 12 words with no sentence end) and duplicates
(70% of its words in an earlier item), and the median answer length in characters.

Runs in extractive mode, and in model mode too when ICC_LLM_BASE_URL is set. One index holds
the chosen set's corpora.

    python bench/eval_answers.py [--set seeds|multilingual|all] [--data-dir DIR] [--misses]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import unicodedata
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

COLUMNS = (
    "n",
    "language",
    "answered",
    "abstain",
    "lead",
    "cite_prec",
    "facts",
    "pass_facts",
    "debris",
    "fragment",
    "dup",
    "trap",
    "chars",
)
MEDIANS = frozenset({"chars"})
Row = dict[str, float | None]

_MARKS = re.compile(r"\s*\[\d{1,3}\]")
_QUOTES = "\"'“”„«»‘’‚‹›「」『』*_ "
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_END = tuple('.!?。！？…;»”")')


def fold(text: str) -> str:
    """Case- and accent-folded text, for finding a fact whatever its spelling."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def items_of(text: str) -> list[str]:
    """The answer's bullet lines, without their [n] marks and surrounding quotes."""
    found = []
    for line in text.splitlines():
        if not _BULLET.match(line):
            continue
        item = _MARKS.sub("", _BULLET.sub("", line, count=1)).strip()
        item = re.sub(r"\s*\((?:[a-z]{2}|[A-Za-z ]{3,20})\)$", "", item)  # a language label
        found.append(item.strip(_QUOTES))
    return [i for i in found if i]


def is_debris(item: str) -> bool:
    """A table mark, a run of three ALL-CAPS words, or a short question (a heading)."""
    if any(mark in item for mark in "✗✓|"):
        return True
    run = 0
    for word in re.findall(r"[^\W\d_]+", item):
        run = run + 1 if len(word) > 1 and word.isupper() else 0
        if run >= 3:
            return True
    return item.rstrip().endswith(("?", "？")) and len(item.split()) <= 6


def is_fragment(item: str) -> bool:
    """Starts lowercase, ends on a colon, or is a long line with no sentence end."""
    first = item.lstrip("([¿¡")[:1]
    if first.islower():
        return True
    if item.rstrip().endswith((":", "：")):
        return True
    return len(item.split()) > 12 and not item.rstrip().endswith(_END)


def duplicates(items: Sequence[str]) -> int:
    """Items sharing at least 70% of their words with an earlier item."""
    seen: list[set[str]] = []
    count = 0
    for item in items:
        words = set(re.findall(r"\w+", item.casefold()))
        if words and any(len(words & earlier) >= 0.7 * len(words) for earlier in seen):
            count += 1
        seen.append(words)
    return count


def own_sentences(answer: Answer) -> str:
    """The answer without quotes, headings, citation markers or Sources list."""
    lines = []
    for line in answer.text.splitlines():
        if line.startswith(("- ", "*", "[", "Sources:")) or not line.strip():
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
    """Each measure for one question (None where it does not apply). Item measures are counts
    here (debris, fragment, dup) with the item count under "items"; aggregate() divides."""
    cited = list(answer.citations)
    evidence = fold(answer.text + "\n" + "\n".join(c.quote for c in cited))
    result: Row = {column: None for column in COLUMNS[1:]}
    result["language"] = float(detect_language(own_sentences(answer)) == question.lang)
    if question.unanswerable:
        result["abstain"] = float(answer.status == "no_evidence")
        return result
    result["answered"] = float(answer.status != "no_evidence")
    result["chars"] = float(len(answer.text))
    if cited:
        result["cite_prec"] = sum(c.source in question.expected_files for c in cited) / len(cited)
        result["lead"] = float(cited[0].source in question.expected_files)
    if question.must_mention:
        text = fold(answer.text)
        found = sum(fold(f) in text for f in question.must_mention)
        result["facts"] = found / len(question.must_mention)
        result["pass_facts"] = sum(fold(f) in evidence for f in question.must_mention) / len(
            question.must_mention
        )
    items = items_of(answer.text)
    result["items"] = float(len(items))
    result["debris"] = float(sum(map(is_debris, items)))
    result["fragment"] = float(sum(map(is_fragment, items)))
    result["dup"] = float(duplicates(items))
    if question.kind == "trap":
        citing = {city for f in question.expected_files if (city := cities.get(f))}
        result["trap"] = float(trap_ok(question, answer, citing))
    return result


ITEM_COUNTS = frozenset({"debris", "fragment", "dup"})


def aggregate(rows: list[Row]) -> dict[str, float]:
    """Means per question; item measures as shares of all items; medians where named."""
    out = {"n": float(len(rows))}
    items = sum(r.get("items") or 0.0 for r in rows)
    for column in COLUMNS[1:]:
        values = [v for r in rows if (v := r[column]) is not None]
        if column in ITEM_COUNTS:
            out[column] = sum(values) / items if items else float("nan")
        elif column in MEDIANS:
            out[column] = statistics.median(values) if values else float("nan")
        else:
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
    shares = ("language", "answered", "abstain", "lead", "cite_prec", "facts", "trap")
    counts = ("debris", "fragment", "dup")
    return any((v := row[c]) is not None and v < 1.0 for c in shares) or any(row[c] for c in counts)


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n## {title}")
    print(f"{'':12}" + "".join(f"{c:>11}" for c in COLUMNS))
    for label, row in table.items():
        cells = "".join(
            f"{int(row[c]):>11}" if c in ("n", "chars") and row[c] == row[c] else f"{row[c]:>11.3f}"
            for c in COLUMNS
        )
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
