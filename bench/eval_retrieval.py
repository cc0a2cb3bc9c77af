"""Retrieval evaluation: hit@k, MRR, fact recall@k and abstention, per language and overall.

Runs, in one process and on one index: our hybrid retriever, its dense-only and keyword-only legs,
and a baseline of what a typical LangChain tutorial does (RecursiveCharacterTextSplitter(1000, 200)
on the raw files, the same embedder, Chroma top-5), then prints our/baseline ratios.

    python bench/eval_retrieval.py [--questions FILE] [--corpus DIR] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from icc_assistant.answer import AnswerRequest, create_answerer
from icc_assistant.documents import Turn
from icc_assistant.embeddings import Embedder, create_embedder
from icc_assistant.index import IndexStore
from icc_assistant.ingest import SUPPORTED_SUFFIXES, collect_paths
from icc_assistant.retrieve import RetrievalConfig, Retriever
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
K = 5


@dataclass(frozen=True)
class Hit:
    """What one system returned for one question: (source file, text) best first."""

    passages: tuple[tuple[str, str], ...]
    abstained: bool


@dataclass(frozen=True)
class Question:
    """One line of the eval file."""

    id: str
    lang: str
    text: str
    history: tuple[Turn, ...]
    expected_files: frozenset[str]
    expected_cities: tuple[str, ...]
    must_mention: tuple[str, ...]
    kind: str

    @property
    def unanswerable(self) -> bool:
        return not self.expected_files


def load_questions(path: Path) -> list[Question]:
    """Parse a questions_*.jsonl file."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        questions.append(
            Question(
                id=raw["id"],
                lang=raw["lang"],
                text=raw["question"],
                history=tuple(Turn.model_validate(t) for t in raw.get("history", [])),
                expected_files=frozenset(raw.get("expected_files", [])),
                expected_cities=tuple(raw.get("expected_cities", [])),
                must_mention=tuple(raw.get("must_mention", [])),
                kind=raw.get("kind", ""),
            )
        )
    return questions


def fact_recall(question: Question, hit: Hit, k: int) -> float:
    """Share of must_mention strings found in the top-k passages (case-insensitive)."""
    if not question.must_mention:
        return 1.0
    text = "\n".join(t for _, t in hit.passages[:k]).casefold()
    return sum(f.casefold() in text for f in question.must_mention) / len(question.must_mention)


def rank_of_expected(question: Question, hit: Hit) -> int | None:
    """1-based rank of the first passage from an expected file, if any."""
    for rank, (source, _) in enumerate(hit.passages, start=1):
        if Path(source).name in question.expected_files:
            return rank
    return None


def score(questions: Sequence[Question], hits: dict[str, Hit]) -> dict[str, float]:
    """All measures over a set of questions."""
    answerable = [q for q in questions if not q.unanswerable]
    unanswerable = [q for q in questions if q.unanswerable]
    ranks = [rank_of_expected(q, hits[q.id]) for q in answerable]

    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else float("nan")

    return {
        "n": float(len(questions)),
        "hit@1": mean([1.0 if r == 1 else 0.0 for r in ranks]),
        "hit@5": mean([1.0 if r is not None and r <= 5 else 0.0 for r in ranks]),
        "mrr": mean([1.0 / r if r else 0.0 for r in ranks]),
        "recall@3": mean([fact_recall(q, hits[q.id], 3) for q in answerable]),
        "recall@5": mean([fact_recall(q, hits[q.id], 5) for q in answerable]),
        "abstain": mean([1.0 if hits[q.id].abstained else 0.0 for q in unanswerable]),
        "false_abstain": mean([1.0 if hits[q.id].abstained else 0.0 for q in answerable]),
    }


COLUMNS = ("n", "hit@1", "hit@5", "mrr", "recall@3", "recall@5", "abstain", "false_abstain")


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    """One line per row label."""
    print(f"\n## {title}")
    print(f"{'':14}" + "".join(f"{c:>14}" for c in COLUMNS))
    for label, values in rows.items():
        cells = "".join(
            f"{int(values[c]):>14}" if c == "n" else f"{values[c]:>14.3f}" for c in COLUMNS
        )
        print(f"{label:14}{cells}")


def ours(retriever: Retriever, settings: Settings) -> Callable[[Question], Hit]:
    """Our pipeline: condense (with history), then hybrid retrieval."""
    answerer = create_answerer(settings, retriever._embedder)  # noqa: SLF001 - same embedder

    def run(question: Question) -> Hit:
        query = answerer.condense(AnswerRequest(question=question.text, history=question.history))
        result = retriever.search(query.text, k=K, english_query=query.english)
        shown = result.passages or result.nearest
        return Hit(
            passages=tuple((p.document.source, p.chunk.text) for p in shown),
            abstained=result.status == "no_evidence",
        )

    return run


def baseline(corpus: Path, embedder: Embedder, workdir: Path) -> Callable[[Question], Hit]:
    """A typical tutorial: fixed-size splits of the raw files, dense top-5, no gate."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    client = chromadb.PersistentClient(
        path=str(workdir / "baseline"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        "baseline", embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    texts, sources = [], []
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() in SUPPORTED_SUFFIXES - {".pdf"} and path.is_file():
            for split in splitter.split_text(path.read_text(encoding="utf-8", errors="replace")):
                texts.append(split)
                sources.append(path.name)
    vectors = embedder.embed_passages(texts)
    collection.add(
        ids=[str(i) for i in range(len(texts))],
        embeddings=vectors.tolist(),
        documents=texts,
        metadatas=[{"source": s} for s in sources],
    )

    def run(question: Question) -> Hit:
        found = collection.query(
            query_embeddings=[embedder.embed_query(question.text).tolist()], n_results=K
        )
        docs = found["documents"][0] if found["documents"] else []
        metas = found["metadatas"][0] if found["metadatas"] else []
        return Hit(
            passages=tuple((str(m["source"]), d) for m, d in zip(metas, docs, strict=True)),
            abstained=False,
        )

    return run


def evaluate(questions: Sequence[Question], system: Callable[[Question], Hit]) -> dict[str, Hit]:
    """Run one system over every question."""
    return {q.id: system(q) for q in questions}


def by_language(questions: Sequence[Question], hits: dict[str, Hit]) -> dict[str, dict[str, float]]:
    """Measures per question language, then overall."""
    groups: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        groups[q.lang].append(q)
    rows = {lang: score(group, hits) for lang, group in sorted(groups.items())}
    rows["ALL"] = score(questions, hits)
    return rows


def open_index(corpus: Path, data_dir: Path) -> tuple[Settings, Embedder, IndexStore]:
    """Open (and if needed build) an index of the corpus under data_dir."""
    settings = Settings(data_dir=data_dir, corpus_dir=corpus, llm_base_url=None)
    embedder = create_embedder(settings)
    store = IndexStore.open(settings, embedder)
    files, _ = collect_paths([corpus])
    store.sync(files, prune=True)
    return settings, embedder, store


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=ROOT.parent / "shared/eval/questions_dev.jsonl"
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings, embedder, store = open_index(args.corpus, args.data_dir or workdir / "index")
        config = RetrievalConfig()
        systems = {
            "hybrid": ours(Retriever(store, embedder, settings, config), settings),
            "dense-only": ours(
                Retriever(
                    store,
                    embedder,
                    settings,
                    replace(config, keyword_weight=0.0, neutral_weight=0.0),
                ),
                settings,
            ),
            "keyword-only": ours(
                Retriever(store, embedder, settings, replace(config, dense_weight=0.0)), settings
            ),
            "baseline": baseline(args.corpus, embedder, workdir),
        }
        overall = {}
        for name, system in systems.items():
            hits = evaluate(questions, system)
            rows = by_language(questions, hits)
            print_table(name, rows)
            overall[name] = rows["ALL"]
    print_table("overall", overall)
    print("\n## ratios hybrid / baseline")
    for column in COLUMNS[1:6]:
        base = overall["baseline"][column]
        ratio = overall["hybrid"][column] / base if base else float("nan")
        print(f"{column:>10}: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
