"""The commit protocol: parsed documents into Chroma, crash-safe, each committed on its own.

For a changed document: write all chunks, views and sentences of the new version, then upsert
the document record (a single-record write: the commit point), and only after the generation is
bumped delete the old version's chunks. Readers only see chunks of committed hashes, so a
`kill -9` at any moment leaves the previous version fully queryable; leftovers of a killed run
are removed by the next publish.

Several processes may share one Chroma server (workers serving, an ingest writing): on a server
the writer waits RETIRE_SECONDS after publishing before deleting superseded chunks, so that a
worker still answering from the previous catalog keeps finding its chunks.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Literal

import numpy as np
import structlog
from pydantic import BaseModel

from icc_assistant.documents import ParsedDocument
from icc_assistant.embeddings import Embedder, embedding_text
from icc_assistant.index.catalog_loader import REFRESH_SECONDS, CatalogLoader
from icc_assistant.index.chroma import META_ID, PAGE, Chroma, reaching_chroma
from icc_assistant.index.records import (
    chunk_metadata,
    sentence_id,
    text_hash,
    view_id,
    view_metadata,
)
from icc_assistant.index.views import sentence_texts, view_texts

log = structlog.get_logger(__name__)

RETIRE_SECONDS = 2 * REFRESH_SECONDS

FileStatus = Literal["added", "updated", "unchanged", "failed", "removed"]


class FileResult(BaseModel):
    """What happened to one file during a sync."""

    source: str
    doc_id: str
    status: FileStatus
    chunks: int = 0
    message: str | None = None


class SyncReport(BaseModel):
    """Every file's result, and how many texts had to be embedded."""

    files: list[FileResult]
    embedded: int = 0


class Committer:
    """Writes and commits documents, and publishes what was committed."""

    def __init__(self, chroma: Chroma, embedder: Embedder, catalogs: CatalogLoader) -> None:
        self.chroma = chroma
        self._embedder = embedder
        self._catalogs = catalogs

    @reaching_chroma
    def active_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every committed document."""
        return {
            doc_id: content_hash for doc_id, (content_hash, _, _) in self.chroma.active().items()
        }

    @reaching_chroma
    def put(self, doc: ParsedDocument, active: dict[str, str]) -> tuple[FileResult, int]:
        """Write and commit `doc` unless `active` already holds its content hash; returns its
        result and how many texts had to be embedded."""
        doc_id = doc.meta.doc_id
        result = FileResult(
            source=doc.meta.source, doc_id=doc_id, status="unchanged", chunks=len(doc.chunks)
        )
        if active.get(doc_id) == doc.meta.content_hash:
            return result, 0
        status: FileStatus = "updated" if doc_id in active else "added"
        embedded = self._write(doc)
        active[doc_id] = doc.meta.content_hash
        return result.model_copy(update={"status": status}), embedded

    @reaching_chroma
    def remove(self, doc_id: str, active: dict[str, str]) -> bool:
        """Uncommit a document; its chunks go at the next publish."""
        if doc_id not in active or doc_id == META_ID:
            return False
        self.chroma.documents.delete(ids=[doc_id])
        del active[doc_id]
        return True

    @reaching_chroma
    def publish(self) -> None:
        """Bump the generation, save the catalog, then remove superseded chunks."""
        self.chroma.publish_generation()
        self._catalogs.reload_after_commit()
        if self.chroma.settings.chroma_host:
            time.sleep(RETIRE_SECONDS)  # let other processes move to the new generation
        self._remove_orphans()

    def _write(self, doc: ParsedDocument) -> int:
        """Write the new version's chunks, views and sentences, then commit the document
        record; returns how many texts had to be embedded."""
        texts = [embedding_text(doc.meta, chunk) for chunk in doc.chunks]
        views = [(c, n, t) for c in doc.chunks for n, t in enumerate(view_texts(doc.meta, c))]
        sentences = [
            (c, n, t) for c in doc.chunks for n, t in enumerate(sentence_texts(doc.meta, c))
        ]
        counts = Counter(c.chunk_id for c, _, _ in views)
        every_text = [*texts, *(t for _, _, t in views), *(t for _, _, t in sentences)]
        hashes = [text_hash(t) for t in every_text]
        vectors, embedded = self._vectors_for(doc.meta.doc_id, every_text, hashes)
        if doc.chunks:
            self.chroma.chunks.upsert(
                ids=[c.chunk_id for c in doc.chunks],
                embeddings=vectors[: len(texts)].tolist(),
                documents=[c.text for c in doc.chunks],
                metadatas=[
                    chunk_metadata(doc.meta, c, h, views=counts[c.chunk_id])
                    for c, h in zip(doc.chunks, hashes[: len(texts)], strict=True)
                ],
            )
        start = len(texts)
        for collection, parts, record_id in (
            (self.chroma.views, views, view_id),
            (self.chroma.sentences, sentences, sentence_id),
        ):
            if parts:
                end = start + len(parts)
                collection.upsert(
                    ids=[record_id(c.chunk_id, n) for c, n, _ in parts],
                    embeddings=vectors[start:end].tolist(),
                    documents=[t for _, _, t in parts],
                    metadatas=[
                        view_metadata(doc.meta, c, h)
                        for (c, _, _), h in zip(parts, hashes[start:end], strict=True)
                    ],
                )
                start = end
        self.chroma.documents.upsert(  # the commit point
            ids=[doc.meta.doc_id],
            embeddings=np.ones((1, 1), dtype=np.float32),
            documents=[doc.meta.model_dump_json()],
            metadatas=[{"content_hash": doc.meta.content_hash, "chunks": len(doc.chunks)}],
        )
        return embedded

    def _vectors_for(
        self, doc_id: str, texts: list[str], hashes: list[str]
    ) -> tuple[np.ndarray, int]:
        """Vectors for the texts, reusing stored ones for unchanged text; embeds each once."""
        known = self._stored_vectors(doc_id)
        missing = sorted(
            {h: t for h, t in zip(hashes, texts, strict=True) if h not in known}.items()
        )
        if missing:
            fresh = self._embedder.embed_passages([t for _, t in missing])
            known.update({h: v for (h, _), v in zip(missing, fresh, strict=True)})
        dim = self._embedder.dimension
        rows = [known[h] for h in hashes]
        return (np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float32)), len(missing)

    def _stored_vectors(self, doc_id: str) -> dict[str, np.ndarray]:
        """Vectors of the document's stored chunks, views and sentences, by the hash of their
        text."""
        known: dict[str, np.ndarray] = {}
        for collection in self.chroma.embedded():
            found = collection.get(where={"doc_id": doc_id}, include=["metadatas"])
            hashes = {
                record_id: str(meta["text_hash"])
                for record_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True)
                if meta and meta.get("text_hash")
            }
            vectors = self.chroma.vectors_of(list(hashes), collection)
            known.update({hashes[record_id]: v for record_id, v in vectors.items()})
        return known

    def _remove_orphans(self) -> None:
        active = self.active_hashes()
        for collection in self.chroma.embedded():
            stale = [
                record_id
                for record_id, _, meta in self.chroma.records(collection, texts=False)
                if active.get(str(meta.get("doc_id"))) != meta.get("doc_hash")
            ]
            for i in range(0, len(stale), PAGE):
                try:
                    collection.delete(ids=stale[i : i + PAGE])
                except Exception:  # noqa: BLE001 - a crash-damaged leftover: retried next sync
                    log.warning(
                        "could not remove superseded records", records=len(stale[i : i + PAGE])
                    )


class DocumentBatch:
    """Documents put into the index one at a time; see IndexStore.batch()."""

    def __init__(self, committer: Committer) -> None:
        self._committer = committer
        self._active = committer.active_hashes()
        self._changed = False
        self.embedded = 0

    def committed(self, doc_id: str) -> str | None:
        """The content hash the index holds for the document, if any."""
        return self._active.get(doc_id)

    def committed_ids(self) -> set[str]:
        """Every committed document's id."""
        return set(self._active)

    def put(self, doc: ParsedDocument) -> FileResult:
        """Commit a new or changed document (its old version stays until publish); an
        unchanged one is left alone."""
        result, embedded = self._committer.put(doc, self._active)
        self.embedded += embedded
        self._changed = self._changed or result.status != "unchanged"
        return result

    def remove(self, doc_id: str) -> bool:
        """Uncommit a document; False if it was not indexed."""
        removed = self._committer.remove(doc_id, self._active)
        self._changed = self._changed or removed
        return removed

    def publish(self, *, always: bool = False) -> None:
        """Show readers what was committed so far and delete superseded chunks."""
        if self._changed or always:
            self._committer.publish()
            self._changed = False
