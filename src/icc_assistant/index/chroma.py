"""Chroma access: the connection, an index's three collections and the reads that page through
them; a Chroma server that stops answering becomes IndexUnavailableError.

Collections (embedded PersistentClient, or a `chroma run` server), named `<prefix>_<kind>`:
- `chunks`, `views` and `sentences`: the records of index/records.py, with their embeddings;
- `scores`: a document version's Index results, one record per figure (index/records.py), each
  with a one-number placeholder vector: they are read whole, never searched;
- `documents`: one record per document holding its metadata and ACTIVE content hash (and chunk
  count), plus the `__index__` record with the fingerprint and the generation: a fresh random
  token at each publish, written in one upsert. (A counter read, incremented and written back
  lost a publish when two writers did it at once, and went back to 0 with `--rebuild`; a
  reader whose catalog was loaded at the value that came back never reloaded.)

Errors are mapped here, once and narrowly (`is_outage`): a transport error (the server refused
the connection, reset it, timed out) is an outage, IndexUnavailableError, a 503 that recovers
by itself. Anything else (a Chroma error answer, a filesystem error, a bug) is raised as it is:
the service logs it with its traceback and answers 500 with the request id.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, NamedTuple, ParamSpec, Protocol, TypeVar

import chromadb
import httpx
import numpy as np
import structlog
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError as ChromaNotFoundError

from icc_assistant.documents import DocumentMeta
from icc_assistant.errors import ConfigurationError, IndexUnavailableError
from icc_assistant.settings import Settings

log = structlog.get_logger(__name__)

META_ID = "__index__"
PAGE = 5000


class CommittedDocument(NamedTuple):
    """What a committed document's record holds."""

    content_hash: str
    meta: DocumentMeta
    chunks: int | None  # how many chunks that version has (None: written by an older release)
    scores: int = 0  # how many Index results it has


# doc_id -> its record, for each committed document
Committed = dict[str, CommittedDocument]


def is_outage(exc: BaseException) -> bool:
    """True for what a Chroma server that does not answer raises: httpx's transport errors
    (refused, reset, timed out), also when chromadb's client re-raises one as a ValueError (it
    does while it connects)."""
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ValueError) and isinstance(exc.__context__, httpx.TransportError)


def unavailable(settings: Settings, exc: BaseException) -> IndexUnavailableError:
    """The outage as users read it."""
    return IndexUnavailableError(
        f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} is not answering"
        f" ({type(exc).__name__}); it will be used again when it is back."
    )


def connect(settings: Settings) -> ClientAPI:
    """The configured Chroma: a `chroma run` server, or an embedded store in the data dir."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            if is_outage(exc):
                raise IndexUnavailableError(
                    f"Cannot reach the Chroma server at {where} ({type(exc).__name__}); start"
                    " `chroma run` or fix ICC_CHROMA_HOST/ICC_CHROMA_PORT."
                ) from exc
            if isinstance(exc, ValueError):  # chromadb's client: the server is not Chroma's
                raise ConfigurationError(
                    f"The server at {where} does not answer as a Chroma server ({exc}); fix"
                    " ICC_CHROMA_HOST/ICC_CHROMA_PORT."
                ) from exc
            raise
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class Chroma:
    """One index's collections in Chroma, and the index record's fingerprint and generation."""

    def __init__(self, settings: Settings, client: ClientAPI, fingerprint: str) -> None:
        self.settings = settings
        self.fingerprint = fingerprint
        self._client = client
        self._open_collections()

    def embedded(self) -> tuple[ChromaCollection, ...]:
        """The collections of embedded texts, each record naming its doc_id and doc_hash."""
        return (self.chunks, self.views, self.sentences)

    def versioned(self) -> tuple[ChromaCollection, ...]:
        """Every collection whose records belong to one version of one document (doc_id and
        doc_hash), chunks first: the embedded texts and the Index results."""
        return (*self.embedded(), self.scores)

    def where(self) -> str:
        """Where the index lives, for messages."""
        if self.settings.chroma_host:
            return f"Chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.chroma_dir)

    def _open_collections(self) -> None:
        self.chunks = self._collection("chunks")
        self.views = self._collection("views")
        self.sentences = self._collection("sentences")
        self.scores = self._collection("scores")
        self.documents = self._collection("documents")

    def _collection(self, kind: str) -> ChromaCollection:
        return self._client.get_or_create_collection(
            f"{self.settings.collection}_{kind}",
            embedding_function=None,
            metadata={"hnsw:space": "cosine"},
        )

    def meta(self) -> dict[str, Any]:
        """The index record's metadata: fingerprint and generation (empty for a new index).

        Readers ask for it first, so this is where a process notices that another one rebuilt
        the index (`ingest --rebuild` drops and recreates the collections): it opens the new
        collections and goes on."""
        try:
            found = self.documents.get(ids=[META_ID], include=["metadatas"])
        except ChromaNotFoundError:
            log.info("the index was rebuilt by another process; opening its new collections")
            self._open_collections()
            found = self.documents.get(ids=[META_ID], include=["metadatas"])
        metas = found.get("metadatas") or []
        return dict(metas[0]) if metas and metas[0] else {}

    def generation(self) -> str:
        """The last publish's token: a reader whose catalog was loaded at another one reloads."""
        return str(self.meta().get("generation", ""))

    def publish_generation(self) -> None:
        """Tell readers the committed documents changed: a new token, in one write, so that two
        writers publishing at once both change it and no value ever comes back."""
        self.documents.upsert(
            ids=[META_ID],
            embeddings=np.ones((1, 1), dtype=np.float32),
            documents=["index metadata"],
            metadatas=[{"fingerprint": self.fingerprint, "generation": uuid.uuid4().hex}],
        )

    def committed_hash(self, doc_id: str) -> str | None:
        """The content hash the document's record holds now, if it is committed."""
        record = self.commit_record(doc_id)
        return None if record is None else str(record["content_hash"])

    def commit_record(self, doc_id: str) -> dict[str, Any] | None:
        """The metadata of the document's record (content hash, chunk and score counts), if it
        is committed."""
        found = self.documents.get(ids=[doc_id], include=["metadatas"])
        metas = found.get("metadatas") or []
        if doc_id == META_ID or not metas or not metas[0]:
            return None
        return dict(metas[0])

    def stored_ids(self, collection: ChromaCollection, ids: list[str]) -> set[str]:
        """Which of these record ids the collection holds."""
        held: set[str] = set()
        for start in range(0, len(ids), PAGE):
            held.update(collection.get(ids=ids[start : start + PAGE], include=[])["ids"])
        return held

    def active(self) -> Committed:
        """doc_id -> the record (content hash, metadata, chunk and score counts) of every
        committed document."""
        found = self.documents.get(include=["documents", "metadatas"])
        active = {}
        for doc_id, text, meta in zip(
            found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
        ):
            if doc_id == META_ID or not meta:
                continue
            count = meta.get("chunks")
            active[doc_id] = CommittedDocument(
                str(meta["content_hash"]),
                DocumentMeta.model_validate_json(text),
                int(count) if isinstance(count, (int, float, str)) else None,
                int(str(meta.get("scores") or 0)),
            )
        return active

    def records(
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

    def vectors_of(
        self, ids: list[str], collection: ChromaCollection | None = None
    ) -> dict[str, np.ndarray]:
        """Stored vectors by record id (of chunks by default); lost vectors are left out.

        Raises IndexUnavailableError when a Chroma server stops answering: an outage must not
        look like vectors lost in a crash, which would be re-embedded."""
        collection = self.chunks if collection is None else collection
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), PAGE):
            page = ids[start : start + PAGE]
            try:
                found: Any = collection.get(ids=page, include=["embeddings"])
            except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds
                if is_outage(exc):
                    raise unavailable(self.settings, exc) from exc
                log.warning(
                    "stored vectors unreadable; reading them one by one",
                    records=len(page), error=type(exc).__name__,
                )  # fmt: skip
                found = self._probe(collection, page)
            for chunk_id, vector in zip(found["ids"], found["embeddings"], strict=True):
                vectors[chunk_id] = np.asarray(vector, dtype=np.float32)
        return vectors

    def _probe(self, collection: ChromaCollection, ids: list[str]) -> dict[str, Any]:
        """The vectors of `ids` that can still be read, one record at a time."""
        good: dict[str, Any] = {"ids": [], "embeddings": []}
        lost = 0
        for chunk_id in ids:
            try:
                found = collection.get(ids=[chunk_id], include=["embeddings"])
            except Exception as exc:  # noqa: BLE001 - this one is lost, or the server is gone
                if is_outage(exc):
                    raise unavailable(self.settings, exc) from exc
                lost += 1
                continue
            good["ids"].extend(found["ids"])
            good["embeddings"].extend(found["embeddings"])
        if lost:
            log.warning("stored vectors lost; left out", records=lost, of=len(ids))
        return good

    def drop_everything(self) -> None:
        """Delete the index's collections and start an empty index."""
        for kind in ("chunks", "views", "sentences", "scores", "documents"):
            try:
                self._client.delete_collection(f"{self.settings.collection}_{kind}")
            except ChromaNotFoundError:  # absent collection: nothing to drop
                log.debug("collection absent", kind=kind)
        self._open_collections()
        self.publish_generation()


class _UsesChroma(Protocol):
    @property
    def chroma(self) -> Chroma: ...


S = TypeVar("S", bound=_UsesChroma)
P = ParamSpec("P")
T = TypeVar("T")


def reaching_chroma(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Turn a Chroma server that stopped answering into IndexUnavailableError (a 503); any other
    error goes on as it is."""

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("chroma server not answering", call=method.__name__,
                        error=type(exc).__name__)  # fmt: skip
            raise unavailable(self.chroma.settings, exc) from exc

    return wrapper
