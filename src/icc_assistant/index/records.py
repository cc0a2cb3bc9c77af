"""How chunks, views and sentences are stored as Chroma records: ids, metadata, text hashes.

- a chunk: id `<doc_id>#<hash12>:<ordinal>` (Chunk.chunk_id), its text, and flat metadata
  (doc_id, doc_hash, section, its quotable sentences as JSON, ...) from which the chunk is
  read back;
- a view: id `<chunk_id>/<n>`, with the same doc_id/doc_hash plus its chunk_id;
- a sentence: id `<chunk_id>~<n>` (the chunk's n-th quotable sentence), likewise;
- an Index result: id `<doc_id>#<hash12>$<n>`, the ScoreRow as JSON for its text, and doc_id,
  doc_hash, indicator and city as metadata.
Embedded records carry the hash of the text that was embedded, so unchanged text keeps its
vector. All carry the stamp of their writer (its lock's name and when it wrote them), by which
index/orphans.py tells a record that a writer is still committing from one that was abandoned.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from icc_assistant.documents import Chunk, DocumentMeta, ScoreRow

Stamp = Mapping[str, str | int]


def stamp_of(writer: str) -> Stamp:
    """What every record written now by `writer` (a WriteLock's name) carries."""
    return {"writer": writer, "written_at": int(time.time())}


def text_hash(text: str) -> str:
    """The hash of an embedded text, by which its stored vector is found again."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def view_id(chunk_id: str, number: int) -> str:
    return f"{chunk_id}/{number}"


def chunk_of_view(record_id: str) -> str:
    """The chunk id a view's record id begins with."""
    return record_id.rsplit("/", 1)[0]


def sentence_id(chunk_id: str, number: int) -> str:
    return f"{chunk_id}~{number}"


def chunk_of_sentence(record_id: str) -> str:
    """The chunk id a sentence's record id begins with."""
    return record_id.rsplit("~", 1)[0]


def chunk_metadata(
    doc: DocumentMeta, chunk: Chunk, hashed: str, views: int = 0, stamp: Stamp | None = None
) -> dict[str, Any]:
    """A chunk record's metadata."""
    meta: dict[str, Any] = {
        **(stamp or {}),
        "doc_id": doc.doc_id,
        "views": views,
        "doc_hash": doc.content_hash,
        "ordinal": chunk.ordinal,
        "section": chunk.section,
        "is_recommendation": chunk.is_recommendation,
        "mentioned_cities": "|".join(chunk.mentioned_cities),
        "sentences": json.dumps(chunk.sentences, ensure_ascii=False),
        "text_hash": hashed,
    }
    return meta


def view_metadata(
    doc: DocumentMeta, chunk: Chunk, hashed: str, stamp: Stamp | None = None
) -> dict[str, Any]:
    """A view's (or a sentence's) record metadata."""
    return {
        **(stamp or {}),
        "chunk_id": chunk.chunk_id,
        "doc_id": doc.doc_id,
        "doc_hash": doc.content_hash,
        "text_hash": hashed,
    }


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    """The chunk a record holds."""
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
        sentences=tuple(str(s) for s in json.loads(str(meta.get("sentences") or "[]"))),
    )


def score_id(doc_id: str, content_hash: str, number: int) -> str:
    """The record id of a document version's n-th Index result."""
    return f"{doc_id}#{content_hash[:12]}${number}"


def score_metadata(doc: DocumentMeta, row: ScoreRow, stamp: Stamp | None = None) -> dict[str, Any]:
    """An Index result's record metadata (the row itself is the record's text)."""
    meta: dict[str, Any] = {
        **(stamp or {}),
        "doc_id": doc.doc_id,
        "doc_hash": doc.content_hash,
        "indicator": row.indicator,
    }
    if row.city:
        meta["city"] = row.city
    return meta


def score_from_record(text: str) -> ScoreRow:
    """The Index result a record holds."""
    return ScoreRow.model_validate_json(text)
