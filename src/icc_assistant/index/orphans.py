"""Which stored records no committed document uses, and which of those a writer may remove.

A chunk, view, sentence or Index-result record is in use while its document is committed with
its doc_hash.
Of the others a writer removes only:

- the versions it superseded itself (documents it replaced or removed in its batch), after the
  Committer let readers move on, and only if no writer has committed that version again since;
- records provably abandoned: stamped with this writer's lock name (it holds the lock, so no
  writer of that name is between writing a document's records and committing it: a writer
  that was killed or failed left them), or with another name more than ABANDONED_SECONDS ago
  (writers elsewhere, on the same Chroma server, are never that long between their first record
  and their commit; their younger records may be a document they are committing right now).

The version a document's record names as the one it replaced is left to the writer that
replaced it for PREVIOUS_KEPT_SECONDS, so that readers still on the previous catalog find it.
Records go Index results and sentences first and chunks last (a writer writes them in the
opposite order): leftover chunks are how a publish knows, from the counts alone, that there is
anything to sweep.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from chromadb.api.models.Collection import Collection as ChromaCollection

from icc_assistant.index.chroma import META_ID, PAGE, Chroma
from icc_assistant.index.writelock import WriteLock

log = structlog.get_logger(__name__)

# A writer elsewhere spends seconds between a document's first record and its commit (the
# Chroma writes of one document; embedding comes before). An hour leaves room for a stalled
# machine and for clocks that disagree by minutes.
ABANDONED_SECONDS = 3600
# Readers reload within a second or two of a publish (CatalogLoader.REFRESH_SECONDS); a
# minute is ample before a replaced version may go without its writer.
PREVIOUS_KEPT_SECONDS = 60


@dataclass(frozen=True)
class Commit:
    """What a document's record says: the version committed, and the one it replaced when."""

    content_hash: str
    chunks: int | None
    replaced: str
    replaced_at: int


def commits(chroma: Chroma) -> dict[str, Commit]:
    """doc_id -> its record's Commit, for every committed document."""
    found = chroma.documents.get(include=["metadatas"])
    result = {}
    for doc_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True):
        if doc_id == META_ID or not meta:
            continue
        count = meta.get("chunks")
        result[doc_id] = Commit(
            str(meta["content_hash"]),
            int(count) if isinstance(count, (int, float)) else None,
            str(meta.get("replaced") or ""),
            int(meta.get("replaced_at") or 0),  # type: ignore[arg-type]
        )
    return result


class Orphans:
    """Removes what a writer superseded, and sweeps what writers abandoned."""

    def __init__(self, chroma: Chroma, lock: WriteLock) -> None:
        self.chroma = chroma
        self._lock = lock

    def remove_superseded(self, versions: Iterable[tuple[str, str]]) -> None:
        """Delete the records of these (doc_id, content hash) versions that no document is
        committed with again."""
        with self._lock.held():
            for doc_id, content_hash in versions:
                if self.chroma.committed_hash(doc_id) == content_hash:
                    continue  # committed again since: in use
                where: Any = {"$and": [{"doc_id": doc_id}, {"doc_hash": content_hash}]}
                for collection in reversed(self.chroma.versioned()):
                    collection.delete(where=where)

    def sweep(self) -> int:
        """Remove abandoned records when the counts say there may be some; how many went."""
        if not self._may_have_leftovers():
            return 0
        candidates = {
            collection.name: self._abandoned(collection, commits(self.chroma))
            for collection in self.chroma.versioned()
        }
        removed = 0
        with self._lock.held():  # look again: a writer of this name may have committed since
            now = commits(self.chroma)
            for collection in reversed(self.chroma.versioned()):
                ids = candidates[collection.name]
                removed += self._remove_still_abandoned(collection, ids, now)
        if removed:
            log.info("removed records no writer will commit", records=removed)
        return removed

    def _may_have_leftovers(self) -> bool:
        counts = [c.chunks for c in commits(self.chroma).values()]
        return None in counts or self.chroma.chunks.count() != sum(c or 0 for c in counts)

    def _abandoned(self, collection: ChromaCollection, now: dict[str, Commit]) -> list[str]:
        return [
            record_id
            for record_id, _, meta in self.chroma.records(collection, texts=False)
            if self._is_abandoned(meta, now)
        ]

    def _remove_still_abandoned(
        self, collection: ChromaCollection, ids: list[str], now: dict[str, Commit]
    ) -> int:
        removed = 0
        for start in range(0, len(ids), PAGE):
            found = collection.get(ids=ids[start : start + PAGE], include=["metadatas"])
            gone = [
                record_id
                for record_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True)
                if self._is_abandoned(dict(meta or {}), now)
            ]
            if gone:
                collection.delete(ids=gone)
                removed += len(gone)
        return removed

    def _is_abandoned(self, meta: dict[str, Any], now: dict[str, Commit]) -> bool:
        """True for a record no document uses, that no writer may still commit or serve."""
        commit = now.get(str(meta.get("doc_id")))
        version = meta.get("doc_hash")
        if commit is not None and commit.content_hash == version:
            return False
        clock = time.time()
        if (
            commit is not None
            and commit.replaced == version
            and clock - commit.replaced_at < PREVIOUS_KEPT_SECONDS
        ):
            return False  # its writer removes it once readers moved on
        if meta.get("writer") == self._lock.name:
            return True
        return clock - int(meta.get("written_at") or 0) > ABANDONED_SECONDS
