"""Retrieval evaluation on the seed and multilingual development sets, against a baseline.

One index holds the corpora of the chosen set (`all`: the seed documents and the multilingual
pages together, as the product is used). In that one run it scores our retriever, two of its
ablations and the baseline of a typical LangChain tutorial (RecursiveCharacterTextSplitter(1000,
200) on the raw files, the same embedder, Chroma top 5, follow-ups prefixed with the earlier
user turn as ours are). Measures: hit@1, hit@5 (an expected file among the top passages), MRR,
fact recall@3/@5 (must_mention strings in the top passages), abstention on unanswerable
questions and false abstention on answerable ones; per set, per question language, same- vs
cross-language (question vs expected page) and whether the question names a city.

    python bench/eval_retrieval.py [--set seeds|multilingual|all] [--misses] [--data-dir DIR]
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
from icc_assistant.ingest import SUPPORTED_SUFFIXES, collect_paths, load_files
from icc_assistant.retrieve import RetrievalConfig, Retriever
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared/eval"
SETS = {
    "seeds": (ROOT / "corpus", EVAL / "questions_dev.jsonl"),
    "multilingual": (EVAL / "multilingual/corpus", EVAL / "multilingual/questions.jsonl"),
}
K = 5
COLUMNS = ("n", "hit@1", "hit@5", "mrr", "recall@3", "recall@5", "abstain", "false_abstain")


@dataclass(frozen=True)
class Hit:
    """What one system returned for one question: (source file, text) best first."""

    passages: tuple[tuple[str, str], ...]
    abstained: bool


@dataclass(frozen=True)
class Question:
    """One line of an eval file, with the set it comes from."""

    id: str
    lang: str
    text: str
    history: tuple[Turn, ...]
    expected_files: frozenset[str]
    expected_cities: tuple[str, ...]
    must_mention: tuple[str, ...]
    kind: str
    set: str = ""

    @property
    def unanswerable(self) -> bool:
        return not self.expected_files

    @property
    def search_text(self) -> str:
        """The question as the chat searches it without a model: a follow-up carries the
        earlier user turn."""
        earlier = [t.content for t in self.history if t.role == "user"]
        return f"{earlier[-1]} {self.text}" if earlier else self.text


def load_questions(path: Path, set_name: str = "") -> list[Question]:
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
                set=set_name,
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


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    """One line per row label."""
    print(f"\n## {title}")
    print(f"{'':22}" + "".join(f"{c:>14}" for c in COLUMNS))
    for label, values in rows.items():
        cells = "".join(
            f"{int(values[c]):>14}" if c == "n" else f"{values[c]:>14.3f}" for c in COLUMNS
        )
        print(f"{label:22}{cells}")


def ours(retriever: Retriever, settings: Settings) -> Callable[[Question], Hit]:
    """Our pipeline: condense (with history), then retrieval, as the chat does it."""
    answerer = create_answerer(settings)

    def run(question: Question) -> Hit:
        query = answerer.condense(AnswerRequest(question=question.text, history=question.history))
        result = retriever.search(
            query.text, k=K, english_query=query.english, context=query.context
        )
        shown = result.passages or result.nearest
        return Hit(
            passages=tuple((p.document.source, p.chunk.text) for p in shown),
            abstained=result.status == "no_evidence",
        )

    return run


def baseline(
    corpora: Sequence[Path], embedder: Embedder, workdir: Path
) -> Callable[[Question], Hit]:
    """A typical tutorial: fixed-size splits of the raw files, dense top-5, no gate."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    client = chromadb.PersistentClient(
        path=str(workdir / "baseline"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        "baseline", embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    texts, sources = [], []
    for path, _ in collect_paths(list(corpora))[0]:
        if path.suffix.lower() in SUPPORTED_SUFFIXES - {".pdf"}:
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
            query_embeddings=[embedder.embed_query(question.search_text).tolist()], n_results=K
        )
        docs = found["documents"][0] if found["documents"] else []
        metas = found["metadatas"][0] if found["metadatas"] else []
        return Hit(
            passages=tuple((str(m["source"]), d) for m, d in zip(metas, docs, strict=True)),
            abstained=False,
        )

    return run


def open_index(corpora: Sequence[Path], data_dir: Path) -> tuple[Settings, Embedder, IndexStore]:
    """Open (and if needed build) one index of all the corpora under data_dir."""
    settings = Settings(data_dir=data_dir, corpus_dir=corpora[0], llm_base_url=None)
    embedder = create_embedder(settings)
    store = IndexStore.open(settings, embedder)
    files, _ = collect_paths(list(corpora))  # notes such as MANIFEST.tsv are not documents
    store.sync(load_files(files), prune=True)
    return settings, embedder, store


def chosen_sets(name: str) -> list[str]:
    return list(SETS) if name == "all" else [name]


def grouped(
    questions: Sequence[Question], key: Callable[[Question], str]
) -> dict[str, list[Question]]:
    groups: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        groups[key(q)].append(q)
    return dict(sorted(groups.items()))


def pair_of(question: Question, languages: dict[str, str]) -> str:
    """ "same" or "cross": the question's language against its first expected page's."""
    if question.unanswerable:
        return "unanswerable"
    page = languages.get(sorted(question.expected_files)[0], "?")
    return "same" if _same_language(question.lang, page) else "cross"


def _same_language(a: str, b: str) -> bool:
    norwegian = {"no", "nb", "nn"}
    return a == b or (a in norwegian and b in norwegian)


def names_city(question: Question, retriever: Retriever) -> str:
    result = retriever.search(question.search_text, k=1)
    return "names a city" if result.cities else "no city"


def print_misses(questions: Sequence[Question], hits: dict[str, Hit]) -> None:
    print("\n## misses (ours): expected file not first, facts missing, or wrong abstention")
    for q in questions:
        hit = hits[q.id]
        rank = rank_of_expected(q, hit)
        recall = fact_recall(q, hit, K)
        wrong_abstention = hit.abstained != q.unanswerable
        if q.unanswerable and not wrong_abstention:
            continue
        if rank == 1 and recall == 1.0 and not wrong_abstention:
            continue
        top = ", ".join(Path(s).name[:28] for s, _ in hit.passages[:3])
        flag = "ABSTAINED" if hit.abstained else ""
        print(
            f"{q.set[:5]:5} {q.id:6} {q.lang} {q.kind:13} rank={rank} recall@5={recall:.2f} "
            f"{flag} | top: {top} | {q.text[:70]}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["seeds", "multilingual", "all"], default="all")
    parser.add_argument("--misses", action="store_true", help="List each question we miss.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse an index here.")
    args = parser.parse_args(argv)
    names = chosen_sets(args.set)
    corpora = [SETS[n][0] for n in names]
    questions = [q for n in names for q in load_questions(SETS[n][1], n)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings, embedder, store = open_index(corpora, args.data_dir or workdir / "index")
        config = RetrievalConfig()
        retrievers = {
            "ours": Retriever(store, embedder, settings, config),
            "ours, no keyword leg": Retriever(
                store, embedder, settings, replace(config, keyword_weight=0.0, keyword_candidates=0)
            ),
            "ours, no language fix": Retriever(
                store, embedder, settings, replace(config, language_correction=0.0)
            ),
        }
        systems = {name: ours(r, settings) for name, r in retrievers.items()}
        systems["baseline"] = baseline(corpora, embedder, workdir)
        hits = {name: {q.id: system(q) for q in questions} for name, system in systems.items()}
        languages = {d.source: d.language for d in store.catalog.documents.values()}
        city_kind = {q.id: names_city(q, retrievers["ours"]) for q in questions}
    for set_name in names:
        subset = [q for q in questions if q.set == set_name]
        print_table(f"{set_name}: overall", {name: score(subset, h) for name, h in hits.items()})
    for name in ("ours", "baseline"):
        for label, key in (
            ("question language", lambda q: f"{q.set[:5]}:{q.lang}"),
            ("language pair", lambda q: f"{q.set[:5]}:{pair_of(q, languages)}"),
            ("city named", lambda q: f"{q.set[:5]}:{city_kind[q.id]}"),
            ("question kind", lambda q: f"{q.set[:5]}:{q.kind}"),
        ):
            rows = {g: score(qs, hits[name]) for g, qs in grouped(questions, key).items()}
            print_table(f"{name} by {label}", rows)
    for set_name in names:
        subset = [q for q in questions if q.set == set_name]
        print(f"\n## {set_name}: ratios ours / baseline")
        base, mine = score(subset, hits["baseline"]), score(subset, hits["ours"])
        for column in COLUMNS[1:6]:
            ratio = mine[column] / base[column] if base[column] else float("nan")
            print(f"{column:>10}: {ratio:.3f}")
    if args.misses:
        print_misses(questions, hits["ours"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
