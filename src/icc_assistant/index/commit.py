"""The commit protocol: parsed documents into Chroma, crash-safe, each committed on its own, by
any number of writers at once.

For a changed document: embed it, decide its type, topics and Index results from those vectors
(ingest/describe.py), write all chunks, views, sentences and Index results of the new version,
then upsert the document record (a single-record write: the commit point), and only after the
generation changes delete the old version's records. Readers only see records of committed
hashes, so a `kill -9` at any moment leaves the previous version fully queryable, its Index
results included, and a removed document's results go with its other records.

Writers in other processes (an upload on another worker, a CLI ingest, the web sync) write to
the same index at the same time. Writing a document's records and committing it happens under
the data directory's write lock (index/writelock.py), its records stamped with the lock's name;
a writer removes only the versions it superseded itself and records provably abandoned
(index/orphans.py), never another writer's records that are not committed yet. Whether a
document is unchanged is asked of Chroma, not of a list read when the batch began, and
"unchanged" means its records are all there too: a document whose records were lost is written
again by the next ingest of its file.

Several processes may share one Chroma server (workers serving, an ingest writing): on a server
the writer waits RETIRE_SECONDS after publishing before deleting the versions it superseded, so
that a worker still answering from the previous catalog keeps finding their chunks.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
import structlog
from chromadb.api.models.Collection import Collection as ChromaCollection
from pydantic import BaseModel

from icc_assistant.documents import Chunk, ParsedDocument
from icc_assistant.embeddings import Embedder, embedding_text
from icc_assistant.index.catalog_loader import REFRESH_SECONDS, CatalogLoader
from icc_assistant.index.chroma import META_ID, Chroma, reaching_chroma
from icc_assistant.index.orphans import Orphans
from icc_assistant.index.records import (
    chunk_metadata,
    score_id,
    score_metadata,
    sentence_id,
    stamp_of,
    text_hash,
    view_id,
    view_metadata,
)
from icc_assistant.index.views import sentence_texts, view_texts
from icc_assistant.index.writelock import WriteLock
from icc_assistant.ingest.describe import Describer, DocumentVectors

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


@dataclass
class _Records:
    """A document's records to write: the chunks' texts, then each view's and each sentence's
    (chunk, number, text), and the hash of every text in that order."""

    doc: ParsedDocument
    texts: list[str]
    views: list[tuple[Chunk, int, str]]
    sentences: list[tuple[Chunk, int, str]]
    hashes: list[str]

    def every_text(self) -> list[str]:
        return [*self.texts, *(t for _, _, t in self.views), *(t for _, _, t in self.sentences)]

    def document_vectors(self, vectors: np.ndarray) -> DocumentVectors:
        """The chunks' and sentences' rows of `vectors` (which follow every_text())."""
        n, start = len(self.texts), len(self.texts) + len(self.views)
        sentences = {
            (chunk.ordinal, k): vectors[start + row]
            for row, (chunk, k, _) in enumerate(self.sentences)
        }
        return DocumentVectors(vectors[:n], sentences)


@dataclass
class Put:
    """What putting one document did: its result, the texts embedded, the version it
    superseded (None when there was none, or it was the same version)."""

    result: FileResult
    embedded: int = 0
    superseded: str | None = None


class Committer:
    """Writes and commits documents, and publishes what was committed."""

    def __init__(
        self, chroma: Chroma, embedder: Embedder, catalogs: CatalogLoader, lock: WriteLock
    ) -> None:
        self.chroma = chroma
        self._embedder = embedder
        self._catalogs = catalogs
        self._lock = lock
        self._orphans = Orphans(chroma, lock)
        self._describer = Describer(embedder)

    @reaching_chroma
    def active_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every committed document."""
        return {doc_id: record.content_hash for doc_id, record in self.chroma.active().items()}

    @reaching_chroma
    def put(self, doc: ParsedDocument) -> Put:
        """Write and commit `doc` unless Chroma already holds that version whole."""
        result = FileResult(
            source=doc.meta.source, doc_id=doc.meta.doc_id, status="unchanged",
            chunks=len(doc.chunks),
        )  # fmt: skip
        if self._holds_whole(doc):
            return Put(result)
        records = _records_of(doc)
        vectors, embedded = self._vectors_for(doc.meta.doc_id, records.every_text(), records.hashes)
        if not doc.described:
            records.doc = doc = self._describer.describe(doc, records.document_vectors(vectors))
        version = doc.meta.content_hash
        with self._lock.held():
            committed = self.chroma.committed_hash(doc.meta.doc_id)
            if committed == version and self._holds_whole(doc):
                return Put(result, embedded)  # another writer committed it meanwhile
            self._write(records, vectors, replaced=committed)
        superseded = committed if committed != version else None
        return Put(_written(result, committed, version), embedded, superseded)

    @reaching_chroma
    def remove(self, doc_id: str) -> str | None:
        """Uncommit a document; returns the version removed (None: it was not committed). Its
        records go at the next publish."""
        if doc_id == META_ID:
            return None
        with self._lock.held():
            committed = self.chroma.committed_hash(doc_id)
            if committed is not None:
                self.chroma.documents.delete(ids=[doc_id])
        return committed

    @reaching_chroma
    def publish(self, superseded: list[tuple[str, str]]) -> None:
        """Change the generation, save the catalog, then remove the superseded versions and
        sweep what writers abandoned."""
        self.chroma.publish_generation()
        self._catalogs.reload_after_commit()
        if superseded:
            if self.chroma.settings.chroma_host:
                time.sleep(RETIRE_SECONDS)  # let other processes move to the new generation
            self._orphans.remove_superseded(superseded)
        self._orphans.sweep()

    @reaching_chroma
    def drop_everything(self) -> None:
        """Empty the index (`--rebuild`), holding the lock so that no writer of this data
        directory is half-way through a document."""
        with self._lock.held():
            self.chroma.drop_everything()

    def _holds_whole(self, doc: ParsedDocument) -> bool:
        """True when `doc`'s version is committed and every record of it is stored."""
        record = self.chroma.commit_record(doc.meta.doc_id)
        if record is None or record["content_hash"] != doc.meta.content_hash:
            return False
        scores = [
            score_id(doc.meta.doc_id, doc.meta.content_hash, n)
            for n in range(int(str(record.get("scores") or 0)))
        ]
        if not self._all_stored(self.chroma.scores, scores):
            return False
        if not doc.chunks:
            return True
        ids = [c.chunk_id for c in doc.chunks]
        chunks = self.chroma.chunks.get(ids=ids, include=["metadatas"])
        if len(chunks["ids"]) != len(ids):
            return False
        views = [
            view_id(chunk_id, n)
            for chunk_id, meta in zip(chunks["ids"], chunks["metadatas"] or [], strict=True)
            for n in range(int(str((meta or {}).get("views") or 0)))
        ]
        sentences = [
            sentence_id(c.chunk_id, n)
            for c in doc.chunks
            if len(c.sentences) > 1
            for n in range(len(c.sentences))
        ]
        return self._all_stored(self.chroma.views, views) and self._all_stored(
            self.chroma.sentences, sentences
        )

    def _all_stored(self, collection: ChromaCollection, ids: list[str]) -> bool:
        return len(self.chroma.stored_ids(collection, ids)) == len(set(ids))

    def _write(self, records: _Records, vectors: np.ndarray, replaced: str | None) -> None:
        """Write the version's chunks, views and sentences, then commit the document record."""
        doc, stamp = records.doc, stamp_of(self._lock.name)
        counts = Counter(c.chunk_id for c, _, _ in records.views)
        n = len(records.texts)
        if doc.chunks:
            self.chroma.chunks.upsert(
                ids=[c.chunk_id for c in doc.chunks],
                embeddings=vectors[:n].tolist(),
                documents=[c.text for c in doc.chunks],
                metadatas=[
                    chunk_metadata(doc.meta, c, h, views=counts[c.chunk_id], stamp=stamp)
                    for c, h in zip(doc.chunks, records.hashes[:n], strict=True)
                ],
            )
        start = n
        for collection, parts, record_id in (
            (self.chroma.views, records.views, view_id),
            (self.chroma.sentences, records.sentences, sentence_id),
        ):
            if parts:
                end = start + len(parts)
                collection.upsert(
                    ids=[record_id(c.chunk_id, k) for c, k, _ in parts],
                    embeddings=vectors[start:end].tolist(),
                    documents=[t for _, _, t in parts],
                    metadatas=[
                        view_metadata(doc.meta, c, h, stamp=stamp)
                        for (c, _, _), h in zip(parts, records.hashes[start:end], strict=True)
                    ],
                )
                start = end
        if doc.scores:
            self.chroma.scores.upsert(
                ids=[score_id(doc.meta.doc_id, doc.meta.content_hash, n)
                     for n in range(len(doc.scores))],
                embeddings=np.ones((len(doc.scores), 1), dtype=np.float32),
                documents=[row.model_dump_json() for row in doc.scores],
                metadatas=[score_metadata(doc.meta, row, stamp=stamp) for row in doc.scores],
            )  # fmt: skip
        self._commit(doc, replaced)

    def _commit(self, doc: ParsedDocument, replaced: str | None) -> None:
        """Upsert the document record: the commit point."""
        meta: dict[str, str | int] = {
            "content_hash": doc.meta.content_hash,
            "chunks": len(doc.chunks),
            "scores": len(doc.scores),
        }
        if replaced and replaced != doc.meta.content_hash:
            meta.update(replaced=replaced, replaced_at=int(time.time()))
        self.chroma.documents.upsert(
            ids=[doc.meta.doc_id],
            embeddings=np.ones((1, 1), dtype=np.float32),
            documents=[doc.meta.model_dump_json()],
            metadatas=[meta],
        )

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


def _records_of(doc: ParsedDocument) -> _Records:
    texts = [embedding_text(doc.meta, chunk) for chunk in doc.chunks]
    views = [(c, n, t) for c in doc.chunks for n, t in enumerate(view_texts(doc.meta, c))]
    sentences = [(c, n, t) for c in doc.chunks for n, t in enumerate(sentence_texts(doc.meta, c))]
    records = _Records(doc, texts, views, sentences, [])
    records.hashes = [text_hash(t) for t in records.every_text()]
    return records


def _written(result: FileResult, committed: str | None, version: str) -> FileResult:
    """The result of writing a document that was not committed (added), committed at another
    version (updated) or at this one with records missing (written again)."""
    if committed is None:
        return result.model_copy(update={"status": "added"})
    if committed != version:
        return result.model_copy(update={"status": "updated"})
    return result.model_copy(
        update={"status": "updated", "message": "stored records were missing; written again"}
    )


class DocumentBatch:
    """Documents put into the index one at a time; see IndexStore.batch()."""

    def __init__(self, committer: Committer) -> None:
        self._committer = committer
        self._active = committer.active_hashes()
        self._superseded: list[tuple[str, str]] = []
        self._changed = False
        self.embedded = 0

    def committed(self, doc_id: str) -> str | None:
        """The content hash the index held for the document when the batch began, or that
        this batch committed."""
        return self._active.get(doc_id)

    def committed_ids(self) -> set[str]:
        """Every committed document's id (as far as this batch knows)."""
        return set(self._active)

    def put(self, doc: ParsedDocument) -> FileResult:
        """Commit a new or changed document (its old version stays until publish); an
        unchanged one is left alone."""
        put = self._committer.put(doc)
        self.embedded += put.embedded
        self._active[doc.meta.doc_id] = doc.meta.content_hash
        if put.superseded is not None:
            self._superseded.append((doc.meta.doc_id, put.superseded))
        self._changed = self._changed or put.result.status != "unchanged"
        return put.result

    def remove(self, doc_id: str) -> bool:
        """Uncommit a document; False if it was not indexed."""
        removed = self._committer.remove(doc_id)
        self._active.pop(doc_id, None)
        if removed is None:
            return False
        self._superseded.append((doc_id, removed))
        self._changed = True
        return True

    def publish(self, *, always: bool = False) -> None:
        """Show readers what was committed so far and delete the versions it superseded."""
        if self._changed or always:
            superseded, self._superseded = self._superseded, []
            self._committer.publish(superseded)
            self._changed = False
