"""Chunks -> ChromaDB, crash-safe and incremental; and the read side retrieval uses.

Layout in Chroma (embedded PersistentClient, or a `chroma run` server):
- `<prefix>_chunks`: one record per chunk version, id `<doc_id>#<hash12>:<ordinal>`, with its
  embedding, text and flat metadata (doc_id, doc_hash, section, ...).
- `<prefix>_views`: the halves of long chunks (index/views.py), id `<chunk_id>/<n>`, with the
  same doc_id/doc_hash metadata plus their chunk_id; dense retrieval scores chunks by both.
- `<prefix>_documents`: one record per document holding its metadata and ACTIVE content hash,
  plus the `__index__` record with the fingerprint and a generation counter.

Commit protocol for a changed document: write all chunks and views of the new version, then
upsert the document record (a single-record write: the commit point), and only after the
generation is bumped delete the old version's chunks. Readers only see chunks of committed
hashes, so a `kill -9` at any moment leaves the previous version fully queryable; leftovers of a
killed run are removed by the next sync.

Several processes may share one Chroma server (workers serving, an ingest writing). A reader
refreshes its catalog at most REFRESH_SECONDS after a commit, so on a server the writer waits
RETIRE_SECONDS before deleting superseded chunks: a worker still answering from the previous
catalog keeps finding its chunks. A reader that loads while a writer commits notices that a
document's chunks do not add up to the count its record holds, and loads again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

import chromadb
import numpy as np
import structlog
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel, Field

from icc_assistant.documents import Chunk, DocumentMeta, ParsedDocument
from icc_assistant.embeddings import Embedder, embedding_text
from icc_assistant.errors import (
    DocumentError,
    ICCAssistantError,
    IndexMismatchError,
    IndexUnavailableError,
)
from icc_assistant.index.catalog import ChunkCatalog, digest_of, load_snapshot, save_snapshot
from icc_assistant.index.vectors import DenseHit
from icc_assistant.index.views import VIEW_CHARS, view_texts
from icc_assistant.ingest import CHUNKER_VERSION, TextLimits, load_document
from icc_assistant.settings import Settings

log = structlog.get_logger(__name__)

META_ID = "__index__"
PAGE = 5000
REFRESH_SECONDS = 1.0
RETIRE_SECONDS = 2 * REFRESH_SECONDS
LOAD_ATTEMPTS = 5

# doc_id -> (content hash, metadata, chunk count) of each committed document
Committed = dict[str, tuple[str, DocumentMeta, int | None]]
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


class IndexStats(BaseModel):
    """What the index holds."""

    documents: int
    chunks: int
    views: int
    cities: dict[str, int]
    countries: dict[str, int]
    doc_types: dict[str, int]
    languages: dict[str, int]
    topics: dict[str, int]
    years: dict[str, int]
    calibration: dict[str, float] = Field(
        default_factory=dict,
        description="What the corpus measured of itself (index/calibration.py): the language"
        " bias retrieval takes off and the evidence gate's threshold.",
    )


T = TypeVar("T")


def _reaching_chroma(method: Callable[..., T]) -> Callable[..., T]:
    """Turn a Chroma server that stopped answering into IndexUnavailableError (a 503)."""

    @functools.wraps(method)
    def wrapper(self: IndexStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except ICCAssistantError:
            raise
        except Exception as exc:
            if not self._settings.chroma_host:
                raise
            log.warning("chroma server call failed", call=method.__name__, error=str(exc)[:500])
            raise IndexUnavailableError(
                f"The Chroma server at {self._settings.chroma_host}:{self._settings.chroma_port}"
                f" is not answering ({type(exc).__name__}); it will be used again when it is back."
            ) from exc

    return wrapper


def _connect(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # noqa: BLE001 - chromadb raises many transport errors
            raise IndexUnavailableError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                f" ({exc}); start `chroma run` or fix ICC_CHROMA_HOST/ICC_CHROMA_PORT."
            ) from exc
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def fingerprint_of(embedder: Embedder) -> str:
    """What makes two indexes compatible: embedder, vector size, chunker version."""
    return f"{embedder.name}|{embedder.dimension}|chunker-{CHUNKER_VERSION}|views-{VIEW_CHARS}"


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _chunk_metadata(
    doc: DocumentMeta, chunk: Chunk, text_hash: str, views: int = 0
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "views": views,
        "doc_hash": doc.content_hash,
        "ordinal": chunk.ordinal,
        "section": chunk.section,
        "is_recommendation": chunk.is_recommendation,
        "mentioned_cities": "|".join(chunk.mentioned_cities),
        "text_hash": text_hash,
    }
    if chunk.score is not None:
        meta["score"] = chunk.score
    if chunk.sample_score is not None:
        meta["sample_score"] = chunk.sample_score
    return meta


def _view_metadata(doc: DocumentMeta, chunk: Chunk, text_hash: str) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": doc.doc_id,
        "doc_hash": doc.content_hash,
        "text_hash": text_hash,
    }


def _incomplete(catalog: ChunkCatalog, active: Committed) -> list[str]:
    """Documents whose committed chunk count the loaded chunks fall short of."""
    return sorted(
        doc_id
        for doc_id, (_, _, count) in active.items()
        if count is not None and len(catalog.doc_chunks.get(doc_id, ())) < count
    )


def _chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    cities = str(meta.get("mentioned_cities") or "")
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        ordinal=int(meta["ordinal"]),
        text=text,
        section=str(meta.get("section") or ""),
        is_recommendation=bool(meta.get("is_recommendation")),
        mentioned_cities=tuple(c for c in cities.split("|") if c),
        views=int(meta.get("views") or 0),
        score=meta.get("score"),
        sample_score=meta.get("sample_score"),
    )


_VIEW_SEARCHES = ThreadPoolExecutor(max_workers=8, thread_name_prefix="icc-view-search")


class IndexStore:
    """The vector index (Chroma) plus its catalog; one per process."""

    def __init__(
        self, settings: Settings, embedder: Embedder, client: ClientAPI, fingerprint: str
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._client = client
        self.fingerprint = fingerprint
        self._chunks = self._collection("chunks")
        self._views = self._collection("views")
        self._docs = self._collection("documents")
        self._catalog: ChunkCatalog | None = None
        self._lock = threading.RLock()
        self._pins = threading.local()
        self._generation: int | None = None
        self._checked_at = 0.0

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder, *, allow_rebuild: bool = False
    ) -> IndexStore:
        """Open (creating if needed) the index; refuse one built with another fingerprint."""
        client = _connect(settings)
        store = cls(settings, embedder, client, fingerprint_of(embedder))
        stored = store._meta().get("fingerprint")
        if stored is None:
            store._write_meta(generation=0)
        elif stored != store.fingerprint and not allow_rebuild:
            raise IndexMismatchError(
                f"The index in {store._where()} was built with {stored!r}, not "
                f"{store.fingerprint!r}; run `icc-assistant ingest --rebuild`."
            )
        return store

    def _where(self) -> str:
        if self._settings.chroma_host:
            return f"Chroma server {self._settings.chroma_host}:{self._settings.chroma_port}"
        return str(self._settings.chroma_dir)

    def _collection(self, kind: str) -> ChromaCollection:
        return self._client.get_or_create_collection(
            f"{self._settings.collection}_{kind}",
            embedding_function=None,
            metadata={"hnsw:space": "cosine"},
        )

    def _meta(self) -> dict[str, Any]:
        found = self._docs.get(ids=[META_ID], include=["metadatas"])
        metas = found.get("metadatas") or []
        return dict(metas[0]) if metas and metas[0] else {}

    def _write_meta(self, generation: int) -> None:
        self._docs.upsert(
            ids=[META_ID],
            embeddings=[[1.0]],
            documents=["index metadata"],
            metadatas=[{"fingerprint": self.fingerprint, "generation": generation}],
        )

    # -- read side ---------------------------------------------------------------------------------

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
                    self._load_catalog()
        assert self._catalog is not None
        return self._catalog

    @contextlib.contextmanager
    def pinned(self) -> Iterator[ChunkCatalog]:
        """Refresh, then serve this thread the same catalog until the block ends, so that one
        search never mixes two generations when another thread reloads meanwhile."""
        self.refresh()
        self._pins.catalog = self.catalog
        try:
            yield self._pins.catalog
        finally:
            self._pins.catalog = None

    @_reaching_chroma
    def ping(self) -> None:
        """Check that the store answers now (readiness), whatever the refresh throttle."""
        self._meta()

    @_reaching_chroma
    def refresh(self) -> bool:
        """Reload the catalog if another process committed since; cheap, throttled.

        Requests arriving while another thread reloads wait for the new catalog rather than
        go on with the old one, whose superseded chunks a writer deletes soon after."""
        with self._lock:
            now = time.monotonic()
            if self._catalog is not None and now - self._checked_at < REFRESH_SECONDS:
                return False
            self._checked_at = now
            generation = int(self._meta().get("generation", 0))
            if self._catalog is not None and generation == self._generation:
                return False
            self._load_catalog()
            return True

    def _active(self) -> Committed:
        """doc_id -> (content hash, metadata, chunk count) of every committed document."""
        found = self._docs.get(include=["documents", "metadatas"])
        active = {}
        for doc_id, text, meta in zip(
            found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
        ):
            if doc_id == META_ID or not meta:
                continue
            count = meta.get("chunks")
            active[doc_id] = (
                str(meta["content_hash"]),
                DocumentMeta.model_validate_json(text),
                int(count) if count is not None else None,
            )
        return active

    @_reaching_chroma
    def _active_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every committed document."""
        return {doc_id: content_hash for doc_id, (content_hash, _, _) in self._active().items()}

    def _load_catalog(self, *, after_commit: bool = False) -> None:
        """Load the snapshot matching Chroma's committed documents, or build one from Chroma.

        Another process may commit meanwhile: a build that finds a document's chunks short,
        or a generation that moved while it ran, is done again, so that the catalog never
        names chunks a writer is about to delete."""
        root = self._settings.data_dir / "keyword"
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            generation = int(self._meta().get("generation", 0))
            active = self._active()
            version = digest_of({doc: h for doc, (h, _, _) in active.items()})
            catalog = load_snapshot(root, version)
            if catalog is None:
                if (root / "catalog.json").exists() and not after_commit and attempt == 1:
                    log.warning("keyword snapshot out of step with Chroma; rebuilding")
                catalog = self._build_catalog(active)
                short = _incomplete(catalog, active)
                if short and attempt < LOAD_ATTEMPTS:
                    time.sleep(0.1 * attempt)  # a writer is between its commit and clean-up
                    continue
                if short:
                    log.warning("documents are missing chunks in Chroma", documents=short)
                save_snapshot(catalog, root)
            moved = int(self._meta().get("generation", 0)) != generation
            if not moved or attempt == LOAD_ATTEMPTS:
                break
        self._generation = generation
        self._catalog = catalog

    def _build_catalog(self, active: Committed) -> ChunkCatalog:
        chunks = [
            _chunk_from_record(chunk_id, text, meta)
            for chunk_id, text, meta in self._records(self._chunks)
            if meta.get("doc_id") in active and meta.get("doc_hash") == active[meta["doc_id"]][0]
        ]
        vectors = self._vectors_of([c.chunk_id for c in chunks])
        lost = [c for c in chunks if c.chunk_id not in vectors]
        if lost:
            vectors.update(self._repair(lost, {doc: meta for doc, (_, meta, _) in active.items()}))
        views = self._view_vectors(chunks)
        documents = [meta for _, meta, _ in active.values()]
        return ChunkCatalog.build(documents, chunks, vectors, views, self._embedder)

    def _view_vectors(self, chunks: list[Chunk]) -> dict[str, list[np.ndarray]]:
        """Chunk id -> the stored vectors of its views (lost ones left out)."""
        ids = [f"{c.chunk_id}/{n}" for c in chunks for n in range(c.views)]
        found = self._vectors_of(ids, self._views)
        grouped: dict[str, list[np.ndarray]] = defaultdict(list)
        for view_id in ids:
            if view_id in found:
                grouped[view_id.rsplit("/", 1)[0]].append(found[view_id])
        return grouped

    def _records(
        self, collection: ChromaCollection, *, texts: bool = True
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every record of a collection, page by page; without
        `texts` the text is left empty and not fetched."""
        include: Any = ["documents", "metadatas"] if texts else ["metadatas"]
        offset = 0
        while True:
            page = collection.get(include=include, limit=PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            documents = page["documents"] if texts else None
            yield from zip(ids, documents or [""] * len(ids), page["metadatas"] or [], strict=True)
            offset += len(ids)

    def _vectors_of(
        self, ids: list[str], collection: ChromaCollection | None = None
    ) -> dict[str, np.ndarray]:
        """Stored vectors by record id (of chunks by default); lost vectors are left out."""
        collection = self._chunks if collection is None else collection
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), PAGE):
            page = ids[start : start + PAGE]
            try:
                found = collection.get(ids=page, include=["embeddings"])
            except Exception:  # noqa: BLE001 - a vector lost in a crash: probe one by one
                found = self._probe(collection, page)
            for chunk_id, vector in zip(found["ids"], found["embeddings"], strict=True):
                vectors[chunk_id] = np.asarray(vector, dtype=np.float32)
        return vectors

    def _probe(self, collection: ChromaCollection, ids: list[str]) -> dict[str, Any]:
        good: dict[str, Any] = {"ids": [], "embeddings": []}
        for chunk_id in ids:
            try:
                found = collection.get(ids=[chunk_id], include=["embeddings"])
            except Exception:  # noqa: BLE001 - this one is lost
                continue
            good["ids"].extend(found["ids"])
            good["embeddings"].extend(found["embeddings"])
        return good

    def _repair(
        self, chunks: list[Chunk], documents: dict[str, DocumentMeta]
    ) -> dict[str, np.ndarray]:
        """Re-embed committed chunks whose vectors a crash lost (embedded Chroma can)."""
        log.warning("re-embedding chunks whose vectors were lost in a crash", chunks=len(chunks))
        texts = [embedding_text(documents[c.doc_id], c) for c in chunks]
        vectors = self._embedder.embed_passages(texts)
        self._chunks.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=vectors.tolist(),
            documents=[c.text for c in chunks],
            metadatas=[
                _chunk_metadata(documents[c.doc_id], c, _text_hash(t))
                for c, t in zip(chunks, texts, strict=True)
            ],
        )
        return {c.chunk_id: v for c, v in zip(chunks, vectors, strict=True)}

    def query_dense(
        self, vector: np.ndarray, n: int, doc_ids: Collection[str] | None = None
    ) -> list[DenseHit]:
        """The committed chunks nearest to the vector as whole chunks or through a view.

        Each hit carries its cosine to the whole chunk and to its closest view."""
        return self.query_dense_many(vector[np.newaxis, :], n, doc_ids)[0]

    @_reaching_chroma
    def query_dense_many(
        self, vectors: np.ndarray, n: int, doc_ids: Collection[str] | None = None
    ) -> list[list[DenseHit]]:
        """query_dense for each row of `vectors`, in one Chroma query per collection."""
        catalog = self.catalog
        available = len(catalog.chunks)
        if available == 0 or (doc_ids is not None and not doc_ids):
            return [[] for _ in vectors]
        where: dict[str, Any] | None = None
        if doc_ids is not None:
            ids = sorted(doc_ids)
            where = {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
        queries = vectors.astype(np.float32)
        wanted = max(1, min(n + 8, available))
        # Chroma releases the GIL while it searches: the views are searched on another thread
        # meanwhile (1 ms less at 1k chunks, 2.7 ms at 100k).
        searching_views = _VIEW_SEARCHES.submit(
            self._views_or_none,
            lambda: self._nearest(self._views, queries, 2 * wanted, where, by_chunk=True),
        )
        wholes = self._nearest(self._chunks, queries, 2 * wanted, where)
        views = searching_views.result()
        return [
            _dense_hits(catalog, whole, view)
            for whole, view in zip(wholes, views or [{} for _ in wholes], strict=True)
        ]

    @staticmethod
    def _views_or_none(read: Callable[[], T]) -> T | None:
        """read() on the views, or None when they cannot be read, so that chunks are scored
        whole. A Chroma server fails queries on a collection whose first records are not yet
        on disk, as happens to the views during the first ingest of long chunks."""
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 - the whole chunks already answered
            log.warning("views unavailable; scoring whole chunks", error=str(exc)[:300])
            return None

    def _nearest(
        self,
        collection: ChromaCollection,
        queries: np.ndarray,
        n: int,
        where: dict[str, Any] | None,
        *,
        by_chunk: bool = False,
    ) -> list[dict[str, float]]:
        """For each query, chunk id -> best cosine among the n nearest records of the collection.

        Only distances are fetched (metadata would cost several times more); a view's chunk
        is read off its id, `<chunk_id>/<n>`."""
        found = collection.query(
            query_embeddings=queries.tolist(), n_results=n, where=where, include=["distances"]
        )
        return [
            _best_by_record(record_ids, (1.0 - float(d) for d in distances), by_chunk=by_chunk)
            for record_ids, distances in zip(
                found["ids"], found["distances"] or [[] for _ in found["ids"]], strict=True
            )
        ]

    def stats(self) -> IndexStats:
        """Counts by facet of the committed index."""
        catalog = self.catalog
        docs = list(catalog.documents.values())

        def count(values: list[str | None]) -> dict[str, int]:
            return dict(Counter(v for v in values if v))

        return IndexStats(
            documents=len(docs),
            chunks=len(catalog.chunks),
            views=self._views.count(),
            cities=count([d.city for d in docs]),
            countries=count([d.country for d in docs]),
            doc_types=count([d.doc_type for d in docs]),
            languages=count([d.language for d in docs]),
            topics=count([t for d in docs for t in d.topics]),
            years=count([str(d.year) if d.year else None for d in docs]),
            calibration=catalog.calibration.to_json(),
        )

    # -- write side --------------------------------------------------------------------------------

    @_reaching_chroma
    def sync(
        self,
        files: Sequence[tuple[Path, str]],
        *,
        prune: bool = False,
        rebuild: bool = False,
        max_bytes: int = 20_000_000,
        on_file: Callable[[FileResult], None] | None = None,
    ) -> SyncReport:
        """Bring the index in line with `files`: add, replace, skip unchanged, optionally prune.

        Pruning leaves alone the pages `icc-assistant sync` fetched: their own sync prunes them."""
        if rebuild:
            self._drop_everything()
        results: list[FileResult] = []
        with self.batch() as batch:
            for path, doc_id in files:
                result = self._sync_file(batch, path, doc_id, max_bytes)
                results.append(result)
                if on_file is not None:
                    on_file(result)
            if prune:
                keep = {doc_id for _, doc_id in files}
                fetched = {d for d, (_, meta, _) in self._active().items() if meta.fetched_at}
                for doc_id in sorted(batch.committed_ids() - keep - fetched):
                    batch.remove(doc_id)
                    results.append(FileResult(source=doc_id, doc_id=doc_id, status="removed"))
            batch.publish(always=True)  # also sweeps leftovers of a killed run
        return SyncReport(files=results, embedded=batch.embedded)

    def _sync_file(
        self, batch: DocumentBatch, path: Path, doc_id: str, max_bytes: int
    ) -> FileResult:
        try:
            limits = TextLimits.from_settings(self._settings)
            doc = load_document(path, doc_id=doc_id, max_bytes=max_bytes, limits=limits)
        except DocumentError as exc:
            return FileResult(source=str(path), doc_id=doc_id, status="failed", message=str(exc))
        return batch.put(doc).model_copy(update={"source": str(path)})

    @contextlib.contextmanager
    def batch(self) -> Iterator[DocumentBatch]:
        """Write documents one at a time, each committed on its own (a `kill -9` keeps what was
        put), and publish them to readers once, when the block ends or at `publish()`."""
        batch = DocumentBatch(self)
        try:
            yield batch
        except BaseException:
            with contextlib.suppress(ICCAssistantError):
                batch.publish()  # what was committed before the failure
            raise
        batch.publish()

    @_reaching_chroma
    def add_document(self, doc: ParsedDocument) -> FileResult:
        """Index one already-parsed document (replacing its previous version) and commit."""
        with self.batch() as batch:
            return batch.put(doc)

    @_reaching_chroma
    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and its chunks; False if it was not indexed."""
        with self.batch() as batch:
            return batch.remove(doc_id)

    @_reaching_chroma
    def _put(self, doc: ParsedDocument, active: dict[str, str]) -> tuple[FileResult, int]:
        """Write and commit `doc` unless `active` already holds its content hash."""
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

    @_reaching_chroma
    def _remove(self, doc_id: str, active: dict[str, str]) -> bool:
        if doc_id not in active or doc_id == META_ID:
            return False
        self._uncommit(doc_id)
        del active[doc_id]
        return True

    def _write(self, doc: ParsedDocument) -> int:
        """Write the new version's chunks and views, then commit the document record; returns
        how many texts had to be embedded."""
        texts = [embedding_text(doc.meta, chunk) for chunk in doc.chunks]
        views = [(c, n, t) for c in doc.chunks for n, t in enumerate(view_texts(doc.meta, c))]
        counts = Counter(c.chunk_id for c, _, _ in views)
        every_text = [*texts, *(t for _, _, t in views)]
        hashes = [_text_hash(t) for t in every_text]
        vectors, embedded = self._vectors_for(doc.meta.doc_id, every_text, hashes)
        if doc.chunks:
            self._chunks.upsert(
                ids=[c.chunk_id for c in doc.chunks],
                embeddings=vectors[: len(texts)].tolist(),
                documents=[c.text for c in doc.chunks],
                metadatas=[
                    _chunk_metadata(doc.meta, c, h, views=counts[c.chunk_id])
                    for c, h in zip(doc.chunks, hashes[: len(texts)], strict=True)
                ],
            )
        if views:
            self._views.upsert(
                ids=[f"{c.chunk_id}/{n}" for c, n, _ in views],
                embeddings=vectors[len(texts) :].tolist(),
                documents=[t for _, _, t in views],
                metadatas=[
                    _view_metadata(doc.meta, c, h)
                    for (c, _, _), h in zip(views, hashes[len(texts) :], strict=True)
                ],
            )
        self._docs.upsert(  # the commit point
            ids=[doc.meta.doc_id],
            embeddings=[[1.0]],
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
        """Vectors of the document's stored chunks and views, by the hash of their text."""
        known: dict[str, np.ndarray] = {}
        for collection in (self._chunks, self._views):
            found = collection.get(where={"doc_id": doc_id}, include=["metadatas"])
            hashes = {
                record_id: str(meta["text_hash"])
                for record_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True)
                if meta and meta.get("text_hash")
            }
            vectors = self._vectors_of(list(hashes), collection)
            known.update({hashes[record_id]: v for record_id, v in vectors.items()})
        return known

    def _uncommit(self, doc_id: str) -> None:
        self._docs.delete(ids=[doc_id])

    @_reaching_chroma
    def _finish(self) -> None:
        """Bump the generation, save the catalog, then remove superseded chunks."""
        generation = int(self._meta().get("generation", 0)) + 1
        self._write_meta(generation)
        with self._lock:
            self._load_catalog(after_commit=True)
        if self._settings.chroma_host:
            time.sleep(RETIRE_SECONDS)  # let other processes move to the new generation
        self._remove_orphans()

    def _remove_orphans(self) -> None:
        active = self._active_hashes()
        for collection in (self._chunks, self._views):
            stale = [
                record_id
                for record_id, _, meta in self._records(collection, texts=False)
                if active.get(str(meta.get("doc_id"))) != meta.get("doc_hash")
            ]
            for i in range(0, len(stale), PAGE):
                try:
                    collection.delete(ids=stale[i : i + PAGE])
                except Exception:  # noqa: BLE001 - a crash-damaged leftover: retried next sync
                    log.warning(
                        "could not remove superseded records", records=len(stale[i : i + PAGE])
                    )

    def _drop_everything(self) -> None:
        for kind in ("chunks", "views", "documents"):
            try:
                self._client.delete_collection(f"{self._settings.collection}_{kind}")
            except Exception:  # noqa: BLE001 - absent collection: nothing to drop
                log.debug("collection absent", kind=kind)
        self._chunks = self._collection("chunks")
        self._views = self._collection("views")
        self._docs = self._collection("documents")
        self._write_meta(generation=0)
        self._catalog = None


class DocumentBatch:
    """Documents put into the index one at a time; see IndexStore.batch()."""

    def __init__(self, store: IndexStore) -> None:
        self._store = store
        self._active = store._active_hashes()
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
        result, embedded = self._store._put(doc, self._active)
        self.embedded += embedded
        self._changed = self._changed or result.status != "unchanged"
        return result

    def remove(self, doc_id: str) -> bool:
        """Uncommit a document; False if it was not indexed."""
        removed = self._store._remove(doc_id, self._active)
        self._changed = self._changed or removed
        return removed

    def publish(self, *, always: bool = False) -> None:
        """Show readers what was committed so far and delete superseded chunks."""
        if self._changed or always:
            self._store._finish()
            self._changed = False


def _best_by_record(
    record_ids: Iterable[str], cosines: Iterable[float], *, by_chunk: bool
) -> dict[str, float]:
    """Record id -> cosine; with `by_chunk`, a view's chunk id (read off `<chunk_id>/<n>`) ->
    the best cosine among its views."""
    best: dict[str, float] = {}
    for record_id, cosine in zip(record_ids, cosines, strict=True):
        key = record_id.rsplit("/", 1)[0] if by_chunk else record_id
        best[key] = max(best.get(key, -1.0), cosine)
    return best


def _dense_hits(
    catalog: ChunkCatalog, whole: dict[str, float], views: dict[str, float]
) -> list[DenseHit]:
    """Hits from one query's nearest chunks and views. A chunk missed by one search is at most
    as close as the last record that search returned: that bound stands in for its cosine,
    saving a lookup per query."""
    whole_floor = min(whole.values(), default=0.0)
    view_floor = min(views.values(), default=0.0)
    hits = []
    for chunk_id in dict.fromkeys([*whole, *views]):
        chunk = catalog.chunks.get(chunk_id)
        if chunk is None:
            continue
        similarity = whole.get(chunk_id, whole_floor)
        view = views.get(chunk_id, view_floor) if chunk.views and views else similarity
        hits.append(DenseHit(chunk_id, similarity, view))
    return hits
