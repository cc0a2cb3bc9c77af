"""The catalog a process reads from: loaded from its snapshot, or built from Chroma (repairing
vectors a crash lost), and reloaded when another process publishes.

A reader refreshes at most REFRESH_SECONDS after a commit. A reader that loads while a writer
commits notices that a document's chunks do not add up to the count its record holds, or that
the generation moved, and loads again, so that a catalog never names chunks a writer is about
to delete.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import numpy as np
import structlog
from chromadb.api.models.Collection import Collection as ChromaCollection

from icc_assistant.documents import Chunk, DocumentMeta
from icc_assistant.embeddings import Embedder, embedding_text
from icc_assistant.index.catalog import ChunkCatalog, digest_of, load_snapshot, save_snapshot
from icc_assistant.index.chroma import Chroma, Committed
from icc_assistant.index.records import (
    chunk_from_record,
    chunk_metadata,
    score_from_record,
    sentence_id,
    text_hash,
    view_id,
)

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 1.0
LOAD_ATTEMPTS = 5


def _incomplete(catalog: ChunkCatalog, active: Committed) -> list[str]:
    """Documents whose committed chunk or Index-result counts the loaded ones fall short of."""
    scores = Counter(row.doc_id for row in catalog.scores)
    return sorted(
        doc_id
        for doc_id, record in active.items()
        if (record.chunks is not None and len(catalog.doc_chunks.get(doc_id, ())) < record.chunks)
        or scores[doc_id] < record.scores
    )


def _committed(meta: dict[str, object], active: Committed) -> bool:
    """Whether a record belongs to the version of its document that is committed."""
    record = active.get(str(meta.get("doc_id")))
    return record is not None and meta.get("doc_hash") == record.content_hash


class CatalogLoader:
    """This process' catalog of the committed index: loaded on first use, refreshed when the
    generation moves, and pinned per thread for the length of one search."""

    def __init__(self, chroma: Chroma, embedder: Embedder) -> None:
        self.chroma = chroma
        self._embedder = embedder
        self._catalog: ChunkCatalog | None = None
        self._lock = threading.RLock()
        self._pins = threading.local()
        self._generation: str | None = None
        self._checked_at = 0.0

    @property
    def catalog(self) -> ChunkCatalog:
        """The committed documents and chunks, loaded or rebuilt on first use (or the one this
        thread pinned)."""
        pinned: ChunkCatalog | None = getattr(self._pins, "catalog", None)
        if pinned is not None:
            return pinned
        if self._catalog is None:
            with self._lock:
                if self._catalog is None:
                    self._load()
        assert self._catalog is not None
        return self._catalog

    @contextlib.contextmanager
    def pinned(self) -> Iterator[ChunkCatalog]:
        """Serve this thread the same catalog until the block ends."""
        self._pins.catalog = self.catalog
        try:
            yield self._pins.catalog
        finally:
            self._pins.catalog = None

    def refresh(self) -> bool:
        """Reload the catalog if another process committed since; cheap, throttled.

        Requests arriving while another thread reloads wait for the new catalog rather than
        go on with the old one, whose superseded chunks a writer deletes soon after."""
        with self._lock:
            now = time.monotonic()
            if self._catalog is not None and now - self._checked_at < REFRESH_SECONDS:
                return False
            self._checked_at = now
            generation = self.chroma.generation()
            if self._catalog is not None and generation == self._generation:
                return False
            self._load()
            return True

    def reload_after_commit(self) -> None:
        """Load the catalog this process has just committed (and save its snapshot)."""
        with self._lock:
            self._load(after_commit=True)

    def forget(self) -> None:
        """Drop the loaded catalog: the index was emptied."""
        with self._lock:
            self._catalog = None

    def _load(self, *, after_commit: bool = False) -> None:
        """Load the snapshot matching Chroma's committed documents, or build one from Chroma."""
        root = self.chroma.settings.data_dir / "keyword"
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            generation = self.chroma.generation()
            active = self.chroma.active()
            version = digest_of({doc: record.content_hash for doc, record in active.items()})
            catalog = load_snapshot(root, version)
            if catalog is None:
                if (root / "catalog.json").exists() and not after_commit and attempt == 1:
                    log.warning("keyword snapshot out of step with Chroma; rebuilding")
                catalog = self._build(active)
                short = _incomplete(catalog, active)
                if short and attempt < LOAD_ATTEMPTS:
                    time.sleep(0.1 * attempt)  # a writer is between its commit and clean-up
                    continue
                if short:
                    log.warning("documents are missing records in Chroma", documents=short)
                save_snapshot(catalog, root)
                # Serve the saved copy: its pages are mapped and shared with the other
                # processes, where the built one's arrays are this process' own.
                catalog = load_snapshot(root, version) or catalog
            moved = self.chroma.generation() != generation
            if not moved or attempt == LOAD_ATTEMPTS:
                break
        self._generation = generation
        self._catalog = catalog

    def _build(self, active: Committed) -> ChunkCatalog:
        chunks = [
            chunk_from_record(chunk_id, text, meta)
            for chunk_id, text, meta in self.chroma.records(self.chroma.chunks)
            if _committed(meta, active)
        ]
        scores = [
            score_from_record(text)
            for _, text, meta in self.chroma.records(self.chroma.scores)
            if _committed(meta, active)
        ]
        vectors = self.chroma.vectors_of([c.chunk_id for c in chunks])
        lost = [c for c in chunks if c.chunk_id not in vectors]
        if lost:
            vectors.update(self._repair(lost, {doc: r.meta for doc, r in active.items()}))
        views = self._part_vectors(
            {c.chunk_id: [view_id(c.chunk_id, n) for n in range(c.views)] for c in chunks},
            self.chroma.views,
        )
        sentences = self._part_vectors(
            {
                c.chunk_id: [sentence_id(c.chunk_id, n) for n in range(len(c.sentences))]
                for c in chunks
                if len(c.sentences) > 1
            },
            self.chroma.sentences,
        )
        documents = [record.meta for record in active.values()]
        return ChunkCatalog.build(
            documents, chunks, vectors, views, sentences, self._embedder, scores=scores
        )

    def _part_vectors(
        self, ids: dict[str, list[str]], collection: ChromaCollection
    ) -> dict[str, list[np.ndarray]]:
        """Chunk id -> the stored vectors of its parts (views or sentences) in order, lost
        ones left out."""
        found = self.chroma.vectors_of([i for parts in ids.values() for i in parts], collection)
        grouped: dict[str, list[np.ndarray]] = defaultdict(list)
        for chunk_id, parts in ids.items():
            grouped[chunk_id] = [found[i] for i in parts if i in found]
        return grouped

    def _repair(
        self, chunks: list[Chunk], documents: dict[str, DocumentMeta]
    ) -> dict[str, np.ndarray]:
        """Re-embed committed chunks whose vectors a crash lost (embedded Chroma can)."""
        log.warning("re-embedding chunks whose vectors were lost in a crash", chunks=len(chunks))
        texts = [embedding_text(documents[c.doc_id], c) for c in chunks]
        vectors = self._embedder.embed_passages(texts)
        self.chroma.chunks.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=vectors.tolist(),
            documents=[c.text for c in chunks],
            metadatas=[
                chunk_metadata(documents[c.doc_id], c, text_hash(t))
                for c, t in zip(chunks, texts, strict=True)
            ],
        )
        return {c.chunk_id: v for c, v in zip(chunks, vectors, strict=True)}
