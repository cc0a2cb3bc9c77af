"""The catalog's chunks as arrays read on demand: ids, records and each document's chunk order.

At 100k chunks, holding every chunk as a pydantic model (and the id dictionaries beside them)
costs each worker over a gigabyte and a long parse on load. Here a snapshot holds the chunks as
.npy files that are memory-mapped when loaded, so that a load does no per-chunk work and the
processes serving one data directory share the pages through the page cache:

- the chunk ids, sorted, as one fixed-width byte array: a chunk's row (its place in the keyword
  index and the vector table) is found by binary search, with no dictionary of ids;
- each chunk's record (its JSON) in one byte array, with the offset of each: a Chunk is
  materialised when asked for, and the last few thousand asked for are kept;
- each document's chunks' rows in ordinal order (rows grouped by document, with the offset of
  each document's group);
- each chunk's number of views, which dense search asks of every hit (a column, so that no
  record is read for it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from icc_assistant.documents import Chunk
from icc_assistant.index.vectors import load_array

CACHED_CHUNKS = 4096  # about a hundred questions' candidates; a few tens of MB at most


class ChunkIds:
    """Chunk ids in row order, sorted, as a fixed-width UTF-8 byte array (UTF-8 sorts bytes as
    str sorts code points, so the order is Python's)."""

    def __init__(self, values: np.ndarray) -> None:
        self._values = values

    @classmethod
    def build(cls, ids: Sequence[str]) -> ChunkIds:
        """Ids in sorted order; ValueError otherwise (or if any repeats)."""
        encoded = [i.encode() for i in ids]
        width = max((len(e) for e in encoded), default=1)
        found = cls(np.array(encoded, dtype=f"S{width}"))
        found.check()
        return found

    def check(self) -> None:
        """ValueError unless the ids are sorted and unique (what row lookup relies on)."""
        values = self._values
        if values.dtype.kind != "S" or values.ndim != 1 or np.any(values[1:] <= values[:-1]):
            raise ValueError("chunk ids are not sorted and unique")

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, row: int) -> str:
        return bytes(self._values[row]).decode()

    def __iter__(self) -> Iterator[str]:
        return (bytes(value).decode() for value in self._values)

    def rows(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """The row of each id, -1 for an id not held."""
        width = self._values.dtype.itemsize
        encoded = [i.encode() for i in chunk_ids]
        if not encoded or not len(self._values):
            return np.full(len(encoded), -1, dtype=np.int64)
        fits = np.array([len(e) <= width for e in encoded])
        keys = np.array([e if f else b"" for e, f in zip(encoded, fits, strict=True)], f"S{width}")
        found = np.searchsorted(self._values, keys)
        at = np.minimum(found, len(self._values) - 1)
        return np.where(fits & (self._values[at] == keys), found, -1).astype(np.int64)

    def row(self, chunk_id: str) -> int:
        """The id's row; KeyError if it is not held. One binary search, a few microseconds."""
        key = chunk_id.encode()
        row = int(np.searchsorted(self._values, key))
        if row == len(self._values) or self._values[row] != key:
            raise KeyError(chunk_id)
        return row

    def save(self, directory: Path) -> None:
        np.save(directory / "chunk_ids.npy", self._values)


class ChunkRecords(Mapping[str, Chunk]):
    """Chunk id -> Chunk, read from its record on access (the last CACHED_CHUNKS kept)."""

    def __init__(self, ids: ChunkIds, offsets: np.ndarray, blob: np.ndarray) -> None:
        self._ids = ids
        self._offsets = offsets
        self._blob = blob
        self._read = functools.lru_cache(maxsize=CACHED_CHUNKS)(self._parse)

    def _parse(self, chunk_id: str) -> Chunk:
        row = self._ids.row(chunk_id)
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        return Chunk.model_validate_json(self._blob[start:end].tobytes())

    def __getitem__(self, chunk_id: str) -> Chunk:
        return self._read(chunk_id)

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and bool(self._ids.rows([chunk_id])[0] >= 0)

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def cached(self) -> int:
        """How many chunks are materialised now."""
        return self._read.cache_info().currsize


class DocumentChunks(Mapping[str, list[str]]):
    """Document id -> the ids of its chunks in ordinal order."""

    def __init__(
        self, ids: ChunkIds, documents: Sequence[str], pointer: np.ndarray, order: np.ndarray
    ) -> None:
        self._ids = ids
        self._documents = {doc_id: n for n, doc_id in enumerate(documents)}
        self._pointer = pointer
        self._order = order

    def __getitem__(self, doc_id: str) -> list[str]:
        n = self._documents[doc_id]
        rows = self._order[int(self._pointer[n]) : int(self._pointer[n + 1])]
        return [self._ids[int(row)] for row in rows]

    def __len__(self) -> int:
        return len(self._documents)

    def __iter__(self) -> Iterator[str]:
        return iter(self._documents)


class ChunkTable:
    """The chunks of a catalog: ids (row order), records and each document's chunk order."""

    def __init__(
        self,
        ids: ChunkIds,
        offsets: np.ndarray,
        blob: np.ndarray,
        documents: Sequence[str],
        doc_pointer: np.ndarray,
        doc_order: np.ndarray,
        views: np.ndarray,
    ) -> None:
        self.ids = ids
        self.views = views  # per row: Chunk.views
        self.documents = tuple(documents)  # those with chunks, in the order of doc_pointer
        self._offsets = offsets
        self._blob = blob
        self._doc_pointer = doc_pointer
        self._doc_order = doc_order
        self.chunks = ChunkRecords(ids, offsets, blob)
        self.doc_chunks = DocumentChunks(ids, self.documents, doc_pointer, doc_order)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, chunks: Mapping[str, Chunk]) -> ChunkTable:
        """A table of these chunks (keyed by id), rows in sorted id order."""
        ordered = [chunks[i] for i in sorted(chunks)]
        records = [c.model_dump_json().encode() for c in ordered]
        offsets = np.zeros(len(records) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in records])
        blob = np.frombuffer(b"".join(records), dtype=np.uint8)
        documents = sorted({c.doc_id for c in ordered})
        position = {doc_id: n for n, doc_id in enumerate(documents)}
        order = np.array(
            sorted(
                range(len(ordered)), key=lambda r: (position[ordered[r].doc_id], ordered[r].ordinal)
            ),
            dtype=np.int64,
        )
        counts = np.bincount([position[c.doc_id] for c in ordered], minlength=len(documents))
        pointer = np.zeros(len(documents) + 1, dtype=np.int64)
        pointer[1:] = np.cumsum(counts)
        views = np.array([c.views for c in ordered], dtype=np.int32)
        ids = ChunkIds.build([c.chunk_id for c in ordered])
        return cls(ids, offsets, blob, documents, pointer, order, views)

    def save(self, directory: Path) -> None:
        self.ids.save(directory)
        np.save(directory / "chunk_offsets.npy", self._offsets)
        np.save(directory / "chunks.npy", self._blob)
        np.save(directory / "doc_pointer.npy", self._doc_pointer)
        np.save(directory / "doc_order.npy", self._doc_order)
        np.save(directory / "chunk_views.npy", self.views)

    @classmethod
    def load(cls, directory: Path, documents: Sequence[str]) -> ChunkTable:
        """What `save` wrote, memory-mapped; `documents` as the table listed them. ValueError
        if the parts do not fit together."""
        ids = ChunkIds(load_array(directory, "chunk_ids"))
        ids.check()
        offsets, blob = load_array(directory, "chunk_offsets"), load_array(directory, "chunks")
        pointer, order = load_array(directory, "doc_pointer"), load_array(directory, "doc_order")
        views = load_array(directory, "chunk_views")
        rows = len(ids)
        if (
            len(offsets) != rows + 1
            or int(offsets[-1]) != len(blob)
            or len(pointer) != len(documents) + 1
            or int(pointer[-1]) != rows
            or len(order) != rows
            or len(views) != rows
        ):
            raise ValueError("stored chunks do not fit together")
        return cls(ids, offsets, blob, documents, pointer, order, views)
