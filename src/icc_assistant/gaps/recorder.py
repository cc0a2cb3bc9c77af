"""Turn an unanswered question, or an answer rated down, into a gap for the record.

What a gap says about the question comes from the analysis retrieval already made (language,
cities, filters, the gate's decision), plus its topic: the ICC topic label (data/topics.json)
nearest to the question in the embedding space, with the city names taken out, so the same
question gets the same topic whatever its language. Recording never fails an answer: a
database or embedder problem is logged (without the question) and the answer goes on.
"""

from __future__ import annotations

import threading

import numpy as np
import structlog

from icc_assistant import gazetteer
from icc_assistant.documents import Answer, RetrievalResult
from icc_assistant.embeddings import Embedder
from icc_assistant.errors import ICCAssistantError
from icc_assistant.gaps.scrub import scrub
from icc_assistant.gaps.store import Gap, GapKind, GapStore
from icc_assistant.ingest.metadata import topic_names

log = structlog.get_logger("icc_assistant.gaps")


class TopicLabels:
    """The ICC topic nearest to a text, by the embedder's own vectors (computed once)."""

    def __init__(self, embedder: Embedder, names: list[str] | None = None) -> None:
        self._embedder = embedder
        self._names = names if names is not None else topic_names()
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def knows(self, name: str) -> bool:
        """True when `name` is one of the topic labels (in any case)."""
        return name.casefold() in {label.casefold() for label in self._names}

    def nearest(self, text: str, vector: np.ndarray | None = None) -> str | None:
        """The topic label closest to `text` (whose query vector is `vector` when the caller
        has it); None for a text without words."""
        if not self._names or not any(ch.isalnum() for ch in text):
            return None
        if vector is None:
            vector = self._embedder.embed_query(text)
        scores = self._label_vectors() @ vector
        return self._names[int(np.argmax(scores))]

    def _label_vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = self._embedder.embed_passages(self._names)
            return self._vectors


OTHER_TOPIC = "[other]"


def _reason(retrieval: RetrievalResult) -> str:
    """Why nothing was answered: the gate's reason, or that the answerer found no support."""
    if retrieval.status == "no_evidence":
        return retrieval.gate.reason if retrieval.gate else "nothing_found"
    return "answer_unsupported"


class GapRecorder:
    """Records no-evidence answers and thumbs-down ratings in a GapStore."""

    def __init__(self, store: GapStore, topics: TopicLabels) -> None:
        self.store = store
        self._topics = topics

    def record_answer(self, question: str, retrieval: RetrievalResult, answer: Answer) -> None:
        """Record `answer` if it ended as no evidence; other answers leave no trace."""
        if answer.status != "no_evidence" and retrieval.status != "no_evidence":
            return
        filters = self._recordable(retrieval.filters.model_dump(exclude_none=True))
        self._record("no_evidence", question, retrieval, answer.language, filters)

    def _recordable(self, filters: dict[str, str | int]) -> dict[str, str | int]:
        """The filters as they may be stored. Cities, countries and languages were checked
        against the index, but a `topic` is any text the caller wrote: it is kept when it names
        an ICC topic, scrubbed when the store keeps text, else recorded as OTHER_TOPIC."""
        topic = filters.get("topic")
        if not isinstance(topic, str) or self._topics.knows(topic):
            return filters
        return {**filters, "topic": scrub(topic) if self.store.keep_text else OTHER_TOPIC}

    def thumbs_down_gap(self, question: str | None, retrieval: RetrievalResult | None) -> Gap:
        """The gap a rating "down" records; what it says of the question only when it came
        with one."""
        if question is None or retrieval is None:
            return Gap(kind="thumbs_down")
        return self._gap("thumbs_down", question, retrieval, retrieval.language, {})

    def replace(self, earlier: int | None, gap: Gap | None) -> int | None:
        """Swap the gap an earlier rating recorded for `gap`; the new gap's id. A database
        problem is logged and leaves the earlier gap as it was."""
        try:
            return self.store.replace(earlier, gap)
        except ICCAssistantError as exc:
            log.warning("gap not recorded", kind="thumbs_down", error=str(exc))
            return earlier

    def _record(
        self,
        kind: GapKind,
        question: str,
        retrieval: RetrievalResult,
        language: str,
        filters: dict[str, str | int],
    ) -> None:
        self._save(self._gap(kind, question, retrieval, language, filters))

    def _gap(
        self,
        kind: GapKind,
        question: str,
        retrieval: RetrievalResult,
        language: str,
        filters: dict[str, str | int],
    ) -> Gap:
        try:
            topic = self._topics.nearest(
                gazetteer.without_cities(retrieval.query, known=retrieval.cities),
                retrieval.subject,
            )
        except ICCAssistantError as exc:  # a remote embedder failing: keep the rest
            log.warning("gap topic not detected", error=type(exc).__name__)
            topic = None
        return Gap(
            kind=kind,
            language=language,
            cities=retrieval.cities,
            topics=(topic,) if topic else (),
            filters=filters,
            reason=_reason(retrieval) if kind == "no_evidence" else None,
            text=question,
        )

    def _save(self, gap: Gap) -> None:
        try:
            self.store.add(gap)
        except ICCAssistantError as exc:
            log.warning("gap not recorded", kind=gap.kind, error=str(exc))
