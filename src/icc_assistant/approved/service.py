"""The approved answers as the service and the command line use them: write (embedding each
answer's wordings once), read, import, and match a question."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from icc_assistant.approved.exchange import ApprovedImport
from icc_assistant.approved.matching import ApprovedIndex, Match, embed_wordings, wordings
from icc_assistant.approved.model import ApprovedAnswer, ApprovedDraft
from icc_assistant.approved.store import ApprovedStore
from icc_assistant.embeddings import Embedder
from icc_assistant.settings import Settings

FILE_NAME = "approved.sqlite3"


class ApprovedAnswers:
    """Approved answers in the data directory, and the matching of questions against them."""

    def __init__(self, store: ApprovedStore, embedder: Embedder) -> None:
        self.store = store
        self._embedder = embedder
        self._index = ApprovedIndex(store, embedder)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder) -> ApprovedAnswers:
        store = ApprovedStore(
            settings.data_dir / FILE_NAME,
            retention_days=settings.retention_days,
            max_served=settings.feedback_max_rows,
        )
        return cls(store, embedder)

    def create(self, draft: ApprovedDraft) -> ApprovedAnswer:
        return self.store.save(draft, embed_wordings(self._embedder, draft.questions))

    def update(self, answer_id: str, draft: ApprovedDraft) -> ApprovedAnswer:
        """Replace the answer `answer_id` (NotFoundError when there is none)."""
        self.store.get(answer_id)
        return self.store.save(draft, embed_wordings(self._embedder, draft.questions), answer_id)

    def delete(self, answer_id: str) -> None:
        self.store.delete(answer_id)

    def get(self, answer_id: str) -> ApprovedAnswer:
        return self.store.get(answer_id)

    def answers(self) -> list[ApprovedAnswer]:
        return self.store.answers()

    def import_answers(self, items: list[ApprovedImport]) -> tuple[int, int]:
        """Write every item (in one transaction), updating those whose id is already stored;
        (created, updated)."""
        known = {a.id for a in self.store.answers()}
        groups = [item.questions for item in items]
        vectors = self._embedder.embed_queries([q for group in groups for q in group])
        rows = []
        start = 0
        for item, group in zip(items, groups, strict=True):
            stored = wordings(group, vectors[start : start + len(group)], self._embedder.name)
            start += len(group)
            rows.append((item.draft(), stored, item.id))
        self.store.save_all(rows)
        updated = sum(item.id in known for item in items if item.id)
        return len(items) - updated, updated

    def any_active(self) -> bool:
        """Whether any approved answer could be served (a question need not be embedded for
        them otherwise)."""
        return bool(self._index.table().answers)

    def match(
        self,
        vectors: np.ndarray,
        language: str,
        fits: Callable[[ApprovedAnswer], bool] = lambda _: True,
    ) -> Match | None:
        """The active approved answer the question's vectors ask for, if any (matching.py)."""
        return self._index.match(vectors, language, fits)

    def record_served(self, answer_id: str, approved_id: str) -> None:
        self.store.record_served(answer_id, approved_id)
