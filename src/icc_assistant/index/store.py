"""The index a process opens: parsed documents -> ChromaDB, and the read side retrieval uses.

IndexStore is the front of the index package; each job has its module:

    chroma          the connection, the collections, paging reads, server outages -> 503
    records         how chunks, views, sentences and Index results are stored as records
    writelock       one writer at a time per data directory, and the name records carry
    commit          the crash-safe commit protocol (Committer, DocumentBatch)
    orphans         which uncommitted records a writer may remove
    catalog_loader  loading, building, repairing and refreshing the catalog
    dense           nearest-neighbour search over chunks and views

Documents come in parsed (icc_assistant.ingest): the index does not read files.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator

import numpy as np
from chromadb.api import ClientAPI
from pydantic import BaseModel, Field

from icc_assistant.documents import ParsedDocument
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import ICCAssistantError, IndexMismatchError
from icc_assistant.index.catalog import ChunkCatalog
from icc_assistant.index.catalog_loader import CatalogLoader
from icc_assistant.index.chroma import Chroma, connect, reaching_chroma
from icc_assistant.index.commit import Committer, DocumentBatch, FileResult, SyncReport
from icc_assistant.index.dense import DenseSearch
from icc_assistant.index.vectors import DenseHit
from icc_assistant.index.views import VIEW_CHARS
from icc_assistant.index.writelock import WriteLock
from icc_assistant.ingest import CHUNKER_VERSION, LoadedFile
from icc_assistant.settings import Settings


class IndexStats(BaseModel):
    """What the index holds."""

    documents: int
    chunks: int
    views: int
    sentences: int = 0
    scores: int = Field(0, description="Index results (one figure each) of the Index reports.")
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


def fingerprint_of(embedder: Embedder) -> str:
    """What makes two indexes compatible: embedder, vector size, chunker version."""
    return f"{embedder.name}|{embedder.dimension}|chunker-{CHUNKER_VERSION}|views-{VIEW_CHARS}"


class IndexStore:
    """The vector index (Chroma) plus its catalog; one per process."""

    def __init__(
        self, settings: Settings, embedder: Embedder, client: ClientAPI, fingerprint: str
    ) -> None:
        self.fingerprint = fingerprint
        self.chroma = Chroma(settings, client, fingerprint)
        self._catalogs = CatalogLoader(self.chroma, embedder)
        self._committer = Committer(
            self.chroma, embedder, self._catalogs, WriteLock(settings.data_dir)
        )
        self._dense = DenseSearch(self.chroma)

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder, *, allow_rebuild: bool = False
    ) -> IndexStore:
        """Open (creating if needed) the index; refuse one built with another fingerprint."""
        store = cls(settings, embedder, connect(settings), fingerprint_of(embedder))
        stored = store.chroma.meta().get("fingerprint")
        if stored is None:
            store.chroma.publish_generation()
        elif stored != store.fingerprint and not allow_rebuild:
            raise IndexMismatchError(
                f"The index in {store.chroma.where()} was built with {stored!r}, not "
                f"{store.fingerprint!r}; run `icc-assistant ingest --rebuild`."
            )
        return store

    # -- read side ---------------------------------------------------------------------------------

    @property
    def catalog(self) -> ChunkCatalog:
        """The committed documents and chunks, loaded or rebuilt on first use (or the one this
        thread pinned)."""
        return self._catalogs.catalog

    @contextlib.contextmanager
    def pinned(self) -> Iterator[ChunkCatalog]:
        """Refresh, then serve this thread the same catalog until the block ends, so that one
        search never mixes two generations when another thread reloads meanwhile."""
        self.refresh()
        with self._catalogs.pinned() as catalog:
            yield catalog

    @reaching_chroma
    def ping(self) -> None:
        """Check that the store answers now (readiness), whatever the refresh throttle."""
        self.chroma.meta()

    @reaching_chroma
    def refresh(self) -> bool:
        """Reload the catalog if another process committed since; cheap, throttled."""
        return self._catalogs.refresh()

    def query_dense(
        self, vector: np.ndarray, n: int, doc_ids: Collection[str] | None = None
    ) -> list[DenseHit]:
        """The committed chunks nearest to the vector as whole chunks or through a view.

        Each hit carries its cosine to the whole chunk and to its closest view."""
        return self.query_dense_many(vector[np.newaxis, :], n, doc_ids)[0]

    @reaching_chroma
    def query_dense_many(
        self, vectors: np.ndarray, n: int, doc_ids: Collection[str] | None = None
    ) -> list[list[DenseHit]]:
        """query_dense for each row of `vectors`, in one Chroma query per collection."""
        return self._dense.query_many(self.catalog, vectors, n, doc_ids)

    def stats(self) -> IndexStats:
        """Counts by facet of the committed index."""
        catalog = self.catalog
        docs = list(catalog.documents.values())

        def count(values: list[str | None]) -> dict[str, int]:
            return dict(Counter(v for v in values if v))

        return IndexStats(
            documents=len(docs),
            chunks=len(catalog.chunks),
            views=self.chroma.views.count(),
            sentences=self.chroma.sentences.count(),
            scores=len(catalog.scores),
            cities=count([d.city for d in docs]),
            countries=count([d.country for d in docs]),
            doc_types=count([d.doc_type for d in docs]),
            languages=count([d.language for d in docs]),
            topics=count([t for d in docs for t in d.topics]),
            years=count([str(d.year) if d.year else None for d in docs]),
            calibration=catalog.calibration.to_json(),
        )

    # -- write side --------------------------------------------------------------------------------

    @reaching_chroma
    def sync(
        self,
        files: Iterable[LoadedFile],
        *,
        prune: bool = False,
        rebuild: bool = False,
        on_file: Callable[[FileResult], None] | None = None,
    ) -> SyncReport:
        """Bring the index in line with the loaded files: add, replace, skip unchanged, report
        the files that failed to load, optionally prune the documents not among them.

        Pruning leaves alone the pages `icc-assistant sync` fetched: their own sync prunes them."""
        if rebuild:
            self._committer.drop_everything()
            self._catalogs.forget()
        results: list[FileResult] = []
        seen: set[str] = set()
        with self.batch() as batch:
            for loaded in files:
                seen.add(loaded.doc_id)
                result = _put_file(batch, loaded)
                results.append(result)
                if on_file is not None:
                    on_file(result)
            if prune:
                active = self.chroma.active()
                fetched = {d for d, record in active.items() if record.meta.fetched_at}
                for doc_id in sorted(batch.committed_ids() - seen - fetched):
                    batch.remove(doc_id)
                    results.append(FileResult(source=doc_id, doc_id=doc_id, status="removed"))
            batch.publish(always=True)  # also sweeps leftovers of a killed run
        return SyncReport(files=results, embedded=batch.embedded)

    @contextlib.contextmanager
    def batch(self) -> Iterator[DocumentBatch]:
        """Write documents one at a time, each committed on its own (a `kill -9` keeps what was
        put), and publish them to readers once, when the block ends or at `publish()`."""
        batch = DocumentBatch(self._committer)
        try:
            yield batch
        except BaseException:
            with contextlib.suppress(ICCAssistantError):
                batch.publish()  # what was committed before the failure
            raise
        batch.publish()

    @reaching_chroma
    def add_document(self, doc: ParsedDocument) -> FileResult:
        """Index one already-parsed document (replacing its previous version) and commit."""
        with self.batch() as batch:
            return batch.put(doc)

    @reaching_chroma
    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and its chunks; False if it was not indexed."""
        with self.batch() as batch:
            return batch.remove(doc_id)


def _put_file(batch: DocumentBatch, loaded: LoadedFile) -> FileResult:
    """Put a loaded file's document, or report why it could not be loaded."""
    if loaded.document is None:
        return FileResult(
            source=str(loaded.path),
            doc_id=loaded.doc_id,
            status="failed",
            message=str(loaded.error),
        )
    return batch.put(loaded.document).model_copy(update={"source": str(loaded.path)})
