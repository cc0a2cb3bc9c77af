"""The catalog: an in-memory view of the ACTIVE index (documents, chunks, keyword index, stored
vectors, and the corpus' calibration: index/calibration.py).

It is persisted as a snapshot directory under the data directory and named by a pointer file
replaced atomically, so a reader sees either the old snapshot or the new one, never a mix. The
snapshot is stamped with the digest of the active (document, content hash) set: if it is missing,
corrupt or stale it is rebuilt from Chroma's stored documents.

Several processes save snapshots into one data directory (the service's workers, an ingest, a
sync), one at a time under a file lock: a snapshot is written under a temporary name, renamed to
its own name only when complete, and only then named by the pointer. A snapshot directory is
removed only when the pointer no longer names it and it is not the one the pointer named just
before (a reader may have read the old pointer and be loading it); a temporary one left by a
killed writer is removed by the next, who holds the lock and so knows nobody is writing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import structlog
from filelock import FileLock

from icc_assistant.documents import Chunk, DocumentMeta, ScoreRow
from icc_assistant.embeddings import Embedder, embedding_head
from icc_assistant.index.calibration import Calibration, calibrate
from icc_assistant.index.chunk_table import ChunkRecords, ChunkTable, DocumentChunks
from icc_assistant.index.keyword import KeywordIndex
from icc_assistant.index.vectors import DenseHit, TokenSets, VectorTable
from icc_assistant.tokens import keyword_tokens

log = structlog.get_logger(__name__)

POINTER = "catalog.json"
LOCK = "snapshots.lock"
BUILDING = ".building-"
SNAPSHOT_FORMAT = 6  # bump when what a snapshot holds changes: older ones are rebuilt
# A recommendation naming at most this many other cities discusses their practices; one naming
# more is a list ("pilot cities: Berlin, Izhevsk, Lublin, ...").
MAX_DISCUSSED = 3


def digest_of(active: Mapping[str, str]) -> str:
    """A stamp of the active (doc_id, content_hash) set."""
    joined = "\n".join(f"{doc}\t{h}" for doc, h in sorted(active.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


@dataclass
class ChunkCatalog:
    """Documents, chunks and Index results of the committed index, the keyword index over the
    chunks, and per chunk its stored vectors and token set (rows in the chunk ids' order: the
    table's, the keyword index's, the vectors' and the token sets' alike)."""

    documents: dict[str, DocumentMeta]
    table: ChunkTable
    keyword: KeywordIndex
    version: str
    vectors: VectorTable
    token_sets: TokenSets
    covered_cities: frozenset[str]
    calibration: Calibration = field(default_factory=Calibration)
    scores: tuple[ScoreRow, ...] = ()
    cities: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.cities = frozenset(d.city for d in self.documents.values() if d.city)

    @property
    def chunks(self) -> ChunkRecords:
        """Chunk id -> Chunk, read from the snapshot on access."""
        return self.table.chunks

    @property
    def doc_chunks(self) -> DocumentChunks:
        """Document id -> its chunks' ids in ordinal order."""
        return self.table.doc_chunks

    def known(self, chunk_ids: Sequence[str]) -> list[str]:
        """Those of these chunks the catalog holds, in order (no chunk record is read)."""
        rows = self.table.ids.rows(chunk_ids)
        return [i for i, row in zip(chunk_ids, rows, strict=True) if row >= 0]

    def view_counts(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """How many views each of these chunks has (Chunk.views), -1 for one the catalog does
        not hold (no chunk record is read)."""
        rows = self.table.ids.rows(chunk_ids)
        held = rows >= 0
        counts = np.full(len(rows), -1, dtype=np.int64)
        counts[held] = self.table.views[rows[held]]
        return counts

    def overlap(self, first: str, second: str) -> float:
        """Jaccard overlap of two chunks' keyword tokens (near-duplicate test)."""
        ids = self.table.ids
        return self.token_sets.jaccard(ids.row(first), ids.row(second))

    def cosines(
        self, vectors: np.ndarray, chunk_ids: Sequence[str], *, sentences: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each vector's cosine to each of these chunks (all in the catalog), whole and through
        its closest view (or sentence), and which view that is: VectorTable.cosines, from the
        stored vectors held here (no Chroma round trip)."""
        rows = self.table.ids.rows(chunk_ids)
        if np.any(rows < 0):
            raise KeyError([i for i, row in zip(chunk_ids, rows, strict=True) if row < 0])
        return self.vectors.cosines(vectors, rows, sentences=sentences)

    def sentence_cosines(self, vectors: np.ndarray, chunk_id: str) -> tuple[float, ...]:
        """The cosine of each of the chunk's sentences to the closest of the vectors; the
        whole chunk's for each, when the chunk has one sentence (or lost a sentence's vector
        in a crash)."""
        chunk, row = self.chunks[chunk_id], self.table.ids.row(chunk_id)
        found = self.vectors.sentence_cosines(vectors, row)
        if len(found) != len(chunk.sentences):
            whole = self.vectors.whole_rows([row]) @ np.asarray(vectors, dtype=np.float32).T
            found = np.repeat(whole.max(), len(chunk.sentences))
        return tuple(round(float(value), 4) for value in found)

    def similarities(self, vector: np.ndarray, chunk_ids: Sequence[str]) -> list[DenseHit]:
        """The vector's cosines to each of these chunks that the catalog holds, as hits."""
        known = self.known(chunk_ids)
        whole, view, which = self.cosines(vector[np.newaxis, :], known)
        return [
            DenseHit(chunk_id, float(w), float(v), int(n))
            for chunk_id, w, v, n in zip(known, whole[0], view[0], which[0], strict=True)
        ]

    @classmethod
    def build(
        cls,
        documents: Iterable[DocumentMeta],
        chunks: Iterable[Chunk],
        vectors: Mapping[str, np.ndarray],
        view_vectors: Mapping[str, Sequence[np.ndarray]],
        sentence_vectors: Mapping[str, Sequence[np.ndarray]],
        embedder: Embedder,
        scores: Iterable[ScoreRow] = (),
    ) -> ChunkCatalog:
        """A catalog over these documents and chunks, with their vectors (by chunk id, and each
        chunk's views' and sentences') and the documents' Index results: keyword index, token
        sets and the corpus' calibration included."""
        docs = {d.doc_id: d for d in documents}
        kept = {c.chunk_id: c for c in chunks if c.doc_id in docs}
        chunk_table = ChunkTable.build(kept)
        ids = list(chunk_table.ids)
        texts = [keyword_tokens(kept[i].text) for i in ids]
        heads = [keyword_tokens(embedding_head(docs[kept[i].doc_id], kept[i])) for i in ids]
        tokens = [head + text for head, text in zip(heads, texts, strict=True)]
        version = digest_of({d.doc_id: d.content_hash for d in docs.values()})
        dim = next((len(v) for v in vectors.values()), 0)
        table = VectorTable.build(ids, vectors, view_vectors, sentence_vectors, dim)
        languages = [docs[kept[i].doc_id].language for i in ids]
        calibration = calibrate(table, languages, [kept[i].doc_id for i in ids], embedder)
        return cls(
            docs,
            chunk_table,
            KeywordIndex.build(chunk_table.ids, tokens),
            version,
            table,
            TokenSets.build(texts),
            _covered_cities(docs.values(), kept.values()),
            calibration,
            tuple(row for row in scores if row.doc_id in docs),
        )


def _covered_cities(documents: Iterable[DocumentMeta], chunks: Iterable[Chunk]) -> frozenset[str]:
    """The cities documents are about, and those besides whose practices recommendations
    describe: what the material covers. A city named in passing or in a list is not."""
    return frozenset(d.city for d in documents if d.city) | frozenset(
        city
        for c in chunks
        if c.is_recommendation and len(c.mentioned_cities) <= MAX_DISCUSSED
        for city in c.mentioned_cities
    )


def save_snapshot(catalog: ChunkCatalog, root: Path) -> None:
    """Write the catalog under its own name, then switch the pointer to it atomically; one
    process at a time."""
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(root / LOCK):
        previous = _named_snapshot(root)
        name = f"snapshot-{catalog.version[:12]}-{uuid.uuid4().hex[:8]}"
        building = root / f"{BUILDING}{uuid.uuid4().hex[:8]}"
        building.mkdir()
        _write_snapshot(catalog, building)
        os.rename(building, root / name)
        pointer_tmp = root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
        pointer_tmp.write_text(json.dumps({"dir": name, "version": catalog.version}))
        os.replace(pointer_tmp, root / POINTER)
        _remove_unnamed_snapshots(root, keep={name, previous})


def _write_snapshot(catalog: ChunkCatalog, target: Path) -> None:
    payload = {
        "version": catalog.version,
        "documents": [d.model_dump(mode="json") for d in catalog.documents.values()],
        "chunk_documents": catalog.table.documents,
        "covered_cities": sorted(catalog.covered_cities),
        "calibration": catalog.calibration.to_json(),
        "scores": [row.model_dump(mode="json") for row in catalog.scores],
        "format": SNAPSHOT_FORMAT,
    }
    (target / "catalog.json").write_text(json.dumps(payload), encoding="utf-8")
    catalog.table.save(target)
    catalog.keyword.save(target)
    catalog.vectors.save(target)
    catalog.token_sets.save(target)
    _fsync_dir(target)


def _named_snapshot(root: Path) -> str:
    """The directory the pointer names now ("" when there is none or it is unreadable)."""
    try:
        return str(json.loads((root / POINTER).read_text(encoding="utf-8"))["dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def load_snapshot(root: Path, version: str) -> ChunkCatalog | None:
    """The saved catalog if it exists, is readable and matches `version`; else None."""
    try:
        pointer = json.loads((root / POINTER).read_text(encoding="utf-8"))
        if pointer.get("version") != version:
            return None
        target = root / pointer["dir"]
        payload = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
        if payload.get("format") != SNAPSHOT_FORMAT:
            raise ValueError("snapshot written by an earlier release")
        if payload["version"] != version:
            raise ValueError("snapshot content does not match its stamp")
        documents = {d["doc_id"]: DocumentMeta.model_validate(d) for d in payload["documents"]}
        table = ChunkTable.load(target, payload["chunk_documents"])
        if not set(table.documents) <= set(documents):
            raise ValueError("snapshot chunks name documents it does not hold")
        keyword = KeywordIndex.load(target, table.ids)
        calibration = Calibration.from_json(payload["calibration"])
        scores = tuple(ScoreRow.model_validate(row) for row in payload["scores"])
        rows = len(table)
        vectors = VectorTable.load(target, rows)
        return ChunkCatalog(
            documents, table, keyword, version, vectors, TokenSets.load(target, rows),
            frozenset(payload["covered_cities"]), calibration, scores,
        )  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("keyword snapshot unreadable; rebuilding from Chroma", error=str(exc))
        return None


def _fsync_dir(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _remove_unnamed_snapshots(root: Path, keep: set[str]) -> None:
    """Remove the snapshots not in `keep` and the temporary ones of killed writers (the caller
    holds the lock: nobody else is writing one)."""
    for path in [*root.glob("snapshot-*"), *root.glob(f"{BUILDING}*")]:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(f".{POINTER}.*"):
        path.unlink(missing_ok=True)
