"""Row-aligned arrays the catalog keeps beside its chunks: stored vectors and token sets.

Both answer per-chunk questions on the query path that would otherwise cost a Chroma round trip
(the cosine of a second query vector to given chunks) or a tokenisation (near-duplicate tests).
They are saved as .npy files in the catalog snapshot and memory-mapped when loaded, so processes
serving the same data directory share one copy through the page cache (a small catalog's vectors
are turned into float32 in each process instead: VectorTable.load).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class DenseHit:
    """A chunk near the query vector: cosine to the whole chunk and to its closest view."""

    chunk_id: str
    similarity: float
    view_similarity: float
    view: int = -1  # which of the chunk's views is closest (index/views.py); -1: none


def _segments(
    parts: Sequence[np.ndarray], width: int, dtype: type
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated rows of `parts` and the offsets of each part (CSR layout)."""
    pointer = np.zeros(len(parts) + 1, dtype=np.int64)
    pointer[1:] = np.cumsum([len(p) for p in parts])
    shape = (int(pointer[-1]), width) if width else (int(pointer[-1]),)
    values: np.ndarray = (
        np.concatenate(parts).astype(dtype) if pointer[-1] else np.zeros(shape, dtype)
    )
    return pointer, values.reshape(shape)


# Stored vectors up to this size (as float32) are held as float32 (VectorTable.load): a few
# thousand chunks.
FLOAT32_IN_MEMORY = 64 * 2**20


def load_array(directory: Path, name: str) -> np.ndarray:
    """The array memory-mapped, as a plain ndarray (slicing a np.memmap costs several times
    more)."""
    found = np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    return np.asarray(found)


def _closest_part(
    pointer: np.ndarray,
    parts: np.ndarray,
    queries: np.ndarray,
    picked: np.ndarray,
    whole: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query and each picked chunk, (queries, rows): the cosine to the chunk's closest
    part of one family (CSR `pointer`, `parts`), the whole chunk's if it has none, and which
    part that is (-1: none)."""
    starts = pointer[picked]
    counts = pointer[picked + 1] - starts
    width = int(counts.max()) if len(picked) else 0
    if width == 0:
        return whole.copy(), np.full(whole.shape, -1, dtype=np.int64)
    offsets = np.arange(width)
    valid = offsets[np.newaxis, :] < counts[:, np.newaxis]  # (rows, width)
    index = np.where(valid, starts[:, np.newaxis] + offsets[np.newaxis, :], 0)
    flat = np.asarray(parts[index.ravel()], dtype=np.float32) @ queries.T
    cosines = np.where(valid, flat.T.reshape(len(queries), len(picked), width), -np.inf)
    has_parts = counts > 0
    best = np.where(has_parts, cosines.max(axis=2), whole)
    which = np.where(has_parts, cosines.argmax(axis=2), -1)
    return best, which


def _closest_in_block(
    pointer: np.ndarray, parts: np.ndarray, start: int, end: int, queries: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For the chunks start..end: which of them (offsets from start) have parts of one family,
    and their closest part's cosine to each query, (those chunks, queries)."""
    lo, hi = int(pointer[start]), int(pointer[end])
    cosines = np.asarray(parts[lo:hi], dtype=np.float32) @ queries.T
    rows = np.flatnonzero(np.diff(pointer[start : end + 1]))
    if not len(rows):
        return rows, np.zeros((0, len(queries)), dtype=np.float32)
    offsets = (pointer[start:end][rows] - lo).astype(np.int64)
    return rows, np.maximum.reduceat(cosines, offsets, axis=0)


class VectorTable:
    """The stored unit vector of every chunk, of each of its views and of each of its quotable
    sentences, as float16 rows in the catalog's chunk order (float16 keeps cosines within 1e-3
    and halves the memory: about 230 MB per 100k chunks with two views each, and about as much
    again for four sentences each)."""

    def __init__(
        self,
        whole: np.ndarray,
        view_pointer: np.ndarray,
        views: np.ndarray,
        sentence_pointer: np.ndarray,
        sentences: np.ndarray,
    ) -> None:
        self._whole = whole
        self._view_pointer = view_pointer
        self._views = views
        self._sentence_pointer = sentence_pointer
        self._sentences = sentences

    def __len__(self) -> int:
        return len(self._whole)

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        whole: Mapping[str, np.ndarray],
        views: Mapping[str, Sequence[np.ndarray]],
        sentences: Mapping[str, Sequence[np.ndarray]],
        dim: int,
    ) -> VectorTable:
        """Rows for `ids` in order; a chunk without a stored vector gets a zero row."""
        zero = np.zeros(dim, dtype=np.float32)
        rows = np.vstack([whole.get(i, zero) for i in ids]) if ids else np.zeros((0, dim))

        def stacked(parts: Mapping[str, Sequence[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
            found = [np.asarray(parts.get(i, []), dtype=np.float32).reshape(-1, dim) for i in ids]
            return _segments(found, dim, np.float16)

        return cls(rows.astype(np.float16), *stacked(views), *stacked(sentences))

    def cosines(
        self, queries: np.ndarray, rows: Sequence[int] | np.ndarray, *, sentences: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each query (row of `queries`) and each chunk at `rows`, all (queries, rows): the
        cosine to the whole chunk, the cosine to its closest view (the whole's if it has none;
        with `sentences`, its closest view or sentence), and which view that is (-1: none).
        One matrix product per family, whatever the number of rows."""
        picked = np.asarray(rows, dtype=np.int64)
        queries = np.asarray(queries, dtype=np.float32)
        whole = (np.asarray(self._whole[picked], dtype=np.float32) @ queries.T).T
        best, which = _closest_part(self._view_pointer, self._views, queries, picked, whole)
        if sentences:
            closest, _ = _closest_part(
                self._sentence_pointer, self._sentences, queries, picked, whole
            )
            best = np.maximum(best, closest)
        return whole, best, which

    def sentence_cosines(self, queries: np.ndarray, row: int) -> np.ndarray:
        """The cosine of each stored sentence of the chunk at `row` to the closest of the
        queries (empty when it has none)."""
        start, end = int(self._sentence_pointer[row]), int(self._sentence_pointer[row + 1])
        rows = np.asarray(self._sentences[start:end], dtype=np.float32)
        found: np.ndarray = (rows @ np.asarray(queries, dtype=np.float32).T).max(
            axis=1, initial=-1.0
        )
        return found

    def whole_rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The whole-chunk vectors at `rows`, as float32."""
        return np.asarray(self._whole[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def mixed_scores(
        self, queries: np.ndarray, view_weight: float, *, sentences: bool = False
    ) -> np.ndarray:
        """(queries, chunks) dense scores of every chunk: (1 - view_weight) times the cosine to
        the whole chunk plus view_weight times the best of its views' (with `sentences`, of its
        views' and sentences'; the whole's, without any). Computed block by block, for
        calibration rather than for each question."""
        queries = queries.astype(np.float32)
        found = np.empty((len(queries), len(self._whole)), dtype=np.float32)
        block = 8192
        for start in range(0, len(self._whole), block):
            end = min(start + block, len(self._whole))
            whole = np.asarray(self._whole[start:end], dtype=np.float32) @ queries.T
            best = whole.copy()
            rows, closest = _closest_in_block(self._view_pointer, self._views, start, end, queries)
            best[rows] = closest
            if sentences:
                rows, closest = _closest_in_block(
                    self._sentence_pointer, self._sentences, start, end, queries
                )
                best[rows] = np.maximum(best[rows], closest)
            found[:, start:end] = ((1 - view_weight) * whole + view_weight * best).T
        return found

    def save(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", self._whole)
        np.save(directory / "view_pointer.npy", self._view_pointer)
        np.save(directory / "view_vectors.npy", self._views)
        np.save(directory / "sentence_pointer.npy", self._sentence_pointer)
        np.save(directory / "sentence_vectors.npy", self._sentences)

    @classmethod
    def load(cls, directory: Path, rows: int) -> VectorTable:
        """What `save` wrote, memory-mapped; ValueError if it does not hold `rows` chunks.

        numpy turns float16 into float32 one number at a time (about 2 ns each: 0.4 ms for the
        600 rows a question's candidates compare), so vectors that fit FLOAT32_IN_MEMORY as
        float32 are turned once, here, and kept in this process; larger ones stay float16 and
        shared."""
        vectors = [
            load_array(directory, n) for n in ("vectors", "view_vectors", "sentence_vectors")
        ]
        if sum(v.size for v in vectors) * 4 <= FLOAT32_IN_MEMORY:
            vectors = [v.astype(np.float32) for v in vectors]
        whole, views, sentences = vectors
        table = cls(
            whole,
            load_array(directory, "view_pointer"),
            views,
            load_array(directory, "sentence_pointer"),
            sentences,
        )
        pointers = (table._view_pointer, table._sentence_pointer)
        if len(table._whole) != rows or any(len(p) != rows + 1 for p in pointers):
            raise ValueError("stored vectors do not match the chunks")
        return table


class TokenSets:
    """Each chunk's set of keyword tokens as sorted 32-bit hashes (CRC32), for near-duplicate
    tests by Jaccard overlap without tokenising chunks on the query path."""

    def __init__(self, pointer: np.ndarray, values: np.ndarray) -> None:
        self._pointer = pointer
        self._values = values

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> TokenSets:
        parts = [
            np.unique(np.fromiter((zlib.crc32(t.encode()) for t in tokens), np.uint32))
            for tokens in token_lists
        ]
        pointer, values = _segments(parts, 0, np.uint32)
        return cls(pointer, values)

    def _row(self, row: int) -> np.ndarray:
        return np.asarray(self._values[self._pointer[row] : self._pointer[row + 1]])

    def jaccard(self, first: int, second: int) -> float:
        """Overlap of two chunks' token sets (1.0: the same words; 0.0 if either has none)."""
        a, b = self._row(first), self._row(second)
        if not len(a) or not len(b):
            return 0.0
        shared = len(np.intersect1d(a, b, assume_unique=True))
        return shared / (len(a) + len(b) - shared)

    def save(self, directory: Path) -> None:
        np.save(directory / "token_pointer.npy", self._pointer)
        np.save(directory / "token_hashes.npy", self._values)

    @classmethod
    def load(cls, directory: Path, rows: int) -> TokenSets:
        """What `save` wrote, memory-mapped; ValueError if it does not hold `rows` chunks."""
        sets = cls(load_array(directory, "token_pointer"), load_array(directory, "token_hashes"))
        if len(sets._pointer) != rows + 1:
            raise ValueError("stored token sets do not match the chunks")
        return sets
